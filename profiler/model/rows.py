"""A list of report rows (compiles, generated graphs) whose memory does not grow with their number.

The first KEEP (1024) rows stay in memory, as a list; past that, rows are pickled into a temporary file in
batches and read back, in order, whenever the rows are iterated. A log of 100,000 compiles is then
reported in bounded memory; a log of a few thousand never touches the disk. The file belongs to the
object: it is removed when the object is collected (or the process exits), and its ownership moves
with the object when a worker process hands its rows back.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import weakref
from collections.abc import Iterable, Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")
KEEP = 1024  # rows held in memory before any is spilled
BATCH = 512  # rows pickled together


class Default:
    """Set a row's attribute to a value when it is None (or always, with `force`), as the row is read
    (e.g. a log's rank)."""

    def __init__(self, attribute: str, value: object, force: bool = False) -> None:
        self.attribute, self.value, self.force = attribute, value, force

    def __call__(self, row: object) -> None:
        if self.force or getattr(row, self.attribute) is None:
            setattr(row, self.attribute, self.value)


class ResolveFiles:
    """Replace the file-name indexes a part of a log could not resolve (`\x00N\x00`) in a compile's
    user stack by the names the whole file interned, as the row is read."""

    def __init__(self, strings: dict[int, str]) -> None:
        self.strings = strings

    def __call__(self, row: object) -> None:
        stack = getattr(row, "user_stack", None)
        if stack and any("\x00" in frame for frame in stack):
            row.user_stack = [self._resolve(frame) for frame in stack]  # type: ignore[attr-defined]

    def _resolve(self, frame: str) -> str:
        head, _, rest = frame.partition("\x00")
        index, _, tail = rest.partition("\x00")
        return head + self.strings.get(int(index), "?") + tail if index.isdigit() else frame


class AttachLate:
    """Records that arrived after their compile's row was written (a lazily compiled backward), by the
    row's position: attached as the row is read (once; a row read again keeps what it has)."""

    def __init__(self) -> None:
        self.by_index: dict[int, Any] = {}

    def __call__(self, row: Any, index: int) -> None:
        late = self.by_index.get(index)
        if late is not None:
            row.attach_backward(late)

    def shifted(self, offset: int) -> dict[int, Any]:
        """The attachments with their positions moved by `offset` (rows of a part joined after others)."""
        return {i + offset: late for i, late in self.by_index.items()}


class Rows(Generic[T]):
    """Append-only rows, iterated in order; `rows[:n]` and `rows[i]` read as far as needed. Rows
    must not change once appended (a spilled row is a copy); `default` fills a missing field as
    rows are read."""

    def __init__(self, items: Iterable[T] = (), keep: int | None = None) -> None:
        self.default: Default | None = None
        self.files: ResolveFiles | None = None
        self.late = AttachLate()
        self._keep = KEEP if keep is None else keep
        self._held: list[T] = []  # rows in memory, after those on disk
        self._path: str | None = None
        self._batches: list[tuple[int, int]] = []  # (offset, length) of each pickled batch
        self._on_disk = 0
        self._finalizer: weakref.finalize | None = None
        self.extend(items)

    def append(self, row: T) -> None:
        """Add a row at the end."""
        self._held.append(row)
        if len(self._held) >= self._keep + BATCH:
            self._spill(self._held[:BATCH])
            del self._held[:BATCH]

    def extend(self, rows: Iterable[T]) -> None:
        """Add rows at the end, in order."""
        for row in rows:
            self.append(row)

    def _spill(self, batch: list[T]) -> None:
        if self._path is None:
            fd, self._path = tempfile.mkstemp(prefix="compileprof-rows-")
            os.close(fd)
            self._finalizer = weakref.finalize(self, _remove, self._path)
        data = pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL)
        with open(self._path, "ab") as fh:
            self._batches.append((fh.tell(), len(data)))
            fh.write(data)
        self._on_disk += len(batch)

    def __iter__(self) -> Iterator[T]:
        fixes = [f for f in (self.default, self.files) if f is not None]
        late = self.late if self.late.by_index else None
        for index, row in enumerate(self._stored()):
            for fix in fixes:
                fix(row)
            if late is not None:
                late(row, index)
            yield row

    def _stored(self) -> Iterator[T]:
        if self._batches:
            with open(self._path, "rb") as fh:  # type: ignore[arg-type]
                for offset, length in list(self._batches):
                    fh.seek(offset)
                    yield from pickle.loads(fh.read(length))
        yield from list(self._held)

    def __len__(self) -> int:
        return self._on_disk + len(self._held)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __getitem__(self, key: int | slice) -> Any:
        return _item(self, key)

    @property
    def spilled(self) -> int:
        """How many rows live in the temporary file."""
        return self._on_disk

    def __getstate__(self) -> dict[str, Any]:
        """Pickled to another process: the file goes with the object (this one stops removing it)."""
        if self._finalizer is not None:
            self._finalizer.detach()
        keys = ("default", "files", "late", "_keep", "_held", "_path", "_batches", "_on_disk")
        state = {k: getattr(self, k) for k in keys}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            setattr(self, key, value)
        self._finalizer = weakref.finalize(self, _remove, self._path) if self._path else None


class Chain(Generic[T]):
    """Several `Rows` read one after the other (a report's compiles over its logs), without a copy."""

    def __init__(self, parts: Iterable[Rows[T]] = ()) -> None:
        self.parts = list(parts)

    def __iter__(self) -> Iterator[T]:
        for part in self.parts:
            yield from part

    def __len__(self) -> int:
        return sum(len(p) for p in self.parts)

    def __bool__(self) -> bool:
        return any(self.parts)

    def __getitem__(self, key: int | slice) -> Any:
        return _item(self, key)


def _item(rows: Rows[T] | Chain[T], key: int | slice) -> Any:
    """`rows[key]` by reading as far as needed: a slice as a list, an index as one row."""
    if isinstance(key, slice):
        start, stop, step = key.indices(len(rows))
        return [row for i, row in zip(range(stop), rows, strict=False) if i >= start][::step]
    index = key + len(rows) if key < 0 else key
    if not 0 <= index < len(rows):
        raise IndexError("row index out of range")
    return next(row for i, row in enumerate(rows) if i == index)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass

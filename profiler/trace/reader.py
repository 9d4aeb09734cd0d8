"""A streaming reader of TORCH_TRACE logs.

The file is read in fixed-size binary chunks; only whole records are parsed and the tail of a
chunk is carried into the next, so memory is bounded by the chunk size plus the largest single
record, whatever the log's size. Payloads stay bytes until an analysis asks for their text.
Damage is counted in a `ParseStats`, never raised.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson

from .records import KNOWN_KINDS, ParseStats, Record, compile_id_string, unescape_payload
from .values import MAX_RANK, Values

CHUNK_SIZE = 4 << 20
MAX_RECORD_BYTES = 32 << 20  # one record (its line and payload) larger than this is counted and skipped

ENVELOPE_KEYS = frozenset(
    {"rank", "compiled_autograd_id", "frame_id", "frame_compile_id", "attempt", "subgraph_name", "stack", "has_payload"}
)
# glog prefix: level, MMDD, time, process id, path:line]; not anchored (launchers prefix `[rank0]:`).
_GLOG = re.compile(rb"[VIWEC]\d{4} \d\d:\d\d:\d\d\.\d+ +(\d{1,12}) [^\]\n]*:\d+\][^{\n]*?(?= \{)")
# A payload: every following line that starts with a TAB.
_PAYLOAD = re.compile(rb"(?:\t[^\n]*\n)*")
# Where a payload ends: a newline followed by anything but a TAB (found by a fast literal scan).
_PAYLOAD_END = re.compile(rb"\n[^\t]")
_EMPTY_MD5 = hashlib.md5(b"").hexdigest()
MAX_IDS = 4096  # compile ids remembered per file


def _record_start(buf: bytes, pos: int) -> int:
    """The offset of the last record line (a line not starting with TAB) that starts after a newline
    before `pos`, or 0 when there is none."""
    while True:
        nl = buf.rfind(b"\n", 0, pos)
        if nl < 0:
            return 0
        if nl + 1 < len(buf) and buf[nl + 1] != 9:  # 9 == TAB
            return nl + 1
        pos = nl


def _envelope(raw: bytes) -> tuple[dict | None, bool]:
    """A record line's JSON object (None when it is not one), and whether it held invalid UTF-8."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        try:
            raw.decode("utf-8")
            return None, False
        except UnicodeDecodeError:
            pass
        try:
            obj = orjson.loads(raw.decode("utf-8", "replace"))
        except orjson.JSONDecodeError:
            return None, True
        return (obj, True) if type(obj) is dict else (None, True)
    return (obj, False) if type(obj) is dict else (None, False)


def _type_key(obj: dict) -> str | None:
    """The record's type key: its one key that is not an envelope key."""
    for key in obj:
        if key not in ENVELOPE_KEYS:
            return key
    return None


def _md5_matches(block: bytes | None, expected: object, crlf: bool = False) -> bool:
    """Whether the md5 of the payload's logged text (what `unescape_payload` gives) is `expected`.
    Deleting every TAB (one fast byte loop, no search) is the unescape when the only TABs are the one
    that starts each line: "\tL1\n\tL2\n" -> "L1\nL2\n"[:-1]. That is tried first; only a payload
    whose digest then differs (text with TABs of its own, or damage) is unescaped the exact way, which
    reads CRLF as LF. With `crlf` the block's lines may end with CRLF: the fast way deletes CRs with the
    TABs."""
    if not block:
        return _EMPTY_MD5 == expected
    if hashlib.md5(memoryview(block.translate(None, b"\t\r" if crlf else b"\t"))[:-1]).hexdigest() == expected:
        return True
    return hashlib.md5(unescape_payload(block)).hexdigest() == expected


def _utf8(block: bytes) -> bool:
    """True when `block` is valid UTF-8."""
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _next_record(chunk: bytes, after_newline: bool) -> int | None:
    """Where the first record line starts in `chunk` (a line not starting with TAB), given whether the
    bytes before it ended a line; None when it holds none."""
    if after_newline and chunk[:1] not in (b"\t", b""):
        return 0
    pos = chunk.find(b"\n")
    while 0 <= pos < len(chunk) - 1:
        if chunk[pos + 1] != 9:  # 9 == TAB
            return pos + 1
        pos = chunk.find(b"\n", pos + 1)
    return None


class TraceReader:
    """Iterate the records of one log file, counting lines and damage into `self.stats`."""

    def __init__(
        self,
        path: str | Path,
        chunk_size: int | None = None,
        start: int = 0,
        end: int | None = None,
        max_record: int | None = None,
    ) -> None:
        """Read `path`, or only its bytes `[start, end)` (which must begin at a record start); a record
        of more than `max_record` bytes (MAX_RECORD_BYTES) is counted (`oversized`) and skipped, never
        held whole. Chunks are `chunk_size` bytes (CHUNK_SIZE)."""
        self.path = Path(path)
        self.chunk_size = CHUNK_SIZE if chunk_size is None else chunk_size
        self.max_record = MAX_RECORD_BYTES if max_record is None else max_record
        self.start = start
        self.end = end
        self.stats = ParseStats()
        self.values = Values(self.stats)
        self.ranks: dict[int, int] = {}  # per process: the first rank its records name (the others are skipped)
        self.tables: dict[int, dict[int, str]] = {}  # per process: its interned file names
        self._ids: dict[tuple, str | None] = {}  # envelope ids -> compile id (see _compile_id)

    @property
    def rank(self) -> int | None:
        """The first rank the records name (of the first process that names one)."""
        return next(iter(self.ranks.values()), None)

    def strings(self, pid: int) -> dict[int, str]:
        """The file names process `pid` interned (the table its stacks refer to), filled as records are read."""
        table = self.tables.get(pid)
        if table is None:
            table = self.tables[pid] = {}
        return table

    def _chunks(self) -> Iterator[bytes]:
        """The bytes `[start, end)` of the file in chunks (a pipe is read from where it is)."""
        with open(self.path, "rb") as fh:
            if self.start:  # a pipe cannot seek; a whole file starts at 0 anyway
                fh.seek(self.start)
            left = self.end - self.start if self.end is not None else -1
            while left != 0:
                chunk = fh.read(self.chunk_size if left < 0 else min(self.chunk_size, left))
                if not chunk:
                    return
                left -= len(chunk) if left > 0 else 0
                self.stats.bytes += len(chunk)
                yield chunk

    def _skip(self, data: bytes) -> None:
        """Count the lines of bytes passed over without parsing them."""
        self.stats.lines += data.count(b"\n")

    def __iter__(self) -> Iterator[Record]:
        carry = b""  # the start of a record the next chunk continues
        big: list[bytes] = []  # the chunks of a record longer than a chunk, joined once it ends
        skipping, after_newline = False, False  # inside a record past max_record bytes
        for chunk in self._chunks():
            if skipping or big:
                start = _next_record(chunk, after_newline)
                after_newline = chunk.endswith(b"\n")
                if start is None:  # the long record goes on
                    if skipping:
                        self._skip(chunk)
                    elif sum(map(len, big)) + len(chunk) > self.max_record:
                        self.stats.oversized += 1
                        for piece in (*big, chunk):
                            self._skip(piece)
                        big, skipping = [], True
                    else:
                        big.append(chunk)
                    continue
                if skipping:
                    self._skip(chunk[:start])
                else:
                    whole = b"".join([*big, chunk[:start]])
                    yield from self._parse(whole, len(whole))
                chunk, big, skipping = chunk[start:], [], False
            buf = carry + chunk if carry else chunk
            cut = _record_start(buf, len(buf))
            if cut == 0:  # one record longer than the buffer: gather its chunks
                big, carry, after_newline = [buf], b"", buf.endswith(b"\n")
                continue
            carry = buf[cut:]
            yield from self._parse(buf, cut)
        carry = b"".join(big) if big else carry
        if carry:
            # The last record: a missing final newline is harmless unless the record is cut short.
            unterminated = not carry.endswith(b"\n")
            before = self.stats.damage
            last = carry if not unterminated else carry + b"\n"
            yield from self._parse(last, len(last))
            if unterminated and self.stats.damage > before:
                self.stats.truncated += 1

    def _parse(self, buf: bytes, end: int) -> Iterator[Record]:
        """Parse `buf[:end]`, which holds only whole lines (no copy of the buffer is made). One pass
        finds each record line and the end of its payload (the next newline not followed by TAB).
        Lines may end with CRLF (a log that went through Windows): a header's CR is left out, and a
        payload's CRLFs are read as LF where its text is read (see `_payload`)."""
        crlf = buf.find(b"\r", 0, end) >= 0
        self.stats.lines += buf.count(b"\n", 0, end)
        find, payload_end, record = buf.find, _PAYLOAD_END.search, self._record
        pos = 0
        while pos < end:
            nl = find(b"\n", pos, end)
            if nl + 1 < end and buf[nl + 1] == 9:  # 9 == TAB: a payload follows
                m = payload_end(buf, nl + 1, end)
                stop = m.start() + 1 if m is not None else end
                block = buf[nl + 1 : stop]
            else:
                stop, block = nl + 1, None
            first, header_start, pos = buf[pos], pos, stop
            header_end = nl - 1 if crlf and nl > header_start and buf[nl - 1] == 13 else nl  # 13 == CR
            if first == 9:  # payload lines with no record before them
                self.stats.fail_glog += 1 + (block.count(b"\n") if block else 0)
            elif header_end > header_start:
                rec = record(buf[header_start:header_end], block, crlf)
                if rec is not None:
                    yield rec
            elif block:  # an empty line is passed over; payload lines after it have no record
                self.stats.fail_glog += block.count(b"\n")

    def _record(self, header: bytes, block: bytes | None, crlf: bool = False) -> Record | None:
        """The record of one header line and its payload block; None (counted) when it is not one.
        `crlf`: the block may hold CRLFs (see `_payload`)."""
        stats = self.stats
        m = _GLOG.search(header)
        if m is None:
            if header.strip():
                stats.fail_glog += 1
            return None
        raw = header[m.end() + 1 :]
        try:
            obj, utf8_errors = orjson.loads(raw), False
        except orjson.JSONDecodeError:
            obj, utf8_errors = _envelope(raw)
        kind = _type_key(obj) if type(obj) is dict else None
        if kind is None:
            stats.fail_json += 1
            return None
        get = obj.get
        pid = int(m.group(1))
        rank = get("rank")
        if rank is not None:
            keep, rank = self._rank(rank, pid)
            if not keep:
                return None
        stats.records += 1
        block = self._payload(kind, block, get("has_payload"), crlf, utf8_errors)
        if kind not in KNOWN_KINDS:
            stats.unknown += 1
            stats.unknown_kinds[kind] = stats.unknown_kinds.get(kind, 0) + 1
        meta = obj[kind]
        if kind == "str":
            self._intern(meta, pid)
        attempt = get("attempt")
        if attempt is not None and (type(attempt) is not int or not 0 <= attempt <= 1 << 16):
            attempt = self.values.int(attempt, "attempt", hi=1 << 16)
        start = m.start()
        stamp = header[start + 6 : start + 21]
        return Record(kind, meta, self._compile_id(get), attempt, rank, block, stamp, pid)

    def _payload(self, kind: str, block: bytes | None, expected: object, crlf: bool, utf8_errors: bool) -> bytes | None:
        """The payload block a record keeps, its md5 checked against `expected` (the envelope's
        `has_payload`) and its UTF-8 (and the envelope's, `utf8_errors`), damage counted. With `crlf`,
        a chromium event's block is kept as written (its JSON reads the same) and any other's CRLFs
        become LFs, as its text is read."""
        cr = False
        if crlf and block is not None and b"\r" in block:
            if kind == "chromium_event":
                cr = True  # kept as written: its md5 reads each CRLF as LF
            else:
                block = block.replace(b"\r\n", b"\n")
        if expected is not None and not _md5_matches(block, expected, cr):
            self.stats.fail_payload_md5 += 1
        if utf8_errors or (block is not None and not block.isascii() and not _utf8(block)):
            self.stats.invalid_utf8 += 1
        return block

    def _rank(self, rank: object, pid: int) -> tuple[bool, int | None]:
        """A record's rank, read (a bad one counted, then None); False when it is another rank than the
        first its process named (counted: the record is skipped)."""
        if type(rank) is not int or not 0 <= rank <= MAX_RANK:
            rank = self.values.int(rank, "rank", hi=MAX_RANK)
        if rank is not None:
            first = self.ranks.setdefault(pid, rank)
            if rank != first:
                self.stats.other_rank += 1
                return False, rank
        return True, rank

    def _compile_id(self, get: Callable[[str], object]) -> str | None:
        """The envelope's compile id as torch prints it. Ids of plain integers are remembered (most
        records repeat their compile's); anything else is read, and a bad part counted, every time."""
        auto, frame, nth = get("compiled_autograd_id"), get("frame_id"), get("frame_compile_id")
        if auto is None and frame is None and nth is None:
            return None
        plain = type(frame) is int and type(nth) is int and (auto is None or type(auto) is int)
        key = (auto, frame, nth)
        if plain and key in self._ids:  # exact ints only: True == 1 and 1.0 == 1 would share a key
            return self._ids[key]
        before = self.stats.bad_value
        values = self.values
        text = compile_id_string(
            values.int(auto, "compiled_autograd_id"), values.int(frame, "frame_id"),
            values.int(nth, "frame_compile_id"),
        )  # fmt: skip
        if plain and self.stats.bad_value == before:
            if len(self._ids) >= MAX_IDS:
                self._ids.clear()
            self._ids[key] = text
        return text

    def _intern(self, meta: object, pid: int) -> None:
        """`{"str": [text, index]}`: the process's table of interned file names (stacks refer to them)."""
        if type(meta) is list and len(meta) == 2 and type(meta[0]) is str and type(meta[1]) is int:
            self.strings(pid)[meta[1]] = meta[0]
        else:
            self.values.bad("str")


_DYNAMO_BEGIN = b'\n\t"name": "dynamo",'  # (its line may end with CRLF)
_EXPORT_BEGIN = b'] {"export": '


def compile_boundary(path: str | Path, near: int, window: int = 8 << 20) -> int | None:
    """The offset of the first record at or after `near` that opens an export (an `export` record),
    else a compile (a top-level `dynamo` B chromium event); None if there is none within `window`
    bytes. Exports first: a failed export stays open until the next one begins, so in a log of
    exports only a cut at an `export` record is sure to be exact."""
    base = max(0, near - 1)  # from the byte before, so a record starting exactly at `near` is seen whole
    with open(path, "rb") as fh:
        fh.seek(base)
        buf = fh.read(window)
    found = _export_begin(buf)
    if found is None:
        found = _dynamo_begin(buf)
    return base + found if found is not None else None


def _first(buf: bytes, needle: bytes, start_of: Callable[[int], int | None]) -> int | None:
    """The record start `start_of` gives for the first occurrence of `needle` it accepts, else None."""
    pos = 0
    while True:
        hit = buf.find(needle, pos)
        if hit < 0:
            return None
        pos = hit + 1
        start = start_of(hit)
        if start is not None:
            return start


def _dynamo_begin(buf: bytes) -> int | None:
    """Where in `buf` the first record holding a `dynamo` B chromium event starts (not at 0)."""

    def start_of(hit: int) -> int | None:
        start = _record_start(buf, hit)  # the header line of the record holding this payload
        if start == 0:
            return None
        header_end = buf.find(b"\n", start)
        block_end = _PAYLOAD.match(buf, header_end + 1).end()
        ok = b'"chromium_event"' in buf[start:header_end] and b'"ph": "B"' in buf[hit:block_end]
        return start if ok else None

    return _first(buf, _DYNAMO_BEGIN, start_of)


def _export_begin(buf: bytes) -> int | None:
    """Where in `buf` the first `export` record line starts (not at 0)."""

    def start_of(hit: int) -> int | None:
        start = buf.rfind(b"\n", 0, hit) + 1
        return start if start > 0 and buf[start] != 9 and _GLOG.search(buf, start, hit + 3) else None

    return _first(buf, _EXPORT_BEGIN, start_of)

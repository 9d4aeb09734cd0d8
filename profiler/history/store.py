"""Where the history lives: a SQLite file (the standard library's; the default) or a PostgreSQL database a
team shares (`postgresql://...`, psycopg: the `[postgres]` extra). One class serves both.

- A new database gets the current schema; an older one is migrated in one transaction; a newer one (a
  later compileprof wrote it), a file that is not a database, or a database with tables of its own is
  refused in one line.
- Every `add` is one transaction: a point and all its metrics, or nothing. SQLite runs in WAL mode
  with a busy timeout and takes its write lock when the transaction begins, so CI jobs adding at once
  wait for each other and lose nothing.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import EXIT_NO_DATA, EXIT_USAGE, EXIT_WRITE, CompileprofError
from ..gate.metrics import Metric
from .model import Point
from .schema import SCHEMA_VERSION, statements

BUSY_TIMEOUT_S = 60.0  # how long a writer waits for another one (SQLite) before giving up
RUN_COLUMNS = ("id", "commit_sha", "branch", "recorded_at", "run_at", "series", "machine_id", "machine",
               "environment", "model", "options", "labels", "source")  # fmt: skip


class Conflict(CompileprofError):
    """A point of this commit and series is already recorded."""


def _usage(where: str, what: str) -> CompileprofError:
    return CompileprofError(f"{where}: {what}", EXIT_USAGE)


class Store:
    """A history database: SQLite or PostgreSQL (see `open_store`)."""

    def __init__(self, conn: Any, dialect: str, where: str) -> None:
        self.conn, self.dialect, self.where = conn, dialect, where
        self._prepare()

    # ---- plumbing ---------------------------------------------------------------------------------

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.dialect == "postgresql" else sql

    def _rows(self, sql: str, args: tuple = ()) -> list[tuple]:
        cur = self.conn.cursor()
        cur.execute(self._sql(sql), args)
        return cur.fetchall()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Any]:
        """One transaction; SQLite takes its write lock at the start (BEGIN IMMEDIATE)."""
        cur = self.conn.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE" if self.dialect == "sqlite" else "BEGIN")
            yield cur
            self.conn.commit()
        except BaseException:
            self.conn.rollback()
            raise

    def _tables(self) -> set[str]:
        if self.dialect == "sqlite":
            return {r[0] for r in self._rows("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return {r[0] for r in self._rows("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}

    def _version(self) -> int:
        """The schema version the database is at (0: empty); refuses a database that is not a history or
        that a newer compileprof made."""
        tables = self._tables() - {"sqlite_sequence"}
        version = 0
        if "meta" in tables:
            row = self._rows("SELECT value FROM meta WHERE key = 'schema_version'")
            version = int(row[0][0]) if row and str(row[0][0]).isdigit() else -1
        elif tables:
            raise _usage(self.where, f"not a compileprof history: it holds other tables ({', '.join(sorted(tables))})")
        if version < 0:
            raise _usage(self.where, "not a compileprof history: its schema version is unreadable")
        if version > SCHEMA_VERSION:
            raise _usage(self.where, f"a history of schema version {version}, made by a newer compileprof (this one "
                                     f"reads up to {SCHEMA_VERSION}); upgrade compileprof")  # fmt: skip
        return version

    def _prepare(self) -> None:
        """Create the schema in an empty database, migrate an older one, refuse anything else. The
        version is read again under the write lock: processes opening a new history at once create it
        once (the others find it made)."""
        if self._version() == SCHEMA_VERSION:
            return
        with self._transaction() as cur:
            if self.dialect == "postgresql":  # released when the transaction ends
                cur.execute("SELECT pg_advisory_xact_lock(7306183)")
            version = self._version()
            if version == SCHEMA_VERSION:
                return
            for sql in statements(version, self.dialect):
                cur.execute(sql)
            cur.execute(self._sql("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
                                  "SET value = excluded.value"), ("schema_version", str(SCHEMA_VERSION)))  # fmt: skip

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    # ---- writing ----------------------------------------------------------------------------------

    def add(self, point: Point, replace: bool = False) -> int:
        """Record `point` (one transaction: the run and every metric, or nothing). A point of the same
        commit and series already there is a `Conflict` (exit 2) unless `replace`, which removes it."""
        with self._transaction() as cur:
            cur.execute(self._sql("SELECT id FROM runs WHERE commit_sha = ? AND series = ?"), (point.commit, point.key))
            existing = [r[0] for r in cur.fetchall()]
            if existing and not replace:
                raise Conflict(
                    f"{self.where}: commit {point.commit[:12]} already has a point of this series ({point.model} on "
                    f"this machine, run #{existing[0]}); pass --replace to replace it",
                    EXIT_USAGE,
                )
            for old in existing:
                cur.execute(self._sql("DELETE FROM metrics WHERE run_id = ?"), (old,))
                cur.execute(self._sql("DELETE FROM runs WHERE id = ?"), (old,))
            cur.execute(self._sql(
                "INSERT INTO runs (commit_sha, branch, recorded_at, run_at, series, machine_id, machine, environment, "
                "model, options, labels, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"),
                (point.commit, point.branch, point.recorded_at, point.run_at, point.key, point.machine_id,
                 json.dumps(point.machine, sort_keys=True), json.dumps(point.environment, sort_keys=True), point.model,
                 json.dumps(point.options, sort_keys=True), json.dumps(point.labels, sort_keys=True), point.source),
            )  # fmt: skip
            run_id = int(cur.fetchone()[0])
            cur.executemany(
                self._sql("INSERT INTO metrics (run_id, name, kind, value, samples) VALUES (?, ?, ?, ?, ?)"),
                [(run_id, *row) for row in point.metric_rows()],
            )
        point.id = run_id
        return run_id

    # ---- reading ----------------------------------------------------------------------------------

    def _point(self, row: tuple) -> Point:
        r = dict(zip(RUN_COLUMNS, row, strict=True))
        return Point(
            commit=r["commit_sha"], branch=r["branch"], recorded_at=r["recorded_at"], run_at=r["run_at"],
            machine=json.loads(r["machine"]), environment=json.loads(r["environment"]), model=r["model"],
            options=json.loads(r["options"]), labels=json.loads(r["labels"]), source=r["source"], metrics={},
            id=r["id"],
        )  # fmt: skip

    def points(self, series: str | None = None, branch: str | None = None, limit: int | None = None,
               before: int | None = None) -> list[Point]:  # fmt: skip
        """The points of a series (all series when None) on a branch (all branches when None), oldest
        first: the last `limit` of them, recorded before row `before` when given; without metrics."""
        where, args = [], []
        for column, value in (("series", series), ("branch", branch)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if before is not None:
            where.append("id < ?")
            args.append(before)
        sql = f"SELECT {', '.join(RUN_COLUMNS)} FROM runs" + (f" WHERE {' AND '.join(where)}" if where else "")
        sql += " ORDER BY id DESC" + (f" LIMIT {int(limit)}" if limit else "")
        return [self._point(r) for r in reversed(self._rows(sql, tuple(args)))]

    def with_metrics(self, points: list[Point]) -> list[Point]:
        """`points` with their metrics read (in batches of 500 ids)."""
        by_id = {p.id: p for p in points}
        ids = list(by_id)
        for start in range(0, len(ids), 500):
            batch = ids[start : start + 500]
            marks = ", ".join("?" * len(batch))
            sql = f"SELECT run_id, name, kind, samples FROM metrics WHERE run_id IN ({marks})"
            for run_id, name, kind, samples in self._rows(sql, tuple(batch)):
                by_id[run_id].metrics[name] = Metric(name, kind, [float(s) for s in json.loads(samples)])
        return points

    def series_keys(self) -> list[tuple[str, str, str, int]]:
        """Every series: (series, model, machine id, points), the most recently recorded first."""
        rows = self._rows("SELECT series, model, machine_id, COUNT(*), MAX(id) FROM runs GROUP BY series, model, "
                          "machine_id ORDER BY MAX(id) DESC")  # fmt: skip
        return [(r[0], r[1], r[2], int(r[3])) for r in rows]

    def count(self) -> int:
        """How many points the history holds."""
        return int(self._rows("SELECT COUNT(*) FROM runs")[0][0])


def _sqlite(path: Path) -> Store:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        store = Store(_Autocommit(conn), "sqlite", str(path))  # refuses a database that is not a history, untouched
        conn.execute("PRAGMA journal_mode = WAL")  # only then: concurrent readers and a writer
        return store
    except sqlite3.DatabaseError as err:
        raise CompileprofError(
            f"{path}: not a readable history database ({err}); pass another --db", EXIT_NO_DATA
        ) from None


class _Autocommit:
    """A sqlite3 connection in autocommit mode whose transactions are opened by BEGIN: commit and
    rollback are statements, harmless when no transaction is open."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def cursor(self) -> sqlite3.Cursor:
        return self.conn.cursor()

    def commit(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("COMMIT")

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def close(self) -> None:
        self.conn.close()


def _postgres(url: str) -> Store:
    try:
        import psycopg
    except ImportError:
        raise CompileprofError(
            "--db postgresql://...: needs psycopg; install it with pip install 'compileprof[postgres]'", EXIT_USAGE
        ) from None
    shown = url.split("@")[-1]  # never print a password
    try:
        conn = psycopg.connect(url, connect_timeout=10, autocommit=True)
    except psycopg.Error as err:
        raise CompileprofError(
            f"postgresql://...@{shown}: cannot connect ({str(err).strip()[:160]})", EXIT_NO_DATA
        ) from None
    return Store(_PgTransactions(conn), "postgresql", f"postgresql://...@{shown}")


class _PgTransactions:
    """A psycopg connection in autocommit mode whose transactions are opened by BEGIN."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def cursor(self) -> Any:
        return self.conn.cursor()

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.execute("ROLLBACK")

    def close(self) -> None:
        self.conn.close()


@contextlib.contextmanager
def database_errors(where: str) -> Iterator[None]:
    """Turn what the database raises while in use into one line and an exit code: a file that turned out
    not to be a database, or damaged (4); a writer that waited past the busy timeout, a full disk (8)."""
    try:
        yield
    except sqlite3.OperationalError as err:
        text = str(err)
        writing = any(word in text for word in ("locked", "busy", "disk", "readonly"))
        code = EXIT_WRITE if writing else EXIT_NO_DATA
        raise CompileprofError(f"{where}: {text}", code) from None
    except sqlite3.DatabaseError as err:
        raise CompileprofError(f"{where}: not a readable history database ({err})", EXIT_NO_DATA) from None
    except Exception as err:
        if type(err).__module__.startswith("psycopg"):  # psycopg.Error, without importing psycopg here
            raise CompileprofError(f"{where}: {str(err).strip()[:200]}", EXIT_NO_DATA) from None
        raise


def open_store(target: str | Path) -> Store:
    """The history at `target`: a `postgresql://` (or `postgres://`) URL, else a SQLite file path."""
    text = str(target)
    if text.startswith(("postgresql://", "postgres://")):
        return _postgres(text)
    return _sqlite(Path(text))


def now() -> float:
    """The time a point is recorded (epoch seconds)."""
    return time.time()

"""The history database's schema: versioned, with the migrations from each version to the next.

One table of runs (a point each), one of their metrics. The same statements serve SQLite and PostgreSQL:
`{id}` is the auto-increment primary key's type and `{real}` a double, filled in per dialect.
"""

from __future__ import annotations

SCHEMA_VERSION = 1

# MIGRATIONS[v] takes a database at version v to v + 1 (version 0: empty).
MIGRATIONS: list[list[str]] = [
    [
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE runs (
            id {id},
            commit_sha TEXT NOT NULL,
            branch TEXT,
            recorded_at {real} NOT NULL,
            run_at {real},
            series TEXT NOT NULL,
            machine_id TEXT NOT NULL,
            machine TEXT NOT NULL,
            environment TEXT NOT NULL,
            model TEXT NOT NULL,
            options TEXT NOT NULL,
            labels TEXT NOT NULL,
            source TEXT NOT NULL
        )""",
        "CREATE INDEX runs_by_series ON runs (series, branch, id)",
        "CREATE INDEX runs_by_commit ON runs (commit_sha, series)",
        """CREATE TABLE metrics (
            run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            value {real} NOT NULL,
            samples TEXT NOT NULL,
            PRIMARY KEY (run_id, name)
        )""",
        "CREATE INDEX metrics_by_name ON metrics (name, run_id)",
    ],
]

DIALECTS = {
    "sqlite": {"id": "INTEGER PRIMARY KEY AUTOINCREMENT", "real": "REAL"},
    "postgresql": {"id": "BIGSERIAL PRIMARY KEY", "real": "DOUBLE PRECISION"},
}


def statements(from_version: int, dialect: str) -> list[str]:
    """The statements that take a database at `from_version` to SCHEMA_VERSION, in `dialect`."""
    names = DIALECTS[dialect]
    return [sql.format(**names) for step in MIGRATIONS[from_version:] for sql in step]

"""The history: its store (SQLite here; PostgreSQL in tests/e2e), commits from git and CI, the check
against a window of points, change points, every output format, export and import, and bad input."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from compileprof.profiler.errors import CompileprofError
from compileprof.profiler.gate.metrics import COUNT, INSTRUCTIONS, TIME, Metric
from compileprof.profiler.history import store as store_module
from compileprof.profiler.history.model import Point
from compileprof.profiler.history.points import resolve_branch, resolve_commit
from compileprof.profiler.history.store import open_store
from compileprof.profiler.history.trend import all_changes, series_trends
from compileprof.profiler.history.window import Window, check_window
from conftest import FIXTURES, run_cli
from fuzz.validity import check_html, check_json, check_markdown

MACHINE = {"system": "Linux", "machine": "x86_64", "cpu": "Test CPU", "cpu_count": 2, "device": "cpu"}


def point(i: int, compile_s: float, ops: int = 100, model: str = "mlp", branch: str = "main") -> Point:
    """A synthetic point of commit `c{i:04d}`: a compile time (five samples around it) and an op count."""
    samples = [compile_s * (1 + d) for d in (-0.002, -0.001, 0.0, 0.001, 0.002)]
    metrics = {"compile_time_s": Metric("compile_time_s", TIME, samples), "ops": Metric("ops", COUNT, [ops])}
    return Point(f"c{i:04d}", branch, 1e9 + i, 1e9 + i, MACHINE, {"torch": "2.13.0", "python": "3.11"}, model,
                 {"backend": "inductor"}, {}, f"runs/{i}", metrics)  # fmt: skip


def fill(db: Path, values: list[float], ops: list[int] | None = None) -> None:
    store = open_store(db)
    for i, v in enumerate(values):
        store.add(point(i, v, (ops or [100] * len(values))[i]))
    store.close()


def test_points_read_back_as_written(tmp_path):
    db = tmp_path / "h.db"
    store = open_store(db)
    first = point(0, 2.0)
    assert store.add(first) == 1 and first.id == 1
    store.add(point(1, 2.5, 120))
    (a, b) = store.with_metrics(store.points(series=first.key, branch="main"))
    assert (a.commit, b.commit) == ("c0000", "c0001") and b.metrics["ops"].samples == [120.0]
    expected = [2.5 * (1 + d) for d in (-0.002, -0.001, 0, 0.001, 0.002)]
    assert b.metrics["compile_time_s"].samples == pytest.approx(expected)
    assert a.machine == MACHINE and a.environment == {"torch": "2.13.0", "python": "3.11"} and a.key == first.key
    assert store.series_keys() == [(first.key, "mlp", first.machine_id, 2)] and store.count() == 2
    assert store.points(series=first.key, limit=1)[0].commit == "c0001"
    store.close()
    # a second connection sees the same (the file is the history), in WAL mode
    assert open_store(db).count() == 2
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_second_point_of_a_commit_is_refused_and_replace_replaces_it(tmp_path):
    db = tmp_path / "h.db"
    fill(db, [2.0])
    store = open_store(db)
    with pytest.raises(CompileprofError, match="commit c0000 already has a point of this series") as err:
        store.add(point(0, 9.0))
    assert err.value.exit_code == 2 and store.count() == 1  # nothing lost, nothing added
    store.add(point(0, 9.0), replace=True)
    (only,) = store.with_metrics(store.points())
    assert store.count() == 1 and only.metrics["compile_time_s"].value == 9.0


def test_an_add_that_fails_half_way_writes_nothing(tmp_path, monkeypatch):
    db = tmp_path / "h.db"
    fill(db, [2.0])
    store = open_store(db)

    class Broken:
        def __init__(self, cursor):
            self.cursor = cursor

        def __getattr__(self, name):
            return getattr(self.cursor, name)

        def executemany(self, *args):
            raise sqlite3.OperationalError("disk I/O error")

    real = store.conn.cursor
    monkeypatch.setattr(store.conn, "cursor", lambda: Broken(real()))
    with pytest.raises(sqlite3.OperationalError):
        store.add(point(1, 3.0))
    monkeypatch.undo()
    assert store.count() == 1 and len(store.with_metrics(store.points())[0].metrics) == 2


def test_two_writers_at_once_lose_nothing(tmp_path):
    db = tmp_path / "h.db"
    code = (
        "import sys; sys.path.insert(0, 'tests/unit'); sys.path.insert(0, 'tests')\n"
        "from test_history import point\n"
        "from compileprof.profiler.history.store import open_store\n"
        "s = open_store(sys.argv[1]); k = int(sys.argv[2])\n"
        "for i in range(15): s.add(point(k * 100 + i, 1.0))\n"
    )
    root = Path(__file__).resolve().parents[2]
    procs = [subprocess.Popen([sys.executable, "-c", code, str(db), str(k)], cwd=root, stderr=subprocess.PIPE)
             for k in (1, 2, 3, 4)]  # fmt: skip
    # THEN all four, opening a history that did not exist yet at the same time, made it once and lost nothing
    assert [p.wait(120) for p in procs] == [0, 0, 0, 0], [p.stderr.read() for p in procs]
    assert open_store(db).count() == 60


@pytest.mark.parametrize(
    ("make", "code", "words"),
    [(lambda p: p.write_bytes(b"this is not a database" * 100), 4, "not a readable history database"),
     (lambda p: sqlite3.connect(p).execute("CREATE TABLE users (id INTEGER)"), 2, "it holds other tables (users)"),
     (lambda p: (sqlite3.connect(p).execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)"),
                 sqlite3.connect(p).execute("INSERT INTO meta VALUES ('schema_version', '99')").connection.commit()),
      2, "schema version 99, made by a newer compileprof")],
)  # fmt: skip
def test_a_database_that_is_not_a_history_is_one_line(tmp_path, make, code, words):
    db = tmp_path / "h.db"
    make(db)
    before = db.read_bytes()
    result = run_cli("history", "show", "--db", str(db))
    assert result.exit_code == code and words in result.stderr and result.stderr.count("\n") == 1
    assert db.read_bytes() == before  # nothing written into it


def test_an_older_schema_is_migrated(tmp_path, monkeypatch):
    from compileprof.profiler.history import schema

    db = tmp_path / "h.db"
    conn = sqlite3.connect(db)
    for sql in schema.statements(0, "sqlite"):
        conn.execute(sql)
    conn.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    conn.commit()
    # WHEN this compileprof knows a version 2 that adds a column
    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, ["ALTER TABLE runs ADD COLUMN note TEXT"]])
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 2)
    store = open_store(db)
    assert "note" in [r[1] for r in store.conn.cursor().execute("PRAGMA table_info(runs)").fetchall()]
    assert store._rows("SELECT value FROM meta WHERE key = 'schema_version'") == [("2",)]


def _git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@b", "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@b",
           "PATH": "/usr/bin:/bin"}  # fmt: skip
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True).stdout.strip()


def test_commits_and_branches_come_from_the_options_the_ci_or_git(tmp_path, monkeypatch):
    for name in ("GITHUB_SHA", "GITHUB_HEAD_REF", "GITHUB_REF_NAME", "CI_COMMIT_SHA", "CI_COMMIT_REF_NAME",
                 "BUILDKITE_COMMIT", "BUILDKITE_BRANCH", "GIT_COMMIT", "GIT_BRANCH"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "trunk")
    _git(repo, "commit", "-q", "--allow-empty", "-m", "one")
    head = _git(repo, "rev-parse", "HEAD")
    assert resolve_commit(None, repo) == head and resolve_branch(None, repo) == "trunk"
    assert resolve_commit(head[:8], repo) == head  # a short id is expanded
    with pytest.raises(CompileprofError, match="not a commit of the git repository") as err:
        resolve_commit("0123456789abcdef", repo)
    assert err.value.exit_code == 2
    monkeypatch.setenv("GITHUB_SHA", head)
    monkeypatch.setenv("GITHUB_REF_NAME", "feature")
    assert resolve_commit(None, repo) == head and resolve_branch(None, repo) == "feature"
    outside = tmp_path / "outside"
    outside.mkdir()
    assert resolve_commit("deadbeef", outside) == "deadbeef"  # no repository to check it against: as given
    monkeypatch.delenv("GITHUB_SHA")
    with pytest.raises(CompileprofError, match="no commit for this run: pass --commit SHA"):
        resolve_commit(None, outside)


def _window(values: list[float], ops: int = 100) -> Window:
    return Window([point(i, v, ops) for i, v in enumerate(values)], "main")


def _now(value: float, ops: int = 100, samples: list[float] | None = None) -> dict[str, Metric]:
    return {"compile_time_s": Metric("compile_time_s", TIME, samples or [value]), "ops": Metric("ops", COUNT, [ops])}


def test_a_run_like_the_window_passes_and_one_past_it_fails():
    noisy = [10.0 + 0.05 * ((i * 7) % 5 - 2) for i in range(20)]  # 9.9 to 10.1 s
    fp = {}
    ok = check_window(_window(noisy), _now(10.02), [], True, fp)
    assert ok.exit_code == 0 and {v.status for v in ok.verdicts} == {"PASS"}
    # a 6% slowdown is past the minimum effect (5%, inclusive) and far outside the window's noise
    assert check_window(_window(noisy), _now(10.5), [], True, fp).exit_code == 0  # exactly 5%: within
    slow = check_window(_window(noisy), _now(10.6), [], True, fp)
    (t,) = [v for v in slow.verdicts if v.name == "compile_time_s"]
    assert t.status == "REGRESSION" and t.p_value < 1e-6 and slow.exit_code == 1
    assert "compared with 20 earlier points" in slow.notes[0]
    # advisory without --fail-on time
    assert check_window(_window(noisy), _now(10.6), [], False, fp).exit_code == 0
    # a count compares with the latest point exactly
    more = check_window(_window(noisy), _now(10.0, ops=101), [], False, fp)
    assert [v.status for v in more.verdicts if v.name == "ops"] == ["REGRESSION"] and more.exit_code == 1


def test_a_short_or_noisy_window_cannot_decide():
    (t,) = [v for v in check_window(_window([10.0, 10.1, 9.9]), _now(11.0), [], True, {}).verdicts
            if v.name == "compile_time_s"]  # fmt: skip
    assert t.status == "INCONCLUSIVE" and "holds 3 points of it (need 5)" in t.note
    wild = [5.0, 15.0, 8.0, 12.0, 6.0, 14.0, 10.0, 9.0]
    (t,) = [v for v in check_window(_window(wild), _now(11.0), [], True, {}).verdicts if v.name == "compile_time_s"]
    assert t.status == "INCONCLUSIVE" and "p = " in t.note


def test_change_points_name_the_first_commit_after_the_step(tmp_path):
    db = tmp_path / "h.db"
    values = [10.0 + 0.05 * ((i * 7) % 5 - 2) for i in range(8)] + [12.0 + 0.05 * ((i * 3) % 5 - 2) for i in range(7)]
    fill(db, values, ops=[100] * 8 + [140] * 7)
    changes = all_changes(series_trends(open_store(db)))
    by = {c.metric: c for c in changes}
    assert by["compile_time_s"].commit == "c0008" and by["compile_time_s"].previous == "c0007"
    step = by["compile_time_s"].change
    assert step.relative == pytest.approx(0.2, abs=0.01) and step.p_value == 0.001
    assert by["ops"].commit == "c0008" and by["ops"].change.step == 40 and by["ops"].change.p_value == 0.0
    assert all_changes(series_trends(open_store(db)), since="c0008") == []
    result = run_cli("history", "changes", "--db", str(db), "-f", "json")
    found = [(c["metric"], c["commit"]) for c in json.loads(result.stdout)["changes"]]
    assert found == [("ops", "c0008"), ("compile_time_s", "c0008")]


def test_show_in_every_format(tmp_path):
    db = tmp_path / "h.db"
    fill(db, [10.0] * 6 + [12.0] * 6)
    console = run_cli("history", "show", "--db", str(db)).stdout
    assert "mlp on Linux x86_64, Test CPU x2, cpu: 12 points, c0000 .. c0011" in console
    assert "▁▁▁▁▁▁██████" in console and "at c0006 +20.0%" in console
    d = check_json(run_cli("history", "show", "--db", str(db), "-f", "json").stdout_bytes)
    (series,) = d["series"]
    assert [m["name"] for m in series["metrics"]] == ["compile_time_s", "ops"]
    assert series["metrics"][0]["changes"][0]["commit"] == "c0006"
    md = run_cli("history", "show", "--db", str(db), "-f", "markdown", "--metric", "compile*").stdout
    check_markdown(md)
    assert "| `compile_time_s` | 12.00 s | +20.0% |" in md and "`ops`" not in md
    page = tmp_path / "trend.html"
    assert run_cli("history", "show", "--db", str(db), "-o", str(page)).exit_code == 0
    data = check_html(page.read_bytes())
    assert data["kind"] == "trend" and data["series"][0]["metrics"][0]["values"][-1] == 12.0
    assert run_cli("history", "show", "--db", str(db), "-o", str(page)).exit_code == 2  # no --force


def test_export_and_import_move_a_history(tmp_path):
    db = tmp_path / "h.db"
    fill(db, [10.0, 11.0, 12.0], ops=[1, 2, 3])
    for fmt in ("json", "csv"):
        out = tmp_path / f"h.{fmt}"
        assert run_cli("history", "export", "--db", str(db), "-f", fmt, "-o", str(out)).exit_code == 0
        other = tmp_path / f"other_{fmt}.db"
        result = run_cli("history", "import", str(out), "--db", str(other))
        assert result.exit_code == 0 and "imported 3 points" in result.stdout
        again = run_cli("history", "import", str(out), "--db", str(other))
        assert "imported 0 points" in again.stdout and "3 already there, skipped" in again.stdout
        a = json.loads(run_cli("history", "export", "--db", str(db)).stdout)["points"]
        b = json.loads(run_cli("history", "export", "--db", str(other)).stdout)["points"]
        assert a == b
    bad = tmp_path / "bad.json"
    bad.write_text('{"kind": "something"}')
    result = run_cli("history", "import", str(bad), "--db", str(tmp_path / "x.db"))
    assert result.exit_code == 2 and "not a compileprof history export" in result.stderr


def test_add_a_run_and_check_against_the_history(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "h.db"
    result = run_cli("history", "add", str(FIXTURES / "run_mlp"), "--db", str(db), "--commit", "abc123",
                     "--branch", "main", "--label", "runner=ci-1")  # fmt: skip
    assert result.exit_code == 0 and "recorded point #1: commit abc123 (main), mlp, 32 metrics" in result.stdout
    (p,) = open_store(db).with_metrics(open_store(db).points())
    assert p.labels == {"runner": "ci-1"} and p.options["backend"] == "piecewise" and p.machine["cpu_count"] == 2
    assert run_cli("history", "add", str(FIXTURES / "run_mlp"), "--db", str(db), "--commit", "abc123").exit_code == 2
    assert run_cli("history", "add", str(FIXTURES / "run_mlp"), "--db", str(db), "--label", "x").exit_code == 2
    check = run_cli("check", str(FIXTURES / "run_mlp"), "--history", str(db), "-f", "json")
    d = json.loads(check.stdout)
    assert check.exit_code == 0 and {v["status"] for v in d["verdicts"] if v["kind"] == "count"} == {"PASS"}
    assert "compared with 1 earlier points of this series" in d["notes"][0]
    assert "compileprof history add" in run_cli("check", str(FIXTURES / "run_mlp"), "--history", str(db),
                                                "-f", "markdown").stdout  # fmt: skip


def test_a_history_another_process_creates_meanwhile_is_found_made(tmp_path, monkeypatch):
    # GIVEN a process that finds the new history empty, and another that creates it right then
    db = tmp_path / "h.db"
    real = store_module.Store._version
    calls = []

    def racing(self):
        version = real(self)
        if not calls:
            calls.append(version)
            monkeypatch.setattr(store_module.Store, "_version", real)
            open_store(db).close()  # the other process: creates the schema
        return version

    monkeypatch.setattr(store_module.Store, "_version", racing)
    # THEN the first finds it made under the write lock, and does not create it twice
    store = open_store(db)
    assert calls == [0] and store.count() == 0
    store.add(point(0, 1.0))
    assert open_store(db).count() == 1


def test_instruction_counts_are_checked_against_the_latest_point_within_their_tolerance():
    def with_count(i: int, n: float) -> Point:
        p = point(i, 2.0)
        p.metrics["instructions.compile"] = Metric("instructions.compile", INSTRUCTIONS, [n])
        return p

    window = Window([with_count(i, 1e9 + i) for i in range(3)] + [with_count(3, 2e9)], "main")
    fp = {**MACHINE, "torch": "2.13.0", "python": "3.11"}  # the run's environment is the series'
    near = {"instructions.compile": Metric("instructions.compile", INSTRUCTIONS, [2.01e9])}
    far = {"instructions.compile": Metric("instructions.compile", INSTRUCTIONS, [2.03e9])}
    (v,) = [x for x in check_window(window, near, [], False, fp).verdicts if x.name == "instructions.compile"]
    assert (v.status, v.baseline) == ("PASS", 2e9)  # the latest point, not the window's median
    result = check_window(window, far, [], False, fp)
    (v,) = [x for x in result.verdicts if x.name == "instructions.compile"]
    assert (v.status, v.gated, result.exit_code) == ("REGRESSION", True, 1)


def test_a_step_in_ten_points_is_found_whatever_the_seed_and_noise_is_not():
    from compileprof.profiler.history.stats import change_points

    rng = __import__("random").Random(3)
    step = [1.0 + rng.uniform(-0.03, 0.03) for _ in range(5)] + [3.0 + rng.uniform(-0.09, 0.09) for _ in range(5)]
    for seed in range(10):  # five points a side: a perfect step's p is about 0.008 by nature
        (found,) = change_points(step, seed=seed)
        assert found.index == 5 and found.p_value < 0.05
    noise = [1.0 + rng.uniform(-0.03, 0.03) for _ in range(30)]
    assert all(change_points(noise, seed=s) == [] for s in range(10))

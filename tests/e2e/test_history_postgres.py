"""The history in a PostgreSQL database a team shares (`--db postgresql://...`), against a real server
this test starts (Debian's `postgresql`, on the loopback, in a temporary folder) and stops. Skipped,
saying why, where PostgreSQL or psycopg is missing."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import FIXTURES, run_cli

BINARIES = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    if not BINARIES:
        pytest.skip("needs PostgreSQL's server (apt-get install postgresql)")
    pytest.importorskip("psycopg", reason="needs psycopg (pip install 'compileprof[postgres]')")
    bin_dir = BINARIES[-1].parent
    folder = Path(tempfile.mkdtemp(prefix="compileprof-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: the server runs as Debian's postgres user
        shutil.chown(folder, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    data = folder / "data"
    subprocess.run([*as_user, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "compileprof"],
                   check=True, capture_output=True)  # fmt: skip
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
    subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"),
                    "-w", "start"], check=True, capture_output=True)  # fmt: skip
    try:
        yield f"postgresql://compileprof@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                       capture_output=True)  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)


def test_a_shared_history_records_shows_checks_and_moves(postgres, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for commit in ("aaaa1111", "bbbb2222"):
        result = run_cli("history", "add", str(FIXTURES / "run_mlp"), "--db", postgres, "--commit", commit,
                         "--branch", "main")  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "in postgresql://...@127.0.0.1:" in result.stdout  # never the URL's credentials
    again = run_cli("history", "add", str(FIXTURES / "run_mlp"), "--db", postgres, "--commit", "aaaa1111")
    assert again.exit_code == 2 and "already has a point of this series" in again.stderr
    d = json.loads(run_cli("history", "show", "--db", postgres, "-f", "json").stdout)
    (series,) = d["series"]
    assert series["commits"] == ["aaaa1111", "bbbb2222"] and len(series["metrics"]) == 32
    check = run_cli("check", str(FIXTURES / "run_mlp"), "--history", postgres, "-f", "json")
    assert check.exit_code == 0 and "compared with 2 earlier points" in json.loads(check.stdout)["notes"][0]
    # moved to a SQLite file and back, unchanged
    export = tmp_path / "h.csv"
    assert run_cli("history", "export", "--db", postgres, "-f", "csv", "-o", str(export)).exit_code == 0
    local = tmp_path / "h.db"
    assert "imported 2 points" in run_cli("history", "import", str(export), "--db", str(local)).stdout
    a = json.loads(run_cli("history", "export", "--db", postgres).stdout)["points"]
    b = json.loads(run_cli("history", "export", "--db", str(local)).stdout)["points"]
    assert a == b


def test_writers_at_once_lose_nothing(postgres, tmp_path):
    code = (
        "import sys; sys.path[:0] = ['tests/unit', 'tests']\n"
        "from test_history import point\n"
        "from compileprof.profiler.history.store import open_store\n"
        "s = open_store(sys.argv[1]); k = int(sys.argv[2])\n"
        "for i in range(20): s.add(point(k * 1000 + i, 1.0))\n"
    )
    root = Path(__file__).resolve().parents[2]
    procs = [subprocess.Popen([sys.executable, "-c", code, postgres, str(k)], cwd=root, stderr=subprocess.PIPE)
             for k in (1, 2, 3)]  # fmt: skip
    assert [p.wait(120) for p in procs] == [0, 0, 0], [p.stderr.read() for p in procs]
    from compileprof.profiler.history.store import open_store

    assert open_store(postgres).count() == 2 + 60  # the two points of the test before, then these


def test_an_unreachable_server_and_a_database_of_other_tables_are_one_line(postgres):
    import psycopg

    closed = f"postgresql://compileprof@127.0.0.1:{_free_port()}/postgres"
    result = run_cli("history", "show", "--db", closed)
    assert result.exit_code == 4 and "cannot connect" in result.stderr and result.stderr.count("\n") == 1
    other = postgres.rsplit("/", 1)[0] + "/other"
    with psycopg.connect(postgres, autocommit=True) as conn:
        conn.execute("CREATE DATABASE other")
    with psycopg.connect(other, autocommit=True) as conn:
        conn.execute("CREATE TABLE users (id INTEGER)")
    result = run_cli("history", "show", "--db", other)
    assert result.exit_code == 2 and "it holds other tables (users)" in result.stderr

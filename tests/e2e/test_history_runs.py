"""A history built from real runs at ten commits of a scratch git repository: the model grows from 2 to
40 layers at the sixth commit (a compile about 3x slower, 20x the ops). `run --history` records each
run with the commit and branch git gives; `show` and the trend page draw it, `changes` finds the step
at the right commit, `check --history` passes a run like the window and fails one past it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import run_cli
from fuzz.validity import check_html

MODELS = """
import torch

LAYERS = {layers}


def build(batch=4, width=32, layers=None, **kwargs):
    mods = []
    for _ in range(layers or LAYERS):
        mods += [torch.nn.Linear(width, width), torch.nn.GELU()]
    return torch.nn.Sequential(*mods), (torch.randn(batch, width),)
"""
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid"}  # fmt: skip
CI = ("GITHUB_SHA", "GITHUB_HEAD_REF", "GITHUB_REF_NAME", "CI_COMMIT_SHA", "CI_COMMIT_REF_NAME", "BUILDKITE_COMMIT",
      "BUILDKITE_BRANCH", "GIT_COMMIT", "GIT_BRANCH")  # fmt: skip


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True).stdout.strip()


def run_at(repo: Path, db: Path, label: str, *extra: str):
    return run_cli("run", "models.py:build", "--backend", "aot_eager", "--calls", "2", "--quiet",
                   "--out", str(repo.parent / "runs" / label), "--history", str(db), *extra)  # fmt: skip


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    if shutil.which("git") is None:
        pytest.skip("needs git")
    root = tmp_path_factory.mktemp("history")
    repo, db = root / "repo", root / "history.db"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    saved = {k: os.environ.pop(k) for k in CI if k in os.environ}  # git, not the CI, names the commits here
    here = Path.cwd()
    os.chdir(repo)
    commits = []
    try:
        for i in range(10):
            (repo / "models.py").write_text(MODELS.format(layers=2 if i < 5 else 40))
            git(repo, "add", "models.py")
            git(repo, "commit", "-q", "--allow-empty", "-m", f"commit {i}")
            commits.append(git(repo, "rev-parse", "HEAD"))
            result = run_at(repo, db, f"c{i}")
            assert result.exit_code == 0, result.output
            assert f"recorded point #{i + 1}: commit {commits[-1][:12]} (main)" in result.stderr
        yield repo, db, commits
    finally:
        os.chdir(here)
        os.environ.update(saved)


def test_changes_find_the_step_at_the_commit_that_made_it(history):
    _repo, db, commits = history
    d = json.loads(run_cli("history", "changes", "--db", str(db), "-f", "json").stdout)
    by = {c["metric"]: c for c in d["changes"]}
    # THEN the op count steps exactly at the sixth commit, 4 -> 80, and so does the compile time (measured)
    assert (by["ops"]["commit"], by["ops"]["before"], by["ops"]["after"]) == (commits[5], 4, 80)
    assert by["compile_time_s"]["commit"] == commits[5] and by["compile_time_s"]["previous"] == commits[4]
    assert by["compile_time_s"]["relative"] > 1.0 and by["compile_time_s"]["p_value"] < 0.05
    text = run_cli("history", "changes", "--db", str(db)).stdout
    assert commits[5][:12] in text and "compile_time_s" in text


def test_show_and_the_trend_page_draw_the_history(history, tmp_path):
    _repo, db, commits = history
    console = run_cli("history", "show", "--db", str(db), "--metric", "compile_time_s").stdout
    assert "10 points" in console and f"at {commits[5][:8]} +" in console
    page = tmp_path / "trend.html"
    assert run_cli("history", "show", "--db", str(db), "-o", str(page)).exit_code == 0
    data = check_html(page.read_bytes())
    (series,) = data["series"]
    assert series["commits"] == commits and series["branch"] is None
    from test_browser import CHROMIUM, FLAGS, shoot

    if CHROMIUM is None:
        pytest.skip("the trend page in a browser needs Chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
        pg = context.new_page()
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        pg.goto(page.resolve().as_uri())
        # the metrics that changed come first, the largest step first: a count that jumped 20x leads
        assert "changed at" in pg.locator("section.series h3").first.inner_text()
        chart = pg.locator("svg[data-metric='compile_time_s']")
        assert chart.locator("circle.point").count() == 10
        assert chart.locator("line.change-point").first.get_attribute("data-commit") == commits[5]
        chart.locator("circle.point").nth(7).hover()
        assert commits[7] in pg.locator("#tip").inner_text()
        pg.evaluate("window.scrollTo(0, 0)")
        shoot(pg, tmp_path, "trend.png")
        browser.close()
    assert errors == []


def test_check_against_the_history_passes_a_like_run_and_fails_one_past_it(history):
    repo, db, _commits = history
    # a run like the window's last five points (40 layers): counts as the latest, times within the window
    git(repo, "commit", "-q", "--allow-empty", "-m", "like")
    like = run_cli("run", "models.py:build", "--backend", "aot_eager", "--calls", "2", "--quiet",
                   "--out", str(repo.parent / "runs" / "like"))  # fmt: skip
    assert like.exit_code == 0, like.output
    # (its times are advisory here: a machine busier now than when the window was recorded is slower)
    result = run_cli("check", str(repo.parent / "runs" / "like"), "--history", str(db), "--window", "5",
                     "-f", "json")  # fmt: skip
    d = json.loads(result.stdout)
    by = {v["name"]: v for v in d["verdicts"]}
    assert result.exit_code == 0, [v for v in d["verdicts"] if v["status"] not in ("PASS", "NEW")]
    assert all(v["status"] == "PASS" for v in d["verdicts"] if v["kind"] == "count")
    assert by["ops"]["status"] == "PASS" and by["ops"]["baseline"] == 80
    assert "compared with 5 earlier points of this series" in d["notes"][0]
    # a run past it: a commit that makes the model 4x bigger again, the same series (the same model and
    # options); 4x, not 2x, so that one slow point of the window (a busy CI machine) cannot hide it
    (repo / "models.py").write_text(MODELS.format(layers=160))
    git(repo, "commit", "-q", "-am", "past")
    past = run_cli("run", "models.py:build", "--backend", "aot_eager", "--calls", "2", "--quiet",
                   "--out", str(repo.parent / "runs" / "past"))  # fmt: skip
    assert past.exit_code == 0, past.output
    result = run_cli("check", str(repo.parent / "runs" / "past"), "--history", str(db), "--window", "5",
                     "--fail-on", "time", "-f", "json")  # fmt: skip
    d = json.loads(result.stdout)
    by = {v["name"]: v for v in d["verdicts"]}
    assert result.exit_code == 1
    assert (by["ops"]["status"], by["ops"]["baseline"], by["ops"]["current"]) == ("REGRESSION", 80, 320)
    assert by["compile_time_s"]["status"] == "REGRESSION" and by["compile_time_s"]["p_value"] < 0.01

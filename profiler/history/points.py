"""A run (or trace) made into a history point: its metrics (the set `check` gates), the machine it ran on,
what was compiled how, and the commit and branch it belongs to.

The commit and branch are the ones given; else a CI's (GitHub Actions, GitLab CI, Buildkite, Jenkins);
else git's, in the working directory. A commit is checked against git when the working directory is a
repository (a short or mistyped one is refused, a short one is expanded to the full hash).
"""

from __future__ import annotations

import os
import subprocess
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import EXIT_NO_DATA, EXIT_USAGE, CompileprofError
from ..gate.samples import gather
from ..model.run import RunManifest, read_manifest
from .model import Point
from .store import now

# (commit variable, branch variables) of the CIs people run compileprof in, in the order tried.
CI_VARIABLES = (
    ("GITHUB_SHA", ("GITHUB_HEAD_REF", "GITHUB_REF_NAME")),  # a pull request's head branch first
    ("CI_COMMIT_SHA", ("CI_COMMIT_REF_NAME",)),  # GitLab
    ("BUILDKITE_COMMIT", ("BUILDKITE_BRANCH",)),
    ("GIT_COMMIT", ("GIT_BRANCH",)),  # Jenkins
)


def _git(args: list[str], cwd: Path) -> str | None:
    """git's answer in `cwd` (None: git is missing, `cwd` is no repository, or git said no)."""
    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else None


def resolve_commit(given: str | None, cwd: Path) -> str:
    """The commit of the run: `given` (checked and expanded by git when `cwd` is a repository), else the
    CI's, else `git rev-parse HEAD`. Raises `CompileprofError` (exit 2) when none can be had or git does
    not know the one given."""
    in_repo = _git(["rev-parse", "--git-dir"], cwd) is not None
    commit = given or next((os.environ[v] for v, _ in CI_VARIABLES if os.environ.get(v)), None)
    if commit is None:
        commit = _git(["rev-parse", "HEAD"], cwd) if in_repo else None
        if commit is None:
            raise CompileprofError(
                "no commit for this run: pass --commit SHA (the working directory is not a git repository with "
                "a commit, and no CI variable such as GITHUB_SHA names one)",
                EXIT_USAGE,
            )
        return commit
    commit = commit.strip()
    if not commit or any(c.isspace() for c in commit) or len(commit) > 200:
        raise CompileprofError(f"--commit {commit[:60]!r}: not a commit id", EXIT_USAGE)
    if in_repo:
        full = _git(["rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}"], cwd)
        if full is None:
            raise CompileprofError(
                f"--commit {commit}: not a commit of the git repository at {cwd}; pass the commit the run was made "
                "at (or record from outside the repository to take it as given)",
                EXIT_USAGE,
            )
        return full
    return commit


def resolve_branch(given: str | None, cwd: Path) -> str | None:
    """The branch: `given`, else the CI's, else git's current branch (None when detached or unknown)."""
    if given:
        return given
    for _, names in CI_VARIABLES:
        for name in names:
            if os.environ.get(name):
                return os.environ[name]
    branch = _git(["rev-parse", "--abbrev-ref", "HEAD"], cwd)
    return branch if branch and branch != "HEAD" else None


def _started(manifest: RunManifest | None, first_s: float | None) -> float | None:
    """When the run started: its manifest's `started`, else its first record's time."""
    if manifest is not None and manifest.started:
        try:
            return datetime.strptime(manifest.started, "%Y-%m-%dT%H:%M:%S%z").timestamp()
        except ValueError:
            pass
    return first_s


def machine_of(manifest: RunManifest | None, device: str | None) -> dict[str, Any]:
    """What tells machines apart: OS, architecture and CPU model (older manifests: the platform's first
    word), CPU count, and the device the code ran on."""
    if manifest is None:
        return {"device": device}
    host = manifest.host or {}
    system = host.get("system") or (manifest.platform or "").split("-")[0] or None
    return {"system": system, "machine": host.get("machine"), "cpu": host.get("cpu"), "cpu_count": manifest.cpu_count,
            "device": manifest.device_name or manifest.device}  # fmt: skip


def options_of(manifest: RunManifest | None) -> dict[str, Any]:
    """What was asked of the compile, as far as it changes what is compiled and measured."""
    if manifest is None:
        return {}
    return {"backend": manifest.backend, "backend_options": manifest.backend_options, "device": manifest.device,
            "threads": manifest.threads, "cache": manifest.cache, "factory_kwargs": manifest.factory_kwargs,
            "measure": manifest.measure}  # fmt: skip


def point_of(path: Path, commit: str, branch: str | None, labels: dict[str, str], jobs: int | None = None) -> Point:
    """The point of a run directory or trace: its metrics, machine, environment, model and options.
    Raises `CompileprofError` (exit 4) for a run that did not finish or holds no metric."""
    metrics, fp, reports = gather([path], jobs)
    return point_from(path, metrics, fp, reports, commit, branch, labels)


def point_from(path: Path, metrics: dict[str, Any], fp: dict[str, Any], reports: list[Any], commit: str,
               branch: str | None, labels: dict[str, str]) -> Point:  # fmt: skip
    """The point of `path` from its gathered metrics, fingerprint and reports (see `gate.samples.gather`)."""
    if not metrics or not reports or not reports[0].compiles:
        raise CompileprofError(f"{path}: no compile in it, so no metric to record", EXIT_NO_DATA)
    report = reports[0]
    manifest = read_manifest(path) if path.is_dir() else None
    first = min((t.first_s for t in report.traces if t.first_s is not None), default=None)
    model = (manifest.model or {}).get("label") if manifest else None
    environment = {"python": fp.get("python"), "torch": fp.get("torch"), "compileprof": __version__}
    return Point(
        commit=commit, branch=branch, recorded_at=now(), run_at=_started(manifest, first),
        machine=machine_of(manifest, report.device), environment=environment, model=model or path.name,
        options=options_of(manifest), labels=labels, source=str(path), metrics=metrics,
    )  # fmt: skip


def current_commit(cwd: Path) -> str | None:
    """The commit a run being checked belongs to, when the CI or git says (None: unknown)."""
    try:
        return resolve_commit(None, cwd)
    except CompileprofError:
        return None


def short_time(epoch: float | None) -> str:
    """`2026-12-07 13:05` (local time), or `-`."""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(epoch)) if epoch else "-"

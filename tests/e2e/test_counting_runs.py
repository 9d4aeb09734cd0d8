"""`run --count instructions` on real compiles under valgrind's callgrind: two runs of the same compile
count within 1% of each other, and a compile that does more work (a larger model) moves the count past
the tolerance so `check` fails it. Each child runs under valgrind (a minute or two each)."""

from __future__ import annotations

import json
import shutil
import textwrap

import pytest
from compileprof.profiler.errors import EXIT_OK, EXIT_REGRESSION
from compileprof.profiler.model.instructions import OUTSIDE
from conftest import run_cli

pytestmark = pytest.mark.skipif(
    shutil.which("valgrind") is None, reason="valgrind is not installed (apt-get install valgrind; .ci/run does)"
)

FACTORY = textwrap.dedent(
    """
    import torch

    def build(batch=2, layers=2, **kwargs):
        torch.manual_seed(0)
        blocks = [m for _ in range(int(layers)) for m in (torch.nn.Linear(16, 16), torch.nn.ReLU())]
        return torch.nn.Sequential(*blocks), (torch.randn(batch, 16),)
    """
)


def _count(out, spec, *args):
    result = run_cli("run", spec, "--backend", "aot_eager", "--count", "instructions", "--out", str(out), "--quiet",
                     *args)  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads((out / "manifest.json").read_text())


@pytest.fixture(scope="module")
def counted(tmp_path_factory):
    """The same compile counted twice (--repeat 2, per phase), and a larger model counted once."""
    root = tmp_path_factory.mktemp("counting")
    (root / "net.py").write_text(FACTORY)
    spec = f"{root / 'net.py'}:build"
    base = _count(root / "base", spec, "--count-phases", "--repeat", "2")
    bigger = _count(root / "bigger", spec, "--model-arg", "layers=8")
    return root, base, bigger


def test_two_runs_of_one_compile_count_within_one_percent(counted):
    root, base, _ = counted
    a, b = (base["children"][k]["instructions"] for k in ("cold", "cold2"))
    print(f"aot_eager compile step: {a['compile']:,} and {b['compile']:,} instructions")
    assert a["compile"] > 10_000_000 and abs(a["compile"] - b["compile"]) / a["compile"] < 0.01
    phases = a["phases"]
    assert phases[OUTSIDE] + phases["dynamo"] == a["compile"]  # the top of the tree adds up to the step
    assert {"dynamo/bytecode_tracing", "dynamo/backend_compile", "dynamo/build_guards"} <= set(phases)
    assert phases["dynamo/backend_compile"] < phases["dynamo"]
    assert [p.name for p in (root / "base" / "cold").glob("callgrind*")] == []  # the dumps were read and removed
    report = json.loads((root / "base" / "report.json").read_text())
    assert report["instructions"]["samples"] == [a["compile"], b["compile"]] and report["instructions"]["spread"] < 0.01


def test_check_fails_a_compile_that_does_more_work(counted, tmp_path):
    root, _, bigger = counted
    baseline = tmp_path / "baseline.json"
    assert run_cli("check", str(root / "base"), "--baseline", str(baseline), "--update-baseline").exit_code == 0
    same = run_cli("check", str(root / "base"), "--baseline", str(baseline), "--format", "json")
    assert same.exit_code == EXIT_OK, same.output
    grown = run_cli("check", str(root / "bigger"), "--baseline", str(baseline), "--format", "json")
    assert grown.exit_code == EXIT_REGRESSION, grown.output
    verdict = next(v for v in json.loads(grown.stdout)["verdicts"] if v["name"] == "instructions.compile")
    assert verdict["status"] == "REGRESSION" and verdict["gated"] and verdict["rel_change"] > 0.01
    assert verdict["current"] == bigger["children"]["cold"]["instructions"]["compile"]

"""`run --count instructions` without valgrind: the parent's refusals, the child's collection switches
(no-ops outside valgrind), the counts read from callgrind's dump files, the manifest, the report in every
format and the gate. tests/e2e/test_counting_runs.py counts real compiles under valgrind."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from compileprof.profiler.build import build_report
from compileprof.profiler.errors import EXIT_USAGE, CompileprofError
from compileprof.profiler.gate.compare import IMPROVEMENT, PASS, REGRESSION, SKIPPED, compare
from compileprof.profiler.gate.metrics import INSTRUCTIONS, Metric, merge_samples, report_metrics
from compileprof.profiler.gate.samples import gather
from compileprof.profiler.model.instructions import OUTSIDE, Instructions
from compileprof.profiler.model.run import read_manifest
from compileprof.profiler.render.html_report import page_data
from compileprof.profiler.render.instructions_view import phase_rows
from compileprof.profiler.render.json_report import report_to_dict
from compileprof.profiler.render.markdown import render_markdown
from compileprof.profiler.run import counting, runner
from conftest import FIXTURES, run_cli
from fuzz.validity import check_html, check_markdown

# dump i holds the instructions between boundary i - 1 and boundary i (see counting.phase_counts)
BOUNDARIES = [["B", "dynamo"], ["B", "bytecode_tracing"], ["E", "bytecode_tracing"], ["B", "backend_compile"],
              ["B", "create_aot_dispatcher_function"], ["E", "create_aot_dispatcher_function"],
              ["E", "backend_compile"], ["E", "dynamo"]]  # fmt: skip
COUNTS = [10, 100, 20, 5, 30, 40, 7, 3, 9]
PHASES = {
    OUTSIDE: 19, "dynamo": 205, "dynamo/bytecode_tracing": 20, "dynamo/backend_compile": 77,
    "dynamo/backend_compile/create_aot_dispatcher_function": 40,
}  # fmt: skip


def test_each_dump_goes_to_the_innermost_open_phase_and_every_ancestor():
    got = counting.phase_counts(BOUNDARIES, COUNTS)
    assert got == PHASES
    assert got[OUTSIDE] + got["dynamo"] == sum(COUNTS)  # the top level adds up to the compile step


def test_an_end_closes_what_was_opened_inside_it_and_a_stray_end_is_ignored():
    boundaries = [["E", "code_gen"], ["B", "dynamo"], ["B", "inductor_compile"], ["E", "dynamo"]]
    got = counting.phase_counts(boundaries, [1, 2, 4, 8, 16])
    assert got == {OUTSIDE: 1 + 2 + 16, "dynamo": 4 + 8, "dynamo/inductor_compile": 8}


def _dump(directory: Path, pid: int, part: int | None, total: int, summary: int | None = None) -> None:
    head = f"part: {part}\n" if part is not None else ""
    text = f"version: 1\ncreator: callgrind\n{head}events: Ir\nsummary: {total if summary is None else summary}\n"
    (directory / f"{counting.OUT_NAME}.{pid}.{part}").write_text(text + f"fn=(1) f\n0 {total}\ntotals: {total}\n")


def test_counts_are_read_in_part_order_and_the_dump_files_removed(tmp_path):
    for part, n in enumerate(COUNTS, start=1):
        _dump(tmp_path, 77, part, n)
    for part in range(10, 12):  # parts 10-12: a sort by text would put them before part 2
        _dump(tmp_path, 77, part, 0)
    _dump(tmp_path, 77, 12, 0, summary=2**64 - 224)  # the exit dump of a child instrumented late: summary wrapped
    (tmp_path / counting.BOUNDARIES).write_text(json.dumps({"boundaries": BOUNDARIES + [["E", "stray"]] * 3}))
    (tmp_path / counting.HELPER).write_bytes(b"\x7fELF")
    got = counting.read_counts(tmp_path)
    assert got["compile"] == sum(COUNTS) and got["dumps"] == 12 and got["phases"] == PHASES
    assert got["tool"] == "callgrind" and got["event"] == "Ir" and "C++ compiler" in got["not_counted"]
    assert got["environment"]["PYTHONHASHSEED"] == "0"
    assert list(tmp_path.iterdir()) == []


def test_a_child_that_left_no_dump_has_no_count(tmp_path):
    (tmp_path / f"{counting.OUT_NAME}.5").write_text("no part line here\n")
    assert counting.read_counts(tmp_path) is None


class _FakeC:
    def __init__(self, calls: list[str]) -> None:
        self.calls = calls

    def _valgrind_toggle(self) -> None:
        self.calls.append("toggle")

    def _valgrind_toggle_and_dump_stats(self) -> None:
        self.calls.append("dump")

    def _valgrind_supported_platform(self) -> bool:
        return True


class _Logger:
    def log_event_start(self, name: str) -> str:
        return f"start {name}"

    def log_event_end(self, name: str) -> str:
        return f"end {name}"


class _FakeTorch:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self._C = _FakeC(self.calls)
        self._dynamo = type("D", (), {"utils": type("U", (), {"ChromiumEventLogger": _Logger})})


def test_collection_switches_on_for_the_step_and_dumps_at_each_phase_boundary(tmp_path):
    torch = _FakeTorch()
    original = _Logger.log_event_start
    with counting.Collection(torch, tmp_path, phases=True) as c:
        assert c.supported() and torch.calls == ["toggle"]
        logger = _Logger()
        assert logger.log_event_start("dynamo") == "start dynamo"  # the original still runs
        logger.log_event_start("not_a_counted_phase")
        assert logger.log_event_end("dynamo") == "end dynamo"
    assert torch.calls == ["toggle", "dump", "toggle", "dump", "toggle", "dump"]
    written = json.loads((tmp_path / counting.BOUNDARIES).read_text())
    assert written == {"boundaries": [["B", "dynamo"], ["E", "dynamo"]]}
    assert _Logger.log_event_start is original  # torch's logger is left as it was


def test_without_phases_the_compile_is_one_dump_and_torch_is_not_touched(tmp_path):
    torch = _FakeTorch()
    with counting.Collection(torch, tmp_path, phases=False):
        _Logger().log_event_start("dynamo")
    assert torch.calls == ["toggle", "dump"] and not (tmp_path / counting.BOUNDARIES).exists()


@pytest.mark.skipif(shutil.which("cc") is None or not Path("/usr/include/valgrind/callgrind.h").is_file(),
                    reason="needs a C compiler and valgrind's callgrind.h (apt-get install valgrind)")  # fmt: skip
def test_the_instrumentation_helper_builds_and_is_a_no_op_outside_valgrind(tmp_path):
    helper = counting.build_helper(tmp_path)
    assert helper is not None and helper.name == counting.HELPER
    torch = _FakeTorch()
    with counting.Collection(torch, tmp_path, phases=False, helper=str(helper)):
        pass
    assert torch.calls == ["toggle", "dump"] and [p.name for p in tmp_path.iterdir()] == [counting.HELPER]
    assert "--instr-atstart=no" in counting.command("valgrind", tmp_path, instrument_at_start=False)
    assert "--instr-atstart=yes" in counting.command("valgrind", tmp_path, instrument_at_start=True)


def test_no_helper_without_a_compiler(tmp_path, monkeypatch):
    monkeypatch.setattr(counting.shutil, "which", lambda name: None)
    assert counting.build_helper(tmp_path) is None and list(tmp_path.iterdir()) == []


# ---- the parent's refusals: exit 2, before any child (and before the run directory) ----------------


def _no_child(*args, **kwargs):
    raise AssertionError("a child was started")


@pytest.mark.parametrize(
    ("args", "says"),
    [(["--count-phases"], "give it with --count instructions"),
     (["--count", "instructions", "--measure", "asserts"], "give --measure in a run of its own"),
     (["--count", "instructions", "--device", "cuda"], "needs --device cpu"),
     (["--count", "cycles"], "cycles")],
)  # fmt: skip
def test_options_that_cannot_count_are_refused_before_anything_runs(args, says, tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "run_child", _no_child)
    out = tmp_path / "run"
    result = run_cli("run", "mlp", "--out", str(out), *args)
    assert result.exit_code == EXIT_USAGE and says in result.output and not out.exists()


def test_without_valgrind_one_line_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "run_child", _no_child)
    monkeypatch.setattr(counting.shutil, "which", lambda name: None)
    out = tmp_path / "run"
    result = run_cli("run", "mlp", "--out", str(out), "--count", "instructions")
    assert result.exit_code == EXIT_USAGE and not out.exists()
    assert "apt-get install valgrind" in result.stderr and "Traceback" not in result.output
    assert result.stderr.count("compileprof: error:") == 1
    with pytest.raises(CompileprofError) as err:
        counting.require_valgrind()
    assert err.value.exit_code == EXIT_USAGE


# ---- a counted run: manifest, report, formats, gate ------------------------------------------------

COLD = {"tool": "callgrind", "event": "Ir", "compile": 2_000_000_000, "dumps": 9, "phases": {
    OUTSIDE: 900_000_000, "dynamo": 1_100_000_000, "dynamo/bytecode_tracing": 500_000_000,
    "dynamo/backend_compile": 450_000_000, "dynamo/backend_compile/create_aot_dispatcher_function": 150_000_000},
    "counted": "the compile step", "not_counted": "the C++ compiler <script>alert(1)</script> | pipe",
    "environment": {"PYTHONHASHSEED": "0"}}  # fmt: skip


def counted_run(tmp_path: Path, compile_counts: tuple[int, ...] = (2_000_000_000, 2_001_000_000)) -> Path:
    """tests/fixtures/run_mlp made a counted run with `len(compile_counts)` children of the cold series."""
    run = tmp_path / f"run{len(list(tmp_path.iterdir()))}"
    shutil.copytree(FIXTURES / "run_mlp", run)
    manifest = json.loads((run / "manifest.json").read_text())
    for i, n in enumerate(compile_counts):
        label = "cold" if i == 0 else f"cold{i + 1}"
        if i:
            shutil.copytree(run / "cold", run / label)
            manifest["children"][label] = {**manifest["children"]["cold"], "directory": label,
                                           "trace": f"{label}/trace"}  # fmt: skip
        manifest["children"][label]["instructions"] = {**COLD, "compile": n}
    manifest.update(count="instructions", repeat=len(compile_counts))
    (run / "manifest.json").write_text(json.dumps(manifest))
    return run


def test_the_manifest_keeps_each_childs_count_and_the_report_their_spread(tmp_path):
    run = counted_run(tmp_path)
    manifest = read_manifest(run)
    assert manifest.count == "instructions" and manifest.children["cold2"].instructions["compile"] == 2_001_000_000
    report = build_report(run)
    ins = report.instructions
    assert ins.compile == 2_000_000_000 and ins.samples == [2_000_000_000, 2_001_000_000]
    assert ins.spread == pytest.approx(0.0005) and ins.top_phases == {"dynamo": 1_100_000_000, OUTSIDE: 900_000_000}


def test_a_damaged_count_in_the_manifest_is_named(tmp_path):
    run = counted_run(tmp_path, (5,))
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["children"]["cold"]["instructions"]["compile"] = "many"
    (run / "manifest.json").write_text(json.dumps(manifest))
    assert "children.cold.instructions.compile" in (build_report(run).manifest_error or "")


def test_every_format_shows_the_counts_beside_the_traced_time(tmp_path):
    report = build_report(counted_run(tmp_path))
    rows = phase_rows(report.instructions, report.phases)
    assert [r[0] for r in rows] == ["dynamo", "  bytecode_tracing", "  backend_compile",
                                    "    create_aot_dispatcher_function", OUTSIDE]  # fmt: skip
    assert rows[0][1:3] == (1_100_000_000, 0.55) and rows[0][3] == report.phases["dynamo"] and rows[-1][3] is None
    md = render_markdown(report)
    check_markdown(md)
    assert "2,000,000,000 instructions" in md and "spread of 0.050%" in md and "<script>" not in md
    doc = report_to_dict(report)
    assert doc["instructions"]["compile"] == 2_000_000_000 and doc["instructions"]["spread"] == pytest.approx(0.0005)
    data = page_data(report)
    assert data["instructions_view"]["rows"][0][:2] == ["dynamo", 1_100_000_000]
    dynamo = next(n for n in data["flame"]["children"] if n["name"] == "dynamo")
    assert dynamo["instructions"] == 1_100_000_000
    result = run_cli("report", str(tmp_path / "run0"), "-f", "html")
    check_html(result.stdout_bytes)
    console = " ".join(run_cli("report", str(tmp_path / "run0")).stdout.split())
    assert "1,100,000,000" in console and "compare the instructions, not the seconds" in console


def test_no_instructions_anywhere_in_a_run_that_was_not_counted():
    report = build_report(FIXTURES / "run_mlp")
    assert report.instructions is None and report_to_dict(report)["instructions"] is None
    assert not [k for k in report_metrics(report) if k.startswith("instructions")]


def test_the_gate_takes_each_repeat_as_a_sample_of_the_count(tmp_path):
    metrics, _, _ = gather([counted_run(tmp_path, (100, 103, 101))])
    m = metrics["instructions.compile"]
    assert m.kind == INSTRUCTIONS and m.samples == [100.0, 103.0, 101.0] and m.value == 101.0
    assert metrics["instructions.phase.dynamo.backend_compile"].value == 450_000_000


def _gate(base: float, now: float, layers: list | None = None, fp_now: dict | None = None):
    b = {"instructions.compile": Metric("instructions.compile", INSTRUCTIONS, [base])}
    c = {"instructions.compile": Metric("instructions.compile", INSTRUCTIONS, [now])}
    fp = {"torch": "2.13"}
    return compare(b, c, layers or [], fp, fp_now or fp, fail_on_time=False)


@pytest.mark.parametrize(
    ("now", "status", "code"),
    [(1_010_000_000, PASS, 0), (990_000_000, PASS, 0), (1_010_000_001, REGRESSION, 1),
     (989_999_999, IMPROVEMENT, 3)],
)  # fmt: skip
def test_counts_gate_at_one_percent_both_ways_from_one_run_each(now, status, code):
    result = _gate(1_000_000_000, now)
    (v,) = result.verdicts
    assert (v.status, v.gated, result.exit_code) == (status, True, code)
    assert v.tolerance == {"abs": 0.0, "rel": 0.01}


def test_the_tolerance_is_configurable_per_metric_and_per_kind():
    assert _gate(100, 104, [{"instructions": {"rel": 0.05}}]).verdicts[0].status == PASS
    assert _gate(100, 104, [{"instructions.*": {"rel": 0.03}}]).verdicts[0].status == REGRESSION
    assert _gate(100, 104, [{"instructions": {"rel": 0.03}}, {"instructions.compile": {"rel": 0.05}}]).exit_code == 0


def test_counts_from_another_torch_are_not_compared():
    result = _gate(100, 200, fp_now={"torch": "2.14"})
    assert result.verdicts[0].status == SKIPPED and result.exit_code == 0
    assert "instruction comparisons skipped" in result.notes[0]


def test_repeated_counts_are_samples_not_a_disagreement():
    a = {"instructions.compile": Metric("instructions.compile", INSTRUCTIONS, [100.0])}
    b = {"instructions.compile": Metric("instructions.compile", INSTRUCTIONS, [102.0])}
    assert merge_samples([a, b])["instructions.compile"].samples == [100.0, 102.0]


def test_a_count_of_none_is_no_count():
    assert Instructions.of(None) is None and Instructions.of({"compile": "x"}) is None
    assert Instructions.of({"compile": 7}).spread is None


def test_hostile_phase_names_in_a_manifest_stay_text_in_every_format(tmp_path):
    run = counted_run(tmp_path, (10,))
    manifest = json.loads((run / "manifest.json").read_text())
    hostile = "dynamo/<img src=x onerror=alert(1)>|`x`\n# head\x1b[31m"
    manifest["children"]["cold"]["instructions"]["phases"][hostile] = 5
    (run / "manifest.json").write_text(json.dumps(manifest))
    report = build_report(run)
    md = render_markdown(report)
    check_markdown(md)  # the name shows as text (in a code span), nothing opens
    assert "\x1b" not in md
    check_html(run_cli("report", str(run), "-f", "html").stdout_bytes)
    console = run_cli("report", str(run)).stdout
    assert "\x1b[31m" not in console and "onerror" in console  # shown, as text
    assert not [k for k in report_metrics(report) if "<" in k or "\n" in k]  # never a metric name

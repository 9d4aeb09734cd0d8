"""`compileprof sweep` without compiling: suites and variants as read, refusals before any cell, the
executor's pieces (statuses, threads, archives shipped back from Ray), the results read back from real run
directories, every format of the table, and check/diff over two sweeps cell by cell. tests/e2e/test_sweep.py
runs real sweeps, on this machine and on a local Ray cluster of two nodes."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest
from compileprof.profiler.errors import EXIT_USAGE, CompileprofError
from compileprof.profiler.gate.samples import gather
from compileprof.profiler.render.registry import SWEEP, RenderOptions, renderer
from compileprof.profiler.run.zoo.catalog import HF_ARCHS
from compileprof.profiler.sweep import execute
from compileprof.profiler.sweep.execute import CellRun, cell_args, status_of, threads_per_cell
from compileprof.profiler.sweep.on_ray import unpack
from compileprof.profiler.sweep.results import Sweep, read_sweep, row_of, write_sweep
from compileprof.profiler.sweep.suite import Cell, Variant, cells, load_models, model_slug, parse_variant
from conftest import FIXTURES, run_cli
from fuzz.hostile import NAMES
from fuzz.validity import check_html, check_json, check_markdown


def test_variants_are_named_option_sets_and_the_sweep_keeps_its_own_options():
    v = parse_variant("pw:--backend piecewise --compile-sizes '1,8'")
    assert v == Variant("pw", ("--backend", "piecewise", "--compile-sizes", "1,8"))
    assert v.options == "--backend piecewise --compile-sizes 1,8"
    assert parse_variant("plain") == Variant("plain", ())
    for bad, says in [("a b:--x", "NAME:OPTIONS"), ("x:--out y", "--out is the sweep's"), ("x:-f json", "-f is the"),
                      ("x:--history=h.db", "--history is the"), ("x:--backend 'open", "do not parse")]:  # fmt: skip
        with pytest.raises(CompileprofError, match=says):
            parse_variant(bad)


def test_cells_are_every_model_under_every_variant_with_names_that_are_file_names():
    models, _ = load_models(["mlp", "hf-small", "mlp"])
    assert models[0] == "mlp" and len(models) == 1 + len(HF_ARCHS)  # a model given twice runs once
    got = cells(["mlp", "dir/models.py:build"], [Variant("a"), Variant("b", ("--backend", "eager"))])
    assert [c.key for c in got] == ["mlp.a", "mlp.b", "models-build.a", "models-build.b"]
    assert [c.key for c in cells(["hf:llama"], [])] == ["hf-llama.default"]
    assert model_slug("../../etc/passwd:x") == "passwd-x"
    with pytest.raises(CompileprofError, match="given twice"):
        cells(["mlp"], [Variant("a"), Variant("a")])
    with pytest.raises(CompileprofError, match="same cell name"):
        cells(["a/m.py:f", "b/m.py:f"], [])


def test_a_suite_file_names_models_and_variants(tmp_path):
    f = tmp_path / "suite.toml"
    f.write_text('[sweep]\nmodels = ["mlp", "hf:gpt2"]\n[sweep.variants]\ninductor = "--backend inductor"\n')
    models, variants = load_models([str(f)])
    assert models == ["mlp", "hf:gpt2"] and variants == [Variant("inductor", ("--backend", "inductor"))]
    f.write_text("[sweep]\nmodels = 3\n")
    with pytest.raises(CompileprofError, match=r"needs \[sweep\] models"):
        load_models([str(f)])
    f.write_text("not toml [")
    with pytest.raises(CompileprofError, match="not TOML"):
        load_models([str(f)])


def _no_cells(*args, **kwargs):
    raise AssertionError("a cell ran")


@pytest.mark.parametrize(
    ("args", "says"),
    [(["mlp", "--variant", "x:--bogus-option"], "--variant x: No such option: --bogus-option"),
     (["mlp", "--variant", "x:--backend"], "--variant x:"),
     (["hf:nonsense"], "not one of the"), (["no/such/file.py:f"], "no such file"),
     (["mlp", "--variant", "x:--out", "d"], "--out is the sweep's")],
)  # fmt: skip
def test_a_sweep_that_cannot_run_is_refused_before_any_cell(args, says, tmp_path, monkeypatch):
    monkeypatch.setattr(execute.LocalCells, "run", _no_cells)
    out = tmp_path / "sweep"
    result = run_cli("sweep", *args, "--out", str(out))
    assert result.exit_code == EXIT_USAGE and says in result.stderr and not out.exists()
    assert result.stderr.count("compileprof: error:") == 1


def test_threads_are_shared_out_and_a_variant_s_own_kept():
    assert [threads_per_cell(j, cpus=8) for j in (1, 2, 3, 16)] == [8, 4, 2, 1]
    c = Cell("mlp", Variant("v", ("--backend", "eager")))
    assert cell_args(c, 4) == ["run", "mlp", "--backend", "eager", "--quiet", "--threads", "4"]
    own = Cell("mlp", Variant("v", ("--threads=2",)))
    assert cell_args(own, 4) == ["run", "mlp", "--threads=2", "--quiet"]
    assert [status_of(x) for x in (0, 6, 7, 2, 130, 1, None)] == ["ok", "failed", "timeout", "refused", "interrupted",
                                                                 "crashed", "crashed"]  # fmt: skip


def _archive(members: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def _file(name: str, data: bytes = b"x") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def test_a_cell_s_archive_is_unpacked_inside_its_directory_and_nothing_else(tmp_path):
    unpack(_archive([_file("./manifest.json", b"{}"), _file("./cold/trace/a.log", b"log")]), tmp_path / "cell")
    assert (tmp_path / "cell" / "cold" / "trace" / "a.log").read_bytes() == b"log"
    link = tarfile.TarInfo("./evil")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    for bad in ([_file("../outside")], [_file("/abs")], [(link, None)]):
        with pytest.raises(CompileprofError, match="not a run's file"):
            unpack(_archive(bad), tmp_path / "bad")
    assert not (tmp_path / "outside").exists() and not (tmp_path / "bad").exists()


def fake_sweep(root: Path, name: str, statuses: dict[str, str]) -> Path:
    """A sweep directory whose cells are copies of tests/fixtures/run_mlp (the ok ones)."""
    out = root / name
    out.mkdir()
    runs = []
    for key, status in statuses.items():
        model, variant = key.split(".")
        if status == "ok":
            shutil.copytree(FIXTURES / "run_mlp", out / key)
            (out / key / "report.html").write_text("<!doctype html>")  # a run writes its page
        runs.append(CellRun(Cell(model, Variant(variant)), status, 0 if status == "ok" else 6, 5.0, "local",
                            ["compileprof: error: run failed in step 'compile'"]))  # fmt: skip
    write_sweep(out, Sweep("2026-12-07T10:00:00", 9.0, "local, 2 jobs", ["sweep"], [row_of(r, out / r.cell.key, out)
                                                                                   for r in runs]))  # fmt: skip
    return out


def test_rows_are_read_from_each_cell_s_run_directory(tmp_path):
    out = fake_sweep(tmp_path, "s", {"mlp.a": "ok", "bad.a": "failed"})
    sweep = read_sweep(out)
    ok, bad = sweep.rows
    assert (ok.status, ok.frames, ok.compiles, ok.pieces, ok.asserts) == ("ok", 1, 1, 3, 9)
    assert ok.report == "mlp.a/report.html" and ok.compile_time_s == pytest.approx(3.095, abs=0.01)
    assert (bad.status, bad.frames, bad.error) == ("failed", None, "run failed in step 'compile'")
    assert [r.key for r in sweep.failed] == ["bad.a"]


def test_a_sweep_manifest_whose_cells_leave_its_directory_is_refused(tmp_path):
    out = fake_sweep(tmp_path, "s", {"mlp.a": "ok"})
    doc = json.loads((out / "sweep.json").read_text())
    doc["rows"][0]["key"] = "../../elsewhere"
    (out / "sweep.json").write_text(json.dumps(doc))
    with pytest.raises(CompileprofError, match="is not a cell name"):
        read_sweep(out)


def test_every_format_of_the_table_is_valid_with_hostile_cells(tmp_path):
    out = fake_sweep(tmp_path, "s", {"mlp.a": "ok", "bad.a": "failed"})
    sweep = read_sweep(out)
    for r, name in zip(sweep.rows, NAMES, strict=False):
        r.model, r.error, r.where = name, name, name
    outs = {}
    for fmt in ("console", "json", "markdown", "html"):
        buf = io.BytesIO()
        renderer(SWEEP, fmt).write(sweep, buf, RenderOptions(width=120))
        outs[fmt] = buf.getvalue()
    check_markdown(outs["markdown"].decode())
    assert check_json(outs["json"])["rows"][0]["model"] == NAMES[0]
    check_html(outs["html"])
    assert "2 cells: 1 ok, 1 failed in 9.00 s (local, 2 jobs)" in outs["console"].decode()


def test_two_sweeps_are_compared_cell_by_cell(tmp_path):
    a = fake_sweep(tmp_path, "a", {"mlp.x": "ok", "mlp.y": "ok"})
    b = fake_sweep(tmp_path, "b", {"mlp.x": "ok", "mlp.y": "failed"})
    metrics, fp, reports = gather([a])
    assert {"mlp.x:compiles", "mlp.y:compiles", "mlp.x:pieces.compiles"} <= set(metrics) and len(reports) == 2
    assert fp["torch"] == "2.13.0+cpu"
    baseline = tmp_path / "b.json"
    assert run_cli("check", str(a), "--baseline", str(baseline), "--update-baseline").exit_code == 0
    assert run_cli("check", str(a), "--baseline", str(baseline)).exit_code == 0
    failed = run_cli("check", str(b), "--baseline", str(baseline), "-f", "json")
    missing = {v["name"] for v in json.loads(failed.stdout)["verdicts"] if v["status"] == "MISSING"}
    assert failed.exit_code == 1 and "mlp.y:compiles" in missing and not any(n.startswith("mlp.x:") for n in missing)
    rows = {r["name"]: r for r in json.loads(run_cli("diff", str(a), str(b), "-f", "json").stdout)["metrics"]}
    assert rows["mlp.y:compiles"]["b"] is None and rows["mlp.x:compiles"]["evidence"] == "same"


def test_without_ray_the_ray_options_say_how_to_install_it(tmp_path, monkeypatch):
    import builtins

    real = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray":
            raise ImportError("no ray here")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    result = run_cli("report", str(FIXTURES / "ranks2"), "--ray", "auto")
    assert result.exit_code == EXIT_USAGE and "pip install 'compileprof[ray]'" in result.stderr
    out = tmp_path / "s"
    swept = run_cli("sweep", "mlp", "--ray", "auto", "--out", str(out))
    assert swept.exit_code == EXIT_USAGE and "pip install 'compileprof[ray]'" in swept.stderr


def test_every_finished_cell_is_recorded_in_the_history(tmp_path, monkeypatch):
    from compileprof.cli import sweep as sweep_cli
    from compileprof.profiler.history import points
    from compileprof.profiler.history.store import open_store

    out = fake_sweep(tmp_path, "s", {"mlp.a": "ok", "mlp.b": "ok", "mlp.c": "ok", "bad.a": "failed"})
    manifest = json.loads((out / "mlp.b" / "manifest.json").read_text())
    (out / "mlp.b" / "manifest.json").write_text(json.dumps({**manifest, "backend": "inductor"}))  # another series
    monkeypatch.setattr(points, "resolve_commit", lambda given, cwd: "a" * 40)
    monkeypatch.setattr(points, "resolve_branch", lambda given, cwd: "main")
    db = tmp_path / "h.db"
    sweep_cli._record(out, read_sweep(out), str(db))
    store = open_store(db)
    try:
        recorded = store.points()
        # mlp.c is mlp.a again (the same series at the same commit): recorded once, said so
        assert len(recorded) == 2 and {p.commit for p in recorded} == {"a" * 40}
        assert {p.labels["sweep_cell"] for p in recorded} == {"mlp.a", "mlp.b"}
    finally:
        store.close()

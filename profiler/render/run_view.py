"""What a run directory adds to the report: the model and backend, each step's time, the output
check, forward timing and the cache runs side by side (console and Markdown)."""

from __future__ import annotations

import math
from typing import Any

from rich.panel import Panel
from rich.table import Table

from ..analysis.measurements import wall_accounts
from ..analysis.noise import noise_warning, speed_ratio, speed_words
from ..model.report import CacheRun, RunFacts
from ..model.run import ChildRecord, RunManifest
from .md import esc
from .md import table as md_table
from .terminal import styled
from .text import cache_label, count, fmt_s

# The child's steps in the order it runs them (profiler/run/child.py's STEPS).
STEPS = ("import", "check options", "build model", "compile", "check output", "compile asserts off",
         "measure asserts", "measure", "measure logging")  # fmt: skip


def step_names(children: dict[str, ChildRecord]) -> list[str]:
    """The steps any child reported, in the order the child runs them (steps this version does not
    know, from another version's manifest, after them)."""
    seen = {name for child in children.values() for name in child.steps_s or {}}
    known = [name for name in STEPS if name in seen]
    return known + sorted(seen - set(STEPS))


def model_line(run: RunManifest) -> str:
    """`tiny-llama (TinyLlama, 0.1 M parameters, inputs (2, 32) int64)`."""
    model = run.model or {}
    child = run.primary_child
    built = (child.model if child is not None else None) or {}
    parts = []
    if built.get("class"):
        parts.append(built["class"])
    if built.get("parameters") is not None:
        n = built["parameters"]
        parts.append(f"{n / 1e6:.2f} M parameters" if n >= 100_000 else f"{n:,} parameters")
    if built.get("inputs"):
        parts.append("inputs " + ", ".join(built["inputs"]))
    return f"{model.get('label', '?')}" + (f" ({'; '.join(parts)})" if parts else "")


def backend_line(run: RunManifest) -> str:
    """`piecewise (compile sizes 1, 4; split at attention; prefix compileprof; dynamic batch)`."""
    opts = run.backend_options or {}
    parts = [f"{k}={v}" for k, v in (opts.get("inductor_options") or {}).items()]
    if run.backend == "piecewise":
        ops = opts.get("split_ops")
        split = "split at attention" if ops is None else ("no split" if not ops else "split at " + ", ".join(ops))
        sizes = opts.get("compile_sizes") or []
        parts = [
            f"compile sizes {', '.join(map(str, sizes))}" if sizes else "no single-size compiles",
            split,
            f"prefix {opts.get('artifact_prefix')}",
            "dynamic batch" if opts.get("dynamic", True) else "static shapes",
            *parts,
        ]
    return f"{run.backend}" + (f"  ({'; '.join(parts)})" if parts else "")


def check_sentence(check: dict[str, Any] | None) -> tuple[str, bool]:
    """The output check in words, and whether it is a warning."""
    if not check:
        return "not checked (the run stopped before the check)", True
    err = check.get("max_abs_err")
    err_s = f"{err:.3g}" if isinstance(err, float) else "-"
    if check.get("match"):
        return (
            f"compiled output matches eager: max abs error {err_s} (tolerance {check['tolerance']:g}, "
            f"{check.get('inputs_checked', 1)} input(s))",
            False,
        )
    why = f": {check['why']}" if check.get("why") else ""
    return (
        f"WARNING: compiled output differs from eager{why}; max abs error {err_s} > tolerance {check['tolerance']:g}",
        True,
    )


def forward_sentence(forward: dict[str, Any] | None, threads: int | None) -> str | None:
    """Forward timing in words: which is faster and by how much, with its interval when the calls'
    samples are there (medians per call; a noise warning when the machine was busy)."""
    if not forward:
        return None
    c, e = forward.get("compiled_median_s"), forward.get("eager_median_s")
    ratio = speed_ratio(forward.get("compiled_samples_s") or [], forward.get("eager_samples_s") or [])
    if ratio is not None:
        verdict = speed_words(ratio)
    elif c and e:
        verdict = (
            f"compiled is {e / c:.2f}x faster than eager" if e >= c else f"compiled is {c / e:.2f}x slower than eager"
        )
    else:
        verdict = "forward"
    thr = f", {count(threads, 'thread')}" if threads else ""
    text = (
        f"forward: {verdict}; compiled {fmt_s(c)} vs eager {fmt_s(e)} per call "
        f"(medians of {forward.get('calls')} interleaved calls{thr})"
    )
    samples = [forward.get("compiled_samples_s") or [], forward.get("eager_samples_s") or []]
    warning = noise_warning(samples, forward.get("load"), forward.get("cpus"))
    return f"{text}. {warning}" if warning else text


def _cache_cells(cache: dict[str, int]) -> str:
    return ", ".join(f"{cache_label(k)} {v}" for k, v in cache.items()) or "no cache events"


def _facts(run: RunManifest) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("model", model_line(run))
    grid.add_row("backend", backend_line(run))
    threads = run.threads
    grid.add_row("device", f"{run.device_name or run.device}, {count(threads or '?', 'thread')}")
    grid.add_row("versions", ", ".join(f"{k} {v}" for k, v in (run.versions or {}).items() if v))
    grid.add_row("cache", f"{run.cache} (report from the {run.primary} compile)")
    grid.add_row("status", styled(run.status, style="green" if run.status == "ok" else "bold red"))
    return grid


def _steps(children: dict[str, ChildRecord]) -> Table:
    steps = Table(title="Steps (wall time in the child process)", title_justify="left")
    steps.add_column("process")
    names = step_names(children)
    for name in names:
        steps.add_column(name, justify="right")
    steps.add_column("child total", justify="right")
    steps.add_column("status")
    for label, child in children.items():
        times = child.steps_s or {}
        steps.add_row(label, *[fmt_s(times.get(n)) for n in names], fmt_s(child.wall_s), child.status or "?")
    return steps


def _cache_table(cache_runs: list[CacheRun]) -> Table:
    t = Table(title="Cold and warm Inductor cache, side by side", title_justify="left")
    for col, j in (("compile", "left"), ("compiles", "right"), ("compile time", "right"), ("cache", "left")):
        t.add_column(col, justify=j)  # type: ignore[arg-type]
    for r in cache_runs:
        t.add_row(r.label, str(r.compiles), fmt_s(r.compile_time_s), _cache_cells(r.cache))
    return t


UNDER_CALLGRIND = (
    "These times were taken under valgrind's callgrind (--count instructions), tens of times slower "
    "than a plain run: compare the instructions, not the seconds."
)


def wall_sentences(facts: RunFacts) -> list[str]:
    """Each child's compile step accounted for: traced (and its parts) plus untraced adds up to the wall."""
    names = {"backend_compile": "of which backend", "pieces": "pieces"}
    out = []
    for a in wall_accounts(facts.manifest, facts.cache_runs):
        parts = ", ".join(f"{names.get(k, k)} {fmt_s(v)}" for k, v in a.parts.items())
        out.append(
            f"{a.label}: compile step {fmt_s(a.step_s)} = compiles as traced {fmt_s(a.traced_s)}"
            + (f" ({parts})" if parts else "")
            + f" + untraced {fmt_s(a.untraced_s)} ("
            + (f"the first call's run, about {fmt_s(a.first_run_s)} as a median call; " if a.first_run_s else "")
            + "guard installation, Python around the compile)"
        )
    if out and facts.manifest.count:
        out.append(UNDER_CALLGRIND)
    return out


def run_parts(facts: RunFacts) -> list:
    """Rich renderables for the top of a run's console report."""
    run = facts.manifest
    out: list = [Panel(_facts(run), title="compileprof run", title_align="left"), _steps(run.children)]
    out += [styled(line) for line in wall_sentences(facts)]
    primary = run.primary_child
    text, warn = check_sentence(primary.check if primary else None)
    out.append(styled(text, style="bold red" if warn else ""))
    fwd = forward_sentence(primary.forward if primary else None, run.threads)
    if fwd:
        out.append(styled(fwd))
    if len(facts.cache_runs) > 1:
        out.append(_cache_table(facts.cache_runs))
    return out


def run_markdown(facts: RunFacts) -> list[str]:
    """Markdown lines for the top of a run's report (every string of the manifest escaped)."""
    run = facts.manifest
    primary = run.primary_child
    versions = ", ".join(f"{k} {v}" for k, v in (run.versions or {}).items() if v)
    lines = [
        f"- model: {esc(model_line(run))}",
        f"- backend: {esc(backend_line(run))}; device: {esc(run.device_name or run.device)}, "
        f"{count(run.threads or '?', 'thread')}; cache: {esc(run.cache)}; status: **{esc(run.status)}**",
        f"- versions: {esc(versions)}",
        f"- {esc(check_sentence(primary.check if primary else None)[0])}",
    ]
    fwd = forward_sentence(primary.forward if primary else None, run.threads)
    if fwd:
        lines.append(f"- {esc(fwd)}")
    names = step_names(run.children)
    rows = [
        [label, *(fmt_s((child.steps_s or {}).get(n)) for n in names), fmt_s(child.wall_s), child.status]
        for label, child in run.children.items()
    ]
    lines += ["", *md_table(["process", *names, "child total", "status"], rows)]
    lines += [f"- {esc(line)}" for line in wall_sentences(facts)]
    if len(facts.cache_runs) > 1:
        rows = [[r.label, str(r.compiles), fmt_s(r.compile_time_s), _cache_cells(r.cache)] for r in facts.cache_runs]
        lines += ["", *md_table(["compile", "compiles", "compile time", "cache"], rows)]
    return [*lines, ""]


OFF_HOWTO = (
    'torch.compile(model, options={"size_asserts": False, "alignment_asserts": False, "scalar_asserts": False}); '
    "or TORCHINDUCTOR_SIZE_ASSERTS=0 TORCHINDUCTOR_ALIGNMENT_ASSERTS=0 TORCHINDUCTOR_SCALAR_ASSERTS=0 in the "
    'environment; in vLLM: compilation_config={"inductor_compile_config": {"size_asserts": false, '
    '"alignment_asserts": false, "scalar_asserts": false}}'
)
GIVE_UP = (
    "What you give up: the check, on every call, that inputs have the sizes, strides and alignment the kernels "
    "were compiled for; a caller that breaks that contract gets wrong results or a crash instead of an "
    "AssertionError naming the input."
)


def _ci(ci: list[float]) -> str:
    return f"95% CI {fmt_s(ci[0])} to {fmt_s(ci[1])}"


def ended_sentence(m: dict[str, Any], unit: str) -> str | None:
    """What ended a measurement, and, when its interval is wider than aimed at, the budget that would
    narrow it (None for a manifest of an older compileprof, which did not record it)."""
    ended, n = m.get("ended_by"), count(m.get("rounds") or m.get("pairs"), unit)
    if ended == "budget":
        said = f"The budget ({fmt_s(m.get('budget_s'))}) ended it after {n} ({fmt_s(m.get('elapsed_s'))})"
    elif ended == "precision":
        said = f"It stopped after {n}, once its 95% CI was within +/-{fmt_s(m.get('target_half_width_s'))}"
    elif ended == "rounds":
        said = f"It reached the --{'rounds' if unit == 'round' else 'pairs'} limit ({n})"
    else:
        return None
    needed, samples = m.get("budget_needed_s"), m.get("samples_needed")
    if ended != "precision" and not m.get("precise") and needed:
        aim = fmt_s(m.get("target_half_width_s"))
        flags = f"--budget {math.ceil(needed)}"
        if ended == "rounds" and samples:  # the count asked for ended it, not the budget
            flags = f"--{'rounds' if unit == 'round' else 'pairs'} {samples} {flags}"
        said += f"; a 95% CI within +/-{aim} would need about {_long(needed)}"
        said += f", {count(samples, unit)} ({flags})" if samples else f" ({flags})"
    return said + "."


def _long(seconds: float) -> str:
    """A budget for people: seconds, minutes or hours."""
    if seconds >= 7200:
        return f"{seconds / 3600:.0f} h"
    if seconds >= 120:
        return f"{seconds / 60:.0f} min"
    return fmt_s(seconds)


def assert_sentences(a: dict[str, Any]) -> list[str]:
    """The asserts A/B in words a serving engineer acts on."""
    on, off = a["asserts_on"], a["asserts_off"]
    n_on, n_off = sum(on.values()), sum(off.values())
    rounds, calls = count(a["rounds"], "round"), count(a["calls_per_round"], "call")
    where = f"{rounds} x {calls}, {count(a.get('threads'), 'thread')}, {a.get('device')}"
    lines = [
        f"Forward with asserts on {fmt_s(a['median_on_s'])}, off {fmt_s(a['median_off_s'])} per call "
        f"(medians; {where}); generated code holds {n_on} asserts on, {n_off} off.",
    ]
    share = a.get("share_of_forward")
    share_s = f", {share * 100:.1f}% of the forward" if share is not None else ""
    per = a.get("per_assert_s")
    per_s = f"; {a['asserts_per_call']} asserts run per call, {fmt_s(per)} each" if per is not None else ""
    if a["significant"] and a["delta_s"] > 0:
        lines.append(f"Asserts cost {fmt_s(a['delta_s'])} per call ({_ci(a['ci95_s'])}){share_s}{per_s}: significant.")
        lines.append(f"To turn them off: {OFF_HOWTO}.")
        lines.append(GIVE_UP)
    elif a["significant"]:
        lines.append(
            f"Asserts on ran faster by {fmt_s(-a['delta_s'])} per call ({_ci(a['ci95_s'])}): a real but inverted "
            "difference, most likely layout or code placement, not the asserts; nothing to gain by turning them off."
        )
    else:
        lines.append(
            f"No difference this run can resolve: {fmt_s(a['delta_s'])} per call ({_ci(a['ci95_s'])}){per_s}. "
            "At this noise level the asserts cost nothing measurable; keep them on (or measure longer: --budget, "
            "--rounds)."
        )
    ended = ended_sentence(a, "round")
    if ended:
        lines.append(ended)
    if a.get("noise"):
        lines.append(a["noise"])
    if a.get("outputs_match") is False:
        lines.append("WARNING: the two variants' outputs differ.")
    return lines


def logging_sentences(m: dict[str, Any]) -> list[str]:
    """The TORCH_TRACE on/off A/B in words."""
    lines = [
        f"Compile with TORCH_TRACE on {fmt_s(m['median_on_s'])}, off {fmt_s(m['median_off_s'])} (medians of "
        f"{m['pairs']} interleaved pairs, Inductor caches disabled); "
        f"delta {fmt_s(m['delta_s'])} ({_ci(m['ci95_s'])})."
    ]
    torch_s = m.get("torch_reported_s")
    trace_only = m.get("torch_trace_only_s")
    if m.get("direct_s") is not None:
        lines.append(
            f"Timed directly in the child (every trace_structured call): {fmt_s(m['direct_s'])} per compile "
            f"({_ci(m['direct_ci95_s'])} over {count(m['pairs'], 'traced compile')}; no on/off noise)."
        )
    lines.append(
        f"torch's own structured_logging_overhead: {fmt_s(torch_s)} per compile; *_torch_trace_only spans: "
        f"{fmt_s(trace_only)} per compile."
    )
    ended = ended_sentence(m, "pair")
    if ended:
        lines.append(ended)
    if m.get("noise"):
        lines.append(m["noise"])
    if not m.get("enough_samples", True):
        more = "a larger --budget" if m.get("ended_by") == "budget" else "--pairs 6 or more"
        lines.append(f"Too few pairs ({m['pairs']}) to call the difference either way: run with {more}.")
    elif m["significant"]:
        lines.append("The difference is significant: the trace's cost is real at this noise level.")
    else:
        lines.append(
            "The difference is below what the noise can resolve here (the CI covers 0): read the direct figure, "
            "torch's counter and the trace-only spans as the cost."
        )
    return lines


def measurement_parts(m: dict[str, Any]) -> list:
    """Rich renderables for the `measurements` of a run."""
    out: list = []
    if m.get("asserts"):
        out.append(
            Panel("\n".join(assert_sentences(m["asserts"])), title="Runtime asserts: measured cost", title_align="left")
        )
    if m.get("logging"):
        out.append(
            Panel(
                "\n".join(logging_sentences(m["logging"])),
                title="TORCH_TRACE logging: measured cost",
                title_align="left",
            )
        )
    return out


def measurement_markdown(m: dict[str, Any]) -> list[str]:
    """Markdown lines for the `measurements` of a run."""
    lines: list[str] = []
    if m.get("asserts"):
        lines += ["### Runtime asserts: measured cost", "", *[f"- {esc(x)}" for x in assert_sentences(m["asserts"])]]
        lines.append("")
    if m.get("logging"):
        said = [f"- {esc(x)}" for x in logging_sentences(m["logging"])]
        lines += ["### TORCH_TRACE logging: measured cost", "", *said]
        lines.append("")
    return lines

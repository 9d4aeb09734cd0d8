"""Measurements keep to their budget and say what ended them, and what budget would have sufficed."""

from __future__ import annotations

import pytest
from compileprof.profiler.analysis.ab import paired
from compileprof.profiler.analysis.measurements import how_it_ended
from compileprof.profiler.render.run_view import ended_sentence
from compileprof.profiler.run.timing import Budget, interleaved


class Clock:
    """A clock that only the work moves: `nap(s)` is a call that takes `s` seconds, exactly."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def nap(self, seconds: float):
        def work() -> None:
            self.now += seconds

        return work


def test_a_round_that_would_end_past_the_budget_is_not_started():
    clock = Clock()
    budget = Budget(0.25, clock=clock)
    samples = interleaved({"a": clock.nap(0.05), "b": clock.nap(0.05)}, (), 100, 1, budget, lambda: None)
    # each round takes 0.1 s: two end at 0.2 s, a third would end at 0.3 s, past 0.25 s: not started
    assert samples == {"a": [pytest.approx(0.05)] * 2, "b": [pytest.approx(0.05)] * 2}
    assert budget.ended_by == "budget" and budget.elapsed_s == pytest.approx(0.2)
    # a budget that holds exactly three rounds runs three (the bound is inclusive; binary-exact figures)
    clock = Clock()
    budget = Budget(0.375, clock=clock)
    assert len(interleaved({"a": clock.nap(0.125)}, (), 100, 1, budget, lambda: None)["a"]) == 3


def test_a_budget_that_cannot_hold_the_rounds_needed_stops_at_once_and_says_what_it_would_take():
    clock = Clock()
    budget = Budget(0.25, need=6, clock=clock)
    samples = interleaved({"a": clock.nap(0.05), "b": clock.nap(0.05)}, (), 100, 1, budget, lambda: None)
    # two rounds (the floor) show a pace of 0.1 s a round: six need 0.2 + 4 x 0.1 = 0.6 s, more than 0.25 s
    assert len(samples["a"]) == 2 and budget.ended_by == "budget"
    assert budget.needed_s == pytest.approx(0.6)


def test_the_first_rounds_always_run_and_precision_can_end_it_early():
    clock = Clock()
    budget = Budget(0.01, clock=clock)  # smaller than one round: the floor of two rounds still runs
    samples = interleaved({"a": clock.nap(0.02)}, (), 100, 1, budget, lambda: None)
    assert len(samples["a"]) == 2 and budget.ended_by == "budget"
    budget = Budget(60, clock=clock)
    samples = interleaved({"a": clock.nap(0.0)}, (), 100, 1, budget, lambda: None, precise=lambda s: len(s["a"]) >= 6)
    assert len(samples["a"]) == 6 and budget.ended_by == "precision"
    # with neither budget nor precision in the way, it runs the rounds asked for and says so
    budget = Budget(60, clock=clock)
    assert len(interleaved({"a": clock.nap(0.0)}, (), 7, 1, budget, lambda: None)["a"]) == 7
    assert budget.ended_by == "rounds"


def test_a_budget_that_ended_it_says_what_budget_would_resolve_it():
    on = [1.0, 1.3, 0.8, 1.2, 0.9, 1.1, 1.0, 1.2]
    off = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    result = paired(on, off)
    raw = {"ended_by": "budget", "budget_s": 20.0, "elapsed_s": 19.5}
    m = {**how_it_ended(raw, result, target=0.01), "rounds": 8}
    width = (result.ci95[1] - result.ci95[0]) / 2
    assert not m["precise"] and m["budget_needed_s"] == 19.5 * (width / 0.01) ** 2
    text = ended_sentence(m, "round")
    assert text.startswith("The budget (20.00 s) ended it after 8 rounds (19.50 s); a 95% CI within +/-10.0 ms")
    assert f", {m['samples_needed']} rounds (--budget {int(m['budget_needed_s']) + 1})" in text
    by_rounds = ended_sentence({**m, "ended_by": "rounds"}, "round")
    assert by_rounds.startswith("It reached the --rounds limit (8 rounds)")
    assert f"(--rounds {m['samples_needed']} --budget" in by_rounds
    assert ended_sentence({"ended_by": None}, "round") is None  # an older manifest: nothing to say
    far = {**m, "budget_needed_s": 45044.6}
    assert "would need about 13 h, " in ended_sentence(far, "round")
    # ended by precision: nothing more is asked for, even if the final interval came out a little wider
    assert ended_sentence({**m, "ended_by": "precision"}, "round").endswith("within +/-10.0 ms.")


def test_a_run_off_a_terminal_says_each_step_and_beats_while_one_runs():
    import io
    import time as _time

    from compileprof.profiler.render.progress import Heartbeat

    out, now = io.StringIO(), [100.0]
    with Heartbeat(out, interval_s=0.01, clock=lambda: now[0]) as beat:
        beat.step("cold", "import")
        now[0] = 190.0  # the injected clock: 90 s into the step
        deadline = _time.monotonic() + 5
        while "running for" not in out.getvalue() and _time.monotonic() < deadline:
            _time.sleep(0.01)
        beat.step("cold", "compile\x1b[2J")
    lines = out.getvalue().splitlines()
    assert lines[0] == "compileprof: cold: import"
    assert "compileprof: cold: import, running for 1 min 30 s" in lines
    assert lines[-1].startswith("compileprof: cold: compile") and "\x1b" not in out.getvalue()

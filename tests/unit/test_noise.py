"""How far a timing can be trusted: the machine's load, the spread of calls, the speed ratio in words."""

from __future__ import annotations

from compileprof.profiler.analysis.noise import noise_warning, speed_ratio, speed_words, spread
from compileprof.profiler.render.run_view import forward_sentence


def test_spread_ignores_one_outlier_but_not_a_wide_spread():
    steady = [1.0, 1.01, 0.99, 1.0, 1.02, 0.98, 40.0]  # one call hit by a neighbour
    assert spread(steady) < 0.03
    assert spread([1.0, 1.5, 0.6, 1.3, 0.7, 1.2]) > 0.15


def test_a_busy_or_noisy_machine_is_said_with_its_figures():
    quiet = [[1.0, 1.01, 0.99, 1.0, 1.0, 1.01]]
    assert noise_warning(quiet, [0.9, 1.1], 2) is None  # the measurement itself is one runnable process
    busy = noise_warning(quiet, [3.4, 2.8], 2)
    assert busy is not None and "busy (load average 3.4 on 2 CPUs" in busy
    noisy = noise_warning([[1.0, 1.5, 0.6, 1.3, 0.7, 1.2]], None, None)
    assert noisy is not None and "varied by" in noisy and "quiet machine" in noisy


def test_the_speed_ratio_says_which_way_and_how_sure():
    compiled, eager = [1.0] * 8, [1.24, 1.25, 1.23, 1.24, 1.26, 1.24, 1.25, 1.23]
    assert speed_words(speed_ratio(compiled, eager)).startswith("compiled is 1.24x faster than eager (95% CI 1.2")
    assert speed_words(speed_ratio(eager, compiled)).startswith("compiled is 1.24x slower than eager")
    mixed = speed_ratio([1.0, 1.1, 0.9, 1.0, 1.1, 0.9, 1.0, 1.0], [1.0] * 8)
    assert speed_words(mixed).startswith("compiled and eager are not distinguishable")
    assert speed_ratio([1.0, 1.0], [2.0, 2.0]) is None  # too few rounds for an interval


def test_forward_sentence_of_a_run_that_had_compiled_slower():
    # the case the issue met: medians said compiled 2.21 ms vs eager 1.96 ms, and the text said "2.43x eager"
    fwd = {"calls": 8, "compiled_median_s": 2.21e-3, "eager_median_s": 1.96e-3, "load": [1.0, 1.0], "cpus": 2}
    fwd |= {"compiled_samples_s": [2.21e-3] * 8, "eager_samples_s": [1.96e-3] * 8}
    text = forward_sentence(fwd, 2)
    assert text.startswith("forward: compiled is 1.13x slower than eager") and "Noisy" not in text
    old = {"calls": 20, "compiled_median_s": 1e-3, "eager_median_s": 2e-3}  # an older manifest: no samples
    assert forward_sentence(old, None).startswith("forward: compiled is 2.00x faster than eager;")


def test_the_ratio_and_the_medians_tell_one_story_under_load():
    # the case: noisy interleaved calls whose per-round ratios centred near 1 while the medians
    # said compiled 1.3 ms vs eager 8.1 ms; the ratio is now the medians' (8.1 / 1.3)
    compiled = [1.3e-3, 1.2e-3, 40e-3, 1.3e-3, 1.4e-3, 30e-3, 1.3e-3, 1.3e-3, 50e-3]
    eager = [60e-3, 8.1e-3, 8.0e-3, 70e-3, 8.2e-3, 8.1e-3, 55e-3, 8.1e-3, 8.0e-3]
    mid, lo, hi = speed_ratio(compiled, eager)
    assert mid == 8.1e-3 / 1.3e-3 and lo <= mid <= hi
    fwd = {"calls": 9, "compiled_median_s": 1.3e-3, "eager_median_s": 8.1e-3, "compiled_samples_s": compiled,
           "eager_samples_s": eager}  # fmt: skip
    text = forward_sentence(fwd, 2)
    assert f"{mid:.2f}" in text and "compiled 1.3 ms vs eager 8.1 ms" in text


def test_the_noise_warning_names_the_figure_it_cannot_resolve_or_none():
    noisy = noise_warning([[1.0, 1.5, 0.6, 1.3, 0.7, 1.2]], None, None)
    assert "Differences below about 40% are not resolved here" in noisy
    busy = noise_warning([[1.0, 1.01, 0.99, 1.0, 1.0, 1.01]], [3.4], 2)
    assert "Small differences may not be resolved here" in busy and "than that" not in busy

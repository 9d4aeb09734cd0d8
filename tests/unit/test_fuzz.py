"""A seeded short run of the structured fuzzer (tests/fuzz/generate.py): mutated logs, manifests and
baselines through the report, every renderer and the gate, without a crash. The long run is
`python benchmarks/fuzz.py --inputs 100000`."""

from __future__ import annotations

from fuzz.generate import fuzz


def test_short_fuzz_run_has_no_crash(tmp_path):
    outcome = fuzz(25, seed=20261129, work=tmp_path)
    assert outcome.inputs == 25
    assert outcome.crashes == [], outcome.crashes[0]
    assert outcome.refused > 0  # some damaged manifests and baselines were refused with a one-line error

"""The CI gate: flat metrics of a report, samples of repeated runs, the baseline, and the decisions."""

"""Small pure functions over the data model: totals, summaries, where time goes, rank skew, A/B statistics."""

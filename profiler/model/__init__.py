"""The one data model: what folding a log produces and every analysis and renderer reads (dataclasses only)."""

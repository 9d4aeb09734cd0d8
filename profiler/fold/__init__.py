"""Folding one log's records into the data model: span trees, compiles, asserts, piece compiles."""

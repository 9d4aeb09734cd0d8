"""Renderers: each takes a `Report` and writes it as terminal text, JSON or Markdown."""

"""Renderers: console (rich), JSON (the machine contract), Markdown, and the views of check and diff."""

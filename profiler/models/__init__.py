"""Models `compileprof run` can compile: built-in ones, a user's factory, transformers architectures."""

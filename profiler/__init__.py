"""compileprof's library: read TORCH_TRACE logs, analyse compile time, logging overhead and asserts."""

__version__ = "0.1.0"

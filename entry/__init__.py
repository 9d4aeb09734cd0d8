"""compileprof: a profiler and diagnostic tool for torch.compile."""

from compileprof.profiler import __version__

__all__ = ["__version__"]

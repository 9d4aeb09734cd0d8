"""Compiling a model under TORCH_TRACE in a clean child process, and the run directory it leaves."""

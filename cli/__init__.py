"""compileprof's command line: thin typer commands over the `compileprof.profiler` library."""

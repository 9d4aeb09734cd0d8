"""torch.compile backends (inductor, eager, piecewise); used by `compileprof run`."""

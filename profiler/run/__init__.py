"""The run side: a request, child processes that compile a model under TORCH_TRACE, the run directory, the model zoo."""

"""Sweeps: many models under many variants, each cell one `compileprof run`, on this machine or as
Ray tasks (suite.py: what to run; execute.py: local cells; on_ray.py: cells on a cluster;
results.py: the table of cells)."""

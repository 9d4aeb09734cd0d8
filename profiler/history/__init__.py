"""The history of runs: a database of points, trends, change points, and checks against a window."""

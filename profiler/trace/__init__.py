"""Reading a log: its bytes as typed records, the damage met on the way, and finding logs under a path."""

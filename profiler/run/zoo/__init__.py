"""Models to compile: built-in ones, user factories (FILE.py:FN, MODULE:FN) and hf: architectures."""

"""`python -m compileprof`."""

from compileprof.cli.main import main

if __name__ == "__main__":
    main()

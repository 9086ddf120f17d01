"""`python -m atlasc`: the command line (the same as the `atlasc` command)."""
from atlasc.compiler.cli import main

if __name__ == "__main__":
    main()

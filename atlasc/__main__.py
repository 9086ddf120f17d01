"""`python -m atlasc` and the `atlasc` command: the command line (compiler/cli.py).

Its imports run without the garbage collector: they make tens of thousands of objects that
all live on (modules, functions, classes), which the collector would traverse again and
again; the command line turns it back on, with those objects frozen out of its way, before
it runs a command (compiler/console.py `started`).  Before them, `atlasc problog` of an unchanged
program prints its kept answers and exits (compiler/problogdirect.py); after them, a cached
`atlasc run FILE --data ROWS --out FILE` runs without click (compiler/fastrun.py).  Loading a cached program pauses it too
(compiler/program/cache.py); compiling does not."""
import sys

from atlasc.compiler import problogdirect
from atlasc.compiler.console import starting

problogdirect.answer(sys.argv[1:])  # an unchanged ProbLog program's answers: printed, exit
starting()

from atlasc.compiler import fastrun  # noqa: E402  (after starting: its imports are start-up)

fastrun.answer(sys.argv[1:])        # a cached `run --data --out`: run without click, exit

from atlasc.compiler.cli import main  # noqa: E402  (after starting: its imports are start-up)

if __name__ == "__main__":
    main()

"""What a pip install leaves behind, made here before anything is measured (bench/data.py,
bench/scale.py): atlasc's modules byte-compiled, and the code its dataclasses compile kept
(compiler/classcode.py).  This environment sets PYTHONDONTWRITEBYTECODE and the editable
install writes no bytecode, so every measured process would otherwise compile ~150 modules
from source (~0.3 s of CPU) and ~720 dataclass methods (~0.06 s), which pyAgrum's and numpy's
installed packages do not.  `make setup` does the same two steps."""
from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FOLDERS = ("atlasc", "compiler", "runtime", "grammar")
KEEP = "import sys, atlasc.compiler.classcode as c; sys.exit(c.main())"


def byte_compile(python: str = sys.executable) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([python, "-m", "compileall", "-q", *(os.path.join(ROOT, d) for d in FOLDERS)],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([python, "-c", KEEP], env=env, check=True,
                   stdout=subprocess.DEVNULL)

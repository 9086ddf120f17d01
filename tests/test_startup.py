"""Start-up stays light: `import atlasc` and the CLI's start do not load sympy (the user-mapping
compiler) or pyarrow (the data readers and writers); they load at their first use
(compiler/lazy.py).  Checked in a fresh interpreter, by the extension modules that a real
load brings in (a lazily registered module is in sys.modules before it runs)."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

HEAVY = ("sympy.core", "pyarrow.lib")


def _loaded_after(code: str) -> dict[str, bool]:
    probe = textwrap.dedent(f"""
        import json, sys
        {code}
        print(json.dumps({{m: m in sys.modules for m in {HEAVY!r}}}))
    """)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.splitlines()[-1])


def test_import_atlasc_loads_neither_sympy_nor_pyarrow():
    assert _loaded_after("import atlasc") == {m: False for m in HEAVY}


def test_cli_help_loads_neither():
    code = ("from atlasc.compiler.cli import main\n        try:\n            "
            "main(['--help'])\n        except SystemExit:\n            pass")
    assert _loaded_after(code) == {m: False for m in HEAVY}


def test_a_declared_mapping_loads_sympy_when_compiled(tmp_path):
    q = tmp_path / "m.query"
    q.write_text("var A : bool\nmapping sq : prob -> prob = x -> x * x\n"
                 "model m = bayesnet { A: 0.3 }\nquery q = sum[*] map[sq] (m)\n")
    code = (f"import atlasc\n        p = atlasc.compile_file({str(q)!r})\n        "
            "print(p.queries['q'].run().rows[0].entries[0].value, file=sys.stderr)")
    assert _loaded_after(code)["sympy.core"] is True

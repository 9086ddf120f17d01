"""`import atlasc` and `atlasc --help` do not load llvmlite (the runtime's evaluator is imported
at the first evaluation, atlasc/__init__.py) nor Pillow (only PNG pictures need it); the first
evaluation does load the runtime, and answers.  Checked in a fresh interpreter."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

HEAVY = ("llvmlite", "PIL")
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "backdoor.query"


def _loaded_after(code: str) -> dict[str, bool]:
    probe = textwrap.dedent(code) + textwrap.dedent(f"""
        import sys as _s
        print(json.dumps({{m: m in _s.modules for m in {HEAVY!r}}}))
    """)
    done = subprocess.run([sys.executable, "-c", "import json\n" + probe], capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def test_import_atlasc_loads_no_runtime():
    assert _loaded_after("import atlasc\n") == {m: False for m in HEAVY}


def test_cli_help_loads_no_runtime():
    code = """
        from atlasc.compiler.cli import main
        try:
            main(["--help"])
        except SystemExit:
            pass
    """
    assert _loaded_after(code) == {m: False for m in HEAVY}


def test_first_evaluation_loads_the_runtime():
    code = f"""
        import atlasc
        p = atlasc.compile_file({str(EXAMPLE)!r})
        entries = p.queries["obs"].run().rows[0].entries
        assert abs(sum(e.value for e in entries) - 1) < 1e-12, entries
    """
    assert _loaded_after(code)["llvmlite"] is True

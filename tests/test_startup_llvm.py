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


def _loaded_after(code: str, modules: tuple[str, ...] = HEAVY) -> dict[str, bool]:
    probe = textwrap.dedent(code) + textwrap.dedent(f"""
        import sys as _s
        print(json.dumps({{m: m in _s.modules for m in {modules!r}}}))
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


def _chain_bif(n: int) -> str:
    """A chain of n binary variables: over TREE_MIN_VARS, so it takes the flat route."""
    out = ["network chain { }"]
    out += [f"variable x{i} {{ type discrete [ 2 ] {{ a, b }}; }}" for i in range(n)]
    out.append("probability ( x0 ) { table 0.3, 0.7; }")
    out += [f"probability ( x{i} | x{i - 1} ) {{ (a) 0.9, 0.1; (b) 0.0, 1.0; }}"
            for i in range(1, n)]
    return "\n".join(out) + "\n"


def test_flat_route_marginals_load_no_llvm(tmp_path):
    """All marginals of a network the flat arrays answer: the LLVM back end stays unloaded
    (runtime/evaluator.py imports it at its first non-flat use), and the answer is right:
    x1 = b unless x0 = a and x1 = a, so P(x1 = a) = 0.3 * 0.9."""
    bif = tmp_path / "chain.bif"
    bif.write_text(_chain_bif(25))
    query = tmp_path / "m.query"
    query.write_text(f'model bn = bif "{bif}"\nquery m = marginals(bn)\n')
    code = f"""
        import atlasc
        p = atlasc.compile_file({str(query)!r})
        res = p.queries["m"].run()
        joint, cond = res.rows[0]["x1"]["a"]
        assert abs(joint - 0.27) < 1e-12 and abs(cond - 0.27) < 1e-12, (joint, cond)
        assert "flat arrays" in str(p.report), p.report
    """
    assert _loaded_after(code) == {m: False for m in HEAVY}


def test_a_bif_run_loads_no_problog_support(tmp_path):
    """compiler.problog (ProbLog programs) is imported at the first ProbLog model only: a
    BIF query's run does not load it, and a ProbLog model's does."""
    bif = tmp_path / "chain.bif"
    bif.write_text(_chain_bif(3))
    pl = tmp_path / "coin.pl"
    pl.write_text("0.4::heads.\n")
    runs = {}
    for name, model in (("bif", f'bif "{bif}"'), ("pl", f'problog "{pl}"')):
        query = tmp_path / f"{name}.query"
        query.write_text(f"model m = {model}\nquery q = marginals(m)\n")
        code = f"""
            import atlasc
            atlasc.compile_file({str(query)!r}).queries["q"].run()
        """
        runs[name] = _loaded_after(code, ("atlasc.compiler.problog",))
    assert runs == {"bif": {"atlasc.compiler.problog": False},
                    "pl": {"atlasc.compiler.problog": True}}

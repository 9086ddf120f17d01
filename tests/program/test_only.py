"""`atlasc run -q NAME` / compile_file(queries=...) compiles only the queries it runs, the
earlier queries they use, and their models: other models are never compiled; answers are the
same as from the whole file; the whole file is still checked."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from atlasc.compiler.api import compile_file
from atlasc.compiler.cli import main
from atlasc.compiler.errors import AtlasError

TEXT = """var A, B : bool
model small = bayesnet { A: 0.3, B | A: {false: 0.2, true: 0.9} }
model other = bayesnet { A: 0.6, B | A: {false: 0.5, true: 0.1} }
query pa = sum[*] (small | A = true)
query pb = sum[*] (other | B = true)
query both = pa
"""


def _file(tmp_path: Path, text: str = TEXT) -> Path:
    p = tmp_path / "q.query"
    p.write_text(text)
    return p


def test_only_the_named_query_and_its_model_are_compiled(tmp_path: Path) -> None:
    whole = compile_file(_file(tmp_path))
    one = compile_file(_file(tmp_path), queries=["pa"])
    assert list(one.queries) == ["pa"]
    assert one.models["small"]._circuit is not None and one.models["other"]._circuit is None
    assert one.queries["pa"].run().rows[0].value == whole.queries["pa"].run().rows[0].value


def test_earlier_queries_a_query_uses_are_compiled_with_it(tmp_path: Path) -> None:
    p = compile_file(_file(tmp_path), queries=["both"])
    assert set(p.queries) == {"pa", "both"} and p.models["other"]._circuit is None
    assert p.queries["both"].run().rows[0].value == pytest.approx(0.3)


def test_the_whole_file_is_still_checked(tmp_path: Path) -> None:
    with pytest.raises(AtlasError, match="unknown"):
        compile_file(_file(tmp_path, TEXT + "query bad = sum[*] nothing\n"), queries=["pa"])


def test_cli_run_query(tmp_path: Path) -> None:
    r = CliRunner().invoke(main, ["run", str(_file(tmp_path)), "-q", "pb", "--no-cache"])
    assert r.exit_code == 0 and "query pb" in r.stdout and "query pa" not in r.stdout
    r = CliRunner().invoke(main, ["run", str(_file(tmp_path)), "-q", "nope", "--no-cache"])
    assert r.exit_code == 2 and "nope" in r.stderr

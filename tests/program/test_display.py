"""Short reprs and Jupyter displays: programs, queries, reports, circuits and results."""
from __future__ import annotations

import pathlib
import re

import atlasc

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def _program() -> atlasc.Program:
    return atlasc.compile_file(EXAMPLES / "mmap.query")


def test_reprs_are_short_and_say_what_matters() -> None:
    p = _program()
    assert repr(p) == ("<Program '" + str(EXAMPLES / "mmap.query") + "': 2 variables, 2 models, "
                       "3 queries (mmap, mpe, mmap_b), 1 not certified>")
    assert repr(p.queries["mmap"]).startswith("<Query mmap: maxprod over {}, certified, |C|=")
    assert repr(p.queries["mmap_b"]) == "<Query mmap_b: maxprod over {}, NOT certified>"
    assert repr(p.report) == "<ProgramReport 3 queries: 1 not certified>"
    assert len(repr(p.queries["mmap"].circuit)) < 100


def test_spans_share_one_source_and_print_without_it() -> None:
    p = _program()
    spans = [q.decl.span for q in p.queries.values()]
    assert len({id(s.source) for s in spans}) == 1
    assert re.fullmatch(r"Span\('.*mmap\.query', \d+:\d+-\d+:\d+\)", repr(spans[0]))
    assert spans[0].text == p.text


def test_report_html_colours_ok_and_refused() -> None:
    page = _program().report._repr_html_()
    assert page.count("NOT CERTIFIED") == 1 and "#cf222e" in page and "#1a7f37" in page
    assert "witness: node #27" in page


def test_results_display_as_tables() -> None:
    r = _program().queries["mmap"].run()
    assert repr(r).splitlines() == ["query mmap (maxprod)", "  value  argmax", "  0.55   A=false"]
    assert "<th>argmax</th>" in r._repr_html_() and "<td>A=false</td>" in r._repr_html_()


def test_marginals_display_as_tables() -> None:
    r = atlasc.compile_file(EXAMPLES / "marginals.query").queries["prior"].run()
    lines = repr(r).splitlines()
    assert lines[1].split() == ["var", "value", "P(X=x,", "e)", "P(X=x", "|", "e)"]
    assert r._repr_html_().count("<tr>") == len(lines) - 1

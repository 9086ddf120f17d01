"""Plain-text and HTML tables (the `atlasc run` text form, the REPL and Jupyter displays)."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from atlasc.compiler.ir.printer import fmt_value
from atlasc.compiler.lazy import lazy_module
from atlasc.compiler.semirings.wide import Wide

if TYPE_CHECKING:
    import html
else:   # for the HTML tables (Jupyter) only: not loaded by a run
    html = lazy_module("html")

UNDEFINED = "undefined"
MOMENTS = "moments"                       # the semiring of moments(...) queries
MOMENT_FIELDS = ("expectation", "variance", "std")


def moment_fields(x: Any) -> dict[str, float]:
    """A moments value (E, Var) by name, with the standard deviation sqrt(Var)."""
    e, var = float(x[0]), float(x[1])
    return {"expectation": e, "variance": var, "std": math.sqrt(var)}


def value_text(x: Any) -> str:
    """A value as results print it: floats to 10 significant digits, pairs (credal
    intervals, counts) element by element."""
    if isinstance(x, float) and not isinstance(x, Wide):
        return f"{x:.10g}"
    if isinstance(x, (tuple, list)):
        return "(" + ", ".join(value_text(y) for y in x) + ")"
    return fmt_value(x)


def text_table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return [fmt.format(*header).rstrip()] + [fmt.format(*r).rstrip() for r in rows]


def html_table(title: str, header: list[str], rows: list[list[str]],
               notes: tuple[str, ...] | list[str] = ()) -> str:
    """A titled HTML table (cells escaped); notes below it."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
                   for r in rows)
    foot = "".join(f"<div>{html.escape(n.strip())}</div>" for n in notes)
    return (f"<div><b>{html.escape(title)}</b><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>{foot}</div>")

"""A report's operator tree as HTML (Jupyter): one nested box per operator, green where it is
certified and red where it is refused, with its condition, needs and fix."""
from __future__ import annotations

import html

from atlasc.compiler.ir.report import Step

OK, REFUSED = "#1a7f37", "#cf222e"


def step_html(s: Step) -> str:
    """The tree below `s`, each operator with its body lines in a <details>."""
    colour = OK if s.ok else REFUSED
    body = "".join(f"<div>{html.escape(line)}</div>" for line in s.body_lines())
    kids = "".join(f"<li>{step_html(k)}</li>" for k in s.inputs)
    head = (f"<code>{html.escape(s.summary_text())}</code> "
            f"<b style='color:{colour}'>{s.status}</b>")
    return (f"<details open style='border-left:3px solid {colour};padding-left:6px'>"
            f"<summary>{head}</summary><div style='font-size:90%'>{body}</div>"
            + (f"<ul style='list-style:none'>{kids}</ul>" if kids else "") + "</details>")


def headline_html(location: str, headline: str, ok: bool, extra: list[str]) -> str:
    colour = OK if ok else REFUSED
    rest = "".join(f"<pre style='margin:0'>{html.escape(x)}</pre>" for x in extra)
    return (f"<div style='color:{colour}'><b>{html.escape(location)}</b>: "
            f"{html.escape(headline)}</div>{rest}")

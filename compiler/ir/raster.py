"""PNG pictures: the layout of compiler/ir/picture.py drawn with Pillow (its wheel bundles the
FreeType renderer and a default font, so no system binary or font is needed)."""
from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from PIL import ImageDraw, ImageFont

from atlasc.compiler.ir.picture import LINE_H, PAD, Box, Graph, edge_ends, layout, to_dot, to_svg

SCALE = 2                     # pixels per layout unit (sharp on high-density screens)
FORMATS = ("dot", "svg", "png")


def render(g: Graph, fmt: str) -> str | bytes:
    """The picture as DOT or SVG text, or PNG bytes."""
    draw: dict[str, Callable[[Graph], str | bytes]] = {"dot": to_dot, "svg": to_svg,
                                                        "png": to_png}
    return draw[fmt](g)


def to_png(g: Graph) -> bytes:
    from PIL import Image, ImageDraw, ImageFont   # here, for start-up time: only PNGs need it
    layout(g)
    img = Image.new("RGB", (_px(g.width), _px(g.height)), "white")
    d = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=11 * SCALE)
    d.text((_px(18), _px(4)), g.title, fill="#24292f", font=font)
    for a, b in g.edges:
        _arrow(d, *edge_ends(g.boxes[a], g.boxes[b]))
    for box in g.boxes:
        _box(d, box, font)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def _px(v: float) -> int:
    return int(round(v * SCALE))


def _arrow(d: ImageDraw.ImageDraw, p: tuple[float, float], q: tuple[float, float]) -> None:
    (x1, y1), (x2, y2) = p, q
    d.line([(_px(x1), _px(y1)), (_px(x2), _px(y2))], fill="#57606a", width=SCALE)
    angle = math.atan2(y2 - y1, x2 - x1)
    wing = [(x2 - 7 * math.cos(angle + s * 0.4), y2 - 7 * math.sin(angle + s * 0.4))
            for s in (-1, 1)]
    d.polygon([(_px(x2), _px(y2))] + [(_px(x), _px(y)) for x, y in wing], fill="#57606a")


def _box(d: ImageDraw.ImageDraw, b: Box, font: ImageFont.ImageFont | ImageFont.FreeTypeFont
         ) -> None:
    left, top, right, bottom = b.x - b.w / 2, b.y, b.x + b.w / 2, b.y + b.h
    corners = [_px(left), _px(top), _px(right), _px(bottom)]
    if b.shape == "circle":
        d.ellipse(corners, fill="white", outline=b.colour, width=SCALE)
    elif b.shape == "diamond":
        d.polygon([(_px(b.x), _px(top)), (_px(right), _px(top + b.h / 2)),
                   (_px(b.x), _px(bottom)), (_px(left), _px(top + b.h / 2))],
                  fill="white", outline=b.colour, width=SCALE)
    else:
        d.rectangle(corners, fill="white", outline=b.colour, width=SCALE)
    for k, line in enumerate(b.lines):
        d.text((_px(left + PAD), _px(top + PAD - 2 + k * LINE_H)), line, fill=b.colour,
               font=font)

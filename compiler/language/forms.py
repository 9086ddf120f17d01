"""Every query form of the language in one registry: the core sugar of sugar.py (mmap,
backdoor, frontdoor, marginals), the further queries of queries.py (normalize, meu, sdp,
twoamc), PASP's maxent and credal (pasp.py) and interventions by graph surgery
(effect.py), moments of the answer under random parameters (moments.py).  Each registers itself with `@register` when its
module is imported; this module imports the three, so a checker that expands through it sees
them all."""
from __future__ import annotations

from atlasc.compiler.language import effect, moments, pasp, queries, sugar

REGISTRY = sugar.REGISTRY
expand = sugar.expand

__all__ = ["REGISTRY", "expand", "effect", "moments", "pasp", "queries"]

"""How a circuit's properties become known: recorded facts first, then what follows from them
(determinism implies X-determinism for X = all variables; a view inherits X-determinism from its
source), and only then the exact checkers.  Every answer is cached on the circuit as a `Fact`."""
from __future__ import annotations

from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.properties.determinism import check_deterministic
from atlasc.compiler.ir.facts import DET, Fact, How, Kind, Prop, Violation, carry, xdet
from atlasc.compiler.properties.structural import (check_decomposable, check_smooth,
                                            check_structured)


def normalise(c: Circuit, prop: Prop) -> Prop:
    if prop.kind is Kind.XDET:
        return xdet(frozenset(prop.X or ()) & c.vars)
    return prop


def establish(c: Circuit, prop: Prop) -> Fact:
    prop = normalise(c, prop)
    if prop in c.facts:
        return c.facts[prop]
    fact = _derive(c, prop) or _verify(c, prop)
    c.facts[prop] = fact
    return fact


def _derive(c: Circuit, prop: Prop) -> Fact | None:
    if prop.kind is not Kind.XDET:
        return None
    if not prop.X:
        return Fact(prop, True, How.PROPAGATED, "vacuous: no variable of X is in scope")
    full = c.facts.get(DET)
    if full is not None and full.holds and prop.X == c.vars:
        # Determinism gives X-determinism only for X covering every variable (P4): projecting
        # disjoint supports onto fewer variables can make them overlap.
        return carry(full, "implied by determinism, X being every variable", prop)
    if not c.is_source:
        src = establish(c.source, prop)
        if src.holds:
            return carry(src, f"the source {c.source.name or 'circuit'} is {prop}; a view keeps it")
    return None


def _verify(c: Circuit, prop: Prop) -> Fact:
    if prop.kind is Kind.SMOOTH:
        return _from_violation(prop, check_smooth(c))
    if prop.kind is Kind.DEC:
        return _from_violation(prop, check_decomposable(c))
    if prop.kind is Kind.STRUCTURED:
        if c.vtree is None:
            return Fact(prop, None, How.VERIFIED, "no vtree is known for this circuit")
        return _from_violation(prop, check_structured(c, c.vtree))
    res = check_deterministic(c, None if prop.kind is Kind.DET else prop.X)
    return Fact(prop, res.holds, How.VERIFIED, f"checked ({res.route})", res.witness)


def _from_violation(prop: Prop, v: Violation | None) -> Fact:
    return Fact(prop, v is None, How.VERIFIED, "checked", v)

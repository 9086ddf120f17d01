"""Lowering: a typed query tree becomes a circuit through the operators of `atlasc.compiler.ops`.

Every operator checks its tractability conditions and records a report `Step`; we attach the
source span of the query text that asked for it.  A failed condition raises
`StructuralPropertyError`, which `program.py` records per query.  Subtrees are lowered once
(memo by identity), so repeated uses are views of one circuit.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from atlasc.compiler import ops
from atlasc.compiler.ops import moments
from atlasc.compiler.errors import (InternalCompilerError, OperatorError, QueryError, SourceError,
                             StructuralPropertyError, WeightRangeError)
from atlasc.compiler.language import typed as Ty
from atlasc.compiler.language.adapters import Options, source_error_at
from atlasc.compiler.language.modelinfo import ModelInfo
from atlasc.compiler.language.positivity import KINDS as POSITIVITY
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.flat import FlatView
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.source import Span
from atlasc.compiler.language.guards import Guard
from atlasc.compiler.language.causal import positivity_note


class QueryFailed(Exception):
    """A query used by another one is not certified: the user is the one that fails."""

    def __init__(self, name: str, error: StructuralPropertyError) -> None:
        super().__init__(name)
        self.name, self.error = name, error


class Lowerer:
    def __init__(self, models: dict[str, ModelInfo], query: Callable[[str], Circuit],
                 views: dict[str, Options] | None = None) -> None:
        self.models = models
        self.query = query            # the circuit of an earlier query (or raises QueryFailed)
        self.views = views or {}      # model -> the options of the view this query reads
        self._memo: dict[int, Circuit] = {}
        self._keep: list[Ty.T] = []   # keeps memo keys alive
        self.guards: list[Guard] = []  # normalisers that must not be zero at run time

    def lower(self, t: Ty.T) -> Circuit:
        key = id(t)
        if key not in self._memo:
            c = self._lower(t)
            if c.step is not None and c.step.span is None:
                c.step.span = t.span
            self._memo[key] = c
            self._keep.append(t)
        return self._memo[key]

    def lowered(self) -> list[Circuit]:
        """Every circuit this lowerer made (the query's subtrees and its guards)."""
        return list(self._memo.values())

    def _lower(self, t: Ty.T) -> Circuit:
        try:
            return self._dispatch(t)
        except StructuralPropertyError as e:
            if e.step is not None and getattr(e.step, "span", None) is None:
                e.step.span = t.span
            raise
        except (QueryFailed, QueryError):
            raise
        except SourceError as e:
            raise source_error_at(e, t.span) from None
        except WeightRangeError as e:
            raise QueryError(str(e), t.span, hint="the weights overflow (or leave) the carrier: "
                             "write them in a log semiring (weights[log])") from None
        except OperatorError as e:
            raise InternalCompilerError(f"the type checker let through an operator misuse "
                                        f"at {t.span.location()}: {e}") from e

    def _dispatch(self, t: Ty.T) -> Circuit:
        if isinstance(t, Ty.TModel):
            m, opts = self.models[t.name], self.views.get(t.name)
            return m.view(opts).circuit if opts is not None else m.circuit()
        if isinstance(t, Ty.TQuery):
            return self.query(t.name)
        if isinstance(t, Ty.TAggregate):
            return ops.aggregate(self.lower(t.operand), t.over)
        if isinstance(t, Ty.TMap):
            return ops.apply_mapping(self.lower(t.operand), t.mapping)
        if isinstance(t, Ty.TProduct):
            return ops.multiply(*(self.lower(f) for f in t.factors))
        if isinstance(t, Ty.TGiven):
            return ops.condition(self.lower(t.operand), dict(t.evidence))
        if isinstance(t, Ty.TRename):
            return ops.rename(self.lower(t.operand), dict(t.pairs))
        if isinstance(t, Ty.TNote):
            return self._note(t)
        if isinstance(t, Ty.TMarginals):
            return ops.marginals(self.lower(t.operand), t.targets)
        if isinstance(t, Ty.TMoments):
            return self._moments(t)
        raise InternalCompilerError(f"cannot lower {type(t).__name__}")

    def _moments(self, t: Ty.TMoments) -> Circuit:
        c = self.lower(t.operand)
        if t.second is None:
            out = moments.dropout(c, t.param, t.label)
        else:
            out = moments.dirichlet(c, self.lower(t.second), dict(t.copies), t.label)
        if out.step is not None:
            out.step.notes += t.notes
        return out

    def _note(self, t: Ty.TNote) -> Circuit:
        """The operand's circuit under a step that names the sugar and what it checked."""
        c = self.lower(t.operand)
        self.guards += [Guard(self.lower(g.table), g.message, t.span, g.kind, g.on)
                        for g in t.guards]
        notes = t.notes
        for g in t.guards:
            if g.kind in POSITIVITY:
                notes += (positivity_note(self.lower(g.table), g.kind, g.on, g.message),)
        step = ops.Step("sugar", t.label, c.sr.name, c.step.scope if c.step else (),
                        inputs=(c.step,) if c.step else (), notes=notes)
        step.size_of(c)
        if isinstance(c, FlatView):
            return c.restep(step)
        return Circuit(c.root, c.builder, c.name, facts=c.facts, provenance=c.provenance,
                       vtree=c.vtree, step=step, info=c.info)

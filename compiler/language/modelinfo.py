"""What a model declaration gives the rest of the language: `ModelInfo` (semiring, variables, a
thunk that compiles the model once), compile options from `with ...` clauses, source variables
declared against the module's, and the numbers and semiring names of the query text."""
from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from fractions import Fraction
from functools import partial
from typing import Any, Callable, Iterable

from atlasc.compiler.errors import QueryNameError, QueryTypeError
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.language import adapters
from atlasc.compiler.language import ast as A
from atlasc.compiler.language.resolve import Env
from atlasc.compiler.semirings import registry as R
from atlasc.compiler.semirings.base import Semiring
from atlasc.compiler.source import Span
from atlasc.compiler.sources.model import BayesNet


@dataclass
class ModelInfo:
    name: str
    decl: A.ModelDecl
    kind: str
    sr: Semiring
    vars: frozenset[Var]
    build: Callable[[adapters.Options], Circuit] = field(repr=False)
    opts: adapters.Options = field(default_factory=adapters.Options)
    parents: dict[Var, tuple[Var, ...]] | None = None   # the graph, for Bayesian networks
    network: BayesNet | None = field(default=None, repr=False)   # its CPTs (effect.py)
    _circuit: Circuit | None = field(default=None, repr=False)
    views: dict[str, "CompiledView"] = field(default_factory=dict, repr=False)

    def circuit(self) -> Circuit:
        if self._circuit is None:
            self._circuit = self.build(self.opts)
        return self._circuit

    @property
    def fixed(self) -> bool:
        """True if the declaration fixes the circuit's structure (a `with vtree` clause, a
        circuit file, a product of leaves, a PASP program): no view is compiled for it."""
        return self.kind not in VIEWABLE or bool(getattr(self.decl.body, "options", ()))

    def view(self, opts: adapters.Options) -> "CompiledView":
        """The model compiled with `opts` beside its own circuit, once per distinct `opts`
        (query-driven compilation, compiler/program/views.py)."""
        key = opts.describe()
        if key not in self.views:
            start = time.perf_counter()
            c = self.build(opts)
            self.views[key] = CompiledView(self.name, opts, c, time.perf_counter() - start)
        return self.views[key]

    def recompile(self, opts: adapters.Options) -> Circuit:
        """Compile again with other options (--repair); later uses get the new circuit."""
        self.opts, self._circuit = opts, None
        return self.circuit()


# models compiled by atlasc from a source, whose vtree the declaration may leave open
VIEWABLE = ("logic", "bayesnet", "bif", "uai", "xmlbif", "net", "cnf", "bayesnet under do")


@dataclass
class CompiledView:
    """A model compiled with options a query needs (its vtree), and what that took."""
    model: str
    opts: adapters.Options
    circuit: Circuit
    seconds: float

    def describe(self) -> str:
        return (f"model {self.model} with {self.opts.describe()} ({self.circuit.size} edges, "
                f"compiled in {self.seconds:.2f} s)")


# ---- options ----------------------------------------------------------------------------------
def options(env: Env, opts: tuple[A.Option, ...], scope: frozenset[Var]) -> adapters.Options:
    """`with vtree KIND`, `with vtree constrained {X}`; several constraints must nest
    (`with vtree constrained {X}, vtree constrained {X, Z}`) and give one vtree for all."""
    kind: str | None = None
    constrained: tuple[Var, ...] | None = None
    sets: list[tuple[frozenset[Var], A.Option]] = []
    for o in opts:
        if o.key.text not in ("vtree", "constrained"):
            raise QueryNameError(f"unknown model option '{o.key.text}'", o.key.span,
                                 "expected 'vtree <kind>' or 'vtree constrained {X, ...}'")
        word = o.arg.text if o.arg is not None else None
        if o.key.text == "constrained" or word == "constrained":
            constrained = _option_vars(env, o, scope)
            sets.append((frozenset(constrained), o))
        elif o.arg is not None and o.key.text == "vtree":
            kind = _vtree_kind(o.arg)
            if o.vars is not None:
                constrained = _option_vars(env, o, scope)
                sets.append((frozenset(constrained), o))
        else:
            raise QueryTypeError("this option needs a vtree kind", o.span,
                                 f"expected one of {', '.join(adapters.VTREE_WORDS)} or "
                                 "constrained {X, ...}")
    if len(sets) < 2:
        return adapters.Options(kind, constrained)
    return _nested(sets, kind)


def _nested(sets: list[tuple[frozenset[Var], A.Option]],
            kind: str | None) -> adapters.Options:
    """One vtree for a chain of constraints; the model source shapes each part."""
    chain = sorted(sets, key=lambda p: len(p[0]))
    for (small, _), (big, o) in zip(chain, chain[1:]):
        if not small <= big:
            raise QueryTypeError("these constraints do not nest, so no single vtree gives "
                                 "both", o.span, "each constrained set must contain the "
                                 "previous one, e.g. constrained {X}, constrained {X, Z}")
    return adapters.Options(kind, tuple(sorted(chain[-1][0])), tuple(s for s, _ in chain))


def _vtree_kind(word: A.Name) -> str:
    kind = word.text.replace("_", "-")
    if kind not in adapters.VTREE_KINDS:
        raise QueryNameError(f"unknown vtree kind '{word.text}'", word.span,
                             f"expected one of {', '.join(adapters.VTREE_WORDS)}, "
                             "or constrained {X, ...}")
    return kind


def _option_vars(env: Env, o: A.Option, scope: frozenset[Var]) -> tuple[Var, ...]:
    if not o.vars:
        raise QueryTypeError("'constrained' needs a set of variables", o.span,
                             "write vtree constrained {X, ...}")
    out = []
    for n in o.vars:
        v = env.var(n)
        if v not in scope:
            raise QueryNameError(f"{v.name} is not a variable of this model", n.span)
        out.append(v)
    return tuple(out)


def semiring(name: A.Name) -> Semiring:
    try:
        return R.get(name.text)
    except R.UnknownSemiring:
        raise QueryNameError(f"unknown semiring '{name.text}'", name.span,
                             f"expected one of {', '.join(R.names())}") from None


MAX_EXPONENT = 100_000     # 1e999120758061 would make Fraction compute 10^999120758061


def number(n: A.Number) -> int | float | Fraction:
    """A literal's exact value: an int, a Fraction for decimals, or +-inf."""
    if n.is_inf:
        return -math.inf if n.negative else math.inf
    text = n.text
    exp = re.search(r"[eE][+-]?(\d+)", text)
    if exp and (len(exp.group(1)) > 6 or int(exp.group(1)) > MAX_EXPONENT):
        raise QueryTypeError(f"{_clip(text)}: the exponent is beyond the limit of "
                             f"{MAX_EXPONENT} (no semiring holds the number, exactly or as "
                             "a double)", n.span, "write the weight in a log semiring "
                             "(weights[log] holds log-weights)")
    if "/" in text:
        num, den = (Fraction(t) for t in text.split("/"))
        if den == 0:
            raise QueryTypeError("division by zero", n.span)
        val: int | Fraction = num / den
    else:
        val = int(text) if text.isdigit() else Fraction(text)
    return -val if n.negative else val


def element(sr: Semiring, value: A.Number | A.PairNumber) -> Any:
    """A literal as an element of `sr` (a type error at the literal if it is not one).  Exact
    semirings (count) keep every integer exact; the others take doubles (`real`)."""
    if isinstance(value, A.PairNumber):
        parts = sr.components or (R.PROB, R.PROB)
        raw: Any = (_literal(parts[0], value.first), _literal(parts[1], value.second))
    else:
        raw = _literal(sr, value)
    try:
        return sr.element(raw)
    except (ValueError, TypeError, OverflowError) as e:
        raise QueryTypeError(f"{_show(raw)} is not a value of the semiring {sr.name}: {e}",
                             value.span) from None


def _literal(sr: Semiring, n: A.Number) -> Any:
    if sr.dtype is not object:
        return real(n)
    v = number(n)
    return v.numerator if isinstance(v, Fraction) and v.denominator == 1 else v


def real(n: A.Number) -> float:
    """A literal as a double: a positioned error where the double would be infinite or zero
    but the literal is not (beyond about 1.8e308, below about 4.9e-324)."""
    v = number(n)
    try:
        f = float(v)
    except OverflowError:
        f = math.inf if v > 0 else -math.inf
    if math.isinf(f) and not n.is_inf:
        raise QueryTypeError(f"{_clip(n.text)} is beyond the range of a double (about "
                             "1.8e308)", n.span, "scale the weights down, or use a log "
                             "semiring (weights[log] holds log-weights)")
    if f == 0 and v != 0:
        raise QueryTypeError(f"{_clip(n.text)} is below the smallest double (about "
                             "4.9e-324) and would be read as 0", n.span,
                             "use a log semiring (weights[log] holds log-weights)")
    return f


def _clip(text: str) -> str:
    return text if len(text) <= 40 else text[:20] + "..." + text[-12:]


def _show(x: Any) -> str:
    if isinstance(x, tuple):
        return "(" + ", ".join(_show(c) for c in x) + ")"
    return f"{x:g}" if isinstance(x, float) else _clip(str(x))


def probability(n: A.Number) -> float:
    p = real(n)
    if not 0.0 <= p <= 1.0:
        raise QueryTypeError(f"{p:g} is not a probability", n.span,
                             "probabilities are between 0 and 1")
    return p


def declare_source_vars(env: Env, vs: Iterable[Var], span: Span, clash: str,
                        mismatch: Callable[[Var], str]) -> None:
    """declare_source_var for each of vs; when none of their names is declared yet and they
    are distinct (a model file's 10^6 variables), all at once into the tables' dicts."""
    vs = list(vs)
    names = [v.name for v in vs]
    vars_, kinds, spans = env.vars.plain(), env.kinds.plain(), env.spans.plain()
    if (vars_ is not None and kinds is not None and spans is not None
            and len(set(names)) == len(names)
            and not any(n in vars_ or n in kinds for n in names)):
        vars_.update(zip(names, vs))
        kinds.update(dict.fromkeys(names, "variable"))
        spans.update(dict.fromkeys(names, span))
        return
    for v in vs:
        declare_source_var(env, v, span, clash, partial(mismatch, v))


def declare_source_var(env: Env, v: Var, span: Span, clash: str,
                       mismatch: Callable[[], str]) -> None:
    """Declare a variable a model source brings (a file's variable, a program's atom), or
    check it against the declaration the query file already has (`mismatch()` says how they
    differ: made only then, a source may bring 10^6 variables)."""
    have = env.vars.get(v.name)
    if have is None:
        if v.name in env.kinds:
            raise QueryNameError(f"{clash} '{v.name}', which is already a "
                                 f"{env.kinds[v.name]} here", span,
                                 notes=((env.spans[v.name], "declared here"),))
        env.vars[v.name], env.kinds[v.name], env.spans[v.name] = v, "variable", span
    elif have.domain != v.domain:
        raise QueryTypeError(f"{mismatch()}, but it is declared with "
                             f"{{{', '.join(have.domain)}}}", span,
                             notes=((env.spans[v.name], "declared here"),))

"""Model sources: real models and formulas become circuits through SDDs (pysdd).

Compiled sources are smooth, decomposable, deterministic and structured by construction (and
X-deterministic for an X-constrained compile); circuits made by other tools are verified on
load.  See docs/sources.md.
"""
from __future__ import annotations

import os
from typing import Iterable

from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.ir.vtree import Vtree
from atlasc.compiler.sources.dimacs import load_dimacs
from atlasc.compiler.sources.external import (describe_facts, load_nnf, load_psdd, load_sdd,
                                       smooth_circuit, verify_facts)
from atlasc.compiler.sources.formulas import compile_cnf_clauses, compile_formula
from atlasc.compiler.sources.limits import Limits
from atlasc.compiler.sources.model import CPT, BayesNet, Factor, MarkovNet, bayesnet, cpt
from atlasc.compiler.sources.networks import compile_bayesnet, compile_model
from atlasc.compiler.sources.repair import recompile
from atlasc.compiler.sources.vtrees import choose_vtree, min_fill_order
from atlasc.compiler.sources.bif import load_bif_model
from atlasc.compiler.sources.uai import load_uai_model
from atlasc.compiler.sources.xmlbif import load_xmlbif_model
from atlasc.compiler.sources.hugin import load_net_model

PathLike = str | os.PathLike[str]


def load_bif(path: PathLike, *, vtree: Vtree | str | None = None,
             constrained: Iterable[Var] | None = None, limits: Limits | None = None) -> Circuit:
    """The network polynomial of a `.bif` / `.bif.gz` network (PROB)."""
    return compile_model(load_bif_model(path), vtree=vtree, constrained=constrained,
                         limits=limits)


def load_uai(path: PathLike, *, vtree: Vtree | str | None = None,
             constrained: Iterable[Var] | None = None, limits: Limits | None = None) -> Circuit:
    """A UAI BAYES or MARKOV model (variables v0..v{n-1}); Markov: unnormalised (PROB)."""
    return compile_model(load_uai_model(path), vtree=vtree, constrained=constrained,
                         limits=limits)


def load_xmlbif(path: PathLike, *, vtree: Vtree | str | None = None,
                constrained: Iterable[Var] | None = None,
                limits: Limits | None = None) -> Circuit:
    return compile_model(load_xmlbif_model(path), vtree=vtree, constrained=constrained,
                         limits=limits)


def load_net(path: PathLike, *, vtree: Vtree | str | None = None,
             constrained: Iterable[Var] | None = None, limits: Limits | None = None) -> Circuit:
    """A Hugin `.net` network (discrete chance nodes)."""
    return compile_model(load_net_model(path), vtree=vtree, constrained=constrained,
                         limits=limits)


def load_model(path: PathLike) -> BayesNet | MarkovNet:
    """The model in a file, by extension (.bif[.gz], .uai, .net[.gz], .xml/.xmlbif)."""
    p = os.fspath(path)
    if p.endswith((".net", ".net.gz")):
        return load_net_model(p)
    if p.endswith((".bif", ".bif.gz")):
        return load_bif_model(p)
    if p.endswith((".uai", ".uai.gz")):
        return load_uai_model(p)
    return load_xmlbif_model(p)


def load_cnf(path: PathLike, *, weighted: bool | None = None, vtree: Vtree | str | None = None,
             constrained: Iterable[Var] | None = None, limits: Limits | None = None) -> Circuit:
    """DIMACS CNF over x1..xn: BOOL, or PROB with literal weights when weighted (default:
    when the file has weight lines).  `c p show` variables are recorded in info["show"] and,
    unless a vtree or constraint is given, the vtree is constrained on them."""
    cnf = load_dimacs(path)
    vs = cnf.variables
    use_w = bool(cnf.weights) if weighted is None else weighted
    show = [vs[i - 1] for i in cnf.show]
    if constrained is None and vtree is None and show:
        constrained = show
    return compile_cnf_clauses(cnf.clauses, vs, weights=cnf.var_weights() if use_w else None,
                               vtree=vtree, constrained=constrained, limits=limits,
                               name=os.path.basename(os.fspath(path)),
                               info={"path": os.fspath(path), "show": tuple(show)})


__all__ = ["BayesNet", "CPT", "Factor", "Limits", "MarkovNet", "bayesnet", "choose_vtree",
           "compile_bayesnet", "compile_cnf_clauses", "compile_formula", "compile_model",
           "cpt", "describe_facts", "load_bif", "load_cnf", "load_model", "load_nnf",
           "load_net", "load_psdd", "load_sdd", "load_uai", "load_xmlbif", "min_fill_order", "recompile",
           "smooth_circuit", "verify_facts"]

"""Marginal MAP and a backdoor adjustment, composed from the three operators of the atlas.

Builds two small probabilistic circuits by hand, applies aggregation, elementwise mappings and
products, prints the tractability report of each query and its value, and shows the report of a
query that is rejected (a circuit that is not Q-deterministic) instead of a wrong number.
Run: `make run` (or `python examples/core_demo.py`)."""
from __future__ import annotations

from atlasc.compiler.errors import StructuralPropertyError
from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.variables import Var, bool_var
from atlasc.compiler.mappings import builtin as M
from atlasc.compiler.ops import aggregate, apply_mapping, model, multiply
from atlasc.compiler.semirings import MAXPROD, PROB
from atlasc.runtime.evaluator import evaluate


def joint_ab(b: Builder, first: Var, second: Var) -> Circuit:
    """p(A,B) = {00: .30, 01: .25, 10: .40, 11: .05}, split on `first`."""
    p = {(0, 0): .30, (0, 1): .25, (1, 0): .40, (1, 1): .05}
    kids = []
    for x in (0, 1):
        w = [p[(x, y)] if first.name == "A" else p[(y, x)] for y in (0, 1)]
        kids.append(b.prod([b.indicator(first, x, PROB), b.input(second, w, PROB)]))
    return model(Circuit(b.sum(kids), b), f"p_split_{first.name}")


def backdoor_model(b: Builder, X: Var, Y: Var, Z: Var) -> Circuit:
    """Z -> X, Z -> Y, X -> Y, split on Z, then X, then Y (docs/atlas.md §5.6)."""
    def y_leaf(x: int, z: int):
        p1 = {(0, 0): .1, (1, 0): .5, (0, 1): .3, (1, 1): .8}[(x, z)]
        return b.input(Y, [1 - p1, p1], PROB)
    def x_branch(z: int):
        px = [0.2, 0.7][z]
        return b.sum([b.prod([b.input(X, [1 - px, 0.0], PROB), y_leaf(0, z)]),
                      b.prod([b.input(X, [0.0, px], PROB), y_leaf(1, z)])])
    root = b.sum([b.prod([b.input(Z, [0.6, 0.0], PROB), x_branch(0)]),
                  b.prod([b.input(Z, [0.0, 0.4], PROB), x_branch(1)])])
    return model(Circuit(root, b), "p")


def main() -> None:
    A, B = bool_var("A"), bool_var("B")
    b = Builder()
    p = joint_ab(b, A, B)
    mmap = aggregate(apply_mapping(aggregate(p, [B]), M.identity(PROB, MAXPROD)), [A])
    res = evaluate(mmap, argmax=True)
    print("== marginal MAP  max_A sum_B p(A,B)")
    print(mmap.step.render())
    print(f"value {res.values[0]:.4f} at A={A.domain[res.argmax[0][A]]}\n")

    bad = joint_ab(b, B, A)
    print("== the same query on a circuit split on B first (not {A}-deterministic)")
    try:
        aggregate(apply_mapping(aggregate(bad, [B]), M.identity(PROB, MAXPROD)), [A])
    except StructuralPropertyError as e:
        print(e.step.render())
        print("no number is returned.\n")

    X, Y, Z = bool_var("X"), bool_var("Y"), bool_var("Z")
    q = backdoor_model(b, X, Y, Z)
    do = aggregate(multiply(q, aggregate(q, [X, Y]), apply_mapping(aggregate(q, [Y]), M.recip())), [Z])
    print("== backdoor adjustment  p_do(x)(y) = sum_z p(z) p(y | x, z)")
    print(do.step.render())
    rows = [{X: x, Y: 1} for x in (1, 0)]
    for row, v in zip(rows, evaluate(do, assignment=rows).values):
        print(f"p_do(X={X.domain[row[X]]})(Y=true) = {v:.4f}")


if __name__ == "__main__":
    main()

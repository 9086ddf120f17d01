"""`Circuit`: a root node with its builder, its known properties and its provenance.

Provenance (docs/atlas.md §3.5, P9): a circuit obtained from a source circuit S by aggregations,
mappings, evidence and support-compatible products is a *view* of S.  It records S's root and
the node map iota (source node -> view node) with, per source node, the empty-scope factors
that sit on top of the image: iota(a) = F_a (x) op(iota(a_1), ..., iota(a_k)).  A circuit that is
not derived this way is its own source (identity map).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from atlasc.compiler.ir.builder import Builder
from atlasc.compiler.ir.facts import Fact, Prop
from atlasc.compiler.ir.nodes import Node
from atlasc.compiler.ir.report import Step
from atlasc.compiler.ir.traverse import edges, topo
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.ir.vtree import Vtree
from atlasc.compiler.lazy import lazy_module

if TYPE_CHECKING:
    import atlasc.compiler.ir.picture as picture
else:   # html and decimal (the printer's) at the first picture, not at every start-up
    picture = lazy_module("atlasc.compiler.ir.picture")


@dataclass
class Provenance:
    """Where a view's nodes come from: its source circuit and the node map."""
    source: "Circuit"
    iso: dict[int, Node] | None      # source uid -> view node; None: identity
    factors: dict[int, tuple[Node, ...]] = field(default_factory=dict)
    root_factors: tuple[Node, ...] = ()   # empty-scope factors multiplied at the root

    def image(self, n: Node) -> Node | None:
        return n if self.iso is None else self.iso.get(n.uid)

    def image_of(self, n: Node) -> Node:
        """The image of a source node the view is known to keep (KeyError if it is not)."""
        return n if self.iso is None else self.iso[n.uid]

    def factors_of(self, n: Node) -> tuple[Node, ...]:
        return self.factors.get(n.uid, ())


class Circuit:
    def __init__(self, root: Node, builder: Builder, name: str = "",
                 facts: dict["Prop", "Fact"] | None = None,
                 provenance: Provenance | None = None, vtree: "Vtree | None" = None,
                 step: "Step | None" = None, info: dict[str, Any] | None = None) -> None:
        if not builder.owns(root):
            raise ValueError("the root was not made by this builder")
        self.root = root
        self.builder = builder
        self.name = name
        self.facts: dict[Prop, Fact] = dict(facts or {})
        self.provenance = provenance or Provenance(self, None)
        self.vtree = vtree          # a vtree the circuit respects (by construction), if known
        self.step = step            # the operator step that made it (report tree)
        self.info = dict(info or {})

    @property
    def sr(self) -> Any:
        return self.root.sr

    @property
    def vars(self) -> frozenset[Var]:
        return self.builder.scope(self.root)

    def scope(self, n: Node) -> frozenset[Var]:
        return self.builder.scope(n)

    def nodes(self) -> list[Node]:
        return topo(self.root)

    @property
    def size(self) -> int:
        """|C|, the number of edges."""
        return edges(self.root)

    @property
    def num_nodes(self) -> int:
        return len(topo(self.root))

    @property
    def source(self) -> "Circuit":
        return self.provenance.source

    @property
    def is_source(self) -> bool:
        return self.provenance.source is self

    def __repr__(self) -> str:
        return (f"Circuit({self.name or '?'}: {self.sr.name} over "
                f"{{{', '.join(v.name for v in sorted(self.vars))}}}, |C|={self.size})")

    def _repr_html_(self) -> str:
        """The circuit as an SVG picture (summarised layer by layer when it is large)."""
        return picture.to_svg(picture.circuit_graph(self))


class NodesOnDemand(Circuit):
    """A circuit held in another form (flat arrays, a circuit beside weight groups) whose node
    circuit is built on first use by `as_nodes`: `root` and `builder` are that circuit's."""

    def as_nodes(self) -> Circuit:
        raise NotImplementedError

    @property
    def root(self) -> Node:  # type: ignore[override]
        return self.as_nodes().root

    @property
    def builder(self) -> Builder:  # type: ignore[override]
        return self.as_nodes().builder

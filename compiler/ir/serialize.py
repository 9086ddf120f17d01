"""JSON import and export of circuits; the schema is documented in docs/circuit-json.md.

`to_json` lists the nodes in the printer's order (`atlasc.compiler.ir.printer.post_order`), so node
index i in the JSON is ``n<i>`` in `print_circuit`.  `from_json` checks everything it reads and
reports the first problem as a `SourceError` that names the field and the node; it never lets a
KeyError or TypeError out.  Both directions are iterative (10^6-node circuits are fine).

Map nodes name their mapping.  Builtin mappings are rebuilt from their name, semirings and
params; user mappings (those with a printable ``expr``) must be supplied by the caller through
``mappings=``, because importing never parses or runs text.
"""
from __future__ import annotations

import json
import math
from typing import Any, Iterable, Mapping as TMapping

from atlasc.compiler.errors import SourceError
from atlasc.compiler.ir.builder import Builder, BuilderError
from atlasc.compiler.ir.circuit import Circuit
from atlasc.compiler.ir.nodes import LEAVES, Node, Op
from atlasc.compiler.ir.printer import numbering, post_order
from atlasc.compiler.ir.variables import Var
from atlasc.compiler.version import SCHEMA
from atlasc.compiler.ir.vtree import Vtree
from atlasc.compiler.mappings import builtin
from atlasc.compiler.mappings.base import Mapping
from atlasc.compiler.ir.facts import Fact, How, Kind, Prop
from atlasc.compiler.semirings import registry
from atlasc.compiler.semirings.base import Semiring
from atlasc.compiler.semirings.wide import INT_DIGITS, Wide, int_text

FORMAT = "atlasc-circuit"
VERSION = 1


# ==== export =================================================================================
def to_json(c: Circuit) -> dict[str, Any]:
    """The circuit as a JSON-ready dict (see docs/circuit-json.md)."""
    nodes = post_order(c.root)
    index = numbering(nodes)
    return {"schema": SCHEMA, "kind": "circuit", "format": FORMAT, "version": VERSION,
            "name": c.name, "semiring": c.sr.name,
            "variables": [_var_json(v) for v in _all_vars(c, nodes)],
            "nodes": [_node_json(n, index) for n in nodes],
            "root": index[c.root.uid],
            "facts": [_fact_json(f) for f in sorted(c.facts.values(), key=lambda f: str(f.prop))],
            "vtree": _vtree_json(c.vtree) if c.vtree is not None else None}


def dumps(c: Circuit, indent: int | None = None) -> str:
    return json.dumps(to_json(c), indent=indent, allow_nan=False)


def _all_vars(c: Circuit, nodes: list[Node]) -> list[Var]:
    vs = {n.leaf.var for n in nodes if n.op in LEAVES}
    if c.vtree is not None:
        vs |= c.vtree.vars
    for prop in c.facts:
        vs |= prop.X or frozenset()
    by_name: dict[str, Var] = {}
    for v in sorted(vs):
        if by_name.setdefault(v.name, v) != v:
            raise ValueError(f"two variables are named {v.name!r} with different domains")
    return list(by_name.values())


def _var_json(v: Var) -> dict[str, Any]:
    return {"name": v.name, "domain": list(v.domain)}


def _node_json(n: Node, index: dict[int, int]) -> dict[str, Any]:
    out: dict[str, Any] = {"op": n.op.value, "semiring": n.sr.name}
    if n.op in LEAVES:
        out["var"] = n.leaf.var.name
        out["weights"] = [encode_value(w) for w in n.leaf.weights]
    elif n.op is Op.CONST:
        out["value"] = encode_value(n.arg)
    else:
        out["children"] = [index[k.uid] for k in n.children]
    if n.op is Op.MAP:
        out["mapping"] = _mapping_json(n.arg)
    return out


def _mapping_json(m: Mapping) -> dict[str, Any]:
    out = {"name": m.name, "src": m.src.name, "dst": m.dst.name,
           "params": [encode_value(p) for p in m.params]}
    if m.expr:
        out["expr"] = m.expr
    return out


def encode_value(x: Any) -> Any:
    """A semiring element as JSON: pairs as lists, +-inf as the strings "inf" and "-inf"."""
    if isinstance(x, (tuple, list)):
        return [encode_value(y) for y in x]
    if isinstance(x, Wide):
        return x.scientific(17)
    if isinstance(x, int) and not isinstance(x, bool) and x.bit_length() >= INT_DIGITS * 3:
        return int_text(x)          # a count past Python's int-to-str limit: its digits
    if isinstance(x, float) and math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if isinstance(x, float) and math.isnan(x):
        raise ValueError("NaN is not a semiring element")
    return x


def _fact_json(f: Fact) -> dict[str, Any]:
    out: dict[str, Any] = {"property": f.prop.kind.value, "holds": f.holds,
                           "how": f.how.value, "detail": f.detail}
    if f.prop.X is not None:
        out["X"] = sorted(v.name for v in f.prop.X)
    return out


def _vtree_json(t: Vtree) -> list[Any]:
    """Post-order list: a leaf is ``{"var": name}``, an inner node ``{"left": i, "right": j}``
    with earlier indices; the last entry is the vtree's root."""
    out: list[Any] = []
    pos: dict[int, int] = {}
    for s in t._postorder():
        if s.var is not None:
            out.append({"var": s.var.name})
        else:
            out.append({"left": pos[id(s.children[0])], "right": pos[id(s.children[1])]})
        pos[id(s)] = len(out) - 1
    return out


# ==== import =================================================================================
MappingTable = TMapping[str, Mapping] | Iterable[Mapping]


def loads(text: str, builder: Builder | None = None, *, mappings: MappingTable = (),
          file: str | None = None) -> Circuit:
    """`from_json` of a JSON text; syntax errors carry the line and column."""
    try:
        d = json.loads(text)
    except json.JSONDecodeError as e:
        raise SourceError(f"not valid JSON: {e.msg}", file, e.lineno, e.colno) from None
    except RecursionError:
        raise SourceError("not valid circuit JSON: nested too deeply", file) from None
    return from_json(d, builder, mappings=mappings, file=file)


def from_json(d: dict[str, Any], builder: Builder | None = None, *,
              mappings: MappingTable = (), file: str | None = None) -> Circuit:
    """Rebuild a circuit from `to_json`'s dict in `builder` (a new one if None).

    `mappings` supplies user-defined mappings (a dict by name, or an iterable); builtin ones
    are rebuilt by name.  Any problem raises `SourceError` naming what is wrong."""
    r = _Reader(file, _mapping_table(mappings))
    return r.circuit(d, builder or Builder())


def _mapping_table(ms: MappingTable) -> list[Mapping]:
    if isinstance(ms, TMapping):
        return list(ms.values())
    return list(ms)


class _Reader:
    """Reads one document; `where` is the path of the field being read, for messages."""

    def __init__(self, file: str | None, user_maps: list[Mapping]) -> None:
        self.file = file
        self.user_maps = user_maps
        self.vars: dict[str, Var] = {}

    def fail(self, where: str, what: str) -> SourceError:
        return SourceError(f"circuit JSON: {where}: {what}", self.file)

    # ---- generic field access ----------------------------------------------------------
    def field(self, d: Any, key: str, where: str, types: Any, optional: bool = False) -> Any:
        if not isinstance(d, dict):
            raise self.fail(where, f"expected an object, got {_kind(d)}")
        if key not in d:
            if optional:
                return None
            raise self.fail(where, f"missing field {key!r}")
        v = d[key]
        if (isinstance(v, bool) and bool not in _tuple(types)) or not isinstance(v, types):
            if optional and v is None:
                return None
            raise self.fail(f"{where}.{key}", f"expected {_type_names(types)}, got {_kind(v)}")
        return v

    def semiring(self, name: str, where: str) -> Semiring:
        try:
            return registry.get(name)
        except registry.UnknownSemiring:
            raise self.fail(where, f"unknown semiring {name!r}; known: "
                            f"{', '.join(registry.names())}") from None

    def var(self, name: Any, where: str) -> Var:
        if not isinstance(name, str) or name not in self.vars:
            raise self.fail(where, f"unknown variable {name!r} (not in 'variables')")
        return self.vars[name]

    # ---- the document -------------------------------------------------------------------
    def circuit(self, d: Any, b: Builder) -> Circuit:
        self.header(d)
        self.read_vars(self.field(d, "variables", "document", list))
        raw = self.field(d, "nodes", "document", list)
        if not raw:
            raise self.fail("nodes", "a circuit needs at least one node")
        nodes = self.read_nodes(raw, b)
        root = self.field(d, "root", "document", int)
        if not 0 <= root < len(nodes):
            raise self.fail("root", f"index {root} is not a node (0..{len(nodes) - 1})")
        sr_name = self.field(d, "semiring", "document", str, optional=True)
        if sr_name is not None and sr_name != nodes[root].sr.name:
            raise self.fail("semiring", f"the document says {sr_name!r} but the root node "
                            f"is in {nodes[root].sr.name}")
        name = self.field(d, "name", "document", str, optional=True) or ""
        facts = self.read_facts(self.field(d, "facts", "document", list, optional=True) or [])
        vt = self.field(d, "vtree", "document", list, optional=True)
        return Circuit(nodes[root], b, name=name, facts=facts,
                       vtree=self.read_vtree(vt) if vt else None)

    def header(self, d: Any) -> None:
        fmt = self.field(d, "format", "document", str)
        if fmt != FORMAT:
            raise self.fail("format", f"expected {FORMAT!r}, got {fmt!r}")
        v = self.field(d, "version", "document", int)
        if v != VERSION:
            raise self.fail("version", f"this compiler reads version {VERSION}, not {v}")

    def read_vars(self, raw: list[Any]) -> None:
        for i, item in enumerate(raw):
            where = f"variables[{i}]"
            name = self.field(item, "name", where, str)
            dom = self.field(item, "domain", where, list)
            if not all(isinstance(x, str) for x in dom):
                raise self.fail(f"{where}.domain", "domain values must be strings")
            if name in self.vars:
                raise self.fail(where, f"variable {name!r} is declared twice")
            try:
                self.vars[name] = Var(name, tuple(dom))
            except ValueError as e:
                raise self.fail(where, str(e)) from None

    # ---- nodes --------------------------------------------------------------------------
    def read_nodes(self, raw: list[Any], b: Builder) -> list[Node]:
        nodes: list[Node] = []
        for i, item in enumerate(raw):
            where = f"nodes[{i}]"
            try:
                nodes.append(self.node(item, where, nodes, b))
            except (BuilderError, ValueError, TypeError, OverflowError) as e:
                raise self.fail(where, str(e)) from None
        return nodes

    def node(self, item: Any, where: str, done: list[Node], b: Builder) -> Node:
        op_name = self.field(item, "op", where, str)
        try:
            op = Op(op_name)
        except ValueError:
            raise self.fail(f"{where}.op", f"unknown op {op_name!r}; known: "
                            f"{', '.join(o.value for o in Op)}") from None
        sr = self.semiring(self.field(item, "semiring", where, str), f"{where}.semiring")
        if op in LEAVES:
            return self.leaf(item, where, op, sr, b)
        if op is Op.CONST:
            return b.const(self.value(self.field(item, "value", where, (int, float, str, list,
                                                                        bool)), sr, where), sr)
        kids = self.children(item, where, done)
        if op is Op.MAP:
            return self.map_node(item, where, sr, kids, b)
        return b.sum(kids, sr) if op is Op.SUM else b.prod(kids, sr)

    def leaf(self, item: Any, where: str, op: Op, sr: Semiring, b: Builder) -> Node:
        v = self.var(self.field(item, "var", where, str), f"{where}.var")
        ws = [self.value(w, sr, f"{where}.weights")
              for w in self.field(item, "weights", where, list)]
        return b.input(v, ws, sr) if op is Op.INPUT else b.margin(v, ws, sr)

    def children(self, item: Any, where: str, done: list[Node]) -> list[Node]:
        raw = self.field(item, "children", where, list)
        for k in raw:
            if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < len(done):
                raise self.fail(f"{where}.children", f"{k!r} is not the index of an earlier "
                                f"node (nodes are listed children first)")
        return [done[k] for k in raw]

    def value(self, x: Any, sr: Semiring, where: str) -> Any:
        try:
            return sr.element(decode_value(x))
        except (ValueError, TypeError, OverflowError) as e:
            raise self.fail(where, f"{_short(x)} is not an element of {sr.name}: {e}") from None

    # ---- mappings -----------------------------------------------------------------------
    def map_node(self, item: Any, where: str, sr: Semiring, kids: list[Node],
                 b: Builder) -> Node:
        if len(kids) != 1:
            raise self.fail(f"{where}.children", f"a map node has one child, not {len(kids)}")
        m = self.mapping(self.field(item, "mapping", where, dict), f"{where}.mapping")
        if m.dst != sr:
            raise self.fail(where, f"mapping {m.name} produces {m.dst.name}, "
                            f"the node is in {sr.name}")
        return b.map(m, kids[0])

    def mapping(self, d: dict[str, Any], where: str) -> Mapping:
        name = self.field(d, "name", where, str)
        src = self.semiring(self.field(d, "src", where, str), f"{where}.src")
        dst = self.semiring(self.field(d, "dst", where, str), f"{where}.dst")
        params = tuple(decode_value(p) for p in
                       self.field(d, "params", where, list, optional=True) or [])
        params = tuple(tuple(p) if isinstance(p, list) else p for p in params)
        expr = self.field(d, "expr", where, str, optional=True) or ""
        key = (name, src.name, dst.name, params, expr)
        for m in self.user_maps:
            if m.key() == key:
                return m
        if expr or name not in builtin.BUILTIN_NAMES:
            raise self.fail(where, _unknown_user_mapping(name, src, dst, expr))
        return self.builtin(name, src, dst, params, where)

    def builtin(self, name: str, src: Semiring, dst: Semiring, params: tuple[Any, ...],
                where: str) -> Mapping:
        try:
            m = builtin.lookup(name, src, dst, params)
        except (builtin.UnknownMapping, ValueError, TypeError) as e:
            raise self.fail(where, f"cannot rebuild builtin mapping {name}: "
                            f"{e.args[0] if e.args else e}") from None
        if m.params != params:
            raise self.fail(f"{where}.params", f"builtin mapping {name} has params "
                            f"{list(m.params)}, not {list(params)}")
        return m

    # ---- facts and vtree ----------------------------------------------------------------
    def read_facts(self, raw: list[Any]) -> dict[Prop, Fact]:
        out: dict[Prop, Fact] = {}
        for i, item in enumerate(raw):
            f = self.fact(item, f"facts[{i}]")
            out[f.prop] = f
        return out

    def fact(self, item: Any, where: str) -> Fact:
        kind = self.enum(Kind, self.field(item, "property", where, str), f"{where}.property")
        how = self.enum(How, self.field(item, "how", where, str), f"{where}.how")
        holds = self.field(item, "holds", where, bool, optional=True)
        detail = self.field(item, "detail", where, str, optional=True) or ""
        X = None
        if kind is Kind.XDET:
            names = self.field(item, "X", where, list)
            X = frozenset(self.var(n, f"{where}.X") for n in names)
        return Fact(Prop(kind, X), holds, how, detail)

    def enum(self, cls: Any, value: str, where: str) -> Any:
        try:
            return cls(value)
        except ValueError:
            raise self.fail(where, f"unknown value {value!r}; known: "
                            f"{', '.join(e.value for e in cls)}") from None

    def read_vtree(self, raw: list[Any]) -> Vtree:
        done: list[Vtree] = []
        for i, item in enumerate(raw):
            where = f"vtree[{i}]"
            if isinstance(item, dict) and "var" in item:
                done.append(Vtree.leaf(self.var(item["var"], f"{where}.var")))
                continue
            kids = [self.field(item, k, where, int) for k in ("left", "right")]
            if not all(0 <= k < i for k in kids):
                raise self.fail(where, "left and right must be indices of earlier entries")
            try:
                done.append(Vtree.node(done[kids[0]], done[kids[1]]))
            except ValueError as e:
                raise self.fail(where, str(e)) from None
        return done[-1]


def decode_value(x: Any) -> Any:
    """The inverse of `encode_value` (before the semiring's own check)."""
    if isinstance(x, list):
        return tuple(_decode_scalar(y) for y in x)
    return _decode_scalar(x)


def _decode_scalar(x: Any) -> Any:
    if isinstance(x, (list, dict)):
        raise ValueError(f"expected a number, got {_kind(x)}")
    if isinstance(x, str):
        if x in ("inf", "-inf"):
            return float(x)
        raise ValueError(f"the only strings allowed as values are \"inf\" and \"-inf\", "
                         f"not {x!r}")
    return x


def _unknown_user_mapping(name: str, src: Semiring, dst: Semiring, expr: str) -> str:
    what = f"{name}: {src.name} -> {dst.name}" + (f" = {expr}" if expr else "")
    return (f"unknown mapping {what}; user-defined mappings must be supplied to the importer "
            f"(mappings=...)")


def _short(x: Any) -> str:
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."


def _tuple(t: Any) -> tuple[Any, ...]:
    return t if isinstance(t, tuple) else (t,)


def _type_names(t: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", int: "an integer",
             float: "a number", bool: "true or false"}
    return " or ".join(names.get(x, x.__name__) for x in _tuple(t))


def _kind(v: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            int: "an integer", float: "a number", type(None): "null"}.get(type(v),
                                                                           type(v).__name__)

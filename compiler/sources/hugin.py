"""The Hugin NET format (`.net`, as Hugin, pyAgrum and GeNIe write it) into a `BayesNet`.

    net { name = asia; node_size = (50 50); }
    node X { states = ("yes" "no"); label = "X"; }       % also `discrete node X`
    potential ( X | A B ) { data = ((( 0.1 0.9 ) ( 0.3 0.7 )) ... ); }

`%` starts a comment that runs to the end of its line.  States are quoted strings or bare
words; attributes other than `states` and `data` are read and ignored.  The numbers of `data`
list the parent configurations in the order the parents are written, the last parent
fastest, and within each configuration the child's states (the parentheses are optional).
Continuous, decision, utility and function nodes, classes (OOBNs) and tables given by
expressions (`model_nodes`) are refused with the line.  Every error is a `SourceError` at the
line of the offending token.
"""
from __future__ import annotations

import os
import re
from typing import Callable, Iterator

import numpy as np

from atlasc.compiler.ir.variables import Var
from atlasc.compiler.sources.blocks import NetworkParser
from atlasc.compiler.sources.model import CPT, BayesNet
from atlasc.compiler.sources.text import Tok, Tokens, read_text, tokenize

_TOKEN = re.compile(r'%[^\n]*|("(?:[^"\\\n]|\\.)*"|[{}()=;|]|[^\s{}()=;|"%]+)')
_PUNCT = "{}()=;|"
_KINDS = ("node", "decision", "utility", "function")
_PREFIX = ("discrete", "continuous", "chance")


def load_net_model(path: str | os.PathLike[str]) -> BayesNet:
    file = os.fspath(path)
    return parse_net(read_text(file), file)


def parse_net(text: str, file: str = "<net>") -> BayesNet:
    return _Parser(Tokens(tokenize(text, _TOKEN), file)).network(file, os.path.basename(file))


Value = Tok | list["Value"]


class _Parser(NetworkParser):
    expected = "'net', 'node' or 'potential'"
    unit = "node"
    declare = "a 'node' block"

    def block(self, t: Tok) -> Callable[[Tok], None] | None:
        if t.text in _PREFIX or t.text in _KINDS:
            return self._node
        return {"net": self._net, "potential": self._potential, "class": self._class}.get(t.text)

    def _net(self, start: Tok) -> None:
        attrs = self._attributes()
        self.name = _text(attrs["name"][0]) if "name" in attrs else ""

    def _class(self, start: Tok) -> None:
        raise self.ts.error("Hugin classes (object-oriented networks) are not supported", start,
                            "save the network unfolded (flat) as NET")

    # ---- blocks ----------------------------------------------------------------------------
    def _node(self, start: Tok) -> None:
        words = [start]
        while words[-1].text in _PREFIX:
            words.append(self.ts.next("'node'"))
        kind = words[-1]
        if kind.text not in _KINDS:
            raise self.ts.error(f"expected 'node', found {kind.text!r}", kind)
        if kind.text != "node" or any(w.text == "continuous" for w in words):
            what = "continuous" if kind.text == "node" else kind.text
            raise self.ts.error(f"{what} nodes are not supported (only discrete chance "
                                "nodes: a Bayesian network)", start)
        name = self._word("a node name")
        attrs = self._attributes()
        if "states" not in attrs:
            raise self.ts.error(f"node {name!r} has no states", start,
                                'write states = ("a" "b" ...);')
        value, at = attrs["states"]
        states = value if isinstance(value, list) else [value]
        if any(isinstance(s, list) for s in states):
            raise self.ts.error(f"node {name!r}: states must be a flat list", at)
        if name in self.vars:
            raise self.ts.error(f"node {name!r} is declared twice", start)
        try:
            self.vars[name] = Var(name, tuple(_text(s) for s in states))
        except ValueError as e:
            raise self.ts.error(f"node {name!r}: {e}", at) from None
        self.lines[name] = start.line

    def _potential(self, start: Tok) -> None:
        self.ts.expect("(")
        head = self._names(("|", ")"))
        parents = self._names((")",)) if self.ts.accept("|") else []
        self.ts.expect(")")
        if len(head) != 1:
            raise self.ts.error("a potential needs exactly one variable before '|' (joint "
                                "potentials of chain graphs are not supported)", start)
        child = self.lookup(head[0])
        ps = tuple(self.lookup(t) for t in parents)
        attrs = self._attributes() if self.ts.peek() == "{" else {}
        self.ts.accept(";")
        if "data" not in attrs:
            extra = " (tables given by expressions are not supported)" \
                if "model_nodes" in attrs else ""
            raise self.ts.error(f"the potential of {child.name} has no data{extra}", start)
        value, at = attrs["data"]
        self.cpts.append(CPT(child, ps, self._table(child, ps, value, at), start.line))

    def _table(self, child: Var, parents: tuple[Var, ...], value: Value, at: Tok
               ) -> np.ndarray:
        words = list(_flatten(value))
        shape = tuple(p.size for p in parents) + (child.size,)
        want = int(np.prod(shape))
        if len(words) != want:
            raise self.ts.error(f"the potential of {child.name} needs {want} numbers, got "
                                f"{len(words)}", at)
        nums = []
        for w in words:
            try:
                nums.append(float(w.text))
            except ValueError:
                raise self.ts.error(f"the potential of {child.name}: expected a number, "
                                    f"found {w.text!r}", w) from None
        return np.asarray(nums).reshape(shape)

    # ---- attributes and values -------------------------------------------------------------
    def _attributes(self) -> dict[str, tuple[Value, Tok]]:
        """`{ NAME = value; ... }`, each value with the token it starts at."""
        self.ts.expect("{")
        out: dict[str, tuple[Value, Tok]] = {}
        while not self.ts.accept("}"):
            key = self._word_tok("an attribute name or '}'")
            self.ts.expect("=")
            at = self.ts.peek_tok() or key
            out[key.text] = (self._value(), at)
            self.ts.expect(";")
        return out

    def _value(self) -> Value:
        if not self.ts.accept("("):
            return self._word_tok("a value")
        items: list[Value] = []
        while not self.ts.accept(")"):
            items.append(self._value())
        return items

    def _names(self, stops: tuple[str, ...]) -> list[Tok]:
        out = []
        while self.ts.peek() not in stops:
            t = self.ts.next(f"a node name or {stops[-1]!r}")
            if t.text in _PUNCT:
                raise self.ts.error(f"expected a node name, found {t.text!r}", t)
            out.append(t)
        return out

    def _word(self, what: str) -> str:
        return self._word_tok(what).text

    def _word_tok(self, what: str) -> Tok:
        t = self.ts.next(what)
        if t.text in _PUNCT:
            raise self.ts.error(f"expected {what}, found {t.text!r}", t)
        return t



def _flatten(v: Value) -> Iterator[Tok]:
    if isinstance(v, list):
        for x in v:
            yield from _flatten(x)
    else:
        yield v


def _text(v: Value) -> str:
    """A word or a quoted string as its text (the quotes and escapes removed)."""
    if isinstance(v, list):
        return " ".join(_text(x) for x in v)
    w = v.text
    if len(w) >= 2 and w[0] == '"' and w[-1] == '"':
        return re.sub(r"\\(.)", r"\1", w[1:-1])
    return w

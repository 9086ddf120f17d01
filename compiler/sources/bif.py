"""The BIF format (bnlearn, `.bif` and `.bif.gz`) into a `BayesNet`.

    network NAME { ... }
    variable X { type discrete [ 2 ] { yes, no }; }
    probability ( X | A, B ) { (a1, b1) 0.1, 0.9; ... default 0.5, 0.5; }
    probability ( Y ) { table 0.2, 0.8; }

A ``table`` with parents lists the child's values slowest (child-major), as pgmpy reads it.
Every error is a `SourceError` at the line of the offending declaration.
"""
from __future__ import annotations

import os
import re
from typing import Callable, Sized

import numpy as np

from atlasc.compiler.ir.variables import Var
from atlasc.compiler.sources.biffast import ALPHA, parse_regular
from atlasc.compiler.sources.blocks import NetworkParser
from atlasc.compiler.sources.model import CPT, BayesNet
from atlasc.compiler.sources.text import Tok, Tokens, read_text, tokenize

_PUNCT = "{}()[];,|"
_TOKEN = re.compile(r"//[^\n]*|/\*.*?\*/|([{}()\[\];,|]|[^\s{}()\[\];,|]+)", re.S)


def load_bif_model(path: str | os.PathLike[str]) -> BayesNet:
    file = os.fspath(path)
    return parse_bif(read_text(file), file)


def parse_bif(text: str, file: str = "<bif>") -> BayesNet:
    """The network of BIF text: regular text by the fast reader (compiler/sources/biffast.py),
    anything else, and every error, by the token reader."""
    return parse_regular(text, file) or parse_tokens(text, file)


def parse_tokens(text: str, file: str = "<bif>") -> BayesNet:
    return _Parser(Tokens(tokenize(text, _TOKEN), file)).network(file)


class _Parser(NetworkParser):
    expected = "'network', 'variable' or 'probability'"
    declare = "a 'variable' block"

    def block(self, t: Tok) -> Callable[[Tok], None] | None:
        return {"network": self._network, "variable": self._variable,
                "probability": self._probability}.get(t.text)

    # ---- blocks ----------------------------------------------------------------------------
    def _network(self, start: Tok) -> None:
        words = []
        while self.ts.peek() not in ("{", None):
            words.append(self.ts.next().text)
        self._skip_block()
        self.name = " ".join(words)

    def _skip_block(self) -> None:
        self.ts.expect("{")
        depth = 1
        while depth:
            t = self.ts.next("'}'").text
            depth += (t == "{") - (t == "}")

    def _skip_statement(self) -> None:
        while self.ts.next("';'").text != ";":
            pass

    def _variable(self, start: Tok) -> None:
        name = self._word("a variable name")
        self.ts.expect("{")
        states: tuple[str, ...] | None = None
        while not self.ts.accept("}"):
            t = self.ts.next("'type', 'property' or '}'")
            if t.text == "type":
                states = self._type(name)
            else:
                self._skip_statement()
        if states is None:
            raise self.ts.error(f"variable {name!r} has no 'type discrete' line", start)
        if name in self.vars:
            raise self.ts.error(f"variable {name!r} is declared twice", start)
        try:
            self.vars[name] = Var(name, states)
        except ValueError as e:
            raise self.ts.error(str(e), start) from None
        self.lines[name] = start.line

    def _type(self, name: str) -> tuple[str, ...]:
        t = self.ts.next("'discrete'")
        if t.text != "discrete":
            raise self.ts.error(f"variable {name!r}: only discrete variables are supported, "
                                f"found type {t.text!r}", t)
        self.ts.expect("[")
        n = self.ts.integer("the number of states")
        self.ts.expect("]")
        self.ts.expect("{")
        states = self._list("}")
        self.ts.accept(";")
        if len(states) != n:
            raise self.ts.error(f"variable {name!r} declares {n} states but lists "
                                f"{len(states)}", t)
        return tuple(states)

    def _list(self, close: str) -> list[str]:
        out: list[str] = []
        while not self.ts.accept(close):
            if out:
                self.ts.accept(",")
                if self.ts.accept(close):
                    break
            out.append(self._word("a name"))
        return out

    def _word(self, what: str) -> str:
        t = self.ts.next(what)
        if t.text in _PUNCT:
            raise self.ts.error(f"expected {what}, found {t.text!r}", t)
        return t.text

    # ---- probability blocks -----------------------------------------------------------------
    def _probability(self, start: Tok) -> None:
        self.ts.expect("(")
        child = self.lookup(self.ts.next("a variable name"))
        parents: list[Var] = []
        if self.ts.accept("|"):
            parents = [self.lookup(self._tok_of(n)) for n in self._list_toks(")")]
        else:
            self.ts.expect(")")
        table = _Table(child, tuple(parents), self.ts, start)
        self.ts.expect("{")
        while not self.ts.accept("}"):
            self._entry(table)
        self.cpts.append(CPT(child, tuple(parents), table.finish(), start.line, table.alpha))

    def _list_toks(self, close: str) -> list[Tok]:
        out: list[Tok] = []
        while not self.ts.accept(close):
            if out:
                self.ts.accept(",")
            out.append(self.ts.next(f"a name or {close!r}"))
        return out

    @staticmethod
    def _tok_of(t: Tok) -> Tok:
        return t


    def _entry(self, table: "_Table") -> None:
        t = self.ts.next("'table', 'default', '(' or '}'")
        if t.text in ("table", "default"):
            table.put(t.text, self._numbers(), t)
        elif t.text == "(":
            states = self._list_toks(")")
            table.row(states, self._numbers(), t)
        elif t.text == "property" and self.ts.peek() == ALPHA:
            self.ts.next()
            self.ts.expect("=")
            table.posterior(self._alpha_rows(), t)
        elif t.text == "property":
            self._skip_statement()
        else:
            raise self.ts.error(f"expected 'table', 'default' or a parent configuration, "
                                f"found {t.text!r}", t)

    def _alpha_rows(self) -> list[list[Tok]]:
        """`a, b | c, d ;`: the rows of a dirichlet_alpha property (their number tokens)."""
        rows: list[list[Tok]] = [[]]
        while not self.ts.accept(";"):
            if self.ts.accept("|"):
                rows.append([])
            elif not self.ts.accept(","):
                rows[-1].append(self.ts.next("a number, ',', '|' or ';'"))
        return rows

    def _numbers(self) -> list[float]:
        out: list[float] = []
        while not self.ts.accept(";"):
            if self.ts.accept(","):
                continue
            out.append(self.ts.number("a probability"))
        return out


class _Table:
    """Collects the rows of one CPT and checks that every parent configuration is given once."""

    def __init__(self, child: Var, parents: tuple[Var, ...], ts: Tokens, start: Tok) -> None:
        self.child, self.parents, self.ts, self.start = child, parents, ts, start
        self.shape = tuple(p.size for p in parents) + (child.size,)
        self.arr = np.full(self.shape, np.nan)
        self.default: list[float] | None = None
        self.alpha: np.ndarray | None = None

    def put(self, kind: str, nums: list[float], t: Tok) -> None:
        if kind == "default":
            self._check_len(nums, self.child.size, t, "a default row")
            self.default = nums
            return
        self._check_len(nums, int(np.prod(self.shape)), t, "the table")
        n_rows = self.child.size
        self.arr = np.asarray(nums).reshape(n_rows, -1).T.reshape(self.shape)

    def row(self, states: list[Tok], nums: list[float], t: Tok) -> None:
        if len(states) != len(self.parents):
            raise self.ts.error(f"the CPT of {self.child.name} has {len(self.parents)} parents, "
                                f"this row names {len(states)} values", t)
        idx = tuple(self._state(p, s) for p, s in zip(self.parents, states))
        self._check_len(nums, self.child.size, t, "a row")
        if not np.isnan(self.arr[idx]).all():
            raise self.ts.error(f"the CPT of {self.child.name} gives the row "
                                f"({', '.join(s.text for s in states)}) twice", t)
        self.arr[idx] = nums

    def posterior(self, rows: list[list[Tok]], t: Tok) -> None:
        """The Dirichlet parameters of every row (rows in the order atlasc writes them: parent
        configurations row-major, the last parent fastest), each finite and >= 0."""
        if self.alpha is not None:
            raise self.ts.error(f"the CPT of {self.child.name} gives {ALPHA} twice", t)
        n_rows = int(np.prod(self.shape[:-1]))
        if len(rows) != n_rows:
            raise self.ts.error(f"the CPT of {self.child.name}: {ALPHA} needs {n_rows} "
                                f"row(s) separated by '|', got {len(rows)}", t)
        out = []
        for row in rows:
            self._check_len(row, self.child.size, row[0] if row else t, f"a {ALPHA} row")
            out.append([_alpha(self.ts, x) for x in row])
        self.alpha = np.asarray(out, dtype=float).reshape(self.shape)

    def _state(self, p: Var, s: Tok) -> int:
        if s.text not in p.domain:
            raise self.ts.error(f"{p.name} has no value {s.text!r}; its values are "
                                f"{{{', '.join(p.domain)}}}", s)
        return p.domain.index(s.text)

    def _check_len(self, nums: Sized, n: int, t: Tok, what: str) -> None:
        if len(nums) != n:
            raise self.ts.error(f"the CPT of {self.child.name}: {what} needs {n} numbers, "
                                f"got {len(nums)}", t)

    def finish(self) -> np.ndarray:
        missing = np.isnan(self.arr).any(axis=-1)
        if missing.any() and self.default is not None:
            self.arr[missing] = self.default
            missing = np.isnan(self.arr).any(axis=-1)
        if missing.any():
            idx = tuple(int(i) for i in np.argwhere(missing)[0])
            cfg = ", ".join(p.domain[i] for p, i in zip(self.parents, idx))
            raise self.ts.error(f"the CPT of {self.child.name} misses the row ({cfg}) and has "
                                "no default", self.start)
        return self.arr


def _alpha(ts: Tokens, t: Tok) -> float:
    try:
        x = float(t.text)
    except ValueError:
        raise ts.error(f"expected a number, found {t.text!r}", t) from None
    if not (x >= 0 and np.isfinite(x)):
        raise ts.error(f"a Dirichlet parameter must be finite and >= 0, not {t.text}", t)
    return x

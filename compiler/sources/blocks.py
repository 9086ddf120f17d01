"""What the block-structured network readers (BIF, Hugin NET) share: the token cursor, the
network's name, variables with their lines and CPTs, a loop that hands each top-level keyword
to its block, and the validated `BayesNet` at the end."""
from __future__ import annotations

from typing import Callable

from atlasc.compiler.ir.variables import Var
from atlasc.compiler.sources.model import CPT, BayesNet, validate
from atlasc.compiler.sources.text import Tok, Tokens


class NetworkParser:
    expected = ""           # the top-level keywords, for the error
    unit = "variable"       # what the format calls a variable
    declare = ""            # how the format declares one (the hint of an unknown name)

    def __init__(self, ts: Tokens) -> None:
        self.ts = ts
        self.name = ""
        self.vars: dict[str, Var] = {}
        self.lines: dict[str, int] = {}
        self.cpts: list[CPT] = []

    def block(self, t: Tok) -> Callable[[Tok], None] | None:
        """The reader of the block that keyword `t` starts (None: not a keyword)."""
        raise NotImplementedError

    def run(self) -> None:
        while not self.ts.done:
            t = self.ts.next()
            read = self.block(t)
            if read is None:
                raise self.ts.error(f"expected {self.expected}, found {t.text!r}", t)
            read(t)

    def lookup(self, t: Tok) -> Var:
        if t.text not in self.vars:
            raise self.ts.error(f"unknown {self.unit} {t.text!r}", t,
                                f"declare it with {self.declare} before its use")
        return self.vars[t.text]

    def network(self, file: str, unnamed: str = "") -> BayesNet:
        """The network read, validated; `unnamed` names it if the file does not."""
        self.run()
        bn = BayesNet(tuple(self.vars.values()), tuple(self.cpts), self.name or unnamed, file,
                      self.lines)
        validate(bn)
        return bn

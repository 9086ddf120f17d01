"""Parse query text into the AST of `ast.py`.

The grammar (grammar/query.lark) is loaded once.  The transformer runs after the parse (so
`meta` is available) and only shapes the tree.  Lark's errors become `QuerySyntaxError` with a
span, the source line, a caret and what was expected.

A text that does not parse is cut at its statement keywords (`var`, `model`, `mapping`,
`query`, outside strings and braces) and each statement is parsed on its own, so every broken
statement is reported (`parse_all`) and the others are still checked; the names a broken
statement declares are returned too, so that later uses of them are not reported again.
"""
from __future__ import annotations

import bisect
import re
from array import array
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable

import numpy as np
from lark import Lark, Token, Transformer_NonRecursive, Tree, v_args
from lark.exceptions import (UnexpectedCharacters, UnexpectedEOF, UnexpectedInput,
                             UnexpectedToken, VisitError)
from lark.lexer import PatternStr

from atlasc.compiler.deep import MAX_DEPTH
from atlasc.compiler.errors import QueryError, QuerySyntaxError, raise_all
from atlasc.compiler.gcpause import gc_paused
from atlasc.compiler.language import ast as A
from atlasc.compiler.language.flatparse import (MIN_CHARS, NAME_RE, Spans, blanked, statement,
                                                 var_names)
from atlasc.compiler.names import canonical, is_plain, quote, unquote
from atlasc.compiler.paths import cache_root
from atlasc.compiler.source import Source, Span
from atlasc.compiler.version import __version__


@lru_cache(maxsize=1)
def parser() -> Lark:
    """The LALR parser, loaded from lark's cache file when the grammar is unchanged (lark
    checks the grammar's and options' hash; a bad or unwritable file is rebuilt or skipped)."""
    path = resources.files("atlasc.grammar").joinpath("query.lark")
    with resources.as_file(path) as p:
        return Lark.open(str(p), parser="lalr", propagate_positions=True, strict=True,
                         cache=_grammar_cache())


def _grammar_cache() -> str | bool:
    root = cache_root()
    if root is None:
        return False
    try:
        (root / "grammar").mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return str(root / "grammar" / f"query-{__version__}.lark-cache")


@dataclass
class Parsed:
    module: A.Module                    # the statements that parse
    errors: list[QueryError]            # one per broken statement, in source order
    broken: dict[str, Span]             # names the broken statements declare


def parse(text: str, file: str = "<string>") -> A.Module:
    """Parse a whole `.query` text; raises QuerySyntaxError (QueryErrors for several)."""
    parsed = parse_all(text, file)
    raise_all(parsed.errors)
    return parsed.module


def parse_all(text: str, file: str = "<string>") -> Parsed:
    """Every statement that parses, and one syntax error per statement that does not."""
    lines = Lines(file, text)
    try:
        stmts, depth = _fast(lines, text) if len(text) >= MIN_CHARS else _one(lines, text, 0)
        return Parsed(A.Module(lines.whole(), tuple(stmts), file, text, depth), [], {})
    except UnexpectedInput:
        pass
    stmts, depth = [], 0
    errors: list[QueryError] = []
    broken: dict[str, Span] = {}
    for start, end in statement_chunks(text):
        try:
            more, d = _fast_or_lark(lines, text, start, end)
            stmts, depth = stmts + more, max(depth, d)
        except UnexpectedInput as e:
            errors.append(_syntax_error(e, lines, start, end))
            broken.update(declared_names(lines, text, start, end))
    return Parsed(A.Module(lines.whole(), tuple(stmts), file, text, depth), errors, broken)


def _fast(lines: "Lines", text: str) -> tuple[list[A.Stmt], int]:
    """A long text statement by statement: long flat ones by the hand tokenizer
    (flatparse.py: the AST lark would give), the runs of others by lark, each run in one
    parse.  UnexpectedInput as a whole-text parse would raise it (the caller then reports
    every broken statement)."""
    with gc_paused():
        return _chunks(lines, text)


def _chunks(lines: "Lines", text: str) -> tuple[list[A.Stmt], int]:
    stmts: list[A.Stmt] = []
    depth, run = 0, None
    kw, sp = name_keywords(), Spans(lines.file, lines.source, lines.starts)
    for start, end in statement_chunks(text) + [(len(text), len(text))]:
        fast = _fast_statement(lines, text, start, end, kw, sp) if end > start else None
        if fast is None and end > start:
            run = start if run is None else run
            continue
        if run is not None:
            more, d = _one(lines, text[run:start], run)
            stmts.extend(more)
            depth, run = max(depth, d), None
        if fast is not None:
            stmts.extend(fast[0])
            depth = max(depth, fast[1])
    return stmts, depth


def _fast_or_lark(lines: "Lines", text: str, start: int, end: int) -> tuple[list[A.Stmt], int]:
    """One statement, by the fast path if it is a long flat one (a file with an error
    elsewhere still reads its 50 MB formula in seconds), else by lark."""
    sp = Spans(lines.file, lines.source, lines.starts)
    fast = _fast_statement(lines, text, start, end, name_keywords(), sp)
    return fast if fast is not None else _one(lines, text[start:end], start)


def _fast_statement(lines: "Lines", text: str, start: int, end: int, kw: frozenset[str],
                    sp: Spans) -> tuple[list[A.Stmt], int] | None:
    """A long flat statement (flatparse.statement), or a long var list with a domain that
    it does not read; None: lark's (after its syntax error, if any, was raised)."""
    fast = statement(text, start, end, kw, sp)
    if fast is not None or end - start < MIN_CHARS:
        return fast
    _precheck(lines, text, start, end)
    return _long_var(lines, text, start, end, kw, sp)


def _long_var(lines: "Lines", text: str, start: int, end: int, kw: frozenset[str], sp: Spans
              ) -> tuple[list[A.Stmt], int] | None:
    """`var N1, ..., Nk : {lo, hi}`: the names as a run, the rest as lark reads it in the
    statement with the list blanked out (flatparse.blanked: same offsets, same tree)."""
    names = var_names(text, start, end, kw, sp)
    cut = blanked(text, start, end) if names is not None else None
    if names is None or cut is None:
        return None
    stmts, depth = _one(lines, cut, start)
    decl = stmts[0] if len(stmts) == 1 else None
    if not isinstance(decl, A.VarDecl):
        return None
    return [A.VarDecl(decl.span, names, decl.domain)], depth


def _precheck(lines: "Lines", text: str, start: int, end: int) -> None:
    """A long statement the fast path refused: lark's syntax error in it, if any, found on
    the statement with its runs cut short (flatparse.blanked; kept, as parse_all reads a
    broken text twice); a run that parses is read whole by lark (& mixed with |, say)."""
    if (start, end) not in lines.refused:
        cut = blanked(text, start, end) if end - start >= MIN_CHARS else None
        lines.refused[start, end] = None
        try:
            if cut is not None:
                parser().parse(cut)
        except UnexpectedInput as e:
            lines.refused[start, end] = e
    err = lines.refused[start, end]
    if err is not None:
        raise err


@lru_cache(maxsize=1)
def name_keywords() -> frozenset[str]:
    """The grammar's keywords that a NAME would also match (lark lexes them as keywords)."""
    return frozenset(t.pattern.value for t in parser().terminals
                     if isinstance(t.pattern, PatternStr) and NAME_RE.fullmatch(t.pattern.value))


def _one(lines: "Lines", chunk: str, base: int) -> tuple[list[A.Stmt], int]:
    """The statements of one chunk and the depth of its parse tree."""
    tree = parser().parse(chunk)
    depth = _check_depth(tree, lines, base)
    try:
        return list(_ToAst(lines, base).transform(tree)), depth
    except VisitError as e:
        raise e.orig_exc from None


def _check_depth(tree: Tree[Token], lines: "Lines", base: int) -> int:
    """The tree's depth; nesting deeper than the later (recursive) passes can follow is
    refused at the first node past the limit (an iterative walk: the tree may be deep)."""
    stack: list[tuple[Any, int]] = [(tree, 0)]
    deepest = 0
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            span = _ToAst(lines, base)._span(node.meta)
            raise QuerySyntaxError(f"this expression nests more than {MAX_DEPTH} levels deep",
                                   span, "flatten it (an n-ary & or | needs no parentheses)")
        stack.extend((c, depth + 1) for c in node.children if isinstance(c, Tree))
    return deepest


# ---- statements -------------------------------------------------------------------------------
_STARTS = re.compile(r'"(?:[^"\\\n]|\\.)*"?|#|[{}]|'
                     r"(?<![A-Za-z0-9_])(?:var|model|mapping|query)(?=\s+[A-Za-z_])")


def statement_chunks(text: str) -> list[tuple[int, int]]:
    """(start, end) of each statement: from one statement keyword to the next, the keywords
    found outside strings, comments and braces (or at the start of a line, so that a brace
    left open does not swallow the rest of the file); text before the first is a chunk too
    unless it is blank."""
    starts: list[int] = []
    depth, pos = 0, 0
    while (m := _STARTS.search(text, pos)) is not None:
        tok, pos = m.group(0), m.end()
        if tok == "#" and depth == 0:                       # a comment (in braces: ASP's #)
            pos = _line_end(text, pos)
        elif tok in "{}":
            depth = depth + 1 if tok == "{" else max(0, depth - 1)
        elif tok[0].isalpha() and (depth == 0 or _line_start(text, m.start())):
            starts.append(m.start())
            depth = 0
    if not starts or _COMMENTS.sub("", text[:starts[0]]).strip():
        starts.insert(0, 0)
    return list(zip(starts, starts[1:] + [len(text)]))


_COMMENTS = re.compile(r"#[^\n]*")


def _line_end(text: str, at: int) -> int:
    end = text.find("\n", at)
    return len(text) if end < 0 else end


def _line_start(text: str, at: int) -> bool:
    return text[text.rfind("\n", 0, at) + 1:at].strip() == ""


_DECLARES = re.compile(r"(var|model|mapping|query)\s+([A-Za-z_][A-Za-z0-9_]*"
                       r"(?:\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*)")


def declared_names(lines: "Lines", text: str, start: int, end: int) -> dict[str, Span]:
    """The names a (broken) statement declares, read off its first words."""
    m = _DECLARES.match(text, start, end)
    if m is None:
        return {}
    names = m.group(2).split(",") if m.group(1) == "var" else [m.group(2).split(",")[0]]
    out: dict[str, Span] = {}
    for n in names:
        at = text.index(n.strip(), m.start(2))
        out[n.strip()] = lines.span(at, at + len(n.strip()))
    return out


# ---- spans ------------------------------------------------------------------------------------
class Lines:
    """Character offsets of one text as spans (line starts found by bisection)."""

    def __init__(self, file: str, text: str) -> None:
        self.file, self.text = file, text
        self.source = Source(file, text)        # shared by every span of this text
        self.starts = line_starts(text)
        self.refused: dict[tuple[int, int], UnexpectedInput | None] = {}   # _precheck's

    def _line_col(self, offset: int) -> tuple[int, int]:
        k = bisect.bisect_right(self.starts, offset) - 1
        return k + 1, offset - self.starts[k] + 1

    def span(self, start: int, end: int) -> Span:
        start = max(0, min(start, len(self.text)))
        end = max(start, min(end, len(self.text)))
        (line, col), (end_line, end_col) = self._line_col(start), self._line_col(end)
        return Span(self.file, line, col, end_line, end_col, self.source, start, end)

    def point(self, offset: int, width: int = 1) -> Span:
        s = self.span(offset, offset)
        return Span(s.file, s.line, s.col, s.line, s.col + max(1, width), s.source, s.start,
                    s.start + width)

    def whole(self) -> Span:
        return self.span(0, len(self.text))


def line_starts(text: str) -> "array[int]":
    """The offset where each line starts: 8 bytes a line (a list took 36: 250 MB for a 50 MB
    formula written one literal a line)."""
    out = array("q", [0])
    if text.isascii():
        ends = np.flatnonzero(np.frombuffer(text.encode("ascii"), np.uint8) == 10) + 1
        out.frombytes(ends.astype(np.int64).tobytes())
    else:
        out.extend(m.end() for m in re.finditer("\n", text))
    return out


def token_span(tok: Token, file: str, text: str | Source) -> Span:
    return Span(file, tok.line or 1, tok.column or 1, tok.end_line or tok.line or 1,
                tok.end_column or (tok.column or 1) + 1, text, tok.start_pos or 0,
                tok.end_pos or 0)


def point_span(file: str, text: str, offset: int, width: int = 1) -> Span:
    """The span of `width` characters at character `offset`."""
    return Lines(file, text).point(offset, width)


# ---- the transformer --------------------------------------------------------------------------
def _items(children: list[Any]) -> list[Any]:
    return [c for c in children if c is not None]


@v_args(meta=True)
class _ToAst(Transformer_NonRecursive[Token, Any]):
    """Spans are made from character offsets: `base` is where the parsed chunk starts."""

    def __init__(self, lines: Lines, base: int = 0) -> None:
        super().__init__()
        self.lines, self.base = lines, base

    def _span(self, meta: Any) -> Span:
        if getattr(meta, "empty", True):
            return self.lines.point(self.base)
        if self.base == 0:          # the whole text parsed: lark's positions are the file's
            return Span(self.lines.file, meta.line, meta.column, meta.end_line,
                        meta.end_column, self.lines.source, meta.start_pos, meta.end_pos)
        return self.lines.span(self.base + meta.start_pos, self.base + meta.end_pos)

    def _tok(self, tok: Token) -> Span:
        if self.base == 0:
            return token_span(tok, self.lines.file, self.lines.source)
        start = self.base + (tok.start_pos or 0)
        return self.lines.span(start, self.base + (tok.end_pos or 0))

    def _name(self, tok: "Token | A.Name") -> A.Name:
        return tok if isinstance(tok, A.Name) else A.Name(self._tok(tok), str(tok))

    def _value(self, tok: "Token | A.Value") -> A.Value:
        if isinstance(tok, A.Value):
            return tok
        text = unquote(str(tok)) if tok.type == "STRING" else str(tok)
        return A.Value(self._tok(tok), text)

    def neg_value(self, meta: Any, c: list[Any]) -> A.Value:
        return A.Value(self._span(meta), f"-{c[0]}")

    def atom_name(self, meta: Any, c: list[Any]) -> A.Name:
        """A ground atom, named as clingo writes it (no blanks outside strings)."""
        span = self._span(meta)
        return A.Name(span, canonical(self.lines.text[span.start:span.end]))

    def term(self, meta: Any, c: list[Any]) -> None:
        return None

    def _names(self, items: list[Any]) -> tuple[A.Name, ...]:
        return tuple(self._name(t) for t in _items(items))

    # -- module and variables
    def start(self, meta: Any, c: list[Any]) -> list[Any]:
        return c

    def var_decl(self, meta: Any, c: list[Any]) -> A.VarDecl:
        return A.VarDecl(self._span(meta), c[0], c[1] if len(c) > 1 else None)

    def name_list(self, meta: Any, c: list[Any]) -> tuple[A.Name, ...]:
        return self._names(c)

    def named_domain(self, meta: Any, c: list[Any]) -> A.Domain:
        return A.Domain(self._span(meta), "named", self._name(c[0]))

    def enum_domain(self, meta: Any, c: list[Any]) -> A.Domain:
        return A.Domain(self._span(meta), "enum", None, tuple(self._value(t) for t in c))

    # -- models
    def model_decl(self, meta: Any, c: list[Any]) -> A.ModelDecl:
        return A.ModelDecl(self._span(meta), self._name(c[0]), c[1])

    def logic_model(self, meta: Any, c: list[Any]) -> A.LogicModel:
        return A.LogicModel(self._span(meta), c[0], c[1] if len(c) > 1 else ())

    def weights_model(self, meta: Any, c: list[Any]) -> A.WeightsModel:
        c = _items(c)
        sr = c.pop(0) if c and isinstance(c[0], A.Name) else None
        return A.WeightsModel(self._span(meta), sr, tuple(c))

    def sr_tag(self, meta: Any, c: list[Any]) -> A.Name:
        return self._name(c[0])

    def weight(self, meta: Any, c: list[Any]) -> A.Weight:
        return A.Weight(self._span(meta), c[0], c[1])

    def pair_value(self, meta: Any, c: list[Any]) -> A.PairNumber:
        return A.PairNumber(self._span(meta), c[0], c[1])

    def bayesnet_model(self, meta: Any, c: list[Any]) -> A.BayesNetModel:
        opts = c.pop() if c and isinstance(c[-1], tuple) else ()
        return A.BayesNetModel(self._span(meta), tuple(_items(c)), opts)

    def pasp_model(self, meta: Any, c: list[Any]) -> A.PaspModel:
        tok: Token = c[0]
        opts = c[-1] if isinstance(c[-1], tuple) else ()
        inline = tok.type == "PASP_BLOCK"
        text = str(tok)[1:-1] if inline else unquote(str(tok))
        return A.PaspModel(self._span(meta), text, self._tok(tok), inline, opts)

    def file_model(self, meta: Any, c: list[Any]) -> A.FileModel:
        path_tok: Token = c[1]
        extra: Token | None = c[2] if len(c) > 2 and isinstance(c[2], Token) else None
        opts = c[-1] if isinstance(c[-1], tuple) else ()
        renames = next((x for x in c if isinstance(x, list)), [])
        return A.FileModel(self._span(meta), self._name(c[0]), unquote(str(path_tok)),
                           self._tok(path_tok), opts,
                           unquote(str(extra)) if extra is not None else None,
                           self._tok(extra) if extra is not None else None, tuple(renames))

    def renames(self, meta: Any, c: list[Any]) -> list[tuple[A.Name, A.Name]]:
        return list(c)

    def rename(self, meta: Any, c: list[Any]) -> tuple[A.Name, A.Name]:
        return self._name(c[0]), self._name(c[1])

    def cpt(self, meta: Any, c: list[Any]) -> A.Cpt:
        parents: tuple[A.Name, ...] = c[1] if len(c) == 3 else ()
        body = c[-1]
        root = body if isinstance(body, A.Dist) else None
        rows = body if isinstance(body, tuple) else ()
        return A.Cpt(self._span(meta), self._name(c[0]), parents, root, rows)

    def cpt_table(self, meta: Any, c: list[Any]) -> tuple[A.CptRow, ...]:
        return tuple(c)

    def cpt_row(self, meta: Any, c: list[Any]) -> A.CptRow:
        return A.CptRow(self._span(meta), c[0], c[1])

    def parent_key(self, meta: Any, c: list[Any]) -> tuple[A.Value, ...]:
        return tuple(self._value(t) for t in c)

    def dist_true(self, meta: Any, c: list[Any]) -> A.Dist:
        return A.Dist(self._span(meta), "true", (c[0],))

    def dist_list(self, meta: Any, c: list[Any]) -> A.Dist:
        return A.Dist(self._span(meta), "list", tuple(c))

    def dist_named(self, meta: Any, c: list[Any]) -> A.Dist:
        return A.Dist(self._span(meta), "named", tuple(c[1::2]),
                      tuple(self._value(t) for t in c[0::2]))

    def options(self, meta: Any, c: list[Any]) -> tuple[A.Option, ...]:
        return tuple(c)

    def option(self, meta: Any, c: list[Any]) -> A.Option:
        toks = [x for x in c if isinstance(x, Token)]
        sets = [x for x in c if isinstance(x, tuple)]
        arg = self._name(toks[1]) if len(toks) > 1 else None
        return A.Option(self._span(meta), self._name(toks[0]), arg, sets[0] if sets else None)

    def var_set(self, meta: Any, c: list[Any]) -> tuple[A.Name, ...]:
        return self._names(c)

    # -- formulas
    def f_iff(self, meta: Any, c: list[Any]) -> A.FBinary:
        return A.FBinary(self._span(meta), "iff", c[0], c[1])

    def f_implies(self, meta: Any, c: list[Any]) -> A.FBinary:
        return A.FBinary(self._span(meta), "implies", c[0], c[1])

    def f_or(self, meta: Any, c: list[Any]) -> A.FNary:
        return A.FNary(self._span(meta), "or", tuple(c))

    def f_and(self, meta: Any, c: list[Any]) -> A.FNary:
        return A.FNary(self._span(meta), "and", tuple(c))

    def f_neg(self, meta: Any, c: list[Any]) -> A.FNot:
        return A.FNot(self._span(meta), c[0])

    def f_var(self, meta: Any, c: list[Any]) -> A.FLit:
        return A.FLit(self._span(meta), self._name(c[0]), None)

    def f_eq(self, meta: Any, c: list[Any]) -> A.FLit:
        return A.FLit(self._span(meta), self._name(c[0]), self._value(c[1]))

    def f_true(self, meta: Any, c: list[Any]) -> A.FConst:
        return A.FConst(self._span(meta), True)

    def f_false(self, meta: Any, c: list[Any]) -> A.FConst:
        return A.FConst(self._span(meta), False)

    # -- literals and numbers
    def lit_pos(self, meta: Any, c: list[Any]) -> A.Literal:
        return A.Literal(self._span(meta), self._name(c[0]))

    def lit_neg(self, meta: Any, c: list[Any]) -> A.Literal:
        return A.Literal(self._span(meta), self._name(c[0]), None, True)

    def lit_eq(self, meta: Any, c: list[Any]) -> A.Literal:
        return A.Literal(self._span(meta), self._name(c[0]), self._value(c[1]))

    def pos_number(self, meta: Any, c: list[Any]) -> A.Number:
        return A.Number(self._span(meta), str(c[0]))

    def neg_number(self, meta: Any, c: list[Any]) -> A.Number:
        return A.Number(self._span(meta), str(c[0]), True)

    def ratio_number(self, meta: Any, c: list[Any]) -> A.Number:
        return A.Number(self._span(meta), f"{c[0]}/{c[1]}")

    pos_inf = pos_number
    neg_inf = neg_number

    # -- mappings
    def mapping_decl(self, meta: Any, c: list[Any]) -> A.MappingDecl:
        name, src, dst, param = (self._name(t) for t in c[:4])
        zero_key, at_zero = c[5] if len(c) > 5 else (None, None)
        return A.MappingDecl(self._span(meta), name, src, dst, param, c[4], at_zero, zero_key)

    def at_zero(self, meta: Any, c: list[Any]) -> tuple[A.Number, A.MExpr]:
        return A.Number(self._tok(c[0]), str(c[0])), c[1]

    def _bin(self, meta: Any, op: str, c: list[Any]) -> A.MBinary:
        return A.MBinary(self._span(meta), op, c[0], c[-1])

    def m_add(self, meta: Any, c: list[Any]) -> A.MBinary:
        return self._bin(meta, "+", c)

    def m_sub(self, meta: Any, c: list[Any]) -> A.MBinary:
        return self._bin(meta, "-", c)

    def m_mul(self, meta: Any, c: list[Any]) -> A.MBinary:
        return self._bin(meta, "*", c)

    def m_div(self, meta: Any, c: list[Any]) -> A.MBinary:
        return self._bin(meta, "/", c)

    def m_power(self, meta: Any, c: list[Any]) -> A.MBinary:
        return self._bin(meta, "^", c)

    def m_neg(self, meta: Any, c: list[Any]) -> A.MUnary:
        return A.MUnary(self._span(meta), "neg", c[0])

    def m_num(self, meta: Any, c: list[Any]) -> A.MNum:
        span = self._span(meta)
        return A.MNum(span, A.Number(span, str(c[0])))

    m_inf = m_num

    def m_name(self, meta: Any, c: list[Any]) -> A.MName:
        return A.MName(self._span(meta), self._name(c[0]))

    def m_call(self, meta: Any, c: list[Any]) -> A.MCall:
        return A.MCall(self._span(meta), self._name(c[0]), tuple(c[1:]))

    # -- queries
    def query_decl(self, meta: Any, c: list[Any]) -> A.QueryDecl:
        return A.QueryDecl(self._span(meta), self._name(c[0]), c[1])

    def given(self, meta: Any, c: list[Any]) -> A.Given:
        return A.Given(self._span(meta), c[0], c[1])

    def evidence(self, meta: Any, c: list[Any]) -> tuple[A.Literal, ...]:
        return tuple(c)

    def product(self, meta: Any, c: list[Any]) -> A.Product:
        left = c[0].factors if isinstance(c[0], A.Product) else (c[0],)
        return A.Product(self._span(meta), left + (c[1],))

    def aggregate(self, meta: Any, c: list[Any]) -> A.Aggregate:
        return A.Aggregate(self._span(meta), c[0], c[1], c[2])

    def agg_word(self, meta: Any, c: list[Any]) -> A.Name:
        return self._name(c[0])

    def map(self, meta: Any, c: list[Any]) -> A.Map:
        return A.Map(self._span(meta), c[0], c[1])

    def scope_all(self, meta: Any, c: list[Any]) -> A.Scope:
        return A.Scope(self._span(meta), True, ())

    def scope_all_but(self, meta: Any, c: list[Any]) -> A.Scope:
        return A.Scope(self._span(meta), True, c[0])

    def scope_list(self, meta: Any, c: list[Any]) -> A.Scope:
        return A.Scope(self._span(meta), False, self._names(c))

    def scope_set(self, meta: Any, c: list[Any]) -> A.Scope:
        return A.Scope(self._span(meta), False, c[0])

    def map_spec(self, meta: Any, c: list[Any]) -> A.MapSpec:
        params: tuple[A.Number, ...] = c.pop(1) if len(c) > 1 and isinstance(c[1], tuple) else ()
        src = self._name(c[1]) if len(c) > 1 else None
        dst = self._name(c[2]) if len(c) > 2 else None
        return A.MapSpec(self._span(meta), self._name(c[0]), params, src, dst)

    def map_params(self, meta: Any, c: list[Any]) -> tuple[A.Number, ...]:
        return tuple(c)

    def ref(self, meta: Any, c: list[Any]) -> A.Ref:
        return A.Ref(self._span(meta), self._name(c[0]))

    def sugar(self, meta: Any, c: list[Any]) -> A.Sugar:
        return A.Sugar(self._span(meta), self._name(c[0]), tuple(c[1:-1]), c[-1])

    def sugar_kw(self, meta: Any, c: list[Any]) -> A.Sugar:
        """`name(model, key = value, ... | e)`: the evidence, if any, is on the model."""
        model = self._name(c[1])
        operand: A.Expr = A.Ref(model.span, model)
        keywords = tuple(k for k in c[2:] if isinstance(k, A.Keyword))
        if not isinstance(c[-1], A.Keyword):
            operand = A.Given(model.span.to(c[-1][-1].span), operand, c[-1])
        return A.Sugar(self._span(meta), self._name(c[0]), (), operand, keywords)

    def sugar_goal(self, meta: Any, c: list[Any]) -> A.Sugar:
        """`name(model, q1 & q2 | e)`: one group (the goal), evidence on the model."""
        name, model, goal = self._name(c[0]), self._name(c[1]), c[2]
        operand: A.Expr = A.Ref(model.span, model)
        if len(c) > 3:
            operand = A.Given(model.span.to(c[3][-1].span), operand, c[3])
        return A.Sugar(self._span(meta), name, (goal,), operand, goal_form=True)

    def goal(self, meta: Any, c: list[Any]) -> tuple[A.Name, ...]:
        return c[0] if len(c) == 1 and isinstance(c[0], tuple) else self._names(c)

    def keyword(self, meta: Any, c: list[Any]) -> A.Keyword:
        span, key, value = self._span(meta), self._name(c[0]), c[1]
        if isinstance(value, A.Number):
            return A.Keyword(span, key, number=value)
        return A.Keyword(span, key, value if isinstance(value, tuple) else (self._name(value),))

    sugar_vars = goal


# ---- syntax errors ----------------------------------------------------------------------------
_FRIENDLY = {"NAME": "a name", "NUMBER": "a number", "STRING": "a quoted string",
             "$END": "the end of the file", "INF": "inf", "TRUE": "true", "FALSE": "false"}


def describe_terminal(name: str) -> str:
    if name in _FRIENDLY:
        return _FRIENDLY[name]
    try:
        pat = parser().get_terminal(name).pattern
    except KeyError:
        return name
    return f"'{pat.value}'" if isinstance(pat, PatternStr) else name.lower()


def _expected(names: Iterable[str] | None) -> str:
    shown = sorted({describe_terminal(n) for n in names or ()})
    if not shown:
        return ""
    if len(shown) > 12:
        shown = shown[:12] + ["..."]
    return "expected " + (shown[0] if len(shown) == 1 else "one of " + ", ".join(shown))


def _syntax_error(e: UnexpectedInput, lines: Lines, base: int, end: int) -> QuerySyntaxError:
    """Lark's error in the chunk text[base:end], as a positioned error in the whole text."""
    err = _lark_error(e, lines, base, end)
    if err.span is not None:
        err.hint = _quote_hint(lines.text, err.span.start) or err.hint
    return err


_AFTER_EQ = re.compile(r"=\s*$|=\s*[^\s,()|;\[\]{}=\"]+$")
_RAW_VALUE = re.compile(r"[^\s,()|;\[\]{}=\"]+")


def _quote_hint(text: str, at: int) -> str | None:
    """After `X =`, a value that is not a name or a number: say how to write it."""
    m = _AFTER_EQ.search(text, text.rfind("\n", 0, at) + 1, at)
    if m is None:
        return None
    after = m.group(0)[1:]
    raw = _RAW_VALUE.match(text, m.start() + 1 + len(after) - len(after.lstrip()))
    if raw is None or is_plain(raw.group(0)):
        return None
    return (f"a value that is not a name or a number is written in quotes: "
            f"{quote(raw.group(0))}")


def _lark_error(e: UnexpectedInput, lines: Lines, base: int, end: int) -> QuerySyntaxError:
    text = lines.text
    if isinstance(e, UnexpectedCharacters):
        at = base + (e.pos_in_stream or 0)
        return QuerySyntaxError(f"unexpected character {text[at]!r}", lines.point(at),
                                _expected(e.allowed) or None)
    if isinstance(e, UnexpectedToken) and e.token.type != "$END":
        tok = e.token
        span = lines.span(base + (tok.start_pos or 0), base + (tok.end_pos or 0))
        kind = {"NAME": "name", "NUMBER": "number", "STRING": "string"}.get(tok.type)
        return QuerySyntaxError(f"unexpected {kind} {str(tok)!r}" if kind
                                else f"unexpected {describe_terminal(tok.type)}", span,
                                _expected(e.accepts or e.expected) or None)
    expected = e.expected if isinstance(e, UnexpectedEOF) else \
        (getattr(e, "accepts", None) or getattr(e, "expected", None))
    last = _content_end(text, base, end)
    what = "the statement" if end < len(text) else "file"   # the next statement starts at end
    return QuerySyntaxError(f"unexpected end of {what}", lines.point(last),
                            _expected(expected) or None)


def _content_end(text: str, start: int, end: int) -> int:
    """Just after the last character of text[start:end] that is not blank or a comment."""
    body = _COMMENTS.sub(lambda m: " " * len(m.group(0)), text[start:end])
    return start + len(body.rstrip())


"""The LLVM kernels: fixed-size code, compiled once per semiring, that interpret instruction
tables (`atlasc.runtime.llvm.linear`).

`stage` runs instructions [start, end) of one semiring over a tile of n rows; every inner loop
runs over the rows with unit stride, so LLVM vectorises it (runtime alias checks included).

    i32 stage(i64 start, i64 end, i32* op, i32* slot, i64* cptr, i32* cslot, i32* lrow,
              i32* wbase, i32* arank, T* W, i32* E, i64 ld, i64 n, T* vals, i64 stride,
              i32* choice, T* tmp)

returns 1 when a checked (count) operation overflowed.  `backtrack` (one per process, no
semiring) follows the recorded choices of SUM_ARG instructions from the root, per row, and
writes the values of the maximised variables.
"""
from __future__ import annotations

from typing import Any, Callable

from llvmlite import ir

from atlasc.runtime.llvm.elems import F64, I1, I8, I32, I64, Ctx, Emit, Spec, Vals
from atlasc.runtime.llvm.opcodes import LEAF, PROD, SUM, SUM_ARG

KERNEL_VERSION = "8"


def ptr(t: ir.Type) -> ir.PointerType:
    return t.as_pointer()


def c64(v: int) -> ir.Constant:
    return ir.Constant(I64, v)


def c32(v: int) -> ir.Constant:
    return ir.Constant(I32, v)


def loop(b: ir.IRBuilder, lo: ir.Value, hi: ir.Value, body: Callable[[ir.Value], None],
         name: str = "r") -> None:
    """for (i = lo; i < hi; ++i) body(i), with a phi counter."""
    pre = b.block
    head = b.append_basic_block(name + ".head")
    loop_b = b.append_basic_block(name + ".body")
    done = b.append_basic_block(name + ".done")
    b.branch(head)
    b.position_at_end(head)
    i = b.phi(lo.type, name=name)
    i.add_incoming(lo, pre)
    b.cbranch(b.icmp_signed("<", i, hi), loop_b, done)
    b.position_at_end(loop_b)
    body(i)
    i.add_incoming(b.add(i, ir.Constant(lo.type, 1)), b.block)
    b.branch(head)
    b.position_at_end(done)


def load_at(b: ir.IRBuilder, base: ir.Value, idx: ir.Value) -> ir.Value:
    return b.load(b.gep(base, [idx]))


def store_at(b: ir.IRBuilder, v: ir.Value, base: ir.Value, idx: ir.Value) -> None:
    b.store(v, b.gep(base, [idx]))


# The stage kernel's arguments, passed as one i64 array (one ctypes argument per call).
STAGE_ARGS = ("start end op slot cptr cslot lrow wbase arank W E ld n vals stride choice "
              "tmp").split()


def stage_module(sp: Spec, triple: str) -> ir.Module:
    mod = ir.Module(name=f"atlasc_{sp.key}")
    mod.triple = triple
    T = sp.ty
    types = [I64, I64, ptr(I32), ptr(I32), ptr(I64), ptr(I32), ptr(I32), ptr(I32), ptr(I32),
             ptr(T), ptr(I32), I64, I64, ptr(T), I64, ptr(I32), ptr(F64)]
    fn = ir.Function(mod, ir.FunctionType(I32, [ptr(I64)]), name="stage")
    fn.args[0].name = "argv"
    _StageEmitter(sp, mod, fn, types).emit()
    return mod


class _StageEmitter:
    def __init__(self, sp: Spec, mod: ir.Module, fn: ir.Function, types: list[ir.Type]
                 ) -> None:
        self.sp, self.mod, self.fn = sp, mod, fn
        self.b = ir.IRBuilder(fn.append_basic_block("entry"))
        self.a = {}
        for k, (nm, t) in enumerate(zip(STAGE_ARGS, types)):
            raw = load_at(self.b, fn.args[0], c64(k))
            self.a[nm] = raw if t == I64 else self.b.inttoptr(raw, t, name=nm)
        self.flag = self.b.alloca(I32, name="flag")
        self.b.store(c32(0), self.flag)
        self.cx = Ctx(self.b, mod, self.flag)

    # ---- addressing ---------------------------------------------------------------------
    def rows(self, slot: ir.Value) -> list[ir.Value]:
        """Pointers to the component rows of a slot."""
        b, a, k = self.b, self.a, self.sp.ncomp
        base = b.mul(b.sext(slot, I64), b.mul(a["stride"], c64(k)))
        return [b.gep(a["vals"], [b.add(base, b.mul(a["stride"], c64(c)))]) for c in range(k)]

    def get(self, rows: list[ir.Value], r: ir.Value) -> list[ir.Value]:
        return [load_at(self.b, p, r) for p in rows]

    def put(self, vals: list[ir.Value], rows: list[ir.Value], r: ir.Value) -> None:
        for v, p in zip(vals, rows):
            store_at(self.b, v, p, r)

    def child_rows(self, k: ir.Value) -> list[ir.Value]:
        return self.rows(load_at(self.b, self.a["cslot"], k))

    # ---- the instruction loop -------------------------------------------------------------
    def emit(self) -> None:
        b, a = self.b, self.a
        loop(b, a["start"], a["end"], self.instruction, "i")
        b.ret(b.load(self.flag))

    def instruction(self, i: ir.Value) -> None:
        b, a = self.b, self.a
        opc = load_at(b, a["op"], i)
        dst = self.rows(load_at(b, a["slot"], i))
        k0 = load_at(b, a["cptr"], i)
        k1 = load_at(b, a["cptr"], b.add(i, c64(1)))
        after = b.append_basic_block("after")
        sw = b.switch(opc, after)
        cases: list[tuple[int, Callable[[], None]]] = [(LEAF, lambda: self.leaf(i, dst)),
                 (SUM, lambda: self.sum(dst, k0, k1)),
                 (PROD, lambda: self.fold(dst, k0, k1, self.sp.mul, self.const(self.sp.one))),
                 (SUM_ARG, lambda: self.sum_arg(i, dst, k0, k1))]
        for code, body in cases:
            blk = b.append_basic_block(f"op{code}")
            sw.add_case(c32(code), blk)
            b.position_at_end(blk)
            body()
            b.branch(after)
        b.position_at_end(after)

    def const(self, vals: tuple[Any, ...]) -> list[ir.Value]:
        return [ir.Constant(self.sp.ty, v) for v in vals]

    def leaf(self, i: ir.Value, dst: list[ir.Value]) -> None:
        b, a, k = self.b, self.a, self.sp.ncomp
        erow = b.gep(a["E"], [b.mul(b.sext(load_at(b, a["lrow"], i), I64), a["ld"])])
        wb = b.sext(load_at(b, a["wbase"], i), I64)

        def body(r: ir.Value) -> None:
            e = b.sext(load_at(b, erow, r), I64)
            at = b.mul(b.add(wb, e), c64(k))
            vals = [load_at(b, a["W"], b.add(at, c64(c))) for c in range(k)]
            self.put(vals, dst, r)
        loop(b, c64(0), a["n"], body)

    def copy_first(self, dst: list[ir.Value], k0: ir.Value, k1: ir.Value,
                   empty: list[ir.Value]) -> None:
        """dst = first child (or `empty` when there is none)."""
        b, a = self.b, self.a
        with b.if_else(b.icmp_signed("<", k0, k1)) as (has, hasnt):
            with has:
                src = self.child_rows(k0)
                loop(b, c64(0), a["n"], lambda r: self.put(self.get(src, r), dst, r))
            with hasnt:
                loop(b, c64(0), a["n"], lambda r: self.put(empty, dst, r))

    def fold(self, dst: list[ir.Value], k0: ir.Value, k1: ir.Value, op: Emit, empty: Vals
             ) -> None:
        """dst = op over the children, left to right; the first two are combined in one pass
        (most nodes have two children, so dst is written once, not copied then updated)."""
        b, a = self.b, self.a
        with b.if_else(b.icmp_signed(">=", b.sub(k1, k0), c64(2))) as (pair, fewer):
            with pair:
                s0, s1 = self.child_rows(k0), self.child_rows(b.add(k0, c64(1)))

                def both(r: ir.Value) -> None:
                    self.put(op(self.cx, self.get(s0, r), self.get(s1, r)), dst, r)
                loop(b, c64(0), a["n"], both)
            with fewer:
                self.copy_first(dst, k0, k1, empty)

        def child(k: ir.Value) -> None:
            src = self.child_rows(k)

            def body(r: ir.Value) -> None:
                self.put(op(self.cx, self.get(dst, r), self.get(src, r)), dst, r)
            loop(b, c64(0), a["n"], body)
        loop(b, b.add(k0, c64(2)), k1, child, "k")

    def sum(self, dst: list[ir.Value], k0: ir.Value, k1: ir.Value) -> None:
        sp = self.sp
        if sp.add is None:       # the n-ary logsumexp (Spec.logsumexp)
            self.log_sum(dst, k0, k1)
        else:
            self.fold(dst, k0, k1, sp.add, self.const(sp.zero))

    def log_sum(self, dst: list[ir.Value], k0: ir.Value, k1: ir.Value) -> None:
        """m = max of the children; dst = m + log(sum exp(c - m)); infinite m stays."""
        b, a = self.b, self.a

        def mx(cx: Ctx, x: Vals, y: Vals) -> Vals:
            return [b.select(b.fcmp_ordered(">", y[0], x[0]), y[0], x[0])]
        self.fold(dst, k0, k1, mx, self.const(self.sp.zero))
        exp = self.cx.intrinsic("llvm.exp.f64", F64, [F64])
        log = self.cx.intrinsic("llvm.log.f64", F64, [F64])
        fabs = self.cx.intrinsic("llvm.fabs.f64", F64, [F64])
        tmp = a["tmp"]
        loop(b, c64(0), a["n"], lambda r: store_at(b, ir.Constant(F64, 0.0), tmp, r))

        def child(k: ir.Value) -> None:
            src = self.child_rows(k)

            def body(r: ir.Value) -> None:
                d = b.fsub(load_at(b, src[0], r), load_at(b, dst[0], r))
                store_at(b, b.fadd(load_at(b, tmp, r), b.call(exp, [d])), tmp, r)
            loop(b, c64(0), a["n"], body)
        loop(b, k0, k1, child, "k")

        def fin(r: ir.Value) -> None:
            m = load_at(b, dst[0], r)
            inf = b.fcmp_ordered("==", b.call(fabs, [m]), ir.Constant(F64, float("inf")))
            res = b.fadd(m, b.call(log, [load_at(b, tmp, r)]))
            store_at(b, b.select(inf, m, res), dst[0], r)
        loop(b, c64(0), a["n"], fin)

    def sum_arg(self, i: ir.Value, dst: list[ir.Value], k0: ir.Value, k1: ir.Value) -> None:
        """A selecting (+) that records, per row, the first child attaining it."""
        b, a, sp = self.b, self.a, self.sp
        ch = b.gep(a["choice"], [b.mul(b.sext(load_at(b, a["arank"], i), I64), a["stride"])])
        self.copy_first(dst, k0, k1, self.const(sp.zero))
        loop(b, c64(0), a["n"], lambda r: store_at(b, c32(0), ch, r))
        better = sp.better

        def child(k: ir.Value) -> None:
            src = self.child_rows(k)
            idx = b.trunc(b.sub(k, k0), I32)

            def body(r: ir.Value) -> None:
                new, cur = load_at(b, src[0], r), load_at(b, dst[0], r)
                win = better(self.cx, new, cur) if better else ir.Constant(I1, 0)
                store_at(b, b.select(win, new, cur), dst[0], r)
                store_at(b, b.select(win, idx, load_at(b, ch, r)), ch, r)
            loop(b, c64(0), a["n"], body)
        loop(b, b.add(k0, c64(1)), k1, child, "k")


def _function(kind: str, triple: str, args: list[ir.Type], names: str
              ) -> tuple[ir.Module, dict[str, ir.Value], ir.IRBuilder]:
    """A module holding one void function `kind` with named arguments, and its builder."""
    mod = ir.Module(name=f"atlasc_{kind}")
    mod.triple = triple
    fn = ir.Function(mod, ir.FunctionType(ir.VoidType(), args), name=kind)
    for arg, nm in zip(fn.args, names.split()):
        arg.name = nm
    return mod, {a.name: a for a in fn.args}, ir.IRBuilder(fn.append_basic_block("entry"))


def backtrack_module(triple: str) -> ir.Module:
    """void backtrack(i64 root, i32* op, i64* cptr, i32* cinstr, i32* arank, i32* choice,
    i64 stride, i64 n, i32* lrow, i32* lvar, i32* best, i32* vsize, i32* E, i64 ld,
    i32* out, i32* stack, i32* stamp, i32 stamp0)"""
    P = ptr(I32)
    mod, a, b = _function(
        "backtrack", triple, [I64, P, ptr(I64), P, P, P, I64, I64, P, P, P, P, P, I64, P, P, P,
                              I32],
        "root op cptr cinstr arank choice stride n lrow lvar best vsize E ld out stack stamp "
        "stamp0")
    sp = b.alloca(I64, name="sp")

    def push(v: ir.Value) -> None:
        top = b.load(sp)
        store_at(b, v, a["stack"], top)
        b.store(b.add(top, c64(1)), sp)

    def row(r: ir.Value) -> None:
        mark = b.add(a["stamp0"], b.trunc(r, I32))
        b.store(c64(0), sp)
        push(b.trunc(a["root"], I32))
        head = b.append_basic_block("pop.head")
        body = b.append_basic_block("pop.body")
        done = b.append_basic_block("pop.done")
        b.branch(head)
        b.position_at_end(head)
        b.cbranch(b.icmp_signed(">", b.load(sp), c64(0)), body, done)
        b.position_at_end(body)
        top = b.sub(b.load(sp), c64(1))
        b.store(top, sp)
        i = b.sext(load_at(b, a["stack"], top), I64)
        fresh = b.icmp_signed("!=", load_at(b, a["stamp"], i), mark)
        with b.if_then(fresh):
            store_at(b, mark, a["stamp"], i)
            visit(i, r)
        b.branch(head)
        b.position_at_end(done)

    def visit(i: ir.Value, r: ir.Value) -> None:
        opc = load_at(b, a["op"], i)
        k0 = load_at(b, a["cptr"], i)
        after = b.append_basic_block("v.after")
        sw = b.switch(opc, after)
        blk = b.append_basic_block("v.arg")
        sw.add_case(c32(SUM_ARG), blk)
        b.position_at_end(blk)
        chrow = b.mul(b.sext(load_at(b, a["arank"], i), I64), a["stride"])
        j = b.sext(load_at(b, a["choice"], b.add(chrow, r)), I64)
        push(load_at(b, a["cinstr"], b.add(k0, j)))
        b.branch(after)
        blk = b.append_basic_block("v.prod")
        sw.add_case(c32(PROD), blk)
        b.position_at_end(blk)
        k1 = load_at(b, a["cptr"], b.add(i, c64(1)))
        loop(b, k0, k1, lambda k: push(load_at(b, a["cinstr"], k)), "c")
        b.branch(after)
        blk = b.append_basic_block("v.leaf")
        sw.add_case(c32(LEAF), blk)
        b.position_at_end(blk)
        v = load_at(b, a["lvar"], i)
        with b.if_then(b.icmp_signed(">=", v, c32(0))):
            e = load_at(b, a["E"], b.add(b.mul(b.sext(load_at(b, a["lrow"], i), I64), a["ld"]),
                                         r))
            known = b.icmp_signed("<", e, load_at(b, a["vsize"], b.sext(v, I64)))
            val = b.select(known, e, load_at(b, a["best"], i))
            store_at(b, val, a["out"], b.add(b.mul(b.sext(v, I64), a["stride"]), r))
        b.branch(after)
        b.position_at_end(after)

    loop(b, c64(0), a["n"], row)
    b.ret_void()
    return mod


def allocate_module(triple: str) -> ir.Module:
    """void allocate(i64 N, i32* srid, i64* fptr, i32* ends, i32* slot, i32* stacks, i64 cap,
    i64* tops, i32* counts): the linear-scan slot assignment of `linear.allocate`; the values
    whose last reader is i are ends[fptr[i] .. fptr[i+1]]."""
    P = ptr(I32)
    mod, a, b = _function("allocate", triple, [I64, P, ptr(I64), P, P, P, I64, ptr(I64), P],
                          "N srid fptr ends slot stacks cap tops counts")

    def node(i: ir.Value) -> None:
        s = b.sext(load_at(b, a["srid"], i), I64)
        top = load_at(b, a["tops"], s)
        with b.if_else(b.icmp_signed(">", top, c64(0))) as (reuse, fresh):
            with reuse:
                t1 = b.sub(top, c64(1))
                store_at(b, t1, a["tops"], s)
                store_at(b, load_at(b, a["stacks"], b.add(b.mul(s, a["cap"]), t1)),
                         a["slot"], i)
            with fresh:
                cnt = load_at(b, a["counts"], s)
                store_at(b, cnt, a["slot"], i)
                store_at(b, b.add(cnt, c32(1)), a["counts"], s)

        def free(k: ir.Value) -> None:
            j = b.sext(load_at(b, a["ends"], k), I64)
            with b.if_then(b.icmp_signed("!=", j, i)):
                s2 = b.sext(load_at(b, a["srid"], j), I64)
                t2 = load_at(b, a["tops"], s2)
                store_at(b, load_at(b, a["slot"], j), a["stacks"], b.add(b.mul(s2, a["cap"]), t2))
                store_at(b, b.add(t2, c64(1)), a["tops"], s2)
        loop(b, load_at(b, a["fptr"], i), load_at(b, a["fptr"], b.add(i, c64(1))), free, "f")
    loop(b, c64(0), a["N"], node, "i")
    b.ret_void()
    return mod


def backward_module(triple: str) -> ir.Module:
    """void backward(i64 end, i32* op, i32* srid, i32 rsid, i32* slot, i64* cptr, i32* cslot,
    double* vals, double* grad, i64 n, i64 stride, double* tmp, i8* touched): reverse-mode
    differentiation of the prob instructions (those of semiring rsid) over rows [0, n).
    grad holds d root / d node; the caller seeds the root and marks it touched.  A node's
    first contribution overwrites its grad row (so the buffer is never cleared), later ones
    add; an untouched node has derivative 0 and passes nothing down.  A product's other
    children are its non-zero product divided by the child when no child is zero, that
    product for the one zero child, else 0 (so zeros never divide).  MAP and leaf
    instructions pass nothing down."""
    P, D = ptr(I32), ptr(F64)
    mod, a, b = _function("backward", triple,
                          [I64, P, P, I32, P, ptr(I64), P, D, D, I64, I64, D, ptr(I8)],
                          "end op srid rsid slot cptr cslot vals grad n stride tmp touched")
    zero, one = ir.Constant(F64, 0.0), ir.Constant(F64, 1.0)

    def row_of(base: ir.Value, slot: ir.Value) -> ir.Value:
        return b.gep(base, [b.mul(b.sext(slot, I64), a["stride"])])

    def rows(f: Callable[[ir.Value], None]) -> None:
        loop(b, c64(0), a["n"], f)

    def is_touched(slot: ir.Value) -> ir.Value:
        return b.icmp_signed("!=", load_at(b, a["touched"], b.sext(slot, I64)), ir.Constant(I8, 0))

    def node(j: ir.Value) -> None:
        i = b.sub(b.sub(a["end"], c64(1)), j)
        s = load_at(b, a["slot"], i)
        mine = b.icmp_signed("==", load_at(b, a["srid"], i), a["rsid"])
        with b.if_then(b.and_(mine, is_touched(s))):
            opc = load_at(b, a["op"], i)
            g = row_of(a["grad"], s)
            k0 = load_at(b, a["cptr"], i)
            k1 = load_at(b, a["cptr"], b.add(i, c64(1)))
            is_sum = b.or_(b.icmp_signed("==", opc, c32(SUM)),
                           b.icmp_signed("==", opc, c32(SUM_ARG)))
            with b.if_else(is_sum) as (then, other):
                with then:
                    loop(b, k0, k1, lambda k: sum_edge(g, k), "k")
                with other:
                    with b.if_then(b.icmp_signed("==", opc, c32(PROD))):
                        with b.if_else(b.icmp_signed("==", b.sub(k1, k0), c64(2))) as (two, many):
                            with two:
                                binary(g, k0)
                            with many:
                                prod(g, k0, k1)

    def accumulate(s: ir.Value, contrib: Callable[[ir.Value], ir.Value]) -> None:
        """grad[s] = contrib (first contribution) or grad[s] + contrib."""
        c = row_of(a["grad"], s)
        with b.if_else(is_touched(s)) as (again, first):
            with again:
                rows(lambda r: store_at(b, b.fadd(load_at(b, c, r), contrib(r)), c, r))
            with first:
                rows(lambda r: store_at(b, contrib(r), c, r))
                store_at(b, ir.Constant(I8, 1), a["touched"], b.sext(s, I64))

    def sum_edge(g: ir.Value, k: ir.Value) -> None:
        accumulate(load_at(b, a["cslot"], k), lambda r: load_at(b, g, r))

    def binary(g: ir.Value, k0: ir.Value) -> None:
        """The common product of two: each child's derivative is g times the other."""
        s0, s1 = load_at(b, a["cslot"], k0), load_at(b, a["cslot"], b.add(k0, c64(1)))
        v0, v1 = row_of(a["vals"], s0), row_of(a["vals"], s1)
        accumulate(s0, lambda r: b.fmul(load_at(b, g, r), load_at(b, v1, r)))
        accumulate(s1, lambda r: b.fmul(load_at(b, g, r), load_at(b, v0, r)))

    def prod(g: ir.Value, k0: ir.Value, k1: ir.Value) -> None:
        zc, nz = a["tmp"], b.gep(a["tmp"], [a["stride"]])

        def init(r: ir.Value) -> None:
            store_at(b, zero, zc, r)
            store_at(b, one, nz, r)
        rows(init)

        def count(k: ir.Value) -> None:
            v = row_of(a["vals"], load_at(b, a["cslot"], k))

            def body(r: ir.Value) -> None:
                x = load_at(b, v, r)
                isz = b.fcmp_ordered("==", x, zero)
                store_at(b, b.fadd(load_at(b, zc, r), b.select(isz, one, zero)), zc, r)
                store_at(b, b.fmul(load_at(b, nz, r), b.select(isz, one, x)), nz, r)
            rows(body)
        loop(b, k0, k1, count, "k")

        def edge(k: ir.Value) -> None:
            s = load_at(b, a["cslot"], k)
            v = row_of(a["vals"], s)

            def contrib(r: ir.Value) -> ir.Value:
                x, z, p = load_at(b, v, r), load_at(b, zc, r), load_at(b, nz, r)
                none = b.fcmp_ordered("==", z, zero)
                only_me = b.and_(b.fcmp_ordered("==", z, one), b.fcmp_ordered("==", x, zero))
                safe_x = b.select(b.fcmp_ordered("==", x, zero), one, x)
                others = b.select(none, b.fdiv(p, safe_x), b.select(only_me, p, zero))
                return b.fmul(load_at(b, g, r), others)
            accumulate(s, contrib)
        loop(b, k0, k1, edge, "k")

    loop(b, c64(0), a["end"], node, "j")
    b.ret_void()
    return mod

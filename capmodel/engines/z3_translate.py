"""IR -> Z3: with z3_chc.py (Spacer), the only modules of capmodel that import z3.

The model is translated once into a transition template over three sets of
symbols: the state variables at step t, the same at step t+1, and an action
selector (the index of the action instance taken). BMC and induction then
instantiate the template per step with `z3.substitute`, which is much cheaper
than building terms again (the issue measured 20-60 ms against 1.3 ms a step).

Every IR value is an integer and becomes a bit-vector as wide as its own
range needs: an interval analysis bounds every term, and each term (and each
state variable) gets that many bits plus a sign bit. Operands are
sign-extended to a common width before an operation, wide enough that nothing
overflows, and the result is cut back to its own range. One global width (the
widest value, 2^21 cut-link sets at 7 nodes) made every variable 23 bits wide
and BMC about twice as slow. Comparisons are *signed*: the IR does produce
negative intermediates (semantics/state.py `common_prefix` takes
`band(f, lowbit(...) - 1)`, where the subtraction gives -1 when the logs agree,
and user expressions may write `-x`), and with a sign bit and enough width
two's-complement bit-vector arithmetic is exactly Python's integer arithmetic
for add, sub, and the bit operations. Nothing here mixes Int with bit-vector
terms, so a QF_FD/QF_BV solver is always sound on what we give it.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

import z3
from z3.z3 import _to_expr_ref  # what z3.substitute wraps its answer with (Substitution below)

from ..ir.expr import BOOL, Expr
from ..ir.model import Condition, Model, State

# The logic the solvers are made for. Measured on the shipped specs (see
# docs/z3.md and bench/z3_bench.py): QF_FD is the default.
DEFAULT_LOGIC = "QF_FD"
LOGICS = ("QF_FD", "QF_BV", "default")


class UnsupportedConstruct(ValueError):
    """An IR construct (or a value range) the Z3 translation cannot express.

    The message names the construct and where it occurs; it is never a crash."""


@dataclass(frozen=True)
class Interval:
    lo: int
    hi: int

    def union(self, other: "Interval") -> "Interval":
        return Interval(min(self.lo, other.lo), max(self.hi, other.hi))


_BOOL_RANGE = Interval(0, 1)


def _span(i: Interval) -> Interval:
    """The symmetric range of every bit pattern as wide as the bounds of i: what a
    bitwise operation on possibly negative values can give."""
    k = max(abs(i.lo).bit_length(), abs(i.hi).bit_length()) + 1
    return Interval(-(1 << k), (1 << k) - 1)


class RangeAnalysis:
    """Bounds of every term, given each variable's domain 0..size-1."""

    def __init__(self, sizes: list[int]) -> None:
        self.sizes = sizes
        self.memo: dict[int, Interval] = {}
        self.lo, self.hi = 0, 1

    def of(self, e: Expr, where: str) -> Interval:
        key = id(e)
        if key in self.memo:
            return self.memo[key][1]
        r = self._of(e, where)
        self.memo[key] = (e, r)  # keep e alive so its id stays unique
        self.lo, self.hi = min(self.lo, r.lo), max(self.hi, r.hi)
        return r

    def _of(self, e: Expr, where: str) -> Interval:
        op, a = e.op, e.args
        if op == "const":
            return Interval(a[0], a[0])
        if op == "var":
            if not 0 <= a[0] < len(self.sizes):
                raise UnsupportedConstruct(f"{where}: variable v{a[0]} is not declared in the model")
            return Interval(0, self.sizes[a[0]] - 1)
        if op in ("eq", "ne", "lt", "le", "and", "or", "not", "b2i"):
            for x in a:
                self.of(x, where)
            return _BOOL_RANGE
        if op == "ite":
            self.of(a[0], where)
            return self.of(a[1], where).union(self.of(a[2], where))
        r = [self.of(x, where) for x in a]
        if op == "add":
            return Interval(r[0].lo + r[1].lo, r[0].hi + r[1].hi)
        if op == "sub":
            return Interval(r[0].lo - r[1].hi, r[0].hi - r[1].lo)
        if op == "band":
            nonneg = [x for x in r if x.lo >= 0]
            if nonneg:
                return Interval(0, min(x.hi for x in nonneg))
            return _span(r[0].union(r[1]))
        if op == "bor":
            if r[0].lo >= 0 and r[1].lo >= 0:
                return Interval(0, (1 << max(r[0].hi, r[1].hi).bit_length()) - 1)
            return _span(r[0].union(r[1]))
        if op == "bdiff":
            if r[0].lo >= 0:
                return Interval(0, r[0].hi)
            return _span(r[0].union(r[1]))
        if op == "lowbit":
            return Interval(0, max(abs(r[0].lo), abs(r[0].hi)))
        if op == "popcount":
            if r[0].lo < 0:
                raise UnsupportedConstruct(
                    f"{where}: popcount of a value that may be negative ({r[0].lo}..{r[0].hi}) "
                    "has no fixed-width meaning")
            return Interval(0, r[0].hi.bit_length())
        raise UnsupportedConstruct(f"{where}: the Z3 translation does not know the IR operator {op!r}")


class Substitution:
    """`z3.substitute(term, *pairs)` for many terms with the same pairs. z3py's
    own substitute checks every pair's sorts in Python on each call, which
    was a third of the Python time of instantiating templates per step (BMC
    asks each goal at each depth); the pairs here are built once. (Both sides
    of every pair come from step_vars, with the translation's widths, so
    their sorts agree by construction.) The pairs are kept: the arrays hold
    bare pointers to their terms."""

    def __init__(self, pairs: list[tuple[z3.ExprRef, z3.ExprRef]]) -> None:
        self._pairs = pairs
        self._from = (z3.Ast * len(pairs))(*(a.as_ast() for a, _ in pairs))
        self._to = (z3.Ast * len(pairs))(*(b.as_ast() for _, b in pairs))

    def apply(self, term: z3.ExprRef) -> z3.ExprRef:
        ctx = term.ctx
        return _to_expr_ref(z3.Z3_substitute(ctx.ref(), term.as_ast(), len(self._pairs), self._from, self._to), ctx)


@dataclass
class StepVars:
    """The symbols of one step: the state and the action selector taken from it."""

    state: list[z3.BitVecRef]
    selector: z3.BitVecRef | None = None


@dataclass
class Translation:
    """The model as Z3 templates over the symbols s (step t), s2 (step t+1), sel."""

    model: Model
    widths: list[int]  # bits of each state variable (sign bit included)
    sel_width: int
    s: list[z3.BitVecRef]
    s2: list[z3.BitVecRef]
    sel: z3.BitVecRef
    transition: z3.BoolRef  # T(s, sel, s2)
    domain: z3.BoolRef  # every variable within 0..size-1, over s
    guards: list[z3.BoolRef]  # per instance, over s
    done: z3.BoolRef  # over s
    translator: "_Terms"
    ranges: "RangeAnalysis"
    # A state within the domains from which some enabled update leaves one
    # (over s); None when the interval analysis shows no update can.
    escape: z3.BoolRef | None = None
    conditions: dict[str, z3.BoolRef] = field(default_factory=dict)  # named, over s
    _steps: dict[tuple[str, int], StepVars] = field(default_factory=dict)
    # id(StepVars) -> (the StepVars, kept so that its id stays its own; its Substitution)
    _substitutions: dict[int, tuple[StepVars, "Substitution"]] = field(default_factory=dict)
    _side_by_side: dict[int, tuple[StepVars, z3.BitVecRef]] = field(default_factory=dict)  # state_of's

    @property
    def lossy(self) -> z3.BoolRef | None:
        """Over s: some cut made so far, to the width the interval analysis gave
        a term, loses a bit (None: no term was cut). Within the domains this must
        be unsatisfiable; check_z3 asks, after translating every condition."""
        cuts = self.translator.cuts
        return _or(list(cuts), self.ctx) if cuts else None

    @property
    def ctx(self) -> z3.Context:
        return self.sel.ctx

    def solver(self, logic: str = DEFAULT_LOGIC) -> z3.Solver:
        """A solver in this translation's context."""
        return solver(logic, self.ctx)

    def literal(self, name: str) -> z3.BoolRef:
        """A fresh boolean symbol (an assumption literal)."""
        return z3.Bool(name, self.ctx)

    # ------------------------------------------------------------ instantiation
    def step_vars(self, t: int, tag: str = "") -> StepVars:
        """The state symbols of step t (one set per tag: BMC and induction use their own)."""
        key = (tag, t)
        if key not in self._steps:
            names = [f"{tag}{v.name}@{t}" for v in self.model.variables]
            self._steps[key] = StepVars([z3.BitVec(n, w, self.ctx) for n, w in zip(names, self.widths)],
                                        z3.BitVec(f"{tag}action@{t}", self.sel_width, self.ctx))
        return self._steps[key]

    def at(self, term: z3.ExprRef, cur: StepVars) -> z3.ExprRef:
        """A template over s, instantiated at one step."""
        if id(cur) not in self._substitutions:
            self._substitutions[id(cur)] = (cur, Substitution(list(zip(self.s, cur.state))))
        return self._substitutions[id(cur)][1].apply(term)

    def step(self, cur: StepVars, nxt: StepVars) -> z3.BoolRef:
        """T(cur, cur.selector, nxt)."""
        pairs = list(zip(self.s, cur.state)) + list(zip(self.s2, nxt.state)) + [(self.sel, cur.selector)]
        return Substitution(pairs).apply(self.transition)

    def initial(self, cur: StepVars) -> z3.BoolRef:
        return _and([x == z3.BitVecVal(v.initial, x.size(), self.ctx)
                     for x, v in zip(cur.state, self.model.variables)], self.ctx)

    def condition(self, name: str, expr: Expr) -> z3.BoolRef:
        """A named condition (invariant, lemma, reachable) as a template over s."""
        key = f"{name}#{id(expr)}"
        if key not in self.conditions:
            where = f"condition {name}"
            self.conditions[key] = (expr, self.translator.as_bool(expr, where))
        return self.conditions[key][1]

    # ------------------------------------------------------------ decoding
    def state_of(self, zmodel: z3.ModelRef, cur: StepVars) -> State:
        # One evaluation of the variables side by side, cut apart here: an
        # evaluation per variable was 1.6 ms a state on raft_majority (44 of
        # them), a tenth of its blocking loop.
        if id(cur) not in self._side_by_side:  # cur kept with it, so that its id is not reused
            self._side_by_side[id(cur)] = (cur, cur.state[0] if len(cur.state) == 1 else z3.Concat(*cur.state))
        whole = self._side_by_side[id(cur)][1]
        bits, shift, out = zmodel.eval(whole, model_completion=True).as_long(), sum(self.widths), []
        for width in self.widths:
            shift -= width
            out.append(_signed((bits >> shift) & ((1 << width) - 1), width))
        return tuple(out)

    def action_of(self, zmodel: z3.ModelRef, cur: StepVars) -> int:
        return zmodel.eval(cur.selector, model_completion=True).as_long()


def _signed(value: int, width: int) -> int:
    return value - (1 << width) if value >> (width - 1) else value


def _bits(i: Interval) -> int:
    """Bits of a two's-complement value in i, sign bit included."""
    magnitude = max(i.hi.bit_length(), (-i.lo - 1).bit_length() if i.lo < 0 else 0)
    return magnitude + 1


def _fit(t: z3.BitVecRef, width: int, cuts: list | None = None) -> z3.BitVecRef:
    """t at another width: sign-extended, or cut when the interval analysis says
    its value fits. Each cut is recorded in `cuts` as the condition "this cut
    loses a bit" (the bits cut off and the new sign bit are not all equal), so
    that the analysis is checked, not trusted (Translation.lossy)."""
    have = t.size()
    if have < width:
        return z3.SignExt(width - have, t)
    if have > width:
        if cuts is not None:
            top = z3.Extract(have - 1, width - 1, t)
            cuts.append(z3.And(top != 0, top != z3.BitVecVal(-1, have - width + 1, t.ctx)))
        return z3.Extract(width - 1, 0, t)
    return t


# z3.And, z3.Or and z3.If check and coerce every argument (asking Z3 for its
# sort, one call each); the terms built here are well-sorted by construction,
# and at 7 nodes that checking was half the translation's time (0.62 s of
# translating the sync model with 6 writes, 0.33 s without it).
def _and(args: list[z3.BoolRef], ctx: z3.Context) -> z3.BoolRef:
    return _nary(z3.Z3_mk_and, args, True, ctx)


def _or(args: list[z3.BoolRef], ctx: z3.Context) -> z3.BoolRef:
    return _nary(z3.Z3_mk_or, args, False, ctx)


def _nary(make, args: list[z3.BoolRef], empty: bool, ctx: z3.Context) -> z3.BoolRef:
    if not args:
        return z3.BoolVal(empty, ctx)
    if len(args) == 1:
        return args[0]
    array = (z3.Ast * len(args))(*[a.as_ast() for a in args])
    return z3.BoolRef(make(ctx.ref(), len(args), array), ctx)


def _ite(c: z3.BoolRef, then: z3.ExprRef, other: z3.ExprRef) -> z3.ExprRef:
    """then and other of one sort (the same bit width, or both booleans)."""
    wrap = z3.BoolRef if isinstance(then, z3.BoolRef) else z3.BitVecRef
    return wrap(z3.Z3_mk_ite(c.ctx.ref(), c.as_ast(), then.as_ast(), other.as_ast()), c.ctx)


class _Terms:
    """IR expressions -> Z3 terms over a given list of state symbols."""

    def __init__(self, state: list[z3.BitVecRef], ranges: "RangeAnalysis") -> None:
        self.state = state
        self.ctx = state[0].ctx
        self.ranges = ranges
        # The model builder makes equal terms many times over (a 7-node model:
        # 24,000 term objects, about 4,000 distinct). Each distinct term is
        # built once and gets a number; a term object's number is found from
        # its operator and its arguments' numbers, with no call into Z3.
        self.memo: dict[int, tuple[Expr, int]] = {}  # id(term object) -> (it, its number)
        self.shapes: dict[tuple, int] = {}  # (op, type, args' numbers) -> number
        self.terms: list[z3.ExprRef] = []  # number -> Z3 term
        self.ints: dict[int, z3.BitVecRef] = {}  # number -> the term as an integer
        self.bools: dict[int, z3.BoolRef] = {}  # number -> the term as a boolean
        self.cuts: list[z3.BoolRef] = []  # over the state: "this cut to a narrower width loses a bit"

    def width(self, e: Expr, where: str) -> int:
        if e.op == "var":
            return self.state[e.args[0]].size()
        return _bits(self.ranges.of(e, where))

    def as_int(self, e: Expr, where: str) -> z3.BitVecRef:
        n = self._number(e, where)
        t = self.ints.get(n)
        if t is None:
            t = self.terms[n]
            if z3.is_bool(t):
                t = _ite(t, z3.BitVecVal(1, 2, self.ctx), z3.BitVecVal(0, 2, self.ctx))
            self.ints[n] = t
        return t

    def as_bool(self, e: Expr, where: str) -> z3.BoolRef:
        n = self._number(e, where)
        t = self.bools.get(n)
        if t is None:
            t = self.terms[n]
            if not z3.is_bool(t):
                t = t != 0
            self.bools[n] = t
        return t

    def _number(self, e: Expr, where: str) -> int:
        hit = self.memo.get(id(e))
        if hit is not None:
            return hit[1]
        if e.op in ("const", "var"):
            shape = (e.op, e.type, e.args)
        else:
            shape = (e.op, e.type, tuple(self._number(x, where) for x in e.args))
        n = self.shapes.get(shape)
        if n is None:
            term = self._translate(e, where)
            n = self.shapes[shape] = len(self.terms)
            self.terms.append(term)
        self.memo[id(e)] = (e, n)  # keep e alive so that its id stays its own
        return n

    def _common(self, args, where: str, at_least: int = 2) -> list[z3.BitVecRef]:
        """The arguments as integers, extended to one width."""
        v = [self.as_int(x, where) for x in args]
        w = max([at_least] + [t.size() for t in v])
        return [_fit(t, w) for t in v]

    def _translate(self, e: Expr, where: str) -> z3.ExprRef:
        op, a = e.op, e.args
        if op == "const":
            if e.type == BOOL:
                return z3.BoolVal(bool(a[0]), self.ctx)
            return z3.BitVecVal(a[0], self.width(e, where), self.ctx)
        if op == "var":
            x = self.state[a[0]]
            return x != 0 if e.type == BOOL else x
        if op == "and":
            return _and([self.as_bool(x, where) for x in a], self.ctx)
        if op == "or":
            return _or([self.as_bool(x, where) for x in a], self.ctx)
        if op == "not":
            return z3.Not(self.as_bool(a[0], where))
        if op == "ite":
            c = self.as_bool(a[0], where)
            if e.type == BOOL:
                return _ite(c, self.as_bool(a[1], where), self.as_bool(a[2], where))
            w = self.width(e, where)
            return _ite(c, _fit(self.as_int(a[1], where), w, self.cuts), _fit(self.as_int(a[2], where), w, self.cuts))
        if op == "b2i":
            return _ite(self.as_bool(a[0], where), z3.BitVecVal(1, 2, self.ctx), z3.BitVecVal(0, 2, self.ctx))
        if op in ("eq", "ne", "lt", "le"):
            x, y = self._common(a, where)
            if op == "eq":
                return x == y
            if op == "ne":
                return x != y
            return x < y if op == "lt" else x <= y  # signed, see the module docstring
        w = self.width(e, where)
        if op == "popcount":
            x = self.as_int(a[0], where)  # non-negative: RangeAnalysis refuses the rest
            # summed wide enough for every bit, then cut (and the cut checked) to w
            need = max(w, _bits(Interval(0, x.size())))
            return _fit(z3.Sum([z3.ZeroExt(need - 1, z3.Extract(i, i, x)) for i in range(x.size())]), w, self.cuts)
        if op == "lowbit":  # x & -x, one bit wider so that -x cannot overflow
            x = self.as_int(a[0], where)
            x = _fit(x, max(w, x.size() + 1))
            return _fit(x & -x, w, self.cuts)
        x, y = self._common(a, where, at_least=w)
        if op == "add":
            r = x + y
        elif op == "sub":
            r = x - y
        elif op == "band":
            r = x & y
        elif op == "bor":
            r = x | y
        elif op == "bdiff":
            r = x & ~y
        else:
            raise UnsupportedConstruct(f"{where}: the Z3 translation does not know the IR operator {op!r}")
        return _fit(r, w, self.cuts)


def variable_widths(model: Model, extra: list[Condition] = ()) -> tuple[list[int], RangeAnalysis]:
    """Bits of each state variable: its domain, its initial value and every
    value an update can give it (so that a builder bug that leaves the domain
    is seen, not cut off), plus the sign bit. Also analyses every term."""
    ranges = RangeAnalysis([v.size for v in model.variables])
    spans = []
    for v in model.variables:
        if v.size < 1:
            raise UnsupportedConstruct(f"variable {v.name} has an empty domain (size {v.size})")
        spans.append(Interval(0, v.size - 1).union(Interval(v.initial, v.initial)))
    for inst in model.instances():
        ranges.of(inst.guard, f"the guard of {inst.name}")
        for index, value in inst.updates:
            r = ranges.of(value, f"the update of {model.variables[index].name} by {inst.name}")
            spans[index] = spans[index].union(r)
    for c in [*model.invariants, *model.reachables, *extra]:
        ranges.of(c.expr, f"condition {c.name}")
    ranges.of(model.done, "the model's `done` condition")
    return [_bits(r) for r in spans], ranges


def translate(model: Model, extra: list[Condition] = ()) -> Translation:
    """Translate the model once. `extra`: further conditions (lemmas) whose terms
    must fit the chosen width; any condition can be added later with .condition()."""
    instances = model.instances()
    if not instances:
        raise UnsupportedConstruct(f"model {model.name} has no action instances")
    widths, ranges = variable_widths(model, extra)
    sel_width = max(1, (len(instances) - 1).bit_length()) + 1
    # A context of its own for each translation: Z3's choices depend on the
    # terms' ids in their context, so in a shared one a run would depend on
    # what ran before it in the process (a second run of the same BMC took
    # twice as long, and could have found another counterexample).
    ctx = z3.Context()
    s = [z3.BitVec(f"{v.name}", w, ctx) for v, w in zip(model.variables, widths)]
    s2 = [z3.BitVec(f"{v.name}'", w, ctx) for v, w in zip(model.variables, widths)]
    sel = z3.BitVec("action", sel_width, ctx)
    terms = _Terms(s, ranges)

    guards = [terms.as_bool(inst.guard, f"the guard of {inst.name}") for inst in instances]
    chosen = [sel == z3.BitVecVal(k, sel_width, ctx) for k in range(len(instances))]
    # The next value of each variable: the update of the chosen instance if it
    # has one; otherwise the variable keeps its value (the frame condition).
    updated: dict[int, list[tuple[int, Expr]]] = {}
    for k, inst in enumerate(instances):
        for index, value in inst.updates:
            updated.setdefault(index, []).append((k, value))
    # Updates whose value range (by the interval analysis) is not inside the
    # variable's domain: only these could take a variable out of it, and then
    # only when their guard allows (a counter's `+ 1` under "below the budget").
    breaches = []
    for k, inst in enumerate(instances):
        for index, value in inst.updates:
            r, size = ranges.of(value, ""), model.variables[index].size
            if r.lo < 0 or r.hi > size - 1:
                v = terms.as_int(value, f"the update of {model.variables[index].name} by {inst.name}")
                v = _fit(v, max(v.size(), _bits(Interval(0, size - 1))))
                breaches.append(z3.And(guards[k], z3.Not(z3.And(v >= 0, v <= size - 1))))
    frame = []
    for i, x in enumerate(s):
        nxt: z3.ExprRef = x
        for k, value in reversed(updated.get(i, [])):
            where = f"the update of {model.variables[i].name} by {instances[k].name}"
            nxt = _ite(chosen[k], _fit(terms.as_int(value, where), widths[i], terms.cuts), nxt)
        frame.append(s2[i] == nxt)
    enabled = _or([_and([c, g], ctx) for c, g in zip(chosen, guards)], ctx)
    transition = _and([enabled, *frame], ctx)
    domain = z3.And([z3.ULE(x, v.size - 1) for x, v in zip(s, model.variables)])
    done = terms.as_bool(model.done, "the model's `done` condition")
    escape = z3.And(domain, z3.Or(breaches)) if breaches else None
    return Translation(model, widths, sel_width, s, s2, sel, transition, domain, guards, done, terms, ranges,
                       escape)


def solver(logic: str = DEFAULT_LOGIC, ctx: z3.Context | None = None) -> z3.Solver:
    if logic not in LOGICS:
        raise ValueError(f"unknown solver logic {logic!r}; choose one of {', '.join(LOGICS)}")
    return z3.Solver(ctx=ctx) if logic == "default" else z3.SolverFor(logic, ctx=ctx)


def workers() -> int:
    """How many independent queries to run at once: one per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def check_each(queries: list[list[z3.BoolRef]], logic: str, timeout_ms: Callable[[], int | None]
               ) -> list[tuple[z3.CheckSatResult, z3.ModelRef | None, str]]:
    """Check independent queries (each a list of constraints), on as many
    cores as there are, and answer in the order given, each with its model
    when satisfiable and Z3's reason when unknown.

    A Z3 context is not thread-safe, so each query is copied into a context
    of its own (Z3 releases the GIL while it solves), and the models are
    copied back here once every worker is done. The copy is made on one core
    too, so that the answers and models do not depend on the number of cores:
    the solver's choices depend on the terms' ids in their context."""
    def solve(query: list[z3.BoolRef], ctx: z3.Context, threaded: bool = False):
        s = solver(logic, ctx)
        if threaded:
            # Z3 swaps the process's SIGINT handler in and out around each check;
            # two threads doing so restore each other's, and a stale one then
            # swallows every later Ctrl-C. Worker threads leave the handler to
            # Python, and the main thread interrupts their contexts below.
            s.set("ctrl_c", False)
        s.add(*query)
        ms = timeout_ms()
        if ms is not None:
            s.set("timeout", max(1, ms))
        answer = s.check()
        return answer, (s.model() if answer == z3.sat else None), (s.reason_unknown() if answer == z3.unknown else "")

    if not queries:
        return []
    # Copied here, not in the workers: a copy reads the queries' context too.
    contexts = [z3.Context() for _ in queries]
    copies = [[c.translate(ctx) for c in q] for q, ctx in zip(queries, contexts)]
    n = min(workers(), len(queries))
    if n <= 1:
        answers = list(map(solve, copies, contexts))
    else:
        with ThreadPoolExecutor(max_workers=n) as pool:
            try:
                answers = list(pool.map(solve, copies, contexts, [True] * len(copies)))
            except KeyboardInterrupt:
                for ctx in contexts:  # the workers' checks stop (unknown), and the pool can close
                    ctx.interrupt()
                raise
    home = queries[0][0].ctx
    return [(a, None if m is None else m.translate(home), why) for a, m, why in answers]


def resource_count(s: z3.Solver) -> int:
    """Z3's resource units spent so far in the solver's context (its `rlimit
    count`: a count of basic steps, the same on an idle and a busy machine)."""
    stats = s.statistics()
    return int(stats.get_key_value("rlimit count")) if "rlimit count" in stats.keys() else 0


CTRL_C_REASON = "interrupted from keyboard"  # Z3's reason_unknown() when it caught a SIGINT in a check


def is_ctrl_c(reason: str) -> bool:
    """Z3 answered unknown because the user pressed Ctrl-C during the check."""
    return CTRL_C_REASON in reason  # also inside the text of a Z3Exception


# Re-exported so that engines never import z3 themselves.
SAT, UNSAT, UNKNOWN = z3.sat, z3.unsat, z3.unknown
And, Or, Not, Implies = z3.And, z3.Or, z3.Not, z3.Implies
is_true = z3.is_true
Z3Exception = z3.Z3Exception

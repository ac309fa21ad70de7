"""Automatic invariant inference with Z3's Spacer (constrained Horn clauses).

k-induction needs the student's lemmas; Spacer (an IC3/PDR engine for Horn
clauses) looks for an inductive invariant by itself. The model becomes

    Init(s)                          -> Inv(s)
    Inv(s) and T(s, sel, s2)         -> Inv(s2)     one rule: the action selector picks the instance
    Inv(s) and not P(s)              -> false       the query

Best effort. Measured (z3 5.4.1, 30 s a property): it proves the availability
properties, cp.cap's no_stale_read and split_brain_fenced.cap's no_split_brain
in 0.1-5 s, and sync/semisync no_acked_write_lost only at 2 nodes; at 3 nodes
it runs out of time, and its counterexamples come 10-100x slower than BMC's.
Its answer is never trusted: the invariant it returns is checked again with a
plain solver (initiation, consecution, safety) before anything is called
proved, then cut into conjuncts offered as lemmas, in the spec language where
the variables allow it. Spacer's API is not among z3_translate's re-exports,
so this module imports z3 itself.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import z3

from .. import interrupts
from ..ir.model import Condition, Model
from .z3_translate import StepVars, Translation, is_ctrl_c, translate
from . import z3_eval

PROVED, VIOLATED, UNKNOWN, CHECK_FAILED = "proved", "violated", "unknown", "check failed"
APIS = ("horn", "fixedpoint")
# The HORN solver and the Fixedpoint object run the same engine. On the shipped
# specs neither was faster throughout (each won some properties by up to 3x);
# HORN returns `unknown` on a timeout where Fixedpoint raises, so it is the default.
DEFAULT_API = "horn"
CHECK_FLOOR = 5.0  # seconds the independent check and the conjunct analysis get at least


@dataclass
class Suggestion:
    """One conjunct of the checked invariant, offered as a lemma."""

    text: str  # z3 syntax with the model's variable names
    lemma: str | None  # the same condition in the spec language, when it can be said there
    holds_initially: bool | None  # None: not decided within the budget
    inductive_alone: bool | None  # None: not decided within the budget
    needed: bool | None  # in a minimal subset of conjuncts that is still inductive and implies P
    formula: z3.BoolRef | None = field(default=None, repr=False)  # over the translation's s


@dataclass
class SpacerResult:
    name: str
    verdict: str  # proved | violated | unknown | check failed
    seconds: float  # the whole property: Spacer, the check, the analysis of the conjuncts
    invariant_text: str = ""
    conjuncts: list[str] = field(default_factory=list)
    checked: bool = False  # the invariant passed the independent check
    reason: str = ""
    suggestions: list[Suggestion] = field(default_factory=list)
    invariant: z3.BoolRef | None = field(default=None, repr=False)  # Spacer's, over the translation's s
    spacer_seconds: float = 0.0  # Spacer alone


class _Budget:
    def __init__(self, seconds: float) -> None:
        self.end = time.perf_counter() + seconds

    def ms(self) -> int:
        _stop_if_lost_ctrl_c()
        return max(1, int((self.end - time.perf_counter()) * 1000))

    def left(self) -> bool:
        _stop_if_lost_ctrl_c()
        return time.perf_counter() < self.end


def _stop_if_lost_ctrl_c() -> None:
    # a Ctrl-C Python dropped in a __del__ of Z3's (interrupts.noted) is still the user's
    if interrupts.came():
        raise KeyboardInterrupt


# ------------------------------------------------------------------ Spacer
def _initial(tr: Translation) -> z3.BoolRef:
    return tr.initial(StepVars(tr.s))


def _spacer(tr: Translation, good: z3.BoolRef, budget: _Budget, api: str
            ) -> tuple[str, z3.BoolRef | None, str]:
    """(verdict, invariant over tr.s or None, reason) as Spacer answers."""
    inv = z3.Function("Inv", *[x.sort() for x in tr.s], z3.BoolSort(tr.ctx))
    init, step = _initial(tr), tr.transition
    if api == "fixedpoint":
        fp = z3.Fixedpoint(ctx=tr.ctx)
        fp.set(engine="spacer")
        fp.set("timeout", budget.ms())
        fp.register_relation(inv)
        fp.declare_var(*tr.s, *tr.s2, tr.sel)
        fp.rule(inv(*tr.s), init)
        fp.rule(inv(*tr.s2), [inv(*tr.s), step])
        try:
            answer = fp.query(z3.And(inv(*tr.s), z3.Not(good)))
        except z3.Z3Exception as e:  # a timeout is raised as "canceled", not returned
            _stop_if_ctrl_c(str(e))
            return UNKNOWN, None, f"Spacer stopped: {e}"
        if answer == z3.sat:
            return VIOLATED, None, "Spacer found a reachable state that breaks it"
        if answer == z3.unknown:
            _stop_if_ctrl_c(fp.reason_unknown())
            return UNKNOWN, None, f"Spacer gave up: {fp.reason_unknown()}"
        # the strongest lemmas Spacer holds for Inv at every level: its invariant;
        # Var(i) is the i-th argument of Inv
        return PROVED, z3.substitute_vars(fp.get_cover_delta(-1, inv), *tr.s), ""
    if api != "horn":
        raise ValueError(f"unknown Spacer API {api!r}; choose one of {', '.join(APIS)}")
    solver = z3.SolverFor("HORN", ctx=tr.ctx)
    solver.set("timeout", budget.ms())
    every = [*tr.s, *tr.s2, tr.sel]
    solver.add(z3.ForAll(tr.s, z3.Implies(init, inv(*tr.s))))
    solver.add(z3.ForAll(every, z3.Implies(z3.And(inv(*tr.s), step), inv(*tr.s2))))
    solver.add(z3.ForAll(tr.s, z3.Not(z3.And(inv(*tr.s), z3.Not(good)))))
    answer = solver.check()  # sat: an interpretation of Inv exists, the property holds
    if answer == z3.unsat:
        return VIOLATED, None, "Spacer found a reachable state that breaks it"
    if answer == z3.unknown:
        _stop_if_ctrl_c(solver.reason_unknown())
        return UNKNOWN, None, f"Spacer gave up: {solver.reason_unknown()}"
    # Read Inv's interpretation directly: model.eval(Inv(s), model_completion=True)
    # gave True or False instead of the formula in some runs (z3 5.4.1).
    interp = solver.model()[inv]
    if interp is None:
        return UNKNOWN, None, "Spacer answered sat but gave no interpretation of Inv"
    body = interp.else_value()
    for k in range(interp.num_entries() - 1, -1, -1):
        entry = interp.entry(k)
        at = z3.And([z3.Var(i, x.sort()) == entry.arg_value(i) for i, x in enumerate(tr.s)])
        body = z3.If(at, entry.value(), body)
    return PROVED, z3.substitute_vars(body, *tr.s), ""


# ------------------------------------------------------------------ the independent check
def _holds(claim_negated: list, budget: _Budget) -> bool | None:
    """True when the conjunction is unsatisfiable (the claim holds), False when a
    model refutes it, None when the solver could not say within the budget."""
    if not budget.left():
        return None
    s = z3.SolverFor("QF_BV", ctx=claim_negated[0].ctx)
    s.set("timeout", budget.ms())
    s.add(*claim_negated)
    answer = s.check()
    return True if answer == z3.unsat else False if answer == z3.sat else None


def check_invariant(tr: Translation, inv: z3.BoolRef, good: z3.BoolRef, timeout: float = 30.0
                    ) -> tuple[bool | None, str]:
    """Is J = inv and every variable in its domain an inductive invariant that
    implies `good`? (True, "") when all three checks pass; (False, which failed)
    when one is refuted; (None, why) when a solver could not decide. The domain
    is part of J so that consecution may assume it, and is itself re-checked."""
    budget = _Budget(timeout)
    nxt = z3.substitute(inv, *zip(tr.s, tr.s2))
    nxt_domain = z3.substitute(tr.domain, *zip(tr.s, tr.s2))
    checks = [
        ("initiation", "the initial state does not satisfy it", [_initial(tr), z3.Not(z3.And(inv, tr.domain))]),
        ("consecution", "it is not inductive: a step from a state satisfying it leads to one that does not",
         [inv, tr.domain, tr.transition, z3.Not(z3.And(nxt, nxt_domain))]),
        ("safety", "it does not imply the property", [inv, tr.domain, z3.Not(good)]),
    ]
    for label, failure, negated in checks:
        ok = _holds(negated, budget)
        if ok is None:
            return None, f"the independent check ({label}) was not decided within the time budget"
        if not ok:
            return False, failure
    return True, ""


# ------------------------------------------------------------------ conjuncts
def _conjuncts(f: z3.BoolRef) -> list[z3.BoolRef]:
    f = z3.simplify(f)
    if z3.is_and(f):
        return [c for a in f.children() for c in _conjuncts(a)]
    return [] if z3.is_true(f) else [f]


def _analyse(tr: Translation, parts: list[z3.BoolRef], good: z3.BoolRef, budget: _Budget
             ) -> list[Suggestion]:
    init = _initial(tr)

    def inductive(fs: list, goal: bool) -> bool | None:
        # as in check_invariant: the domain is part of the invariant
        j = z3.And(*fs, tr.domain)
        nxt = z3.substitute(j, *zip(tr.s, tr.s2))
        step = _holds([j, tr.transition, z3.Not(nxt)], budget)
        if not goal or step is not True:
            return step
        return _holds([j, z3.Not(good)], budget)

    # Greedy: drop each conjunct the rest can do without. What is left is a
    # minimal (not minimum) inductive strengthening of the property.
    keep = list(range(len(parts)))
    decided = True
    for i in range(len(parts)):
        rest = [k for k in keep if k != i]
        ok = inductive([parts[k] for k in rest], goal=True)
        if ok is None:
            decided = False
            break
        if ok:
            keep = rest
    out = []
    for i, p in enumerate(parts):
        out.append(Suggestion(
            text=readable(tr.model, p, tr.s),
            lemma=render_lemma(tr.model, p, tr.s),
            holds_initially=_holds([init, z3.Not(p)], budget),
            inductive_alone=inductive([p], goal=False),
            needed=(i in keep) if decided else None,
            formula=p))
    return out


# ------------------------------------------------------------------ the spec language
# What a variable's value means, as the spec language says it (semantics/state.py
# and semantics/expressions.py). Only what has an attribute is rendered.
# Groups of status codes and their words, the coarser first: a set of codes
# is said by the fewest groups that make it up (the two kinds of unanswered
# apart only where the set splits them).
_WRITE_STATUS = [("not {x}.issued", {0}), ("{x}.pending", {1}), ("{x}.acked", {2}), ("{x}.failed", {3}),
                 ("{x}.unanswered", {4, 5}), ("({x}.unanswered and not {x}.timed_out)", {4}),
                 ("{x}.timed_out", {5})]
_READ_STATUS = [("not {x}.issued", {0}), ("{x}.ok", {1}), ("{x}.failed", {2}), ("{x}.unanswered", {3, 4}),
                ("({x}.unanswered and not {x}.timed_out)", {3}), ("{x}.timed_out", {4}),
                ("{x}.pending", {5})]  # leaderless reads wait for their replies
_ROLES = ["{x}.is_follower", "{x}.is_master", "{x}.is_fenced"]


def _names(model: Model) -> tuple[list[str], int]:
    nodes = [v.name[3:-1] for v in model.variables if v.name.startswith("up[")]
    writes = sum(1 for v in model.variables if re.fullmatch(r"status\[w\d+\]", v.name))
    return nodes, writes


def elements(model: Model) -> dict[str, list[str]]:
    """The elements of each declared set, as the spec language names them."""
    nodes, writes = _names(model)
    reads = [v.name[7:-1] for v in model.variables if re.fullmatch(r"status\[r\d+\]", v.name)]
    return {"nodes": nodes, "writes": [f"w{i + 1}" for i in range(writes)], "reads": reads}


def _one_of(values: set[int], size: int, words) -> str | None:
    """`x in values` by the words for each value, or by its complement."""
    if not values:
        return "false"
    if len(values) == size:
        return "true"
    rest = set(range(size)) - values
    if len(rest) < len(values):
        w = [words(v) for v in sorted(rest)]
        if None in w:
            return None
        if len(w) == 1:
            return w[0].replace(" == ", " != ") if " == " in w[0] else f"not {w[0]}"
        return "not (" + " or ".join(w) + ")"
    w = [words(v) for v in sorted(values)]
    return None if None in w else " or ".join(w)


def _statuses(x: str, values: set[int], size: int, table) -> str | None:
    """`x in values` for a status of `size` codes, by the attributes that name
    groups of codes: the values, or their complement, whichever takes fewer."""
    every = set(range(size))
    if not values & every:
        return "false"
    if every <= values:
        return "true"

    def cover(wanted: set[int]) -> list[str] | None:
        words, have = [], set()
        for text, codes in table:
            codes = codes & every  # a read of the master-based family has no `pending` code
            if codes and codes <= wanted and not codes <= have:
                words.append(text.format(x=x))
                have |= codes
        return words if have == wanted else None
    chosen, others = cover(values & every), cover(every - values)
    if chosen is None and others is None:
        return None  # splits a group the spec language cannot tell apart
    if others is None or (chosen is not None and len(chosen) <= len(others)):
        return " or ".join(chosen)
    if len(others) > 1:
        return "not (" + " or ".join(others) + ")"
    text = others[0]
    return text[4:] if text.startswith("not ") else f"not {text}"


def _mask(values: set[int], bits: int, atom, count: str | None = None, nonzero: str | None = None
          ) -> str | None:
    """A set of bit masks as a condition on single bits (atom(i): bit i is set):
    one bit, one bit clear, a range of the number of bits set (`count`), any bit
    set (`nonzero`), or a disjunction of exact masks when small."""
    every = set(range(1 << bits))
    if nonzero and values == every - {0}:
        return nonzero
    if nonzero and values == {0}:
        return f"not {nonzero}"
    for i in range(bits):
        on = {m for m in every if m >> i & 1}
        if values == on:
            return atom(i)
        if values == every - on:
            return f"not {atom(i)}"
    if count and values and values != every:
        sizes = {bin(m).count("1") for m in values}
        if values == {m for m in every if bin(m).count("1") in sizes}:
            text = _interval(count, sizes, bits + 1)
            if text is not None:
                return text
    if not values:
        return "false"
    if values == every:
        return "true"

    def exactly(m: int) -> str:
        return " and ".join(atom(i) if m >> i & 1 else f"not {atom(i)}" for i in range(bits))

    def one_of(masks: set[int]) -> str:
        if len(masks) == 1:
            return exactly(next(iter(masks)))
        return " or ".join(f"({exactly(m)})" for m in sorted(masks))
    if len(values) <= 4:
        return one_of(values)
    if len(every - values) <= 4:  # all but a few masks: `not all three links cut`
        return f"not ({one_of(every - values)})"
    return None


def _interval(x: str, values: set[int], size: int) -> str | None:
    """`x in values` as comparisons, when the values are a range of 0..size-1."""
    lo, hi = min(values, default=0), max(values, default=-1)
    if not values or values != set(range(lo, hi + 1)):
        return None
    if lo == hi:
        return f"{x} == {lo}"
    if lo == 0:
        return "true" if hi == size - 1 else f"{x} <= {hi}"
    return f"{x} >= {lo}" if hi == size - 1 else f"{x} >= {lo} and {x} <= {hi}"


# variables that are sets of writes or of nodes, and the attribute that tests one member
_WRITE_SETS = {"log": "has", "value": "has", "acked_to_master": "acked", "seen": "saw", "flushed": "flushed",
               "applied": "applied", "acked_at": "after_ack", "commit_point": "committed"}
_NODE_SETS = {"acks": "acked_by", "in_flight": "in_flight_to", "replied": "replied_by",
              "sync_standbys": "sync_standby"}


def _kind(name: str) -> tuple[str, str]:
    """A variable's family and member: `term[n1]` -> (term, n1), `primary` -> (primary, "")."""
    m = re.fullmatch(r"(\w+)\[(\w+)\]", name)
    return (m.group(1), m.group(2)) if m else (name, "")


def _value_set(model: Model, index: int, values: set[int]) -> str | None:
    """`variable in values` in the spec language, or None."""
    v = model.variables[index]
    nodes, writes = _names(model)
    kind, who = _kind(v.name)
    node = lambda k: nodes[k] if 0 <= k < len(nodes) else None  # noqa: E731
    write = lambda i: f"w{i + 1}"  # noqa: E731
    hint = re.fullmatch(r"hint\[(\w+)->(\w+)\]", v.name)  # the version a node keeps for a replica
    if hint and v.size == 1 << writes:
        return _mask(values, writes, lambda i: f"{hint.group(1)}.hint_for({hint.group(2)}, {write(i)})")
    if kind == "cut_client_links" and (v.size.bit_length() - 1) % len(nodes) == 0:
        # bit c * N + n: client c + 1 cut from node n (state.py's client_bit)
        return _mask(values, v.size.bit_length() - 1,
                     lambda i: f"{nodes[i % len(nodes)]}.cut_from_client({i // len(nodes) + 1})")
    if kind == "reads_at" and v.size > 1:  # a read's ghost: the reads answered OK when it was sent
        return _mask(values, v.size.bit_length() - 1, lambda j: f"{who}.after_read(r{j + 1})")
    if kind == "acked_writes_as_master":
        return _one_of(values, 2, lambda k: f"{who}.acked_as_master" if k else f"not {who}.acked_as_master")
    if kind == "noop_acked_to_master":
        return _interval(f"{who}.noop_acked", values, v.size) or _one_of(
            values, v.size, lambda k: f"{who}.noop_acked == {k}")
    if kind == "up":
        return _one_of(values, 2, lambda k: f"{who}.up" if k else f"{who}.crashed")
    if kind == "role":
        return _one_of(values, 3, lambda k: _ROLES[k].format(x=who))
    if kind in _WRITE_SETS and v.size == 1 << writes:  # a node's or a read's set of writes
        attr = _WRITE_SETS[kind]
        count = {"log": f"{who}.length", "value": f"{who}.length", "seen": f"{who}.seen"}.get(kind)
        return _mask(values, writes, lambda i: f"{who}.{attr}({write(i)})", count)
    if kind in _NODE_SETS and v.size == 1 << len(nodes):  # a write's, a read's or the system's set of nodes
        attr = _NODE_SETS[kind]
        return _mask(values, len(nodes), lambda n: f"{who}.{attr}({nodes[n]})" if who else f"{nodes[n]}.{attr}")
    if kind == "noops" and v.size > 1:  # bit t-1: the no-op of term t
        return _mask(values, v.size.bit_length() - 1, lambda t: f"{who}.has_noop({t + 1})")
    if kind == "waiting":
        return _one_of(values, 2, lambda k: f"{who}.waiting" if k else f"not {who}.waiting")
    if kind == "source":
        return _one_of(values, v.size, lambda k: f"{who}.source == {node(k)}" if node(k) else None)
    if kind == "node":
        return _one_of(values, v.size, lambda k: f"{who}.node == {node(k)}" if node(k) else None)
    if kind == "client":
        return _one_of(values, v.size, lambda k: f"{who}.client == {k + 1}")
    if kind == "status":
        return _statuses(who, values, v.size, _WRITE_STATUS if who.startswith("w") else _READ_STATUS)
    if kind == "primary":
        return _one_of(values, v.size, lambda k: f"primary == {node(k)}" if node(k) else None)
    if kind == "term":  # the highest term, a node's, or the one a write was accepted in
        x = _scalar(model, index)
        return None if x is None else (_interval(x[0], values, v.size)
                                       or _one_of(values, v.size, lambda k: f"{x[0]} == {k}"))
    if kind in ("crashes", "partitions"):
        return _interval(kind, values, v.size) or _one_of(values, v.size, lambda k: f"{kind} == {k}")
    if kind == "cut_links":
        pairs = [(a, b) for a in range(len(nodes)) for b in range(a + 1, len(nodes))]
        if v.size != 1 << len(pairs):
            return None
        return _mask(values, len(pairs), lambda i: f"{nodes[pairs[i][0]]}.cut_from({nodes[pairs[i][1]]})",
                     nonzero="partitioned")
    return None  # ghosts and details with no attribute (a write's acked_before, a clock, ...)


_ENUMERATE = 64  # the most valuations of a leaf's variables worth listing


def _scalar(model: Model, index: int) -> tuple[str, str] | None:
    """The spec-language expression whose value is the variable's own
    encoding, with its sort: "term" (numbers, ordered) or "node" (compared
    for equality only); None for any other variable."""
    v = model.variables[index]
    nodes, _ = _names(model)
    kind, who = _kind(v.name)
    if kind == "term":
        if not who:
            return "term", "term"
        if who in nodes or re.fullmatch(r"w[1-9][0-9]*", who):
            return f"{who}.term", "term"
        return None
    if kind == "noop_acked_to_master":  # a term, compared with the others
        return f"{who}.noop_acked", "term"
    if v.size > len(nodes):  # a value that names no node
        return None
    if kind == "primary" and not who:
        return "primary", "node"
    if kind in ("source", "node") and who:
        return f"{who}.{kind}", "node"
    return None


_RELATIONS = (("==", int.__eq__), ("!=", int.__ne__), ("<", int.__lt__), ("<=", int.__le__),
              (">", int.__gt__), (">=", int.__ge__))


def render_lemma(model: Model, f: z3.BoolRef, s: list[z3.BitVecRef]) -> str | None:
    """f (over s) in the spec's condition syntax, or None when some part has no
    spec-language wording. Connectives are kept; each leaf over one variable is
    rendered from the set of domain values satisfying it, a leaf over two as
    `x in A implies y in B` clauses."""
    return lemma_renderer(model, s)(f)


def lemma_renderer(model: Model, s: list[z3.BitVecRef]) -> Callable[[z3.BoolRef], str | None]:
    """render_lemma for many formulas over the same s: what it learns of their
    shared subterms serves them all (z3_lemmas words hundreds of candidates)."""
    renderer = _Renderer(model, s, strict=True)

    def render(f: z3.BoolRef) -> str | None:
        text = renderer.top(f)
        return text if text is not None and len(text) < 400 else None

    return render


def readable(model: Model, f: z3.BoolRef, s: list[z3.BitVecRef]) -> str:
    """f with each one-variable leaf as `x == k`, `x != k` or `x in {...}` over
    its domain values (z3 writes them as bit extractions); other leaves in z3 syntax."""
    return _Renderer(model, s, strict=False).top(f)


class _Renderer:
    def __init__(self, model: Model, s: list[z3.BitVecRef], strict: bool) -> None:
        self.model, self.s, self.strict = model, s, strict
        self.index = {x.get_id(): i for i, x in enumerate(s)}
        # term id -> (the term, the state variables it reads): `walk` asks this
        # of every subterm on its way down, so each is computed once, from its
        # children's (walking each subterm's whole tree again took half of the
        # time of wording mysql_semisync_after_sync's 225 generated lemmas).
        # The term is kept so that its id stays its own while this renderer lives.
        self._reads: dict[int, tuple[z3.ExprRef, frozenset[int]]] = {}
        # term id -> (the term, its Python closure or None): a leaf's truth on
        # every valuation of its variables, without asking Z3 each time
        self._closures: dict[int, tuple] = {}
        # term id -> (the term, relation()'s answer): top() asks a leaf, then
        # walk() the same term, of up to 64 pairs of values each time
        self._relations: dict[int, tuple] = {}

    def symbols(self, f: z3.ExprRef) -> list[int]:
        """The indices of the state variables f reads, sorted."""
        return sorted(self._symbols(f))

    def _symbols(self, f: z3.ExprRef) -> frozenset[int]:
        reads = self._reads
        todo = [f]  # a stack, not recursion: terms can nest deeper than Python's limit
        while todo:
            t = todo[-1]
            key = t.get_id()
            if key in reads:
                todo.pop()
            elif key in self.index:
                reads[key] = (t, frozenset((self.index[key],)))
                todo.pop()
            else:
                children = t.children()
                missing = [c for c in children if c.get_id() not in reads]
                if missing:
                    todo.extend(missing)
                else:
                    reads[key] = (t, frozenset().union(*(reads[c.get_id()][1] for c in children)))
                    todo.pop()
        return reads[f.get_id()][1]

    def truth(self, g, assignment: dict[int, int]) -> bool | None:
        key = g.get_id()
        if key not in self._closures:  # the term kept with it, so that its id stays its own
            self._closures[key] = (g, z3_eval.compile_term(g, self.index))
        run = self._closures[key][1]
        if run is not None and self._symbols(g) <= assignment.keys():
            return bool(run(assignment))
        s = self.s
        r = z3.simplify(z3.substitute(g, *[(s[i], z3.BitVecVal(k, s[i].size(), s[i].ctx)) for i, k in assignment.items()]))
        return True if z3.is_true(r) else False if z3.is_false(r) else None

    def values(self, g, i: int) -> set[int]:
        return {k for k in range(self.model.variables[i].size) if self.truth(g, {i: k})}

    def one(self, i: int, vals: set[int]) -> str | None:
        if self.strict:
            return _value_set(self.model, i, vals)
        v = self.model.variables[i]
        rest = set(range(v.size)) - vals
        if not vals or not rest:
            return "true" if vals else "false"
        if len(vals) == 1:
            return f"{v.name} == {next(iter(vals))}"
        if len(rest) == 1:
            return f"{v.name} != {next(iter(rest))}"
        return f"{v.name} in {{{', '.join(map(str, sorted(vals)))}}}"

    def leaf(self, g) -> str | None:
        vs = self.symbols(g)
        sizes = [self.model.variables[i].size for i in vs]
        if not vs:
            t = self.truth(g, {})
            return None if t is None else "true" if t else "false"
        if len(vs) == 1 and sizes[0] <= _ENUMERATE:
            return self.one(vs[0], self.values(g, vs[0]))
        if len(vs) == 2 and sizes[0] * sizes[1] <= _ENUMERATE:
            related = self.relation(g, *vs)  # `n1.term < n2.term` reads better than its table
            if related is not None:
                return related
            split = self.split(g, *vs, implication=True)  # `a and b`, `a implies b` read better than clauses
            if split is not None:
                return split
            for a, b in (vs, vs[::-1]):
                # for each value of a, the values of b allowed: clauses "a in A implies b in B"
                allowed: dict[frozenset, set[int]] = {}
                for ka in range(self.model.variables[a].size):
                    ok = frozenset(kb for kb in range(self.model.variables[b].size)
                                   if self.truth(g, {a: ka, b: kb}))
                    allowed.setdefault(ok, set()).add(ka)
                clauses = []
                for ok, kas in allowed.items():
                    if len(ok) == self.model.variables[b].size:
                        continue
                    lhs, rhs = self.one(a, kas), self.one(b, set(ok))
                    if lhs is None or rhs is None:
                        break
                    clauses.append(f"({lhs}) implies ({rhs})" if rhs != "false" else f"not ({lhs})")
                else:
                    return " and ".join(f"({c})" for c in clauses) or "true"
        return None

    def split(self, g, a: int, b: int, implication: bool = False) -> str | None:
        """`(a in A) and (b in B)` when the pairs of values where g holds are
        exactly A x B, `(a in A) or (b in B)` when those where it fails are a
        product (cp.cap: `master.has(w1) or slave.has(w1)`, once worded
        `not (((not master.has(w1)) implies (not slave.has(w1))) and (not
        master.has(w1)))`), said `(a not in A) implies (b in B)` when
        `implication` (a whole lemma: "if the master lacks it, the slave
        lacks it"); None otherwise, or when the pairs are too many to try."""
        ra, rb = range(self.model.variables[a].size), range(self.model.variables[b].size)
        if len(ra) * len(rb) > _ENUMERATE:
            return None
        table = {(ka, kb): self.truth(g, {a: ka, b: kb}) for ka in ra for kb in rb}
        if None in table.values():
            return None
        for value, word in ((True, "and"), (False, "or")):
            cells = {pair for pair, t in table.items() if t == value}
            first, second = {ka for ka, _ in cells}, {kb for _, kb in cells}
            if not cells or len(cells) != len(first) * len(second):
                continue  # not a product (or g is constant: a leaf over no variable says so)
            if not value:  # g fails exactly on first x second: it holds where either is left
                first, second = set(ra) - first, set(rb) - second
            parts = [self.one(a, first), self.one(b, second)]
            if None in parts:
                return None
            unit = "true" if value else "false"  # a part that says nothing
            if implication and not value and unit not in parts:
                premise = self.one(a, set(ra) - first)
                return None if premise is None else f"({premise}) implies ({parts[1]})"
            parts = [p for p in parts if p != unit]
            return f"({parts[0]}) {word} ({parts[1]})" if len(parts) == 2 else parts[0] if parts else unit
        return None

    def relation(self, g, a: int, b: int) -> str | None:
        """`x < y` (or ==, !=, <=, >, >=; a node's only == and !=) when g is
        exactly that comparison of two variables of one sort, on every pair
        of values of their domains."""
        key = g.get_id()
        if key not in self._relations:
            self._relations[key] = (g, self._relation(g, a, b))
        return self._relations[key][1]

    def _relation(self, g, a: int, b: int) -> str | None:
        x, y = _scalar(self.model, a), _scalar(self.model, b)
        if x is None or y is None or x[1] != y[1] or \
                self.model.variables[a].size * self.model.variables[b].size > _ENUMERATE:
            return None
        pairs = [(ka, kb) for ka in range(self.model.variables[a].size) for kb in range(self.model.variables[b].size)]
        table = [self.truth(g, {a: ka, b: kb}) for ka, kb in pairs]
        for word, holds in _RELATIONS[:2] if x[1] == "node" else _RELATIONS:
            if all(t == holds(ka, kb) for t, (ka, kb) in zip(table, pairs)):
                return f"{x[0]} {word} {y[0]}"
        return None

    def walk(self, g) -> str | None:
        if len(self._symbols(g)) == 1:
            text = self.leaf(g)  # whatever its connectives, one variable reads best as a set of values
            if text is not None:
                return text
        if len(self._symbols(g)) == 2:  # `not (a < b)` reads best as `a >= b`, whatever its connectives
            related = self.relation(g, *self.symbols(g))
            if related is not None:
                return related
            split = self.split(g, *self.symbols(g))  # `not (not a and not b)` reads best as `a or b`
            if split is not None:
                return split
        if not self.strict and z3.is_not(g) and z3.is_eq(g.arg(0)) and not _bitwise(g):
            return _plain(g.arg(0).arg(0)) + " != " + _plain(g.arg(0).arg(1))
        if z3.is_and(g) or z3.is_or(g):
            parts = [self.walk(c) for c in g.children()]
            if None in parts:
                return None
            unit, zero = ("true", "false") if z3.is_and(g) else ("false", "true")
            if zero in parts:
                return zero
            parts = [p for p in parts if p != unit] or [unit]  # a leaf may be constant on the domain
            word = " and " if z3.is_and(g) else " or "
            return word.join(f"({p})" for p in parts)
        if z3.is_not(g):
            inner = self.walk(g.arg(0))
            return None if inner is None else f"not ({inner})"
        if z3.is_implies(g):
            a, b = self.walk(g.arg(0)), self.walk(g.arg(1))
            return None if a is None or b is None else f"({a}) implies ({b})"
        if not self.strict and len(self._symbols(g)) > 1 and not _bitwise(g):
            return _plain(g)  # `x == y` reads better than its table of values
        text = self.leaf(g)
        if text is None and not self.strict:
            text = _plain(g)
        return text

    def top(self, f) -> str | None:
        # the whole conjunct as one leaf first: over one or two variables that
        # gives the plainest wording; otherwise go through its connectives.
        # Every part is parenthesised (precedence in the spec language is
        # implies < or < and < not), then the parentheses around atoms dropped.
        text = self.leaf(f) or self.walk(f)
        if text is None:
            return None
        while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
            text = text[1:-1]
        return tidy(text)


def _bitwise(f: z3.ExprRef) -> bool:
    """Does f take bits apart (Extract, Concat, ~, &, |): then a table of values reads better."""
    bitwise = {z3.Z3_OP_EXTRACT, z3.Z3_OP_CONCAT, z3.Z3_OP_BNOT, z3.Z3_OP_BAND, z3.Z3_OP_BOR,
               z3.Z3_OP_BXOR, z3.Z3_OP_BIT2BOOL}
    todo = [f]
    while todo:
        t = todo.pop()
        if z3.is_app(t) and t.decl().kind() in bitwise:
            return True
        todo.extend(t.children())
    return False


def _plain(f: z3.ExprRef) -> str:
    return re.sub(r"\s+", " ", str(f))


def tidy(text: str) -> str:
    """A wording with the parentheses that say nothing taken out: those around
    another pair (`((a or b))`) and those around an atom (`(n.up)`)."""
    match, stack = {}, []
    for i, ch in enumerate(text):
        if ch == "(":
            stack.append(i)
        elif ch == ")" and stack:
            match[stack.pop()] = i
    drop = {k for i, j in match.items() if match.get(i + 1) == j - 1 for k in (i, j)}
    return _unwrap_atoms("".join(ch for k, ch in enumerate(text) if k not in drop))


def _unwrap_atoms(text: str) -> str:
    """Drop the parentheses around a single atom (no spaces inside but after an
    argument's comma), but not the argument parentheses of an attribute like
    `has(w1)` or `hint_for(n2, w1)`."""
    return re.sub(r"(?<![\w.])\(([\w.\[\]]+(?:\(\w+(?:, \w+)?\))?)\)", r"\1", text)


def _balanced(t: str) -> bool:
    depth = 0
    for ch in t:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


# ------------------------------------------------------------------ the facade
INTERRUPTED = "interrupted (Ctrl-C) before this property was decided"


def _stop_if_ctrl_c(reason: str) -> None:
    # Z3 catches a Ctrl-C inside a query and answers unknown: it is still the user's interrupt
    if is_ctrl_c(reason):
        raise KeyboardInterrupt


@interrupts.noting
def spacer_prove(model: Model, property_names: Sequence[str] | None = None, timeout: float = 30.0,
                 lemmas: Sequence[Condition] = (), api: str = DEFAULT_API,
                 progress: Callable[[str], None] | None = None) -> list[SpacerResult]:
    """Ask Spacer for an inductive invariant proving each invariant of the model
    (those named, or all). `timeout` (seconds) bounds the whole call: each
    property gets an equal share of the time still left (what one leaves over
    goes to the next): Spacer, then the independent check and the conjunct
    analysis in what is left of its share (at least CHECK_FLOOR seconds, so a
    proof found late is not thrown away, but never past the end of the call).
    A property the time never reached is UNKNOWN.
    `lemmas` are proved together with the property (the query is P and every
    lemma); when that fails the property alone is asked again, so that a wrong
    lemma cannot make a property look violated. `progress` is told each step
    (`spacer: no_stale_read (1 of 2): looking for an invariant`)."""
    say = progress or (lambda _msg: None)
    lemmas = list(lemmas)
    end = time.perf_counter() + timeout
    tr = translate(model, extra=lemmas)
    extra = [tr.condition(f"lemma {c.name}", c.expr) for c in lemmas]
    wanted = [c for c in model.invariants if property_names is None or c.name in property_names]
    if property_names is not None:
        missing = set(property_names) - {c.name for c in wanted}
        if missing:
            raise ValueError(f"no invariant named {', '.join(sorted(missing))} in model {model.name}")
    results: list[SpacerResult] = []
    try:
        for k, c in enumerate(wanted):
            started = time.perf_counter()
            if started >= end:
                results.append(SpacerResult(c.name, UNKNOWN, 0.0, reason=f"the {timeout:g} s of --timeout ran out "
                                            "before this property's turn"))
                continue
            budget = _Budget((end - started) / (len(wanted) - k))
            which = f"spacer: {c.name} ({k + 1} of {len(wanted)})"
            say(f"{which}: looking for an invariant")
            good = tr.condition(c.name, c.expr)
            verdict, inv, reason = _spacer(tr, z3.And(good, *extra), budget, api)
            if verdict == VIOLATED and extra and budget.left():
                verdict, inv, reason = _spacer(tr, good, budget, api)
                if verdict == PROVED:
                    reason = "a lemma fails in a reachable state; the property alone was proved"
                elif verdict == UNKNOWN:
                    reason += "; with the lemmas, some reachable state breaks the property or a lemma"
            r = SpacerResult(c.name, verdict, 0.0, reason=reason, spacer_seconds=time.perf_counter() - started)
            if verdict == PROVED:
                r.invariant, r.invariant_text = inv, _plain(z3.simplify(inv))
                # A proof found at the end of the budget still gets a few seconds to be
                # checked: unchecked, it would be thrown away.
                now = time.perf_counter()
                budget = _Budget(min(max(budget.end - now, CHECK_FLOOR), end - now))
                say(f"{which}: checking the invariant found")
                ok, why = check_invariant(tr, inv, good, budget.end - time.perf_counter())
                r.checked = ok is True
                if ok is False:
                    r.verdict, r.reason = CHECK_FAILED, f"Spacer's invariant failed the independent check: {why}"
                elif ok is None:
                    r.verdict, r.reason = UNKNOWN, f"Spacer claims a proof, but {why}"
                else:
                    # a conjunct true in every state within the domains says nothing
                    parts = [p for p in _conjuncts(inv) if _holds([tr.domain, z3.Not(p)], budget) is not True]
                    r.suggestions = _analyse(tr, parts, good, budget)
                    r.conjuncts = [sug.text for sug in r.suggestions]
            r.seconds = time.perf_counter() - started
            results.append(r)
    except BaseException as err:  # noqa: B036 - the partial report: what was decided, the rest interrupted
        if not interrupts.is_interrupt(err):  # (a Ctrl-C may come disguised by ctypes)
            raise
        results += [SpacerResult(c.name, UNKNOWN, 0.0, reason=INTERRUPTED) for c in wanted[len(results):]]
    return results


def format_suggestions(result: SpacerResult, paint: Callable[[str], str] = str) -> str:
    """The verdict (its words passed through `paint`, which may colour them)
    and, for a checked proof, the conjuncts as lemma suggestions."""
    head = f"{result.name}: {paint(result.verdict.upper())} by Spacer ({result.seconds:.2f} s)"
    if result.verdict == PROVED:
        head += ", invariant checked independently"
    lines = [head + (f" - {result.reason}" if result.reason else "")]
    if result.verdict == VIOLATED:
        lines.append("  run the z3 engine (BMC) for a shortest counterexample")
    for k, sug in enumerate(result.suggestions, 1):
        flags = [w for w, on in (("needed", sug.needed), ("inductive alone", sug.inductive_alone)) if on]
        if sug.holds_initially is False:  # cannot happen after the check passed; said if it does
            flags.append("NOT true initially")
        lines.append(f"  {k}. {sug.text}" + (f"   [{', '.join(flags)}]" if flags else ""))
        if sug.lemma is not None:
            lines.append(f"     lemma spacer_{k}: {sug.lemma}")
    return "\n".join(lines)

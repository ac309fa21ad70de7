"""The Z3 engine: bounded model checking, k-induction proofs, and the cross-check
with the explicit engine. The facade the CLI calls: check_z3() and compare().

What it answers, per property (the verdict strings):
  violated   a shortest counterexample (BMC), the same Trace type as the explicit engine's
  proved     k-induction over the properties and lemmas: holds at every depth
  bounded    NO COUNTEREXAMPLE UP TO DEPTH K (never called holds)
  incomplete the time budget ran out; `depth` says how deep BMC got
Reachable conditions: reached | unreachable (proved) | not reached within bounds.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from .. import interrupts
from ..ir import expr as X
from ..ir.model import Condition, Model
from ..trace import Trace, build_trace
from . import explicit
from . import z3_translate as Z
from .bmc import BMC, Goal
from .budget import Deadline, OutOfTime, Work
from .induction import Conjunct, k_induction
from .result import (HOLDS, INCOMPLETE, NOT_REACHED, REACHED, UNREACHABLE, VIOLATED, CheckResult,
                     PropertyResult, Stats)
from .z3_translate import UnsupportedConstruct

PROVED = "proved"  # k-induction: every depth
BOUNDED = "bounded"  # no counterexample up to depth K (PropertyResult.depth)
NOT_INDUCTIVE = "not inductive"  # a lemma: no counterexample found, but induction fails (see .cti)

VERDICT_WORDS = {PROVED: "PROVED", BOUNDED: "NO COUNTEREXAMPLE UP TO DEPTH {depth}",
                 NOT_INDUCTIVE: "NOT INDUCTIVE", VIOLATED: "VIOLATED", HOLDS: "HOLDS",
                 INCOMPLETE: "INCOMPLETE", REACHED: "REACHED", UNREACHABLE: "UNREACHABLE",
                 NOT_REACHED: "NOT REACHED UP TO DEPTH {depth}"}

DEFAULT_DEPTH = 20  # BMC bound when neither --max-depth nor the explicit engine's diameter is known
DEFAULT_INDUCTION_K = 2
GENERATED = "generated lemmas"  # the one lemma the generated ones are checked as (a name no spec can give)
# The work budgets for generating lemmas (budget.Work: Z3 resource units over
# every solver call, and Python steps), in place of wall-clock seconds, so
# that a spec's verdict does not depend on the machine's load. Calibrated with
# bench/z3_generated.py (docs/z3.md, "The work budget"): the most any shipped
# property proved within the old 20 s needs, all of a spec's properties at
# once, is 28 M units and 2,400 steps (mysql_semisync_after_sync, 12-15 s of
# CPU); Raft's need 45 M units and more (raft_linearizable, 25-30 s), as they
# needed more than the 20 s. A unit costs more on a larger model: 40 M took
# 30 s of CPU (the whole check) on bench/specs/sync_n7_w6_bare.cap.
# Raised from 40 M units and 3,500 steps: raft_majority's two properties need
# 105 M and 3,300 at once (140 M and 3,300 for no_acked_write_lost alone), and
# with 40 M `verify --engine z3` went on to BMC to depth 20 and a deadlock
# pass, stopped by hand after 19 minutes, instead of a proof in under a
# minute (docs/z3.md, "The budget raised"). The price: a spec whose lemmas
# cannot be generated spends up to 5 times as long before BMC starts.
GENERATE_WORK = Work(units=200_000_000, steps=6_000)
# For --engine both, where the explicit verdicts are already exhaustive (about
# the old 0.5 s: ap, cp and redis_replica_reads_yes need 114-171 k units and
# 267-348 steps; the next, split_brain_fenced, 1.27 M and 548), and only when
# the explicit engine stored at most BOTH_GENERATE_STATES states (up to
# symmetry: the generation's own sample is unreduced, 3-6 times larger, and
# at 2,000-4,000 stored states it used the whole 0.5 s exploring and proved
# nothing; the shipped specs it proves under --engine both store 73-128)
BOTH_GENERATE_WORK = Work(units=1_000_000, steps=500)
BOTH_GENERATE_STATES = 1_000
DIAMETER_PASS_STATES = 50_000  # the capped explicit pass that gives --engine z3 its BMC depth

__all__ = ["check_z3", "compare", "check_lemmas_explicit", "words", "Z3PropertyResult", "Z3Result",
           "UnsupportedConstruct", "PROVED", "BOUNDED", "NOT_INDUCTIVE", "DEFAULT_DEPTH"]


@dataclass
class Z3PropertyResult(PropertyResult):
    depth: int | None = None  # bounded / incomplete: BMC checked every depth up to this
    method: str = ""  # bmc | induction k=N
    cti: Trace | None = None  # when induction failed: its counterexample (kind "cti")

    def to_json(self) -> dict[str, Any]:
        return {**super().to_json(), "depth": self.depth, "method": self.method,
                "cti": self.cti.to_json() if self.cti else None}


def words(p: PropertyResult) -> str:
    """The verdict in capitals, for the text report."""
    return VERDICT_WORDS.get(p.verdict, p.verdict.upper()).format(depth=getattr(p, "depth", "?"))


@dataclass
class Z3Result(CheckResult):
    lemmas: list[Z3PropertyResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the engine wants a reader to know
    bmc_depth: int = -1  # every depth up to this was checked
    bmc_bound: int = 0  # the depth BMC was asked to reach
    bound_source: str = ""  # --max-depth | diameter | default | explicit counterexamples
    deadlock_depth: int | None = -1  # deadlocks checked at every depth up to this; None: proved absent
    timed_out: bool = False
    generated: list[str] = field(default_factory=list)  # `lemma` lines of the generated lemmas the proof used
    generated_work: tuple[int, int] | None = None  # (Z3 resource units, Python steps) generating them spent

    @property
    def failed(self) -> bool:
        return super().failed or any(lem.verdict == VIOLATED for lem in self.lemmas) or self._domain_escape

    _domain_escape: bool = False

    def to_json(self) -> dict[str, Any]:
        return {**super().to_json(), "lemmas": [lem.to_json() for lem in self.lemmas], "notes": self.notes,
                "bmc": {"depth": self.bmc_depth, "bound": self.bmc_bound, "bound_from": self.bound_source,
                        "timed_out": self.timed_out, "deadlocks_checked_to": self.deadlock_depth},
                "generated_lemmas": self.generated}


def check_in_time(probe, deadline: Deadline):
    """One solver question within what is left of the budget: unknown when
    the budget is already spent (a --timeout that ran out in an earlier
    phase, say the explicit pass), as when Z3 itself runs out."""
    try:
        answer = deadline.check(probe)
    except OutOfTime:
        return Z.UNKNOWN
    if answer == Z.UNKNOWN:
        deadline.give_up(probe.reason_unknown())
    return answer


@interrupts.noting
def check_z3(model: Model, *, properties: list[str] | None = None, max_depth: int | None = None,
             timeout: float | None = None, lemmas: Sequence[Condition] = (), diameter: int | None = None,
             induction_k: int = DEFAULT_INDUCTION_K, prove: bool = True, logic: str = Z.DEFAULT_LOGIC,
             stop_when_decided: bool = True, progress: Callable[[str], None] | None = None,
             generate: Work | None = None, bound_from: str | None = None,
             deadlocks_to: int | None = None, from_smaller: bool = False) -> Z3Result:
    """Check the model's invariants (those named in `properties`, or all), its
    reachable conditions, deadlocks and the lemmas with Z3.

    BMC goes to max_depth if given, else to `diameter` (the explicit engine's
    depth of a complete run: no state is further), else DEFAULT_DEPTH. Then
    properties with no counterexample get a k-induction proof attempt
    (k = 1..induction_k) over themselves and the lemmas. `timeout` (seconds)
    bounds the whole engine; a run out of time is INCOMPLETE with the depth reached.
    With stop_when_decided (as in the explicit engine), BMC stops deepening once
    every property and reachable condition is decided, and deadlocks are then
    left unchecked past the base case (result.deadlock_depth says how deep they
    were checked; None when induction proved there are none).
    With `generate` (a work budget, budget.Work; None, the default, for none:
    the commands pass GENERATE_WORK, see bounds_for) and no lemma given, lemmas
    are first generated from the model's own terms (z3_lemmas.py) within that
    budget (and within half of what `timeout` leaves, if given), and then
    checked exactly as a user's lemmas are: a property is PROVED with them only
    when the base case and the inductive step say so. `from_smaller`: where the
    state space is too big to sample whole, first try the lemmas of a proof
    on a smaller instance of the spec, renamed (z3_lemmas._via_smaller; off by
    default: it does not yet prove 7 nodes x 6 writes, docs/z3.md).
    Raises UnsupportedConstruct (a ValueError with a message naming the construct)
    when the model uses something the translation cannot express."""
    started = time.perf_counter()
    deadline = Deadline(timeout)
    say = progress or (lambda _msg: None)
    lemmas = list(lemmas) or list(getattr(model, "lemmas", ()))
    invariants = [c for c in model.invariants if properties is None or c.name in properties]
    result = Z3Result(spec=model.name, engine="z3")
    tr = Z.translate(model, extra=lemmas)

    if max_depth is not None:
        bound, result.bound_source = max_depth, "--max-depth"
    elif diameter is not None:
        bound, result.bound_source = diameter, "diameter"
    else:
        bound, result.bound_source = DEFAULT_DEPTH, "default"
    result.bound_source = bound_from or result.bound_source
    result.bmc_bound = bound

    proved: dict[str, str] = {}  # goal name -> method
    ctis: dict[str, Any] = {}
    timed_out = False

    # 0. The variables stay within their domains: the model builder's promise.
    #    Checked once for every depth: by the interval analysis, and for the few updates it
    #    cannot clear (a counter's `+ 1`) by one query over a single state.
    #    Only when that fails does BMC look for a path that leaves a domain.
    #    (A step query over two states here took 1.1 s at 7 nodes.)
    #    The initial state is checked here too: one outside the domains is not
    #    proved anything about; BMC finds it at depth 0 and the report says so.
    starts_inside = all(0 <= v.initial < v.size for v in model.variables)
    if starts_inside and tr.escape is None:
        proved["domain"] = "interval analysis"
    elif starts_inside:
        probe = tr.solver(logic)
        probe.add(tr.escape)
        answer = check_in_time(probe, deadline)
        if answer == Z.UNSAT:
            proved["domain"] = "induction k=1"
        else:
            timed_out = answer == Z.UNKNOWN

    # 0b. Lemmas generated from the model's own terms, when some property is
    #     to be proved and the user wrote no lemma (a user's lemmas are their
    #     proof: its counterexamples to induction are what they need to see).
    #     From here on the generated ones are lemmas like the user's.
    generated = None
    if prove and generate and invariants and not lemmas and not timed_out:
        from .z3_lemmas import generate_lemmas

        # The work budget decides when generation gives up, on any load; the
        # clock only as the --timeout's hard cap: at most half of what it
        # leaves, as BMC must still have its turn.
        left = deadline.seconds_left()
        budget = Deadline(None if left is None else left / 2, work=generate)
        facts = [tr.domain] if "domain" in proved else []
        generated = generate_lemmas(model, tr, invariants, budget, logic=logic, facts=facts, say=say,
                                    smaller=from_smaller)
        deadline.interrupted |= budget.interrupted  # a Ctrl-C while generating stops the whole run
        timed_out = deadline.interrupted
        # Checked as one lemma, their conjunction: one inductive-step query for
        # all of them instead of one each (sync.cap: 55 of them, 3.8 s of CPU -> ...)
        if generated.lemmas:
            lemmas = lemmas + [Condition(GENERATED, X.and_(*[c.expr for c in generated.lemmas]),
                                         "generated lemmas")]
        result.notes.append(generated.summary())
        result.generated_work = (generated.units, generated.steps)

    # Goals: what BMC looks for. Names are unique across kinds by their prefix.
    def goal_name(kind: str, name: str) -> str:
        return {"violation": name, "lemma": f"lemma {name}", "witness": f"reachable {name}"}.get(kind, kind)

    goals: list[Goal] = []
    good: dict[str, tuple[str, object]] = {}  # goal name -> (conjunct kind, template that must hold)
    for c in invariants:
        inv = tr.condition(c.name, c.expr)
        goals.append(Goal(goal_name("violation", c.name), "violation", Z.Not(inv)))
        good[c.name] = ("property", inv)
    for c in lemmas:
        lem = tr.condition(f"lemma {c.name}", c.expr)
        goals.append(Goal(goal_name("lemma", c.name), "lemma", Z.Not(lem)))
        good[f"lemma {c.name}"] = ("lemma", lem)
    for c in model.reachables:
        r = tr.condition(f"reachable {c.name}", c.expr)
        goals.append(Goal(goal_name("witness", c.name), "witness", r))
        good[f"reachable {c.name}"] = ("unreachable", Z.Not(r))
    stuck = Z.And(Z.Not(tr.done), Z.Not(Z.Or(tr.guards)))
    deadlock = Goal("deadlock", "deadlock", stuck)
    good["deadlock"] = ("no_deadlock", Z.Not(stuck))
    domain = Goal("domain", "domain", Z.Not(tr.domain))
    good["domain"] = ("domain", tr.domain)

    if "domain" not in proved:
        goals.append(domain)
    # Every term the translation cut to the width the interval analysis gave it
    # (terms of the model, the conditions and the generated lemmas, all
    # translated by now) loses no bit in a state within the domains.
    if tr.lossy is not None and not timed_out:
        probe = tr.solver(logic)
        probe.add(tr.domain, tr.lossy)
        answer = check_in_time(probe, deadline)
        if answer == Z.SAT:
            raise UnsupportedConstruct("a term does not fit the bit width its interval analysis gave it "
                                       "(a bug in capmodel's Z3 translation, not in the spec)")
        timed_out = answer == Z.UNKNOWN
    bmc = BMC(tr, logic, tag="bmc_")

    # 1. k-induction, each k after its base case (BMC up to depth k-1).
    if prove and not timed_out:
        for k in range(1, max(1, induction_k) + 1):
            if k - 1 > bound:
                break
            say(f"z3: base case up to depth {k - 1}")
            st = bmc.run(goals + [deadlock], k - 1, deadline)
            if st.timed_out:
                timed_out = True
                break
            candidates = [Conjunct(n, kind, g) for n, (kind, g) in good.items()
                          if n not in st.found and n not in proved and kind != "unreachable"]
            if not candidates:
                break
            facts = [Conjunct(n, good[n][0], good[n][1]) for n in proved]
            say(f"z3: {k}-induction over {len(candidates)} conditions")
            ind = k_induction(tr, candidates, k, deadline, logic, facts=facts)
            if ind.timed_out:
                timed_out = True
                break
            for n in ind.proved:
                proved.setdefault(n, f"induction k={k}")
            for n, cti in ind.ctis.items():
                ctis.setdefault(n, cti)  # the first (shortest) one: two states for k=1
            # deepening k is for the verdicts; "no deadlock" alone is not worth it
            if all(c.name in proved for c in candidates if c.kind in ("property", "lemma")):
                break

    # 1b. A generated lemma that induction did not prove is of no use (and no
    #     user asked about it): it is dropped, not searched for by BMC.
    if generated is not None:
        name = goal_name("lemma", GENERATED)
        if name in proved:
            result.generated = [f"lemma {c.name}: {generated.texts[c.name]}" if generated.texts.get(c.name)
                                else f"# lemma {c.name} has no wording in the spec language: {c.expr!r}"
                                for c in generated.lemmas]
        else:
            goals = [g for g in goals if g.name != name]
            good.pop(name, None)
        lemmas = [c for c in lemmas if c.name != GENERATED]

    # 2. BMC up to the bound for whatever is still open, knowing what was proved.
    for n in proved:
        bmc.assert_invariant(good[n][1])
    rest = [g for g in goals if g.name not in proved]
    essential = {g.name for g in rest if g.kind in ("violation", "witness", "lemma")}
    if not timed_out:
        last = [time.perf_counter()]

        def on_depth(t: int) -> None:
            now = time.perf_counter()
            say(f"z3: BMC depth {t} of {bound} checked ({now - last[0]:.1f} s for it)")
            last[0] = now

        st = bmc.run(rest, bound, deadline, on_depth=on_depth,
                     essential=essential if stop_when_decided else None)
        timed_out = st.timed_out
    st = bmc.status
    found = st.found
    still_open = [n for n in essential if n not in found]
    depth = st.depth_of(still_open) if still_open else max((st.checked.get(n, -1) for n in essential), default=-1)
    # 2b. Deadlocks, as deep as the rest went. A deadlock is a state, not a
    #     property: like the explicit engine, a run that stops because every
    #     verdict is known leaves them unchecked (asking at every depth doubled
    #     the time to a shallow counterexample at 7 nodes).
    target = depth if stop_when_decided else bound
    if stop_when_decided and not still_open:
        target = -1
    if deadlocks_to is not None:  # --engine both: as deep as the explicit deadlock (its length is checked), if any
        target = deadlocks_to
    if "deadlock" not in proved and not timed_out and target >= 0:
        timed_out = bmc.run([deadlock], target, deadline,
                            on_depth=lambda t: say(f"z3: deadlocks checked up to depth {t} of {target}")).timed_out
    result.deadlock_depth = None if "deadlock" in proved else st.checked.get("deadlock", -1)
    # 3. Reachable conditions BMC never met: is their negation inductive, given
    #    what was proved? Then the spec is vacuous there, for every depth.
    unmet = [Conjunct(n, kind, g) for n, (kind, g) in good.items()
             if kind == "unreachable" and n not in found]
    if prove and unmet and not timed_out and depth >= 0:
        facts = [Conjunct(n, good[n][0], good[n][1]) for n in proved]
        ind = k_induction(tr, unmet, 1, deadline, logic, facts=facts)
        timed_out = ind.timed_out
        for n in ind.proved:
            proved.setdefault(n, "induction k=1")
    result.bmc_depth = depth
    result.timed_out = timed_out

    def trace_of(name: str, prop: str, kind: str) -> Trace:
        return build_trace(model, prop, kind, found[name].path, model.participants)

    def cti_trace(name: str, prop: str) -> Trace | None:
        if name not in ctis:
            return None
        cti = ctis[name]
        trace = build_trace(model, prop, "cti", cti.path, model.participants)
        why = ""
        if prop in model.explain and cti.conjunct.kind == "property":
            try:
                why = model.explain[prop]([s for _, s in cti.path])
            except Exception:  # an explanation written for reachable states may not fit
                why = ""
        kinds = {n: kind for n, (kind, _) in good.items()}

        def said(n: str) -> str:
            kind = kinds.get(n)
            if kind == "unreachable":
                return f"never {n.removeprefix('reachable ')}"
            return {"no_deadlock": "no deadlock", "domain": "every variable within its domain"}.get(kind, n)

        assumed = ", ".join(said(a) for a in cti.assumed if a != cti.conjunct.name) or "nothing else"
        trace.explanation = (
            f"counterexample to {len(cti.path) - 1}-induction: the first state satisfies {assumed} "
            f"(it need not be reachable), yet a step leads to a state where {prop} fails"
            + (f" ({why})" if why else "") + "; a lemma that rules out the first state would repair the proof")
        return trace

    def open_verdict() -> tuple[str, int | None]:
        return (INCOMPLETE if timed_out else BOUNDED), depth

    for c in invariants:
        if c.name in found:
            p = Z3PropertyResult(c.name, VIOLATED, c.description, trace_of(c.name, c.name, "violation"),
                                 depth=found[c.name].depth, method="bmc")
        elif c.name in proved:
            p = Z3PropertyResult(c.name, PROVED, c.description, method=proved[c.name])
        else:
            verdict, d = open_verdict()
            p = Z3PropertyResult(c.name, verdict, c.description, depth=d, method="bmc",
                                 cti=cti_trace(c.name, c.name))
        result.properties.append(p)
    for c in lemmas:
        n = goal_name("lemma", c.name)
        if n in found:
            p = Z3PropertyResult(c.name, VIOLATED, "lemma (wrong: it fails in a reachable state)",
                                 trace_of(n, c.name, "violation"), depth=found[n].depth, method="bmc")
        elif n in proved:
            p = Z3PropertyResult(c.name, PROVED, "lemma", method=proved[n])
        elif n in ctis and not timed_out:
            p = Z3PropertyResult(c.name, NOT_INDUCTIVE, "lemma", depth=depth, method="bmc",
                                 cti=cti_trace(n, c.name))
        else:
            verdict, d = open_verdict()
            p = Z3PropertyResult(c.name, verdict, "lemma", depth=d, method="bmc")
        result.lemmas.append(p)
    for c in model.reachables:
        n = goal_name("witness", c.name)
        if n in found:
            p = Z3PropertyResult(c.name, REACHED, c.description, trace_of(n, c.name, "witness"),
                                 depth=found[n].depth, method="bmc")
        elif n in proved:
            p = Z3PropertyResult(c.name, UNREACHABLE, c.description, method=proved[n])
        else:
            p = Z3PropertyResult(c.name, NOT_REACHED, c.description, depth=depth, method="bmc")
        result.reachables.append(p)
    if "deadlock" in found:
        result.deadlock = trace_of("deadlock", "deadlock", "deadlock")
    if "domain" in found:
        f = found["domain"]
        last = f.path[-1][1]
        bad = [f"{v.name}={x}" for v, x in zip(model.variables, last) if not 0 <= x < v.size]
        result._domain_escape = True
        result.notes.append(f"a variable leaves its declared domain after {f.depth} steps ({', '.join(bad)}): "
                            "this is a bug in the model builder, not in the spec")
    reached = f"BMC had checked every depth up to {depth}" if depth >= 0 else "BMC had checked no depth yet"
    if deadline.interrupted:
        result.notes.append(f"interrupted (Ctrl-C); {reached}")
    elif timed_out:
        result.notes.append(f"the time budget of {timeout:g} s ran out; {reached}")
    elif result.bound_source == "explicit counterexamples" and any(p.verdict == BOUNDED for p in result.properties):
        result.notes.append(f"BMC went only as deep as the longest explicit counterexample or witness ({bound} "
                            "steps), to cross-check it: the explicit engine explored every state, and its "
                            "verdicts stand")
    elif result.bound_source == "diameter" and any(p.verdict == BOUNDED for p in result.properties):
        result.notes.append(f"depth {bound} is the diameter the explicit engine measured: no reachable state "
                            "is further from the initial state")

    if deadlocks_to is not None and not timed_out and result.deadlock_depth is not None \
            and result.deadlock_depth < depth:
        past = f" past depth {result.deadlock_depth}" if result.deadlock_depth >= 0 else ""
        result.notes.append(f"deadlocks: BMC looked only as deep as the explicit engine's deadlock ({deadlocks_to} "
                            "steps)" if deadlocks_to >= 0 else
                            f"deadlocks: the explicit engine's complete search found none; BMC did not look "
                            f"again{past}")

    decided = all(p.verdict in (VIOLATED, PROVED) for p in result.properties)
    result.stats = Stats(states=0, transitions=0, depth=max(depth, 0), seconds=time.perf_counter() - started,
                         complete=decided and not timed_out,
                         bound=(explicit.INTERRUPTED if deadline.interrupted else
                                f"timeout {timeout:g} s" if timed_out else
                                None if decided else f"max depth {bound}"))
    return result


# ------------------------------------------------------------------ cross-checks
def _length(p: PropertyResult) -> int | None:
    return len(p.trace.steps) if p.trace is not None else None


def _say(p: PropertyResult | None, engine: str) -> str:
    if p is None:
        return f"{engine} did not check it"
    w = words(p)
    n = _length(p)
    if n is not None:
        w += f" (shortest {'counterexample' if p.verdict == VIOLATED else 'path'}: {n} steps)"
    return f"{engine} says {w}"


def compare(explicit_result: CheckResult, z3_result: CheckResult) -> list[str]:
    """Disagreements between the engines, one sentence each (empty: they agree).

    A disagreement is a bug in capmodel, never in the spec: a verdict that one
    engine proves and the other refutes, or two shortest counterexamples (or
    witnesses) of different lengths. Verdicts that are not comparable (a
    bounded search that did not reach as deep as the other's counterexample,
    a timeout) are not disagreements."""
    out = []
    e_complete = explicit_result.stats.complete
    e_depth = explicit_result.stats.depth

    def z3_reached(p) -> int:
        d = getattr(p, "depth", None)
        return -1 if d is None else d

    def one(label: str, e: PropertyResult | None, z: PropertyResult | None, yes: str, no: str, proved: str):
        if e is None or z is None:
            return
        problem = False
        if e.verdict == yes and z.verdict == yes:
            problem = _length(e) != _length(z)
        elif e.verdict == yes:  # explicit found one of length L
            problem = z.verdict == proved or (z.verdict in (BOUNDED, NOT_REACHED) and z3_reached(z) >= _length(e))
        elif z.verdict == yes:  # z3 found one of length L
            n = _length(z)
            problem = (e.verdict == no or (e.verdict in (INCOMPLETE, NOT_REACHED)
                                           and explicit_result.stats.bound is not None
                                           and explicit_result.stats.bound.startswith("max depth")
                                           and n <= e_depth))
        elif e.verdict == no and e_complete:
            problem = False  # holds vs proved / bounded / incomplete: consistent
        if problem:
            out.append(f"{label}: {_say(e, 'the explicit engine')}, but {_say(z, 'the z3 engine')}")

    zp = {p.name: p for p in z3_result.properties}
    for p in explicit_result.properties:
        one(p.name, p, zp.get(p.name), VIOLATED, HOLDS, PROVED)
    zr = {r.name: r for r in z3_result.reachables}
    for r in explicit_result.reachables:
        one(f"reachable {r.name}", r, zr.get(r.name), REACHED, UNREACHABLE, UNREACHABLE)
    # deadlocks: explicit looks for them only in a complete run
    ed, zd = explicit_result.deadlock, z3_result.deadlock
    if ed is not None and zd is not None and len(ed.steps) != len(zd.steps):
        out.append(f"deadlock: the explicit engine finds one in {len(ed.steps)} steps, "
                   f"the z3 engine in {len(zd.steps)}")
    elif ed is None and zd is not None and e_complete:
        out.append(f"deadlock: the explicit engine finds none in the whole state space, "
                   f"but the z3 engine finds one in {len(zd.steps)} steps")
    elif ed is not None and zd is None:
        reach = getattr(z3_result, "deadlock_depth", -1)
        if reach is None:
            out.append(f"deadlock: the explicit engine finds one in {len(ed.steps)} steps, but the z3 engine "
                       "proves there is none")
        elif reach >= len(ed.steps):
            out.append(f"deadlock: the explicit engine finds one in {len(ed.steps)} steps, but the z3 engine "
                       f"finds none up to depth {reach}")
    return out


def check_lemmas_explicit(model: Model, lemmas: Sequence[Condition], *, max_states: int | None = None
                          ) -> list[PropertyResult]:
    """Check each lemma in every state the explicit engine reaches: a lemma that
    fails somewhere is wrong (its trace shows where), and a proof that assumed it
    would be worthless."""
    lemmas = list(lemmas)
    if not lemmas:
        return []
    probe = dataclasses.replace(model, invariants=lemmas, reachables=[], lemmas=[])
    res = explicit.check_step(probe, max_states=max_states, stop_when_decided=True)
    return res.properties


def bounds_for(model: Model, explicit_result: CheckResult | None, max_depth: int | None) -> dict[str, Any]:
    """check_z3's depth and lemma budget for `verify --engine z3` (no explicit
    result) and `--engine both` (its result).

    both, explicit run complete: its verdicts are the exhaustive ones, so Z3
    only cross-checks them: BMC as deep as the longest explicit counterexample
    or witness (the same length must come out), and a proof with generated
    lemmas tried within the work budget BOTH_GENERATE_WORK where the explicit run was
    small (BOTH_GENERATE_STATES).
    z3 alone: BMC to the diameter of a capped explicit pass (DIAMETER_PASS_STATES
    states) when that pass completes, else DEFAULT_DEPTH; lemmas generated
    within the work budget GENERATE_WORK."""
    if explicit_result is None and max_depth is not None:
        return {"max_depth": max_depth, "generate": GENERATE_WORK}
    if max_depth is not None:
        return {"max_depth": max_depth}
    if explicit_result is None:
        # the Python engine without symmetry: at 7 nodes, compiling the C
        # engine or building the symmetry group took 20-70 s of a 5 s proof
        capped = explicit.check_step(model, max_states=DIAMETER_PASS_STATES, stop_when_decided=False)
        return {"diameter": diameter_of(capped), "generate": GENERATE_WORK}
    if not explicit_result.stats.complete:
        return {"diameter": diameter_of(explicit_result)}
    traces = [p.trace for p in [*explicit_result.properties, *explicit_result.reachables] if p.trace is not None]
    # Deadlocks are BMC's own pass, with a second solver unrolled again from depth 0
    # (raft_majority: 2 of Z3's 2.8 s): it cross-checks the explicit deadlock's length
    # where there is one, and is not run where the complete search found none.
    deadlocks_to = -1
    if explicit_result.deadlock is not None:
        traces.append(explicit_result.deadlock)
        deadlocks_to = len(explicit_result.deadlock.steps)
    # generating lemmas re-explores the states: only where they are few is it worth its time here
    small = explicit_result.stats.states <= BOTH_GENERATE_STATES
    # (and induction without them rarely proves anything the explicit run did not already settle;
    # with the spec's own lemmas it is the proof the user wrote, and quick: sync_lemmas.cap 0.5 s)
    return {"max_depth": max((len(t.steps) for t in traces), default=0), "prove": small or bool(model.lemmas),
            "induction_k": 1,
            "generate": BOTH_GENERATE_WORK if small else None, "bound_from": "explicit counterexamples",
            "deadlocks_to": deadlocks_to}


def diameter_of(result: CheckResult) -> int | None:
    """The explicit engine's diameter: known only from a complete run."""
    return result.stats.depth if result.stats.complete else None

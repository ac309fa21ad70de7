"""How long the Z3 engine may work: the wall clock (--timeout) and a work budget.

Deadline is the engine's whole time budget (the user's --timeout, a hard cap
on the run): each solver call gets what is left, and the Python work between
solver calls checks it now and then (remaining_ms, paced).

A Deadline may also carry a Work budget, which decides by itself whether a
search gives up, whatever the machine's load: generating lemmas
(z3_lemmas.py) runs under one. It counts
  units  Z3's resource units (its `rlimit`: a count of the solver's basic
         steps, the same on an idle and on a busy machine; Dafny, Boogie and
         F* bound their solver calls the same way), summed over every solver
         call; each call is given what is left as its rlimit;
  steps  the Python work between solver calls: one step each time it checks
         the budget (per 1,024 states explored, per atom tabled, per 64
         terms translated, per solver call...), points that are the same in
         every run of the same spec.
So the same spec spends the same work and comes out the same on any load;
only the --timeout, a wall clock, can cut a run short, and the report then
says the time ran out. (Z3's counts can differ between machines or Z3
versions, not between runs on one.)
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from .. import interrupts
from . import z3_translate as Z

clock = time.perf_counter  # what a Deadline reads; tests make it run fast, as on a loaded machine

MAX_RLIMIT = 2**32 - 1  # Z3's rlimit is an unsigned int: a larger budget is counted here, in Python
WORK = "work"  # Deadline.exhausted: the work budget ran out
TIME = "time"  # ... the wall clock (--timeout) ran out, or Z3 gave up for another reason
INTERRUPTED = "interrupted"  # ... a Ctrl-C


class OutOfTime(Exception):
    """The budget is spent: the clock's, or (OutOfWork) the work budget's."""


class OutOfWork(OutOfTime):
    """The work budget is spent (a count, not the clock)."""


@dataclass(frozen=True)
class Work:
    """A deterministic budget: Z3 resource units over all solver calls, and Python steps."""
    units: int
    steps: int

    def scaled(self, factor: float) -> "Work":
        return Work(max(1, round(self.units * factor)), max(1, round(self.steps * factor)))

    def __str__(self) -> str:
        return f"{self.units:,} Z3 resource units and {self.steps:,} steps"


class Deadline:
    """The engine's whole time budget; each solver call gets what is left.
    With `work`, also a work budget (module doc): whichever runs out first
    ends the search, and `exhausted` says which (WORK or TIME).

    A Ctrl-C ends it too: Z3 catches a SIGINT that lands during a check and
    answers unknown ("interrupted from keyboard"), so no KeyboardInterrupt
    reaches Python; give_up() tells the two apart, and an interrupted run
    stops like one out of time, keeping what it found, and says so."""

    def __init__(self, seconds: float | None, work: Work | None = None) -> None:
        self.end = None if seconds is None else clock() + seconds
        self.interrupted = False
        self.work = work
        self.units = 0  # Z3 resource units spent (counted only with a work budget)
        self.steps = 0  # Python steps spent (idem)
        self.exhausted: str | None = None

    def seconds_left(self) -> float | None:
        return None if self.end is None else max(0.0, self.end - clock())

    def _out_of_work(self) -> OutOfWork:
        self.exhausted = WORK
        return OutOfWork()

    def give_up(self, reason: str) -> OutOfTime:
        """What to raise when a check answered unknown for `reason`."""
        if Z.is_ctrl_c(reason):
            self.interrupted = True
            self.exhausted = self.exhausted or INTERRUPTED
        elif self.work is not None and self.units >= self.work.units:
            return self._out_of_work()
        self.exhausted = self.exhausted or TIME
        return OutOfTime()

    def remaining_ms(self) -> int | None:
        """Milliseconds left on the clock (None: no clock); counts a step of
        the work budget; raises OutOfTime (OutOfWork) when either is spent."""
        if not self.interrupted and interrupts.came():  # a Ctrl-C Python lost (interrupts.noted)
            self.interrupted = True
            self.exhausted = self.exhausted or INTERRUPTED
        if self.interrupted:  # every later check stops at once, and says unknown as at a deadline
            return 1
        if self.work is not None:
            self.steps += 1
            if self.steps > self.work.steps or self.units >= self.work.units:
                raise self._out_of_work()
        if self.end is None:
            return None
        left = int((self.end - clock()) * 1000)
        if left <= 0:
            self.exhausted = TIME
            raise OutOfTime()
        return left

    def paced(self, items, every: int = 64):
        """The items, with the budget checked every `every` of them (OutOfTime
        once it is spent): for long runs of Python work between solver calls,
        which no solver timeout bounds."""
        for i, item in enumerate(items):
            if i % every == 0:
                self.remaining_ms()
            yield item

    def arm(self, solver) -> None:
        """Give the solver's next check what is left: the clock's as its
        timeout, the work budget's as its rlimit."""
        ms = self.remaining_ms()
        if ms is not None:
            solver.set("timeout", max(1, ms))
        if self.work is not None:
            # >= 1 (remaining_ms checked it; 0 would be no limit), and within Z3's unsigned parameter
            solver.set("rlimit", min(self.work.units - self.units, MAX_RLIMIT))

    def check(self, solver, *assumptions):
        """solver.check(*assumptions) within the budget, the units it spent
        counted. Raises OutOfTime (OutOfWork) when nothing is left to give it;
        an unknown answer is the caller's to pass to give_up()."""
        self.arm(solver)
        if self.work is None:
            return solver.check(*assumptions)
        before = Z.resource_count(solver)
        try:
            return solver.check(*assumptions)
        finally:
            self.units += Z.resource_count(solver) - before

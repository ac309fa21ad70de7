"""SystemConfig -> IR Model: the one place that assembles the library of
replication modes, read policies, faults and failover into actions."""
from __future__ import annotations

from ..config import SystemConfig
from ..ir import expr as X
from ..ir.model import Condition, Model
from .expressions import ExpressionCompiler
from .election import add_election
from .failover import add_failover
from .faults import add_crashes, add_partitions
from .properties import Explainer, builtin_conditions
from .reads import add_client_reads
from .replication import add_log_shipping, add_replica_lag
from .smaller import smaller_config
from .state import R_NOT_SENT, W_NOT_SENT, W_PENDING, ActionSet, SystemState
from .story import Story
from .symmetry import declare_symmetry
from .writes import add_client_writes, add_write_answers


def build_model(cfg: SystemConfig) -> Model:
    if cfg.replication == "leaderless":  # its own family, symmetry=None (leaderless_model.py)
        from .leaderless_model import build_leaderless_model
        return build_leaderless_model(cfg)
    st = SystemState(cfg)
    acts = ActionSet()
    # The order here is the order of exploration, hence of the counterexample
    # chosen among equally short ones: clients first, faults late.
    add_client_writes(st, acts)
    add_log_shipping(st, acts)
    add_replica_lag(st, acts)
    add_write_answers(st, acts)
    add_client_reads(st, acts)
    add_crashes(st, acts)
    add_partitions(st, acts)
    if cfg.failover == "elect":
        add_election(st, acts)
    else:
        add_failover(st, acts)

    compiler = ExpressionCompiler(st)
    invariants = builtin_conditions(st)
    invariants += [Condition(c.name.text, compiler.compile(c.expr), "user invariant")
                   for c in cfg.invariants]
    reachables = [Condition(c.name.text, compiler.compile(c.expr), "must be reachable")
                  for c in cfg.reachables]
    lemmas = [Condition(c.name.text, compiler.compile(c.expr), "lemma") for c in cfg.lemmas]
    done = X.and_(*(X.and_(X.ne(s, X.const(W_NOT_SENT)), X.ne(s, X.const(W_PENDING))) for s in st.wstatus),
                  *(X.ne(s, X.const(R_NOT_SENT)) for s in st.rstatus))
    story = Story(st)
    explainer = Explainer(st)
    return Model(
        name=cfg.name,
        variables=st.variables,
        actions=acts.actions(),
        invariants=invariants,
        reachables=reachables,
        done=done,
        lemmas=lemmas,
        narrate=story.narrate,
        view=story.view,
        participants=[f"client{c + 1}" for c in range(cfg.clients)]
        + [cfg.leader] + [n for n in cfg.nodes if n != cfg.leader],
        explain={name: (lambda states, name=name: explainer(name, states)) for name in cfg.checks},
        symmetry=declare_symmetry(st),
        smaller=lambda: _smaller_model(cfg),
    )


def _smaller_model(cfg: SystemConfig) -> Model | None:
    """The model of the same spec with fewer nodes and writes (smaller.py), or None."""
    small = smaller_config(cfg)
    return None if small is None else build_model(small)

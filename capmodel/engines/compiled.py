"""The compiled explicit engine: engines/explicit.py's search, generated as C.

`check` has exactly the meaning of `explicit.check` (the same breadth-first
order and state ids, counts, bounds, verdicts and traces); the Python engine
stays the reference, and the tests compare the two. The C source comes from
ir/ccompile.py (IR operators and integers only), is compiled once by the
system C compiler and cached by a hash of the source, the flags and the
compiler, and is loaded through ctypes. The search runs in slices of about
0.1 s, so that memory is read, progress told and Ctrl-C answered between
them, from Python.

    reason = compiled.available()   # None when usable, else one line saying why not
    result = compiled.check(model, ...)  # as explicit.check

`check` raises `CompileError` when the library cannot be built and
`Unsupported` when the model cannot be run exactly in C (a value beyond its
variable's bits); the Python engine can run both.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import struct
import time
from pathlib import Path

from ..cache import cache_dir
from ..ir import expr as X
from ..ir.ccompile import ABI, Unsupported, c_source, layout
from ..ir.model import Action, ActionInstance, Condition, Label, Model, State, Variable
from ..trace import build_trace
from . import explicit
from .result import (HOLDS, INCOMPLETE, NOT_REACHED, REACHED, UNREACHABLE, VIOLATED, CheckResult,
                     PropertyResult, Stats)

__all__ = ["CompileError", "Unsupported", "available", "build", "cache_dir", "check"]

FLAGS = ("-O1", "-std=gnu11", "-shared", "-fPIC", "-pthread", "-pipe")
COMPILE_TIMEOUT = 300.0  # seconds
SLICE = 0.1  # seconds of search between returns to Python
REPORT_EVERY = 0.25  # seconds between progress calls, as in explicit.check

# return codes of cm_run and stop reasons of ccompile's runtime
FINISHED, WINDOW = 0, 1
STOP_NONE, STOP_STATES, STOP_DEPTH, STOP_MEMORY, STOP_DOMAIN, STOP_NOMEM = range(6)
NO_BOUND = 2**63 - 1

compile_count = 0  # compiler runs in this process (the tests count them)
# of the last search, for bench/: bytes its tables held (packed states, ids, visited set), and CPU
# seconds of its parallel blocks (ccompile's cm_phases)
last_search: dict[str, float] = {}


class CompileError(Exception):
    """The C library could not be built."""


# ------------------------------------------------------------ building
def compiler() -> str | None:
    """The C compiler: $CC if set, else cc, gcc or clang on PATH."""
    for name in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if name:
            found = shutil.which(name)
            if found:
                return found
    return None


def _key(source: str, cc: str) -> str:
    real = os.path.realpath(cc)
    st = os.stat(real)
    digest = hashlib.sha256()
    for part in (str(ABI), real, str(st.st_size), str(st.st_mtime_ns), " ".join(FLAGS), source):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:40]


class Library:
    """One compiled model, loaded."""

    def __init__(self, path: Path, n_vars: int, n_words: int):
        lib = ctypes.CDLL(str(path))
        i64p, i32p, u8p = (ctypes.POINTER(t) for t in (ctypes.c_int64, ctypes.c_int32, ctypes.c_uint8))
        signatures = {
            "cm_abi": (ctypes.c_int, []),
            "cm_new": (ctypes.c_void_p, [i64p, ctypes.c_int64, ctypes.c_int64, ctypes.c_int, u8p, ctypes.c_int]),
            "cm_run": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_double]),
            "cm_set_stop": (None, [ctypes.c_void_p, ctypes.c_int]),
            "cm_tune": (None, [ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64]),
            "cm_info": (None, [ctypes.c_void_p, i64p]),
            "cm_phases": (None, [ctypes.c_void_p, ctypes.POINTER(ctypes.c_double)]),
            "cm_verdicts": (None, [ctypes.c_void_p, i32p, i32p, u8p]),
            "cm_path": (ctypes.c_int64, [ctypes.c_void_p, ctypes.c_int32, i32p, i32p, ctypes.c_int64]),
            "cm_state": (None, [ctypes.c_void_p, ctypes.c_int32, i64p]),
            "cm_states": (None, [ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, i64p]),
            "cm_free": (None, [ctypes.c_void_p]),
        }
        for name, (restype, argtypes) in signatures.items():
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = restype, argtypes
        if lib.cm_abi() != ABI * 1_000_000 + n_vars * 1000 + n_words:
            raise CompileError(f"{path} is not the library of this model")
        self.lib, self.path, self.n_vars = lib, path, n_vars


_loaded: dict[str, Library] = {}  # by key: a model built twice in one process loads once


def _compile(cc: str, source: str, directory: Path, target: Path) -> None:
    """Compile into directory under a temporary name, then rename onto target."""
    import subprocess  # here and below: a cached model, the usual case, never runs the compiler
    import tempfile

    global compile_count
    fd, c_path = tempfile.mkstemp(prefix=".build-", suffix=".c", dir=directory)
    so_tmp = c_path[:-2] + ".so.tmp"
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(source)
        compile_count += 1
        try:
            proc = subprocess.run([cc, *FLAGS, "-o", so_tmp, c_path], capture_output=True, text=True,
                                  timeout=COMPILE_TIMEOUT, check=False)
        except subprocess.TimeoutExpired as err:
            raise CompileError(f"{cc} took more than {COMPILE_TIMEOUT:.0f} s") from err
        if proc.returncode != 0:
            lines = (proc.stderr or proc.stdout or "").strip().splitlines()
            raise CompileError(f"{cc} failed (exit {proc.returncode})" + (f": {lines[0]}" if lines else ""))
        os.replace(so_tmp, target)
    finally:
        for leftover in (c_path, so_tmp):
            if os.path.exists(leftover):
                os.unlink(leftover)


def _writable(directory: Path) -> bool:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        return os.access(directory, os.W_OK | os.X_OK)
    except OSError:
        return False


def load(source: str, n_vars: int, n_words: int) -> Library:
    """The library of this C source: from this process, from the cache, or compiled now."""
    cc = compiler()
    if cc is None:
        raise CompileError("no C compiler found (cc, gcc or clang on PATH, or $CC)")
    key = _key(source, cc)
    if key in _loaded:
        return _loaded[key]
    directory = cache_dir()
    target = directory / f"model-{key}.so"
    if target.exists():
        try:
            _loaded[key] = Library(target, n_vars, n_words)
            return _loaded[key]
        except (OSError, CompileError):
            pass  # a damaged file: build it again
    if _writable(directory):
        _compile(cc, source, directory, target)
        _loaded[key] = Library(target, n_vars, n_words)
    else:  # no cache: build in a temporary folder, which may go once the library is loaded
        import tempfile

        with tempfile.TemporaryDirectory(prefix="capmodel-") as tmp:
            target = Path(tmp) / target.name
            _compile(cc, source, Path(tmp), target)
            _loaded[key] = Library(target, n_vars, n_words)
    return _loaded[key]


def build(model: Model, symmetry=None) -> Library:
    """Generate, compile (or find in the cache) and load the model's search."""
    lay = layout(model)
    return load(c_source(model, symmetry), len(model.variables), lay.n_words)


def _probe_model() -> Model:
    """x counts 0..3 while y may be set once: 8 states, 10 transitions."""
    x, y = X.var(0), X.var(1)
    inc = ActionInstance("inc", (), X.lt(x, X.const(3)), ((0, X.add(x, X.const(1))),), Label("local", "p", ""))
    flip = ActionInstance("set", (), X.eq(y, X.const(0)), ((1, X.const(1)),), Label("local", "p", ""))
    return Model("probe", [Variable("x", 4, 0), Variable("y", 2, 0)],
                 [Action("inc", (), (inc,)), Action("set", (), (flip,))],
                 [Condition("small", X.lt(x, X.const(4)))], [], X.eq(x, X.const(3)))


_availability: list[str | None] = []


def available() -> str | None:
    """None when the compiled engine can run here, else one line saying why not.
    It builds (once, then from the cache) and runs a tiny model."""
    if not _availability:
        _availability.append(_why_unavailable())
    return _availability[0]


def _why_unavailable() -> str | None:
    try:
        stats = check(_probe_model()).stats
    except (CompileError, Unsupported, OSError, MemoryError) as err:
        return f"compiled engine unavailable: {err}"
    if stats.bound == explicit.INTERRUPTED:
        # Ctrl-C while the probe compiled: the user's interrupt, not a verdict on the
        # compiler (nothing is remembered, so the next call probes again)
        raise KeyboardInterrupt
    if (stats.states, stats.transitions) != (8, 10):
        return "compiled engine unavailable: its self-test explored the wrong states"
    return None


# ------------------------------------------------------------ searching
MAX_WORKERS = 8  # CM_MAX_WORKERS of the C runtime
BLOCK = 16384  # frontier states the workers expand before their successors are stored, in order
PAR_MIN = 512  # with fewer frontier states left in a level, one thread expands them


def default_workers() -> int:
    """$CAPMODEL_WORKERS if set; else the idle cores this process may use (its
    cores less the load average of the last minute, rounded), at least 1 and at
    most 2. On a busy machine threads that wait for each other at every block
    slow the search down rather than up."""
    if os.environ.get("CAPMODEL_WORKERS", "").isdigit():
        return max(1, min(MAX_WORKERS, int(os.environ["CAPMODEL_WORKERS"])))
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    try:
        idle = cores - os.getloadavg()[0]
    except OSError:
        idle = 1
    return max(1, min(2, cores, round(idle)))


class _Search:
    """One search in C, driven from Python."""

    def __init__(self, library: Library, init: State, max_states, max_depth, stop_when_decided: bool,
                 active: list[bool], workers: int):
        self.lib, self.n_vars = library.lib, library.n_vars
        values = (ctypes.c_int64 * max(1, len(init)))(*init)
        flags = (ctypes.c_uint8 * max(1, len(active)))(*active)
        self.ctx = self.lib.cm_new(values, NO_BOUND if max_states is None else max_states,
                                   NO_BOUND if max_depth is None else max_depth, int(stop_when_decided), flags,
                                   workers)
        if not self.ctx:
            raise MemoryError("the compiled engine could not allocate its tables")
        self.lib.cm_tune(self.ctx, BLOCK, PAR_MIN)

    def close(self) -> None:
        if self.ctx:
            self.lib.cm_free(self.ctx)
            self.ctx = None

    def info(self) -> list[int]:
        out = (ctypes.c_int64 * 7)()
        self.lib.cm_info(self.ctx, out)
        return list(out)

    def verdicts(self, n_inv: int, n_reach: int, n_inst: int) -> tuple[list[int], list[int], bytes]:
        inv, reach = (ctypes.c_int32 * (n_inv + 1))(), (ctypes.c_int32 * (n_reach + 1))()
        fired = (ctypes.c_uint8 * (n_inst + 1))()
        self.lib.cm_verdicts(self.ctx, inv, reach, fired)
        return list(inv)[:n_inv], list(reach)[:n_reach], bytes(fired)[:n_inst]

    def state(self, sid: int) -> State:
        out = (ctypes.c_int64 * max(1, self.n_vars))()
        self.lib.cm_state(self.ctx, sid, out)
        return tuple(out[:self.n_vars])

    def path(self, sid: int, depth: int) -> list[tuple[int, State]]:
        """(instance index, state) from the initial state (-1) to sid."""
        room = depth + 2
        ids, vias = (ctypes.c_int32 * room)(), (ctypes.c_int32 * room)()
        n = self.lib.cm_path(self.ctx, sid, ids, vias, room)
        return [(vias[k], self.state(ids[k])) for k in range(n - 1, -1, -1)]


# states unpacked from C at a time (a buffer of this many times the variables)
DUMP_CHUNK = 65_536


def reachable_states(model: Model, max_states: int, tick=lambda: None) -> tuple[list[State], bool]:
    """invgen.explore in C: the reachable states, breadth first, at most
    max_states, and whether that is all of them (the same states in the same
    order as the Python search's; one thread). `tick` (a deadline's check,
    which raises to stop it, and counts a step of a work budget) is called
    before the search and once per chunk of states unpacked: points that are
    the same in every run, unlike the search's slices of time, so the steps
    counted do not depend on the machine's load. A Ctrl-C between slices
    raises KeyboardInterrupt as anywhere in Python, and the search is bounded
    by max_states. Raises CompileError or Unsupported as check does."""
    library = build(model)
    n_conditions = len(model.invariants) + len(model.lemmas)
    search = _Search(library, model.initial_state, max_states, None, False, [False] * n_conditions, 1)
    try:
        tick()
        while search.lib.cm_run(search.ctx, SLICE) != FINISHED:
            pass
        count, _, _, stop = search.info()[:4]
        if stop == STOP_DOMAIN:
            raise Unsupported("a value does not fit its variable's bits (outside its domain)")
        if stop == STOP_NOMEM:
            raise MemoryError(f"the compiled engine ran out of memory after {count:,} states")
        stride, n = max(1, library.n_vars), library.n_vars
        row = struct.Struct(f"{stride}q")
        states: list[State] = []
        for first in range(0, count, DUMP_CHUNK):
            tick()
            size = min(DUMP_CHUNK, count - first)
            buffer = (ctypes.c_int64 * (size * stride))()
            search.lib.cm_states(search.ctx, first, size, buffer)
            rows = row.iter_unpack(memoryview(buffer).cast("B"))
            states.extend(rows if stride == n else (r[:n] for r in rows))
        return states, stop == STOP_NONE
    finally:
        search.close()


def _drive(search: _Search, started: float, progress, max_memory: int | None) -> bool:
    """Run the search to its end; False when Ctrl-C stopped it."""
    last_report = started
    try:
        while (code := search.lib.cm_run(search.ctx, SLICE)) != FINISHED:
            # memory is read at the windows of the state count (as in explicit.check),
            # so that a given budget stops a given model at the same point
            if code == WINDOW and max_memory is not None and (explicit.memory_in_use() or 0) > max_memory:
                search.lib.cm_set_stop(search.ctx, STOP_MEMORY)
                continue
            now = time.perf_counter()
            if now - last_report > REPORT_EVERY:
                last_report = now
                if progress:
                    states, _, depth = search.info()[:3]
                    progress(states, depth + 1, now - started)
    except KeyboardInterrupt:
        return False
    return True


def check(model: Model, *, properties: list[str] | None = None, max_states: int | None = None,
          max_depth: int | None = None, progress: explicit.Progress | None = None,
          stop_when_decided: bool = True, max_memory: int | None = None, symmetry=None,
          workers: int | None = None) -> CheckResult:
    """explicit.check, compiled: the same arguments, the same result. `workers`
    threads expand the frontier (default_workers() when None); their number
    changes the speed only, never the result."""
    started = time.perf_counter()
    try:
        library = build(model, symmetry)
    except KeyboardInterrupt:  # Ctrl-C while compiling: nothing explored yet
        return explicit.interrupted_before_search(model, properties, time.perf_counter() - started)
    conditions = model.invariants + model.lemmas
    active = [properties is None or c.name in properties for c in conditions]
    search = _Search(library, model.initial_state, max_states, max_depth, stop_when_decided, active,
                     default_workers() if workers is None else workers)
    try:
        finished = _drive(search, started, progress, max_memory)
        states, transitions, depth, stop, stopped_early, deadlock, table_bytes = search.info()
        phases = (ctypes.c_double * 3)()
        library.lib.cm_phases(search.ctx, phases)
        last_search.update(table_bytes=table_bytes, phase1_longest_s=phases[0], phase1_cpu_s=phases[1],
                           phase2_cpu_s=phases[2])
        if stop == STOP_DOMAIN:
            raise Unsupported("a value does not fit its variable's bits (outside its domain)")
        if stop == STOP_NOMEM:
            raise MemoryError(f"the compiled engine ran out of memory after {states:,} states")
        bound = {STOP_STATES: f"max states {max_states}", STOP_DEPTH: f"max depth {max_depth}",
                 STOP_MEMORY: f"memory budget {(max_memory or 0) / 2**20:,.0f} MB"}.get(stop)
        if not finished:
            bound = explicit.INTERRUPTED
        complete = bound is None and not stopped_early
        stats = Stats(states=states, transitions=transitions, depth=depth,
                      seconds=time.perf_counter() - started, complete=complete, bound=bound,
                      stopped_early=bool(stopped_early))
        instances = model.instances()
        inv, reach, fired = search.verdicts(len(conditions), len(model.reachables), len(instances))

        def trace(name: str, kind: str, sid: int):
            path = search.path(sid, depth)
            if symmetry is not None:
                path = symmetry.realise(model, path)
            return build_trace(model, name, kind, path, model.participants)

        result = CheckResult(spec=model.name, engine="explicit", stats=stats)
        for c, on, sid in zip(conditions, active, inv):
            if on:
                result.properties.append(
                    PropertyResult(c.name, VIOLATED, c.description, trace(c.name, "violation", sid)) if sid >= 0
                    else PropertyResult(c.name, HOLDS if complete else INCOMPLETE, c.description))
        for c, sid in zip(model.reachables, reach):
            result.reachables.append(
                PropertyResult(c.name, REACHED, c.description, trace(c.name, "witness", sid)) if sid >= 0
                else PropertyResult(c.name, UNREACHABLE if complete else NOT_REACHED, c.description))
        if deadlock >= 0:
            result.deadlock = trace("deadlock", "deadlock", deadlock)
        if complete:
            families = {inst.family for inst, f in zip(instances, fired) if f}
            result.unfired = [a.name for a in model.actions if a.name not in families]
        return result
    finally:
        search.close()

"""Compile IR to C source, for the compiled explicit engine (engines/compiled.py).

The generated translation unit is the whole search: states bit-packed by each
variable's width into 64-bit words, an open-addressing visited set of state
ids, parent and action ids in flat int32 arrays, and, generated from the IR,
the successor function (guards and parallel updates of every action
instance, in instance order), the invariant, reachable and done tests, and
the canonical form under a symmetry group.

Like ir/pycompile.py, the code is made only from IR operators and integers:
no text from a spec (no name, label or description) ever reaches the C
source, so a spec cannot run code, and two models with the same IR share one
compiled library.

Python's meaning is kept exactly: values are int64_t (every value of the IR is
small, and constants beyond 2**62 are refused), `and`/`or` used as a value
give the operand Python would give, popcount of a negative is that of its
absolute value, and an update whose value does not fit its variable's bits
stops the search with an error rather than storing a different state.
"""
from __future__ import annotations

from dataclasses import dataclass

from .expr import BOOL, Expr
from .model import Model

ABI = 2  # bumped when the exported C interface changes
MAX_CONST = 1 << 62
CHUNK = 16  # action instances per generated function
TABLE_BITS = 10  # bit maps of masks up to this width become lookup tables


class Unsupported(Exception):
    """The model cannot be compiled exactly (the Python engine can still run it)."""


@dataclass(frozen=True)
class Layout:
    widths: tuple[int, ...]  # bits of each variable: (size - 1).bit_length()
    words: tuple[int, ...]  # the uint64 word holding each variable
    shifts: tuple[int, ...]  # its lowest bit in that word
    n_words: int


def layout(model: Model) -> Layout:
    """First fit, widest variables first; a variable never straddles two words."""
    widths = tuple((v.size - 1).bit_length() if v.size > 1 else 0 for v in model.variables)
    if any(w > 63 for w in widths):
        raise Unsupported("a variable needs more than 63 bits")
    free: list[int] = []  # bits left in each word
    words = [0] * len(widths)
    shifts = [0] * len(widths)
    for i in sorted(range(len(widths)), key=lambda i: (-widths[i], i)):
        w = widths[i]
        if w == 0:
            continue
        for j, room in enumerate(free):
            if room >= w:
                break
        else:
            free.append(64)
            j = len(free) - 1
        words[i], shifts[i] = j, 64 - free[j]
        free[j] -= w
    return Layout(widths, tuple(words), tuple(shifts), max(1, len(free)))


# ------------------------------------------------------------ expressions
def _zero_one(e: Expr, sizes: list[int]) -> bool:
    """The value is always 0 or 1 (so C's && and || give Python's value)."""
    op, a = e.op, e.args
    if op == "const":
        return a[0] in (0, 1)
    if op in ("eq", "ne", "lt", "le", "not", "b2i"):
        return True
    if op in ("and", "or"):
        return all(_zero_one(x, sizes) for x in a)
    if op == "var":
        return sizes[a[0]] <= 2
    if op == "ite":
        return _zero_one(a[1], sizes) and _zero_one(a[2], sizes)
    return False


def _upper(e: Expr, sizes: list[int]) -> int | None:
    """An upper bound of a value known to be non-negative, else None."""
    op, a = e.op, e.args
    if op == "const":
        return a[0] if a[0] >= 0 else None
    if op == "var":
        return sizes[a[0]] - 1
    if op in ("eq", "ne", "lt", "le", "not", "b2i"):
        return 1
    bounds = [_upper(x, sizes) for x in a if isinstance(x, Expr)]
    if op in ("and", "or"):
        return None if None in bounds else max(bounds)
    if op == "ite":
        return None if None in bounds[1:] else max(bounds[1:])
    if op == "add":
        return None if None in bounds else bounds[0] + bounds[1]
    if op == "band":
        known = [b for b in bounds if b is not None]
        return min(known) if known else None
    if op == "bor":
        return None if None in bounds else (1 << max(bounds).bit_length()) - 1
    if op in ("bdiff", "lowbit"):
        return bounds[0]
    if op == "popcount":
        return None if bounds[0] is None else bounds[0].bit_length()
    return None  # sub may go below zero


class _Emitter:
    """C expressions over the locals v0..vN-1 (the unpacked state)."""

    def __init__(self, sizes: list[int]):
        self.sizes = sizes

    def truth(self, e: Expr) -> str:
        """A C expression whose truth is Python's truth of e."""
        op, a = e.op, e.args
        if op == "and":
            return "(" + " && ".join(self.truth(x) for x in a) + ")"
        if op == "or":
            return "(" + " || ".join(self.truth(x) for x in a) + ")"
        if op == "not":
            return f"(!{self.truth(a[0])})"
        return self.value(e)

    def value(self, e: Expr) -> str:
        """A C int64_t expression with Python's value of e."""
        op, a = e.op, e.args
        if op == "const":
            n = int(a[0])
            if abs(n) >= MAX_CONST:
                raise Unsupported("an integer constant beyond 2**62")
            return str(n) if abs(n) < 1 << 31 else f"{n}LL"
        if op == "var":
            return f"v{int(a[0])}"
        if op in ("and", "or"):
            if all(_zero_one(x, self.sizes) for x in a):
                return f"(int64_t){self.truth(e)}"
            return self._python_and_or(op, a)
        template = _TEMPLATES.get(op)
        if template is None:
            raise Unsupported(f"the C compiler does not know the IR operator {op!r}")
        return template.format_map(_Operands(self, a))

    def _python_and_or(self, op: str, args) -> str:
        """Python's `a and b and c` (the first falsy operand, or the last one)
        and `a or b` (the first truthy one, or the last), as a GNU statement
        expression."""
        test = "" if op == "and" else "!"
        code = f"_r = {self.value(args[-1])};"
        for x in reversed(args[:-1]):
            code = f"_r = {self.value(x)}; if ({test}_r) {{ {code} }}"
        return f"({{ int64_t _r; {code} _r; }})"


# C for each operator, over its operands' values {vK} and truths {tK}
_TEMPLATES = {"add": "({v0} + {v1})", "sub": "({v0} - {v1})", "eq": "({v0} == {v1})", "ne": "({v0} != {v1})",
              "lt": "({v0} < {v1})", "le": "({v0} <= {v1})", "band": "({v0} & {v1})", "bor": "({v0} | {v1})",
              "bdiff": "({v0} & ~{v1})", "not": "(int64_t)(!{t0})", "b2i": "(int64_t)(!!{t0})",
              "ite": "({t0} ? {v1} : {v2})", "lowbit": "cm_lowbit({v0})", "popcount": "cm_popcount({v0})"}


class _Operands(dict):
    """The operands' C code, made only when a template asks for it."""

    def __init__(self, emitter: _Emitter, args):
        super().__init__()
        self.emitter, self.args = emitter, args

    def __missing__(self, key: str) -> str:
        arg = self.args[int(key[1:])]
        if key[0] == "t":
            code = self.emitter.truth(arg)
        else:
            code = self.emitter.value(arg)
            if key == "v0" and arg.op == "const":  # int64_t, in case both are (unfolded) constants
                code = f"(int64_t){code}"
        self[key] = code
        return code


# ------------------------------------------------------------ the translation unit
def _unpack_macro(lay: Layout) -> str:
    parts = []
    for i, w in enumerate(lay.widths):
        if w == 0:
            parts.append(f"const int64_t v{i} = 0;")
        else:
            parts.append(f"const int64_t v{i} = (int64_t)((w[{lay.words[i]}] >> {lay.shifts[i]}) & "
                         f"UINT64_C({(1 << w) - 1}));")
    return "#define CM_UNPACK(w) " + " \\\n    ".join(parts or ["(void)(w);"])


def _update(lay: Layout, emit: _Emitter, sizes: list[int], k: int, updates) -> list[str]:
    """The successor of one enabled instance: values from the old state, then
    written into a copy of its words (a parallel assignment)."""
    lines, checks, writes = [], [], []
    for n, (index, value) in enumerate(updates):
        code = emit.truth(value) if value.type == BOOL else emit.value(value)
        if value.type == BOOL:
            code = f"(int64_t)(!!{code})"
        width = lay.widths[index]
        lines.append(f"const int64_t x{n} = {code};")
        bound = 1 if value.type == BOOL else _upper(value, sizes)
        if bound is None or bound >= 1 << width:
            checks.append(f"((uint64_t)x{n} >> {width})")
        if width:
            mask = ((1 << width) - 1) << lay.shifts[index]
            writes.append(f"t[{lay.words[index]}] = (t[{lay.words[index]}] & ~UINT64_C({mask})) | "
                          f"((uint64_t)x{n} << {lay.shifts[index]});")
    body = ["uint64_t t[NW];", "memcpy(t, w, sizeof t);", *writes, f"cm_emit(c, wk, t, {k});"]
    if checks:
        lines.append(f"if ({' | '.join(checks)}) cm_fail(c, wk); else {{")
        lines += ["    " + b for b in body] + ["}"]
    else:
        lines += body
    return lines


def _expand(model: Model, lay: Layout, emit: _Emitter, sizes: list[int]) -> list[str]:
    """cm_expand: every enabled instance's successor emitted (visited, or
    kept by a worker), in instance order; returns how many are enabled. In pieces of CHUNK instances, so that the
    compiler's time grows with the model's size, not faster."""
    out, calls = [], []
    instances = model.instances()
    for start in range(0, len(instances), CHUNK):
        name = f"cm_expand_{start // CHUNK}"
        calls.append(f"    n += {name}(c, wk, w);")
        out += [f"static __attribute__((noinline)) int64_t {name}(cm_ctx *c, cm_worker *wk, const uint64_t *w) {{",
                "    CM_UNPACK(w)", "    int64_t n = 0;"]
        for k in range(start, min(start + CHUNK, len(instances))):
            inst = instances[k]
            out.append(f"    if ({emit.truth(inst.guard)}) {{  /* instance {k} */")
            out.append("        n++;")
            out.append("        if (!c->stop) {")
            out += ["            " + line for line in _update(lay, emit, sizes, k, inst.updates)]
            out += ["        }", "    }"]
        out += ["    return n;", "}"]
    # statements, not one sum: C leaves the order of a sum's operands open
    out += ["static int64_t cm_expand(cm_ctx *c, cm_worker *wk, const uint64_t *w) {", "    int64_t n = 0;", *calls,
            "    return n;", "}"]
    return out


def _tests(model: Model, emit: _Emitter) -> list[str]:
    conds = model.invariants + model.lemmas
    out = ["static void cm_examine(cm_ctx *c, const uint64_t *w, int32_t id) {", "    CM_UNPACK(w)"]
    out += [f"    if (c->inv[{k}] == -1 && !{emit.truth(cond.expr)}) c->inv[{k}] = id;"
            for k, cond in enumerate(conds)]
    out += [f"    if (c->reach[{k}] == -1 && {emit.truth(cond.expr)}) c->reach[{k}] = id;"
            for k, cond in enumerate(model.reachables)]
    out += ["    (void)c; (void)id;", "}"]
    out += ["static int cm_done(const uint64_t *w) {", "    CM_UNPACK(w)",
            f"    return {emit.truth(model.done)} ? 1 : 0;", "}"]
    return out


def _symmetry_tables(lay: Layout, perms) -> list[str]:
    """Per permutation and per position j of the image: the variable whose
    (mapped) value lands there, and how its value maps: kind 0 unchanged,
    1 through a table of 2**width entries, 2 bit by bit (wide masks)."""
    n = len(lay.widths)
    src, kind, off = [], [], []
    pool: list[int] = []  # tables and bit lists, concatenated
    seen: dict[tuple, int] = {}

    def intern(values: tuple[int, ...]) -> int:
        if values not in seen:
            seen[values] = len(pool)
            pool.extend(values)
        return seen[values]

    for dest, maps in perms:
        inverse = [0] * n
        for i, d in enumerate(dest):
            inverse[d] = i
        for j in range(n):
            i = inverse[j]
            m, w = maps[i], lay.widths[i]
            src.append(i)
            if m is None:
                kind.append(0)
                off.append(0)
            elif m[0] == "table" or w <= TABLE_BITS:
                if m[0] == "table":
                    table = tuple(m[1]) + tuple(range(len(m[1]), 1 << w))
                else:
                    table = tuple(sum(1 << b for k, b in enumerate(m[1]) if v >> k & 1) for v in range(1 << w))
                kind.append(1)
                off.append(intern(table[:1 << w]))
            else:
                kind.append(2)
                off.append(intern(tuple(m[1]) + (-1,) * (w - len(m[1]))))
    if any(x >= MAX_CONST for x in pool):
        raise Unsupported("a symmetry table value beyond 2**62")

    def array(ctype: str, name: str, values: list[int]) -> str:
        body = ",".join(map(str, values or [0]))
        return f"static const {ctype} {name}[] = {{{body}}};"

    return [f"#define CM_NPERMS {len(perms)}", array("int32_t", "cm_perm_src", src),
            array("uint8_t", "cm_perm_kind", kind), array("int32_t", "cm_perm_off", off),
            array("int64_t", "cm_perm_pool", pool)]


def c_source(model: Model, symmetry=None) -> str:
    """The whole C translation unit for this model (and symmetry group, if any)."""
    lay = layout(model)
    sizes = [v.size for v in model.variables]
    emit = _Emitter(sizes)
    n_vars = len(model.variables)
    perms = list(symmetry.perms) if symmetry is not None else []
    head = [f"#define CM_ABI {ABI}", f"#define NV {max(1, n_vars)}", f"#define NVARS {n_vars}",
            f"#define NW {lay.n_words}", f"#define NINST {len(model.instances())}",
            f"#define NINV {len(model.invariants) + len(model.lemmas)}",
            f"#define NREACH {len(model.reachables)}", f"#define CM_SYMMETRY {1 if perms else 0}"]
    widths = ",".join(map(str, lay.widths or (0,)))
    words = ",".join(map(str, lay.words or (0,)))
    shifts = ",".join(map(str, lay.shifts or (0,)))
    head += [f"static const int cm_width[] = {{{widths}}};", f"static const int cm_word[] = {{{words}}};",
             f"static const int cm_shift[] = {{{shifts}}};"]
    if perms:
        head += _symmetry_tables(lay, perms)
    generated = [_unpack_macro(lay), *_expand(model, lay, emit, sizes), *_tests(model, emit)]
    return "\n".join([_PRELUDE, *head, _RUNTIME_TYPES, *generated, _RUNTIME, ""])


# ------------------------------------------------------------ the fixed part
_PRELUDE = r"""/* generated by capmodel (ir/ccompile.py): the explicit search of one model */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/mman.h>
#include <time.h>"""

_RUNTIME_TYPES = r"""
enum { CM_GO = 0, CM_STOP_STATES = 1, CM_STOP_DEPTH = 2, CM_STOP_MEMORY = 3, CM_STOP_DOMAIN = 4,
       CM_STOP_NOMEM = 5 };
enum { CM_FINISHED = 0, CM_WINDOW = 1, CM_SLICE = 2 };
#define CM_MAX_WORKERS 8
#define CM_AHEAD 8  /* candidates whose visited-set slot is fetched ahead of their lookup */

/* What a worker keeps of the frontier states it expanded: per state, how many
   instances were enabled, whether it is `done`, and its candidates: the
   (canonical) successors not already stored when the block began, in order. */
typedef struct {
    int64_t from, to;              /* its frontier ids */
    int32_t *nsucc;                /* per frontier state */
    uint8_t *done;
    int32_t *ncand;
    uint64_t *cand;                /* NW words per candidate */
    uint64_t *hash;
    int32_t *inst;
    int64_t n, room;               /* candidates kept; room for them */
    int64_t pos, cpos;             /* the next state and candidate to store */
    int filter;                    /* drop the successors already stored (when workers share the search) */
    double cpu;                    /* CPU seconds of its last expansion */
    int fail;                      /* a value beyond its bits, or out of memory, */
    int64_t fail_at;               /* at this frontier state: the search stops when it gets there */
    uint8_t fired[NINST + 1];
    void *ctx;
} cm_worker;

typedef struct {
    int64_t count, cap;            /* states stored; room in the arrays below */
    uint64_t *store;               /* NW words per state, by id */
    int32_t *parent, *via;         /* per state: its parent's id, the instance that led to it */
    uint64_t *table;               /* open addressing: (hash tag << 32) | (id + 1); 0 is empty */
    int64_t tcap;                  /* slots, a power of two: 2**(64 - tshift) */
    int tshift;                    /* a hash's home slot is its top bits: h >> tshift */
    void *table_map;               /* the mapping that holds the table */
    size_t table_map_len;
    int64_t max_states, max_depth;
    int stop_when_decided, n_active, workers, block_ready;
    int64_t block;                 /* frontier states expanded in parallel before they are stored in order */
    int64_t par_min;               /* fewer frontier states left than this: one thread */
    int64_t transitions, depth, lvl_start, lvl_end, cursor, last_block, deadlock;
    int level_begun, stop, stopped_early;
    double phase1_longest, phase1_cpu, phase2_cpu;  /* CPU seconds of the blocks: see cm_phases */
    int32_t cur;                   /* the state being expanded */
    int32_t inv[NINV + 1], reach[NREACH + 1];  /* -1 undecided, -2 not checked, else a state id */
    uint8_t fired[NINST + 1];
    cm_worker wk[CM_MAX_WORKERS];
} cm_ctx;

static inline int64_t cm_lowbit(int64_t x) { return x & -x; }
static inline int64_t cm_popcount(int64_t x) { return __builtin_popcountll((uint64_t)(x < 0 ? -x : x)); }
static void cm_fail(cm_ctx *c, cm_worker *wk) {
    if (wk) wk->fail = CM_STOP_DOMAIN;
    else c->stop = CM_STOP_DOMAIN;
}
static void cm_emit(cm_ctx *c, cm_worker *wk, uint64_t *t, int32_t k);
"""

_RUNTIME = r"""
static void cm_unpack_all(const uint64_t *w, int64_t *v) {
    for (int i = 0; i < NVARS; i++)
        v[i] = cm_width[i] ? (int64_t)((w[cm_word[i]] >> cm_shift[i]) & ((UINT64_C(1) << cm_width[i]) - 1)) : 0;
}

static int cm_pack_all(const int64_t *v, uint64_t *w) {  /* 0 when a value does not fit */
    memset(w, 0, NW * sizeof(uint64_t));
    for (int i = 0; i < NVARS; i++) {
        if ((uint64_t)v[i] >> cm_width[i]) return 0;
        if (cm_width[i]) w[cm_word[i]] |= (uint64_t)v[i] << cm_shift[i];
    }
    return 1;
}

#if CM_SYMMETRY
static inline int64_t cm_map(int p, int j, const int64_t *u) {
    int64_t x = u[cm_perm_src[p * NV + j]];
    int off = cm_perm_off[p * NV + j];
    switch (cm_perm_kind[p * NV + j]) {
    case 0: return x;
    case 1: return cm_perm_pool[off + x];
    default: {
        int64_t y = 0;
        for (int k = 0; x >> k; k++)
            if (((x >> k) & 1) && cm_perm_pool[off + k] >= 0) y |= INT64_C(1) << cm_perm_pool[off + k];
        return y;
    }
    }
}

/* the least image (lexicographic over the variables, the first one first) */
static void cm_canon(uint64_t *t) {
    int64_t u[NV], best[NV];
    int moved = 0;
    cm_unpack_all(t, u);
    memcpy(best, u, sizeof best);
    for (int p = 0; p < CM_NPERMS; p++) {
        int j = 0;
        int64_t x = 0;
        for (; j < NVARS; j++) {
            x = cm_map(p, j, u);
            if (x != best[j]) break;
        }
        if (j == NVARS || x > best[j]) continue;
        best[j] = x;
        for (j++; j < NVARS; j++) best[j] = cm_map(p, j, u);
        moved = 1;
    }
    if (moved) cm_pack_all(best, t);
}
#else
static inline void cm_canon(uint64_t *t) { (void)t; }
#endif

static inline uint64_t cm_hash(const uint64_t *t) {
    uint64_t h = UINT64_C(0x9E3779B97F4A7C15);
    for (int i = 0; i < NW; i++) {
        h ^= t[i];
        h *= UINT64_C(0xBF58476D1CE4E5B9);
        h ^= h >> 31;
    }
    h *= UINT64_C(0x94D049BB133111EB);
    h ^= h >> 29;
    return h;
}

static inline int cm_same(const uint64_t *a, const uint64_t *b) {
    for (int i = 0; i < NW; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

#define CM_TAG UINT64_C(0xFFFFFFFF00000000)

/* room for n elements at ptr, or 0 (and ptr as it was) when there is no memory */
#define CM_RESIZE(ptr, n) ({ \
    __typeof__(ptr) _q = realloc((ptr), (size_t)(n) * sizeof *(ptr)); \
    if (_q) (ptr) = _q; \
    _q != NULL; })

/* the slot holding t, or else the empty slot where it would go */
static inline uint64_t cm_slot(const cm_ctx *c, const uint64_t *t, uint64_t h, int *found) {
    uint64_t tag = h & CM_TAG, mask = (uint64_t)c->tcap - 1, i = h >> c->tshift;
    for (uint64_t e; (e = c->table[i]) != 0; i = (i + 1) & mask)
        if ((e & CM_TAG) == tag && cm_same(c->store + (int64_t)((uint32_t)e - 1) * NW, t)) {
            *found = 1;
            return i;
        }
    *found = 0;
    return i;
}

#define CM_HUGE ((uintptr_t)2 << 20)

/* ask for huge pages over the 2 MB-aligned part of [p, p + bytes): random probes then miss the TLB less */
static void cm_huge(void *p, size_t bytes) {
#ifdef MADV_HUGEPAGE
    uintptr_t from = ((uintptr_t)p + CM_HUGE - 1) & ~(CM_HUGE - 1), to = ((uintptr_t)p + bytes) & ~(CM_HUGE - 1);
    if (to > from) madvise((void *)from, to - from, MADV_HUGEPAGE);
#else
    (void)p; (void)bytes;
#endif
}

/* a new zeroed visited set of `slots` slots, 2 MB-aligned when large (the old one is the caller's); 0 when
   there is no memory */
static int cm_new_table(cm_ctx *c, int64_t slots) {
    size_t bytes = (size_t)slots * sizeof(uint64_t), len = bytes + (bytes >= CM_HUGE ? CM_HUGE : 0);
    void *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) return 0;
    uintptr_t at = bytes >= CM_HUGE ? ((uintptr_t)map + CM_HUGE - 1) & ~(CM_HUGE - 1) : (uintptr_t)map;
    cm_huge((void *)at, bytes);
    c->table_map = map;
    c->table_map_len = len;
    c->table = (uint64_t *)at;
    c->tcap = slots;
    c->tshift = 64 - __builtin_ctzll((uint64_t)slots);
    return 1;
}

/* twice the slots; a slot's tag holds the top 32 bits of its hash, so its new home is known without the
   state: the old table is read in order and the new one written almost in order */
static int cm_grow_table(cm_ctx *c) {
    void *old_map = c->table_map;
    size_t old_len = c->table_map_len;
    const uint64_t *old = c->table;
    int64_t old_cap = c->tcap;
    if (old_cap >= (INT64_C(1) << 32) || !cm_new_table(c, old_cap * 2)) return 0;
    uint64_t *table = c->table, mask = (uint64_t)c->tcap - 1;
    int down = c->tshift - 32;
    for (int64_t j = 0; j < old_cap; j++) {
        uint64_t e = old[j];
        if (!e) continue;
        uint64_t i = (e >> 32) >> down;
        while (table[i]) i = (i + 1) & mask;
        table[i] = e;
    }
    munmap(old_map, old_len);
    return 1;
}

static int cm_grow_store(cm_ctx *c) {
    int64_t cap = c->cap * 2;
    if (cap > INT32_MAX) cap = INT32_MAX;
    if (cap <= c->count) return 0;
    if (!CM_RESIZE(c->store, cap * NW) || !CM_RESIZE(c->parent, cap) || !CM_RESIZE(c->via, cap)) return 0;
    cm_huge(c->store, (size_t)cap * NW * sizeof(uint64_t));
    c->cap = cap;
    return 1;
}

/* store the canonical t, of hash h, the successor of c->cur by instance k, unless it is known */
static void cm_store(cm_ctx *c, const uint64_t *t, uint64_t h, int32_t k) {
    int found;
    uint64_t i = cm_slot(c, t, h, &found);
    if (found) return;
    if (c->count >= c->max_states) { c->stop = CM_STOP_STATES; return; }  /* a new state beyond the bound */
    if (c->count >= c->cap && !cm_grow_store(c)) { c->stop = CM_STOP_NOMEM; return; }
    int64_t id = c->count++;
    memcpy(c->store + id * NW, t, NW * sizeof(uint64_t));
    c->parent[id] = c->cur;
    c->via[id] = k;
    c->table[i] = (h & CM_TAG) | (uint64_t)(id + 1);
    if (c->count * 4 > c->tcap * 3 && !cm_grow_table(c)) { c->stop = CM_STOP_NOMEM; return; }
    cm_examine(c, t, (int32_t)id);
}

static int cm_keep(cm_worker *wk, const uint64_t *t, uint64_t h, int32_t k) {
    if (wk->n == wk->room) {
        int64_t room = wk->room ? wk->room * 2 : 4096;
        if (!CM_RESIZE(wk->cand, room * NW) || !CM_RESIZE(wk->hash, room) || !CM_RESIZE(wk->inst, room)) return 0;
        wk->room = room;
    }
    memcpy(wk->cand + wk->n * NW, t, NW * sizeof(uint64_t));
    wk->hash[wk->n] = h;
    wk->inst[wk->n++] = k;
    return 1;
}

/* a successor: stored now (one thread), or kept by the worker unless already stored */
static void cm_emit(cm_ctx *c, cm_worker *wk, uint64_t *t, int32_t k) {
    if (wk) {
        wk->fired[k] = 1;
        cm_canon(t);
        uint64_t h = cm_hash(t);
        __builtin_prefetch(&c->table[h >> c->tshift]);  /* looked up later */
        if (!cm_keep(wk, t, h, k)) wk->fail = CM_STOP_NOMEM;
        return;
    }
    if (c->stop) return;
    c->fired[k] = 1;
    cm_canon(t);
    cm_store(c, t, cm_hash(t), k);
}

static int cm_decided(const cm_ctx *c) {
    if (c->n_active == 0) return 0;
    for (int k = 0; k < NINV; k++)
        if (c->inv[k] == -1) return 0;
    for (int k = 0; k < NREACH; k++)
        if (c->reach[k] == -1) return 0;
    return 1;
}

static double cm_clock(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cm_now(void) { return cm_clock(CLOCK_MONOTONIC); }
static double cm_thread_cpu(void) { return cm_clock(CLOCK_THREAD_CPUTIME_ID); }

/* ---- the parallel expansion of a block of the frontier ---- */
static int cm_reserve(cm_worker *wk, int64_t states) {
    return CM_RESIZE(wk->nsucc, states) && CM_RESIZE(wk->ncand, states) && CM_RESIZE(wk->done, states);
}

#define CM_BATCH 4  /* frontier states expanded before their successors are filtered (their slots fetched) */

/* drop, from the candidates of frontier states first..last, those stored before the block */
static void cm_filter(cm_ctx *c, cm_worker *wk, int64_t first, int64_t last, const int64_t *starts) {
    int64_t kept = starts[0];
    for (int64_t sid = first; sid <= last; sid++) {
        int64_t mine = kept;
        for (int64_t j = starts[sid - first]; j < starts[sid - first + 1]; j++) {
            int found;
            cm_slot(c, wk->cand + j * NW, wk->hash[j], &found);
            if (found) continue;
            if (kept != j) {
                memcpy(wk->cand + kept * NW, wk->cand + j * NW, NW * sizeof(uint64_t));
                wk->hash[kept] = wk->hash[j];
                wk->inst[kept] = wk->inst[j];
            }
            kept++;
        }
        wk->ncand[sid - wk->from] = (int32_t)(kept - mine);
    }
    wk->n = kept;
}

static void *cm_expand_range(void *arg) {
    cm_worker *wk = arg;
    cm_ctx *c = wk->ctx;
    double cpu = cm_thread_cpu();
    wk->n = 0;
    wk->pos = wk->cpos = 0;
    wk->fail_at = wk->fail ? wk->from : -1;
    for (int64_t first = wk->from; first < wk->to && !wk->fail; first += CM_BATCH) {
        int64_t starts[CM_BATCH + 1], sid = first;
        for (; sid < wk->to && sid < first + CM_BATCH; sid++) {
            const uint64_t *s = c->store + sid * NW;  /* nothing is stored while workers run */
            starts[sid - first] = wk->n;
            int64_t n = cm_expand(c, wk, s);
            wk->nsucc[sid - wk->from] = (int32_t)n;
            wk->done[sid - wk->from] = n == 0 ? (uint8_t)cm_done(s) : 1;
            wk->ncand[sid - wk->from] = (int32_t)(wk->n - starts[sid - first]);
            if (wk->fail) {
                wk->fail_at = sid++;
                break;
            }
        }
        starts[sid - first] = wk->n;
        if (wk->filter) cm_filter(c, wk, first, sid - 1, starts);
    }
    if (wk->fail_at >= 0) wk->to = wk->fail_at + 1;
    wk->cpu = cm_thread_cpu() - cpu;
    return NULL;
}

/* phase 1: the workers expand [c->cursor, c->cursor + block) in parallel, reading the stored states
   only; one worker expands a smaller block, whose successors stay in its caches for phase 2 */
static void cm_expand_block(cm_ctx *c) {
    int64_t block = c->workers > 1 || c->block < 1024 ? c->block : 1024;
    int64_t from = c->cursor, to = c->lvl_end - from > block ? from + block : c->lvl_end;
    int64_t share = (to - from + c->workers - 1) / c->workers;
    pthread_t threads[CM_MAX_WORKERS];
    int started[CM_MAX_WORKERS] = {0};
    for (int w = 0; w < c->workers; w++) {
        cm_worker *wk = &c->wk[w];
        wk->ctx = c;
        wk->filter = c->workers > 1;
        wk->from = from + w * share < to ? from + w * share : to;
        wk->to = wk->from + share < to ? wk->from + share : to;
        wk->fail = cm_reserve(wk, share + 1) ? CM_GO : CM_STOP_NOMEM;
    }
    for (int w = 1; w < c->workers; w++)
        started[w] = pthread_create(&threads[w], NULL, cm_expand_range, &c->wk[w]) == 0;
    cm_expand_range(&c->wk[0]);
    for (int w = 1; w < c->workers; w++) {
        if (started[w]) pthread_join(threads[w], NULL);
        else cm_expand_range(&c->wk[w]);
    }
    double longest = 0;
    for (int w = 0; w < c->workers; w++) {
        for (int k = 0; k < NINST; k++) c->fired[k] |= c->wk[w].fired[k];
        c->phase1_cpu += c->wk[w].cpu;
        longest = c->wk[w].cpu > longest ? c->wk[w].cpu : longest;
    }
    c->phase1_longest += longest;
}

/* after a frontier state is expanded: its deadlock and transitions; CM_WINDOW or CM_SLICE to return */
static int cm_after(cm_ctx *c, int64_t sid, int64_t n, int done, int *work, double started, double slice) {
    if (n == 0 && c->deadlock < 0 && !done) c->deadlock = sid;
    c->transitions += n;
    if (c->stop) return CM_FINISHED;
    if ((c->count & 0x3FFF) < 64 && (c->count >> 14) != c->last_block) {
        c->last_block = c->count >> 14;
        return CM_WINDOW;
    }
    if (++*work >= 1024) {
        *work = 0;
        if (cm_now() - started > slice) return CM_SLICE;
    }
    return CM_FINISHED;
}

/* phase 2: the block's candidates stored in frontier order, as one thread would have found them */
static int cm_store_block(cm_ctx *c, int *work, double started, double slice) {
    for (int w = 0; w < c->workers; w++) {
        cm_worker *wk = &c->wk[w];
        while (wk->from + wk->pos < wk->to && !c->stop) {
            int64_t i = wk->pos++, sid = wk->from + i, end = wk->cpos + wk->ncand[i];
            c->cur = (int32_t)sid;
            for (; wk->cpos < end && !c->stop; wk->cpos++) {
                if (wk->cpos + CM_AHEAD < wk->n)
                    __builtin_prefetch(&c->table[wk->hash[wk->cpos + CM_AHEAD] >> c->tshift]);
                cm_store(c, wk->cand + wk->cpos * NW, wk->hash[wk->cpos], wk->inst[wk->cpos]);
            }
            wk->cpos = end;
            c->cursor = sid + 1;
            if (sid == wk->fail_at && !c->stop) c->stop = wk->fail;  /* where one thread would have failed */
            int r = cm_after(c, sid, wk->nsucc[i], wk->done[i], work, started, slice);
            if (r) return r;
        }
    }
    c->block_ready = 0;
    return CM_FINISHED;
}

/* ---- the interface engines/compiled.py calls through ctypes ---- */
int cm_abi(void) { return CM_ABI * 1000000 + NVARS * 1000 + NW; }

void cm_free(cm_ctx *c) {
    if (!c) return;
    for (int w = 0; w < CM_MAX_WORKERS; w++) {
        cm_worker *wk = &c->wk[w];
        free(wk->nsucc); free(wk->done); free(wk->ncand); free(wk->cand); free(wk->hash); free(wk->inst);
    }
    if (c->table_map) munmap(c->table_map, c->table_map_len);
    free(c->store); free(c->parent); free(c->via); free(c);
}

/* a search from the initial state `init` (NVARS values) on `workers` threads; NULL when out of memory */
cm_ctx *cm_new(const int64_t *init, int64_t max_states, int64_t max_depth, int stop_when_decided,
               const uint8_t *active, int workers) {
    cm_ctx *c = calloc(1, sizeof(cm_ctx));
    if (!c) return NULL;
    c->cap = 4096;
    c->store = malloc((size_t)c->cap * NW * sizeof(uint64_t));
    c->parent = malloc((size_t)c->cap * sizeof(int32_t));
    c->via = malloc((size_t)c->cap * sizeof(int32_t));
    if (!c->store || !c->parent || !c->via || !cm_new_table(c, 8192)) { cm_free(c); return NULL; }
    c->max_states = max_states;
    c->max_depth = max_depth;
    c->stop_when_decided = stop_when_decided;
    c->workers = workers < 1 ? 1 : workers > CM_MAX_WORKERS ? CM_MAX_WORKERS : workers;
    c->block = 16384;
    c->par_min = 512;
    for (int k = 0; k < NINV; k++) {
        c->inv[k] = active[k] ? -1 : -2;
        c->n_active += active[k] ? 1 : 0;
    }
    for (int k = 0; k < NREACH; k++) c->reach[k] = -1;
    c->deadlock = -1;
    c->last_block = -1;
    uint64_t w[NW];
    if (!cm_pack_all(init, w)) { c->stop = CM_STOP_DOMAIN; return c; }
    memcpy(c->store, w, sizeof w);
    c->parent[0] = -1;
    c->via[0] = -1;
    c->count = 1;
    uint64_t h = cm_hash(w);
    c->table[h >> c->tshift] = (h & CM_TAG) | 1;
    cm_examine(c, w, 0);
    c->lvl_start = 0;
    c->lvl_end = 1;
    return c;
}

/* Breadth-first search, level by level as engines/explicit.py does it.
   Returns CM_WINDOW after the first expansion that leaves the state count in
   a new window (count & 0x3FFF) < 64 (the caller reads memory there, as the
   Python engine does), CM_SLICE after about `slice` seconds, CM_FINISHED
   at the end of the search. Calling again resumes. With several workers a
   block of the frontier is expanded in parallel, then its new states are
   stored in frontier order: the same ids, counts and stopping points. */
int cm_run(cm_ctx *c, double slice) {
    double started = cm_now();
    int work = 0;
    for (;;) {
        if (!c->level_begun) {
            if (c->lvl_end <= c->lvl_start || c->stop || c->stopped_early) return CM_FINISHED;
            if (c->depth >= c->max_depth) {
                /* the bound matters only if a state of the frontier has a successor */
                int stop = CM_GO;
                c->stop = CM_STOP_DEPTH;  /* expand only counts, then */
                for (int64_t id = c->lvl_start; id < c->lvl_end && stop == CM_GO; id++)
                    if (cm_expand(c, NULL, c->store + id * NW)) stop = CM_STOP_DEPTH;
                c->stop = stop;
                c->lvl_start = c->lvl_end;  /* nothing more to do */
                return CM_FINISHED;
            }
            c->level_begun = 1;
            c->cursor = c->lvl_start;
        }
        while (c->cursor < c->lvl_end && !c->stop) {
            if (c->block_ready || c->lvl_end - c->cursor >= c->par_min) {
                if (!c->block_ready) {
                    cm_expand_block(c);
                    c->block_ready = 1;
                }
                double cpu = cm_thread_cpu();
                int r = cm_store_block(c, &work, started, slice);
                c->phase2_cpu += cm_thread_cpu() - cpu;
                if (r) return r;
                continue;
            }
            int64_t sid = c->cursor++;
            uint64_t s[NW];
            memcpy(s, c->store + sid * NW, sizeof s);  /* the store may move while s expands */
            c->cur = (int32_t)sid;
            int64_t n = cm_expand(c, NULL, s);
            int r = cm_after(c, sid, n, n == 0 ? cm_done(s) : 1, &work, started, slice);
            if (r) return r;
        }
        /* the level is over, or a bound ended it: the next frontier is every state found since */
        c->lvl_start = c->lvl_end;
        c->lvl_end = c->count;
        c->level_begun = 0;
        c->block_ready = 0;
        if (c->lvl_end > c->lvl_start) c->depth++;
        if (c->stop_when_decided && cm_decided(c)) c->stopped_early = c->lvl_end > c->lvl_start;
    }
}

void cm_set_stop(cm_ctx *c, int code) { c->stop = code; }

void cm_tune(cm_ctx *c, int64_t block, int64_t par_min) {
    c->block = block < 1 ? 1 : block;
    c->par_min = par_min < 1 ? 1 : par_min;
}

/* count, transitions, depth, stop, stopped_early, deadlock, bytes held by the tables */
void cm_info(const cm_ctx *c, int64_t *out) {
    out[0] = c->count;
    out[1] = c->transitions;
    out[2] = c->depth;
    out[3] = c->stop;
    out[4] = c->stopped_early;
    out[5] = c->deadlock;
    out[6] = c->count * (int64_t)(NW * sizeof(uint64_t) + 2 * sizeof(int32_t)) + c->tcap * (int64_t)sizeof(uint64_t);
}

/* CPU seconds: of the blocks' parallel expansions, the longest worker's summed over the blocks, and
   every worker's; of storing the blocks' successors (one thread). On idle cores a search takes about
   its CPU time less (phase1_cpu - phase1_longest). */
void cm_phases(const cm_ctx *c, double *out) {
    out[0] = c->phase1_longest;
    out[1] = c->phase1_cpu;
    out[2] = c->phase2_cpu;
}

void cm_verdicts(const cm_ctx *c, int32_t *inv, int32_t *reach, uint8_t *fired) {
    memcpy(inv, c->inv, sizeof c->inv);
    memcpy(reach, c->reach, sizeof c->reach);
    memcpy(fired, c->fired, sizeof c->fired);
}

/* the path from the initial state to id, backwards: ids into out; returns its length */
int64_t cm_path(const cm_ctx *c, int32_t id, int32_t *ids, int32_t *vias, int64_t room) {
    int64_t n = 0;
    for (; id >= 0 && n < room; id = c->parent[id], n++) {
        ids[n] = id;
        vias[n] = c->via[id];
    }
    return n;
}

void cm_state(const cm_ctx *c, int32_t id, int64_t *out) { cm_unpack_all(c->store + (int64_t)id * NW, out); }

/* states first .. first+count-1, one after the other (NV values each) */
void cm_states(const cm_ctx *c, int64_t first, int64_t count, int64_t *out) {
    for (int64_t k = 0; k < count; k++) cm_unpack_all(c->store + (first + k) * NW, out + k * NV);
}
"""

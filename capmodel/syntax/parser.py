"""Spec text -> ast.Spec.

`parse(text, file)` runs the Lark LALR parser on grammar.lark and turns the
tree into the dataclasses of ast.py, each with its Span. Any syntax problem is
raised as a SpecError with one friendly Diagnostic (LALR stops at the first
syntax error); statements repeated in one file are reported all together.
Nothing here resolves names or checks values: that is validate.py's job.
"""
from __future__ import annotations

import difflib
import hashlib
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import lark
from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.lexer import PatternStr
from lark.parsers.lalr_parser_state import ParserState

from ..cache import private_folder
from . import ast
from .diagnostics import Diagnostic, SpecError, guard, one_of

GRAMMAR_FILE = Path(__file__).with_name("grammar.lark")

# An expression nested deeper than this is refused (CAP106): it keeps every
# recursive pass over the AST (here, in the validator and in semantics/) far
# from Python's recursion limit.
MAX_NESTING = 100


# The contextual lexer reads a keyword as a NAME wherever a name may stand. That
# is wanted for statement words (`crashes` and `partitions` are globals in
# expressions, `nodes`/`writes`/`reads` are quantifier domains) but not for the
# words of the expression language: `a or or b` must fail at the second 'or'.
_EXPRESSION_KEYWORDS = {"and": "AND", "or": "OR", "not": "NOT", "implies": "IMPLIES", "in": "IN",
                        "true": "TRUE", "false": "FALSE", "forall": "FORALL", "exists": "EXISTS",
                        "count": "COUNT"}


def _keep_keywords(tok: Token) -> Token:
    kind = _EXPRESSION_KEYWORDS.get(str(tok))
    return Token.new_borrow_pos(kind, str(tok), tok) if kind else tok


@lru_cache(maxsize=1)
def _lark() -> Lark:
    grammar = GRAMMAR_FILE.read_text(encoding="utf-8")
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=True,
        lexer_callbacks={"NAME": _keep_keywords},
        # building the LALR tables is most of a small spec's start-up (about
        # 0.2 s of CPU); Lark stores them once and loads them back (x3 faster)
        cache=_tables_file(grammar) or False,
    )


def _tables_file(grammar: str) -> str | None:
    """The parser tables' cache file in the user's own cache folder, named by a
    hash of the grammar and Lark's version (Lark trusts the name it is given), or
    None to build them each time where no such folder can be had."""
    folder = private_folder()
    if folder is None:
        return None
    digest = hashlib.sha256(f"{lark.__version__}\0{grammar}".encode()).hexdigest()[:32]
    return str(folder / f"grammar-{digest}.lark-cache")


@lru_cache(maxsize=1)
def keywords() -> frozenset[str]:
    """Every reserved word of the language (statement and expression keywords)."""
    return frozenset(
        t.pattern.value
        for t in _lark().terminals
        if isinstance(t.pattern, PatternStr) and t.pattern.value.isidentifier()
    )


# ---------------------------------------------------------------- tree -> AST

# statements of one word, or one word and a value (leaderless replication, read concern)
_WORD_STATEMENTS = ("write_consistency", "read_consistency", "read_repair", "read_concern")
_FLAG_STATEMENTS = ("hinted_handoff", "sloppy_quorum", "anti_entropy")
_NUMBER_STATEMENTS = ("replicas", "clock_skew")
_LEADERLESS = (*_WORD_STATEMENTS, *_FLAG_STATEMENTS, *_NUMBER_STATEMENTS)

_SINGLE_STATEMENTS = ("nodes", "leader", "replication", "reads", "failover", "faults", "workload", "check",
                      "ack_after", "visibility", "standbys", "min_replicas", *_LEADERLESS)
_BIG = 10**18  # numbers longer than 18 digits are clamped (they exceed every limit anyway)


def _to_int(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-").lstrip("0") or "0"
    if len(digits) > 18:
        return sign * _BIG
    return sign * int(digits)


@v_args(meta=True)
class _Build(Transformer):
    def __init__(self, file: str):
        super().__init__(visit_tokens=False)
        self.file = file
        self.diags: list[Diagnostic] = []

    # helpers
    def _span(self, meta) -> ast.Span:
        return ast.Span(self.file, meta.line, meta.column, meta.end_line, meta.end_column)

    def _tspan(self, tok: Token) -> ast.Span:
        return ast.Span(self.file, tok.line, tok.column, tok.end_line, tok.end_column)

    def _name(self, tok: Token) -> ast.Name:
        return ast.Name(str(tok), self._tspan(tok))

    def _num(self, tok: Token) -> ast.Number:
        return ast.Number(_to_int(str(tok)), self._tspan(tok))

    @staticmethod
    def _names(children) -> list[Token]:
        return [c for c in children if isinstance(c, Token) and c.type == "NAME"]

    # the file
    def start(self, meta, children):
        return children[0]

    def system(self, meta, children):
        name = self._name(children[1])
        spec = ast.Spec(name=name, file=self.file, span=self._span(meta))
        seen: dict[str, ast.Span] = {}
        cond_seen: dict[str, ast.Span] = {}
        for child in children[2:]:
            if isinstance(child, Token):
                continue  # braces
            kind, value, span = child
            if kind == "extends":
                spec.extends = value
                continue
            if kind in ("invariant", "reachable", "lemma"):
                cname = value.name.text
                if cname in cond_seen:
                    first = cond_seen[cname]
                    self.diags.append(Diagnostic(
                        "CAP211", f"'{cname}' is already the name of an invariant or reachable condition",
                        value.name.span, f"it was first defined at line {first.line}; give each condition its own name"))
                else:
                    cond_seen[cname] = value.name.span
                {"invariant": spec.invariants, "reachable": spec.reachables, "lemma": spec.lemmas}[kind].append(value)
                continue
            if kind in seen:
                first = seen[kind]
                self.diags.append(Diagnostic(
                    "CAP107", f"'{kind}' is given twice", span,
                    f"it was first given at line {first.line}; keep one of them "
                    "(to change a base spec, use `extends` in a child spec)"))
                continue
            seen[kind] = span
            spec.spans[kind] = span
            if kind == "reads":  # one statement, two fields: the policy and its `from` list
                spec.reads, spec.read_from = value
            else:
                setattr(spec, "checks" if kind == "check" else kind, value)
        return spec

    def extends(self, meta, children):
        tok = children[1]
        return ("extends", (str(tok)[1:-1], self._tspan(tok)), self._span(meta))

    # statements: each returns (field, value, span)
    def nodes(self, meta, children):
        return ("nodes", [self._name(t) for t in self._names(children)], self._span(meta))

    def leader(self, meta, children):
        return ("leader", self._name(children[1]), self._span(meta))

    def replication(self, meta, children):
        _, mode, acks, *endings = children
        span = self._span(meta)
        words = [self._name(t) for t in endings]
        return ("replication", ast.Replication(
            self._name(mode), self._num(acks) if acks is not None else None,
            timeout=any(w.text == "timeout" for w in words), wait=any(w.text == "wait" for w in words),
            span=span, endings=words), span)

    def reads(self, meta, children):
        # READS NAME [FROM NAME (COMMA NAME)*]; the placeholder of the optional part is None
        policy = self._name(children[1])
        names = [self._name(t) for t in self._names(children[2:])]
        has_from = any(isinstance(c, Token) and c.type == "FROM" for c in children)
        return ("reads", (policy, names if has_from else None), self._span(meta))

    def ack_after(self, meta, children):
        return ("ack_after", self._name(children[1]), self._span(meta))

    def visibility(self, meta, children):
        return ("visibility", self._name(children[1]), self._span(meta))

    def standbys(self, meta, children):
        span = self._span(meta)
        rule, count = children[1], children[2]
        nodes = [self._name(t) for t in self._names(children[3:])]
        return ("standbys", ast.Standbys(self._name(rule), self._num(count), nodes, span), span)

    def min_replicas(self, meta, children):
        return ("min_replicas", self._num(children[1]), self._span(meta))

    def __default__(self, data, children, meta):
        """The statements of one keyword and at most one value (leaderless
        replication, read concern): the value as a Name, a Number, or the keyword."""
        if data in _LEADERLESS:
            tok = children[-1]
            value = self._num(tok) if data in _NUMBER_STATEMENTS else self._name(tok)
            return (str(data), value, self._span(meta))
        return super().__default__(data, children, meta)

    def failover(self, meta, children):
        _, strategy, *options = children
        span = self._span(meta)
        words = {str(t) for t in options if isinstance(t, Token)}
        return ("failover", ast.Failover(self._name(strategy), "fencing" in words, span,
                                         live_majority="live_majority" in words), span)

    def place(self, meta, children):
        names = [self._name(t) for t in self._names(children)]
        return ("place", list(zip(names[0::2], names[1::2])), self._span(meta))

    def _block(self, meta, children, what: str, result):
        seen: dict[str, ast.Span] = {}
        for item in children[2:-1]:
            key, values, span = item
            if key in seen:
                self.diags.append(Diagnostic(
                    "CAP107", f"'{key}' is given twice in the {what} block", span,
                    f"it was first given at line {seen[key].line}; keep one of them"))
                continue
            seen[key] = span
            for attr, v in values.items():
                setattr(result, attr, v)
        result.span = self._span(meta)
        return (what, result, result.span)

    def faults(self, meta, children):
        return self._block(meta, children, "faults", ast.Faults())

    def workload(self, meta, children):
        return self._block(meta, children, "workload", ast.Workload())

    def crashes(self, meta, children):
        _, n, recover = children
        return ("crashes", {"crashes": self._num(n), "recover": recover is not None}, self._span(meta))

    def partitions(self, meta, children):
        _, n, with_clients = children
        return ("partitions", {"partitions": self._num(n), "client_partitions": with_clients is not None},
                self._span(meta))

    def writes(self, meta, children):
        return ("writes", {"writes": self._num(children[1])}, self._span(meta))

    def workload_reads(self, meta, children):
        return ("reads", {"reads": self._num(children[1])}, self._span(meta))

    def clients(self, meta, children):
        return ("clients", {"clients": self._num(children[1])}, self._span(meta))

    def check(self, meta, children):
        return ("check", [self._name(t) for t in self._names(children)], self._span(meta))

    def invariant(self, meta, children):
        span = self._span(meta)
        return ("invariant", ast.NamedCondition(self._name(children[1]), children[3], span), span)

    def reachable(self, meta, children):
        span = self._span(meta)
        return ("reachable", ast.NamedCondition(self._name(children[1]), children[3], span), span)

    def lemma(self, meta, children):
        span = self._span(meta)
        return ("lemma", ast.NamedCondition(self._name(children[1]), children[3], span), span)

    # expressions
    def _binary(self, meta, children):
        left, op, right = children
        return ast.Binary(str(op), left, right, self._span(meta))

    implies = or_ = and_ = compare = add = sub = _binary

    def not_(self, meta, children):
        return ast.Unary("not", children[1], self._span(meta))

    def negate(self, meta, children):
        return ast.Unary("-", children[1], self._span(meta))

    def attr(self, meta, children):
        return ast.Attr(children[0], self._name(children[2]), (), self._span(meta))

    def attr_call(self, meta, children):
        # children: base, DOT, NAME, LPAR, arg, (COMMA, arg)*, RPAR
        return ast.Attr(children[0], self._name(children[2]), tuple(children[4:-1:2]), self._span(meta))

    def int_lit(self, meta, children):
        return ast.IntLit(_to_int(str(children[0])), self._span(meta))

    def bool_lit(self, meta, children):
        return ast.BoolLit(children[0].type == "TRUE", self._span(meta))

    def ident(self, meta, children):
        return ast.Ident(str(children[0]), self._span(meta))

    def paren(self, meta, children):
        # no node of its own: the inner expression's span widens to the parentheses
        return replace(children[1], span=self._span(meta))

    def quantifier(self, meta, children):
        kind, var, _in, domain, _colon, body = children
        return ast.Quantifier(str(kind), self._name(var), self._name(domain), body, self._span(meta))


# ---------------------------------------------------------------- entry point

_BLANK = " \t\f\r\n"


def _only_comments(text: str) -> bool:
    """The text holds nothing but blanks and `#` comments.

    One pass over the lines: a regex of the form (blank+ | comment)* backtracks
    exponentially on a long blank run that is followed by something else."""
    return all(line.lstrip(_BLANK).startswith("#") or not line.strip(_BLANK) for line in text.split("\n"))


def parse(text: str, file: str = "<string>") -> ast.Spec:
    """Parse one spec file's text. Raises SpecError; never anything else for any str."""
    return guard(lambda: _parse(text, file), file)


def _parse(text: str, file: str) -> ast.Spec:
    sources = {file: text}
    if _only_comments(text):
        raise SpecError([Diagnostic(
            "CAP005", "the spec file is empty", ast.Span(file, 1, 1, 1, 1),
            "a spec starts with `system NAME {` and lists at least its nodes, e.g. "
            "`system demo { nodes a, b }`")], sources)
    try:
        tree = _lark().parse(text)
    except UnexpectedInput as e:
        raise SpecError([syntax_diagnostic(e, text, file)], sources) from None
    deep = _too_deep(tree)
    if deep is not None:
        raise SpecError([Diagnostic(
            "CAP106", f"expression nested too deeply (more than {MAX_NESTING} levels)",
            ast.Span(file, deep.line, deep.column, deep.end_line, deep.end_column),
            "split the condition into several invariants or simplify it")], sources)
    builder = _Build(file)
    spec = builder.transform(tree)
    if builder.diags:
        raise SpecError(sorted(builder.diags, key=lambda d: (d.span.line, d.span.column)), sources)
    return spec


def _too_deep(tree: Tree):
    """The meta of a node nested deeper than MAX_NESTING, or None (iterative)."""
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING + 4:  # + the start/system/statement levels above expressions
            return node.meta
        for child in node.children:
            if isinstance(child, Tree):
                stack.append((child, depth + 1))
    return None


# ---------------------------------------------------------------- syntax errors

_STATEMENTS = ("NODES", "LEADER", "REPLICATION", "READS", "FAILOVER", "FAULTS", "WORKLOAD",
               "CHECK", "INVARIANT", "REACHABLE", "ACK_AFTER", "VISIBILITY", "STANDBYS", "MIN_REPLICAS",
               *(kind.upper() for kind in _LEADERLESS))
_OPERATORS = ("IMPLIES", "OR", "AND", "EQ", "NE", "LT", "LE", "GT", "GE", "PLUS", "MINUS", "DOT")
_OPERANDS = ("NAME", "INT", "TRUE", "FALSE", "NOT", "MINUS", "LPAR", "FORALL", "EXISTS", "COUNT")
_COMPARISONS = ("EQ", "NE", "LT", "LE", "GT", "GE")
_SPECIAL = {
    "NAME": "a name",
    "INT": "a number",
    "SIGNED_INT": "a number",
    "STRING": 'a file name in double quotes (like "base.cap")',
    "$END": "the end of the file",
    "<END-OF-FILE>": "the end of the file",
}
# the form of each construct, for hints
_FORMS = {
    "SYSTEM": '`system NAME { ... }` or `system NAME extends "base.cap" { ... }`',
    "EXTENDS": '`extends "base.cap"`',
    "NODES": "`nodes a, b, c`",
    "LEADER": "`leader a`",
    "REPLICATION": "`replication async`, `sync`, `semi_sync K` or `quorum`; after sync, semi_sync K or quorum "
                   "optionally `timeout` or `wait` (`replication semi_sync 1 timeout`)",
    "READS": "`reads master_only`, `any_node`, `cp`, `ap` or `connected_only`, optionally followed by "
             "`from a, b`",
    "FAILOVER": "`failover none`, `promote_any`, `promote_most_up_to_date` or `promote_sync_standby`, "
                "optionally followed by `fencing`",
    "FAULTS": "`faults { crashes 1  partitions 1 }` (or `crashes 1 recover`, `partitions 1 with_clients`)",
    "CRASHES": "`crashes N` or `crashes N recover`",
    "PARTITIONS": "`partitions N` or `partitions N with_clients`",
    "ACK_AFTER": "`ack_after received`, `flushed` or `applied`",
    "VISIBILITY": "`visibility after_commit` or `after_sync`",
    "STANDBYS": "`standbys first K (a, b)` or `standbys any K (a, b)`",
    "MIN_REPLICAS": "`min_replicas N`",
    "REPLICAS": "`replicas N` (the key's N home replicas: the first N nodes)",
    "WRITE_CONSISTENCY": "`write_consistency one`, `quorum`, `all`, `any` or a count K",
    "READ_CONSISTENCY": "`read_consistency one`, `quorum`, `all` or a count K",
    "READ_REPAIR": "`read_repair none` or `blocking`",
    "HINTED_HANDOFF": "`hinted_handoff` (a statement of its own)",
    "SLOPPY_QUORUM": "`sloppy_quorum` (a statement of its own)",
    "ANTI_ENTROPY": "`anti_entropy` (a statement of its own)",
    "CLOCK_SKEW": "`clock_skew N`",
    "READ_CONCERN": "`read_concern local`, `majority` or `linearizable`",
    "WORKLOAD": "`workload { writes 2  reads 1  clients 1 }`",
    "WRITES": "`writes N`",
    "CLIENTS": "`clients N`",
    "CHECK": "`check no_acked_write_lost, no_stale_read`",
    "INVARIANT": "`invariant NAME: condition`",
    "REACHABLE": "`reachable NAME: condition`",
    "LEMMA": "`lemma NAME: condition`",
}
_STATEMENT_TREES = {"nodes", "leader", "replication", "reads", "failover", "faults", "workload", "check",
                    "invariant", "reachable", "extends", "crashes", "partitions", "writes",
                    "workload_reads", "clients", "ack_after", "visibility", "standbys", "min_replicas",
                    *_LEADERLESS}
_BLOCK_OF = {"CRASHES": "faults", "PARTITIONS": "faults", "RECOVER": "faults", "WITH_CLIENTS": "faults",
             "WRITES": "workload", "CLIENTS": "workload"}


def _keyword_of(name: str) -> str | None:
    """The keyword a terminal stands for ('NODES' -> 'nodes'), or None."""
    try:
        term = _lark().get_terminal(name)
    except KeyError:
        return None
    if isinstance(term.pattern, PatternStr) and term.pattern.value.isidentifier():
        return term.pattern.value
    return None


def _word(name: str) -> str:
    """Plain words for a terminal name: 'nodes', ',', 'a name'..."""
    if name in _SPECIAL:
        return _SPECIAL[name]
    try:
        term = _lark().get_terminal(name)
    except KeyError:
        return name.lower()
    if isinstance(term.pattern, PatternStr):
        return f"'{term.pattern.value}'"
    return name.lower()


def describe_expected(expected) -> str:
    """The expected terminals in plain words, grouped ('a statement', 'an expression')."""
    rest = set(expected)
    parts: list[str] = []
    if set(_STATEMENTS) <= rest:
        rest -= set(_STATEMENTS)
        parts.append("a statement")
    if {"NAME", "INT", "LPAR"} <= rest:
        rest -= set(_OPERANDS)
        parts.append("an expression")
    if len(rest & set(_OPERATORS)) >= 4:
        rest -= set(_OPERATORS)
        parts.append("an operator")
    order = ["NAME", "SIGNED_INT", "INT", "STRING", "COMMA", "COLON", "LBRACE", "RBRACE", "LPAR", "RPAR"]
    ordered = sorted(rest, key=lambda n: (order.index(n) if n in order else len(order), n))
    parts.extend(_word(n) for n in ordered if n not in ("$END", "<END-OF-FILE>"))
    if rest & {"$END", "<END-OF-FILE>"}:
        parts.append(_word("$END"))
    if not parts:
        return "something else"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]


def _found(tok: Token) -> str:
    if tok.type == "$END":
        return "the end of the file"
    text = str(tok)
    return f"'{text if len(text) <= 40 else text[:37] + '...'}'"


def _call_form(name: str) -> str:
    """How an attribute is called, from the catalogue: `.has(w1)`, `.hint_for(n2, w1)`."""
    from ..catalogue import argument_types, example_call

    if argument_types(name):
        return f"`{example_call(name)}`"
    return "`.attr(a, b)`: arguments separated by commas"


def _context(state) -> tuple[Token | None, list]:
    """The keyword of the construct being parsed when the error happened, and the stack."""
    stack = state.value_stack if isinstance(state, ParserState) else []
    for item in reversed(stack):
        if isinstance(item, Tree) and item.data in _STATEMENT_TREES:
            break
        if isinstance(item, Token) and item.type in _FORMS:
            return item, stack
    return None, stack


def _char_name(ch: str) -> str:
    if ch.isprintable() and not ch.isspace():
        return f"'{ch}'"
    return f"U+{ord(ch):04X}"


_CHAR_HINTS = {
    "=": "to compare, write '=='",
    ";": "statements need no ';' (start the next statement on a new line)",
    "&": "write 'and'",
    "|": "write 'or'",
    "!": "write 'not' (or '!=' to compare)",
    "/": "comments start with '#'",
    "'": 'file names are written in double quotes: extends "base.cap"',
    '"': 'a quoted file name must end with " on the same line',
    "\ufeff": "a byte-order mark (U+FEFF, invisible) inside the text: delete it",
    "\u00a0": "a no-break space (U+00A0): replace it with an ordinary space",
    "\u0085": "a NEL line break (U+0085): replace it with an ordinary line break",
    "\u2028": "a Unicode line separator (U+2028): replace it with an ordinary line break",
    "\u2029": "a Unicode paragraph separator (U+2029): replace it with an ordinary line break",
}


def syntax_diagnostic(e: UnexpectedInput, text: str, file: str) -> Diagnostic:
    """Turn Lark's exception into one friendly Diagnostic."""
    if isinstance(e, UnexpectedCharacters):
        ch = text[e.pos_in_stream] if 0 <= e.pos_in_stream < len(text) else ""
        span = ast.Span(file, e.line, e.column, e.line, e.column + 1)
        expected = describe_expected(e.allowed or ())
        if ch == '"':
            return Diagnostic("CAP105", "unterminated file name: missing the closing '\"'", span,
                              _CHAR_HINTS['"'])
        hint = _CHAR_HINTS.get(ch)
        if hint is None and ch.isalpha():
            hint = "names use only ASCII letters, digits and '_'"
        if hint is None and ch == "-":
            hint = "names use only letters, digits and '_' (no '-')"
        if hint is None and (ch.isspace() or not ch.isprintable()):
            hint = f"an invisible character ({_char_name(ch)}): delete it, or replace it with a space"
        return Diagnostic("CAP105", f"unexpected character {_char_name(ch)}: expected {expected}", span, hint)

    if isinstance(e, UnexpectedEOF):  # not raised by LALR in practice; kept for safety
        lines = text.split("\n")
        span = ast.Span(file, len(lines), len(lines[-1]) + 1, len(lines), len(lines[-1]) + 1)
        return Diagnostic("CAP103", f"unexpected end of file: expected {describe_expected(e.expected)}", span)

    assert isinstance(e, UnexpectedToken)
    tok: Token = e.token
    expected = set(e.expected) if e.expected else set()
    ctx, stack = _context(e.state)

    if tok.type == "$END":
        line = getattr(tok, "end_line", None) or 1
        col = getattr(tok, "end_column", None) or 1
        span = ast.Span(file, line, col, line, col)
        opened = [t for t in stack if isinstance(t, Token) and t.type == "LBRACE"]
        if "RBRACE" in expected and opened:
            o = opened[-1]
            return Diagnostic(
                "CAP103", "unexpected end of file: missing '}'", span,
                f"the '{{' at line {o.line}, column {o.column} is never closed; add '}}' at the end of its block")
        hint = f"the form is {_FORMS[ctx.type]}" if ctx is not None else None
        return Diagnostic("CAP103", f"unexpected end of file: expected {describe_expected(expected)}", span, hint)

    span = ast.Span(file, tok.line, tok.column, tok.end_line, tok.end_column)
    found = _found(tok)

    if expected <= {"$END", "<END-OF-FILE>"}:
        return Diagnostic("CAP100", f"unexpected {found} after the end of the system block", span,
                          "a file holds one `system NAME { ... }`; after its closing '}' only comments may follow")

    if tok.type in _COMPARISONS and tok.type not in expected:
        return Diagnostic("CAP109", f"comparisons do not chain: unexpected {found}", span,
                          "write `a < b and b < c`, or add parentheses")

    words = sorted(w for w in map(_keyword_of, expected) if w is not None)
    close = difflib.get_close_matches(str(tok), words, n=1, cutoff=0.6) if tok.type == "NAME" else []
    very_close = difflib.get_close_matches(str(tok), words, n=1, cutoff=0.75) if close else []

    prev = stack[-1] if stack and isinstance(stack[-1], Token) and stack[-1].type == "NAME" else None
    if ("COMMA" in expected and tok.type == "NAME" and not very_close and ctx is not None
            and ctx.type in ("NODES", "CHECK", "READS", "STANDBYS") and (prev is None or prev.line == tok.line)):
        # a name on the same line after a name: a forgotten comma (on a new line: a statement)
        what = "property names" if ctx.type == "CHECK" else "node names"
        a, b = (prev, tok) if prev is not None else ("a", "b")
        example = {"READS": f"`from {a}, {b}`", "STANDBYS": f"`({a}, {b})`"}.get(ctx.type, f"`{ctx} {a}, {b}`")
        return Diagnostic("CAP104", f"expected ',' between {what}, found {found}", span,
                          f"separate the names with commas: {example}")

    if close:
        return Diagnostic("CAP101", f"unknown keyword {found}: expected {describe_expected(expected)}", span,
                          f"did you mean '{close[0]}'?")

    opened = [i for i, t in enumerate(stack) if isinstance(t, Token) and t.type == "LPAR"]  # reduced when closed
    if tok.type == "NAME" and "RPAR" in expected and opened:
        # a name inside parentheses, after an operand: never a new statement
        i = opened[-1]
        o = stack[i]
        if i >= 2 and all(isinstance(t, Token) for t in stack[i - 2:i]) and stack[i - 2].type == "DOT":
            name = str(stack[i - 1])
            return Diagnostic("CAP104", f"expected ',' or ')' in the arguments of '.{name}', found {found}",
                              span, f"the form is {_call_form(name)}")
        return Diagnostic("CAP100", f"expected an operator or ')', found {found}", span,
                          f"the '(' at line {o.line}, column {o.column} is still open: close it with ')', "
                          "or join the two with `and` / `or`")

    statement_expected = bool(expected & set(_STATEMENTS)) or bool(expected & {"CRASHES", "WRITES"})
    if statement_expected and tok.type in _BLOCK_OF and tok.type not in expected:
        block = _BLOCK_OF[tok.type]
        return Diagnostic("CAP101", f"{found} is not a statement on its own", span,
                          f"it belongs inside the {block} block: {_FORMS[block.upper()]}")

    if statement_expected and tok.type == "NAME":
        return Diagnostic("CAP101", f"unknown statement {found}: expected {describe_expected(expected)}", span,
                          f"the statements are {one_of(_statement_words(expected))}")

    if "LBRACE" in expected and tok.type != "LBRACE" and ctx is not None and ctx.type in ("SYSTEM", "FAULTS",
                                                                                         "WORKLOAD", "EXTENDS"):
        what = {"SYSTEM": "the system name", "EXTENDS": "the extends clause"}.get(ctx.type, f"'{ctx}'")
        return Diagnostic("CAP102", f"missing '{{' after {what}: found {found}", span,
                          f"the form is {_FORMS[ctx.type if ctx.type != 'EXTENDS' else 'SYSTEM']}")

    hint = None
    if tok.type in ("SIGNED_INT", "MINUS", "INT") and str(tok).startswith("-") and _glued(text, tok):
        hint = "names use only letters, digits and '_' (no '-')"
    elif ctx is not None:
        hint = f"the form is {_FORMS[ctx.type]}"
    elif "SYSTEM" in expected:
        hint = "a spec starts with `system NAME {`"
    return Diagnostic("CAP100", f"expected {describe_expected(expected)}, found {found}", span, hint)


def _statement_words(expected) -> list[str]:
    names = [n for n in (*_STATEMENTS, "CRASHES", "PARTITIONS", "WRITES", "CLIENTS") if n in expected]
    if "READS" in expected and "WRITES" in expected:  # inside workload { }
        names = [n for n in names if n not in _STATEMENTS or n == "READS"]
    return [w for w in map(_keyword_of, names) if w is not None]


def _glued(text: str, tok: Token) -> bool:
    """The token directly follows a name character (like `node-1`)."""
    pos = tok.start_pos or 0
    return pos > 0 and (text[pos - 1].isalnum() or text[pos - 1] == "_")

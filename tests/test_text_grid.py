"""The verdict table's plain layout (render/text.py's _plain_grid, which spares
a verify the import of rich) is exactly rich's, on any printable ASCII."""
from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from capmodel.render import text

cells = st.text(alphabet=string.printable[:95], max_size=12)  # printable ASCII, space included


@st.composite
def tables(draw):
    n = draw(st.integers(1, 4))
    columns = [(draw(cells), draw(st.integers(0, 10))) for _ in range(n)]
    rows = draw(st.lists(st.lists(cells, min_size=n, max_size=n), max_size=4))
    return columns, rows, draw(st.booleans())


@settings(max_examples=300, deadline=None)
@given(tables())
def test_plain_layout_is_riches(table):
    columns, rows, header = table
    plain = text._plain_grid(columns, rows, header)
    if not header and not rows:
        assert plain is None  # nothing to lay out: rich decides
        return
    assert plain == text._rich_grid(columns, rows, header, styled=None, color=False)


def test_the_verdict_table_as_verify_prints_it():
    columns = [("property", 8), ("verdict", 10), ("detail", 0)]
    rows = [("no_stale_read", "VIOLATED", "shortest counterexample 4 steps"), ("reachable x", "REACHED", "")]
    plain = text._plain_grid(columns, rows, True)
    assert plain == text._rich_grid(columns, rows, True, styled=1, color=False)
    assert plain.splitlines()[1] == "no_stale_read  VIOLATED    shortest counterexample 4 steps"


def test_what_plain_leaves_to_rich():
    columns = [("property", 8), ("detail", 0)]
    for row in [("écrit", "x"), ("a\tb", "x"), ("line\nbreak", "x"), ("short",)]:
        assert text._plain_grid(columns, [row], True) is None
        assert text.grid(columns, [row]) == text._rich_grid(columns, [row], True, None, False)
    assert "\x1b[" in text.grid(columns, [("p", "VIOLATED")], styled=1, color=True)  # colour: rich

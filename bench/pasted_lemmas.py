"""Do the generated `lemma` lines mean exactly the lemmas Z3 proved? For each
shipped spec with no lemma of its own: generate lemmas (the command's work
budget, reachables left out), paste the worded lines into the spec, compile
it, and ask Z3 for a state within the domains where a pasted lemma and the
proved one differ. Prints per spec the lines worded and not, how many say a
fact once for all (`forall`, `exists`, `count`), and how many differ (0 is
right). tests/test_z3_generated.py does the same on three specs.

    .venv/bin/python bench/pasted_lemmas.py                 # every shipped spec
    .venv/bin/python bench/pasted_lemmas.py specs/sync.cap  # some
"""
from __future__ import annotations

import dataclasses
import glob
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import z3  # noqa: E402

from capmodel.engines import z3_translate as Z  # noqa: E402
from capmodel.engines.budget import Deadline  # noqa: E402
from capmodel.engines.z3_engine import GENERATE_WORK  # noqa: E402
from capmodel.engines.z3_lemmas import generate_lemmas  # noqa: E402
from capmodel.semantics.build import build_model  # noqa: E402
from capmodel.syntax.load import load_text  # noqa: E402

SHIPPED = ["specs/*.cap", "specs/systems/*.cap", "specs/textbook/*.cap"]
ONCE_FOR_ALL = re.compile(r"\b(forall|exists|count) \w+ in (nodes|writes|reads):")


def main() -> None:
    files = sys.argv[1:] or sorted(f for pattern in SHIPPED for f in glob.glob(pattern))
    for path in files:
        text = Path(path).read_text()
        model = build_model(load_text(text, path))
        if model.lemmas:
            continue  # a proof the user wrote
        model = dataclasses.replace(model, reachables=[])
        tr = Z.translate(model)
        started = time.process_time()
        g = generate_lemmas(model, tr, model.invariants, Deadline(None, work=GENERATE_WORK), facts=[tr.domain])
        said = {c.name: (c, g.texts[c.name]) for c in g.lemmas if g.texts.get(c.name)}
        if not said:
            print(f"{path}: no lemmas")
            continue
        end = text.rindex("}")
        lines = "".join(f"  lemma {name}: {words}\n" for name, (_, words) in said.items())
        pasted = build_model(load_text(text[:end] + lines + text[end:], path))
        tr2 = Z.translate(pasted)
        differ = 0
        for lemma in pasted.lemmas:
            mine, words = said[lemma.name]
            s = z3.Solver(ctx=tr2.ctx)
            s.add(tr2.domain, tr2.condition("pasted", lemma.expr) != tr2.condition("proved", mine.expr))
            if s.check() != z3.unsat:
                differ += 1
                print(f"  DIFFERS {path}: {words}")
        once = sum(1 for _, words in said.values() if ONCE_FOR_ALL.search(words))
        print(f"{path}: {len(said)} lemmas worded, {len(g.lemmas) - len(said)} not, {once} with "
              f"forall/exists/count, {differ} differ ({time.process_time() - started:.1f} s)", flush=True)


if __name__ == "__main__":
    main()

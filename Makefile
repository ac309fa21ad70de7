# Two targets do all the set-up on a fresh machine (see README.md):
#   make demo  - installs, then runs `capmodel verify specs/async.cap`
#   make test  - installs, then runs the whole test suite (what CI runs)
# and, for the edit-test loop, `make test-quick` leaves out the tests marked slow.
# Every install takes its versions from requirements.lock, so a class gets the
# same ones; `make lock` writes it again after a change of pyproject.toml's dependencies.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install demo test test-quick lock bench clean

$(BIN)/capmodel: pyproject.toml requirements.lock
	@command -v dot >/dev/null 2>&1 || ./scripts/install-graphviz.sh
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c requirements.lock -e '.[test,z3]'
	@touch $@

install: $(BIN)/capmodel

demo: install
	$(BIN)/capmodel verify specs/async.cap; test $$? -le 1

# Bytecode is cached even where the environment says not to (PYTHONDONTWRITEBYTECODE,
# set on some machines): without it every test worker compiles the test modules
# and their assertion rewriting again (3.5 s against 1.3 s of collection each), and
# every `capmodel` the tests start compiles capmodel again. __pycache__/ is ignored by git.
TEST_ENV := PYTHONDONTWRITEBYTECODE=
# worksteal: an idle worker takes tests queued for a busy one. With xdist's default
# (load), the first quarter of the tests is dealt out in turn and stays where it was
# dealt: one worker ended at 191 s and the other at 348 s of the same run.
XDIST := -n auto --dist worksteal

test: install
	$(TEST_ENV) $(BIN)/python -m pytest $(XDIST)

test-quick: install
	$(TEST_ENV) $(BIN)/python -m pytest $(XDIST) -m "not slow"

lock: install
	$(BIN)/pip install -q pip-tools
	$(BIN)/pip-compile -q --allow-unsafe --extra test --extra z3 --strip-extras --no-emit-index-url \
	  --no-emit-find-links --no-emit-trusted-host --output-file requirements.lock pyproject.toml

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) out/*/ build *.egg-info

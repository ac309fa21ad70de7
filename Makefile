# Two targets do all the set-up on a fresh machine (see README.md):
#   make demo  - installs, then runs `capmodel verify specs/async.cap`
#   make test  - installs, then runs the test suite
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install demo test bench clean

$(BIN)/capmodel: pyproject.toml
	@command -v dot >/dev/null 2>&1 || ./scripts/install-graphviz.sh
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

install: $(BIN)/capmodel

demo: install
	$(BIN)/capmodel verify specs/async.cap; test $$? -le 1

test: install
	$(BIN)/python -m pytest -n auto

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) out/*/ build *.egg-info

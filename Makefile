# Two entry points: `make demo` (one night on the bundled example) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup sandbox demo test lint bench clean

$(BIN)/.nightcrew-installed: pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Nightcrew needs Python 3.11+") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

setup: $(BIN)/.nightcrew-installed

# bubblewrap, for the sandbox code under test runs in (never fails; the night reports it).
sandbox:
	bash action/install-sandbox.sh

demo: setup sandbox
	PATH="$(CURDIR)/$(BIN):$$PATH" bash examples/run-demo.sh

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint sandbox
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/bench_engine.py

clean:
	rm -rf $(VENV) nightcrew-out

# Set-up and everyday commands. `make demo` and `make test` work on a fresh machine:
# they create .venv and install mvgraph with the CPU build of torch pinned first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH := torch==2.13.0

.PHONY: demo test test-slow lint bench-graphs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(TORCH) -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/quickstart.py

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

lint: $(STAMP)
	$(BIN)/ruff check mvgraph tests examples benchmarks

bench-graphs: $(STAMP)
	$(BIN)/python benchmarks/graphs.py

clean:
	rm -rf $(VENV) runs .pytest_cache

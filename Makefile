# kefu — the two commands: `make demo` and `make test`. Each sets up .venv when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck unit setup fmt bench-setup bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/kefu demo

# mypy (about 50 CPU seconds from a cold cache) runs beside the tests rather than before
# them: the test run leaves CPU idle while browsers and servers wait on timers. Lint first
# (seconds), so a style error stops the run before the long part.
test: $(STAMP) lint
	$(MAKE) --no-print-directory -j2 typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check src tests $(wildcard bench)
	$(BIN)/ruff format --check src tests $(wildcard bench)
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# Coverage floors, percent of lines: the whole package, the domain and the service apart.
COV_FLOOR         ?= 90
COV_FLOOR_DOMAIN  ?= 90
COV_FLOOR_SERVICE ?= 90

# Test workers (pytest-xdist); a test file stays on one worker so its server fixtures start once.
# Three on two cores: many files wait on real time (calls carrying audio, browsers, servers
# starting), so a third worker fills the idle CPU: pytest took 10 min 14 s with three on a
# quiet machine, against 22 min 13 s with two before this round's other savings.
# Files go out in collection order, the longest first (tests/conftest.py), not xdist's order
# by number of tests, which puts the one-test browser files last (one worker ends alone).
PYTEST_WORKERS    ?= 3

unit: $(STAMP)
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder --cov --cov-report=
	$(BIN)/coverage report --format=total --fail-under=$(COV_FLOOR)
	$(BIN)/coverage report --format=total --fail-under=$(COV_FLOOR_DOMAIN) --include='*/kefu/domain/*'
	$(BIN)/coverage report --format=total --fail-under=$(COV_FLOOR_SERVICE) --include='*/kefu/service/*'

fmt: $(STAMP)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

# Benchmarks compare kefu with peers that are not kefu dependencies: they live in .venv-bench.
bench-setup:
	test -x .venv-bench/bin/python || $(PYTHON) -m venv .venv-bench
	.venv-bench/bin/python -m pip install -qq -e . "pyworkforce==0.5.1" "ciw==3.2.7" "simpy==4.1.2" "statsforecast==2.1.1"

bench: bench-setup
	for b in routing workforce simulate forecast; do PYTHONPATH=src .venv-bench/bin/python bench/$$b.py || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage build dist src/*.egg-info

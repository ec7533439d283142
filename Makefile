# kefu — the two commands: `make demo` and `make test`. Each sets up .venv when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck unit setup fmt bench-setup bench clean compiled compiled-test

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
	$(MAKE) --no-print-directory -j2 typecheck-compiled unit

# The router, the KPIs and the simulator's loop compiled with mypyc (setup.py): a wheel in build/mypyc, apart from
# the editable source tree, so no compiled module can shadow a later edit of its source.
# Run anything on it with PYTHONPATH=build/mypyc. Rebuilt when a source file changes.
COMPILED_SRC := $(shell find src -name '*.py') setup.py pyproject.toml Makefile
# The whole of build/ goes first: setuptools and mypyc keep their intermediate files there,
# and a module compiled by an earlier build would otherwise slip into the wheel.
build/mypyc/.built: $(COMPILED_SRC) | $(STAMP)
	rm -rf build
	KEFU_MYPYC=1 $(BIN)/python -m pip wheel -qq --no-deps -w build/wheels .
	$(BIN)/python -m pip install -qq --no-deps --target build/mypyc build/wheels/kefu-*.whl
	touch $@

compiled: build/mypyc/.built

# The tests of the compiled modules (the router, the KPIs, the simulator that drives both,
# snapshots that pickle the router, the wallboard that reads the KPIs) run against the
# compiled build too; the run stops if what it imports is not compiled.
# The simulations against Erlang C/A run on the compiled build only (8 s there; about 90 s
# of test time in the loaded main run, pure Python): the golden-log tests, run on both
# builds, show that the two route alike event for event.
COMPILED_ONLY ?= tests/sim/test_sim_erlang.py
COMPILED_TESTS ?= tests/unit/routing tests/property/test_router_center.py \
	tests/property/test_router_regressions.py tests/property/test_router_shadow.py \
	tests/property/test_router_snapshot.py tests/property/test_router_stateful.py tests/unit/sim \
	tests/unit/analytics tests/unit/api/test_wallboard.py tests/unit/api/test_wallboard_frames.py \
	$(COMPILED_ONLY)
compiled-test: compiled
	KEFU_EXPECT_COMPILED=1 PYTHONPATH=build/mypyc $(BIN)/pytest -p no:cacheprovider -q \
		-n 0 --no-cov $(COMPILED_TESTS)

# mypy first, then the compiled build and its tests, beside the main test run.
typecheck-compiled: typecheck
	$(MAKE) --no-print-directory compiled-test

lint: $(STAMP)
	$(BIN)/ruff check src tests $(wildcard bench) setup.py
	$(BIN)/ruff format --check src tests $(wildcard bench) setup.py
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
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder --cov --cov-report= \
		$(addprefix --ignore=,$(COMPILED_ONLY))
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

# dialkit's two entry points (see README):
#   make demo   - the main job on the local emulator: load, plan, send, report, notebooks (no AWS account)
#   make test   - the lint and type gate (make lint), then the whole test suite (unit, emulator over
#                 HTTP, AWS CLI, faults, notebooks, browser)
#   make lint   - ruff check (package, tests, benchmarks, notebooks), ruff format --check, lint-imports (the
#                 layers contract in pyproject.toml), mypy dialkit
#   make test-fast - the unit tests only (no slow, browser or notebook tests): seconds, for development
#   make test-future - the fast tests and the notebooks with the wall clock 400 days 7 hours ahead (CI runs it)
# CI also runs `make test-floor`: the fast unit tests on the lowest declared versions
# (constraints/floor.txt) in a second venv, .venv-floor.
#   make docs   - the documentation site from docs/ into site/ (mkdocs build --strict, offline)
#   make bench  - the performance figures (benchmarks/bench_*.py, one table; not part of make test)
# Both create ./.venv with python3 and pip on first use.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast test-future lint test-floor docs bench venv clean
# The floor venv: the runtime packages the fast tests need, pinned to the declared floors.
# (tests/test_contacts.py is not among them: it pins pandas 3's str dtype and .xlsx samples written
# byte for byte by the current openpyxl, which older versions cannot match.)
FLOOR_VENV  ?= .venv-floor
FLOOR_STAMP := $(FLOOR_VENV)/.installed
FLOOR_PKGS  := boto3 botocore pandas numpy phonenumbers openpyxl pyarrow tqdm statsmodels scipy ville filelock duckdb pytest pytest-timeout hypothesis
# --- declared support (issue 8): the floor venv runs the lowest Python requires-python admits (3.10)
# when the machine has it (pyenv's, or python3.10 on PATH), else $(PYTHON); test-floor prints which.
FLOOR_PYTHON ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.10.*/bin/python3.10) $(shell command -v python3.10 2>/dev/null) $(PYTHON))
# --- end declared support
FLOOR_TESTS := tests/test_model.py tests/test_planning.py tests/test_properties_planning.py tests/test_hostile_plan.py \
               tests/test_emulator.py tests/test_sender.py tests/test_faults.py tests/test_contact_records.py \
               tests/test_ledger.py tests/test_ledger_compat.py tests/test_emulator_fidelity.py tests/test_send_errors.py \
               tests/test_outcome_join.py tests/test_archive.py


$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/dialkit demo --out out

# The gate: configured in pyproject.toml ([tool.ruff], [tool.importlinter], [tool.mypy]).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy dialkit

test: lint
	$(BIN)/python -m pytest tests notebooks --nbval --nbval-sanitize-with notebooks/sanitize.cfg --nbval-current-env -p no:cacheprovider

# --- declared support (issue 8): unit tests only; `slow` and `browser` are pytest markers (pyproject.toml)
test-fast: $(STAMP)
	$(BIN)/python -m pytest tests -m "not slow and not browser" -q -p no:cacheprovider

# The fast suite and the notebooks again with the wall clock 400 days and 7 hours ahead (time-machine,
# ticking; monotonic clocks untouched; the kernels and commands the tests start move too): no test and
# no notebook output may depend on today's date or the hour it runs at. CI runs it after make test.
test-future: $(STAMP)
	$(BIN)/python -m pytest tests notebooks -m "not slow and not browser" -q -p no:cacheprovider \
		--nbval --nbval-sanitize-with notebooks/sanitize.cfg --nbval-current-env --clock-ahead-days 400.3
# --- end declared support

# dialkit itself without its notebook/chart dependencies (--no-deps), then the packages the fast
# tests use, each at the floor that constraints/floor.txt pins.
$(FLOOR_STAMP): pyproject.toml constraints/floor.txt
	rm -rf $(FLOOR_VENV)
	$(FLOOR_PYTHON) -m venv $(FLOOR_VENV)
	$(FLOOR_VENV)/bin/python -m pip install --quiet --no-deps -e .
	$(FLOOR_VENV)/bin/python -m pip install --quiet -c constraints/floor.txt $(FLOOR_PKGS)
	touch $(FLOOR_STAMP)

test-floor: $(FLOOR_STAMP)
	$(FLOOR_VENV)/bin/python -c "import sys, boto3, botocore, pandas; print('floor: Python', sys.version.split()[0], 'boto3', boto3.__version__, 'botocore', botocore.__version__, 'pandas', pandas.__version__)"
	$(FLOOR_VENV)/bin/python -m pytest $(FLOOR_TESTS) -q -p no:cacheprovider

# The site (mkdocs.yml): the pages in docs/, the API reference from the docstrings (mkdocstrings), the
# executed notebooks rendered as they are committed (mkdocs-jupyter, never run here). --strict: a broken
# link, anchor or API name fails the build. Nothing is fetched at build time.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(FLOOR_VENV) out test-artifacts .pytest_cache site .cache/mkdocs-jupyter

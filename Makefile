# dialkit's two entry points (see README):
#   make demo   - the main job on the local emulator: load, plan, send, report, notebooks (no AWS account)
#   make test   - the whole test suite (unit, emulator over HTTP, AWS CLI, faults, notebooks, browser)
#   make bench  - the performance figures (benchmarks/bench_*.py, one table; not part of make test)
# Both create ./.venv with python3 and pip on first use.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench venv clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/dialkit demo --out out

test: $(STAMP)
	$(BIN)/python -m pytest tests notebooks --nbval --nbval-sanitize-with notebooks/sanitize.cfg --nbval-current-env -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) out test-artifacts .pytest_cache

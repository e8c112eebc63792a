# The two commands of the README work on a machine with only Python 3.11+ and make:
# each creates the virtual environment first when it is missing or pyproject.toml changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint screenshots bench bench-quick clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

# Uploads the samples to the built-in sandbox (tracking numbers, read back; then delivery
# events). Some sample rows are bad on purpose, so the tool's exit status 1 (rows not sent) is
# the expected ending here.
demo: $(STAMP)
	$(BIN)/batch-uploader upload samples/*.csv samples/*.xlsx --sandbox --verify \
		--sandbox-unknown-order 1300000000000-01 --sandbox-rate-limited 0.1 --sandbox-seed 7 \
		--url-templates samples/couriers.toml \
		--rate 20 --results output/demo-results.csv || test $$? -eq 1
	$(BIN)/batch-uploader events samples/events/*.csv --sandbox \
		--results output/demo-events-results.csv || test $$? -eq 1

test: $(STAMP) lint
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The README's screenshots of the page: the browser test of the whole flow saves its steps in
# docs/screenshots. It needs the distribution's chromium package (CI=true: fail without it).
screenshots: $(STAMP)
	CI=true SCREENSHOTS_DIR=docs/screenshots $(BIN)/pytest \
		tests/test_browser_flow.py::test_a_file_checked_sent_and_its_results_downloaded \
		tests/test_browser_history.py

$(VENV)/.bench-installed: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	touch $@

# Speed and memory, measured against the baselines; only 127.0.0.1 is ever contacted.
bench: $(VENV)/.bench-installed
	$(BIN)/python -m benchmarks.run --output output/benchmarks.md

bench-quick: $(VENV)/.bench-installed
	$(BIN)/python -m benchmarks.run --quick

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

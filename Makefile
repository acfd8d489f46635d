# One entry point for people and CI. `make demo` and `make test` work on a fresh
# Debian machine: they install what they need (system packages, a virtualenv).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO_OUT ?= demo-out

.PHONY: demo test lint typecheck unit bench system clean lab

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

system:
	bash scripts/install-system-deps.sh

demo: system $(STAMP)
	$(BIN)/pbxlab parse sample_pcaps/*.pcap -o $(DEMO_OUT)/messages.parquet --rtp $(DEMO_OUT)/rtp_streams.parquet --errors $(DEMO_OUT)/errors.csv
	$(BIN)/pbxlab diagnose sample_pcaps/*.pcap --format json > $(DEMO_OUT)/findings.json
	$(BIN)/pbxlab diagnose sample_pcaps/*.pcap
	$(BIN)/pbxlab status sample_pcaps/lab-flapping.pcap --history 210

lint: $(STAMP)
	$(BIN)/ruff check pbxlab tests benchmarks lab
	$(BIN)/ruff format --check pbxlab tests benchmarks lab

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

test: system lint typecheck unit

# JupyterLab on the notebooks (docs/widgets.md)
lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks

bench: system $(STAMP)
	$(BIN)/python benchmarks/bench_capture.py

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache .mypy_cache .ruff_cache

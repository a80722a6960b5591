# Every target bootstraps what it needs: a virtual environment under .venv/ and, for the tests,
# the Debian packages that give real servers (PostgreSQL, SoftHSM2, Chromium, OpenSSL).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench bench-national mutation system-packages keys-dev clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

system-packages:
	@scripts/ensure-system-packages.sh

demo: $(STAMP)
	@scripts/demo.sh

lint: $(STAMP)
	$(BIN)/ruff check cpl formats signing smi api tests bench scripts
	$(BIN)/ruff format --check cpl formats signing smi api tests bench scripts
	$(BIN)/mypy cpl formats signing smi api
	$(BIN)/lint-imports --no-cache

test: $(STAMP) system-packages lint
	$(BIN)/python -m pytest -n 2 tests

bench: $(STAMP) system-packages
	$(BIN)/python -m bench

# Not in CI: 100,000,000 Devices on a PostgreSQL server it starts itself (about 40 GB of disk, an hour
# on 2 cores). BENCH_NATIONAL_SIZES=1000000,10000000 for a smaller run.
bench-national: $(STAMP) system-packages
	$(BIN)/python -m bench.national

# Mutation testing of the pure core (not part of `make test`): one line per module and an overall
# `mutation score:` line; exit 1 when a module is below its threshold (95%).
mutation: $(STAMP)
	$(BIN)/python scripts/mutation.py

keys-dev: $(STAMP)
	$(BIN)/python -m signing.devpki keys-dev

clean:
	rm -rf var/ .pytest_cache .mypy_cache .ruff_cache .hypothesis .mutation

# The two commands of the README: `make book` and `make test`. Both set up everything on a
# fresh machine (a virtual environment in .venv with requirements.txt installed).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export MPLBACKEND := Agg
export PYTHONHASHSEED := 0

.PHONY: setup book book-strict test lint unit html-checks clean

$(STAMP): requirements.txt code/pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	@touch $(STAMP)

setup: $(STAMP)

# Build the website with every notebook executed; a failing cell or any Sphinx warning fails.
book: setup
	$(BIN)/jupyter-book build -W --keep-going -n .
	@echo "Built: _build/html/index.html"

lint: setup
	$(BIN)/ruff check code tests bench
	$(BIN)/ruff format --check code tests bench

# Package tests, notebook pairing and conventions (everything that needs no built book).
unit: setup
	$(BIN)/pytest -m "not html" tests

# Checks on the built HTML (run after `book`).
html-checks: setup
	$(BIN)/pytest -m html tests

test: lint unit book html-checks
	@echo "make test: all checks passed"

clean:
	rm -rf _build

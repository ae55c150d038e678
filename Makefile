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
# OMP_WAIT_POLICY is left at libgomp's default (spin briefly, then sleep). The chapters that
# train run PyTorch on one thread (predcomp.train.reproducible_torch): on a busy 2-core machine,
# two threads waiting for each other made a training step of Chapter 10 about 20x slower
# (measured: 1.9 s against 82 ms on one thread), and the thread count changed its numbers.

.PHONY: setup book test lint unit slow html-checks clean vendor book-student pdf test-student \
	test-all test-busy

$(STAMP): requirements.txt code/pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	@touch $(STAMP)

setup: $(STAMP)

# Build the website with every notebook executed; a failing cell or any Sphinx warning fails.
book: setup vendor
	$(BIN)/jupyter-book build -W --keep-going -n .
	@echo "Built: _build/html/index.html"

lint: setup
	$(BIN)/ruff check code tests bench
	$(BIN)/ruff format --check code tests bench

# Package tests, notebook pairing and conventions (everything that needs no built book), but
# not the `slow` tests (a chapter in a fresh Colab-like runtime: minutes) nor `busy`.
unit: setup
	$(BIN)/pytest -m "not html and not slow and not busy" tests

# The slow package tests; `make test` runs them after `unit`.
slow: setup
	$(BIN)/pytest -m "slow and not html and not busy" tests

# Checks on the built HTML (run after `book`; the student edition's are in test-student).
html-checks: setup
	$(BIN)/pytest -m html tests --ignore=tests/test_student.py

test: lint unit slow book html-checks
	@echo "make test: all checks passed"

# Every chapter notebook executed twice, as the machine is and then with two processes spinning
# on the CPU: their glued values must be identical (only measured times may differ). About
# twice the time of executing the book, so not part of `make test`. BUSY_CHAPTERS=a,b chooses.
test-busy: setup
	$(BIN)/pytest -m busy -s tests/test_busy.py

# MathJax and mermaid for the website, mermaid-cli and puppeteer (npm, pinned in
# package-lock.json) into node_modules/ and _vendor/; without npm the book loads them from a CDN.
vendor:
	_ext/vendor.sh

# The student edition: the book without the solutions (sphinx-exercise's hide_solutions).
STUDENT_HTML := _build/student/_build/html
book-student: setup vendor
	BOOK_EDITION=student $(BIN)/jupyter-book build -W --keep-going -n . --path-output _build/student
	@echo "Built: $(STUDENT_HTML)/index.html"

# The whole book as one PDF: xelatex with Noto CJK fonts, mermaid diagrams via mermaid-cli.
PDF := _build/prediction-is-compression.pdf
pdf: setup vendor
	_ext/system-deps.sh pdf
	$(BIN)/jupyter-book build -W --keep-going -n . --builder pdflatex --path-output _build/pdf
	cp _build/pdf/_build/latex/prediction-is-compression.pdf $(PDF)
	@echo "Built: $(PDF), $$(pdfinfo $(PDF) | awk '/^Pages/ {print $$2}') pages"

EXECUTION_CACHE := _build/.test-all-execution-cache

# The student edition and the check that it holds no solution (CI runs this after `make test`).
test-student: setup
	rm -rf $(EXECUTION_CACHE)
	BOOK_EXECUTION_CACHE=$(EXECUTION_CACHE) $(MAKE) book-student
	STUDENT_HTML=$(STUDENT_HTML) $(BIN)/pytest tests/test_student.py

# `make test`, then the student edition and its check, every chapter notebook in a fresh
# Colab-like runtime, and the PDF. The student and PDF builds share one notebook execution.
# (A fresh cache per run: a stale one could hide a change in the package.)
test-all: test test-student
	COLAB_NOTEBOOKS=all $(BIN)/pytest tests/test_colab.py
	BOOK_EXECUTION_CACHE=$(EXECUTION_CACHE) $(MAKE) pdf
	@echo "make test-all: all checks passed"

clean:
	rm -rf _build

# TAF — 常用命令。所有目标都可重复执行。
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# Every room is type-checked (mypy, pyproject.toml [tool.mypy]).
TYPED := kernel config tape ledger projections backup restore media notify jobs app web tui cli bootstrap.py main.py

.PHONY: install tools run test bench lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

tools:
	bash scripts/test-tools.sh

run: install
	$(PY) main.py

lint: install
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy $(TYPED)

test: install tools
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy $(TYPED)
	$(PY) -m pytest -n 2 --cov --cov-report=term --cov-fail-under=85

bench: install
	$(PY) bench/ledger.py

clean:
	rm -rf $(VENV) .pytest_cache .coverage .coverage.* htmlcov

# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run worker test check lint typecheck openapi format clean demo

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install  ## serve on 127.0.0.1:8000 (embedded PostgreSQL unless CAPACITY_DATABASE_URL is set)
	$(BIN)/capacity-service serve

worker: install  ## run a job worker against the same database as `make run`
	$(BIN)/capacity-service worker

test: install  ## every test, against a real PostgreSQL
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check src tests migrations bench
	$(BIN)/ruff format --check src tests migrations bench

typecheck: install
	$(BIN)/mypy src

check: lint typecheck  ## static checks (the OpenAPI and migration checks run in `make test`)

openapi: install
	$(BIN)/capacity-service openapi

demo: install  ## serve with a demo workspace and print its dashboard address and API key
	$(BIN)/capacity-service demo

format: install
	$(BIN)/ruff check --fix src tests migrations bench
	$(BIN)/ruff format src tests migrations bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

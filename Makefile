# The two commands: `make run` and `make test`. `make check` is exactly what CI runs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000

# The settings refuse to start without SECRET_KEY (unless DEBUG): the tools get a throwaway one.
test lint typecheck migrations-check: export SECRET_KEY ?= make-tools-only-not-a-secret

.PHONY: install run stop test lint format typecheck migrations-check compose-check check clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@if command -v uv >/dev/null 2>&1; then \
	  uv pip install --quiet --python $(BIN)/python -e '.[dev]'; \
	else \
	  $(BIN)/python -m pip install --quiet --upgrade pip && $(BIN)/python -m pip install --quiet -e '.[dev]'; \
	fi
	@touch $(STAMP)

install: $(STAMP)

run: install
	@HOST=$(HOST) PORT=$(PORT) bash bin/run-local

# Stops a `make run` of this checkout that is running elsewhere (e.g. another terminal).
stop:
	@pidfile="$${SERVICEDESK_VAR_DIR:-var}/run-local.pid"; \
	if [ -f "$$pidfile" ] && kill -TERM "$$(cat "$$pidfile")" 2>/dev/null; then \
	  echo "Asked servicedesk (pid $$(cat "$$pidfile")) to stop."; \
	else echo "servicedesk is not running from this checkout."; fi

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install
	$(BIN)/mypy .

migrations-check: install
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python bin/check-migrations-reversible

compose-check: install
	bash bin/check-compose

check: test lint typecheck migrations-check compose-check

clean:
	rm -rf $(VENV) var test-results .mypy_cache .ruff_cache

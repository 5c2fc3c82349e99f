# The two commands a new user needs: `make run` and `make test`. Each sets everything up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench seed migrate db-url clean

$(STAMP): requirements.txt requirements-dev.txt tools/install_paths.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python tools/install_paths.py
	@# PgBouncer is a Debian package, not a wheel: the tests run a real one (docs/deployment.md)
	@test -x /usr/sbin/pgbouncer || command -v pgbouncer >/dev/null || { if [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null; \
	  else echo "pgbouncer is missing: run 'sudo apt-get install pgbouncer' (the PgBouncer tests need it)" >&2; exit 1; fi; }
	touch $(STAMP)

run: $(STAMP)  ## start the embedded database (unless DATABASE_URL), migrate, seed, serve everything
	$(BIN)/python -m tools.run

test: $(STAMP)  ## the whole suite against a real PostgreSQL
	$(BIN)/python -m pytest $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared gateway tools bench services/registry/registry services/service-requests/service_requests services/elections/elections services/grid/grid services/identity/identity services/notifications/notifications tests

bench: $(STAMP)  ## benchmarks; prints ratios against the baselines measured in the same run
	$(BIN)/python -m bench $(ARGS)

seed: $(STAMP)  ## load the demo data (idempotent)
	$(BIN)/python -m tools.run --seed-only

migrate: $(STAMP)
	$(BIN)/python -m tools.migrate upgrade

db-url: $(STAMP)  ## print the database URL the commands use
	$(BIN)/python -m tools.devdb

clean:
	rm -rf $(VENV) .data

# make run: the whole tracker on embedded defaults · make test: lint, migrations check and tests
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test superuser clean

$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.installed-dev: $(BIN)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# Development values so that a newcomer sets nothing; production sets its own.
run: export DEBUG ?= 1
run: export SECRET_KEY ?= dev-only-not-secret
run: export PATH := $(abspath $(BIN)):$(PATH)
run: $(BIN)/.installed
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_cases
	@echo ""
	@echo "  The tracker: http://127.0.0.1:8000/   Admin: http://127.0.0.1:8000/admin/"
	@echo "  Make an admin user (in another terminal): $(BIN)/python manage.py createsuperuser"
	@echo ""
	$(BIN)/honcho start -f Procfile

test: export SECRET_KEY ?= test-only-not-secret
test: $(BIN)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

superuser: $(BIN)/.installed
	DEBUG=1 $(BIN)/python manage.py createsuperuser

clean:
	rm -rf $(VENV) var

# make bench: pages, search, feeds and API under load against the bare-view ceiling (PostgreSQL and Redis on
# 127.0.0.1; BENCH_SCALE=small for a quick run); writes bench/results/latest.json
.PHONY: bench soak
bench: $(BIN)/.installed
	$(BIN)/python bench/run.py

# make soak: ten minutes at half the capacity make bench measured; fails on any failed request or growing memory
soak: $(BIN)/.installed
	$(BIN)/python -m bench.soak

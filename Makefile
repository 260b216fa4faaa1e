# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test chat install lint typecheck pytest bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV) || python3 -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make run: install, migrate, load demo data if the database is empty, serve on $$PORT (3978)
## with Teams as a local trial (this machine only, for the Agents Playground) unless told otherwise
run: $(STAMP)
	$(BIN)/apbot migrate
	$(BIN)/apbot seed-demo --if-empty
	TEAMS_LOCAL_TRIAL=$${TEAMS_LOCAL_TRIAL:-true} $(BIN)/apbot serve

## make chat: talk to the bot in the terminal as a demo teacher
chat: $(STAMP)
	$(BIN)/apbot migrate --quiet
	$(BIN)/apbot seed-demo --if-empty --quiet
	$(BIN)/apbot chat --as $${AS:-teacher@oakfield.example}

## make test: install, then ruff, mypy and the whole pytest suite
test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check bot dialogs storage tests benchmarks
	$(BIN)/ruff format --check bot dialogs storage tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

## the suite on every core (each test has its own database); JOBS=0 runs it in one process
JOBS ?= auto
pytest: $(STAMP)
	$(BIN)/pytest -n $(JOBS)

## make bench: the benchmarks of issues 7 and 17 on PostgreSQL (and turn_cost on SQLite too), small size (SIZE=full for the full size;
## BENCH_POSTGRES=URL for another server: each makes and drops its own scratch database)
BENCH_POSTGRES ?= postgresql://postgres@127.0.0.1:5432/postgres
bench: $(STAMP)
	$(BIN)/python -m benchmarks.turn_cost --postgres $(BENCH_POSTGRES)
	$(BIN)/python -m benchmarks.webhook_ack --size $${SIZE:-small} --postgres $(BENCH_POSTGRES)
	$(BIN)/python -m benchmarks.webhook_ack --size $${SIZE:-small} --postgres $(BENCH_POSTGRES) --separate-worker
	$(BIN)/python -m benchmarks.webhook_ack --size $${SIZE:-small} --postgres $(BENCH_POSTGRES) --worker-after
	$(BIN)/python -m benchmarks.morning_rush --size $${SIZE:-small} --workers 2 --postgres $(BENCH_POSTGRES)
	$(BIN)/python -m benchmarks.national_scale --size $${SIZE:-small} --postgres $(BENCH_POSTGRES)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

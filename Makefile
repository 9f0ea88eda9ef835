# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
# .venv is made with PYTHON when it is set (it must be 3.11, 3.12 or 3.13), else with the newest
# of those that scripts/python.sh finds; it says which and why.
PYTHON ?=
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test venv dev-deps lint hooks bench bench-api up down load clean contact-sheet

$(BIN)/python:
	@py="$$(scripts/python.sh pick $(PYTHON))" && "$$py" -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when the requirement files change.
$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed

venv: $(VENV)/.runtime-installed
dev-deps: $(VENV)/.dev-installed

run: venv
	scripts/run.sh

test: dev-deps
	scripts/test.sh

# Also the first step of `make test`; `make hooks` runs the same checks before each commit.
lint: dev-deps
	scripts/lint.sh

hooks: dev-deps
	$(BIN)/pre-commit install

# The renderer's ratios beside their targets, then one long job on one cluster against two.
bench: venv
	$(BIN)/python scripts/bench_render.py
	$(BIN)/python scripts/measure_fan_out.py

# CPU per request of the status poll, the htmx progress partial and create, each beside its target.
bench-api: venv
	$(BIN)/python scripts/bench_api.py

# Every scene of every library story in every style, one grid per style in var/contact-sheets/.
contact-sheet: venv
	$(BIN)/python scripts/contact_sheet.py

# Production shape on one Docker host (needs Docker with compose v2 and a filled-in .env).
up:
	@test -f .env || { echo "copy .env.example to .env and set its secrets first" >&2; exit 1; }
	docker compose up -d --build

down:
	docker compose down

# 100 status pollers and a burst of job creations against gunicorn on 127.0.0.1.
load: dev-deps
	$(BIN)/python scripts/load_test.py

clean:
	rm -rf $(VENV) $(VENV)-3.* var staticfiles

# The two commands of a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# The demo and the development server run on the embedded default, whatever the shell exports.
EMBEDDED := env -u DATABASE_URL -u REDIS_URL -u CELERY_BROKER_URL -u AI_PROVIDER -u OPENAI_API_KEY

.PHONY: install demo run test lint format services worker beat fake-openai bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

demo: install
	$(EMBEDDED) $(PY) manage.py migrate -v0
	$(EMBEDDED) $(PY) manage.py demo

run: install
	$(EMBEDDED) $(PY) manage.py migrate -v0
	$(EMBEDDED) $(PY) manage.py seed_demo_site
	$(EMBEDDED) $(PY) manage.py runserver 127.0.0.1:8000

services:
	bash scripts/ensure_services.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: install lint services
	@command -v chromium >/dev/null 2>&1 || echo "NOTE: Chromium is not installed, so the browser tests (tests/browser) are skipped. Install Debian's chromium package (apt-get install chromium) to run them."
	$(PY) -m pytest -q

worker: install
	$(PY) -m celery -A igny8 worker -Q celery,automation -l info

beat: install
	$(PY) -m celery -A igny8 beat -l info

fake-openai: install
	$(PY) -m ai.fake_server --port 8765

bench: install services
	$(PY) bench/run.py

clean:
	rm -rf var .pytest_cache .ruff_cache

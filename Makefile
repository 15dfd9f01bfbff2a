# The two commands of a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# `semantic`: sentence-embedding clustering for keyless runs (onnxruntime, no PyTorch; ~190 MB).
# `make install EXTRAS=dev` leaves it out; pip keeps downloaded wheels in its cache between installs.
EXTRAS ?= dev,semantic
# The demo and the development server run on the embedded default, whatever the shell exports.
EMBEDDED := env -u DATABASE_URL -u REDIS_URL -u CELERY_BROKER_URL -u AI_PROVIDER -u OPENAI_API_KEY

.PHONY: install demo run test test-long lint format services worker beat fake-openai bench bench-clustering bench-site-guard bench-site-voice clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[$(EXTRAS)]"
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
	bash scripts/ensure_wordpress.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: install lint services
	@command -v chromium >/dev/null 2>&1 || echo "NOTE: Chromium is not installed, so the browser tests (tests/browser) are skipped. Install Debian's chromium package (apt-get install chromium) to run them."
	$(PY) -m pytest -q

# The soak: the fault tests' long trials (deselected from `make test`); FAULT_SOAK_TRIALS sets how many.
test-long: install services
	$(PY) -m pytest -q -s -m long tests/integration/test_faults.py

worker: install
	$(PY) -m celery -A igny8 worker --pool=threads -c 8 -l info

beat: install
	$(PY) -m celery -A igny8 beat -l info

fake-openai: install
	$(PY) -m devtools.openai_server --port 8765

bench: install services
	$(PY) bench/run.py

bench-clustering: install
	$(PY) bench/clustering.py

bench-site-guard: install
	$(PY) bench/site_guard.py

bench-site-voice: install
	$(PY) bench/site_voice.py

clean:
	rm -rf var .pytest_cache .ruff_cache

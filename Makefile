# Every target installs what it needs into .venv (or .venv312) first: `make demo` only the
# suite and what the example site needs, the other targets the test and docs tools too.
SHELL := /bin/bash
PYTHON ?= python3.11
# pyenv's shim only answers for its selected version, so look for an installed 3.12 first.
PYTHON312 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) python3.12)
VENV := .venv
PY := $(VENV)/bin/python
VENV312 := .venv312
PY312 := $(VENV312)/bin/python
# Django 6 for the Python 3.12 run.
DJANGO6 ?= Django>=6.0,<6.2
PG_URL ?= postgres://postgres@127.0.0.1:5432/wagtail_grantee
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15
# Where `make demo` serves: `make demo PORT=8080`. DEMO_URL is the address that browsers use,
# for links and ALLOWED_HOSTS: `make demo HOST=0.0.0.0 DEMO_URL=http://192.168.1.5:8000`.
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_URL ?= http://$(HOST):$(PORT)
# A host site that swaps Wagtail's base page model: its own settings, so its own pytest run.
SWAPPED_PAGE_TESTS := -c tests_swapped/pytest.ini tests_swapped

.PHONY: demo test test-postgres test-py312 lint format docs bench wheel quickstart messages browser clean

$(VENV)/.demo-installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[demo]"
	touch $@

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.demo-installed

$(VENV312)/.installed: pyproject.toml
	test -x $(PY312) || $(PYTHON312) -m venv $(VENV312)
	$(PY312) -m pip install --quiet --upgrade pip
	$(PY312) -m pip install --quiet -e ".[test,postgres,redis]" "$(DJANGO6)"
	touch $@

# One Django process prepares everything (migrate, demo content, admin account), then the
# site and a django-q2 worker run until Ctrl-C. The Site and the links point at DEMO_URL.
demo: $(VENV)/.demo-installed
	cd example_site && WAGTAILADMIN_BASE_URL=$(DEMO_URL) ../$(PY) manage.py setup_demo
	cd example_site && export WAGTAILADMIN_BASE_URL=$(DEMO_URL) && trap 'kill 0' EXIT; \
		../$(PY) manage.py qcluster & \
		../$(PY) manage.py runserver $(HOST):$(PORT)

# Browser tests need Debian's Chromium; install it where we may (root with apt-get).
browser:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
		|| echo "Chromium is not installed: browser tests will be skipped."; }

test: $(VENV)/.installed browser
	$(PY) -m pytest $(PYTEST_ARGS)
	$(PY) -m pytest $(SWAPPED_PAGE_TESTS)

test-postgres: $(VENV)/.installed browser
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL) $(PY) -m pytest $(PYTEST_ARGS)
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL) $(PY) -m pytest $(SWAPPED_PAGE_TESTS)

test-py312: $(VENV312)/.installed browser
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL) $(PY312) -m pytest $(PYTEST_ARGS)
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL) $(PY312) -m pytest $(SWAPPED_PAGE_TESTS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check src tests tests_swapped example_site bench
	$(VENV)/bin/ruff format --check src tests tests_swapped example_site bench

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix src tests tests_swapped example_site bench
	$(VENV)/bin/ruff format src tests tests_swapped example_site bench

messages: $(VENV)/.installed
	for app in wagtail_grantee wagtail_grantee_sms; do \
		(cd src/$$app && ../../$(PY) -m django makemessages --locale id --no-obsolete \
			--settings tests.settings --pythonpath ../.. && \
		../../$(PY) -m django compilemessages --settings tests.settings --pythonpath ../..) ; \
	done

docs: $(VENV)/.installed
	$(VENV)/bin/mkdocs build --strict

bench: $(VENV)/.installed
	@for script in bench/bench_*.py; do [ -e "$$script" ] || continue; \
		echo "== $$script"; $(PY) "$$script" || exit 1; done

wheel: $(VENV)/.installed
	rm -rf dist && $(PY) -m pip wheel --quiet --no-deps --wheel-dir dist .

quickstart: wheel
	bash .ci/quickstart dist/*.whl

clean:
	rm -rf dist build site .pytest_cache example_site/db.sqlite3

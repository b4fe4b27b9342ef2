# Two commands on a fresh machine: `make up` runs the platform, `make test` passes the tests.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The event backbone (outbox relay, consumer runner, dead letters, replay), run a second time on
# Tansu: the embedded fallback where Java or Maven is missing must keep working.
BACKBONE_TESTS := tests/integration/test_consumer_faults.py tests/integration/test_replay.py \
	tests/integration/test_scoring_consumer.py tests/integration/test_relay_order.py tests/e2e/test_faults.py

.PHONY: up test test-tools lint typecheck unit clean install lock web-messages web-compile

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,embedded,bench]"
	touch $(STAMP)

install: $(STAMP)

up: $(STAMP)
	$(BIN)/kinerja up

# Debian packages that tests drive (kcat: the librdkafka client of the interoperability test),
# installed when missing where we may (root with apt-get); elsewhere their tests skip, saying why.
TEST_PACKAGES := kcat
APT_GET := DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=600
test-tools:
	@for package in $(TEST_PACKAGES); do \
	  command -v $$package >/dev/null 2>&1 && continue; \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing $$package with apt-get"; \
	    $(APT_GET) install $$package >/dev/null 2>&1 \
	    || { $(APT_GET) update >/dev/null 2>&1 && $(APT_GET) install $$package >/dev/null 2>&1; } \
	    || echo "could not install $$package: its tests will be skipped"; \
	  else echo "$$package is missing (apt-get install $$package as root): its tests will be skipped"; fi; \
	done

test: $(STAMP) test-tools lint typecheck
	$(BIN)/pytest -q -p no:cacheprovider --timeout=600
	KINERJA_EMBEDDED_BROKER=tansu $(BIN)/pytest -q -p no:cacheprovider --timeout=600 $(BACKBONE_TESTS)

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit tests/contract

# The layers' import contracts ([tool.importlinter] in pyproject.toml) are part of the lint.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache --no-logo

typecheck: $(STAMP)
	$(BIN)/mypy .

# The production image installs deploy/requirements.lock (runtime dependencies, pinned with hashes).
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet pip-tools
	PIP_FIND_LINKS= $(BIN)/pip-compile --quiet --generate-hashes --strip-extras --no-emit-index-url \
		--no-emit-find-links --output-file deploy/requirements.lock pyproject.toml

# PostgreSQL's data sits outside .kinerja when its user could not reach it there (see kinerja/postgres.py).
clean:
	@if [ -L .kinerja/postgres ]; then rm -rf "$$(readlink .kinerja/postgres)"; fi
	rm -rf .kinerja

# The platform's texts (shared/locale, shared.i18n): the web pages' and the services' refusals,
# one catalogue so a text is translated once. Extract them from code and templates into the template
# catalogue, merge it into the Indonesian catalogue (translate what is new there), compile.
LOCALE := shared/locale
MESSAGE_SOURCES := services/web services/planning services/reporting services/scoring services/feedback shared
web-messages: $(STAMP)
	$(BIN)/pybabel extract -F $(LOCALE)/babel.cfg --no-location --sort-output -w 110 \
		--project=kinerja -o $(LOCALE)/messages.pot $(MESSAGE_SOURCES)
	$(BIN)/pybabel update -i $(LOCALE)/messages.pot -d $(LOCALE) -l id --no-fuzzy-matching --ignore-obsolete -w 110

web-compile: $(STAMP)
	$(BIN)/pybabel compile -d $(LOCALE) -D messages --statistics

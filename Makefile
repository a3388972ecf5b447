# The two commands: `make demo` and `make test`. Each sets itself up from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test setup lint unit bench serve clean browser catalogs quality

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# The compiled message catalogs (.mo, not in git) are remade whenever their .po source changes.
CATALOGS := $(patsubst %.po,%.mo,$(wildcard src/anxin/*/locale/*/LC_MESSAGES/*.po))

%.mo: %.po $(STAMP)
	$(BIN)/python -m tools.catalogs compile
	touch $@

setup: $(STAMP) $(CATALOGS)

# Debian's Chromium for the page tests (a browser download is not possible here), and the Noto CJK fonts the pages'
# screenshots and the report's PDF need (checked on their own: a machine may have Chromium without them).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian chromium for the page tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "chromium not found: page tests will be skipped (set ANXIN_REQUIRE_BROWSER=1 to fail instead)"; fi; }
	@fc-list 2>/dev/null | grep -q "Noto Sans CJK" || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian fonts-noto-cjk for the report's PDF"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk fontconfig libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; \
	  else echo "Noto Sans CJK not found: the report's PDF cannot be made (apt-get install fonts-noto-cjk)"; fi; }

catalogs: $(CATALOGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/python -m tools.catalogs --check
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/pytest -q -p no:cacheprovider tests/api/test_openapi.py::test_the_schema_passes_the_openapi_linter

test: setup browser lint
	$(BIN)/pytest -m "not slow"

demo: setup
	$(BIN)/anxin demo

bench: setup
	$(BIN)/python -m bench.decide

# Every quality figure in docs/risk.md and docs/scores.md, regenerated (about an hour; bench/quality.py).
quality: setup
	$(BIN)/python -m bench.quality

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache

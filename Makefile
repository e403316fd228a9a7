# dhrbuild developer tasks. `make demo` and `make test` work on a fresh machine: they install what they need.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
EXAMPLE := examples/northshire-alex
APT_PACKAGES := poppler-utils qpdf ghostscript pngquant libreoffice-writer-nogui libreoffice-calc-nogui libjpeg-turbo-progs jbig2dec fonts-dejavu-core fonts-dejavu-extra chromium chromium-driver
SRC := $(wildcard dhrbuild tests examples benchmarks)

.PHONY: install system-deps axe frontend demo example test lint typecheck format bench clean docs fuzz

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) system-deps axe

# axe-core, the accessibility engine the browser test of `dhrbuild serve` runs on every page (npm
# registry; pinned). Without npm the browser test is skipped and says why.
AXE_VERSION := 4.14.1
AXE := $(VENV)/axe/node_modules/axe-core/axe.min.js
axe: $(AXE)
$(AXE):
	@if command -v npm >/dev/null 2>&1; then \
	  npm install --silent --no-save --no-audit --no-fund --prefix $(VENV)/axe axe-core@$(AXE_VERSION); \
	else echo "note: npm not found; the browser test of dhrbuild serve will be skipped"; fi

# Debian packages used by the tests' renders, the benchmarks, Word parts and .xls/.ods action plans
# (LibreOffice Writer and Calc); installed only when missing.
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "note: Debian packages missing:$$missing (install them with apt-get as root)"; fi; \
	fi

demo: install
	$(VENV)/bin/dhrbuild assemble $(EXAMPLE)/manifest.yaml

example: install
	$(PY) examples/make_example.py $(EXAMPLE)

test: install
	$(PY) -m pytest -q --cov=dhrbuild --cov-branch --cov-report=term:skip-covered

lint: $(STAMP)
	$(VENV)/bin/ruff check $(SRC)
	$(VENV)/bin/ruff format --check $(SRC)

format: $(STAMP)
	$(VENV)/bin/ruff check --fix $(SRC)
	$(VENV)/bin/ruff format $(SRC)

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# OCRmyPDF's optimizer is a peer in the benchmark only: it gets its own venv outside the tree,
# and the benchmark notes it as skipped if it cannot be installed.
BENCH_CACHE ?= /tmp/dhrbuild-bench
bench: install
	@test -x $(BENCH_CACHE)/venv-ocrmypdf/bin/python || { mkdir -p $(BENCH_CACHE) && \
	  $(PYTHON) -m venv $(BENCH_CACHE)/venv-ocrmypdf && \
	  $(BENCH_CACHE)/venv-ocrmypdf/bin/pip install --quiet ocrmypdf; } || echo "note: OCRmyPDF not installed; skipped"
	$(PY) benchmarks/bench_merge.py --cache $(BENCH_CACHE) --slow-runs 1

# A time-bounded fuzzing campaign over the shared corpora (tests/fuzzing): mutated PDFs fed to a
# whole build, `dhrbuild check` and `dhrbuild inspect`. Each defect's input and details land in
# $(FUZZ_FINDINGS)/seed-$(FUZZ_SEED)/; exits non-zero if any defect was found.
FUZZ_SECONDS ?= 600
FUZZ_SEED ?= 1
FUZZ_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_FINDINGS ?= fuzz-findings
fuzz: install
	$(PY) -m tests.fuzzing --seconds $(FUZZ_SECONDS) --seed $(FUZZ_SEED) --workers $(FUZZ_WORKERS) --findings $(FUZZ_FINDINGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage $(EXAMPLE)/dist

# Regenerate what is generated from the manifest models: the README reference and the shipped schema.
docs: $(STAMP)
	$(PY) -c "from pathlib import Path; from dhrbuild.handoff.schema import update_readme, schema_text, SCHEMA_FILE; update_readme(Path('README.md')); SCHEMA_FILE.write_text(schema_text(), encoding='utf-8')"

# GOV.UK Frontend's stylesheet, shipped in the package for dhrbuild serve (see dhrbuild/serve/static/README.md):
# its GDS Transport @font-face rules (licensed for GOV.UK only) and source map reference are removed.
FRONTEND_VERSION := 6.6.0
frontend:
	rm -rf /tmp/dhrbuild-frontend && mkdir -p /tmp/dhrbuild-frontend
	cd /tmp/dhrbuild-frontend && npm pack --silent govuk-frontend@$(FRONTEND_VERSION) >/dev/null && tar xzf govuk-frontend-$(FRONTEND_VERSION).tgz
	sed -E 's/@font-face\{[^}]*\}//g; s/"?GDS Transport"?,//g; s#/\*\# sourceMappingURL=[^*]*\*/##' \
	  /tmp/dhrbuild-frontend/package/dist/govuk/govuk-frontend.min.css > dhrbuild/serve/static/govuk-frontend.min.css
	rm -rf /tmp/dhrbuild-frontend

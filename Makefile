# loyaltysim developer tasks. Run `make` or `make help` to list them.
#
# Everything runs through the project's own virtualenv (.venv) by calling its
# binaries directly; nothing needs `source .venv/bin/activate`.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV     ?= .venv
VENV_BIN := $(VENV)/bin
VENV_PY  := $(VENV_BIN)/python
# Written after a successful install; reinstall only when pyproject.toml is newer.
STAMP    := $(VENV)/.loyaltysim-installed

REPORT_DIR     ?= report
PYTEST_WORKERS ?= 2

# Non-interactive, quiet-ish pip (CI has no stdin).
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_NO_INPUT := 1

.PHONY: help venv demo ui validate test test-fast lint clean

help:
	@echo "loyaltysim make targets:"
	@echo "  make demo    set up .venv, then compare corner_pharmacy, loyal_brand and both in one town"
	@echo "               and write an HTML report to $(REPORT_DIR)/report.html"
	@echo "  make ui      set up .venv, then start the browser UI at http://127.0.0.1:8765/"
	@echo "  make validate  set up .venv, then reproduce the published findings at full size"
	@echo "               and write docs/validation.md (VALIDATE_FLAGS=--quick for a fast pass)"
	@echo "  make test    set up .venv, then run ruff (lint + format check), mypy and the whole test"
	@echo "               suite (pytest -n $(PYTEST_WORKERS)); CI runs exactly this;"
	@echo "               installs Debian's chromium for the browser test if missing (as root)"
	@echo "  make test-fast  the fast tier for editing (2-4 minutes): ruff, mypy and pytest"
	@echo "               without the tests marked slow (golden outputs, long runs, the browser)"
	@echo "  make lint    set up .venv, then run ruff check, ruff format --check and mypy"
	@echo "  make venv    create .venv with Python >= 3.12 and pip install -e '.[dev]'"
	@echo "               (every extra: ui, cluster, clv, ema; plus test, notebook and docs tools)"
	@echo "               (reinstalls only when pyproject.toml changed)"
	@echo "  make clean   remove .venv, $(REPORT_DIR)/, build artifacts and tool caches"
	@echo "  make help    show this message"
	@echo
	@echo "Python is found by scripts/find-python.sh; override with PYTHON=/path/to/python3.12."

# --- shared set-up -----------------------------------------------------------

define create_venv
	py="$$(PYTHON="$(PYTHON)" bash scripts/find-python.sh)" || exit 1; \
	echo "==> Creating $(VENV) with $$py ($$("$$py" --version 2>&1))"; \
	rm -rf "$(VENV)"; \
	"$$py" -m venv "$(VENV)" || { echo "error: '$$py -m venv $(VENV)' failed" >&2; exit 1; }
endef

# 1 when the venv's interpreter runs and is >= 3.12, else empty. A venv that is
# missing, broken (e.g. its base Python was removed) or too old is rebuilt.
VENV_OK := $(shell "$(VENV_PY)" -c 'import sys; print(int(sys.version_info >= (3, 12)))' 2>/dev/null)

venv: $(STAMP)
	@:

ifneq ($(VENV_OK),1)
$(STAMP): FORCE
endif
$(STAMP): pyproject.toml
	@if ! "$(VENV_PY)" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
		if [ -e "$(VENV)" ]; then echo "==> $(VENV) is missing, broken or older than Python 3.12; recreating it"; fi; \
		$(create_venv); \
	fi
	@echo "==> Installing loyaltysim with every extra and dev tools into $(VENV): pip install -e '.[dev]'"
	"$(VENV_PY)" -m pip install -e '.[dev]'
	@touch "$(STAMP)"

.PHONY: FORCE
FORCE:

# --- tasks --------------------------------------------------------------------

demo: venv
	"$(VENV_BIN)/loyaltysim" compare corner_pharmacy loyal_brand pharmacy_vs_brand --report "$(REPORT_DIR)"
	@if [ -f "$(REPORT_DIR)/report.html" ]; then \
		echo; \
		echo "==> Report written to $(REPORT_DIR)/report.html"; \
		echo "    open it in a browser: file://$(CURDIR)/$(REPORT_DIR)/report.html"; \
	else \
		echo "error: loyaltysim finished but $(REPORT_DIR)/report.html was not created" >&2; \
		exit 1; \
	fi

ui: venv
	"$(VENV_BIN)/loyaltysim" ui

validate: venv
	"$(VENV_BIN)/loyaltysim" validate $(VALIDATE_FLAGS)

lint: venv
	"$(VENV_BIN)/ruff" check .
	"$(VENV_BIN)/ruff" format --check .
	"$(VENV_BIN)/mypy"

test-fast: venv
	@lint_rc=0; \
	"$(VENV_BIN)/ruff" check . || lint_rc=$$?; \
	"$(VENV_BIN)/ruff" format --check . || lint_rc=$$?; \
	"$(VENV_BIN)/mypy" || lint_rc=$$?; \
	test_rc=0; \
	"$(VENV_PY)" -m pytest -q -n $(PYTEST_WORKERS) -m "not slow and not install" --ignore=tests/browser || test_rc=$$?; \
	[ $$lint_rc -eq 0 ] && [ $$test_rc -eq 0 ]

# Runs ruff and pytest even if ruff fails, and fails if either failed. The browser test needs
# Debian's Chromium: scripts/install-chromium.sh installs it when missing (as root), or explains
# what to do (LOYALTYSIM_SKIP_BROWSER_TESTS=1 skips that one test on purpose).
test: venv
	@lint_rc=0; \
	echo "==> ruff check ."; \
	"$(VENV_BIN)/ruff" check . || lint_rc=$$?; \
	echo "==> ruff format --check ."; \
	"$(VENV_BIN)/ruff" format --check . || lint_rc=$$?; \
	echo "==> mypy (the core, see pyproject.toml)"; \
	"$(VENV_BIN)/mypy" || lint_rc=$$?; \
	echo "==> Chromium for the browser test"; \
	browser_rc=0; \
	bash scripts/install-chromium.sh || browser_rc=$$?; \
	echo "==> pytest -q -n $(PYTEST_WORKERS) (the 15 slowest tests listed at the end: CI must stay under 30 min)"; \
	test_rc=0; \
	"$(VENV_PY)" -m pytest -q -n $(PYTEST_WORKERS) --durations=15 || test_rc=$$?; \
	if [ $$lint_rc -ne 0 ]; then echo "error: ruff check, ruff format --check or mypy failed, see above" >&2; fi; \
	if [ $$browser_rc -ne 0 ]; then echo "error: Chromium for the browser test is missing, see above" >&2; fi; \
	if [ $$test_rc -eq 5 ]; then echo "error: pytest collected no tests (exit 5)" >&2; \
	elif [ $$test_rc -ne 0 ]; then echo "error: pytest failed (exit $$test_rc), see above" >&2; fi; \
	[ $$lint_rc -eq 0 ] && [ $$browser_rc -eq 0 ] && [ $$test_rc -eq 0 ]

clean:
	rm -rf "$(VENV)" "$(REPORT_DIR)" build dist .pytest_cache .ruff_cache .hypothesis
	find . -path ./.git -prune -o \( -name __pycache__ -o -name '*.egg-info' \) -type d -prune -exec rm -rf {} +

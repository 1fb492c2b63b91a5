# Desktop Blog: the two commands a new machine needs are `make run` and `make test`.
# Everything else (system packages, the virtual environment) is set up by them on the way.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.stamp
SRC    := desktop_blog tests benchmarks
BENCH  ?=

# QtWebEngine (Chromium) refuses to start as root unless its sandbox is off, and pytest then dies
# with exit code 1 and no output at all. Turn it off only for root, never for a normal user.
ifeq ($(shell id -u),0)
ROOT_ENV := QTWEBENGINE_DISABLE_SANDBOX=1
else
ROOT_ENV :=
endif

.PHONY: help venv sysdeps sysdeps-test run test lint format bench clean

help:
	@echo "make run      start Desktop Blog (installs what is missing first)"
	@echo "make test     lint, format check and the whole test suite, headless"
	@echo "make bench    benchmarks (one of them: make bench BENCH=startup)"
	@echo "make lint     ruff check;  make format: ruff format + ruff check --fix"
	@echo "make clean    remove the venv, caches and build output"

# The venv is rebuilt only when pyproject.toml changes (or the stamp is missing).
venv: $(STAMP)
$(STAMP): pyproject.toml
	@if [ ! -x $(BIN)/python ]; then \
		$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
			echo "make: Desktop Blog needs Python >= 3.11; $(PYTHON) is older." \
				"Use for example: make PYTHON=python3.12 $(MAKECMDGOALS)" >&2; exit 1; }; \
		echo "$(PYTHON) -m venv $(VENV)"; $(PYTHON) -m venv $(VENV); \
	fi
	$(BIN)/python -m pip install -e '.[test]'
	@touch $@

sysdeps:
	@bash scripts/ensure-system-deps.sh

sysdeps-test:
	@bash scripts/ensure-system-deps.sh --test

run: sysdeps venv
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ]; then \
		echo "make run: neither DISPLAY nor WAYLAND_DISPLAY is set, so there is no screen to show" \
			"the window on. Without one, use:  xvfb-run -a make run   (trying anyway)" >&2; \
	fi
	$(ROOT_ENV) $(BIN)/desktop-blog

# pytest exits 5 when it collected no tests: that is a failure here, not a pass.
test: sysdeps-test venv
	$(BIN)/ruff check $(wildcard $(SRC))
	$(BIN)/ruff format --check $(wildcard $(SRC))
	@status=0; QT_QPA_PLATFORM=offscreen $(ROOT_ENV) $(BIN)/python -m pytest $(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 5 ]; then \
		echo "make test: FAILED: pytest collected no tests (exit code 5)" >&2; exit 5; \
	fi; \
	exit $$status

lint: venv
	$(BIN)/ruff check $(wildcard $(SRC))
	$(BIN)/ruff format --check $(wildcard $(SRC))

format: venv
	$(BIN)/ruff format $(wildcard $(SRC))
	$(BIN)/ruff check --fix $(wildcard $(SRC))

bench: sysdeps-test venv
	@test -f benchmarks/run.py || { echo "make bench: benchmarks/run.py does not exist yet" >&2; exit 1; }
	QT_QPA_PLATFORM=$${QT_QPA_PLATFORM:-offscreen} $(ROOT_ENV) $(BIN)/python benchmarks/run.py $(BENCH)

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

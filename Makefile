# Every target creates or reuses .venv (`python3 -m venv`); `make` alone lists the targets.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# torch for the benchmarks and their smoke tests, pinned: on PyPI an unpinned torch can
# resolve to a version this code was never run with. `make test TORCH=` skips torch and the
# bench group (the smoke tests then skip); the linter itself never needs torch.
TORCH  ?= torch==2.13.0
# Where torch comes from. On PyPI, Linux x86_64 gets the multi-GB CUDA build; the CPU build:
#   make test TORCH_INDEX=https://download.pytorch.org/whl/cpu
TORCH_INDEX ?=
# Extra pytest arguments for make test, e.g. PYTEST_ARGS='-m "not network"' offline.
PYTEST_ARGS ?=
# make test-matrix: one wheel, a fresh venv per interpreter found, the linter's tests in each.
MATRIX_PYTHONS ?= python3.9 python3.11 python3.13
MATRIX_DIR     ?= build/matrix
# The pre-commit hook tests build an environment from the package index; left out here.
MATRIX_PYTEST_ARGS ?= -m "not network"

PIP := $(BIN)/python -m pip install -q
TORCH_SOURCE := $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))

.DEFAULT_GOAL := help
.PHONY: help demo test lint test-matrix bench clean

help: ## list the targets (what plain `make` does)
	@echo "make TARGET, where TARGET is one of:"
	@awk 'BEGIN {FS = ":[^#]*## "} /^[a-z-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "Variables: PYTHON=$(PYTHON) TORCH=$(TORCH) TORCH_INDEX=$(TORCH_INDEX)"
	@echo "           MATRIX_PYTHONS=$(MATRIX_PYTHONS)"

# pip >= 25.1 reads the dependency groups of pyproject.toml (`--group test`); a .venv made
# before that is upgraded too, through the marker.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.pip: | $(BIN)/python
	$(PIP) --upgrade 'pip>=25.1'
	touch $@

$(VENV)/.installed-base: pyproject.toml | $(VENV)/.pip
	$(PIP) -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/.pip
	$(PIP) -e '.[lsp]' --group test
	touch $@ $(VENV)/.installed-base

# mypy checks lsp_server.py against the types of pygls, hence the lsp extra.
$(VENV)/.installed-lint: pyproject.toml | $(VENV)/.pip
	$(PIP) -e '.[lsp]' --group lint || { echo "make: could not install ruff 0.17.6 and mypy 2.4.1 (mypy 2.4.1 needs Python >= 3.10; this .venv: $$($(BIN)/python -V))"; exit 1; }
	touch $@ $(VENV)/.installed-base

$(VENV)/.installed-bench: pyproject.toml | $(VENV)/.pip
	$(PIP) $(TORCH_SOURCE) $(TORCH) || { echo "make: could not install $(TORCH) for $$($(BIN)/python -V); torch 2.13.0 has wheels for Python 3.10-3.14. Without torch: make test TORCH="; exit 1; }
	$(PIP) -e . --group bench
	touch $@ $(VENV)/.installed-base

# Exit status 1 means "findings", which is what the demo is for; 2 (an error) still fails.
demo: $(VENV)/.installed-base ## lint the bundled examples with flake8 and with nograd-lint, show a fix
	@echo "== flake8 --select=NG examples/"
	@$(BIN)/flake8 --select=NG examples/ || [ $$? -eq 1 ]
	@echo
	@echo "== nograd-lint examples/"
	@$(BIN)/nograd-lint examples/ || [ $$? -eq 1 ]
	@echo
	@echo "== nograd-lint --diff --unsafe-fixes examples/train_and_validate.py   (NG001's autofix, not applied)"
	@$(BIN)/nograd-lint --diff --unsafe-fixes examples/train_and_validate.py || [ $$? -eq 1 ]
	@echo
	@echo "== nograd-lint --select NG002 --diff --unsafe-fixes examples/kept_graph.py   (NG002's autofix)"
	@$(BIN)/nograd-lint --select NG002 --diff --unsafe-fixes examples/kept_graph.py || [ $$? -eq 1 ]
	@echo
	@echo "== nograd-lint --select NG003 --diff --unsafe-fixes examples/retain_graph.py   (NG003's autofix)"
	@$(BIN)/nograd-lint --select NG003 --diff --unsafe-fixes examples/retain_graph.py || [ $$? -eq 1 ]
	@echo
	@echo "== nograd-lint --statistics examples/   (findings per rule)"
	@$(BIN)/nograd-lint --statistics examples/ || [ $$? -eq 1 ]
	@echo
	@echo "nograd-lint and flake8 are installed in $(VENV): run $(BIN)/nograd-lint PATH,"
	@echo "or activate the environment first: source $(BIN)/activate"

lint: $(VENV)/.installed-lint ## ruff check, ruff format --check and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint $(VENV)/.installed-test $(if $(TORCH),$(VENV)/.installed-bench) ## lint, then the whole test suite (TORCH= to skip torch)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test-matrix: | $(BIN)/python ## the linter's tests from one wheel on each of MATRIX_PYTHONS (no torch)
	rm -rf $(MATRIX_DIR)
	$(BIN)/python -m pip wheel -q --no-deps --wheel-dir $(MATRIX_DIR)/dist .
	@passed=; failed=; \
	for py in $(MATRIX_PYTHONS); do \
	  if ! "$$py" -c "" >/dev/null 2>&1; then echo "== $$py: not found, skipped"; continue; fi; \
	  env="$(MATRIX_DIR)/$$(basename "$$py")"; \
	  echo "== $$py: $$("$$py" -V 2>&1), fresh venv $$env, $$(basename $(MATRIX_DIR)/dist/*.whl)"; \
	  if "$$py" -m venv "$$env" \
	    && "$$env/bin/python" -m pip install -q --upgrade 'pip>=25.1' \
	    && "$$env/bin/python" -m pip install -q $(MATRIX_DIR)/dist/*.whl --group test \
	    && "$$env/bin/python" -c "import nograd_lint; print('   testing', nograd_lint.__file__)" \
	    && "$$env/bin/python" -m pytest -q -p no:cacheprovider $(MATRIX_PYTEST_ARGS); \
	  then passed="$$passed $$py"; else failed="$$failed $$py"; fi; \
	done; \
	echo "== passed:$${passed:- none}; failed:$${failed:- none}"; \
	[ -n "$$passed" ] && [ -z "$$failed" ]

bench: $(VENV)/.installed-bench ## memory, time and energy with vs without no_grad (CPU)
	$(BIN)/python -m benchmarks --device cpu --out benchmarks/results/cpu

clean: ## remove .venv and build output
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache

# The README's two commands: `make demo` and `make test`. Both create or reuse .venv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# torch is pinned first: an unpinned torch pulls a multi-GB CUDA build; 2.13.0 is a CPU build here.
TORCH  ?= torch==2.13.0

.PHONY: demo test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed-base: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q $(TORCH)
	$(BIN)/python -m pip install -q -e '.[test,bench,lsp]'
	touch $@ $(VENV)/.installed-base $(VENV)/.installed-bench

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q $(TORCH)
	$(BIN)/python -m pip install -q -e '.[bench]'
	touch $@ $(VENV)/.installed-base

## demo: lint the bundled examples with flake8 and with the standalone command, show a fix
# Exit status 1 means "findings", which is what the demo is for; 2 (an error) still fails.
demo: $(VENV)/.installed-base
	@echo "== flake8 --select=NG examples/"
	@$(BIN)/flake8 --select=NG examples/ || [ $$? -eq 1 ]
	@echo
	@echo "== nograd-lint examples/"
	@$(BIN)/nograd-lint examples/ || [ $$? -eq 1 ]
	@echo
	@echo "== nograd-lint --diff examples/train_and_validate.py   (the autofix, not applied)"
	@$(BIN)/nograd-lint --diff examples/train_and_validate.py || [ $$? -eq 1 ]

## test: the whole test suite
test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -q

## bench: memory, time and energy with vs without no_grad (CPU; CUDA when available)
bench: $(VENV)/.installed-bench
	$(BIN)/python -m benchmarks --device cpu --out benchmarks/results/cpu

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache

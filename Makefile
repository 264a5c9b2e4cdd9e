# Every target installs what it needs into .venv first (and is quick when it is up to date).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
export PACT_DO_NOT_TRACK := true

.PHONY: verify test check tests contracts fuzz chaos load pacts specs clean help
.DEFAULT_GOAL := help

help:  ## List the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# uv installs the ~150 packages in seconds where pip takes over a minute (most of CI's set-up);
# pip does it alone if uv cannot be had. Bytecode is compiled at install time because CI sets
# PYTHONDONTWRITEBYTECODE: without it every child process would compile every module again.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check uv \
	  && $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[dev]' \
	  || $(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

verify: $(STAMP) pacts  ## Run the whole gate on the bundled example (reports/latest/)
	$(BIN)/interlock verify

test: check tests  ## Run the static checks and the test suite (what CI runs)

check: $(STAMP)  ## Lint, format, types and layer rules (ruff, mypy, import-linter)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Four workers on two cores: most tests wait on real services and subprocesses, not on the CPU.
tests: $(STAMP)  ## Run the test suite in parallel
	@$(BIN)/python -m compileall -q src tests examples  # the suite starts hundreds of interlock processes
	$(BIN)/python -m pytest -n 4

pacts: $(STAMP)  ## Run the example's consumer contract tests; they write contracts/pacts/
	$(BIN)/python -m pytest contracts -q

specs: $(STAMP)  ## Export the example providers' OpenAPI specs to examples/shop/*/openapi.json
	$(BIN)/python -m examples.shop.specs
	$(BIN)/python -m tests.fixtures.specs.make_fixtures  # the diff tests' modified copies follow them

contracts: $(STAMP) pacts  ## Verify the example's pacts against its providers
	$(BIN)/interlock contracts

fuzz: $(STAMP)  ## Fuzz the example's providers from their OpenAPI specs (profile ci)
	$(BIN)/interlock fuzz

chaos: $(STAMP)  ## Run the example's chaos experiments through the fault proxy
	$(BIN)/interlock chaos

load: $(STAMP)  ## Run the example's load profiles (load/*.yaml) against their SLOs
	$(BIN)/interlock load

clean:  ## Remove reports, caches and the virtual environment
	rm -rf reports .pytest_cache .hypothesis .schemathesis .interlock $(VENV) src/*.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

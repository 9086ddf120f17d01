# atlasc: `make help` lists the targets.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help setup run demo test test-all typecheck docs docs-serve bench fuzz differential lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@# an editable install writes no bytecode, and where PYTHONDONTWRITEBYTECODE is set nothing
	@# else does: every run would compile the ~155 modules it imports from source (~0.3 s of CPU)
	$(BIN)/python -m compileall -q atlasc compiler runtime grammar
	@# likewise the ~720 methods @dataclass compiles at every start-up (~0.06 s): compiler/classcode.py
	$(BIN)/python -c 'import sys, atlasc.compiler.classcode as c; sys.exit(c.main())'
	touch $(STAMP)

setup: $(STAMP) ## create the virtual environment and install atlasc with its test tools

run: $(STAMP) ## set up, then run the showcase: one example per query class (examples/showcase.sh)
	ATLASC=$(BIN)/atlasc sh examples/showcase.sh

demo: $(STAMP) ## the operators from Python: reports and values (examples/core_demo.py)
	$(BIN)/python examples/core_demo.py

test: $(STAMP) ## set up, then run the test suite (fast tier, ~minutes)
	$(BIN)/python -m pytest -q -x -p no:cacheprovider

test-all: $(STAMP) ## every test, including the slow tier
	$(BIN)/python -m pytest -q -p no:cacheprovider -m ''

typecheck: $(STAMP) ## mypy --strict on the package, staged as it installs (tests/test_typing.py runs the same)
	$(BIN)/python -m tests.stage build/typing-stage >/dev/null
	cd build/typing-stage && $(CURDIR)/$(BIN)/python -m mypy --config-file $(CURDIR)/pyproject.toml \
		--cache-dir $(CURDIR)/build/mypy-cache -p atlasc

# mkdocs 1.6 prints a banner about mkdocs 2 on every build; the docs extra pins mkdocs<2
DOCS := NO_MKDOCS_2_WARNING=1 $(BIN)/python -m mkdocs

docs: $(STAMP) ## set up, then build the docs site into site/ (docs/ and the docstrings; mkdocs.yml)
	$(DOCS) build --strict

docs-serve: $(STAMP) ## serve the docs site on localhost:8000, rebuilt as you edit
	$(DOCS) serve

FUZZ_CASES ?= 100000
FUZZ_JOBS ?= 2
fuzz: $(STAMP) ## the long fuzz campaign: FUZZ_CASES inputs over every format, FUZZ_JOBS workers, resumable (bench/fuzz-results.json)
	nice -n 19 $(BIN)/python -m tests.fuzz.campaign --cases $(FUZZ_CASES) --seed 1 \
		--jobs $(FUZZ_JOBS) --resume --out bench/fuzz-results.json --save bench/fuzz-failures

DIFF_CASES ?= 10000
differential: $(STAMP) ## the differential campaign: DIFF_CASES cases per semiring and level against brute force, resumable (bench/differential-results.json)
	nice -n 19 $(BIN)/python -m tests.reliability.differential --cases $(DIFF_CASES) --seed 1 \
		--resume --out bench/differential-results.json

bench: $(STAMP) ## run the benchmarks and write bench/RESULTS.md
	$(BIN)/python bench/run.py

lint: $(STAMP) ## static checks
	$(BIN)/python -m pyflakes compiler runtime tests 2>/dev/null || true

clean: ## remove the virtual environment and caches
	rm -rf $(VENV) build site *.egg-info

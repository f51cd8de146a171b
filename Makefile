# Entry points of vt-refs. `make test` is what CI runs; it installs what it needs itself.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
LINTED := overlays tests tools bench examples

.PHONY: install bytecode generate check-generated lint docs test demo bench profile fuzz clean

install: $(STAMP)

# Re-run whenever the dependency lists change; a fresh clone has no .venv and starts here.
$(STAMP): pyproject.toml tools/generator-requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check \
		-r tools/generator-requirements.txt -e '.[dev]'
	touch $(STAMP)

# Bytecode for the editable sources, which nothing else writes when PYTHONDONTWRITEBYTECODE
# is set (it was on the machines measured): without it every process the tests and the
# bench start compiles vt_refs and the generated package anew (~0.2 s each).
bytecode: $(STAMP)
	$(PY) -m compileall -q -j 0 overlays generated

generate: $(STAMP)
	$(PY) tools/generate.py

check-generated: $(STAMP)
	$(PY) tools/generate.py --check

# mypy --strict also over tests/typing/: typed usage examples (assert_type, as typeshed's
# test cases), which check what users' code infers from the helpers.
lint: $(STAMP)
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)
	$(VENV)/bin/mypy --strict overlays
	$(VENV)/bin/mypy --strict tests/typing

# The reference (pdoc) and the guides of docs/ as one static site in site/; fails on any
# warning, broken link or unresolved name. Opens offline: nothing is fetched from a CDN.
docs: $(STAMP)
	$(PY) tools/build_docs.py --output site

# Independent tests, spread over every core (pytest-xdist); `-n 0` runs them in one process.
# The site is built by tests/test_docs_site.py, which fails on what `make docs` fails on.
test: $(STAMP) check-generated lint bytecode
	$(PY) -m pytest -n auto

# The demo needs no key and no network: it runs against the local fake VirusTotal.
demo: $(STAMP)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash examples/demo.sh

# vt-py lives in its own environment: it must not shape what the SDK's tests run with.
BENCH_VENV  := .venv-bench
BENCH_STAMP := $(BENCH_VENV)/.installed

$(BENCH_STAMP): bench/requirements.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	touch $(BENCH_STAMP)

bench: $(STAMP) $(BENCH_STAMP) bytecode
	$(PY) bench/run.py --vt-py-python $(BENCH_VENV)/bin/python

# Where one pagination walk spends its time (pyinstrument): `make profile CONTENDER=raw` etc.
CONTENDER ?= vt_refs
profile: $(STAMP)
	$(PY) bench/run.py --profile $(CONTENDER)

# Long hypothesis profile (20x the examples) with a fresh random seed, printed before and
# after; `make fuzz HYPOTHESIS_SEED=N` replays one. Turn what it finds into example tests.
fuzz: $(STAMP)
	@seed=$(HYPOTHESIS_SEED); seed=$${seed:-$$($(PY) -c 'import secrets; print(secrets.randbelow(2**32))')}; \
	echo "make fuzz: hypothesis seed $$seed (replay with: make fuzz HYPOTHESIS_SEED=$$seed)"; \
	HYPOTHESIS_PROFILE=long $(PY) -m pytest tests/test_parsing_fuzz.py tests/test_parsing_strategies.py \
		--hypothesis-seed=$$seed --timeout=1800 -q; \
	status=$$?; echo "make fuzz: hypothesis seed was $$seed"; exit $$status

clean:
	rm -rf $(VENV) $(BENCH_VENV) .pytest_cache .mypy_cache .hypothesis build dist site

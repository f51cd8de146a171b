# Entry points of vt-refs. `make test` is what CI runs; it installs what it needs itself.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
LINTED := overlays tests tools

.PHONY: install generate check-generated lint test demo bench fuzz clean

install: $(STAMP)

# Re-run whenever the dependency lists change; a fresh clone has no .venv and starts here.
$(STAMP): pyproject.toml tools/generator-requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check \
		-r tools/generator-requirements.txt -e '.[dev]'
	touch $(STAMP)

generate: $(STAMP)
	$(PY) tools/generate.py

check-generated: $(STAMP)
	$(PY) tools/generate.py --check

lint: $(STAMP)
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)
	$(VENV)/bin/mypy --strict overlays

test: $(STAMP) check-generated lint
	$(PY) -m pytest

demo:
	@echo "make demo: the fake VirusTotal server, the CLI and examples/ come with issue 4"; exit 1

bench:
	@echo "make bench: benchmarks against a raw httpx loop and vt-py come with issue 6"; exit 1

fuzz:
	@echo "make fuzz: the long hypothesis profile comes with issue 5"; exit 1

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .hypothesis build dist

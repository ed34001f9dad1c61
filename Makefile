# riskgraph: `make demo` runs the main job on the embedded store; `make test` runs every
# test, with a real Neo4j server that the project fetches and starts itself.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: venv system-packages web demo test lint neo4j-fetch neo4j-start neo4j-stop clean

$(VENV)/.installed: pyproject.toml requirements.lock scripts/bootstrap-venv.sh
	bash scripts/bootstrap-venv.sh

venv: $(VENV)/.installed

# chromium (web page tests) and a CJK font (plots); installed by apt only when missing.
system-packages:
	bash scripts/install-system-packages.sh

# The investigator page's graph library (Cytoscape.js from the npm registry, pinned and
# digest-checked), fetched once into web/static/vendor/; `make web` fetches it again.
WEB_VENDOR := web/static/vendor/cytoscape.esm.min.js

$(WEB_VENDOR): scripts/build-web.sh
	bash scripts/build-web.sh

web:
	bash scripts/build-web.sh

demo: venv system-packages $(WEB_VENDOR)
	$(BIN)/riskgraph demo $(ARGS)

neo4j-fetch: venv
	$(BIN)/python -m graph.server fetch

# pytest starts its own Neo4j server for the session (or uses RISKGRAPH_NEO4J_URI).
test: venv system-packages neo4j-fetch $(WEB_VENDOR)
	$(BIN)/python -m pytest $(ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy

neo4j-start: venv
	$(BIN)/riskgraph neo4j start

neo4j-stop: venv
	$(BIN)/riskgraph neo4j stop

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache

# CityLake — `make` lists the targets.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
SCHEDULERS ?= 1
export CITYLAKE_DATA_DIR ?= $(abspath ../shared/data)

.DEFAULT_GOAL := help
.PHONY: help setup constraints up down reliability scale-demo bench bench-quick demo demo-traffic demo-safety demo-forecast demo-energy demo-urban demo-emergency demo-gov bench-anomalies bench-fusion bench-dp bench-surges bench-shifting bench-traffic bench-rules bench-validation bench-search bench-aqi bi bi-down test test-fast test-s3 lint hooks format docs query tables clean-lake clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/citylake: constraints.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "needs $(PYTHON) (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[test,bench]"
	rm -rf *.egg-info  # the build's leftover: beside the venv's record, Airflow would load our plugin twice
	@touch $@

constraints: ## rewrite constraints.txt: every package pyproject.toml's pins pull in, resolved afresh in a scratch venv
	rm -rf var/constraints-venv && $(PYTHON) -m venv var/constraints-venv
	var/constraints-venv/bin/pip install --quiet --upgrade pip
	var/constraints-venv/bin/pip install --quiet ".[test,bench]"
	var/constraints-venv/bin/pip freeze --exclude citylake --exclude pip | LC_ALL=C sort -f > constraints.txt
	rm -rf var/constraints-venv build *.egg-info
	@echo "constraints.txt rewritten: review the diff, run make test, commit"

setup: $(BIN)/citylake ## create .venv and install the pinned dependencies
	@echo "set up: $(VENV) ($$($(BIN)/python --version))"

demo: setup ## run the air-quality pipeline end to end through Airflow into var/lake, print a summary
	$(BIN)/citylake demo

demo-traffic: setup ## traffic: feeds, curated readings, model training and scoring through Airflow (~8 min)
	$(BIN)/citylake demo traffic

demo-safety: setup ## public safety: SYNTHETIC police sources + Chicago assaults, rules and hotspots through Airflow
	$(BIN)/citylake demo safety

demo-forecast: setup ## air quality a day ahead, replayed hour by hour over the data's last 3 days: live scores, switches, drift (~10 min)
	$(BIN)/citylake demo forecast

demo-energy: setup ## energy, water, noise, surface water: real household, pipe and bills + SYNTHETIC meters through Airflow
	$(BIN)/citylake demo energy

demo-urban: setup ## urban management: SYNTHETIC city-management cases over the real Chicago areas through Airflow
	$(BIN)/citylake demo urban

demo-emergency: setup ## emergency command: SYNTHETIC calls, sensor alarms, posts + Tempe's real calls fused into incidents
	$(BIN)/citylake demo emergency

demo-gov: setup ## e-government: air, COVID-19 tests and SYNTHETIC urban cases through Airflow, then the city's indicators, the weekly brief (HTML, PDF) and the open data
	$(BIN)/citylake demo gov

scale-demo: setup ## node loss for real (root; installs Debian's Ceph and nginx once): a storage daemon, a gateway, a worker host, a scheduler lost mid-run; rows lost, duplicates, recovery seconds; 1, 2, 4 hosts timed
	@command -v ceph-mgr >/dev/null && command -v radosgw >/dev/null && command -v nginx >/dev/null || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$($(BIN)/python -c "from pipelines.scaleout.storage_cluster import PACKAGES; print(*PACKAGES)") >/dev/null)
	$(BIN)/citylake scale-demo

bench: setup ## every performance goal in one run (about an hour): ingest vs DuckDB, 1 vs 2 workers, one large file (10^7, 10^8 rows), itemsets vs fim, BI latency, Airflow overhead; var/bench/results.{json,md}
	$(BIN)/python benchmarks/bench.py

bench-quick: setup ## the same at the small sizes, a few minutes
	$(BIN)/python benchmarks/bench.py --quick

bench-anomalies: setup ## water anomalies: event precision/recall of both detectors on seeded series; the real pipe charted
	$(BIN)/python benchmarks/water_anomalies.py

bench-fusion: setup ## emergency reports fused into incidents: pairwise precision and recall against the SYNTHETIC truth
	$(BIN)/python benchmarks/fusion.py

bench-dp: setup ## differential privacy: the real daily positives with OpenDP noise at several budgets, the error and the signals found
	$(BIN)/python benchmarks/dp_signals.py

bench-surges: setup ## call-volume surges: recall and false alarms per week of both detectors on the SYNTHETIC hotline; forecast warnings' skill
	$(BIN)/python benchmarks/call_surges.py

bench-shifting: setup ## peak shaving by shifting load: peak before/after, the optimum and the solve time for 10, 100, 1,000 buildings
	$(BIN)/python benchmarks/load_shifting.py

bench-rules: setup ## association rules: CityLake (cluster and in process) vs mlxtend vs fim at 10^5 and 10^6 cases
	$(BIN)/python benchmarks/association_rules.py

bench-validation: setup ## what Great Expectations costs: its share of standardizing each Beijing file (target within 30 %)
	$(BIN)/python benchmarks/validation_cost.py

bench-search: setup ## search latency: p50/p95 by key, place, district and time window on SYNTHETIC incidents (ROWS=10000000)
	$(BIN)/python benchmarks/search_latency.py --rows $(or $(ROWS),1000000)

bench-aqi: setup ## air quality a day ahead: MAE per model and horizon, heavy-pollution warning hit rate and false alarms on the last year
	$(BIN)/python benchmarks/aqi_forecast.py

bench-traffic: setup ## traffic: the whole model x horizon x metric table from one backtest, and the target
	$(BIN)/python benchmarks/traffic_forecast.py

bi: setup ## BI: Superset with the City situation dashboard on :8088 and the Postgres-wire endpoint on :5433 (installs Superset once)
	$(BIN)/citylake bi up

bi-down: ## stop exactly what `make bi` started
	$(BIN)/citylake bi down

up: setup ## start Airflow (api-server, scheduler, dag-processor, triggerer) and a Dask cluster locally; UI on :8080 (SCHEDULERS=2: two schedulers on PostgreSQL)
	$(BIN)/citylake up --schedulers $(SCHEDULERS)

down: ## stop exactly what `make up` started
	$(BIN)/citylake down

test: setup ## run the whole test suite (S3 tests need the real S3 server: see .ci/run)
	$(BIN)/python -m pytest --durations=40

reliability: setup ## the reliability suite at full repetitions (worker loss, crashes mid-publish, races, hostile input, security, node loss; `make test` runs fewer): a table of figures
	CITYLAKE_RELIABILITY=full $(BIN)/python -m pytest tests/reliability -q -p no:cacheprovider

lint: setup ## the gates CI runs: ruff (lint + format), mypy, import-linter's layer contracts, docs in step with the catalog
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/citylake docs --check

hooks: ## a git pre-commit hook that runs `make lint`: a newcomer's commit meets the gates CI applies
	printf '#!/bin/sh\nexec make lint\n' > .git/hooks/pre-commit
	chmod +x .git/hooks/pre-commit

format: setup ## apply ruff's fixes and format
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

docs: setup ## regenerate docs/schemas.md and docs/marts.md from the lake catalog
	$(BIN)/citylake docs

test-fast: setup ## the unit tests only
	$(BIN)/python -m pytest tests/unit -q

tables: setup ## list the lake's tables
	$(BIN)/citylake tables

query: setup ## run SQL over the marts: make query SQL="SELECT ..."
	$(BIN)/citylake query "$(SQL)"

clean-lake: ## delete the local lake and Airflow state (var/)
	rm -rf var

clean: clean-lake ## also delete the virtual environment
	rm -rf $(VENV) *.egg-info

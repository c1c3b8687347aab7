# Attest: `make run` serves the dashboard on demo data; `make test` runs every check.
# Both install what is missing first (scripts/setup.sh) and are safe to run again.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

# The Postgres half of the store test suite runs against this server; under CI=true an
# unreachable Postgres fails the run instead of being skipped.
export ATTEST_TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
DEMO_DB ?= attest.db
DEMO_EVENTS ?= 5000

.PHONY: run test setup setup-test build site lint unit e2e bench

## run: set up, build, load demo data into ./$(DEMO_DB) and serve http://127.0.0.1:3000
run: setup build
	@echo "== loading $(DEMO_EVENTS) demo deliveries into $(DEMO_DB) and serving http://127.0.0.1:3000"
	target/debug/attest --database-url "sqlite://$(DEMO_DB)" demo --events $(DEMO_EVENTS) --site-root target/site

## test: formatting, lints, unit + integration tests (SQLite and Postgres), end-to-end in Chromium
# `cargo leptos build` compiles the server a second time: `cargo test` unifies dev-dependency
# features (tokio, axum, sqlx differ), and cargo-leptos sets LEPTOS_OUTPUT_NAME, which names the
# wasm bundle the page loads. Setting that variable for every cargo command (a [env] in
# .cargo/config.toml) also reaches the wasm build, which then fails to hydrate.
test: setup-test lint unit build e2e
	@echo "== all checks passed"

setup:
	@scripts/setup.sh build

setup-test:
	@scripts/setup.sh test

build:
	@echo "== building the server and the wasm front end (cargo leptos build)"
	cargo leptos build

site:
	@echo "== building the wasm front end, styles and assets (cargo leptos build --frontend-only)"
	cargo leptos build --frontend-only

lint:
	@echo "== cargo fmt --check"
	cargo fmt --all --check
	@echo "== cargo clippy (server side, and the wasm front end)"
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p app --lib --target wasm32-unknown-unknown --features hydrate -- -D warnings

unit:
	@echo "== cargo test (unit and integration; store suite on SQLite and on $$ATTEST_TEST_POSTGRES_URL)"
	cargo test --workspace

e2e:
	@echo "== end-to-end tests in Chromium against a real attest serve"
	scripts/e2e.sh

## bench: print throughput and latency figures (never fails on time)
bench:
	scripts/bench.sh

#!/usr/bin/env bash
# Prints Attest's performance figures (see server/benches/bench.rs). Never fails on time.
set -euo pipefail
cd "$(dirname "$0")/.."
export ATTEST_TEST_POSTGRES_URL=${ATTEST_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
export ATTEST_LOG=${ATTEST_LOG:-warn}
cargo bench -p server --bench bench

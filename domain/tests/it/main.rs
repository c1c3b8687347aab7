//! Domain integration tests: one binary. The store suite runs every test on SQLite (always) and
//! on Postgres (when `ATTEST_TEST_POSTGRES_URL` is set; required under `CI=true`), each test in
//! a fresh database file or schema.

mod access_suite;
mod findings_suite;
mod ledger_suite;
mod review_suite;
mod store_suite;
mod support;

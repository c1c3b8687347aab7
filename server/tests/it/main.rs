//! Server integration tests, one binary: the HTTP contract of webhooks, the API and health, and
//! the `attest` command line, against a real server on a loopback port and a real SQLite file.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod access;
mod api;
mod auth;
mod cli;
mod export;
mod findings;
mod hook_secrets;
mod hooks;
mod notifications;
mod oidc;
mod people;
mod push;
mod rendering;
mod reviews;
mod support;

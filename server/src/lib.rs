//! The `attest` server: configuration, the HTTP surface (webhooks, JSON API, pages) and the
//! command-line jobs. Product logic lives in `domain`; this crate wires it to the outside.

pub mod auth;
pub mod cli;
pub mod config;
pub mod jwks;
pub mod notify;
pub mod routes;

pub use routes::{router, AppState};

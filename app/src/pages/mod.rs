//! One module per route: the timeline, one event, access, findings, people, ingest health, and
//! sign-in, Attest's own audit log, API tokens, webhook secrets, and the page for unknown URLs.

pub mod access;
pub mod access_graph;
pub mod audit;
pub mod campaigns;
pub mod event;
pub mod findings;
pub mod ingest;
pub mod not_found;
pub mod people;
pub mod reviews;
pub mod signin;
pub mod timeline;
pub mod tokens;
pub mod webhooks;

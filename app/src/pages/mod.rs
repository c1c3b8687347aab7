//! One module per route: the timeline, one event, ingest health, and the page for unknown URLs.

pub mod event;
pub mod ingest;
pub mod not_found;
pub mod timeline;

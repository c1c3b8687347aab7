//! Effective access: who can reach what, through which grants, at any time.
//!
//! [`graph`] is pure and shared with the front end (its answer types); the policy evaluator
//! reads IAM documents with the normalizers' helpers, so it is server-side only.

#[cfg(feature = "store")]
pub mod aws_policy;
pub mod graph;

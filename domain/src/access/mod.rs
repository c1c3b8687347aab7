//! Effective access: who can reach what, through which grants, at any time.
//!
//! [`graph`] and the [`findings`] types are pure and shared with the front end (its answer
//! types); the policy evaluator and the checks read IAM documents with the normalizers'
//! helpers, so they are server-side only.

#[cfg(feature = "store")]
pub mod aws_policy;
pub mod findings;
pub mod graph;
pub mod picture;

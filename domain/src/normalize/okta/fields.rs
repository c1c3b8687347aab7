//! Field readers for Okta events. Okta writes camelCase keys, but SIEM exports (Panther's
//! `Okta.SystemLog`, for one) lowercase some of them (`eventtype`, `debugcontext`): the shared
//! case-blind readers of `normalize::fields` take both.

pub(super) use crate::normalize::fields::{at, get, text, time};

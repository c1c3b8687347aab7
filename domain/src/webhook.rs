//! The push endpoints of every platform but GitHub (see [`crate::ingest::github_delivery`]):
//! authenticate a request on its raw bytes, answer the platform's handshakes, and split what
//! arrived into inbox deliveries keyed for idempotency. Pure functions over a [`HookRequest`],
//! so the HTTP layer stays thin and all of this is tested without a server.
//!
//! Once a request is authenticated, nothing it carries is dropped: a body that cannot be split
//! or decoded is stored whole, keyed by its hash, and fails normalization with the reason.

use crate::model::Source;
use crate::normalize;
use crate::signature::{Secrets, SignatureError};
use crate::store::IncomingDelivery;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The largest body a push endpoint buffers. EventBridge caps events at 256 KB, Pub/Sub
/// messages at 10 MB, Event Grid batches at 1 MB, Okta hooks are small: 25 MB covers all.
pub const MAX_BODY: usize = 25 * 1024 * 1024;

/// A request as the HTTP layer hands it over. Header names are lowercase.
#[derive(Debug, Clone)]
pub struct HookRequest {
    pub headers: Vec<(String, String)>,
    pub received_at: DateTime<Utc>,
    pub body: Vec<u8>,
}

impl HookRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// The presented secret of token-authenticated sources: `Authorization: Bearer <token>`
    /// (or the bare header value), else the named header.
    fn token(&self, header: &str) -> Option<&str> {
        self.header(header).or_else(|| {
            self.header("authorization")
                .map(|v| v.strip_prefix("Bearer ").unwrap_or(v).trim())
        })
    }

    /// The headers worth keeping with a delivery: never credentials.
    fn kept_headers(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .filter(|(name, _)| KEPT_HEADERS.contains(&name.as_str()))
            .cloned()
            .collect()
    }
}

const KEPT_HEADERS: [&str; 8] = [
    "user-agent",
    "content-type",
    "x-gitlab-event",
    "x-gitlab-event-uuid",
    "x-gitlab-instance",
    "idempotency-key",
    "aeg-event-type",
    "x-tfe-notification-signature",
];

/// What a push endpoint answers.
#[derive(Debug, Clone, PartialEq)]
pub enum HookReply {
    /// Store these, then answer 2xx.
    Deliveries(Vec<IncomingDelivery>),
    /// A platform handshake, answered 200 with this JSON; nothing is stored.
    Handshake(Value),
}

#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error(transparent)]
    Unauthenticated(#[from] SignatureError),
    #[error("missing or empty {0} header")]
    MissingHeader(&'static str),
}

fn body_key(body: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(body)))
}

fn delivery(
    request: &HookRequest,
    source: Source,
    key: String,
    kind: Option<&str>,
    body: Vec<u8>,
) -> IncomingDelivery {
    IncomingDelivery {
        source,
        delivery_key: key,
        kind: kind.map(str::to_owned),
        received_at: request.received_at,
        headers: request.kept_headers(),
        body,
    }
}

/// An authenticated body that cannot be split, kept whole under its hash: normalization then
/// fails with what is wrong with it, and nothing is lost.
fn kept_whole(request: &HookRequest, source: Source, kind: &str) -> HookReply {
    let body = request.body.clone();
    let key = body_key(&body);
    HookReply::Deliveries(vec![delivery(request, source, key, Some(kind), body)])
}

/// Checks a shared token in constant time against every configured one.
fn check_token(
    secrets: &Secrets,
    presented: Option<&str>,
    header: &'static str,
) -> Result<(), SignatureError> {
    if secrets.is_empty() {
        return Err(SignatureError::NotConfigured);
    }
    let presented = presented.ok_or(SignatureError::Missing(header))?;
    if secrets.matches(presented.as_bytes()) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch(header))
    }
}

/// `POST /hooks/gitlab`: `X-Gitlab-Token` must equal a configured token. Keyed by
/// `Idempotency-Key`, else `X-Gitlab-Event-UUID`, else a hash of the body (GitLab retries
/// carry the same key). Audit event streaming authenticates with
/// `X-Gitlab-Event-Streaming-Token` instead and is keyed by the audit event's id.
pub fn gitlab(secrets: &Secrets, request: HookRequest) -> Result<HookReply, HookError> {
    if let Some(token) = request.header("x-gitlab-event-streaming-token") {
        check_token(secrets, Some(token), "X-Gitlab-Event-Streaming-Token")?;
        let kind = normalize::gitlab::AUDIT_EVENT;
        let key = normalize::gitlab::record_key(kind, &request.body)
            .unwrap_or_else(|| body_key(&request.body));
        let body = request.body.clone();
        return Ok(HookReply::Deliveries(vec![delivery(
            &request,
            Source::Gitlab,
            key,
            Some(kind),
            body,
        )]));
    }
    check_token(secrets, request.header("x-gitlab-token"), "X-Gitlab-Token")?;
    let key = request
        .header("idempotency-key")
        .or_else(|| request.header("x-gitlab-event-uuid"))
        .map(str::to_owned)
        .unwrap_or_else(|| body_key(&request.body));
    let kind = request.header("x-gitlab-event").map(str::to_owned);
    let body = request.body.clone();
    Ok(HookReply::Deliveries(vec![delivery(
        &request,
        Source::Gitlab,
        key,
        kind.as_deref(),
        body,
    )]))
}

/// `POST /hooks/aws`: an EventBridge API destination. The connection's API-key header
/// (`X-Api-Key`, or `Authorization`) must match. Each EventBridge event (one, or an array of
/// them) whose `detail` is a CloudTrail record is stored as that record, keyed by its
/// `eventID`, so the same call imported later from S3 is recognised; other events are kept
/// under their EventBridge id.
pub fn aws(secrets: &Secrets, request: HookRequest) -> Result<HookReply, HookError> {
    check_token(secrets, request.token("x-api-key"), "X-Api-Key")?;
    let events: Vec<Value> = match serde_json::from_slice::<Value>(&request.body) {
        Ok(Value::Array(events)) => events,
        Ok(event @ Value::Object(_)) => vec![event],
        _ => return Ok(kept_whole(&request, Source::Aws, "eventbridge")),
    };
    let mut out = Vec::with_capacity(events.len());
    for event in events {
        let cloudtrail = event
            .get("detail")
            .filter(|detail| detail.get("eventID").is_some_and(Value::is_string));
        let delivery = match cloudtrail {
            Some(detail) => {
                let body = serde_json::to_vec(detail).unwrap_or_default();
                let mut d = crate::import::cloudtrail_delivery(body, request.received_at);
                d.headers = request.kept_headers();
                d
            }
            None => {
                let body = serde_json::to_vec(&event).unwrap_or_default();
                let key = normalize::json::id(&event, "/id").unwrap_or_else(|| body_key(&body));
                delivery(&request, Source::Aws, key, Some("eventbridge"), body)
            }
        };
        out.push(delivery);
    }
    Ok(HookReply::Deliveries(out))
}

/// `POST /hooks/gcp`: a Pub/Sub push subscription. The shared token comes as
/// `Authorization: Bearer <token>` or `?token=` (set in the push endpoint URL; the HTTP layer
/// passes it as the `x-attest-token` header). The envelope's `message.data` is a LogEntry,
/// stored as such and keyed by its `insertId`; an envelope that does not decode is kept whole.
/// A Google-signed OIDC token ([`gcp_oidc_token`]) is checked by the HTTP layer, which holds
/// Google's keys, and the request then goes to [`gcp_authenticated`].
pub fn gcp(secrets: &Secrets, request: HookRequest) -> Result<HookReply, HookError> {
    check_token(secrets, request.token("x-attest-token"), "Authorization")?;
    Ok(gcp_authenticated(request))
}

/// The token of a Pub/Sub push request when it is an OIDC token (a JWT: three dot-separated
/// parts) rather than a shared token.
pub fn gcp_oidc_token(request: &HookRequest) -> Option<&str> {
    let value = request.header("authorization")?;
    let token = value.strip_prefix("Bearer ")?.trim();
    (token.split('.').count() == 3).then_some(token)
}

/// The identity Google puts in a Pub/Sub push token must be one of the service accounts the
/// subscription was configured to push as, with its e-mail verified: the audience alone is
/// chosen by whoever creates a subscription, in any project.
pub fn gcp_check_push_identity(
    claims: &Value,
    service_accounts: &[String],
) -> Result<(), crate::jwt::JwtError> {
    let email = claims
        .get("email")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !service_accounts
        .iter()
        .any(|allowed| allowed.eq_ignore_ascii_case(email))
    {
        return Err(crate::jwt::JwtError::Claim {
            claim: "email",
            value: email.to_owned(),
        });
    }
    if claims.get("email_verified") != Some(&Value::Bool(true)) {
        return Err(crate::jwt::JwtError::Claim {
            claim: "email_verified",
            value: claims
                .get("email_verified")
                .map(Value::to_string)
                .unwrap_or_else(|| "(absent)".to_owned()),
        });
    }
    Ok(())
}

/// Issuers of Google's OIDC tokens, as the `iss` claim writes them.
pub const GOOGLE_ISSUERS: [&str; 2] = ["https://accounts.google.com", "accounts.google.com"];

/// Where Google publishes the keys its OIDC tokens are signed with.
pub const GOOGLE_JWKS_URL: &str = "https://www.googleapis.com/oauth2/v3/certs";

/// A Pub/Sub push request whose sender is already authenticated, split into its delivery.
pub fn gcp_authenticated(request: HookRequest) -> HookReply {
    let entry = normalize::gcp::pubsub_log_entry(&request.body);
    let delivery = match entry {
        Ok(entry) => {
            let key = normalize::record_key(Source::Gcp, "log_entry", &entry)
                .unwrap_or_else(|| body_key(&entry));
            delivery(&request, Source::Gcp, key, Some("log_entry"), entry)
        }
        Err(_) => return kept_whole(&request, Source::Gcp, "pubsub_push"),
    };
    HookReply::Deliveries(vec![delivery])
}

/// `POST /hooks/azure`: Event Grid (or a Monitor action) delivering Activity Log records. The
/// key comes as `Authorization: Bearer`, `X-Attest-Key` (an Event Grid delivery property) or
/// `?key=`. The subscription validation handshake is answered with its code. Each event of the
/// batch is one delivery; Activity Log records wrapped in `data` are stored as records.
pub fn azure(secrets: &Secrets, request: HookRequest) -> Result<HookReply, HookError> {
    check_token(secrets, request.token("x-attest-key"), "X-Attest-Key")?;
    if let Some(code) = normalize::azure::event_grid_validation_code(&request.body) {
        return Ok(HookReply::Handshake(
            serde_json::json!({ "validationResponse": code }),
        ));
    }
    let events: Vec<Value> = match serde_json::from_slice::<Value>(&request.body) {
        Ok(Value::Array(events)) => events,
        Ok(Value::Object(mut map)) if map.get("records").is_some_and(Value::is_array) => {
            match map.remove("records") {
                Some(Value::Array(records)) => records,
                _ => Vec::new(),
            }
        }
        Ok(event @ Value::Object(_)) => vec![event],
        _ => return Ok(kept_whole(&request, Source::Azure, "event_grid")),
    };
    let out = events
        .into_iter()
        .map(|event| {
            let body = serde_json::to_vec(&event).unwrap_or_default();
            let kind = normalize::azure::detect_kind(&event);
            let key = ["/eventDataId", "/id", "/data/eventDataId"]
                .iter()
                .find_map(|p| normalize::json::id(&event, p))
                .unwrap_or_else(|| body_key(&body));
            delivery(&request, Source::Azure, key, Some(kind), body)
        })
        .collect();
    Ok(HookReply::Deliveries(out))
}

/// `GET /hooks/okta`: Okta's one-time verification, authenticated like deliveries, answered
/// with the challenge it sent.
pub fn okta_verification(secrets: &Secrets, request: &HookRequest) -> Result<HookReply, HookError> {
    check_token(secrets, request.header("authorization"), "Authorization")?;
    let answer =
        normalize::okta::event_hook_verification(request.header("x-okta-verification-challenge"))
            .and_then(|answer| serde_json::from_str(&answer).ok())
            .ok_or(HookError::MissingHeader("X-Okta-Verification-Challenge"))?;
    Ok(HookReply::Handshake(answer))
}

/// `POST /hooks/okta`: an Event Hook delivery. The `Authorization` header must equal the
/// configured secret. Each System Log event is one delivery keyed by its `uuid`, with the
/// org the hook came from (its grants' scope).
pub fn okta(secrets: &Secrets, request: HookRequest) -> Result<HookReply, HookError> {
    check_token(secrets, request.header("authorization"), "Authorization")?;
    let kind = match normalize::okta::event_hook_org(&request.body) {
        Some(org) => format!("system_log;org={org}"),
        None => "system_log".to_owned(),
    };
    let out = match normalize::okta::event_hook_events(&request.body) {
        Ok(events) => events
            .into_iter()
            .map(|event| {
                let key = normalize::record_key(Source::Okta, &kind, &event)
                    .unwrap_or_else(|| body_key(&event));
                delivery(&request, Source::Okta, key, Some(&kind), event)
            })
            .collect(),
        Err(_) => return Ok(kept_whole(&request, Source::Okta, "event_hook")),
    };
    Ok(HookReply::Deliveries(out))
}

/// `POST /hooks/terraform`: an HCP Terraform / TFE run notification, signed with HMAC-SHA512
/// of the body under the notification's token (`X-TFE-Notification-Signature`). Keyed by a
/// hash of the body: a retried notification is byte-identical.
pub fn terraform(secrets: &Secrets, request: HookRequest) -> Result<HookReply, HookError> {
    if secrets.is_empty() {
        return Err(SignatureError::NotConfigured.into());
    }
    let signature = request.header("x-tfe-notification-signature");
    if signature.is_none() {
        return Err(SignatureError::Missing("X-TFE-Notification-Signature").into());
    }
    let matched = secrets.any(|token| {
        subtle::Choice::from(u8::from(normalize::terraform::verify_tfe_signature(
            token,
            signature,
            &request.body,
        )))
    });
    if !matched {
        return Err(SignatureError::Mismatch("X-TFE-Notification-Signature").into());
    }
    let body = request.body.clone();
    let key = body_key(&body);
    Ok(HookReply::Deliveries(vec![delivery(
        &request,
        Source::Terraform,
        key,
        Some("run_notification"),
        body,
    )]))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;

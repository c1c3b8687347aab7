//! The normalized vocabulary every source is translated into: deliveries, events, actors,
//! targets, filters and pages. Pure serde types, shared with the wasm front end.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where a delivery came from. The string form is stored and appears in URLs and the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Github,
    Gitlab,
    Cloudtrail,
    /// AWS data that is not CloudTrail: IAM authorization details, credential reports.
    Aws,
    Gcp,
    Azure,
    Okta,
    Terraform,
    /// The people import: who is who, their managers and their accounts.
    People,
}

impl Source {
    pub const ALL: [Source; 9] = [
        Source::Github,
        Source::Gitlab,
        Source::Cloudtrail,
        Source::Aws,
        Source::Gcp,
        Source::Azure,
        Source::Okta,
        Source::Terraform,
        Source::People,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Github => "github",
            Source::Gitlab => "gitlab",
            Source::Cloudtrail => "cloudtrail",
            Source::Aws => "aws",
            Source::Gcp => "gcp",
            Source::Azure => "azure",
            Source::Okta => "okta",
            Source::Terraform => "terraform",
            Source::People => "people",
        }
    }

    /// The name a person reads on a page.
    pub fn label(self) -> &'static str {
        match self {
            Source::Github => "GitHub",
            Source::Gitlab => "GitLab",
            Source::Cloudtrail => "AWS CloudTrail",
            Source::Aws => "AWS IAM",
            Source::Gcp => "Google Cloud",
            Source::Azure => "Azure",
            Source::Okta => "Okta",
            Source::Terraform => "Terraform",
            Source::People => "People directory",
        }
    }

    /// Position in [`Source::ALL`], for per-source arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A source name Attest does not know; says which ones it does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct UnknownSource(pub String);

impl fmt::Display for UnknownSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Source::ALL.iter().map(|s| s.as_str()).collect();
        write!(
            f,
            "{:?} is not a source (it is not one of {})",
            self.0,
            names.join(", ")
        )
    }
}

impl FromStr for Source {
    type Err = UnknownSource;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Source::ALL
            .into_iter()
            .find(|src| src.as_str() == s)
            .ok_or_else(|| UnknownSource(s.to_owned()))
    }
}

/// A push endpoint under `/hooks`: what a webhook secret is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum HookEndpoint {
    Github,
    Gitlab,
    /// CloudTrail (through EventBridge) and other AWS pushes.
    Aws,
    Gcp,
    Azure,
    Okta,
    Terraform,
}

impl HookEndpoint {
    pub const ALL: [HookEndpoint; 7] = [
        HookEndpoint::Github,
        HookEndpoint::Gitlab,
        HookEndpoint::Aws,
        HookEndpoint::Gcp,
        HookEndpoint::Azure,
        HookEndpoint::Okta,
        HookEndpoint::Terraform,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HookEndpoint::Github => "github",
            HookEndpoint::Gitlab => "gitlab",
            HookEndpoint::Aws => "aws",
            HookEndpoint::Gcp => "gcp",
            HookEndpoint::Azure => "azure",
            HookEndpoint::Okta => "okta",
            HookEndpoint::Terraform => "terraform",
        }
    }

    /// Its path: `/hooks/github`.
    pub fn path(self) -> String {
        format!("/hooks/{}", self.as_str())
    }

    /// The setting (flag's environment variable) that also gives it secrets.
    pub fn setting(self) -> &'static str {
        match self {
            HookEndpoint::Github => "ATTEST_GITHUB_WEBHOOK_SECRET",
            HookEndpoint::Gitlab => "ATTEST_GITLAB_WEBHOOK_TOKEN",
            HookEndpoint::Aws => "ATTEST_AWS_WEBHOOK_KEY",
            HookEndpoint::Gcp => "ATTEST_GCP_WEBHOOK_TOKEN",
            HookEndpoint::Azure => "ATTEST_AZURE_WEBHOOK_KEY",
            HookEndpoint::Okta => "ATTEST_OKTA_WEBHOOK_SECRET",
            HookEndpoint::Terraform => "ATTEST_TERRAFORM_WEBHOOK_TOKEN",
        }
    }

    /// Where the sender is given the secret.
    pub fn where_it_goes(self) -> &'static str {
        match self {
            HookEndpoint::Github => "the webhook's \"Secret\" (GitHub signs each delivery with it)",
            HookEndpoint::Gitlab => {
                "the webhook's \"Secret token\", or the audit event stream's verification token"
            }
            HookEndpoint::Aws => "the EventBridge API destination's X-Api-Key header",
            HookEndpoint::Gcp => "the Pub/Sub push endpoint URL, as ?token=…",
            HookEndpoint::Azure => "the Event Grid webhook URL, as ?key=…",
            HookEndpoint::Okta => "the event hook's Authorization header value",
            HookEndpoint::Terraform => "the notification configuration's token (it signs with it)",
        }
    }

    /// The sources whose data arrives through it.
    pub fn sources(self) -> &'static [Source] {
        match self {
            HookEndpoint::Github => &[Source::Github],
            HookEndpoint::Gitlab => &[Source::Gitlab],
            HookEndpoint::Aws => &[Source::Cloudtrail, Source::Aws],
            HookEndpoint::Gcp => &[Source::Gcp],
            HookEndpoint::Azure => &[Source::Azure],
            HookEndpoint::Okta => &[Source::Okta],
            HookEndpoint::Terraform => &[Source::Terraform],
        }
    }
}

impl fmt::Display for HookEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An endpoint name Attest does not have; says which ones it does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct UnknownHookEndpoint(pub String);

impl fmt::Display for UnknownHookEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = HookEndpoint::ALL.iter().map(|e| e.as_str()).collect();
        write!(
            f,
            "{:?} is not a webhook endpoint (it is not one of {})",
            self.0,
            names.join(", ")
        )
    }
}

impl FromStr for HookEndpoint {
    type Err = UnknownHookEndpoint;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HookEndpoint::ALL
            .into_iter()
            .find(|endpoint| endpoint.as_str() == s)
            .ok_or_else(|| UnknownHookEndpoint(s.to_owned()))
    }
}

/// Who performed an action, as far as the source tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ActorKind {
    Human,
    Bot,
    Service,
    Unknown,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Human => "human",
            ActorKind::Bot => "bot",
            ActorKind::Service => "service",
            ActorKind::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> ActorKind {
        match s {
            "human" => ActorKind::Human,
            "bot" => ActorKind::Bot,
            "service" => ActorKind::Service,
            _ => ActorKind::Unknown,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct Actor {
    /// Stable id at the source (GitHub user id, AWS principal ARN) when known.
    pub id: Option<String>,
    /// What a person would type to find this actor: a login, an IAM user name, a session name.
    pub name: String,
    pub kind: ActorKind,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Something an event acted on: a repository, a team, an IAM user, an S3 bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct Target {
    /// A short type word: `repository`, `team`, `user`, `iam_user`, `s3_bucket`, ...
    #[serde(rename = "type")]
    pub kind: String,
    pub id: Option<String>,
    pub name: String,
}

/// The organisation, account or project an event happened in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct Scope {
    /// `org`, `account`, `user` or `project`.
    pub kind: String,
    pub id: String,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }

    pub fn parse(s: &str) -> Outcome {
        if s == "failure" {
            Outcome::Failure
        } else {
            Outcome::Success
        }
    }
}

/// What a normalizer produces from a raw delivery: one fact, in Attest's vocabulary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    pub source: Source,
    /// Unique per source; replays of the same fact carry the same id, which is what keeps
    /// ingest idempotent.
    pub source_event_id: String,
    pub occurred_at: DateTime<Utc>,
    pub actor: Actor,
    /// Normalized dotted verb, e.g. `repo.collaborator.added`, `iam.user.created`.
    pub action: String,
    /// The source's own name for it, e.g. `member.added`, `iam:CreateUser`.
    pub native_action: String,
    pub targets: Vec<Target>,
    pub scope: Option<Scope>,
    pub outcome: Outcome,
    /// The source's error code and message when the outcome is a failure.
    pub error: Option<String>,
    /// One line a person reads on the timeline. Plain text: escaped when shown.
    pub summary: String,
    /// Source-specific extras worth showing (commits of a push, request parameters).
    pub details: serde_json::Value,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct Event {
    pub id: i64,
    pub source: Source,
    pub source_event_id: String,
    pub occurred_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub actor: Actor,
    pub action: String,
    pub native_action: String,
    pub targets: Vec<Target>,
    pub scope: Option<Scope>,
    pub outcome: Outcome,
    pub error: Option<String>,
    pub summary: String,
    #[cfg_attr(feature = "store", schema(value_type = Object))]
    pub details: serde_json::Value,
    /// The inbox row this event was normalized from.
    pub delivery_id: i64,
}

/// An event with the raw delivery it came from, for the event page and `GET /events/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct EventDetail {
    #[serde(flatten)]
    pub event: Event,
    pub delivery: DeliverySummary,
    /// The raw payload: parsed JSON when it is JSON, otherwise the text (lossy UTF-8).
    #[cfg_attr(feature = "store", schema(value_type = Object))]
    pub raw: serde_json::Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Stored, not yet normalized (the normalizer runs right after the store).
    Pending,
    Normalized,
    /// Kept with the reason; `attest reprocess` retries it after a fix.
    Failed,
    /// Understood, and deliberately yields nothing (a test ping, a read-only log): kept with
    /// the reason.
    Ignored,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Normalized => "normalized",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Ignored => "ignored",
        }
    }

    pub fn parse(s: &str) -> DeliveryStatus {
        match s {
            "normalized" => DeliveryStatus::Normalized,
            "failed" => DeliveryStatus::Failed,
            "ignored" => DeliveryStatus::Ignored,
            _ => DeliveryStatus::Pending,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct DeliverySummary {
    pub id: i64,
    pub source: Source,
    pub delivery_key: String,
    /// The event type the source announced (GitHub's `X-GitHub-Event`), if any.
    pub kind: Option<String>,
    pub received_at: DateTime<Utc>,
    pub status: DeliveryStatus,
    pub error: Option<String>,
    pub body_bytes: i64,
}

/// Filters of the timeline and of `GET /api/v1/events`. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventFilter {
    /// Actor name or id, exact.
    pub actor: Option<String>,
    /// Exact action, or a prefix ending in `*` (`repo.*`).
    pub action: Option<String>,
    pub source: Option<Source>,
    /// Target name or id, exact.
    pub target: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Free text, matched case-insensitively against actor, action, targets and summary.
    pub q: Option<String>,
}

impl EventFilter {
    pub fn is_empty(&self) -> bool {
        self == &EventFilter::default()
    }
}

/// One page of events, newest first, with the opaque cursor of the next page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct EventPage {
    pub events: Vec<Event>,
    pub next_cursor: Option<String>,
}

/// Deliveries per source and status, for the ingest health page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceHealth {
    pub source: Source,
    pub normalized: i64,
    pub failed: i64,
    pub ignored: i64,
    pub pending: i64,
    pub last_received_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestHealth {
    pub sources: Vec<SourceHealth>,
    /// Sources whose push endpoint has a secret configured (file imports need none).
    pub configured: Vec<Source>,
    /// The most recent failed deliveries, newest first.
    pub recent_failures: Vec<DeliverySummary>,
}

/// The sources whose push endpoints are configured, as the server hands them to pages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfiguredSources(pub Vec<Source>);

/// Roles of signed-in people and of API tokens, in increasing order of what they may do: each
/// role may do everything the roles before it may.
/// - `viewer`: the timeline, events and search;
/// - `reviewer`: also the access pages (who holds what), and their own review items;
/// - `auditor`: also read everything else (findings, people, ingest health, Attest's own audit
///   log) and export;
/// - `admin`: also change things (sources, tokens, people).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Reviewer,
    Auditor,
    Admin,
}

impl Role {
    /// Every role, from the least to the most.
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Reviewer, Role::Auditor, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Reviewer => "reviewer",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?} (expected one of: admin, auditor, reviewer, viewer)")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "reviewer" => Ok(Role::Reviewer),
            "auditor" => Ok(Role::Auditor),
            "admin" => Ok(Role::Admin),
            other => Err(UnknownRole(other.to_owned())),
        }
    }
}

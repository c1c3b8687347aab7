//! The demo company's fixed cast list: the job slots people fill, the teams, repositories,
//! AWS accounts and the word lists activity draws on. Names are shuffled per seed; the
//! shape of the company stays the same so the demo always tells a familiar story.

use super::org::{Access, Membership};

pub(super) const ORG_LOGIN: &str = "acme-corp";
pub(super) const ORG_NAME: &str = "Acme Corp";
pub(super) const EMAIL_DOMAIN: &str = "acme-corp.com";
/// The company works from New York (standard time); activity follows its office hours.
pub(super) const UTC_OFFSET_HOURS: i32 = -5;

#[rustfmt::skip]
pub(super) const FIRST_NAMES: &[&str] = &[
    "Maya", "Liam", "Priya", "Noah", "Aisha", "Lucas", "Sofia", "Ethan", "Mei", "Oliver", "Fatima",
    "Mateo", "Hannah", "Kwame", "Elena", "Daniel", "Yuki", "Samuel", "Amara", "Jonas", "Chloe",
    "Ravi", "Isabel", "Tomas", "Nadia", "Marcus", "Leila", "Diego", "Grace", "Arjun", "Zoe",
    "Henrik", "Ingrid", "Omar", "Julia", "Kenji", "Rosa", "Felix", "Anika", "Caleb", "Lina",
    "Mohammed", "Sara", "Victor", "Emma", "Andrei", "Chiara", "Tariq", "Beatriz", "Noor", "Patrick",
    "Hana", "Gabriel", "Freya", "Luca", "Imani", "Rafael", "Ayumi", "Owen", "Elif",
];

#[rustfmt::skip]
pub(super) const LAST_NAMES: &[&str] = &[
    "Patel", "Nguyen", "Okafor", "Schmidt", "Garcia", "Kim", "Johansson", "Rossi", "Haddad",
    "Tanaka", "Silva", "Kowalski", "Chen", "Murphy", "Dubois", "Mensah", "Ivanova", "Fischer",
    "Cohen", "Alvarez", "Singh", "Brennan", "Larsen", "Moreau", "Yilmaz", "Nakamura", "Costa",
    "Novak", "Ahmed", "Walsh", "Lindqvist", "Osei", "Romero", "Becker", "Kaur", "Fernandes", "Sato",
    "Andersen", "Hughes", "Petrov", "Mwangi", "Bauer", "Reyes", "Shah", "Olsen", "Park", "Greene",
    "Vasquez", "Abara", "Holm", "Mori", "Conti", "Wright", "Farouk", "Jensen", "Ortiz", "Lee",
    "Varga", "Bianchi", "Duarte",
];

/// One position in the company; `manager` is the index of another slot.
pub(super) struct Slot {
    pub title: &'static str,
    pub department: &'static str,
    pub team: Option<&'static str>,
    pub manager: Option<usize>,
    pub aws: Option<Access>,
    pub activity: f64,
    pub admin: bool,
    pub start: Membership,
}

const fn slot(
    title: &'static str,
    department: &'static str,
    team: Option<&'static str>,
    manager: Option<usize>,
    aws: Option<Access>,
    activity: f64,
) -> Slot {
    Slot {
        title,
        department,
        team,
        manager,
        aws,
        activity,
        admin: false,
        start: Membership::Member,
    }
}

const fn admin(slot: Slot) -> Slot {
    Slot {
        admin: true,
        ..slot
    }
}

const fn starting(slot: Slot, start: Membership) -> Slot {
    Slot { start, ..slot }
}

const ENG: &str = "Engineering";
const A: Option<Access> = Some(Access::Admin);
const W: Option<Access> = Some(Access::Write);
const R: Option<Access> = Some(Access::ReadOnly);

#[rustfmt::skip]
pub(super) const SLOTS: &[Slot] = &[
    slot("Chief Executive Officer", "Executive", None, None, None, 0.1),
    admin(slot("Chief Technology Officer", ENG, Some("engineering"), Some(0), A, 0.8)),
    admin(slot("Head of Security", "Security", Some("security"), Some(1), A, 1.2)),
    admin(slot("Platform Engineering Lead", ENG, Some("platform"), Some(1), A, 2.5)),
    admin(slot("SRE Lead", ENG, Some("sre"), Some(3), A, 3.0)),
    slot("Payments Engineering Lead", ENG, Some("payments"), Some(1), W, 2.0),
    slot("Data Engineering Lead", "Data", Some("data"), Some(1), W, 1.8),
    slot("Mobile Engineering Lead", ENG, Some("mobile"), Some(1), W, 1.5),
    slot("Web Engineering Lead", ENG, Some("web"), Some(1), W, 1.8),
    slot("Staff Platform Engineer", ENG, Some("platform"), Some(3), A, 3.0),
    slot("Senior Platform Engineer", ENG, Some("platform"), Some(3), A, 2.5),
    slot("Platform Engineer", ENG, Some("platform"), Some(3), W, 2.0),
    slot("Platform Engineer", ENG, Some("platform"), Some(3), W, 2.0),
    slot("Senior Site Reliability Engineer", ENG, Some("sre"), Some(4), A, 2.5),
    slot("Site Reliability Engineer", ENG, Some("sre"), Some(4), A, 2.0),
    slot("Site Reliability Engineer", ENG, Some("sre"), Some(4), W, 2.0),
    slot("Senior Backend Engineer", ENG, Some("payments"), Some(5), W, 2.5),
    slot("Backend Engineer", ENG, Some("payments"), Some(5), W, 2.0),
    slot("Backend Engineer", ENG, Some("payments"), Some(5), W, 2.0),
    slot("Backend Engineer", ENG, Some("payments"), Some(5), R, 1.8),
    slot("Junior Backend Engineer", ENG, Some("payments"), Some(5), R, 1.5),
    slot("Senior Data Engineer", "Data", Some("data"), Some(6), W, 2.0),
    slot("Data Engineer", "Data", Some("data"), Some(6), W, 1.8),
    slot("Data Engineer", "Data", Some("data"), Some(6), W, 1.5),
    slot("Machine Learning Engineer", "Data", Some("data"), Some(6), W, 1.5),
    slot("Senior iOS Engineer", ENG, Some("mobile"), Some(7), R, 1.8),
    slot("Android Engineer", ENG, Some("mobile"), Some(7), None, 1.6),
    slot("Mobile Engineer", ENG, Some("mobile"), Some(7), None, 1.4),
    slot("Senior Frontend Engineer", ENG, Some("web"), Some(8), R, 2.0),
    slot("Frontend Engineer", ENG, Some("web"), Some(8), R, 1.8),
    slot("Frontend Engineer", ENG, Some("web"), Some(8), None, 1.6),
    slot("Full Stack Engineer", ENG, Some("web"), Some(8), W, 1.8),
    slot("Security Engineer", "Security", Some("security"), Some(2), A, 1.5),
    slot("Cloud Security Analyst", "Security", Some("security"), Some(2), R, 1.0),
    admin(slot("IT Administrator", "IT", None, Some(2), R, 0.6)),
    slot("Senior Product Manager", "Product", None, Some(0), None, 0.3),
    slot("Product Manager", "Product", None, Some(35), None, 0.3),
    slot("Product Designer", "Design", Some("web"), Some(35), None, 0.4),
    slot("Data Analyst", "Data", Some("data"), Some(6), R, 0.8),
    starting(slot("Contract Engineer", ENG, Some("payments"), Some(5), None, 0.8), Membership::Collaborator),
    starting(slot("Penetration Tester (external)", "Security", Some("security"), Some(2), None, 0.3), Membership::Collaborator),
    starting(slot("Backend Engineer", ENG, Some("payments"), Some(5), W, 1.5), Membership::Hire),
    starting(slot("Data Engineer", "Data", Some("data"), Some(6), W, 1.2), Membership::Hire),
    starting(slot("Site Reliability Engineer", ENG, Some("sre"), Some(4), W, 1.5), Membership::Hire),
    starting(slot("Security Engineer", "Security", Some("security"), Some(2), R, 1.0), Membership::Hire),
    starting(slot("iOS Engineer", ENG, Some("mobile"), Some(7), None, 1.2), Membership::Hire),
];

/// slug, name, description, parent slug, privacy.
#[rustfmt::skip]
pub(super) const TEAMS: &[(&str, &str, &str, Option<&str>, &str)] = &[
    ("engineering", "Engineering", "Everyone who ships code", None, "closed"),
    ("platform", "Platform", "Infrastructure, clusters and developer tooling", Some("engineering"), "closed"),
    ("sre", "SRE", "Reliability, on-call and observability", Some("platform"), "closed"),
    ("payments", "Payments", "Checkout, refunds and the ledger", Some("engineering"), "closed"),
    ("data", "Data", "Pipelines, warehouse and models", Some("engineering"), "closed"),
    ("mobile", "Mobile", "iOS and Android apps", Some("engineering"), "closed"),
    ("web", "Web", "Customer-facing web apps and the design system", Some("engineering"), "closed"),
    ("security", "Security", "Security engineering and incident response", None, "secret"),
];

/// Teams that get created during the demo period.
#[rustfmt::skip]
pub(super) const NEW_TEAMS: &[&str] = &[
    "growth", "ml-platform", "observability", "compliance", "developer-experience",
    "incident-response",
];

/// name, owning team, language, private, deploys, description.
pub(super) type RepoSpec = (
    &'static str,
    &'static str,
    Option<&'static str>,
    bool,
    bool,
    &'static str,
);

#[rustfmt::skip]
pub(super) const REPOS: &[RepoSpec] = &[
    ("infra", "platform", Some("HCL"), true, false, "Shared infrastructure: networking, DNS and clusters"),
    ("terraform-aws", "platform", Some("HCL"), true, false, "Terraform for the prod, staging and sandbox accounts"),
    ("terraform-modules", "platform", Some("HCL"), true, false, "Reusable Terraform modules"),
    ("k8s-manifests", "sre", Some("Shell"), true, false, "Kubernetes manifests synced by Argo CD"),
    ("helm-charts", "sre", Some("Smarty"), true, false, "Helm charts for internal services"),
    ("observability", "sre", Some("Jsonnet"), true, false, "Dashboards, alerts and SLOs"),
    ("sre-tooling", "sre", Some("Go"), true, false, "On-call and incident tooling"),
    ("incident-runbooks", "sre", None, true, false, "Runbooks and post-mortems"),
    ("payments-api", "payments", Some("Go"), true, true, "Public payments API"),
    ("payments-worker", "payments", Some("Go"), true, true, "Settlement and refund jobs"),
    ("ledger", "payments", Some("Rust"), true, true, "Double-entry ledger service"),
    ("checkout-web", "web", Some("TypeScript"), true, true, "Hosted checkout pages"),
    ("web-app", "web", Some("TypeScript"), true, true, "Customer dashboard"),
    ("design-system", "web", Some("TypeScript"), true, false, "Shared UI components"),
    ("marketing-site", "web", Some("TypeScript"), false, true, "acme-corp.com"),
    ("mobile-ios", "mobile", Some("Swift"), true, false, "iOS app"),
    ("mobile-android", "mobile", Some("Kotlin"), true, false, "Android app"),
    ("data-pipeline", "data", Some("Python"), true, true, "Event ingestion and exports"),
    ("dbt-models", "data", Some("Python"), true, false, "Warehouse models"),
    ("airflow-dags", "data", Some("Python"), true, true, "Scheduled data jobs"),
    ("ml-models", "data", Some("Jupyter Notebook"), true, false, "Fraud and churn models"),
    ("security-policies", "security", Some("Open Policy Agent"), true, false, "OPA policies and SCPs"),
    ("auth-service", "platform", Some("Go"), true, true, "Login, sessions and API keys"),
    ("api-gateway", "platform", Some("Go"), true, true, "Edge routing and rate limiting"),
    ("acme-cli", "platform", Some("Rust"), false, false, "Command-line client for the Acme API"),
    (".github", "engineering", None, false, false, "Organisation profile and shared workflows"),
];

/// Repositories that get created during the demo period.
#[rustfmt::skip]
pub(super) const NEW_REPOS: &[&str] = &[
    "payments-reconciler", "feature-flags", "incident-bot", "cost-explorer", "event-schemas",
    "load-tests", "ml-feature-store", "status-page", "sso-proxy", "edge-cache",
];

/// GitHub Apps: login, app slug, id (the bots' ids are GitHub's real ones), installed at start.
#[rustfmt::skip]
pub(super) const BOTS: &[(&str, &str, u64)] = &[
    ("dependabot[bot]", "dependabot", 49_699_333),
    ("github-actions[bot]", "github-actions", 41_898_282),
    ("renovate[bot]", "renovate", 29_139_614),
];

/// GitHub Apps installed during the demo period: slug, app id.
#[rustfmt::skip]
pub(super) const NEW_APPS: &[(&str, u64)] = &[
    ("codecov", 254),
    ("sentry-io", 71_462),
    ("linear", 21_532),
    ("snyk-io", 90_721),
];

#[rustfmt::skip]
pub(super) const COMMIT_MESSAGES: &[&str] = &[
    "fix: handle missing sender in webhook payloads",
    "feat(payments): add idempotency keys to refund endpoint",
    "chore: bump golang.org/x/net to v0.23.0",
    "refactor: extract retry policy into shared package",
    "docs: update runbook for database failover",
    "ci: cache cargo registry between jobs",
    "feat: add p95 latency panel to service dashboards",
    "fix(terraform): pin aws provider to 5.x",
    "feat(ios): support passkeys on the login screen",
    "test: cover currency rounding edge cases",
    "perf: batch ledger writes",
    "fix: use merchant timezone in settlement report",
    "feat(data): backfill events for Q2 cohorts",
    "chore(k8s): raise memory limit for payments-worker",
    "fix(ci): retry flaky integration test",
    "feat: expose /healthz readiness probe",
    "chore: remove unused feature flag checkout_v2",
    "fix(android): crash on resume when session expired",
    "feat(terraform): add S3 bucket for audit exports",
    "chore(iam): tighten deploy role trust policy",
    "fix: escape user input in search query",
    "feat(web): dark mode toggle",
    "refactor(api): split handlers by resource",
    "feat: rate limit the public API per key",
    "fix(dbt): dedupe orders model on late arrivals",
    "chore: upgrade node to 20 LTS",
    "feat(sre): alert on error budget burn rate",
    "fix: close database connections on shutdown",
    "docs: ADR for event sourcing in the ledger",
    "feat(auth): enforce MFA for admin endpoints",
    "fix(payments): retry 3DS callbacks",
    "feat(data): airflow DAG for churn model",
    "fix(web): debounce search input",
    "chore(terraform): enable GuardDuty in all regions",
    "feat(mobile): offline cart sync",
    "fix: back off on 429 from the card processor",
    "ci: run CodeQL weekly",
    "chore: tidy go.mod",
    "wip",
    "address review comments",
];

/// package, from, to, dependabot ecosystem.
#[rustfmt::skip]
pub(super) const DEPENDENCIES: &[(&str, &str, &str, &str)] = &[
    ("axios", "1.6.8", "1.7.4", "npm_and_yarn"),
    ("golang.org/x/crypto", "0.21.0", "0.22.0", "go_modules"),
    ("requests", "2.31.0", "2.32.3", "pip"),
    ("serde_json", "1.0.117", "1.0.120", "cargo"),
    ("actions/checkout", "3", "4", "github_actions"),
    ("hashicorp/aws", "5.40.0", "5.52.0", "terraform"),
    ("next", "14.1.4", "14.2.5", "npm_and_yarn"),
    ("urllib3", "2.2.1", "2.2.2", "pip"),
];

#[rustfmt::skip]
pub(super) const REVIEW_COMMENTS: &[&str] = &[
    "LGTM",
    "Looks good, one nit inline.",
    "Can we add a test for the empty case?",
    "Please split the migration into its own PR.",
    "Nice cleanup!",
    "This changes the IAM policy; security should take a look.",
    "Ship it",
];

/// AWS account: name, environment, region.
#[rustfmt::skip]
pub(super) const ACCOUNTS: &[(&str, &str, &str)] = &[
    ("acme-prod", "production", "us-east-1"),
    ("acme-staging", "staging", "us-east-1"),
    ("acme-sandbox", "sandbox", "us-west-2"),
];

/// First octets of residential and business ISP ranges, for people's addresses.
#[rustfmt::skip]
pub(super) const ISP_OCTETS: &[u8] = &[
    24, 47, 50, 67, 68, 71, 72, 73, 76, 96, 98, 99, 104, 107, 108, 173, 174, 184,
];
/// First octets of cloud ranges: NAT gateways and CI runners.
pub(super) const CLOUD_OCTETS: &[u8] = &[3, 18, 34, 35, 44, 52, 54];
/// First octets that attackers' scanners tend to come from in the sample data.
pub(super) const FOREIGN_OCTETS: &[u8] = &[5, 31, 45, 77, 91, 103, 141, 185, 193, 212];

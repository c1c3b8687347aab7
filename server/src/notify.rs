//! Review notifications: the digests of `domain::review::notice` sent by e-mail (SMTP, with
//! lettre) to each recipient and to a Slack-compatible incoming webhook. A notice is recorded as
//! sent once a channel took it, so a failed send is tried again at the next run.

use anyhow::Context;
use chrono::{DateTime, Utc};
use domain::review::notice::{digest, Digest, Notice};
use domain::store::Store;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::collections::BTreeMap;

/// Where notifications go.
pub struct Notifier {
    mail: Option<(AsyncSmtpTransport<Tokio1Executor>, Mailbox)>,
    slack: Option<String>,
    /// Links in messages start with it (`ATTEST_PUBLIC_URL`).
    base_url: String,
    http: reqwest::Client,
}

/// What a run sent.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Sent {
    pub digests: usize,
    pub emails: usize,
    pub slack_posts: usize,
    pub failures: usize,
}

impl Notifier {
    /// A notifier for `smtp_url` (`smtp://host:25`, `smtp://user:pass@host:587?tls=required`,
    /// `smtps://host:465`) from `from`, and/or a Slack-compatible webhook URL. `None` when
    /// neither is set.
    pub fn new(
        smtp_url: Option<&str>,
        from: &str,
        slack_url: Option<&str>,
        base_url: &str,
    ) -> anyhow::Result<Option<Notifier>> {
        let smtp_url = smtp_url.map(str::trim).filter(|u| !u.is_empty());
        let slack = slack_url
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_owned);
        if smtp_url.is_none() && slack.is_none() {
            return Ok(None);
        }
        if let Some(url) = &slack {
            let parsed = reqwest::Url::parse(url)
                .with_context(|| format!("ATTEST_SLACK_WEBHOOK_URL {url:?} is not a URL"))?;
            anyhow::ensure!(
                matches!(parsed.scheme(), "https" | "http"),
                "ATTEST_SLACK_WEBHOOK_URL must be an https:// URL"
            );
        }
        let mail = match smtp_url {
            Some(url) => {
                let from: Mailbox = from
                    .parse()
                    .map_err(|err| anyhow::anyhow!("ATTEST_SMTP_FROM {from:?}: {err}"))?;
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|err| anyhow::anyhow!("ATTEST_SMTP_URL: {err}"))?
                    .timeout(Some(std::time::Duration::from_secs(20)))
                    .build();
                Some((transport, from))
            }
            None => None,
        };
        Ok(Some(Notifier {
            mail,
            slack,
            base_url: base_url.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(20))
                .build()?,
        }))
    }

    /// Sends the digests of every notice due at `now` and records those that went out.
    pub async fn run(&self, store: &Store, now: DateTime<Utc>) -> anyhow::Result<Sent> {
        let notices = store.pending_notices(now).await?;
        let mut by_recipient: BTreeMap<&str, Vec<&Notice>> = BTreeMap::new();
        for notice in &notices {
            by_recipient.entry(&notice.to).or_default().push(notice);
        }
        let mut sent = Sent::default();
        for (to, notices) in by_recipient {
            let digest = digest(to, &notices, &self.base_url);
            sent.digests += 1;
            let mut channels = Vec::new();
            if let Some((transport, from)) = &self.mail {
                match send_mail(transport, from, &digest).await {
                    Ok(()) => {
                        sent.emails += 1;
                        channels.push("email");
                    }
                    Err(err) => {
                        sent.failures += 1;
                        tracing::warn!(to, error = %err, "review notification e-mail failed");
                    }
                }
            }
            if let Some(url) = &self.slack {
                match self.post_slack(url, &digest).await {
                    Ok(()) => {
                        sent.slack_posts += 1;
                        channels.push("slack");
                    }
                    Err(err) => {
                        sent.failures += 1;
                        tracing::warn!(to, error = %err, "review notification to Slack failed");
                    }
                }
            }
            if !channels.is_empty() {
                store
                    .record_notices_sent(&notices, &channels.join("+"), now)
                    .await?;
            }
        }
        Ok(sent)
    }

    async fn post_slack(&self, url: &str, digest: &Digest) -> anyhow::Result<()> {
        let text = format!("*{}* (for {})\n{}", digest.subject, digest.to, digest.text);
        let response = self
            .http
            .post(url)
            .json(&serde_json::json!({ "text": text }))
            .send()
            .await?;
        anyhow::ensure!(
            response.status().is_success(),
            "the webhook answered {}",
            response.status()
        );
        Ok(())
    }
}

async fn send_mail(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    from: &Mailbox,
    digest: &Digest,
) -> anyhow::Result<()> {
    let to: Mailbox = digest
        .to
        .parse()
        .map_err(|err| anyhow::anyhow!("{:?} is not an address: {err}", digest.to))?;
    let message = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(digest.subject.clone())
        .body(digest.text.clone())?;
    transport.send(message).await?;
    Ok(())
}

/// Tasks opened longer ago than this are not posted any more (a webhook down for a week gets
/// the recent ones when it is back, not a flood of stale work).
pub const REMEDIATION_HOOK_WINDOW_DAYS: i64 = 7;

/// The optional outgoing webhook that gets each remediation task as it opens: one JSON POST
/// per task (`event: "remediation.opened"`), signed like GitHub's webhooks
/// (`X-Attest-Signature-256: sha256=<HMAC-SHA256 of the body>`) when a secret is set. A task is
/// recorded as posted once the receiver answers 2xx, and tried again at the next run otherwise.
pub struct RemediationHook {
    url: String,
    secret: Option<String>,
    base_url: String,
    http: reqwest::Client,
}

/// What a run of the remediation webhook did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Posted {
    pub posted: usize,
    pub failures: usize,
}

impl RemediationHook {
    /// `None` when no URL is set.
    pub fn new(
        url: Option<&str>,
        secret: Option<&str>,
        base_url: &str,
    ) -> anyhow::Result<Option<RemediationHook>> {
        let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(None);
        };
        let parsed = reqwest::Url::parse(url)
            .with_context(|| format!("ATTEST_REMEDIATION_WEBHOOK_URL {url:?} is not a URL"))?;
        anyhow::ensure!(
            matches!(parsed.scheme(), "https" | "http"),
            "ATTEST_REMEDIATION_WEBHOOK_URL must be an https:// URL"
        );
        Ok(Some(RemediationHook {
            url: url.to_owned(),
            secret: secret
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            base_url: base_url.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(20))
                .build()?,
        }))
    }

    /// Posts every remediation task opened in the last week and not posted yet.
    pub async fn run(&self, store: &Store, now: DateTime<Utc>) -> anyhow::Result<Posted> {
        let since = now - chrono::Duration::days(REMEDIATION_HOOK_WINDOW_DAYS);
        let items = store.pending_remediation_hooks(since).await?;
        let mut done = Posted::default();
        if items.is_empty() {
            return Ok(done);
        }
        let managed = store.terraform_managed().await?;
        for item in items {
            let body = serde_json::to_vec(&self.payload(&item, &managed))?;
            match self.post(&body).await {
                Ok(()) => {
                    store.record_remediation_hook_sent(&item, now).await?;
                    done.posted += 1;
                }
                Err(err) => {
                    done.failures += 1;
                    tracing::warn!(item = item.id, error = %err, "remediation webhook failed");
                }
            }
        }
        Ok(done)
    }

    fn payload(
        &self,
        item: &domain::review::ReviewItem,
        managed: &[domain::review::remediation::terraform::Managed],
    ) -> serde_json::Value {
        let address = domain::review::remediation::terraform::address_for(&item.grant, managed);
        let instructions = domain::review::remediation::instructions(&item.grant, address);
        serde_json::json!({
            "event": "remediation.opened",
            "item_id": item.id,
            "round_id": item.round_id,
            "url": format!("{}/campaigns/rounds/{}#item-{}", self.base_url, item.round_id, item.id),
            "opened_at": item.remediation_at,
            "grant": item.grant,
            "holder": item.holder,
            "decided_by": item.decided_by,
            "justification": item.justification,
            "terraform_address": address,
            "instructions": instructions,
        })
    }

    async fn post(&self, body: &[u8]) -> anyhow::Result<()> {
        let mut request = self
            .http
            .post(&self.url)
            .header("Content-Type", "application/json")
            .header("User-Agent", "Attest")
            .header("X-Attest-Event", "remediation.opened");
        if let Some(secret) = &self.secret {
            request = request.header(
                "X-Attest-Signature-256",
                domain::signature::github_signature(secret.as_bytes(), body),
            );
        }
        let response = request.body(body.to_vec()).send().await?;
        anyhow::ensure!(
            response.status().is_success(),
            "the webhook answered {}",
            response.status()
        );
        Ok(())
    }
}

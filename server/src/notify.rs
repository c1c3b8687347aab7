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

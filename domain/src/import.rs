//! `attest import <kind> PATH...`: every kind of file Attest reads, through the same inbox as
//! webhooks. Record files (CloudTrail, GCP log entries, Okta events, ...) stream one delivery
//! per record, keyed by the record's own id; snapshot files (IAM exports, org snapshots,
//! Terraform plans) are one delivery each, keyed by a hash of their bytes. Re-importing a
//! file never duplicates anything, and a bad file is reported while the others go in.

use crate::ingest::{ingest_normalized, normalize_all, Tally};
use crate::model::Source;
use crate::normalize;
use crate::record_files::{self, RecordFileError, RecordFormat};
use crate::store::{BulkWriter, IncomingDelivery, NormalizedBatch, Store, StoreError};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

/// How many records one transaction carries during imports. Every commit writes each index
/// page it touched to the WAL, so fewer, larger transactions write less (10,000 records ran
/// about a tenth faster than 4,000); at most three batches are in memory at once (the one
/// written, one waiting, one being read): about 400 MB at the peak for CloudTrail records,
/// whatever the file's size.
const BATCH: usize = 10_000;

/// The first batch of a file is this small, and each next one twice the one before until
/// [`BATCH`]: the writer starts as soon as a few records are read instead of idling while the
/// reader fills a whole batch (a tenth of a second per 2,000 CloudTrail records), and each
/// batch is written while the reader fills the next, at most twice as big.
const FIRST_BATCH: usize = 1_000;

/// The largest snapshot file read whole (a big organisation's IAM export is tens of MB).
pub const MAX_SNAPSHOT_BYTES: u64 = 512 * 1024 * 1024;

/// The kinds of file `attest import` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportKind {
    Cloudtrail,
    Gcp,
    Azure,
    GitlabAudit,
    GithubAudit,
    Okta,
    AwsIam,
    AwsCredentialReport,
    GcpIam,
    AzureManagementGroups,
    GithubOrg,
    TerraformPlan,
    People,
}

/// Whether a file is a stream of records or one snapshot.
#[derive(Debug, Clone, Copy)]
pub enum Layout {
    Records(&'static RecordFormat),
    Snapshot,
}

const GCP_LOG_ENTRIES: RecordFormat = RecordFormat {
    file: "a file of Cloud Audit Logs entries",
    record: "a LogEntry",
    records: "LogEntries",
    wrappers: &["entries"],
    // CloudEvents wrappers (Eventarc) carry the entry in `data`.
    record_keys: &[
        "insertId",
        "logName",
        "protoPayload",
        "timestamp",
        "specversion",
    ],
    skip: None,
};

const AZURE_RECORDS: RecordFormat = RecordFormat {
    file: "an Azure Activity Log or Entra audit export",
    record: "an Activity Log or directory audit record",
    records: "Activity Log or directory audit records",
    wrappers: &["value", "records"],
    // Log Analytics rows spell the same fields in PascalCase; keys compare without case.
    record_keys: &[
        "eventDataId",
        "operationName",
        "activityDisplayName",
        "activityDateTime",
        "correlationId",
        "resourceId",
        "TimeGenerated",
        "RecordType",
    ],
    skip: None,
};

const GITLAB_AUDIT_EVENTS: RecordFormat = RecordFormat {
    file: "a GitLab audit events export",
    record: "a GitLab audit event",
    records: "GitLab audit events",
    wrappers: &[],
    record_keys: &[
        "entity_type",
        "author_id",
        "event_name",
        "entity_id",
        "details",
    ],
    skip: None,
};

const GITHUB_AUDIT_LOG: RecordFormat = RecordFormat {
    file: "a GitHub audit log export",
    record: "a GitHub audit log event",
    records: "GitHub audit log events",
    wrappers: &[],
    record_keys: &[
        "action",
        "@timestamp",
        "_document_id",
        "actor",
        "created_at",
    ],
    skip: None,
};

const OKTA_SYSTEM_LOG: RecordFormat = RecordFormat {
    file: "an Okta System Log export",
    record: "an Okta System Log event",
    records: "Okta System Log events",
    wrappers: &[],
    record_keys: &["uuid", "eventType", "published", "actor"],
    skip: None,
};

impl ImportKind {
    pub const ALL: [ImportKind; 13] = [
        ImportKind::Cloudtrail,
        ImportKind::Gcp,
        ImportKind::Azure,
        ImportKind::GitlabAudit,
        ImportKind::GithubAudit,
        ImportKind::Okta,
        ImportKind::AwsIam,
        ImportKind::AwsCredentialReport,
        ImportKind::GcpIam,
        ImportKind::AzureManagementGroups,
        ImportKind::GithubOrg,
        ImportKind::TerraformPlan,
        ImportKind::People,
    ];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ImportKind::Cloudtrail => "cloudtrail",
            ImportKind::Gcp => "gcp",
            ImportKind::Azure => "azure",
            ImportKind::GitlabAudit => "gitlab-audit",
            ImportKind::GithubAudit => "github-audit",
            ImportKind::Okta => "okta",
            ImportKind::AwsIam => "aws-iam",
            ImportKind::AwsCredentialReport => "aws-credential-report",
            ImportKind::GcpIam => "gcp-iam",
            ImportKind::AzureManagementGroups => "azure-management-groups",
            ImportKind::GithubOrg => "github-org",
            ImportKind::TerraformPlan => "terraform-plan",
            ImportKind::People => "people",
        }
    }

    pub fn source(self) -> Source {
        match self {
            ImportKind::Cloudtrail => Source::Cloudtrail,
            ImportKind::Gcp | ImportKind::GcpIam => Source::Gcp,
            ImportKind::Azure | ImportKind::AzureManagementGroups => Source::Azure,
            ImportKind::GitlabAudit => Source::Gitlab,
            ImportKind::GithubAudit | ImportKind::GithubOrg => Source::Github,
            ImportKind::Okta => Source::Okta,
            ImportKind::AwsIam | ImportKind::AwsCredentialReport => Source::Aws,
            ImportKind::TerraformPlan => Source::Terraform,
            ImportKind::People => Source::People,
        }
    }

    pub fn layout(self) -> Layout {
        match self {
            ImportKind::Cloudtrail => Layout::Records(&RecordFormat::CLOUDTRAIL),
            ImportKind::Gcp => Layout::Records(&GCP_LOG_ENTRIES),
            ImportKind::Azure => Layout::Records(&AZURE_RECORDS),
            ImportKind::GitlabAudit => Layout::Records(&GITLAB_AUDIT_EVENTS),
            ImportKind::GithubAudit => Layout::Records(&GITHUB_AUDIT_LOG),
            ImportKind::Okta => Layout::Records(&OKTA_SYSTEM_LOG),
            ImportKind::AwsIam
            | ImportKind::AwsCredentialReport
            | ImportKind::GcpIam
            | ImportKind::AzureManagementGroups
            | ImportKind::GithubOrg
            | ImportKind::TerraformPlan
            | ImportKind::People => Layout::Snapshot,
        }
    }

    /// The delivery kind the normalizer dispatches on, for one record or snapshot.
    fn delivery_kind(self, record: Option<&Value>) -> Option<&'static str> {
        Some(match self {
            ImportKind::Cloudtrail => return None,
            ImportKind::Gcp => "log_entry",
            // One export may mix Activity Log and Entra directory audit records.
            ImportKind::Azure => record.map_or("activity_log", normalize::azure::detect_kind),
            ImportKind::GitlabAudit => "audit_event",
            ImportKind::GithubAudit => "audit_log",
            ImportKind::Okta => "system_log",
            ImportKind::AwsIam => "iam_authorization_details",
            ImportKind::AwsCredentialReport => "credential_report",
            // A plain policy names no resource of its own: `--resource` says which (see
            // `ImportOptions::snapshot_kind`, which also tells asset inventory exports apart).
            ImportKind::GcpIam => "iam_policy",
            ImportKind::AzureManagementGroups => normalize::azure::MANAGEMENT_GROUPS,
            ImportKind::GithubOrg => "org_snapshot",
            ImportKind::TerraformPlan => "plan",
            ImportKind::People => "directory",
        })
    }
}

impl std::str::FromStr for ImportKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ImportKind::ALL
            .into_iter()
            .find(|kind| kind.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = ImportKind::ALL.iter().map(|k| k.name()).collect();
                format!(
                    "unknown import kind {s:?} (expected one of: {})",
                    names.join(", ")
                )
            })
    }
}

/// What an import is told besides the files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// `gcp-iam`: the resource a plain `get-iam-policy` output belongs to
    /// (`projects/my-project`); asset inventory exports name their own.
    pub resource: Option<String>,
    /// `terraform-plan`: the commit the plan was made from.
    pub commit: Option<String>,
    /// `terraform-plan`: the CI or HCP Terraform run that made it.
    pub run_url: Option<String>,
}

impl ImportOptions {
    /// The delivery kind of a snapshot file, with what the normalizer needs to know about it.
    fn snapshot_kind(&self, kind: ImportKind, body: &[u8]) -> Option<String> {
        let base = kind.delivery_kind(None)?;
        Some(match kind {
            ImportKind::GcpIam if is_resource_listing(body) => "resource_manager".to_owned(),
            ImportKind::GcpIam if is_single_policy(body) => match &self.resource {
                Some(resource) => format!("{base}:{resource}"),
                None => base.to_owned(),
            },
            ImportKind::GcpIam => "asset_inventory".to_owned(),
            ImportKind::TerraformPlan => {
                let mut kind = base.to_owned();
                for (name, value) in [("commit", &self.commit), ("run", &self.run_url)] {
                    if let Some(value) = value {
                        kind.push_str(&format!(";{name}={value}"));
                    }
                }
                kind
            }
            _ => base.to_owned(),
        })
    }
}

/// Whether a GCP IAM file lists projects or folders (which folder or organization each is in).
fn is_resource_listing(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body).is_ok_and(|v| normalize::gcp::is_listing(&v))
}

/// Whether a GCP IAM file is one policy (`get-iam-policy` output: `bindings`, `etag`) rather
/// than an asset inventory export (records that each name a resource and hold a policy).
fn is_single_policy(body: &[u8]) -> bool {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => {
            (map.contains_key("bindings") || map.contains_key("etag"))
                && !map.contains_key("policy")
                && !map.contains_key("iamPolicy")
        }
        _ => false,
    }
}

/// The result of an import.
#[derive(Debug, Clone, Default)]
pub struct ImportSummary {
    pub files: u64,
    pub tally: Tally,
    pub skipped_files: Vec<(PathBuf, String)>,
    pub failed_files: Vec<(PathBuf, String)>,
}

/// Progress reports for a terminal progress bar.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    Files(u64),
    FileStarted(&'a Path),
    Records(u64),
    FileDone,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Files(#[from] RecordFileError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn body_key(body: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(body)))
}

/// A CloudTrail record as an inbox delivery, keyed by its `eventID` (a body hash if it has none,
/// so even a malformed record is kept once and shown with its reason).
pub fn cloudtrail_delivery(body: Vec<u8>, received_at: DateTime<Utc>) -> IncomingDelivery {
    let delivery_key = normalize::cloudtrail::event_id(&body).unwrap_or_else(|| body_key(&body));
    IncomingDelivery {
        source: Source::Cloudtrail,
        delivery_key,
        kind: None,
        received_at,
        headers: Vec::new(),
        body,
    }
}

/// One record of a record file as an inbox delivery, keyed by the record's own id (a body hash
/// when it has none or does not parse: it is still kept once, with the reason it failed).
pub fn record_delivery(
    kind: ImportKind,
    body: Vec<u8>,
    received_at: DateTime<Utc>,
) -> IncomingDelivery {
    if kind == ImportKind::Cloudtrail {
        return cloudtrail_delivery(body, received_at);
    }
    let record: Option<Value> = serde_json::from_slice(&body).ok();
    let delivery_kind = kind.delivery_kind(record.as_ref());
    let delivery_key = delivery_kind
        .and_then(|k| normalize::record_key(kind.source(), k, &body))
        .unwrap_or_else(|| body_key(&body));
    IncomingDelivery {
        source: kind.source(),
        delivery_key,
        kind: delivery_kind.map(str::to_owned),
        received_at,
        headers: Vec::new(),
        body,
    }
}

/// Imports files and directories of one kind. Record files stream through a bounded channel in
/// batches, so memory stays flat whatever the file size; a bad file is reported and the others
/// are still imported.
pub async fn import_files(
    store: &Store,
    kind: ImportKind,
    options: &ImportOptions,
    paths: &[PathBuf],
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<ImportSummary, ImportError> {
    let files = record_files::discover(paths)?;
    let mut summary = ImportSummary {
        files: files.len() as u64,
        ..ImportSummary::default()
    };
    progress(Progress::Files(summary.files));
    let mut checkpoints = Checkpoints::default();
    let mut writer = store.bulk_writer().await?;
    for file in files {
        progress(Progress::FileStarted(&file));
        let to = Writing {
            store,
            writer: &mut writer,
            summary: &mut summary,
            checkpoints: &mut checkpoints,
        };
        let result = match kind.layout() {
            Layout::Records(format) => import_records(to, kind, format, &file, progress).await?,
            Layout::Snapshot => import_snapshot(to, kind, options, &file, progress).await?,
        };
        match result {
            Ok(None) => {}
            Ok(Some(skipped)) => summary.skipped_files.push((file, skipped)),
            Err(reason) => summary.failed_files.push((file, reason)),
        }
        progress(Progress::FileDone);
    }
    writer.finish().await?;
    checkpoints.finish().await;
    Ok(summary)
}

/// Where an import writes: the store and its writer, the running summary, and the
/// checkpoints beside it.
struct Writing<'a> {
    store: &'a Store,
    writer: &'a mut BulkWriter,
    summary: &'a mut ImportSummary,
    checkpoints: &'a mut Checkpoints,
}

/// Checkpoints beside an import's writes ([`Store::checkpoint`]), so the writer never stops
/// to copy the WAL back and wait for the disk: one at a time, started after a commit once the
/// one before has finished, and the last awaited before the import returns. A checkpoint
/// that fails loses nothing (the WAL keeps the data, and the writer checkpoints past a bound
/// itself): it is logged and the import goes on.
#[derive(Default)]
struct Checkpoints {
    running: Option<tokio::task::JoinHandle<Result<(), StoreError>>>,
}

impl Checkpoints {
    async fn after_commit(&mut self, store: &Store) {
        if self
            .running
            .as_ref()
            .is_some_and(|running| !running.is_finished())
        {
            return;
        }
        self.finish().await;
        let store = store.clone();
        self.running = Some(tokio::spawn(async move { store.checkpoint().await }));
    }

    async fn finish(&mut self) {
        let Some(running) = self.running.take() else {
            return;
        };
        match running.await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::warn!(%err, "checkpoint beside the import failed"),
            Err(err) => tracing::warn!(%err, "checkpoint beside the import stopped"),
        }
    }
}

/// `attest import cloudtrail`.
pub async fn import_cloudtrail(
    store: &Store,
    paths: &[PathBuf],
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<ImportSummary, ImportError> {
    import_files(
        store,
        ImportKind::Cloudtrail,
        &ImportOptions::default(),
        paths,
        progress,
    )
    .await
}

/// Outer error: the database failed (the import stops). Inner: this file was skipped (`Some`
/// reason) or failed (`Err` reason) and the import goes on.
type FileResult = Result<Result<Option<String>, String>, ImportError>;

async fn import_records(
    to: Writing<'_>,
    kind: ImportKind,
    format: &'static RecordFormat,
    file: &Path,
    progress: &mut dyn FnMut(Progress<'_>),
) -> FileResult {
    // The reading thread also turns records into deliveries, normalizes them and works out
    // what needs no database, so all of that overlaps with writing the previous batch (one
    // more may wait). Written batches go back to it to be freed there too.
    let (sender, mut batches) = tokio::sync::mpsc::channel::<NormalizedBatch>(1);
    let (written, freed) = std::sync::mpsc::channel::<NormalizedBatch>();
    let path = file.to_owned();
    let reader = tokio::task::spawn_blocking(move || {
        let mut size = FIRST_BATCH;
        let mut batch = Vec::with_capacity(size);
        let send = |records: Vec<Vec<u8>>| {
            let now = Utc::now();
            let deliveries: Vec<IncomingDelivery> = records
                .into_iter()
                .map(|body| record_delivery(kind, body, now))
                .collect();
            let outcomes = normalize_all(&deliveries);
            sender.blocking_send(NormalizedBatch::new(deliveries, outcomes))
        };
        let result = record_files::read_records(&path, format, &mut |record| {
            // A batch is freed as soon as it is written, not when the next one is sent.
            while let Ok(done) = freed.try_recv() {
                drop(done);
            }
            batch.push(record);
            if batch.len() >= size {
                size = (size * 2).min(BATCH);
                let full = std::mem::replace(&mut batch, Vec::with_capacity(size));
                if send(full).is_err() {
                    return ControlFlow::Break(());
                }
            }
            ControlFlow::Continue(())
        });
        if !batch.is_empty() {
            // The receiver only goes away when the import stops on a database error.
            let _ = send(batch);
        }
        result
    });
    while let Some(batch) = batches.recv().await {
        let (results, batch) = ingest_normalized(to.store, to.writer, batch).await?;
        to.checkpoints.after_commit(to.store).await;
        // The reader may be done already; then the batch is freed here.
        let _ = written.send(batch);
        to.summary.tally.add(&results);
        progress(Progress::Records(results.len() as u64));
    }
    Ok(match reader.await {
        Ok(Ok(file_summary)) => Ok(file_summary.skipped),
        Ok(Err(err)) => Err(err.to_string()),
        Err(join) => Err(format!("reader stopped: {join}")),
    })
}

async fn import_snapshot(
    to: Writing<'_>,
    kind: ImportKind,
    options: &ImportOptions,
    file: &Path,
    progress: &mut dyn FnMut(Progress<'_>),
) -> FileResult {
    let path = file.to_owned();
    let read = tokio::task::spawn_blocking(move || read_whole(&path)).await;
    let body = match read {
        Ok(Ok(body)) => body,
        Ok(Err(reason)) => return Ok(Err(reason)),
        Err(join) => return Ok(Err(format!("reader stopped: {join}"))),
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Ok(Some("the file is empty".to_owned())));
    }
    let mut headers = vec![(
        "x-attest-file".to_owned(),
        file.file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default(),
    )];
    // Keyed by the file's own bytes, so importing it again is a duplicate.
    let delivery_key = body_key(&body);
    let delivery_kind = options.snapshot_kind(kind, &body);
    let body = match kind {
        // A plan holds its sensitive values in clear text: they are not kept.
        ImportKind::TerraformPlan => match normalize::terraform::redact_plan(&body) {
            Some(redacted) => {
                headers.push((
                    "x-attest-redacted".to_owned(),
                    "values Terraform marks sensitive".to_owned(),
                ));
                redacted
            }
            None => body,
        },
        _ => body,
    };
    let delivery = IncomingDelivery {
        source: kind.source(),
        delivery_key,
        kind: delivery_kind,
        received_at: Utc::now(),
        headers,
        body,
    };
    let deliveries = vec![delivery];
    let outcomes = normalize_all(&deliveries);
    let batch = NormalizedBatch::new(deliveries, outcomes);
    let (results, _) = ingest_normalized(to.store, to.writer, batch).await?;
    to.checkpoints.after_commit(to.store).await;
    to.summary.tally.add(&results);
    progress(Progress::Records(results.len() as u64));
    Ok(Ok(None))
}

/// A snapshot file's bytes, gunzipped when gzipped, refused past [`MAX_SNAPSHOT_BYTES`].
fn read_whole(path: &Path) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|err| format!("cannot read it: {err}"))?;
    let mut head = [0u8; 2];
    let mut body = Vec::new();
    let limit = MAX_SNAPSHOT_BYTES + 1;
    let gzipped = {
        let mut peek = std::fs::File::open(path).map_err(|err| format!("cannot read it: {err}"))?;
        peek.read(&mut head)
            .map_err(|err| format!("cannot read it: {err}"))?
            == 2
            && head == [0x1f, 0x8b]
    };
    let read = if gzipped {
        flate2::read::MultiGzDecoder::new(file)
            .take(limit)
            .read_to_end(&mut body)
    } else {
        file.take(limit).read_to_end(&mut body)
    };
    read.map_err(|err| format!("cannot read it: {err}"))?;
    if body.len() as u64 > MAX_SNAPSHOT_BYTES {
        return Err(format!(
            "it is larger than {} MiB, the most a snapshot may be",
            MAX_SNAPSHOT_BYTES / (1024 * 1024)
        ));
    }
    Ok(body)
}

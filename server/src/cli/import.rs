//! `attest import <kind> PATH...`: streaming file imports with a progress bar on a terminal and
//! a summary at the end. Exit code 1 when any file failed; the other files are still imported.

use clap::{Args, Subcommand};
use domain::import::{self, ImportKind, ImportOptions, Progress};
use domain::store::Store;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// CloudTrail log files (.json, .json.gz; `{"Records":[…]}`, arrays or one record per line)
    /// or folders of them, as S3 delivers them.
    Cloudtrail(Files),
    /// GCP Cloud Audit Logs entries: `gcloud logging read --format=json` output, Logging API
    /// `entries:list` responses, or one LogEntry per line.
    Gcp(Files),
    /// Azure Activity Log exports and Microsoft Entra audit logs (`{"value":[…]}`,
    /// `{"records":[…]}`, arrays or one record per line).
    Azure(Files),
    /// GitLab audit events (audit events API responses or streamed events, JSON or NDJSON).
    GitlabAudit(Files),
    /// GitHub organisation audit log exports (JSON or NDJSON).
    GithubAudit(Files),
    /// Okta System Log events (System Log API responses, JSON or NDJSON).
    Okta(Files),
    /// `aws iam get-account-authorization-details` output: a snapshot of the account's users,
    /// groups, roles and policies.
    AwsIam(Files),
    /// `aws iam get-credential-report` CSV (decoded, or as the base64 the API returns).
    AwsCredentialReport(Files),
    /// `gcloud … get-iam-policy --format=json` output, or Cloud Asset Inventory IAM exports;
    /// and `gcloud projects list|describe` / `gcloud resource-manager folders list|describe`
    /// (`--format=json`), which say which folder or organization holds each project.
    GcpIam {
        /// The resource a plain policy belongs to, e.g. `projects/my-project`,
        /// `organizations/123` (asset inventory exports name their own).
        #[arg(long)]
        resource: Option<String>,
        #[command(flatten)]
        files: Files,
    },
    /// `az account management-group show --name ROOT --expand --recurse` output (or a list of
    /// groups): which subscription and group is in which management group.
    AzureManagementGroups(Files),
    /// A snapshot of a GitHub organisation (members, teams, repositories, collaborators,
    /// deploy keys) in the JSON shape the README describes.
    GithubOrg(Files),
    /// `terraform show -json PLANFILE` output: one event per changed resource.
    TerraformPlan {
        /// The commit the plan was made from.
        #[arg(long)]
        commit: Option<String>,
        /// The CI run or HCP Terraform run that made the plan.
        #[arg(long)]
        run_url: Option<String>,
        #[command(flatten)]
        files: Files,
    },
    /// A people file (CSV with a header row, a JSON array, or a SCIM ListResponse): e-mail,
    /// name, manager e-mail, department and account ids per source (README: "People").
    /// Name the files themselves: folders are walked for JSON only.
    People(Files),
    /// Resource owners, for access reviews: a CSV with `resource` (a pattern over resource
    /// names, `*` and `?`) and `owner` (e-mails, `github:login` or `team:org/slug`) columns.
    /// Replaces the previous owners file's rules.
    Owners { file: PathBuf },
    /// A repository's CODEOWNERS file: its catch-all (`*`) owners own the repository in
    /// access reviews. Replaces what the last import for that repository said.
    Codeowners {
        /// The repository, `org/name`.
        #[arg(long)]
        repo: String,
        file: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct Files {
    /// Files or folders (walked recursively; .json, .jsonl, .ndjson and their .gz forms).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

/// What an import command asks for: files of a kind, or one of the owners imports (which are
/// settings for access reviews, not records).
enum Parts {
    Files(ImportKind, ImportOptions, Vec<PathBuf>),
    Owners(PathBuf),
    Codeowners(String, PathBuf),
}

impl ImportCommand {
    fn parts(self) -> Parts {
        let mut options = ImportOptions::default();
        let (kind, files) = match self {
            ImportCommand::Cloudtrail(f) => (ImportKind::Cloudtrail, f),
            ImportCommand::Gcp(f) => (ImportKind::Gcp, f),
            ImportCommand::Azure(f) => (ImportKind::Azure, f),
            ImportCommand::GitlabAudit(f) => (ImportKind::GitlabAudit, f),
            ImportCommand::GithubAudit(f) => (ImportKind::GithubAudit, f),
            ImportCommand::Okta(f) => (ImportKind::Okta, f),
            ImportCommand::AwsIam(f) => (ImportKind::AwsIam, f),
            ImportCommand::AwsCredentialReport(f) => (ImportKind::AwsCredentialReport, f),
            ImportCommand::GcpIam { resource, files } => {
                options.resource = resource;
                (ImportKind::GcpIam, files)
            }
            ImportCommand::AzureManagementGroups(f) => (ImportKind::AzureManagementGroups, f),
            ImportCommand::GithubOrg(f) => (ImportKind::GithubOrg, f),
            ImportCommand::TerraformPlan {
                commit,
                run_url,
                files,
            } => {
                options.commit = commit;
                options.run_url = run_url;
                (ImportKind::TerraformPlan, files)
            }
            ImportCommand::People(f) => (ImportKind::People, f),
            ImportCommand::Owners { file } => return Parts::Owners(file),
            ImportCommand::Codeowners { repo, file } => return Parts::Codeowners(repo, file),
        };
        Parts::Files(kind, options, files.paths)
    }
}

pub async fn run(store: &Store, command: ImportCommand) -> anyhow::Result<ExitCode> {
    let (kind, options, paths) = match command.parts() {
        Parts::Files(kind, options, paths) => (kind, options, paths),
        Parts::Owners(file) => return super::review::import_owners(store, &file).await,
        Parts::Codeowners(repo, file) => {
            return super::review::import_codeowners(store, &repo, &file).await
        }
    };
    let bar = ProgressBar::with_draw_target(None, progress_target());
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] files {pos}/{len} · {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let mut records = 0u64;
    let summary = import::import_files(
        store,
        kind,
        &options,
        &paths,
        &mut |progress| match progress {
            Progress::Files(n) => bar.set_length(n),
            Progress::FileStarted(path) => {
                bar.set_message(format!("{records} records · {}", path.display()))
            }
            Progress::Records(n) => {
                records += n;
                bar.set_message(format!("{records} records"));
            }
            Progress::FileDone => bar.inc(1),
        },
    )
    .await?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let t = &summary.tally;
    println!(
        "imported {} {} files: {} records, {} new, {} duplicates, {} failed to normalize, \
         {} ignored; {} events, {} grant changes, {} snapshot grants ({:.0} records/s)",
        summary.files,
        kind.name(),
        t.records,
        t.new,
        t.duplicates,
        t.failed,
        t.ignored,
        t.events,
        t.grant_changes,
        t.snapshot_grants,
        t.records as f64 / seconds.max(1e-9)
    );
    for (path, reason) in &summary.skipped_files {
        println!("skipped {}: {reason}", path.display());
    }
    for (path, reason) in &summary.failed_files {
        eprintln!("failed {}: {reason}", path.display());
    }
    Ok(if summary.failed_files.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn progress_target() -> ProgressDrawTarget {
    if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    }
}

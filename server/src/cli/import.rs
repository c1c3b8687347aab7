//! `attest import <kind> PATH...`: streaming file imports with a progress bar on a terminal and
//! a summary at the end. Exit code 1 when any file failed; the other files are still imported.

use clap::Subcommand;
use domain::ingest::{self, Progress};
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
    Cloudtrail {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

pub async fn run(store: &Store, command: ImportCommand) -> anyhow::Result<ExitCode> {
    let ImportCommand::Cloudtrail { paths } = command;
    let bar = ProgressBar::with_draw_target(None, progress_target());
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] files {pos}/{len} · {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let mut records = 0u64;
    let summary = ingest::import_cloudtrail(store, &paths, &mut |progress| match progress {
        Progress::Files(n) => bar.set_length(n),
        Progress::FileStarted(path) => {
            bar.set_message(format!("{records} records · {}", path.display()))
        }
        Progress::Records(n) => {
            records += n;
            bar.set_message(format!("{records} records"));
        }
        Progress::FileDone => bar.inc(1),
    })
    .await?;
    bar.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let t = &summary.tally;
    println!(
        "imported {} files: {} records, {} new, {} duplicates, {} failed to normalize \
         ({:.0} records/s)",
        summary.files,
        t.records,
        t.new,
        t.duplicates,
        t.failed,
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

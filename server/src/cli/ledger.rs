//! `attest verify` and `attest ledger …`: the tamper-evident record of what Attest stored.
//! The signing key lives in a file outside the database (`attest ledger key`); checkpoints
//! signed with it are stored beside the ledger and exported to files kept elsewhere, so a
//! ledger cut short is found against the last one exported.

use anyhow::Context;
use chrono::Utc;
use clap::{Args, Subcommand};
use domain::ledger::{public_key_from_hex, signing_key_from_hex, Checkpoint};
use domain::store::Store;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The ledger's public key in hex (as `attest ledger key` printed it), to check the
    /// checkpoints with. Without it the chain and the records are checked, the checkpoints not.
    #[arg(long, env = "ATTEST_LEDGER_PUBLIC_KEY")]
    public_key: Option<String>,
    /// A checkpoint file exported earlier (`attest ledger checkpoint --export`); repeatable.
    /// A ledger cut short since is found against it.
    #[arg(long = "checkpoint", value_name = "FILE")]
    checkpoints: Vec<PathBuf>,
    /// A file exported from Attest (a CSV download); repeatable. Its SHA-256 must be the one
    /// recorded when it was exported: who exported it, and when, is printed.
    #[arg(long = "export", value_name = "FILE")]
    exports: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Make a signing key: the secret goes to FILE (readable by its owner only), the public
    /// key is printed. Keep the file outside the database and its backups.
    Key {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Sign the ledger's head now (size and Merkle root), store the checkpoint, and export it.
    Checkpoint {
        /// The file `attest ledger key` wrote.
        #[arg(long, env = "ATTEST_LEDGER_KEY_FILE", value_name = "FILE")]
        key_file: PathBuf,
        /// Also write the checkpoint to FILE, to keep somewhere the database's owner cannot
        /// change (`attest verify --checkpoint FILE` checks against it).
        #[arg(long, value_name = "FILE")]
        export: Option<PathBuf>,
    },
}

pub async fn verify(store: &Store, args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let key = match args.public_key.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => {
            Some(public_key_from_hex(text).map_err(|err| anyhow::anyhow!("--public-key: {err}"))?)
        }
        _ => None,
    };
    let mut exported = Vec::new();
    for path in &args.checkpoints {
        exported.push(read_checkpoint(path)?);
    }
    if key.is_none() && !exported.is_empty() {
        anyhow::bail!("--checkpoint needs --public-key (or ATTEST_LEDGER_PUBLIC_KEY) to check it");
    }
    let report = store.verify_ledger(key.as_ref(), &exported).await?;
    let mut exports_found = true;
    for path in &args.exports {
        let bytes =
            std::fs::read(path).with_context(|| format!("reading export {}", path.display()))?;
        let sha256 = domain::export::recorded_sha256(&bytes);
        let filter = domain::audit::ActionFilter {
            action: domain::audit::actions::EXPORT.to_owned(),
            text: format!("sha256 {sha256}"),
            ..Default::default()
        };
        match store.actions(&filter, 1).await?.actions.first() {
            Some(made) => println!(
                "export: {} is {} as exported by {} at {} (audit log #{})",
                path.display(),
                made.target,
                made.actor,
                made.at.format("%Y-%m-%d %H:%M:%S UTC"),
                made.id
            ),
            None => {
                exports_found = false;
                println!(
                    "problem: {} matches no recorded export (SHA-256 {sha256}): it was changed, \
                     or not exported from this Attest",
                    path.display()
                );
            }
        }
    }
    println!(
        "ledger: {} entries; {} deliveries checked against their entries ({} stored before the \
         ledger began)",
        report.size, report.deliveries_checked, report.deliveries_before_ledger
    );
    if report.checkpoints > 0 {
        println!(
            "checkpoints: {} checked, covering up to entry {}",
            report.checkpoints, report.checkpointed_size
        );
    }
    if report.checkpoints_unchecked > 0 {
        println!(
            "checkpoints: {} stored, not checked (give --public-key to check them)",
            report.checkpoints_unchecked
        );
    }
    if report.is_sound() {
        println!("sound: every entry, and every delivery, decision and token it records, is as it was recorded");
        return Ok(if exports_found {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    for problem in &report.problems {
        println!("problem: {problem}");
    }
    if report.more_problems > 0 {
        println!("… and {} more problems", report.more_problems);
    }
    Ok(ExitCode::FAILURE)
}

fn read_checkpoint(path: &Path) -> anyhow::Result<Checkpoint> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading checkpoint {}", path.display()))?;
    Checkpoint::parse(&text).map_err(|err| anyhow::anyhow!("{}: {err}", path.display()))
}

pub async fn run(store: &Store, command: LedgerCommand) -> anyhow::Result<ExitCode> {
    match command {
        LedgerCommand::Key { out } => {
            let key = domain::ledger::generate_key();
            write_secret(&out, &format!("{}\n", hex::encode(key.to_bytes())))?;
            eprintln!(
                "wrote the ledger's signing key to {}; its public key (for `attest verify \
                 --public-key`):",
                out.display()
            );
            println!("{}", hex::encode(key.verifying_key().to_bytes()));
        }
        LedgerCommand::Checkpoint { key_file, export } => {
            let key = read_signing_key(&key_file)?;
            let checkpoint = store.checkpoint_ledger(&key, Utc::now()).await?;
            if let Some(path) = export {
                std::fs::write(&path, checkpoint.to_text())
                    .with_context(|| format!("writing {}", path.display()))?;
                eprintln!("exported to {}", path.display());
            }
            print!("{}", checkpoint.to_text());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes a new file readable by its owner only; an existing file is never overwritten.
fn write_secret(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {} (it must not exist yet)", path.display()))?;
    file.write_all(text.as_bytes())?;
    Ok(())
}

/// The signing key in `path`, as `attest ledger key` wrote it.
pub fn read_signing_key(path: &Path) -> anyhow::Result<domain::ledger::SigningKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the ledger's signing key {}", path.display()))?;
    signing_key_from_hex(&text).map_err(|err| anyhow::anyhow!("{}: {err}", path.display()))
}

/// `serve`'s checkpoints: one at start, then one each `every` while the ledger grows. A
/// failure is logged and tried again next time; the ledger itself is never at risk.
pub async fn checkpoint_every(
    store: Store,
    key: domain::ledger::SigningKey,
    every: std::time::Duration,
) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match store.checkpoint_if_grown(&key, Utc::now()).await {
            Ok(Some(checkpoint)) => {
                tracing::info!(size = checkpoint.size, "ledger checkpoint signed")
            }
            Ok(None) => {}
            Err(err) => tracing::warn!(error = %err, "ledger checkpoint failed"),
        }
    }
}

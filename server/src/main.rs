//! `attest`: parse the command line, set up logging, run the command, and turn any error into
//! one readable line and a non-zero exit.

use clap::Parser;
use std::process::ExitCode;

/// mimalloc instead of the system allocator: an import allocates millions of small strings
/// and JSON values on one thread and frees them on another, which glibc's allocator does
/// slowly (its free, consolidation and arena locks were a tenth of an import's time).
/// Built without transparent huge pages (`no_thp`): mimalloc asked the kernel for them, and an
/// import, whose batches free and take back memory all the time, spent a quarter of its CPU
/// time in the kernel zeroing whole 2 MiB pages on first touch (`clear_page_erms` under
/// `do_huge_pmd_anonymous_page`, 27% of samples; 0.2% without). Three 100,000-record imports
/// took 8.2 to 9.3 s of system time with them and 5.6 to 6.1 s without.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The log targets the access graph's layout (`rust-sugiyama`) reports each phase under, at
/// info: some forty lines per drawing. Kept to warnings unless `ATTEST_LOG` names them.
const LAYOUT_LOG_TARGETS: [&str; 11] = [
    "connected_components",
    "coordinate_calculation",
    "crossing_reduction",
    "crossings_reduction",
    "cut_values",
    "initialization",
    "initializing",
    "layouting",
    "low_lim",
    "ranking",
    "reduce_crossings",
];

#[tokio::main]
async fn main() -> ExitCode {
    let asked = std::env::var("ATTEST_LOG").unwrap_or_default();
    let mut filter = tracing_subscriber::EnvFilter::try_from_env("ATTEST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    for target in LAYOUT_LOG_TARGETS {
        if !asked.contains(target) {
            if let Ok(directive) = format!("{target}=warn").parse() {
                filter = filter.add_directive(directive);
            }
        }
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let cli = server::cli::Cli::parse();
    match server::cli::run(cli).await {
        Ok(code) => code,
        Err(err) => {
            eprintln!("attest: {err:#}");
            ExitCode::from(2)
        }
    }
}

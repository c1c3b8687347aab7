//! `make bench`: prints throughput and latency figures; never fails on time.
//!
//! 1. CloudTrail import (events/s) of a generated `.json.gz` into SQLite and Postgres.
//! 2. GitHub webhook acknowledgement latency (p50/p99) at a fixed request rate.
//! 3. `GET /api/v1/events` latency (p50/p95) for common filters over a demo database.
//! 4. Effective access (p50/p95) over a generated org of ~100,000 principals and ~1,000,000
//!    grants, from the store and as the `/access` page (see `bench/access.rs`).
//! 5. An access review launched over that org (~9,000 grants frozen), with its reads.
//!
//! Sizes come from `ATTEST_BENCH_IMPORT` (default 100000 records), `ATTEST_BENCH_EVENTS`
//! (100000), `ATTEST_BENCH_RATE` (200 requests/s) and `ATTEST_BENCH_SECONDS` (10). The import
//! runs `ATTEST_BENCH_IMPORT_RUNS` times per engine (3), each into an empty database, and the
//! median is printed with the range: on a shared 2-core machine single runs vary by a third. Postgres runs
//! when `ATTEST_TEST_POSTGRES_URL` is set. `ATTEST_BENCH_PARTS` picks parts by name, comma-separated
//! (`import`, `api`: the webhook and query parts share one server, `access`, `review`: after
//! `access`, over its org), default all four.
//! `ATTEST_BENCH_IMPORT_FILE` keeps the generated import file at that path and reuses it;
//! `ATTEST_BENCH_KEEP=1` keeps the bench's databases (their folder is printed) to look into.

use anyhow::Context;
use app::auth::Persona;
use domain::demo::{self, DemoConfig, DemoDelivery, DemoOrg};
use domain::hook_secrets::HookKeys;
use domain::model::Role;
use domain::signature::{github_signature, HookSecrets, Secrets};
use domain::store::Store;
use flate2::write::GzEncoder;
use server::auth::{limits::RateLimit, Auth};
use server::cli::leptos_options;
use server::{router, AppState};
use sqlx::postgres::PgConnectOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "bench/access.rs"]
mod access;

const SECRET: &str = "bench-secret";

/// The allocator the `attest` binary uses (see `src/main.rs`), so the figures are its figures.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let keep = std::env::var("ATTEST_BENCH_KEEP").is_ok_and(|v| v == "1");
    let records = env_number("ATTEST_BENCH_IMPORT", 100_000) as usize;
    let events = env_number("ATTEST_BENCH_EVENTS", 100_000) as usize;
    let rate = env_number("ATTEST_BENCH_RATE", 200);
    let seconds = env_number("ATTEST_BENCH_SECONDS", 10);
    println!(
        "attest bench: {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );

    let parts = std::env::var("ATTEST_BENCH_PARTS")
        .unwrap_or_else(|_| "import,api,access,review".to_owned());
    let wants = |part: &str| parts.split(',').any(|p| p.trim() == part);
    if wants("import") {
        import_part(dir.path(), records).await?;
    }
    if wants("api") {
        api_part(dir.path(), events, rate, seconds).await?;
    }
    if wants("access") {
        let store = sqlite_store(&dir.path().join("access.db")).await?;
        let base = serve(
            store.clone(),
            Secrets::from_comma_separated(SECRET),
            dir.path(),
        )
        .await?;
        access::access_part(dir.path(), Some(&base), &store).await?;
        if wants("review") {
            access::review_part(&store).await?;
        }
    }
    if keep {
        println!("\nkept the bench's databases in {}", dir.keep().display());
    }
    Ok(())
}

/// 1. Import.
async fn import_part(dir: &Path, records: usize) -> anyhow::Result<()> {
    // A file named by ATTEST_BENCH_IMPORT_FILE is written once and reused, so a profiler
    // attached to later runs sees the import alone.
    let file = match std::env::var_os("ATTEST_BENCH_IMPORT_FILE") {
        Some(path) => PathBuf::from(path),
        None => dir.join("cloudtrail.json.gz"),
    };
    if !file.exists() {
        write_cloudtrail_file(&file, records)?;
    }
    let size = std::fs::metadata(&file)?.len();
    println!(
        "\n## CloudTrail import: one {:.1} MB gzipped file",
        size as f64 / 1e6
    );
    let runs = env_number("ATTEST_BENCH_IMPORT_RUNS", 3).max(1);
    let mut rates = Vec::new();
    for run in 0..runs {
        let path = dir.join(format!("import-{run}.db"));
        let sqlite = sqlite_store(&path).await?;
        rates.push(import(&sqlite, "SQLite", &file).await?);
        sqlite.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
    print_median("SQLite", &mut rates);
    let mut rates = Vec::new();
    for run in 0..runs {
        let Some(pg) = postgres_store(run).await? else {
            println!("Postgres: skipped (ATTEST_TEST_POSTGRES_URL not set)");
            return Ok(());
        };
        rates.push(import(&pg.0, "Postgres", &file).await?);
        pg.drop().await?;
    }
    print_median("Postgres", &mut rates);
    Ok(())
}

/// The median of the runs' rates, with the slowest and fastest.
fn print_median(engine: &str, rates: &mut [f64]) {
    rates.sort_by(f64::total_cmp);
    if let (Some(first), Some(last)) = (rates.first(), rates.last()) {
        println!(
            "{engine}: median {:.0} events/s over {} runs ({first:.0}-{last:.0})",
            rates[rates.len() / 2],
            rates.len()
        );
    }
}

/// 2 and 3 share one server over a demo database.
async fn api_part(dir: &Path, events: usize, rate: u64, seconds: u64) -> anyhow::Result<()> {
    let store = sqlite_store(&dir.join("serve.db")).await?;
    let secrets = Secrets::from_comma_separated(SECRET);
    println!("\n## Loading {events} demo deliveries into SQLite for the API benchmark");
    let started = Instant::now();
    let config = DemoConfig {
        events,
        seed: 11,
        end: chrono::Utc::now(),
        days: 180,
    };
    let tally = server::cli::demo_load(&store, &secrets, &config).await?;
    println!(
        "loaded {} deliveries ({} events) in {:.1}s: {:.0} deliveries/s through webhook verification + ingest",
        tally.records,
        tally.events,
        started.elapsed().as_secs_f64(),
        tally.records as f64 / started.elapsed().as_secs_f64()
    );
    let base = serve(store.clone(), secrets, dir).await?;
    let client = reqwest::Client::new();

    println!("\n## Webhook ack at {rate} requests/s for {seconds}s (POST /hooks/github)");
    webhooks(&client, &base, rate, seconds).await?;

    println!("\n## GET /api/v1/events over {} events", tally.events);
    let token = domain::tokens::generate();
    store
        .create_token(
            "bench",
            Role::Viewer,
            &domain::tokens::hash(&token),
            chrono::Utc::now(),
        )
        .await?;
    queries(&client, &base, &token).await?;
    Ok(())
}

async fn sqlite_store(path: &Path) -> anyhow::Result<Store> {
    let store = Store::connect(&format!("sqlite://{}", path.display())).await?;
    store.migrate().await?;
    Ok(store)
}

struct PgBench(Store, String, String);

impl PgBench {
    async fn drop(self) -> anyhow::Result<()> {
        self.0.close().await;
        if let Store::Postgres(pool) = Store::connect(&self.1).await? {
            sqlx::query(&format!("drop schema {} cascade", self.2))
                .execute(&pool)
                .await?;
        }
        Ok(())
    }
}

async fn postgres_store(run: u64) -> anyhow::Result<Option<PgBench>> {
    let Ok(url) = std::env::var("ATTEST_TEST_POSTGRES_URL") else {
        return Ok(None);
    };
    if url.is_empty() {
        return Ok(None);
    }
    let schema = format!("attest_bench_{}_{run}", std::process::id());
    if let Store::Postgres(pool) = Store::connect(&url).await.context("Postgres")? {
        sqlx::query(&format!("create schema {schema}"))
            .execute(&pool)
            .await?;
    }
    let options = PgConnectOptions::from_str(&url)?.options([("search_path", schema.as_str())]);
    let store = Store::connect_postgres(options).await?;
    store.migrate().await?;
    Ok(Some(PgBench(store, url, schema)))
}

/// CloudTrail records from the demo generator, as one S3-style gzipped log file.
fn write_cloudtrail_file(path: &Path, records: usize) -> anyhow::Result<()> {
    let org = DemoOrg::generate(3);
    // The generator mixes sources; ask for enough deliveries to get `records` CloudTrail ones.
    let config = DemoConfig {
        events: records * 3,
        seed: 3,
        end: chrono::Utc::now(),
        days: 90,
    };
    let mut out = GzEncoder::new(std::fs::File::create(path)?, flate2::Compression::fast());
    out.write_all(b"{\"Records\":[")?;
    let mut written = 0;
    for delivery in demo::deliveries(&org, &config) {
        if let DemoDelivery::Cloudtrail { body, .. } = delivery {
            if written > 0 {
                out.write_all(b",")?;
            }
            out.write_all(&body)?;
            written += 1;
            if written == records {
                break;
            }
        }
    }
    out.write_all(b"]}")?;
    out.finish()?;
    Ok(())
}

/// One import into an empty store; its rate in records per second.
async fn import(store: &Store, engine: &str, file: &Path) -> anyhow::Result<f64> {
    let started = Instant::now();
    let summary =
        domain::import::import_cloudtrail(store, &[PathBuf::from(file)], &mut |_| {}).await?;
    let secs = started.elapsed().as_secs_f64();
    let rate = summary.tally.records as f64 / secs;
    println!(
        "{engine}: {} records ({} new) in {secs:.2}s = {rate:.0} events/s",
        summary.tally.records, summary.tally.new,
    );
    Ok(rate)
}

async fn serve(store: Store, secrets: Secrets, dir: &Path) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let hooks = HookSecrets {
        github: secrets,
        ..HookSecrets::default()
    };
    let state = AppState {
        hooks: Arc::new(HookKeys::load(store.clone(), hooks, None).await?),
        store,
        gcp_oidc: None,
        // Pages are timed signed in as a demo admin; the webhook rate is the bench's own.
        auth: Arc::new(Auth {
            personas: vec![Persona {
                key: "admin".into(),
                name: "Bench Admin".into(),
                email: "admin@bench.test".into(),
                title: "Admin".into(),
                role: Role::Admin,
            }],
            hook_limit: RateLimit::per_minute(0),
            ..Auth::closed()
        }),
        leptos_options: leptos_options(&dir.join("site"), addr),
    };
    let service = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await });
    Ok(format!("http://{addr}"))
}

/// A client signed in to the server at `base` as its demo admin.
pub async fn signed_in_client(base: &str) -> anyhow::Result<reqwest::Client> {
    let client = reqwest::Client::builder().cookie_store(true).build()?;
    let response = client
        .post(format!("{base}/auth/demo"))
        .header("Origin", base)
        .form(&[("persona", "admin")])
        .send()
        .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "demo sign-in: {}",
        response.status()
    );
    Ok(client)
}

/// Sends signed demo deliveries at a fixed rate (open loop: a slow answer does not slow the
/// sender), and reports acknowledgement latency.
async fn webhooks(
    client: &reqwest::Client,
    base: &str,
    rate: u64,
    seconds: u64,
) -> anyhow::Result<()> {
    let total = (rate * seconds) as usize;
    let org = DemoOrg::generate(99);
    let config = DemoConfig {
        events: total * 3,
        seed: 99,
        end: chrono::Utc::now(),
        days: 30,
    };
    let payloads: Vec<(String, String, Vec<u8>)> = demo::deliveries(&org, &config)
        .filter_map(|d| match d {
            DemoDelivery::Github {
                event,
                delivery_id,
                body,
                ..
            } => Some((event, delivery_id, body)),
            DemoDelivery::Cloudtrail { .. } => None,
        })
        .take(total)
        .collect();
    let mut ticker = tokio::time::interval(Duration::from_nanos(1_000_000_000 / rate.max(1)));
    let mut tasks = Vec::with_capacity(payloads.len());
    for (event, delivery, body) in payloads {
        ticker.tick().await;
        let request = client
            .post(format!("{base}/hooks/github"))
            .header("X-GitHub-Event", event)
            .header("X-GitHub-Delivery", delivery)
            .header(
                "X-Hub-Signature-256",
                github_signature(SECRET.as_bytes(), &body),
            )
            .body(body);
        tasks.push(tokio::spawn(async move {
            let started = Instant::now();
            let status = request
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0);
            (started.elapsed(), status)
        }));
    }
    let mut latencies = Vec::with_capacity(tasks.len());
    let mut errors = 0;
    for task in tasks {
        let (latency, status) = task.await?;
        if status != 202 && status != 200 {
            errors += 1;
        }
        latencies.push(latency);
    }
    report("ack", &mut latencies, &[50.0, 99.0]);
    println!("non-2xx answers: {errors}");
    Ok(())
}

async fn queries(client: &reqwest::Client, base: &str, token: &str) -> anyhow::Result<()> {
    let first: serde_json::Value = client
        .get(format!("{base}/api/v1/events?limit=50"))
        .bearer_auth(token)
        .send()
        .await?
        .json()
        .await?;
    let actor = first["events"][0]["actor"]["name"]
        .as_str()
        .unwrap_or("nobody")
        .to_owned();
    let cursor = first["next_cursor"].as_str().unwrap_or_default().to_owned();
    let cases = [
        ("newest 50".to_owned(), "limit=50".to_owned()),
        (
            "next page (cursor)".to_owned(),
            format!("limit=50&cursor={cursor}"),
        ),
        ("by actor".to_owned(), format!("actor={actor}&limit=50")),
        (
            "action prefix repo.*".to_owned(),
            "action=repo.*&limit=50".to_owned(),
        ),
        (
            "source cloudtrail".to_owned(),
            "source=cloudtrail&limit=50".to_owned(),
        ),
        (
            "free text 'denied'".to_owned(),
            "q=denied&limit=50".to_owned(),
        ),
        (
            "last 7 days, 500".to_owned(),
            format!(
                "since={}&limit=500",
                (chrono::Utc::now() - chrono::Duration::days(7)).format("%Y-%m-%d")
            ),
        ),
    ];
    for (name, query) in cases {
        let mut latencies = Vec::new();
        for _ in 0..100 {
            let started = Instant::now();
            let response = client
                .get(format!("{base}/api/v1/events?{query}"))
                .bearer_auth(token)
                .send()
                .await?;
            let status = response.status();
            response.bytes().await?;
            latencies.push(started.elapsed());
            anyhow::ensure!(status.is_success(), "{query}: {status}");
        }
        report(&name, &mut latencies, &[50.0, 95.0]);
    }
    Ok(())
}

fn report(name: &str, latencies: &mut [Duration], percentiles: &[f64]) {
    latencies.sort();
    let figures: Vec<String> = percentiles
        .iter()
        .map(|p| {
            let index = ((p / 100.0) * (latencies.len() as f64 - 1.0)).round() as usize;
            let value = latencies.get(index).copied().unwrap_or_default();
            format!("p{p:.0} {:.2} ms", value.as_secs_f64() * 1e3)
        })
        .collect();
    println!("{name:<24} n={:<5} {}", latencies.len(), figures.join("  "));
}

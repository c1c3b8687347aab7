//! Pages keep rendering while other routers are built in the same process, as the tests do
//! (one server per test, tests in parallel).

use domain::model::Role;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Working out the app's page routes renders the app with resource loading switched off for
/// the whole process, and a page whose resources were first polled meanwhile never answered
/// (leptos-rs/leptos#4773; here, now and then a signed-in person's first page of a test
/// server). Routers are built over and over beside the page requests below: each page must
/// still answer, whole.
#[tokio::test]
async fn pages_answer_while_other_routers_are_built() {
    let server = crate::auth::demo_server().await;
    let admin = crate::auth::signed_in(&server, Role::Admin).await;

    let stop = Arc::new(AtomicBool::new(false));
    let built = Arc::new(AtomicUsize::new(0));
    let builder = std::thread::spawn({
        let (stop, built, state) = (stop.clone(), built.clone(), server.state.clone());
        move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                while !stop.load(Ordering::Relaxed) {
                    drop(server::router(state.clone()));
                    built.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            });
        }
    });

    while built.load(Ordering::Relaxed) == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut answered = Vec::new();
    'rounds: for round in 0..3 {
        for page in [
            "/people",
            "/timeline",
            "/access",
            "/reviews",
            "/campaigns",
            "/findings",
            "/audit",
        ] {
            let before = built.load(Ordering::Relaxed);
            let response = admin.get(server.url(page)).send().await;
            let outcome = match response {
                Ok(response) => {
                    let status = response.status();
                    let body = response.text().await.unwrap_or_default();
                    // An async page is whole once its resolved resources follow the document.
                    let whole = body.contains("</html>")
                        && body
                            .trim_end()
                            .ends_with("__INCOMPLETE_CHUNKS=[];</script>");
                    format!("{status} {whole}")
                }
                Err(error) => format!("no answer: {error}"),
            };
            let whole = outcome == "200 OK true";
            answered.push((round, page, outcome, built.load(Ordering::Relaxed) - before));
            if !whole {
                break 'rounds;
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    builder.join().unwrap();

    assert!(
        answered
            .iter()
            .all(|(_, _, outcome, _)| outcome == "200 OK true"),
        "a page did not answer whole: {answered:?}"
    );
    // Routers were really built while the pages rendered.
    assert!(
        answered
            .iter()
            .map(|(_, _, _, routers)| routers)
            .sum::<usize>()
            > 0,
        "{answered:?}"
    );
}

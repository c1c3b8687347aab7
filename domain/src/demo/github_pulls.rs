//! Pull requests in the demo: opened from recent branches, reviewed by teammates, then
//! merged (the merge push follows) or closed.

use super::github::{
    association, delivery, organization, pull_request, repository, user, with, PrState,
};
use super::ids::{node_id, pick, pick_str, rfc3339, sha, slug, weighted};
use super::roster::{COMMIT_MESSAGES, REVIEW_COMMENTS};
use super::world::{Actor, FollowUp, OpenPr, World};
use super::DemoDelivery;
use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::{json, Value};

pub(super) fn pull_request_opened(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
) -> Option<DemoDelivery> {
    let from_push = world
        .pushes
        .iter()
        .rposition(|p| !p.has_pr)
        .filter(|_| rng.gen_bool(0.8));
    let (repo, branch, head, author, title) = match from_push.and_then(|i| world.pushes.get_mut(i))
    {
        Some(push) => {
            push.has_pr = true;
            let title = push.message.lines().next().unwrap_or_default().to_owned();
            (
                push.repo,
                push.branch.clone(),
                push.sha.clone(),
                push.actor,
                title,
            )
        }
        None => {
            let author = Actor::Person(world.person(rng, |_, _| true)?);
            let repo = world.repo_for(rng, author);
            let title = pick_str(rng, COMMIT_MESSAGES).to_owned();
            (
                repo,
                format!("{}/{}", world.login(author), slug(&title)),
                sha(rng),
                author,
                title,
            )
        }
    };
    let state = world.repos.get_mut(repo)?;
    let number = state.next_number;
    state.next_number += 1;
    let base = state.head.clone();
    let reviewers = (0..rng.gen_range(1..=2))
        .filter_map(|_| world.teammate(rng, author, repo))
        .collect::<Vec<_>>();
    let body = match author {
        Actor::Bot(_) => format!("{title}.\n\n---\nThis pull request was opened automatically."),
        Actor::Person(_) => {
            format!("## Summary\n{title}\n\n## Testing\n- [x] unit tests\n- [ ] staging smoke test")
        }
    };
    let pr = OpenPr {
        repo,
        number,
        id: world.next_id(rng),
        title,
        body,
        branch,
        head,
        base,
        author,
        opened_at: at,
        reviewers,
        draft: matches!(author, Actor::Person(_)) && rng.gen_bool(0.08),
    };
    let payload = with(
        json!({
            "action": "opened",
            "number": number,
        }),
        [
            (
                "pull_request",
                pull_request(world, &pr, at, PrState::Open, true),
            ),
            ("repository", repository(world, repo, at, false)),
            ("organization", organization(world)),
            ("sender", user(world, author)),
        ],
    );
    world.open_pr(pr);
    Some(delivery(rng, "pull_request", at, &payload))
}

pub(super) fn pull_request_closed(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
) -> Option<DemoDelivery> {
    // Older pull requests are more likely to be done.
    let len = world.open_prs.len();
    let index = rng
        .gen_range(0..len.max(1))
        .min(rng.gen_range(0..len.max(1)));
    let pr = world.open_prs.remove(index)?;
    let merged = rng.gen_bool(if matches!(pr.author, Actor::Bot(_)) {
        0.9
    } else {
        0.85
    });
    let closer = match pr.reviewers.first() {
        Some(reviewer) if rng.gen_bool(0.6) => Actor::Person(*reviewer),
        _ => pr.author,
    };
    let merge_sha = sha(rng);
    let state = if merged {
        PrState::Merged {
            by: closer,
            sha: &merge_sha,
        }
    } else {
        PrState::Closed
    };
    let payload = with(
        json!({
            "action": "closed",
            "number": pr.number,
        }),
        [
            ("pull_request", pull_request(world, &pr, at, state, true)),
            ("repository", repository(world, pr.repo, at, false)),
            ("organization", organization(world)),
            ("sender", user(world, closer)),
        ],
    );
    if merged {
        world.follow_up(FollowUp::MergePush {
            pr,
            merger: closer,
            merge_sha,
        });
    }
    Some(delivery(rng, "pull_request", at, &payload))
}

pub(super) fn review(
    world: &mut World,
    rng: &mut StdRng,
    at: DateTime<Utc>,
) -> Option<DemoDelivery> {
    let ready: Vec<usize> = (0..world.open_prs.len())
        .filter(|i| world.open_prs.get(*i).is_some_and(|pr| !pr.draft))
        .collect();
    let pr = world.open_prs.get(*pick(rng, &ready)?)?.clone();
    let reviewer = match pick(rng, &pr.reviewers) {
        Some(r) if Actor::Person(*r) != pr.author => Actor::Person(*r),
        _ => Actor::Person(world.teammate(rng, pr.author, pr.repo)?),
    };
    let id = world.next_id(rng);
    let (state, body) = match weighted(rng, [55.0, 30.0, 15.0].into_iter()) {
        Some(0) => (
            "approved",
            if rng.gen_bool(0.5) {
                Value::Null
            } else {
                json!("LGTM")
            },
        ),
        Some(1) => ("commented", json!(pick_str(rng, REVIEW_COMMENTS))),
        _ => ("changes_requested", json!(pick_str(rng, REVIEW_COMMENTS))),
    };
    let repo = world.org.repos.get(pr.repo)?;
    let html = format!(
        "https://github.com/{}/{}/pull/{}",
        world.org.org, repo.name, pr.number
    );
    let api = format!(
        "https://api.github.com/repos/{}/{}/pulls/{}",
        world.org.org, repo.name, pr.number
    );
    let payload = with(
        with(
            json!({ "action": "submitted" }),
            [(
                "review",
                with(
                    json!({
                        "id": id,
                        "node_id": node_id("PullRequestReview", id),
                        "body": body,
                        "commit_id": pr.head,
                        "submitted_at": rfc3339(at),
                        "state": state,
                        "html_url": format!("{html}#pullrequestreview-{id}"),
                        "pull_request_url": api,
                        "author_association": association(world, reviewer),
                        "_links": { "html": { "href": format!("{html}#pullrequestreview-{id}") }, "pull_request": { "href": api } },
                    }),
                    [("user", user(world, reviewer))],
                ),
            )],
        ),
        [
            (
                "pull_request",
                pull_request(world, &pr, at, PrState::Open, false),
            ),
            ("repository", repository(world, pr.repo, at, false)),
            ("organization", organization(world)),
            ("sender", user(world, reviewer)),
        ],
    );
    Some(delivery(rng, "pull_request_review", at, &payload))
}

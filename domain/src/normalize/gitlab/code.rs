//! Changes to code and the talk around it: pushes and tag pushes, repository updates, merge
//! requests, issues, comments and wiki pages, and any other project webhook in a generic
//! form. What runs on the code (CI, deployments, releases) is in `ci`.

use super::event::{name_or, project, scope_of, target, unknown_actor, user, user_actor, Draft};
use super::words::{count, id, line, number, past, pick, snake, text, time_at};
use super::Hook;
use crate::model::{Actor, Target};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

/// Commits kept in a push's details: enough to read what was pushed, bounded for pushes of
/// thousands of commits (`total_commits_count` says how many there were).
const COMMITS_SHOWN: usize = 20;

/// The zero object id GitLab sends as `before` of a new ref and `after` of a deleted one.
fn is_zero_sha(sha: Option<&str>) -> bool {
    sha.is_some_and(|sha| !sha.is_empty() && sha.bytes().all(|b| b == b'0'))
}

/// Who pushed: push payloads name the user in flat fields; system hooks give only the
/// display name, project webhooks the username as well.
fn pusher(body: &Value) -> Actor {
    text(body, "/user_username")
        .or_else(|| text(body, "/user_name"))
        .map(|name| user_actor(name, id(body, "/user_id")))
        .unwrap_or_else(unknown_actor)
}

fn commits(body: &Value) -> Vec<Value> {
    body.get("commits")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .take(COMMITS_SHOWN)
                .map(|c| {
                    json!({
                        "id": c.get("id"),
                        // The first line of the message is what GitLab shows as the title.
                        "title": text(c, "/title")
                            .or_else(|| text(c, "/message").and_then(|m| m.lines().next()))
                            .map(|m| line(m, 200)),
                        "author": text(c, "/author/name"),
                        "timestamp": c.get("timestamp"),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `push`: one event per push. GitLab sends no push time (commit times are when commits were
/// written, which rebases keep), so the event is dated when the hook arrived.
pub(super) fn push(h: &Hook<'_>) -> Draft {
    let body = h.body;
    let actor = pusher(body);
    let git_ref = text(body, "/ref").unwrap_or("an unknown ref");
    let branch = git_ref.strip_prefix("refs/heads/").unwrap_or(git_ref);
    let project = project(body);
    let place = name_or(project.as_ref(), "a project");
    let created = is_zero_sha(text(body, "/before"));
    let deleted = is_zero_sha(text(body, "/after"));
    let total = number(body, "/total_commits_count")
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or_else(|| {
            body.get("commits")
                .and_then(Value::as_array)
                .map_or(0, Vec::len)
        });
    let who = actor.name.clone();
    let summary = if deleted {
        format!("{who} deleted branch {branch} in {place}")
    } else if created && total == 0 {
        format!("{who} created branch {branch} in {place}")
    } else {
        let new = if created { " (new branch)" } else { "" };
        let commits = count(total, "commit", "commits");
        format!("{who} pushed {commits} to {place} {branch}{new}")
    };
    let scope = scope_of(project.as_ref());
    Draft::new("push", &summary, actor)
        .target(Some(target("branch", None, branch)))
        .target(project)
        .scope(scope)
        .details(pick(body, &["ref", "before", "after", "checkout_sha"]))
        .detail("created", created)
        .detail("deleted", deleted)
        .detail("commit_count", total)
        .detail("commits", Value::Array(commits(body)))
}

/// `tag_push`: a tag created, moved or deleted.
pub(super) fn tag_push(h: &Hook<'_>) -> Draft {
    let body = h.body;
    let actor = pusher(body);
    let git_ref = text(body, "/ref").unwrap_or("an unknown tag");
    let tag = git_ref.strip_prefix("refs/tags/").unwrap_or(git_ref);
    let project = project(body);
    let place = name_or(project.as_ref(), "a project");
    let (verb, words) = if is_zero_sha(text(body, "/after")) {
        ("deleted", "deleted")
    } else if is_zero_sha(text(body, "/before")) {
        ("created", "created")
    } else {
        ("pushed", "moved")
    };
    let summary = format!("{} {words} tag {tag} in {place}", actor.name);
    let scope = scope_of(project.as_ref());
    Draft::new(format!("tag.{verb}"), &summary, actor)
        .target(Some(target("tag", None, tag)))
        .target(project)
        .scope(scope)
        .details(pick(body, &["ref", "before", "after", "checkout_sha"]))
        .detail("commits", Value::Array(commits(body)))
}

/// `repository_update` (system hook): refs of a repository changed, once per push.
pub(super) fn repository_update(h: &Hook<'_>) -> Draft {
    let body = h.body;
    let actor = pusher(body);
    let project = project(body);
    let refs: Vec<&str> = body
        .get("refs")
        .and_then(Value::as_array)
        .map(|refs| refs.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let which = if refs.is_empty() {
        String::new()
    } else {
        format!(" ({})", refs.join(", "))
    };
    let summary = format!(
        "{} updated the repository of {}{which}",
        actor.name,
        name_or(project.as_ref(), "a project")
    );
    let scope = scope_of(project.as_ref());
    Draft::new("repository.updated", &summary, actor)
        .target(project)
        .scope(scope)
        .details(pick(body, &["changes", "refs"]))
}

/// `merge_request`: opened, updated, approved, merged, closed... Older system hooks send no
/// action; the state then says what happened.
pub(super) fn merge_request(h: &Hook<'_>) -> Draft {
    let body = h.body;
    let attrs = body.get("object_attributes").unwrap_or(&Value::Null);
    let verb = match h.verb() {
        Some(verb) => past(verb),
        None => text(attrs, "/state").map_or("updated".into(), |s| snake(s.trim())),
    };
    let actor = user(body);
    // Older system hooks leave the project's id out; the merge request names its target.
    let project = project(body).map(|mut p| {
        if p.id.is_none() {
            p.id = id(attrs, "/target_project_id");
        }
        p
    });
    let place = name_or(project.as_ref(), "a project");
    let mr_name = reference(place, "!", attrs);
    let title = text(attrs, "/title")
        .map(|t| format!(" {}", line(t, 120)))
        .unwrap_or_default();
    let branches = match (text(attrs, "/source_branch"), text(attrs, "/target_branch")) {
        (Some(from), Some(to)) => format!(" ({from} → {to})"),
        _ => String::new(),
    };
    let summary = format!(
        "{} {} merge request {mr_name}{title}{branches}",
        actor.name,
        verb.replace('_', " ")
    );
    let at = acted_at(attrs, &verb);
    let scope = scope_of(project.as_ref());
    Draft::new(format!("merge_request.{verb}"), &summary, actor)
        .target(Some(target("merge_request", id(attrs, "/id"), mr_name)))
        .target(project)
        .scope(scope)
        .at(at)
        .details(pick(
            attrs,
            &[
                "iid",
                "title",
                "source_branch",
                "target_branch",
                "state",
                "merge_status",
                "merge_commit_sha",
                "url",
            ],
        ))
}

/// A merge request or issue as GitLab references it in text (`group/project!12`,
/// `group/project#12`), or by its global id when the payload has no `iid`.
fn reference(place: &str, sign: &str, attrs: &Value) -> String {
    match id(attrs, "/iid") {
        Some(iid) => format!("{place}{sign}{iid}"),
        None => format!("{place} (id {})", id(attrs, "/id").unwrap_or_default()),
    }
}

/// `issue` (and `work_item`, its newer form): opened, updated, closed, reopened.
pub(super) fn issue(h: &Hook<'_>) -> Draft {
    let body = h.body;
    let attrs = body.get("object_attributes").unwrap_or(&Value::Null);
    let verb = h.verb().map_or("updated".into(), past);
    let actor = user(body);
    let project = project(body);
    let place = name_or(project.as_ref(), "a project");
    let name = reference(place, "#", attrs);
    let title = text(attrs, "/title")
        .map(|t| format!(" {}", line(t, 120)))
        .unwrap_or_default();
    let noun = if h.name == "work_item" {
        "work item"
    } else {
        "issue"
    };
    let summary = format!(
        "{} {} {noun} {name}{title}",
        actor.name,
        verb.replace('_', " ")
    );
    let at = acted_at(attrs, &verb);
    let scope = scope_of(project.as_ref());
    Draft::new(format!("{}.{verb}", snake(h.name)), &summary, actor)
        .target(Some(target(&snake(h.name), id(attrs, "/id"), name)))
        .target(project)
        .scope(scope)
        .at(at)
        .details(pick(
            attrs,
            &["iid", "title", "state", "confidential", "url"],
        ))
}

/// `note`: a comment on a merge request, issue, commit or snippet.
pub(super) fn note(h: &Hook<'_>) -> Draft {
    let body = h.body;
    let attrs = body.get("object_attributes").unwrap_or(&Value::Null);
    let verb = h.verb().map_or("created".into(), past);
    let actor = user(body);
    let project = project(body);
    let place = name_or(project.as_ref(), "a project").to_owned();
    let on = noteable(body, text(attrs, "/noteable_type"), &place);
    let text_of_note = text(attrs, "/note")
        .map(|n| format!(": {}", line(n, 80)))
        .unwrap_or_default();
    let what = on.as_ref().map_or(place.clone(), |t| {
        format!("{} {}", t.kind.replace('_', " "), t.name)
    });
    let summary = match verb.as_str() {
        "created" => format!("{} commented on {what}{text_of_note}", actor.name),
        other => format!(
            "{} {} a comment on {what}{text_of_note}",
            actor.name,
            other.replace('_', " ")
        ),
    };
    let scope = scope_of(project.as_ref());
    Draft::new(format!("note.{verb}"), &summary, actor)
        .target(on)
        .target(project)
        .scope(scope)
        .at(time_at(attrs, &["/updated_at", "/created_at"]))
        .detail("note", text(attrs, "/note").map(|n| line(n, 500)))
        .details(pick(attrs, &["noteable_type", "url"]))
}

/// What a note is on, named the way GitLab references it in text.
fn noteable(body: &Value, kind: Option<&str>, place: &str) -> Option<Target> {
    match kind? {
        "MergeRequest" => {
            let iid = id(body, "/merge_request/iid")?;
            Some(target(
                "merge_request",
                id(body, "/merge_request/id"),
                format!("{place}!{iid}"),
            ))
        }
        "Issue" => {
            let iid = id(body, "/issue/iid")?;
            Some(target(
                "issue",
                id(body, "/issue/id"),
                format!("{place}#{iid}"),
            ))
        }
        "Commit" => {
            let sha = text(body, "/commit/id")?;
            let short: String = sha.chars().take(8).collect();
            Some(target(
                "commit",
                Some(sha.to_owned()),
                format!("{place}@{short}"),
            ))
        }
        "Snippet" => {
            let snippet_id = id(body, "/snippet/id")?;
            let name = format!("{place}${snippet_id}");
            Some(target("snippet", Some(snippet_id), name))
        }
        _ => None,
    }
}

/// `wiki_page`: a wiki page created, updated or deleted.
pub(super) fn wiki_page(h: &Hook<'_>) -> Draft {
    let body = h.body;
    let attrs = body.get("object_attributes").unwrap_or(&Value::Null);
    let verb = h.verb().map_or("updated".into(), past);
    let actor = user(body);
    let project = project(body);
    let page = text(attrs, "/title")
        .or_else(|| text(attrs, "/slug"))
        .unwrap_or("(untitled)");
    let summary = format!(
        "{} {} wiki page {page} in {}",
        actor.name,
        verb.replace('_', " "),
        name_or(project.as_ref(), "a project")
    );
    let scope = scope_of(project.as_ref());
    Draft::new(format!("wiki_page.{verb}"), &summary, actor)
        .target(Some(target(
            "wiki_page",
            text(attrs, "/slug").map(str::to_owned),
            page,
        )))
        .target(project)
        .scope(scope)
        .details(pick(attrs, &["slug", "message", "format", "url"]))
}

/// Any other payload (emoji reactions, vulnerabilities, milestones, kinds GitLab adds later):
/// `<object_kind>.<action>`, the user, the project, and the object's state.
pub(super) fn generic(h: &Hook<'_>) -> Draft {
    let body = h.body;
    let kind = snake(h.name);
    let action = match h.verb() {
        Some(verb) => format!("{kind}.{}", past(verb)),
        None => kind,
    };
    let actor = user(body);
    let project = project(body);
    let place = project
        .as_ref()
        .map(|p| format!(" in {}", p.name))
        .unwrap_or_default();
    let summary = format!("{}: {}{place}", actor.name, action.replace(['_', '.'], " "));
    let attrs = body.get("object_attributes").unwrap_or(&Value::Null);
    let mut extras: Map<String, Value> = pick(
        attrs,
        &["id", "iid", "title", "name", "state", "status", "url"],
    );
    extras.extend(pick(body, &["event_type"]));
    let scope = scope_of(project.as_ref());
    Draft::new(action, &summary, actor)
        .target(project)
        .scope(scope)
        .at(time_at(attrs, &["/updated_at", "/created_at"]))
        .detail("hook", h.header)
        .details(extras)
}

/// When a merge request or issue action happened: an opening is its creation, anything later
/// its last update.
fn acted_at(attrs: &Value, verb: &str) -> Option<DateTime<Utc>> {
    if verb == "opened" {
        time_at(attrs, &["/created_at", "/updated_at"])
    } else {
        time_at(attrs, &["/updated_at", "/created_at"])
    }
}

//! The instance's accounts and containers: users made, renamed, deleted or failing to sign
//! in, SSH keys, projects and groups made, renamed, moved or deleted, access tokens about to
//! expire, and member promotions waiting for an administrator (system hooks, group project
//! and subgroup hooks, resource access token hooks).

use super::event::{group, name_or, project, scope_of, target, unknown_actor, user_actor, Draft};
use super::words::{id, pick, role, text, time_at};
use super::Hook;
use crate::model::Target;
use serde_json::Value;

/// `user_create`, `user_destroy`, `user_rename`. GitLab does not say whether an administrator
/// or the person (signing up) did it.
pub(super) fn user(h: &Hook<'_>) -> Draft {
    let username = text(h.body, "/username").or_else(|| text(h.body, "/name"));
    let user = username.map(|name| target("user", id(h.body, "/user_id"), name));
    let who = name_or(user.as_ref(), "a user");
    let (verb, summary, at) = match h.name {
        "user_create" => (
            "created",
            format!("user {who} was created"),
            time_at(h.body, &["/created_at"]),
        ),
        "user_rename" => {
            let old = text(h.body, "/old_username").unwrap_or("an old name");
            (
                "renamed",
                format!("user {old} was renamed to {who}"),
                time_at(h.body, &["/updated_at"]),
            )
        }
        // The deleted record's times are not when it was deleted.
        _ => ("deleted", format!("user {who} was deleted"), None),
    };
    Draft::new(format!("user.{verb}"), &summary, unknown_actor())
        .target(user)
        .at(at)
        .details(pick(h.body, &["name", "email", "old_username"]))
}

/// `user_failed_login`: a sign-in to a blocked account was refused. The actor is whoever
/// tried, which GitLab names by the account they tried.
pub(super) fn failed_login(h: &Hook<'_>) -> Draft {
    let username = text(h.body, "/username").unwrap_or("unknown");
    let state = text(h.body, "/state");
    let failure = match state {
        Some(state) => format!("sign-in refused (account {state})"),
        None => "sign-in refused".to_owned(),
    };
    let summary = format!("failed sign-in as {username}");
    Draft::new(
        "auth.login",
        &summary,
        user_actor(username, id(h.body, "/user_id")),
    )
    .target(Some(target("user", id(h.body, "/user_id"), username)))
    // Refusing the sign-in updates the account's failed-attempt counter, and so `updated_at`.
    .at(time_at(h.body, &["/updated_at"]))
    .failed(Some(failure))
    .details(pick(h.body, &["name", "email", "state"]))
}

/// `key_create`, `key_destroy`: an SSH key added to or removed from a user's account.
pub(super) fn key(h: &Hook<'_>) -> Draft {
    let added = h.name == "key_create";
    let owner = text(h.body, "/username");
    let key_id = id(h.body, "/id");
    let key_name = text(h.body, "/key")
        .and_then(key_comment)
        .map(str::to_owned)
        .or_else(|| key_id.as_ref().map(|id| format!("key {id}")))
        .unwrap_or_else(|| "an SSH key".into());
    let whose = owner.map(|o| format!(" of {o}")).unwrap_or_default();
    let summary = if added {
        format!("SSH key {key_name} was added to the account{whose}")
    } else {
        format!("SSH key {key_name} was removed from the account{whose}")
    };
    let mut draft = Draft::new(
        if added {
            "ssh_key.added"
        } else {
            "ssh_key.removed"
        },
        &summary,
        unknown_actor(),
    )
    .target(Some(target("ssh_key", key_id, key_name)))
    .target(owner.map(|name| target("user", None, name)));
    if added {
        draft = draft.at(time_at(h.body, &["/created_at"]));
    }
    // The key itself is public, but long; its type is what a reviewer looks at.
    draft.detail(
        "key_type",
        text(h.body, "/key").and_then(|key| key.split_whitespace().next()),
    )
}

/// The comment at the end of an OpenSSH public key (`ssh-rsa AAAA... john@localhost`),
/// which is how people tell their keys apart.
fn key_comment(key: &str) -> Option<&str> {
    let mut parts = key.split_whitespace();
    let _kind = parts.next()?;
    let _material = parts.next()?;
    parts.next()
}

/// `project_create`, `project_destroy`, `project_rename`, `project_transfer`,
/// `project_update`, from system hooks and group `Project Hook`s.
pub(super) fn project_change(h: &Hook<'_>) -> Draft {
    let project = project(h.body);
    let name = name_or(project.as_ref(), "a project").to_owned();
    let old = text(h.body, "/old_path_with_namespace");
    let (verb, summary, at) = match h.name {
        "project_create" => (
            "created",
            format!("project {name} was created"),
            time_at(h.body, &["/created_at"]),
        ),
        "project_rename" => (
            "renamed",
            format!(
                "project {} was renamed to {name}",
                old.unwrap_or("(old path)")
            ),
            time_at(h.body, &["/updated_at"]),
        ),
        "project_transfer" => (
            "transferred",
            format!(
                "project {} was moved to {name}",
                old.unwrap_or("(old path)")
            ),
            time_at(h.body, &["/updated_at"]),
        ),
        "project_update" => (
            "updated",
            format!("project {name} was updated"),
            time_at(h.body, &["/updated_at"]),
        ),
        _ => ("deleted", format!("project {name} was deleted"), None),
    };
    let scope = scope_of(project.as_ref());
    Draft::new(format!("project.{verb}"), &summary, unknown_actor())
        .target(project)
        .scope(scope)
        .at(at)
        .detail("hook", h.header)
        .details(pick(
            h.body,
            &[
                "project_visibility",
                "owner_name",
                "owner_email",
                "owners",
                "old_path_with_namespace",
            ],
        ))
}

/// `group_create`, `group_destroy`, `group_rename` (system hooks) and `subgroup_create`,
/// `subgroup_destroy` (group `Subgroup Hook`s, scoped to the parent group they are sent to).
pub(super) fn group_change(h: &Hook<'_>) -> Draft {
    let path = text(h.body, "/full_path").or_else(|| text(h.body, "/path"));
    let group = path.map(|path| target("group", id(h.body, "/group_id"), path));
    let parent = text(h.body, "/parent_full_path")
        .or_else(|| text(h.body, "/parent_path"))
        .map(|path| target("group", id(h.body, "/parent_group_id"), path));
    let name = name_or(group.as_ref(), "a group").to_owned();
    let kind = if h.name.starts_with("subgroup_") {
        "subgroup"
    } else {
        "group"
    };
    let (verb, summary, at) = match h.name {
        "group_create" | "subgroup_create" => (
            "created",
            format!("{kind} {name} was created"),
            time_at(h.body, &["/created_at"]),
        ),
        "group_rename" => {
            let old = text(h.body, "/old_full_path")
                .or_else(|| text(h.body, "/old_path"))
                .unwrap_or("(old path)");
            (
                "renamed",
                format!("group {old} was renamed to {name}"),
                time_at(h.body, &["/updated_at"]),
            )
        }
        _ => ("deleted", format!("{kind} {name} was deleted"), None),
    };
    let scope = scope_of(parent.as_ref().or(group.as_ref()));
    Draft::new(format!("group.{verb}"), &summary, unknown_actor())
        .target(group)
        .target(parent)
        .scope(scope)
        .at(at)
        .detail("hook", h.header)
        .details(pick(
            h.body,
            &[
                "name",
                "old_path",
                "old_full_path",
                "owner_name",
                "owner_email",
            ],
        ))
}

/// `access_token` (`Resource Access Token Hook`): a project or group access token expires
/// soon (`expiring_access_token`) or has expired. The token's bot user holds the access.
pub(super) fn access_token(h: &Hook<'_>) -> Draft {
    let token = text(h.body, "/object_attributes/name")
        .map(|name| target("access_token", id(h.body, "/object_attributes/id"), name));
    let bot = id(h.body, "/object_attributes/user_id")
        .map(|user_id| target("user", Some(user_id.clone()), format!("user {user_id}")));
    let owner = project(h.body).or_else(|| group(h.body));
    let expires = text(h.body, "/object_attributes/expires_at");
    let event_name = text(h.body, "/event_name").unwrap_or("access_token");
    let verb = match event_name {
        "expiring_access_token" => "expiring",
        "expired_access_token" => "expired",
        other => other.trim_end_matches("_access_token"),
    };
    let when = expires.map(|d| format!(" on {d}")).unwrap_or_default();
    let of = owner
        .as_ref()
        .map(|t| format!(" of {} {}", t.kind, t.name))
        .unwrap_or_default();
    let token_name = name_or(token.as_ref(), "(unnamed)");
    let summary = match verb {
        "expiring" => format!("access token {token_name}{of} expires{when}"),
        "expired" => format!("access token {token_name}{of} expired{when}"),
        other => format!("access token {token_name}{of}: {}", other.replace('_', " ")),
    };
    let scope = scope_of(owner.as_ref());
    Draft::new(
        format!("access_token.{}", super::words::snake(verb)),
        &summary,
        unknown_actor(),
    )
    .target(token)
    .target(bot)
    .target(owner)
    .scope(scope)
    .detail("expires_at", expires)
    .detail(
        "created_at",
        h.body.pointer("/object_attributes/created_at").cloned(),
    )
}

/// `gitlab_subscription_member_approval(s)`: on instances that need an administrator's
/// approval before a member takes a billable role, a promotion was queued, approved or denied.
/// The member's new role is granted by a later membership event, not by this one.
pub(super) fn promotion(h: &Hook<'_>) -> Draft {
    let verb = match h.verb() {
        Some("enqueue") => "requested",
        Some("approve") => "approved",
        Some("deny") => "denied",
        Some(other) => return promotion_other(h, other),
        None => "changed",
    };
    let member = user_by_id(h.body, "/user_id");
    let who = name_or(member.as_ref(), "a user").to_owned();
    let (actor_pointer, summary) = match verb {
        "requested" => {
            let from = h
                .body
                .pointer("/object_attributes/old_access_level")
                .and_then(role);
            let to = h
                .body
                .pointer("/object_attributes/new_access_level")
                .and_then(role);
            let change = match (from, to) {
                (Some(from), Some(to)) => format!(" from {from} to {to}"),
                (None, Some(to)) => format!(" to {to}"),
                _ => String::new(),
            };
            (
                "/requested_by_user_id",
                format!("promotion of {who}{change} is waiting for approval"),
            )
        }
        _ => (
            "/reviewed_by_user_id",
            format!("promotion of {who} was {verb}"),
        ),
    };
    let actor = id(h.body, actor_pointer)
        .map(|actor_id| user_actor(&format!("user {actor_id}"), Some(actor_id)))
        .unwrap_or_else(unknown_actor);
    let mut extras = pick(
        h.body.get("object_attributes").unwrap_or(&Value::Null),
        &[
            "old_access_level",
            "new_access_level",
            "existing_member_id",
            "status",
            "promotion_request_ids_that_failed_to_apply",
        ],
    );
    extras.extend(pick(h.body, &["promotion_namespace_id"]));
    Draft::new(format!("member.promotion.{verb}"), &summary, actor)
        .target(member)
        .at(time_at(h.body, &["/updated_at", "/created_at"]))
        .details(extras)
}

fn promotion_other(h: &Hook<'_>, verb: &str) -> Draft {
    let summary = format!("member promotion: {}", verb.replace('_', " "));
    Draft::new(
        format!("member.promotion.{}", super::words::snake(verb)),
        &summary,
        unknown_actor(),
    )
    .target(user_by_id(h.body, "/user_id"))
    .at(time_at(h.body, &["/updated_at", "/created_at"]))
}

/// A user GitLab names only by id.
fn user_by_id(body: &Value, pointer: &str) -> Option<Target> {
    id(body, pointer)
        .map(|user_id| target("user", Some(user_id.clone()), format!("user {user_id}")))
}

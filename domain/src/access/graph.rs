//! Effective access as a walk over grant edges. A grant is one hop (`alice → team platform:
//! member`, `team platform → repo infra: admin`); some hops pass on what their resource holds
//! (a team's members hold the team's access, a child team its parent's, whoever may assume a
//! role the role's), so access is the set of hops reachable from a principal, each with the
//! path that reaches it. The walk is level by level: the caller loads the grants of one level
//! at a time (from the store, at an instant), so only the neighbourhood is ever read.
//!
//! "Admin of everything" (a GitHub org owner, an AWS account administrator) stays one hop with
//! [`Reach::everything`] set, never an edge per repository or resource.

use crate::grant::{Grant, Principal, Resource};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

/// How many hops a path may have: deeper nesting than this is not followed (GitHub allows
/// teams nested a few levels; a chain of role assumptions longer than this is not a path
/// anyone reviews).
pub const MAX_HOPS: usize = 8;

/// At most this many paths are kept per answer row, shortest first.
pub const MAX_PATHS: usize = 5;

/// One grant on a path, with when it started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct Hop {
    pub principal: Principal,
    pub resource: Resource,
    pub permission: String,
    /// How the grant is held when not directly (`policy:AdministratorAccess`).
    pub via: String,
    /// `None`: held since before Attest's records.
    pub since: Option<DateTime<Utc>>,
}

impl Hop {
    pub fn of(grant: &Grant, since: Option<DateTime<Utc>>) -> Hop {
        Hop {
            principal: grant.principal.clone(),
            resource: grant.resource.clone(),
            permission: grant.permission.clone(),
            via: grant.via.clone(),
            since,
        }
    }
}

/// The hops from a principal to a grant, first hop first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct AccessPath {
    pub hops: Vec<Hop>,
}

impl std::fmt::Display for AccessPath {
    /// `alice → platform (member) → acme/infra (admin)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Some(first) = self.hops.first() else {
            return Ok(());
        };
        write!(f, "{}", first.principal.name)?;
        for hop in &self.hops {
            write!(f, " → {} ({}", hop.resource.name, hop.permission)?;
            if !hop.via.is_empty() {
                write!(f, " via {}", hop.via)?;
            }
            write!(f, ")")?;
        }
        Ok(())
    }
}

/// Something a principal can reach: a resource, the permission, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct Reach {
    pub resource: Resource,
    pub permission: String,
    /// The org, account or project the grant belongs to.
    pub scope: String,
    /// The permission covers everything in `resource` (an org owner, an account admin).
    pub everything: bool,
    /// Shortest first, at most [`MAX_PATHS`].
    pub paths: Vec<AccessPath>,
}

/// Someone who can reach a resource: the principal, the permission, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(utoipa::ToSchema))]
pub struct Holder {
    pub principal: Principal,
    pub permission: String,
    /// Holds it as admin of everything in the resource's org or account.
    pub everything: bool,
    /// Shortest first, at most [`MAX_PATHS`]; each ends on the resource asked about (or, for
    /// `everything`, on the org or account).
    pub paths: Vec<AccessPath>,
    /// A team, group, org or role with more members than are listed one by one: how many
    /// hold its access through it (they are not listed).
    pub members_not_listed: Option<u64>,
    /// Held only through a grant on something that contains the resource (an Azure
    /// subscription or resource group, a GCP project or key ring): that container, on which
    /// every path of the row ends. `None` when some path ends on the resource itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inherited_from: Option<Resource>,
}

/// Kinds of resource that are containers of a whole scope: admin on one is admin of all in it.
pub const SCOPE_KINDS: [&str; 6] = [
    "org",
    "organization",
    "account",
    "project",
    "subscription",
    "tenant",
];

/// Permissions on a [`SCOPE_KINDS`] resource that cover everything in it, compared without
/// case (sources write `admin`, `Owner`, `roles/owner`).
pub const ADMIN_PERMISSIONS: [&str; 3] = ["admin", "owner", "roles/owner"];

/// Whether `grant` makes its principal admin of everything in its resource.
pub fn is_admin_of_everything(grant: &Grant) -> bool {
    SCOPE_KINDS.contains(&grant.resource.kind.as_str())
        && ADMIN_PERMISSIONS
            .iter()
            .any(|admin| admin.eq_ignore_ascii_case(&grant.permission))
}

/// Whether the principal of `grant` also holds what the grant's resource holds: members of
/// teams and groups, child teams of their parent, an organisation's members of its base
/// permission on every repository, whoever may assume a role.
pub fn passes_on(grant: &Grant) -> bool {
    let permission = grant.permission.as_str();
    match grant.resource.kind.as_str() {
        _ if permission == "child_of" => true,
        "team" | "group" => permission != "outside_collaborator",
        "org" => matches!(permission, "member" | "admin"),
        "role" => permission.starts_with("sts:AssumeRole"),
        _ => false,
    }
}

/// The resources that contain `resource_id` and whose grants reach everything in them,
/// nearest first, as far as the id itself says:
/// - Azure: a role assignment at a scope covers every scope below it, so a resource's
///   containers are its parent resources (`…/providers/ns/type/name` of a nested resource), its
///   resource group, its subscription and the root `/`. Management groups are not in a
///   resource's path: the management-group listing says which holds a subscription
///   ([`Store::containers`](crate::store::Store::containers) adds them).
/// - GCP: a binding on a resource covers the resources below it (a key ring's keys, a bucket's
///   objects), and a binding on a project every resource of that project. Folders and the
///   organization above a project are not in its resources' names: project and folder
///   listings say which ([`Store::containers`](crate::store::Store::containers) adds them).
///
/// Other sources have no such containment (a GitHub org's base permission and owners, and an
/// AWS account's admins, are grants of their own).
pub fn containers_of(resource_id: &str) -> Vec<String> {
    if let Some(path) = resource_id.strip_prefix("azure:scope:") {
        return azure_containers(path);
    }
    if let Some(full) = resource_id.strip_prefix("gcp://") {
        let Some((service, path)) = full.split_once('/') else {
            return Vec::new();
        };
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        if service == "storage.googleapis.com" {
            // `bucket/objects/a/b.txt`: the bucket.
            return match segments.as_slice() {
                [bucket, "objects", _, ..] => vec![format!("gcp://{service}/{bucket}")],
                _ => Vec::new(),
            };
        }
        return gcp_containers(&segments, |prefix| format!("gcp://{service}/{prefix}"));
    }
    if let Some(path) = resource_id.strip_prefix("gcp:resource:") {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        return gcp_containers(&segments, |prefix| format!("gcp:resource:{prefix}"));
    }
    Vec::new()
}

/// `/subscriptions/s/resourcegroups/rg/providers/ns/type/name/sub/child` → the nested resource's
/// parent, the resource group, the subscription, the root.
fn azure_containers(path: &str) -> Vec<String> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    // How many segments each container keeps: a subscription 2, its resource group 4, then
    // after `providers/<namespace>` a resource's type and name pairs.
    let mut cuts = Vec::new();
    let mut at = 0;
    if segments.first() == Some(&"subscriptions") && segments.len() > 2 {
        cuts.push(2);
        at = 2;
        if segments.get(2) == Some(&"resourcegroups") && segments.len() > 4 {
            cuts.push(4);
            at = 4;
        }
    }
    if segments.get(at) == Some(&"providers") {
        // providers, namespace, then (type, name) pairs: each but the last pair is a parent.
        let mut end = at + 4;
        while end + 2 <= segments.len() {
            cuts.push(end);
            end += 2;
        }
    }
    let mut containers: Vec<String> = cuts
        .into_iter()
        .rev()
        .map(|n| format!("azure:scope:/{}", segments[..n].join("/")))
        .collect();
    if !segments.is_empty() {
        containers.push("azure:scope:/".to_owned());
    }
    containers
}

/// `projects/p/locations/l/keyRings/r/cryptoKeys/k` → the key ring, the project (as
/// `gcp:project:p`). Names alternate collection and id; each (collection, id) prefix longer than
/// the project's is a container, named by `id_of`.
fn gcp_containers(segments: &[&str], id_of: impl Fn(&str) -> String) -> Vec<String> {
    let ["projects", project, _, ..] = segments else {
        return Vec::new();
    };
    if *project == "-" || *project == "_" {
        return Vec::new();
    }
    let mut containers = Vec::new();
    // Prefixes of 4, 6, … segments that end before the resource's own (collection, id).
    let mut end = 4;
    while end < segments.len() {
        // `locations/l` holds no policy of its own; skip it.
        if segments[end - 2] != "locations" {
            containers.push(id_of(&segments[..end].join("/")));
        }
        end += 2;
    }
    containers.reverse();
    containers.push(format!("gcp:project:{project}"));
    containers
}

/// A grant held at the instant asked about, as the caller loads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldGrant {
    pub grant: Grant,
    pub since: Option<DateTime<Utc>>,
}

/// "What can this principal reach": feed it the grants held by [`Forward::frontier`] until
/// that is empty, then [`Forward::finish`].
#[derive(Debug)]
pub struct Forward {
    /// The shortest path to each principal reached (empty for the starting ones).
    reached: HashMap<String, Vec<Hop>>,
    frontier: Vec<String>,
    /// Per (resource id, permission): the answer row.
    found: BTreeMap<(String, String), Reach>,
    levels: usize,
}

impl Forward {
    /// Starts from several principals at once: the accounts of one person.
    pub fn new(start: &[String]) -> Forward {
        Forward {
            reached: start.iter().map(|id| (id.clone(), Vec::new())).collect(),
            frontier: start.to_vec(),
            found: BTreeMap::new(),
            levels: 0,
        }
    }

    /// The principals whose grants are wanted next; empty when the walk is done.
    pub fn frontier(&self) -> &[String] {
        if self.levels >= MAX_HOPS {
            return &[];
        }
        &self.frontier
    }

    /// Takes the grants held by the frontier's principals (others are ignored).
    pub fn absorb(&mut self, grants: Vec<HeldGrant>) {
        let asked: HashSet<&String> = self.frontier.iter().collect();
        let mut next = Vec::new();
        let mut grants = grants;
        // Stable answers whatever order the store returns rows in.
        grants.sort_by(|a, b| a.grant.cmp(&b.grant));
        for held in grants {
            if !asked.contains(&held.grant.principal.id) {
                continue;
            }
            let Some(before) = self.reached.get(&held.grant.principal.id) else {
                continue;
            };
            let mut hops = before.clone();
            hops.push(Hop::of(&held.grant, held.since));
            let key = (
                held.grant.resource.id.clone(),
                held.grant.permission.clone(),
            );
            let row = self.found.entry(key).or_insert_with(|| Reach {
                resource: held.grant.resource.clone(),
                permission: held.grant.permission.clone(),
                scope: held.grant.scope.clone(),
                everything: is_admin_of_everything(&held.grant),
                paths: Vec::new(),
            });
            if row.paths.len() < MAX_PATHS {
                row.paths.push(AccessPath { hops: hops.clone() });
            }
            if passes_on(&held.grant) && !self.reached.contains_key(&held.grant.resource.id) {
                self.reached.insert(held.grant.resource.id.clone(), hops);
                next.push(held.grant.resource.id.clone());
            }
        }
        self.frontier = next;
        self.levels += 1;
    }

    /// Everything reached: admin-of-everything rows first, then by resource name.
    pub fn finish(self) -> Vec<Reach> {
        let mut rows: Vec<Reach> = self.found.into_values().collect();
        rows.sort_by(|a, b| {
            b.everything
                .cmp(&a.everything)
                .then_with(|| a.resource.name.cmp(&b.resource.name))
                .then_with(|| a.permission.cmp(&b.permission))
        });
        rows
    }
}

/// "Who can reach this resource": feed it the grants held on [`Backward::frontier`] until
/// that is empty, then the admins of the resource's scopes
/// ([`Backward::scopes`], [`Backward::absorb_admins`]), then [`Backward::finish`].
///
/// A node is walked once per permission it leads to on the target: a role that is both a
/// plain role of an account and, through another role it may assume, the account's admin has
/// two ways up, and its assumers hold both.
#[derive(Debug)]
pub struct Backward {
    target: String,
    /// The shortest path from each node reached to the target, per permission on the target
    /// (the target itself: no hops, no permission yet).
    reached: HashMap<String, Vec<Vec<Hop>>>,
    /// Nodes to walk up from next, each with the path it was reached by.
    frontier: Vec<String>,
    paths: HashMap<String, Vec<Vec<Hop>>>,
    found: BTreeMap<(String, String), Holder>,
    /// Rows with a path that ends on the target itself, not on one of its containers.
    direct: HashSet<(String, String)>,
    scopes: Vec<String>,
    levels: usize,
}

impl Backward {
    /// Starts from `resource` and its [`containers_of`]: a grant on a container reaches the
    /// resource as well, and is its holder's path.
    pub fn new(resource: &str) -> Backward {
        Backward::within(resource, containers_of(resource))
    }

    /// Starts from `resource` and `containers`, the resources it is in (its
    /// [`containers_of`] and those resource listings add, such as a project's folder).
    pub fn within(resource: &str, containers: Vec<String>) -> Backward {
        let mut start = vec![resource.to_owned()];
        start.extend(containers);
        let start_paths: HashMap<String, Vec<Vec<Hop>>> = start
            .iter()
            .map(|id| (id.clone(), vec![Vec::new()]))
            .collect();
        Backward {
            target: resource.to_owned(),
            reached: start_paths.clone(),
            frontier: start,
            paths: start_paths,
            found: BTreeMap::new(),
            direct: HashSet::new(),
            scopes: Vec::new(),
            levels: 0,
        }
    }

    /// The resources whose holders are wanted next; empty when the walk is done.
    pub fn frontier(&self) -> &[String] {
        if self.levels >= MAX_HOPS {
            return &[];
        }
        &self.frontier
    }

    /// Takes the grants held on the frontier's resources (others are ignored). On the first
    /// level every grant counts; further up only grants that pass on what they reach do (a
    /// team's members, not the team's repositories).
    pub fn absorb(&mut self, grants: Vec<HeldGrant>) {
        let first_level = self.levels == 0;
        let walking = std::mem::take(&mut self.paths);
        let mut next: Vec<String> = Vec::new();
        let mut queued: HashSet<String> = HashSet::new();
        let mut grants = grants;
        grants.sort_by(|a, b| a.grant.cmp(&b.grant));
        for held in grants {
            let grant = &held.grant;
            if !first_level && !passes_on(grant) {
                continue;
            }
            let Some(afters) = walking.get(&grant.resource.id) else {
                continue;
            };
            if first_level && !self.scopes.contains(&grant.scope) {
                self.scopes.push(grant.scope.clone());
            }
            for after in afters {
                let mut hops = vec![Hop::of(grant, held.since)];
                hops.extend(after.iter().cloned());
                // The permission on the target is that of the last hop.
                let permission = hops
                    .last()
                    .map(|hop| hop.permission.clone())
                    .unwrap_or_default();
                self.add(&grant.principal, permission.clone(), false, hops.clone());
                if !passes_on_upward(grant, first_level) {
                    continue;
                }
                // Walked once per permission it leads to.
                let known = self.reached.entry(grant.principal.id.clone()).or_default();
                if known
                    .iter()
                    .any(|path| path.last().map(|hop| &hop.permission) == Some(&permission))
                {
                    continue;
                }
                known.push(hops.clone());
                let id = grant.principal.id.clone();
                self.paths.entry(id.clone()).or_default().push(hops);
                if queued.insert(id.clone()) {
                    next.push(id);
                }
            }
        }
        self.frontier = next;
        self.levels += 1;
    }

    /// How many answer rows there are so far.
    pub fn listed(&self) -> usize {
        self.found.len()
    }

    /// Whether the walk has gone past the resource's own grants (to members of its holders).
    pub fn above_first_level(&self) -> bool {
        self.levels > 0
    }

    /// `id`, on the frontier, has `members` holders of its own: too many to list, so they are
    /// counted on its row instead of walked.
    pub fn collapse(&mut self, id: &str, members: u64) {
        self.frontier.retain(|node| node != id);
        self.paths.remove(id);
        for row in self.found.values_mut() {
            if row.principal.id == id {
                row.members_not_listed = Some(members);
            }
        }
    }

    /// The scopes (orgs, accounts) the target's grants belong to, whose admins also reach it.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// Takes the admin-of-everything grants of [`Backward::scopes`] (others are ignored).
    pub fn absorb_admins(&mut self, grants: Vec<HeldGrant>) {
        for held in grants {
            if is_admin_of_everything(&held.grant) && self.scopes.contains(&held.grant.scope) {
                let hop = Hop::of(&held.grant, held.since);
                self.add(
                    &held.grant.principal,
                    held.grant.permission.clone(),
                    true,
                    vec![hop],
                );
            }
        }
    }

    fn add(&mut self, principal: &Principal, permission: String, everything: bool, hops: Vec<Hop>) {
        if principal.id == self.target {
            return;
        }
        let key = (principal.id.clone(), permission.clone());
        let on_target = hops.last().is_none_or(|hop| hop.resource.id == self.target);
        if everything || on_target {
            self.direct.insert(key.clone());
        }
        let row = self.found.entry(key).or_insert_with(|| Holder {
            principal: principal.clone(),
            permission,
            everything,
            paths: Vec::new(),
            members_not_listed: None,
            inherited_from: None,
        });
        row.everything |= everything;
        if row.paths.len() < MAX_PATHS && !row.paths.iter().any(|p| p.hops == hops) {
            row.paths.push(AccessPath { hops });
        }
    }

    /// Everyone found, people and other principals, by name; teams, groups and roles are
    /// listed too (with the members they pass access on to listed after them).
    pub fn finish(self) -> Vec<Holder> {
        let direct = self.direct;
        let mut rows: Vec<Holder> = self
            .found
            .into_iter()
            .map(|(key, mut row)| {
                if !direct.contains(&key) {
                    row.inherited_from = row
                        .paths
                        .first()
                        .and_then(|path| path.hops.last())
                        .map(|hop| hop.resource.clone());
                }
                row
            })
            .collect();
        rows.sort_by(|a, b| {
            a.principal
                .name
                .to_lowercase()
                .cmp(&b.principal.name.to_lowercase())
                .then_with(|| a.permission.cmp(&b.permission))
                .then_with(|| a.principal.id.cmp(&b.principal.id))
        });
        rows
    }
}

/// Whether, walking up from a resource, the principal of `grant` has holders of its own to
/// look for: a team or group whose members inherit, a role whose assumers do, an org whose
/// members get its base permission. On the first level that is any container principal; above
/// it only those reached through a passing grant (checked by the caller).
fn passes_on_upward(grant: &Grant, first_level: bool) -> bool {
    let container = matches!(
        grant.principal.kind.as_str(),
        "team" | "group" | "org" | "role"
    );
    container && (first_level || passes_on(grant))
}

#[cfg(test)]
mod tests;

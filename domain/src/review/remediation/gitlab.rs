//! GitLab: `gitlab:user:<id>` on `gitlab:project:<id>` or `gitlab:group:<id>`; the API takes
//! the numeric ids as they are.

use super::{line, path, word, Instructions};
use crate::grant::Grant;

/// How to remove `g`, when it is of a kind known here.
pub(super) fn remove(g: &Grant) -> Option<Instructions> {
    let (p, r, perm) = (&g.principal, &g.resource, g.permission.as_str());
    let user = p.id.strip_prefix("gitlab:user:").and_then(word)?;
    let (place, id) = r.id.strip_prefix("gitlab:")?.split_once(':')?;
    let collection = match place {
        "project" => "projects",
        "group" => "groups",
        _ => return None,
    };
    let api = path(
        &format!("{collection}/{{}}/members/{{}}"),
        &[word(id)?, user],
    );
    let summary = format!("Remove {} from {place} {} ({perm})", p.name, r.name);
    let command = line("glab api -X DELETE {}", &[&api]);
    let out = Instructions::new(summary, None, vec![command]).careful(format!(
        "{} keeps any access inherited from a group above {}: that membership is its own.",
        p.name, r.name
    ));
    Some(match (place, perm) {
        ("group", "owner") => out.careful(format!("{} must keep at least one owner.", r.name)),
        ("group", _) => out.careful(format!(
            "Leaving {} also ends what it gave in its subgroups and projects.",
            r.name
        )),
        _ => out,
    })
}

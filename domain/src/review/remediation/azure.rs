//! Azure: RBAC assignments are held on `azure:scope:<path>`, Entra grants on
//! `azure:principal:<object id>` (groups, apps) or the tenant (directory roles).

use super::{jmes, line, path, word, Instructions};
use crate::grant::Grant;

const GRAPH: &str = "https://graph.microsoft.com/v1.0";

/// Two lines: find an assignment's id with `az rest` and `query`, then delete it.
fn graph_find_delete(list_url: &str, query: &str, delete_url: &str) -> Vec<String> {
    let find = "az rest --method GET --url {} --query {} --output tsv";
    vec![
        format!("assignment=$({})", line(find, &[list_url, query])),
        line(
            "az rest --method DELETE --url {}",
            &[&format!("{delete_url}/")],
        ) + "\"$assignment\"",
    ]
}

/// How to remove `g`, when it is of a kind known here.
pub(super) fn remove(g: &Grant) -> Option<Instructions> {
    let (p, r, perm) = (&g.principal, &g.resource, g.permission.as_str());
    let oid = p.id.strip_prefix("azure:principal:").and_then(word)?;
    let target = r.id.strip_prefix("azure:principal:").and_then(word);
    if let Some(scope) = r.id.strip_prefix("azure:scope:") {
        let delete = "az role assignment delete --assignee {} --role {} --scope {}";
        let command = line(delete, &[oid, perm, scope]);
        let page = matches!(
            r.kind.as_str(),
            "subscription" | "resource_group" | "resource"
        )
        .then(|| format!("portal.azure.com/#@/resource{scope}/users"));
        let kind = r.kind.replace('_', " ");
        let summary = format!("Remove role {perm} from {} on {kind} {}", p.name, r.name);
        let out = Instructions::new(summary, page, vec![command]).careful(format!(
            "{} may also hold {perm} through a group or on a scope above {}: those are \
             assignments of their own.",
            p.name, r.name
        ));
        return Some(match p.kind.as_str() {
            "group" => out.careful(format!(
                "Every member of group {} loses {perm} here.",
                p.name
            )),
            _ => out,
        });
    }
    let out = match (r.kind.as_str(), perm) {
        ("group", "member") => {
            let command = line(
                "az ad group member remove --group {} --member-id {}",
                &[target?, oid],
            );
            let summary = format!("Remove {} from Entra group {}", p.name, r.name);
            Instructions::new(summary, None, vec![command]).careful(
                "If the group's members are dynamic or synced from on-premises, change the rule \
                 or the on-premises group instead: a direct removal fails or is undone.",
            )
        }
        ("group", "owner") => {
            let remove = "az ad group owner remove --group {} --owner-object-id {}";
            let summary = format!("Remove {} as an owner of Entra group {}", p.name, r.name);
            Instructions::new(summary, None, vec![line(remove, &[target?, oid])])
        }
        ("tenant", role) => {
            let assignments = format!("{GRAPH}/roleManagement/directory/roleAssignments");
            let filter = "?$filter=principalId%20eq%20%27{}%27&$expand=roleDefinition";
            let list = path(&format!("{assignments}{filter}"), &[oid]);
            let query = format!(
                "value[?roleDefinition.displayName=={}].id | [0]",
                jmes(role)
            );
            let summary = format!("Remove {} from Entra directory role {role}", p.name);
            let commands = graph_find_delete(&list, &query, &assignments);
            Instructions::new(summary, None, commands).careful(format!(
                "If the first command finds nothing, {} holds {role} through a group or as a \
                 PIM eligible assignment: remove that instead.",
                p.name
            ))
        }
        ("app", role) => {
            let holders = match p.kind.as_str() {
                "user" => "users",
                "group" => "groups",
                "service_principal" => "servicePrincipals",
                _ => return None,
            };
            let list = path(
                &format!("{GRAPH}/{holders}/{{}}/appRoleAssignments"),
                &[oid],
            );
            let query = format!("value[?resourceId=={}].id | [0]", jmes(target?));
            let summary = format!("Unassign {} from app {} (role {role})", p.name, r.name);
            let show = line("az rest --method GET --url {}", &[&list]);
            Instructions::new(summary, None, graph_find_delete(&list, &query, &list)).careful(
                format!(
                    "The first command takes {}'s first assignment on {}; if they hold more \
                     than one role there, list them ({show}) and pick the one for {role}.",
                    p.name, r.name
                ),
            )
        }
        _ => return None,
    };
    Some(out)
}

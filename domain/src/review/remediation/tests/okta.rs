//! Okta, in the shapes of `normalize::okta::grants` (and its tests).

use super::*;

pub(super) const OKTA_AUTH_LINE: &str = "-H \"Authorization: SSWS $OKTA_API_TOKEN\"";

#[test]
fn group_membership_and_app_assignment() {
    let user = ["user", "okta:user:00uptu0jj9V91p5QM0h7", "test@this.com"];
    let group = ["group", "okta:group:00g8mo0l5wuTxmoIC0h7", "test1"];
    assert_eq!(
        commands(&grant("okta:org:default", user, group, "member")),
        [format!(
            "curl -s -X DELETE {OKTA_AUTH_LINE} \
             \"$OKTA_ORG_URL\"/api/v1/groups/00g8mo0l5wuTxmoIC0h7/users/00uptu0jj9V91p5QM0h7"
        )]
    );
    let bob = ["user", "okta:user:00ubob", "bob@acme.io"];
    let app = ["app", "okta:app:0oa9", "GitHub Enterprise"];
    let out = instructions(&grant("okta:org:acme.okta.com", bob, app, "assigned"), None);
    assert_eq!(
        out.commands,
        [format!("curl -s -X DELETE {OKTA_AUTH_LINE} https://acme.okta.com/api/v1/apps/0oa9/users/00ubob")]
    );
    assert_eq!(
        out.summary,
        "Unassign bob@acme.io from Okta app GitHub Enterprise"
    );
}

#[test]
fn admin_roles_are_found_by_type_then_deleted() {
    let alice = ["user", "okta:user:00u6eup97mAJZWYmP357", "alice@acme.io"];
    let org = ["org", "okta:org:default", "default"];
    let list = format!(
        "curl -s {OKTA_AUTH_LINE} \"$OKTA_ORG_URL\"/api/v1/users/00u6eup97mAJZWYmP357/roles"
    );
    let role = |name: &str| commands(&grant("okta:org:default", alice, org, name));
    assert_eq!(
        role("Organization administrator"),
        [
            format!("role_id=$({list} | jq -r '.[] | select(.type == \"ORG_ADMIN\") | .id')"),
            format!(
                "curl -s -X DELETE {OKTA_AUTH_LINE} \
                 \"$OKTA_ORG_URL\"/api/v1/users/00u6eup97mAJZWYmP357/roles/\"$role_id\""
            ),
        ]
    );
    assert!(role("Application administrator (all)")[0].contains("\"APP_ADMIN\""));
    assert!(role("Billing reader")[0].contains("select(.label == \"Billing reader\")"));
    assert_eq!(role("admin"), [list]);
    let admins = ["group", "okta:group:00gadmins", "Admins"];
    let group = commands(&grant(
        "okta:org:default",
        admins,
        org,
        "Super administrator",
    ));
    assert!(group[0].contains("/api/v1/groups/00gadmins/roles"));
}

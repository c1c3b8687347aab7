//! Azure, in the shapes of `normalize::azure::rbac` and `entra_grants` (and their tests).

use super::*;

#[test]
fn role_assignments_are_deleted_at_their_scope() {
    let sub = "6f3c2f3e-9f11-4b2e-8c5f-0d2b7f0c1a11";
    let user = [
        "user",
        "azure:principal:22222222-3333-4444-5555-666666666666",
        "22222222-3333-4444-5555-666666666666",
    ];
    let subscription = [
        "subscription",
        &format!("azure:scope:/subscriptions/{sub}"),
        sub,
    ];
    let subscription = subscription.map(|s| s as &str);
    let out = instructions(
        &grant(
            &format!("azure:subscription:{sub}"),
            user,
            subscription,
            "Reader",
        ),
        None,
    );
    assert_eq!(
        out.commands,
        [format!(
            "az role assignment delete --assignee 22222222-3333-4444-5555-666666666666 \
             --role Reader --scope /subscriptions/{sub}"
        )]
    );
    assert_eq!(
        out.console,
        Some(format!(
            "portal.azure.com/#@/resource/subscriptions/{sub}/users"
        ))
    );
    let group = [
        "resource_group",
        "azure:scope:/subscriptions/s/resourcegroups/rg",
        "rg",
    ];
    assert_eq!(
        commands(&grant(
            "azure:subscription:s",
            user,
            group,
            "User Access Administrator"
        )),
        [
            "az role assignment delete --assignee 22222222-3333-4444-5555-666666666666 \
          --role 'User Access Administrator' --scope /subscriptions/s/resourcegroups/rg"
        ]
    );
}

#[test]
fn entra_group_membership_directory_roles_and_app_roles() {
    let bob = [
        "user",
        "azure:principal:1f0e98f5-3161-4c6b-9b50-d488572f2bb7",
        "bob@contoso.com",
    ];
    let group = [
        "group",
        "azure:principal:ef7e527d-6c92-4234-8c6d-cf6fdfb57f95",
        "Example.com",
    ];
    let tenant = "azure:tenant:default";
    assert_eq!(
        commands(&grant(tenant, bob, group, "member")),
        [
            "az ad group member remove --group ef7e527d-6c92-4234-8c6d-cf6fdfb57f95 \
          --member-id 1f0e98f5-3161-4c6b-9b50-d488572f2bb7"
        ]
    );
    assert_eq!(
        commands(&grant(tenant, bob, group, "owner")),
        [
            "az ad group owner remove --group ef7e527d-6c92-4234-8c6d-cf6fdfb57f95 \
          --owner-object-id 1f0e98f5-3161-4c6b-9b50-d488572f2bb7"
        ]
    );
    let directory = ["tenant", tenant, "default"];
    let role = commands(&grant(tenant, bob, directory, "Global Administrator"));
    assert_eq!(
        role,
        [
            "assignment=$(az rest --method GET --url 'https://graph.microsoft.com/v1.0/\
             roleManagement/directory/roleAssignments?$filter=principalId%20eq%20%27\
             1f0e98f5-3161-4c6b-9b50-d488572f2bb7%27&$expand=roleDefinition' --query \
             'value[?roleDefinition.displayName==`\"Global Administrator\"`].id | [0]' \
             --output tsv)",
            "az rest --method DELETE --url \
             https://graph.microsoft.com/v1.0/roleManagement/directory/roleAssignments/\
             \"$assignment\"",
        ]
    );
    let dave = ["user", "azure:principal:u-2", "dave@contoso.com"];
    let app = ["app", "azure:principal:sp-1", "GitHub Enterprise"];
    let app_role = commands(&grant(tenant, dave, app, "org-admin"));
    assert_eq!(
        app_role[1],
        "az rest --method DELETE --url \
         https://graph.microsoft.com/v1.0/users/u-2/appRoleAssignments/\"$assignment\""
    );
    assert!(app_role[0].contains("'value[?resourceId==`\"sp-1\"`].id | [0]'"));
}

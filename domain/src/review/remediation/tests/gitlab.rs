//! GitLab, in the shape of `normalize::gitlab::members` (`tests::grant`).

use super::*;

#[test]
fn members_are_deleted_from_groups_and_projects() {
    let john = ["user", "gitlab:user:41", "johnsmith"];
    let group = ["group", "gitlab:group:78", "storecloud"];
    let project = ["project", "gitlab:project:74", "jsmith/example"];
    assert_eq!(
        commands(&grant("gitlab:group:78", john, group, "developer")),
        ["glab api -X DELETE groups/78/members/41"]
    );
    let out = instructions(
        &grant("gitlab:project:74", john, project, "maintainer"),
        None,
    );
    assert_eq!(out.commands, ["glab api -X DELETE projects/74/members/41"]);
    assert_eq!(
        out.summary,
        "Remove johnsmith from project jsmith/example (maintainer)"
    );
    let owner = instructions(&grant("gitlab:group:78", john, group, "owner"), None);
    assert!(owner
        .caution
        .iter()
        .any(|c| c.contains("at least one owner")));
}

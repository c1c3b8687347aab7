//! Trust policies of the fixtures: who may assume which role.

use super::*;

/// cloudmapper's demo roles: exfiller trusts the EC2 service, bad_role `{"AWS": "*"}` (any AWS
/// principal, which is a finding), level1 Lambda, level3 ECS tasks. Each role's trust policy
/// has that one statement.
#[test]
fn who_may_assume_the_cloudmapper_demo_roles() {
    let export = export(CLOUDMAPPER);
    let account = AccountPolicies::from_export(&export).unwrap();
    let candidates = [
        ("ec2", Assumer::Service("ec2.amazonaws.com")),
        ("lambda", Assumer::Service("lambda.amazonaws.com")),
        ("ecs-tasks", Assumer::Service("ecs-tasks.amazonaws.com")),
        (
            "USER",
            Assumer::Aws {
                arn: "arn:aws:iam::aws:user/USER",
                account: "aws",
            },
        ),
        (
            "mallory",
            Assumer::Aws {
                arn: "arn:aws:iam::999999999999:user/mallory",
                account: "999999999999",
            },
        ),
    ];
    let expected: [(&str, &[&str]); 4] = [
        ("exfiller", &["ec2"]),
        ("bad_role", &["USER", "mallory"]),
        ("level1", &["lambda"]),
        ("level3", &["ecs-tasks"]),
    ];
    for (role, trusted) in expected {
        let trust = account.identity(role).unwrap().trust.unwrap();
        let allowed: Vec<&str> = candidates
            .iter()
            .filter(|(_, who)| may_assume_as(trust, *who).decision == Decision::Allowed)
            .map(|(name, _)| *name)
            .collect();
        assert_eq!(allowed, trusted, "{role}");
        let anyone = trust_allows_anyone(trust);
        if role == "bad_role" {
            let found = anyone.unwrap();
            assert_eq!(
                (found.policy.as_str(), found.index, found.conditional),
                (TRUST_POLICY, 0, false)
            );
        } else {
            assert_eq!(anyone, None, "{role}");
        }
    }
}

/// cloudsplaining's roles, each trust policy one statement (index 0).
#[test]
fn who_may_assume_the_cloudsplaining_roles() {
    let export = export(CLOUDSPLAINING);
    let account = AccountPolicies::from_export(&export).unwrap();
    let role = |name: &str| account.identity(name).unwrap();
    let arn = |kind: &str, name: &str| format!("arn:aws:iam::200611803367:{kind}/{name}");
    let here = "200611803367";
    let decision = |role: &IdentityPolicies<'_>, who: &str, account: &str| {
        may_assume(role.trust.unwrap(), who, account).decision
    };
    let combined = |role: &IdentityPolicies<'_>, user: &str| {
        let user = account.identity(user).unwrap();
        can_assume(
            role.arn,
            role.trust.unwrap(),
            user.arn,
            here,
            &user.policies,
        )
    };

    // privesc-sre-role names user/privesc-sre-user itself, in its own account: the user's
    // own policies (iam:*, ec2:*, s3:* through its group; no sts) are not needed.
    let sre = role("privesc-sre-role");
    assert_eq!(
        decision(&sre, &arn("user", "privesc-sre-user"), here),
        Decision::Allowed
    );
    assert_eq!(
        decision(&sre, &arn("user", "obama"), here),
        Decision::NotAllowed
    );
    assert_eq!(
        cited(&combined(&sre, "privesc-sre-user")),
        [(TRUST_POLICY, 0)]
    );

    // privesc-permissive-role-trust names arn:aws:iam::200611803367:root, the whole account:
    // the trust half allows any of its users, but assuming also takes the user's own
    // sts:AssumeRole. privesc-AssumeRole-start-user has no policies; privesc14's policy allows
    // sts:AssumeRole on * (statement 0). obama is of account 012345678901.
    let permissive = role("privesc-permissive-role-trust");
    let start = arn("user", "privesc-AssumeRole-start-user");
    assert_eq!(decision(&permissive, &start, here), Decision::Allowed);
    let obama = "arn:aws:iam::012345678901:user/obama";
    assert_eq!(
        decision(&permissive, obama, "012345678901"),
        Decision::NotAllowed
    );
    let answer = combined(&permissive, "privesc-AssumeRole-start-user");
    assert_eq!(answer.decision, Decision::NotAllowed);
    let answer = combined(&permissive, "privesc14-UpdatingAssumeRolePolicy-user");
    let privesc14 = "arn:aws:iam::200611803367:policy/privesc14-UpdatingAssumeRolePolicy";
    assert_eq!(cited(&answer), [(TRUST_POLICY, 0), (privesc14, 0)]);

    // The chain: intermediate trusts role/privesc-AssumeRole-starting-role, so that role's
    // sessions may assume it; another role's sessions may not.
    let intermediate = role("privesc-AssumeRole-intermediate-role");
    let session = |role: &str| format!("arn:aws:sts::200611803367:assumed-role/{role}/s1");
    let starting = session("privesc-AssumeRole-starting-role");
    assert_eq!(decision(&intermediate, &starting, here), Decision::Allowed);
    let other = session("privesc-AssumeRole-ending-role");
    assert_eq!(decision(&intermediate, &other, here), Decision::NotAllowed);

    // fn1-privesc3-partial-role names one SSO session, not its role: other sessions of that
    // role are not trusted.
    let fn1 = role("fn1-privesc3-partial-role");
    assert_eq!(decision(&fn1, SSO_SESSION, here), Decision::Allowed);
    let colleague = SSO_SESSION.replace("elad@codsec.io", "someone@else");
    assert_eq!(decision(&fn1, &colleague, here), Decision::NotAllowed);

    // The SSO administrator role trusts the SAML provider, for sts:AssumeRoleWithSAML, when
    // SAML:aud is the AWS sign-in page: allowed, conditionally.
    let sso = role("AWSReservedSSO_AdministratorAccess_dc6414f7f2ab04fc");
    let provider = "arn:aws:iam::200611803367:saml-provider/AWSSSO_b937d2dff24f2774_DO_NOT_DELETE";
    let answer = may_assume_as(sso.trust.unwrap(), Assumer::Federated(provider));
    assert_eq!(
        (answer.decision, answer.conditional),
        (Decision::Allowed, true)
    );
    let other_provider = "arn:aws:iam::200611803367:saml-provider/other";
    let answer = may_assume_as(sso.trust.unwrap(), Assumer::Federated(other_provider));
    assert_eq!(answer.decision, Decision::NotAllowed);
    assert_eq!(
        decision(&sso, &arn("user", "obama"), here),
        Decision::NotAllowed
    );

    // OrganizationAccountAccessRole trusts account 072528804237 as a whole: its principals
    // pass the trust half, but crossing accounts takes their own policies too.
    let organization = role("OrganizationAccountAccessRole");
    let ops = "arn:aws:iam::072528804237:user/ops";
    assert_eq!(
        decision(&organization, ops, "072528804237"),
        Decision::Allowed
    );
    let alone = can_assume(
        organization.arn,
        organization.trust.unwrap(),
        ops,
        "072528804237",
        &[],
    );
    assert_eq!(alone.decision, Decision::NotAllowed);

    // privesc-high-priv-service-role trusts ten services, glue among them, not ssm.
    let service = role("privesc-high-priv-service-role").trust.unwrap();
    let glue = may_assume_as(service, Assumer::Service("glue.amazonaws.com"));
    assert_eq!(glue.decision, Decision::Allowed);
    let ssm = may_assume_as(service, Assumer::Service("ssm.amazonaws.com"));
    assert_eq!(ssm.decision, Decision::NotAllowed);

    // No cloudsplaining trust policy has a `*` principal.
    for identity in account.identities() {
        if let Some(trust) = identity.trust {
            assert_eq!(trust_allows_anyone(trust), None, "{}", identity.name);
        }
    }
}

/// `NotPrincipal`, denies and the `sts:AssumeRole*` kinds, on small documents.
#[test]
fn not_principal_denies_and_kinds() {
    let bob = ("arn:aws:iam::111122223333:user/bob", "111122223333");
    let alice = ("arn:aws:iam::111122223333:user/alice", "111122223333");
    // Everyone but bob: an account listed in NotPrincipal excludes its root only.
    let all_but_bob = json!({"Statement": {"Effect": "Allow", "Action": "sts:AssumeRole",
        "NotPrincipal": {"AWS": ["arn:aws:iam::111122223333:user/bob", "111122223333"]}}});
    assert_eq!(
        may_assume(&all_but_bob, bob.0, bob.1).decision,
        Decision::NotAllowed
    );
    assert_eq!(
        may_assume(&all_but_bob, alice.0, alice.1).decision,
        Decision::Allowed
    );
    assert!(trust_allows_anyone(&all_but_bob).is_some());
    // The account is trusted, bob explicitly denied: the deny wins for him only.
    let deny_bob = json!({"Statement": [
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "111122223333"}},
        {"Effect": "Deny", "Action": "sts:*", "Principal": {"AWS": "arn:aws:iam::111122223333:user/bob"}}
    ]});
    let answer = may_assume(&deny_bob, bob.0, bob.1);
    assert_eq!(
        (answer.decision, cited(&answer)),
        (Decision::Denied, vec![(TRUST_POLICY, 1)])
    );
    assert_eq!(
        may_assume(&deny_bob, alice.0, alice.1).decision,
        Decision::Allowed
    );
    // Trust documents as the raw IAM API returns them: URL-encoded JSON text.
    let encoded = json!("%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22sts%3AAssumeRoleWithWebIdentity%22%2C%22Principal%22%3A%7B%22Federated%22%3A%22accounts.google.com%22%7D%7D%7D");
    let google = may_assume_as(&encoded, Assumer::Federated("accounts.google.com"));
    assert_eq!(google.decision, Decision::Allowed);
    // A web-identity trust does not let the same name call plain sts:AssumeRole.
    let as_service = may_assume_as(&encoded, Assumer::Service("accounts.google.com"));
    assert_eq!(as_service.decision, Decision::NotAllowed);
    // A conditional wildcard (an external id) is still reported, marked conditional.
    let external = json!({"Statement": {"Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"AWS": "*"}, "Condition": {"StringEquals": {"sts:ExternalId": "x"}}}});
    assert!(trust_allows_anyone(&external).unwrap().conditional);
    // A path in the trusted ARN still names the role (IAM names are unique per account).
    let path = json!({"Statement": {"Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"AWS": "arn:aws:iam::111122223333:role/ci/deploy"}}});
    let deploy = may_assume(
        &path,
        "arn:aws:iam::111122223333:role/deploy",
        "111122223333",
    );
    assert_eq!(deploy.decision, Decision::Allowed);
}

//! What identities of the fixtures may do: full administrators, allows and denies,
//! `NotAction`, conditions, resource patterns, permissions boundaries.

use super::*;

/// Full administrators of the cloudsplaining example, worked out from the export: obama
/// attaches AdministratorAccess (its statement 0 is `Allow * on *`) and is also in group
/// `admin`, which attaches it too; userwithlotsofpermissions has it only through `admin`. The
/// roles attach AdministratorAccess, or (privesc-AssumeRole-ending-role,
/// privesc-high-priv-service-role) a customer policy that is the same `Allow * on *`. Not
/// admins: fp2-…-user holds fp2-allow-all (`* on *`) but also deny-all; privesc-sre-user's
/// group policy allows `iam:*`, `ec2:*`, `s3:*` only.
#[test]
fn full_admins_of_the_cloudsplaining_example() {
    let export = export(CLOUDSPLAINING);
    let account = AccountPolicies::from_export(&export).unwrap();
    let admins: Vec<(IdentityKind, &str, String, usize)> = account
        .identities()
        .iter()
        .filter_map(|identity| {
            let found = is_full_admin(&identity.policies)?;
            Some((identity.kind, identity.name, found.policy, found.index))
        })
        .collect();
    let admin = "arn:aws:iam::aws:policy/AdministratorAccess";
    let customer = |name: &str| format!("arn:aws:iam::200611803367:policy/{name}");
    let expected = [
        (IdentityKind::User, "obama", admin.to_owned()),
        (
            IdentityKind::User,
            "userwithlotsofpermissions",
            format!("group admin: {admin}"),
        ),
        (
            IdentityKind::Role,
            "AWS-QuickSetup-StackSet-Local-ExecutionRole",
            admin.to_owned(),
        ),
        (
            IdentityKind::Role,
            "AWSReservedSSO_AdministratorAccess_dc6414f7f2ab04fc",
            admin.to_owned(),
        ),
        (
            IdentityKind::Role,
            "OrganizationAccountAccessRole",
            admin.to_owned(),
        ),
        (
            IdentityKind::Role,
            "privesc-AssumeRole-ending-role",
            customer("privesc-AssumeRole-high-priv-policy"),
        ),
        (
            IdentityKind::Role,
            "privesc-high-priv-service-role",
            customer("privesc-high-priv-service-policy"),
        ),
        (
            IdentityKind::Role,
            "stacksets-exec-b5520cb2730c2f54b523d6375a319abb",
            admin.to_owned(),
        ),
    ];
    let expected: Vec<_> = expected
        .into_iter()
        .map(|(kind, name, policy)| (kind, name, policy, 0))
        .collect();
    assert_eq!(admins, expected);
    let fp2 = account
        .identity("fp2-allow-and-deny-multiple-policies-user")
        .unwrap();
    assert_eq!(fp2.policies.len(), 2);
    assert_eq!(is_full_admin(&fp2.policies), None);
}

/// What cloudsplaining users may do, each answer from their policies as listed in the export.
#[test]
fn what_users_of_the_cloudsplaining_example_may_do() {
    let export = export(CLOUDSPLAINING);
    let account = AccountPolicies::from_export(&export).unwrap();
    let user = |name: &str| account.identity(name).unwrap();
    let customer = |name: &str| format!("arn:aws:iam::200611803367:policy/{name}");

    // biden: InsecureUserPolicy (s3:GetObject), AWSLambdaFullAccess (s3:*), group biden's
    // inline policy (s3:GetObject); AmazonRDSFullAccess grants no s3.
    let biden = user("biden");
    let answer = biden.evaluate(&ask("s3:GetObject", "arn:aws:s3:::any-bucket/key"));
    assert_eq!(
        (answer.decision, answer.conditional),
        (Decision::Allowed, false)
    );
    assert_eq!(
        cited(&answer),
        [
            ("inline biden/InsecureUserPolicy", 0),
            ("arn:aws:iam::aws:policy/AWSLambdaFullAccess", 0),
            ("group biden: inline biden/InlinePolicyForBidenGroup", 0),
        ]
    );
    let user_arn = "arn:aws:iam::012345678901:user/new";
    assert_eq!(
        biden.evaluate(&ask("iam:CreateUser", user_arn)).decision,
        Decision::NotAllowed
    );
    // AmazonRDSFullAccess statement 2 allows iam:CreateServiceLinkedRole under a condition.
    let linked = "arn:aws:iam::012345678901:role/aws-service-role/rds.amazonaws.com/x";
    let answer = biden.evaluate(&ask("iam:CreateServiceLinkedRole", linked));
    assert_eq!(
        (answer.decision, answer.conditional),
        (Decision::Allowed, true)
    );
    assert_eq!(
        cited(&answer),
        [(
            "group biden: arn:aws:iam::aws:policy/AmazonRDSFullAccess",
            2
        )]
    );

    // fp1-allow-and-deny: statement 0 allows iam:*, statement 1 denies it: the deny wins.
    let fp1 = user("fp1-allow-and-deny-user");
    let answer = fp1.evaluate(&ask("iam:CreateUser", "arn:aws:iam::200611803367:user/x"));
    assert_eq!(answer.decision, Decision::Denied);
    assert_eq!(answer.because[0].effect, Effect::Deny);
    assert_eq!(
        cited(&answer),
        [(customer("fp1-allow-and-deny").as_str(), 1)]
    );
    let bucket = "arn:aws:s3:::bucket";
    assert_eq!(
        fp1.evaluate(&ask("s3:ListBucket", bucket)).decision,
        Decision::NotAllowed
    );
    // fp2: deny-all beats fp2-allow-all across two policies.
    let answer = user("fp2-allow-and-deny-multiple-policies-user")
        .evaluate(&ask("s3:GetObject", "arn:aws:s3:::bucket/key"));
    assert_eq!(answer.decision, Decision::Denied);
    assert_eq!(cited(&answer), [(customer("deny-all").as_str(), 0)]);
    // fp3 only denies iam:*; everything else is implicitly denied.
    let fp3 = user("fp3-deny-iam-user");
    assert_eq!(
        fp3.evaluate(&ask("iam:ListUsers", "*")).decision,
        Decision::Denied
    );
    assert_eq!(
        fp3.evaluate(&ask("s3:GetObject", bucket)).decision,
        Decision::NotAllowed
    );

    // fn4: Allow NotAction [iam:Update*, iam:Create*, iam:Attach*] on *.
    let fn4 = user("fn4-exploitableNotAction-user");
    for (action, decision) in [
        ("iam:PutUserPolicy", Decision::Allowed),
        ("s3:DeleteBucket", Decision::Allowed),
        ("iam:CreateAccessKey", Decision::NotAllowed),
        ("IAM:attachuserpolicy", Decision::NotAllowed),
        ("iam:UpdateLoginProfile", Decision::NotAllowed),
    ] {
        assert_eq!(
            fn4.evaluate(&ask(action, "*")).decision,
            decision,
            "{action}"
        );
    }

    // fn3 and fp5 allow iam:CreatePolicyVersion under a date condition: reported, not weighed.
    let target = "arn:aws:iam::200611803367:policy/any";
    for name in [
        "fn3-exploitableConditionConstraint-user",
        "fp5-nonExploitableConditionConstraint-user",
    ] {
        let answer = user(name).evaluate(&ask("iam:CreatePolicyVersion", target));
        assert_eq!(
            (answer.decision, answer.conditional),
            (Decision::Allowed, true),
            "{name}"
        );
        assert!(answer.because[0].conditional);
    }
    // fn2 may create versions of arn:aws:iam::*:policy/fn2-* only; fp4 of
    // arn:aws:iam::aws:policy/fp4-* (the account field is literally `aws`).
    let fn2 = user("fn2-exploitableResourceConstraint-user");
    let version = |identity: &IdentityPolicies<'_>, policy: &str| {
        identity
            .evaluate(&ask("iam:CreatePolicyVersion", policy))
            .decision
    };
    assert_eq!(version(&fn2, &customer("fn2-target")), Decision::Allowed);
    assert_eq!(version(&fn2, &customer("other")), Decision::NotAllowed);
    let fp4 = user("fp4-nonExploitableResourceConstraint-user");
    assert_eq!(version(&fp4, &customer("fp4-x")), Decision::NotAllowed);
    assert_eq!(
        version(&fp4, "arn:aws:iam::aws:policy/fp4-x"),
        Decision::Allowed
    );

    // The QuickSetup administration role may assume arn:*:iam::*:role/…-ExecutionRole only.
    let admin_role = user("AWS-QuickSetup-StackSet-Local-AdministrationRole");
    let role = |name: &str| format!("arn:aws:iam::200611803367:role/{name}");
    let execution = role("AWS-QuickSetup-StackSet-Local-ExecutionRole");
    assert_eq!(
        admin_role
            .evaluate(&ask("sts:AssumeRole", &execution))
            .decision,
        Decision::Allowed
    );
    assert_eq!(
        admin_role
            .evaluate(&ask("sts:AssumeRole", &role("Other")))
            .decision,
        Decision::NotAllowed
    );
}

/// cloudmapper's demo: role level1 (path /service-role/) reads one bucket's objects
/// (statement 0), lists that bucket (1), and pulls from ECR repository level2 in any region (2).
#[test]
fn resources_in_the_cloudmapper_demo() {
    let export = export(CLOUDMAPPER);
    let account = AccountPolicies::from_export(&export).unwrap();
    let level1 = account
        .identity("arn:aws:iam::123456789012:role/level1")
        .unwrap();
    assert_eq!(
        level1.arn,
        "arn:aws:iam::123456789012:role/service-role/level1"
    );
    assert_eq!(account.identity("level1").unwrap().arn, level1.arn);
    let inline = "inline level1/level1";
    for (action, resource, expected) in [
        (
            "s3:GetObject",
            "arn:aws:s3:::level1.flaws2.cloud/index.html",
            Some(0),
        ),
        (
            "S3:getobject",
            "arn:aws:s3:::level1.flaws2.cloud/index.html",
            Some(0),
        ),
        ("s3:GetObject", "arn:aws:s3:::level1.flaws2.cloud", None),
        ("s3:ListBucket", "arn:aws:s3:::level1.flaws2.cloud", Some(1)),
        ("s3:ListBucket", "arn:aws:s3:::LEVEL1.flaws2.cloud", None),
        (
            "ecr:BatchGetImage",
            "arn:aws:ecr:us-east-1:123456789012:repository/level2",
            Some(2),
        ),
        (
            "ecr:BatchGetImage",
            "arn:aws:ecr:us-east-1:123456789012:repository/level3",
            None,
        ),
        ("ecr:GetAuthorizationToken", "*", Some(3)),
    ] {
        let answer = level1.evaluate(&ask(action, resource));
        match expected {
            Some(index) => assert_eq!(cited(&answer), [(inline, index)], "{action} {resource}"),
            None => assert_eq!(answer.decision, Decision::NotAllowed, "{action} {resource}"),
        }
    }
    // USER holds AmazonEC2RoleforSSM through its group only. v8 lists ssm:GetParameters, not
    // ssm:GetParameter: no prefix match.
    let user = account.identity("USER").unwrap();
    let ssm = "group GROUP_WITH_BAD_INLINE_POLICY: arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM";
    assert_eq!(user.policies.len(), 1);
    assert_eq!(
        cited(&user.evaluate(&ask("s3:PutObject", "arn:aws:s3:::b/k"))),
        [(ssm, 7)]
    );
    assert_eq!(
        cited(&user.evaluate(&ask("ssm:GetParameters", "*"))),
        [(ssm, 0)]
    );
    let singular = user.evaluate(&ask("ssm:GetParameter", "*"));
    assert_eq!(singular.decision, Decision::NotAllowed);
}

/// BAD_MFA_POLICY (attached to no one) allows listing (statement 0) and managing one's own
/// user (1: `user/${aws:username}`), and denies everything but iam:* without MFA (4:
/// `NotAction: iam:*` with a `BoolIfExists` condition). Taken with AmazonEC2RoleforSSM,
/// whose statement 7 allows s3:GetObject on `*`.
#[test]
fn conditional_denies_and_policy_variables() {
    let export = export(CLOUDMAPPER);
    let mfa = managed(&export, "arn:aws:iam::123456789012:policy/BAD_MFA_POLICY");
    let ssm = managed(
        &export,
        "arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM",
    );
    let (mfa_name, ssm_name) = (mfa.name.clone(), ssm.name.clone());
    let policies = [ssm, mfa];
    let answer = evaluate(&policies, &ask("s3:GetObject", "arn:aws:s3:::b/k"));
    assert_eq!(
        (answer.decision, answer.conditional),
        (Decision::Allowed, true)
    );
    assert_eq!(
        cited(&answer),
        [(ssm_name.as_str(), 7), (mfa_name.as_str(), 4)]
    );
    assert_eq!(answer.because[1].effect, Effect::Deny);
    let answer = evaluate(&policies, &ask("iam:ListUsers", "*"));
    assert_eq!(
        (answer.decision, answer.conditional),
        (Decision::Allowed, false)
    );
    assert_eq!(
        answer.because[0].sid.as_deref(),
        Some("AllowAllUsersToListAccounts")
    );
    let alice = "arn:aws:iam::123456789012:user/alice";
    let answer = evaluate(&policies, &ask("iam:CreateAccessKey", alice));
    assert_eq!(
        (answer.decision, answer.conditional),
        (Decision::Allowed, true)
    );
    assert_eq!(cited(&answer), [(mfa_name.as_str(), 1)]);
    assert_eq!(
        evaluate(&policies, &ask("iam:DeleteUser", alice)).decision,
        Decision::NotAllowed
    );
}

/// AdministratorAccess within the AmazonS3ReadOnlyAccess boundary (`s3:Get*`, `s3:List*`):
/// both must allow.
#[test]
fn permissions_boundaries() {
    let export = export(CLOUDSPLAINING);
    let admin = [managed(
        &export,
        "arn:aws:iam::aws:policy/AdministratorAccess",
    )];
    let read_only = [managed(
        &export,
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    )];
    let bounded = |action| evaluate_with_boundary(&admin, Some(&read_only), &ask(action, "*"));
    assert_eq!(
        cited(&bounded("s3:GetObject")),
        [
            ("arn:aws:iam::aws:policy/AdministratorAccess", 0),
            ("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", 0)
        ]
    );
    assert_eq!(bounded("s3:PutObject").decision, Decision::NotAllowed);
    assert_eq!(bounded("iam:CreateUser").decision, Decision::NotAllowed);
    let unbounded = evaluate_with_boundary(&admin, None, &ask("iam:CreateUser", "*"));
    assert_eq!(unbounded.decision, Decision::Allowed);
    // A deny in the boundary wins too.
    let deny_iam = [managed(
        &export,
        "arn:aws:iam::200611803367:policy/fp3-deny-iam",
    )];
    let denied = evaluate_with_boundary(&admin, Some(&deny_iam), &ask("iam:CreateUser", "*"));
    assert_eq!(denied.decision, Decision::Denied);

    // Through an export: obama given that boundary (none of the fixtures has one), and a
    // boundary the export does not list is reported missing.
    let mut edited = export.clone();
    let users = edited["UserDetailList"].as_array_mut().unwrap();
    let obama = users
        .iter_mut()
        .find(|user| user["UserName"] == "obama")
        .unwrap();
    obama["PermissionsBoundary"] = json!({"PermissionsBoundaryType": "Policy",
        "PermissionsBoundaryArn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"});
    let biden = users
        .iter_mut()
        .find(|user| user["UserName"] == "biden")
        .unwrap();
    biden["PermissionsBoundary"] = json!({"PermissionsBoundaryArn": "arn:aws:iam::1:policy/gone"});
    let account = AccountPolicies::from_export(&edited).unwrap();
    let obama = account.identity("obama").unwrap();
    assert_eq!(
        obama.boundary.as_ref().unwrap().name,
        "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    );
    assert_eq!(
        obama.evaluate(&ask("iam:CreateUser", "*")).decision,
        Decision::NotAllowed
    );
    assert_eq!(
        obama.evaluate(&ask("s3:ListBucket", "*")).decision,
        Decision::Allowed
    );
    let biden = account.identity("biden").unwrap();
    assert_eq!(
        (biden.boundary, biden.missing),
        (None, vec!["arn:aws:iam::1:policy/gone".to_owned()])
    );
}

//! Escalation routes and the policy sets of identities, on the fixtures.

use super::*;

/// cloudsplaining's example is built from iam-vulnerable: each `privesc…-user` holds one
/// policy made for one escalation method and named after it. The expected methods are read
/// from each policy's actions (all on `*`); a few policies enable a second method too.
#[test]
fn each_iam_vulnerable_user_has_its_escalation() {
    let export = export(CLOUDSPLAINING);
    let account = AccountPolicies::from_export(&export).unwrap();
    let expected: &[(&str, &[&str])] = &[
        (
            "privesc1-CreateNewPolicyVersion-user",
            &["CreatePolicyVersion"],
        ),
        (
            "privesc2-SetExistingDefaultPolicyVersion-user",
            &["SetDefaultPolicyVersion"],
        ),
        (
            "privesc3-CreateEC2WithExistingInstanceProfile-user",
            &["PassRole+EC2"],
        ),
        ("privesc4-CreateAccessKey-user", &["CreateAccessKey"]),
        ("privesc5-CreateLoginProfile-user", &["CreateLoginProfile"]),
        ("privesc6-UpdateLoginProfile-user", &["UpdateLoginProfile"]),
        ("privesc7-AttachUserPolicy-user", &["AttachUserPolicy"]),
        ("privesc8-AttachGroupPolicy-user", &["AttachGroupPolicy"]),
        ("privesc9-AttachRolePolicy-user", &["AttachRolePolicy"]),
        ("privesc10-PutUserPolicy-user", &["PutUserPolicy"]),
        ("privesc11-PutGroupPolicy-user", &["PutGroupPolicy"]),
        ("privesc12-PutRolePolicy-user", &["PutRolePolicy"]),
        ("privesc13-AddUserToGroup-user", &["AddUserToGroup"]),
        // iam:UpdateAssumeRolePolicy and sts:AssumeRole.
        (
            "privesc14-UpdatingAssumeRolePolicy-user",
            &["UpdateAssumeRolePolicy"],
        ),
        // PassRole, CreateFunction, InvokeFunction: no CreateEventSourceMapping.
        (
            "privesc15-PassExistingRoleToNewLambdaThenInvoke-user",
            &["PassRole+Lambda+Invoke"],
        ),
        // CreateFunction, PassRole, CreateEventSourceMapping: no InvokeFunction.
        (
            "privesc16-PassRoleToNewLambdaThenTriggerWithNewDynamo-user",
            &["PassRole+Lambda+EventSource"],
        ),
        (
            "privesc17-EditExistingLambdaFunctionWithRole-user",
            &["UpdateFunctionCode"],
        ),
        (
            "privesc18-PassExistingRoleToNewGlueDevEndpoint-user",
            &["PassRole+Glue"],
        ),
        (
            "privesc19-UpdateExistingGlueDevEndpoint-user",
            &["UpdateDevEndpoint"],
        ),
        (
            "privesc20-PassExistingRoleToCloudFormation-user",
            &["PassRole+CloudFormation"],
        ),
        (
            "privesc21-PassExistingRoleToNewDataPipeline-user",
            &["PassRole+DataPipeline"],
        ),
        (
            "privesc-codeBuildCreateProjectPassRole-user",
            &["PassRole+CodeBuild"],
        ),
        // It may also create the notebook's presigned URL.
        (
            "privesc-sageMakerCreateNotebookPassRole-user",
            &["PassRole+SageMakerNotebook", "SageMakerNotebookUrl"],
        ),
        (
            "privesc-sageMakerCreatePresignedNotebookURL-user",
            &["SageMakerNotebookUrl"],
        ),
        (
            "privesc-sageMakerCreateTrainingJobPassRole-user",
            &["PassRole+SageMakerTraining"],
        ),
        (
            "privesc-sageMakerCreateProcessingJobPassRole-user",
            &["PassRole+SageMakerProcessing"],
        ),
        // The policy spells it `ssm:sendCommand`: actions ignore case.
        ("privesc-ssmSendCommand-user", &["SSMSendCommand"]),
        ("privesc-ssmStartSession-user", &["SSMStartSession"]),
        ("privesc-ec2InstanceConnect-user", &["EC2InstanceConnect"]),
        (
            "privesc-CloudFormationUpdateStack-user",
            &["CloudFormationUpdateStack"],
        ),
        // No policies at all: its route is a role's permissive trust, not its own policies.
        ("privesc-AssumeRole-start-user", &[]),
        // iam:* allowed and denied; allow-all and deny-all; iam:* denied.
        ("fp1-allow-and-deny-user", &[]),
        ("fp2-allow-and-deny-multiple-policies-user", &[]),
        ("fp3-deny-iam-user", &[]),
        // CreatePolicyVersion on arn:aws:iam::*:policy/fn2-* and …::aws:policy/fp4-* only.
        ("fn2-exploitableResourceConstraint-user", &[]),
        ("fp4-nonExploitableResourceConstraint-user", &[]),
        // Group privesc-sre-group: iam:*, ec2:*, s3:* — every iam-only method and PassRole+EC2.
        (
            "privesc-sre-user",
            &[
                "CreatePolicyVersion",
                "SetDefaultPolicyVersion",
                "PassRole+EC2",
                "CreateAccessKey",
                "CreateLoginProfile",
                "UpdateLoginProfile",
                "AttachUserPolicy",
                "AttachGroupPolicy",
                "AttachRolePolicy",
                "PutUserPolicy",
                "PutGroupPolicy",
                "PutRolePolicy",
                "AddUserToGroup",
            ],
        ),
        // AWSLambdaFullAccess: iam:PassRole and lambda:*, no ec2, glue or cloudformation writes.
        (
            "biden",
            &[
                "PassRole+Lambda+Invoke",
                "PassRole+Lambda+EventSource",
                "UpdateFunctionCode",
            ],
        ),
    ];
    for (user, methods_expected) in expected {
        let identity = account.identity(user).unwrap();
        let found = escalation_paths(&identity.policies);
        assert_eq!(methods(&found), *methods_expected, "{user}");
    }
}

#[test]
fn escalations_cite_the_statements_that_allow_them() {
    let export = export(CLOUDSPLAINING);
    let account = AccountPolicies::from_export(&export).unwrap();
    let customer = |name: &str| format!("arn:aws:iam::200611803367:policy/{name}");
    // privesc3's one statement allows iam:PassRole and ec2:RunInstances: cited once.
    let privesc3 = account
        .identity("privesc3-CreateEC2WithExistingInstanceProfile-user")
        .unwrap();
    let found = escalation_paths(&privesc3.policies);
    let policy = customer("privesc3-CreateEC2WithExistingInstanceProfile");
    let statements: Vec<_> = found[0]
        .because
        .iter()
        .map(|s| (s.policy.as_str(), s.index))
        .collect();
    assert_eq!(statements, [(policy.as_str(), 0)]);
    assert_eq!(found[0].actions, ["iam:PassRole", "ec2:RunInstances"]);
    // fn1 splits the pair over two policies: fn1-passrole-star and fn1-privesc3-partial.
    let fn1 = account.identity("fn1-privesc3-partial-user").unwrap();
    let found = escalation_paths(&fn1.policies);
    assert_eq!(methods(&found), ["PassRole+EC2"]);
    let statements: Vec<_> = found[0].because.iter().map(|s| s.policy.clone()).collect();
    assert_eq!(
        statements,
        [
            customer("fn1-passrole-star"),
            customer("fn1-privesc3-partial")
        ]
    );
    // fn3's CreatePolicyVersion holds after a date only: found, marked conditional.
    let fn3 = account
        .identity("fn3-exploitableConditionConstraint-user")
        .unwrap();
    let found = escalation_paths(&fn3.policies);
    assert_eq!(
        (methods(&found), found[0].conditional),
        (vec!["CreatePolicyVersion"], true)
    );
    // fn4 allows everything but iam:Update*, iam:Create*, iam:Attach*: every method except
    // the eight that need one of those.
    let fn4 = account.identity("fn4-exploitableNotAction-user").unwrap();
    let blocked = [
        "CreatePolicyVersion",
        "CreateAccessKey",
        "CreateLoginProfile",
        "UpdateLoginProfile",
        "AttachUserPolicy",
        "AttachGroupPolicy",
        "AttachRolePolicy",
        "UpdateAssumeRolePolicy",
    ];
    let expected: Vec<&str> = crate::access::aws_policy::findings::ESCALATIONS
        .iter()
        .map(|(method, _)| *method)
        .filter(|method| !blocked.contains(method))
        .collect();
    assert_eq!(methods(&escalation_paths(&fn4.policies)), expected);
}

#[test]
fn policy_sets_of_users_and_roles() {
    let export = export(CLOUDSPLAINING);
    let account = AccountPolicies::from_export(&export).unwrap();
    let names = |identity: &IdentityPolicies<'_>| -> Vec<String> {
        identity
            .policies
            .iter()
            .map(|policy| policy.name.clone())
            .collect()
    };
    // biden is a user and a group; only the user is an identity. Own inline, own attached,
    // then group biden's inline and attached.
    let biden = account.identity("biden").unwrap();
    assert_eq!(
        (biden.kind, biden.arn),
        (IdentityKind::User, "arn:aws:iam::012345678901:user/biden")
    );
    assert_eq!(
        names(&biden),
        [
            "inline biden/InsecureUserPolicy",
            "arn:aws:iam::aws:policy/AWSLambdaFullAccess",
            "group biden: inline biden/InlinePolicyForBidenGroup",
            "group biden: arn:aws:iam::aws:policy/AmazonRDSFullAccess",
        ]
    );
    assert!(biden.missing.is_empty() && biden.trust.is_none() && biden.boundary.is_none());
    let my_role = account
        .identity("arn:aws:iam::012345678901:role/MyRole")
        .unwrap();
    assert_eq!(names(&my_role), ["inline MyRole/EC2-IAM-example"]);
    assert_eq!(
        my_role.trust.unwrap()["Statement"][0]["Principal"]["Service"],
        "ssm.amazonaws.com"
    );
    assert_eq!(account.identities().len(), 44 + 78);

    // example_authz_v2: BlakeBortles is in group GOAT, which attaches AdministratorAccess, but
    // the export's Policies leave it out: reported missing, not read as "no access". GOAT is
    // also a role's name, and the role is the identity.
    let v2 = super::export("cloudsplaining-test-example_authz_v2.json");
    let account = AccountPolicies::from_export(&v2).unwrap();
    let blake = account.identity("BlakeBortles").unwrap();
    assert!(blake.policies.is_empty());
    assert_eq!(
        blake.missing,
        ["group GOAT: arn:aws:iam::aws:policy/AdministratorAccess"]
    );
    assert_eq!(account.identity("GOAT").unwrap().kind, IdentityKind::Role);
}

#[test]
fn paged_exports_read_as_one() {
    let whole = export(CLOUDMAPPER);
    let pages = json!([
        {"UserDetailList": whole["UserDetailList"], "GroupDetailList": whole["GroupDetailList"],
         "IsTruncated": true, "Marker": "m"},
        {"RoleDetailList": whole["RoleDetailList"], "Policies": whole["Policies"], "IsTruncated": false}
    ]);
    let paged = AccountPolicies::from_export(&pages).unwrap();
    let single = AccountPolicies::from_export(&whole).unwrap();
    assert_eq!(paged.identities(), single.identities());
    assert_eq!(paged.identities().len(), 2 + 4);
    let user = paged.identity("USER_WITH_BAD_INLINE_POLICY").unwrap();
    let ssm = "arn:aws:iam::aws:policy/service-role/AmazonEC2RoleforSSM";
    assert_eq!(user.policies[0].name, ssm);
    // Only the first page: it says more follow.
    let first = json!([pages[0].clone()]);
    assert!(AccountPolicies::from_export(&first).is_err());
}

//! What the findings engine reads from an identity's policies: full administrators and known
//! privilege-escalation routes. Roles anyone may assume are in `trust`.

use super::{
    effect_of, evaluate, field, has_condition, reference, Decision, Effect, NamedPolicy, Request,
    StatementRef,
};
use crate::normalize::aws::policy::{document, statements};
use serde_json::Value;

/// The statement that lets its holder do every action on every resource (`Action: *` or
/// `*:*`, `Resource: *`, `Allow`, no condition), unless an unconditional `Deny` takes any of
/// it back: "full" means nothing is excluded. Someone with `*` less a deny still has
/// [`escalation_paths`] unless the deny covers them. A conditional deny (an MFA requirement)
/// does not count: an administrator who must use MFA is still an administrator.
pub fn is_full_admin(policies: &[NamedPolicy<'_>]) -> Option<StatementRef> {
    if unconditional_deny(policies).is_some() {
        return None;
    }
    let mut admin = None;
    for policy in policies {
        let Some(doc) = document(policy.document) else {
            continue;
        };
        for (index, statement) in statements(&doc).into_iter().enumerate() {
            if effect_of(statement) == Some(Effect::Allow)
                && !has_condition(statement)
                && everything(statement, "Action")
                && everything(statement, "Resource")
            {
                admin = Some(reference(
                    &policy.name,
                    index,
                    statement,
                    Effect::Allow,
                    false,
                ));
                break;
            }
        }
        if admin.is_some() {
            break;
        }
    }
    admin
}

/// The first unconditional `Deny` (of any action: `Action` or `NotAction`) in the policies:
/// what keeps their holder from being a full administrator whatever else they allow. The
/// export reader asks it too, so the access graph's admin flag agrees with [`is_full_admin`].
pub fn unconditional_deny(policies: &[NamedPolicy<'_>]) -> Option<StatementRef> {
    for policy in policies {
        let Some(doc) = document(policy.document) else {
            continue;
        };
        for (index, statement) in statements(&doc).into_iter().enumerate() {
            if effect_of(statement) == Some(Effect::Deny)
                && !has_condition(statement)
                && field(statement, "Action", "NotAction").is_some()
            {
                return Some(reference(
                    &policy.name,
                    index,
                    statement,
                    Effect::Deny,
                    false,
                ));
            }
        }
    }
    None
}

/// `Action` (not `NotAction`) or `Resource` lists a pattern of nothing but wildcards.
fn everything(statement: &Value, plain: &str) -> bool {
    let Some((patterns, false)) = field(statement, plain, &format!("Not{plain}")) else {
        return false;
    };
    patterns.iter().any(|pattern| {
        pattern
            .split(':')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b == b'*'))
    })
}

/// A known way to raise one's own privileges that the policies allow on `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalation {
    pub method: &'static str,
    /// Every one of them is allowed.
    pub actions: &'static [&'static str],
    /// Some of them only conditionally.
    pub conditional: bool,
    /// The statements that allow them (and conditional denies that may not), each once.
    pub because: Vec<StatementRef>,
}

/// Privilege-escalation methods: the 21 of Rhino Security Labs, "AWS IAM Privilege Escalation
/// – Methods and Mitigation" (Spencer Gietzen, 2018,
/// <https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/>), in its
/// order, then later ones from Bishop Fox's `iam-vulnerable` (the `privesc-*` cases of the
/// cloudsplaining example export). Each needs all of its actions; AttachUserPolicy and
/// PutUserPolicy are used on oneself, PassRole passes a more privileged role to a new compute
/// resource.
pub(super) const ESCALATIONS: &[(&str, &[&str])] = &[
    ("CreatePolicyVersion", &["iam:CreatePolicyVersion"]),
    ("SetDefaultPolicyVersion", &["iam:SetDefaultPolicyVersion"]),
    ("PassRole+EC2", &["iam:PassRole", "ec2:RunInstances"]),
    ("CreateAccessKey", &["iam:CreateAccessKey"]),
    ("CreateLoginProfile", &["iam:CreateLoginProfile"]),
    ("UpdateLoginProfile", &["iam:UpdateLoginProfile"]),
    ("AttachUserPolicy", &["iam:AttachUserPolicy"]),
    ("AttachGroupPolicy", &["iam:AttachGroupPolicy"]),
    ("AttachRolePolicy", &["iam:AttachRolePolicy"]),
    ("PutUserPolicy", &["iam:PutUserPolicy"]),
    ("PutGroupPolicy", &["iam:PutGroupPolicy"]),
    ("PutRolePolicy", &["iam:PutRolePolicy"]),
    ("AddUserToGroup", &["iam:AddUserToGroup"]),
    (
        "UpdateAssumeRolePolicy",
        &["iam:UpdateAssumeRolePolicy", "sts:AssumeRole"],
    ),
    (
        "PassRole+Lambda+Invoke",
        &[
            "iam:PassRole",
            "lambda:CreateFunction",
            "lambda:InvokeFunction",
        ],
    ),
    (
        "PassRole+Lambda+EventSource",
        &[
            "iam:PassRole",
            "lambda:CreateFunction",
            "lambda:CreateEventSourceMapping",
        ],
    ),
    ("UpdateFunctionCode", &["lambda:UpdateFunctionCode"]),
    ("PassRole+Glue", &["iam:PassRole", "glue:CreateDevEndpoint"]),
    ("UpdateDevEndpoint", &["glue:UpdateDevEndpoint"]),
    (
        "PassRole+CloudFormation",
        &["iam:PassRole", "cloudformation:CreateStack"],
    ),
    (
        "PassRole+DataPipeline",
        &[
            "iam:PassRole",
            "datapipeline:CreatePipeline",
            "datapipeline:PutPipelineDefinition",
        ],
    ),
    (
        "PassRole+CodeBuild",
        &[
            "iam:PassRole",
            "codebuild:CreateProject",
            "codebuild:StartBuild",
        ],
    ),
    (
        "PassRole+SageMakerNotebook",
        &[
            "iam:PassRole",
            "sagemaker:CreateNotebookInstance",
            "sagemaker:CreatePresignedNotebookInstanceUrl",
        ],
    ),
    (
        "PassRole+SageMakerTraining",
        &["iam:PassRole", "sagemaker:CreateTrainingJob"],
    ),
    (
        "PassRole+SageMakerProcessing",
        &["iam:PassRole", "sagemaker:CreateProcessingJob"],
    ),
    (
        "SageMakerNotebookUrl",
        &["sagemaker:CreatePresignedNotebookInstanceUrl"],
    ),
    ("SSMSendCommand", &["ssm:SendCommand"]),
    ("SSMStartSession", &["ssm:StartSession"]),
    (
        "EC2InstanceConnect",
        &["ec2-instance-connect:SendSSHPublicKey"],
    ),
    ("CloudFormationUpdateStack", &["cloudformation:UpdateStack"]),
];

/// The escalation methods whose every action the policies allow on `*` (not denied). A grant
/// on specific ARNs only (`arn:aws:iam::*:policy/team-*`) is not one: which resources make it
/// exploitable is a reviewer's call.
pub fn escalation_paths(policies: &[NamedPolicy<'_>]) -> Vec<Escalation> {
    ESCALATIONS
        .iter()
        .filter_map(|&(method, actions)| {
            let mut found = Escalation {
                method,
                actions,
                conditional: false,
                because: Vec::new(),
            };
            for &action in actions {
                let answer = evaluate(
                    policies,
                    &Request {
                        action,
                        resource: "*",
                    },
                );
                if answer.decision != Decision::Allowed {
                    return None;
                }
                found.conditional |= answer.conditional;
                for statement in answer.because {
                    if !found.because.contains(&statement) {
                        found.because.push(statement);
                    }
                }
            }
            Some(found)
        })
        .collect()
}

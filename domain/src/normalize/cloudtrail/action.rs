//! CloudTrail's `eventSource` + `eventName` → Attest's dotted verb: `iam.user.created` for the
//! calls an access review asks about, `<service>.<snake_case name>` for everything else.

/// `iam.amazonaws.com` → `iam`. A missing source gives `unknown`; a source outside
/// `amazonaws.com` is kept whole.
pub(super) fn service(event_source: Option<&str>) -> String {
    let source = event_source.unwrap_or("unknown");
    source
        .strip_suffix(".amazonaws.com")
        .unwrap_or(source)
        .to_ascii_lowercase()
}

pub(super) fn action(service: &str, event_name: &str) -> String {
    let named = match (service, event_name) {
        ("signin", "ConsoleLogin") => Some("console_login".to_owned()),
        ("sts", "AssumeRole") => Some("role.assumed".to_owned()),
        ("sts", "AssumeRoleWithSAML") => Some("role.assumed_with_saml".to_owned()),
        ("sts", "AssumeRoleWithWebIdentity") => Some("role.assumed_with_web_identity".to_owned()),
        ("sts", "GetFederationToken") => Some("federation_token.created".to_owned()),
        ("iam", name) => iam(name),
        ("cloudtrail", name) => cloudtrail(name),
        _ => None,
    };
    let verb = named.unwrap_or_else(|| snake_case(strip_api_version(event_name)));
    format!("{service}.{verb}")
}

/// IAM calls are `<Verb><Resource>`: the resource becomes the noun, the verb its past tense.
fn iam(name: &str) -> Option<String> {
    let special = match name {
        "AddUserToGroup" => "group.member.added",
        "RemoveUserFromGroup" => "group.member.removed",
        "AddRoleToInstanceProfile" => "instance_profile.role.added",
        "RemoveRoleFromInstanceProfile" => "instance_profile.role.removed",
        "UpdateAssumeRolePolicy" => "role.trust_policy.updated",
        "ChangePassword" => "user.password.changed",
        "EnableMFADevice" => "mfa_device.enabled",
        "DeactivateMFADevice" => "mfa_device.deactivated",
        "CreateVirtualMFADevice" => "mfa_device.created",
        "DeleteVirtualMFADevice" => "mfa_device.deleted",
        "SetDefaultPolicyVersion" => "policy.default_version.set",
        _ => "",
    };
    if !special.is_empty() {
        return Some(special.to_owned());
    }
    const VERBS: [(&str, &str); 9] = [
        ("Create", "created"),
        ("Delete", "deleted"),
        ("Update", "updated"),
        ("Attach", "attached"),
        ("Detach", "detached"),
        ("Put", "put"),
        ("Tag", "tagged"),
        ("Untag", "untagged"),
        ("Upload", "uploaded"),
    ];
    let (verb, past, resource) = VERBS.iter().find_map(|(verb, past)| {
        let resource = name.strip_prefix(verb)?;
        resource
            .starts_with(|c: char| c.is_ascii_uppercase())
            .then_some((*verb, *past, resource))
    })?;
    // Attach/Detach *Policy links a managed policy; Put/Delete/Get *Policy is the inline one.
    let managed = matches!(verb, "Attach" | "Detach");
    let noun = match resource {
        "UserPolicy" | "RolePolicy" | "GroupPolicy" => {
            let owner = snake_case(resource.trim_end_matches("Policy"));
            let kind = if managed { "policy" } else { "inline_policy" };
            format!("{owner}.{kind}")
        }
        "UserPermissionsBoundary" => "user.permissions_boundary".to_owned(),
        "RolePermissionsBoundary" => "role.permissions_boundary".to_owned(),
        "RoleDescription" => "role.description".to_owned(),
        "PolicyVersion" => "policy.version".to_owned(),
        "OpenIDConnectProvider" => "oidc_provider".to_owned(),
        other => snake_case(other),
    };
    Some(format!("{noun}.{past}"))
}

/// Turning an audit trail off is what an intruder does first; give it a name that says so.
fn cloudtrail(name: &str) -> Option<String> {
    let verb = match name {
        "CreateTrail" => "trail.created",
        "DeleteTrail" => "trail.deleted",
        "UpdateTrail" => "trail.updated",
        "StartLogging" => "trail.logging_started",
        "StopLogging" => "trail.logging_stopped",
        "PutEventSelectors" => "trail.event_selectors.put",
        "PutInsightSelectors" => "trail.insight_selectors.put",
        _ => return None,
    };
    Some(verb.to_owned())
}

/// Lambda and CloudFront put their API version into the event name
/// (`UpdateFunctionConfiguration20150331v2`, `UpdateDistribution2017_03_25`); the verb is the
/// same call whatever the version.
fn strip_api_version(name: &str) -> &str {
    let without_v = match name.rfind('v') {
        Some(at) if at + 1 < name.len() && name[at + 1..].bytes().all(|b| b.is_ascii_digit()) => {
            &name[..at]
        }
        _ => name,
    };
    let stem = without_v.trim_end_matches(|c: char| c.is_ascii_digit() || c == '_');
    let suffix = &without_v[stem.len()..];
    let digits = suffix.bytes().filter(u8::is_ascii_digit).count();
    if digits == 8 && !stem.is_empty() {
        stem
    } else {
        name
    }
}

/// `GetCallerIdentity` → `get_caller_identity`, `DescribeDBInstances` → `describe_db_instances`:
/// an underscore where a lowercase letter or digit meets a capital, or where a run of capitals
/// (an acronym) gives way to a capitalised word.
pub(super) fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev = i.checked_sub(1).and_then(|p| chars.get(p));
            let next = chars.get(i + 1);
            let boundary = match prev {
                Some(p) if p.is_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_uppercase() => next.is_some_and(|n| n.is_lowercase()),
                _ => false,
            };
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else if c.is_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    let trimmed = out.trim_end_matches('_');
    if trimmed.is_empty() {
        "unknown".to_owned()
    } else {
        trimmed.to_owned()
    }
}

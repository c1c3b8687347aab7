//! What a record acted on: IAM principals and policies, keys, buckets, instances, trails from
//! `requestParameters`/`responseElements`, then the record's own `resources[]`. The most
//! specific target comes first; the same resource named twice is listed once.

use super::action::snake_case;
use super::text;
use crate::model::Target;
use serde_json::Value;

/// A record naming hundreds of instances still gets a readable, bounded target list.
const MAX_TARGETS: usize = 50;

pub(super) fn targets(service: &str, record: &Value) -> Vec<Target> {
    let request = record.get("requestParameters").unwrap_or(&Value::Null);
    let response = record.get("responseElements").unwrap_or(&Value::Null);
    let mut found = Found::default();
    match service {
        "iam" => iam(request, response, &mut found),
        "sts" => {
            if let Some(arn) = text(request, "roleArn") {
                found.add_arn("iam_role", arn);
            }
        }
        "s3" => s3(request, &mut found),
        "ec2" => ec2(request, response, &mut found),
        "cloudtrail" => {
            if let Some(trail) = text(request, "name").or_else(|| text(request, "trailName")) {
                found.add_name_or_arn("cloudtrail_trail", trail);
            }
        }
        "lambda" => {
            if let Some(function) = text(request, "functionName") {
                found.add_name_or_arn("lambda_function", function);
            }
        }
        _ => {}
    }
    resources(record, &mut found);
    found.0
}

fn iam(request: &Value, response: &Value, found: &mut Found) {
    let created = |kind: &str| response.get(kind).unwrap_or(&Value::Null);
    let key = text(request, "accessKeyId").or_else(|| text(created("accessKey"), "accessKeyId"));
    if let Some(key) = key {
        found.add("access_key", key, None);
    }
    let user = text(request, "userName")
        .or_else(|| text(created("user"), "userName"))
        .or_else(|| text(created("accessKey"), "userName"));
    if let Some(user) = user {
        found.add(
            "iam_user",
            user,
            arn_if_named(created("user"), "userName", user),
        );
    }
    for (field, kind, response_key) in [
        ("groupName", "iam_group", "group"),
        ("roleName", "iam_role", "role"),
        (
            "instanceProfileName",
            "iam_instance_profile",
            "instanceProfile",
        ),
    ] {
        if let Some(name) = text(request, field) {
            found.add(kind, name, arn_if_named(created(response_key), field, name));
        }
    }
    if let Some(arn) = text(request, "policyArn") {
        found.add_arn("iam_policy", arn);
    } else if let Some(name) = text(request, "policyName") {
        found.add(
            "iam_policy",
            name,
            arn_if_named(created("policy"), "policyName", name),
        );
    }
}

/// The ARN of a resource the call created, when the response describes the one we name.
fn arn_if_named<'a>(created: &'a Value, name_field: &str, name: &str) -> Option<&'a str> {
    text(created, "arn").filter(|_| text(created, name_field) == Some(name))
}

fn s3(request: &Value, found: &mut Found) {
    let Some(bucket) = text(request, "bucketName") else {
        return;
    };
    if let Some(key) = text(request, "key") {
        found.add("s3_object", &format!("{bucket}/{key}"), None);
    }
    found.add("s3_bucket", bucket, None);
}

/// EC2 names instances in several shapes: `instanceId`, `instancesSet.items[]` in requests and
/// responses (RunInstances), `resourcesSet.items[]` for tags.
fn ec2(request: &Value, response: &Value, found: &mut Found) {
    if let Some(id) = text(request, "instanceId") {
        found.add("ec2_instance", id, None);
    }
    for (container, set, field) in [
        (request, "instancesSet", "instanceId"),
        (response, "instancesSet", "instanceId"),
        (request, "resourcesSet", "resourceId"),
    ] {
        let items = container
            .get(set)
            .and_then(|set| set.get("items"))
            .and_then(Value::as_array);
        for item in items.into_iter().flatten() {
            if let Some(id) = text(item, field).filter(|id| id.starts_with("i-")) {
                found.add("ec2_instance", id, None);
            }
        }
    }
}

/// `resources: [{"ARN": "...", "type": "AWS::S3::Bucket", "accountId": "..."}]`.
fn resources(record: &Value, found: &mut Found) {
    let Some(entries) = record.get("resources").and_then(Value::as_array) else {
        return;
    };
    for entry in entries {
        let Some(arn) = text(entry, "ARN") else {
            continue;
        };
        let kind = text(entry, "type")
            .map(kind_of_type)
            .or_else(|| kind_of_arn(arn));
        if let Some(kind) = kind {
            found.add_arn(&kind, arn);
        }
    }
}

/// `AWS::IAM::Role` → `iam_role`, `AWS::DynamoDB::Table` → `dynamodb_table`: the service as
/// its ARNs spell it, the resource in snake case.
fn kind_of_type(resource_type: &str) -> String {
    let mut parts = resource_type
        .split("::")
        .filter(|part| !part.is_empty() && *part != "AWS");
    let service = parts.next().unwrap_or("unknown").to_ascii_lowercase();
    let resource: Vec<String> = parts.map(snake_case).collect();
    if resource.is_empty() {
        service
    } else {
        format!("{service}_{}", resource.join("_"))
    }
}

/// The same words from the ARN when `type` is missing:
/// `arn:aws:ssm:us-east-1:1:parameter/x` → `ssm_parameter`.
fn kind_of_arn(arn: &str) -> Option<String> {
    let (service, resource) = arn_parts(arn)?;
    if service == "s3" {
        let kind = if resource.contains('/') {
            "s3_object"
        } else {
            "s3_bucket"
        };
        return Some(kind.to_owned());
    }
    let resource_type = resource
        .split(['/', ':'])
        .next()
        .filter(|t| *t != resource)?;
    Some(format!("{service}_{}", snake_case(resource_type)))
}

/// `arn:partition:service:region:account:resource` → (service, resource).
fn arn_parts(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.splitn(6, ':');
    if parts.next() != Some("arn") {
        return None;
    }
    let service = parts.nth(1)?;
    let resource = parts.nth(2)?;
    Some((service, resource))
}

/// A person's name for the resource an ARN points at: the bucket (and key) for S3, the last
/// path segment for IAM (roles and users live under paths), the id after the type otherwise.
fn name_of_arn(arn: &str) -> &str {
    let Some((service, resource)) = arn_parts(arn) else {
        return arn;
    };
    let name = match service {
        "s3" => resource,
        "iam" | "sts" => resource.rsplit('/').next().unwrap_or(resource),
        _ => match resource.split_once(['/', ':']) {
            Some((_, rest)) => rest,
            None => resource,
        },
    };
    if name.is_empty() {
        arn
    } else {
        name
    }
}

#[derive(Default)]
struct Found(Vec<Target>);

impl Found {
    /// Adds a target unless it is already listed (same kind and name, or same id), in which
    /// case a newly learned id is kept.
    fn add(&mut self, kind: &str, name: &str, id: Option<&str>) {
        let same = |target: &Target| {
            target.kind == kind
                && (target.name == name || (id.is_some() && target.id.as_deref() == id))
        };
        if let Some(target) = self.0.iter_mut().find(|target| same(target)) {
            if target.id.is_none() {
                target.id = id.map(str::to_owned);
            }
        } else if self.0.len() < MAX_TARGETS {
            self.0.push(Target {
                kind: kind.to_owned(),
                id: id.map(str::to_owned),
                name: name.to_owned(),
            });
        }
    }

    fn add_arn(&mut self, kind: &str, arn: &str) {
        self.add(kind, name_of_arn(arn), Some(arn));
    }

    /// Some parameters take either a name or an ARN (`functionName`, a trail's `name`).
    fn add_name_or_arn(&mut self, kind: &str, value: &str) {
        if value.starts_with("arn:") {
            self.add_arn(kind, value);
        } else {
            self.add(kind, value, None);
        }
    }
}

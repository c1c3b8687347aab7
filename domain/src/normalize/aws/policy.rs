//! Reading IAM policy documents as exports and CloudTrail carry them: as JSON objects (the CLI
//! decodes them), as JSON text (CloudTrail's `requestParameters`) or URL-encoded JSON text
//! (the raw IAM API, CloudTrail's `responseElements`). `Statement` may be one object or a
//! list; `Action`, `Resource` and principals one string or a list.

use super::ids::{anyone, principal_of};
use crate::grant::Principal;
use serde_json::Value;
use std::borrow::Cow;

/// The document as a JSON object, or `None` when the value is neither an object nor text that
/// decodes to one.
pub(crate) fn document(value: &Value) -> Option<Cow<'_, Value>> {
    match value {
        Value::Object(_) => Some(Cow::Borrowed(value)),
        Value::String(text) => decode(text).map(Cow::Owned),
        _ => None,
    }
}

fn decode(text: &str) -> Option<Value> {
    let text = text.trim();
    let object = |text: &str| {
        serde_json::from_str::<Value>(text)
            .ok()
            .filter(Value::is_object)
    };
    if text.starts_with('{') {
        return object(text);
    }
    // RFC 3986 encoders (IAM's own) write a space as `%20` and keep `+` for a plus; form
    // encoders write `+` for a space. Try the exact reading first.
    percent_decode(text)
        .and_then(|decoded| object(&decoded))
        .or_else(|| percent_decode(&text.replace('+', " ")).and_then(|decoded| object(&decoded)))
}

/// `%7B%22a%22%7D` → `{"a"}`; `None` for a broken escape or bytes that are not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if byte == b'%' {
            let high = bytes.get(i + 1).and_then(|b| char::from(*b).to_digit(16))?;
            let low = bytes.get(i + 2).and_then(|b| char::from(*b).to_digit(16))?;
            out.push(u8::try_from(high * 16 + low).ok()?);
            i += 3;
        } else {
            out.push(byte);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The statements of a document that are objects; a lone statement object counts as a list of
/// one.
pub(crate) fn statements(document: &Value) -> Vec<&Value> {
    match document.get("Statement") {
        Some(Value::Array(items)) => items.iter().filter(|s| s.is_object()).collect(),
        Some(statement @ Value::Object(_)) => vec![statement],
        _ => Vec::new(),
    }
}

/// The strings of a field that is one string or a list of them; anything else is none.
pub(crate) fn strings(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

fn allows(statement: &Value) -> bool {
    statement.get("Effect").and_then(Value::as_str) == Some("Allow")
}

/// Whether a document lets its holder do everything: an `Allow` of `*` (or `iam:*`, which
/// lets one grant oneself everything) on resource `*`. Conditions are not weighed: an
/// administrator who must use MFA is still an administrator, and a reviewer should see them.
pub(crate) fn grants_admin(document: &Value) -> bool {
    statements(document).into_iter().any(|statement| {
        let everything = strings(statement.get("Action"))
            .into_iter()
            .any(|action| matches!(action.to_ascii_lowercase().as_str(), "*" | "*:*" | "iam:*"));
        allows(statement) && everything && strings(statement.get("Resource")).contains(&"*")
    })
}

/// The ways of assuming a role, in the order a wildcard is reported as.
pub(crate) const ASSUME_ACTIONS: [&str; 3] = [
    "sts:AssumeRole",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithWebIdentity",
];

/// Who a trust policy lets assume its role, and how: one entry per principal of each `Allow`
/// statement whose actions include one of the `sts:AssumeRole*` calls (a wildcard such as
/// `sts:*` reads as `sts:AssumeRole`). Deny statements are not subtracted: a trust policy
/// rarely has them and the grant list is what a reviewer must look at either way.
pub(crate) fn trustees(document: &Value) -> Vec<(Principal, &'static str)> {
    let mut found = Vec::new();
    for statement in statements(document) {
        if !allows(statement) {
            continue;
        }
        let actions = strings(statement.get("Action"));
        let permission = ASSUME_ACTIONS.iter().find(|name| {
            actions.iter().any(|pattern| {
                wildcard_match(&pattern.to_ascii_lowercase(), &name.to_ascii_lowercase())
            })
        });
        let Some(permission) = permission else {
            continue;
        };
        for principal in principals(statement.get("Principal")) {
            found.push((principal, *permission));
        }
    }
    found
}

/// `"*"`, or `{"AWS": ..., "Service": ..., "Federated": ..., "CanonicalUser": ...}` with one
/// string or a list under each key.
fn principals(value: Option<&Value>) -> Vec<Principal> {
    let Some(value) = value else {
        return Vec::new();
    };
    if value.as_str() == Some("*") {
        return vec![anyone()];
    }
    let mut found = Vec::new();
    for name in strings(value.get("AWS")) {
        found.push(principal_of(name));
    }
    for service in strings(value.get("Service")) {
        found.push(Principal {
            kind: "service".into(),
            id: format!("aws:service:{service}"),
            name: service.into(),
        });
    }
    for provider in strings(value.get("Federated")) {
        if provider.starts_with("arn:") {
            found.push(principal_of(provider));
        } else {
            // Web identity providers are named by domain: `accounts.google.com`,
            // `cognito-identity.amazonaws.com`.
            found.push(Principal {
                kind: "identity_provider".into(),
                id: format!("aws:federated:{provider}"),
                name: provider.into(),
            });
        }
    }
    for canonical in strings(value.get("CanonicalUser")) {
        found.push(Principal {
            kind: "canonical_user".into(),
            id: format!("aws:canonical_user:{canonical}"),
            name: canonical.into(),
        });
    }
    found
}

/// IAM's action wildcards: `*` is any run of characters, `?` any one character.
pub(crate) fn wildcard_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    // Classic greedy matching with one backtrack point: linear enough for action names.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || Some(&c) == text.get(t) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern
        .get(p..)
        .is_some_and(|rest| rest.iter().all(|&c| c == '*'))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn documents_in_every_encoding() {
        let object = json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}});
        let text = Value::String(object.to_string());
        let encoded = Value::String(
            "%7B%22Statement%22%3A%20%7B%22Effect%22%3A%20%22Allow%22%2C%20%22Action%22%3A%20%22%2A%22%2C%20%22Resource%22%3A%20%22%2A%22%7D%7D"
                .into(),
        );
        let form = Value::String("%7B%22Statement%22%3A+%7B%22Effect%22%3A+%22Allow%22%2C+%22Action%22%3A+%22*%22%2C+%22Resource%22%3A+%22*%22%7D%7D".into());
        for value in [&object, &text, &encoded, &form] {
            let doc = document(value).unwrap_or_else(|| panic!("{value}"));
            assert_eq!(*doc, object);
            assert!(grants_admin(&doc));
        }
        for broken in [
            json!("%7B%2"),
            json!("not json"),
            json!(42),
            json!("[1]"),
            json!(null),
        ] {
            assert_eq!(document(&broken), None, "{broken}");
        }
    }

    #[test]
    fn admin_needs_allow_everything_on_everything() {
        let admin = |statement: Value| grants_admin(&json!({ "Statement": statement }));
        assert!(admin(
            json!([{"Effect": "Allow", "Action": ["s3:*", "IAM:*"], "Resource": ["*"]}])
        ));
        assert!(admin(
            json!({"Effect": "Allow", "Action": "*:*", "Resource": "*"})
        ));
        assert!(!admin(
            json!({"Effect": "Deny", "Action": "*", "Resource": "*"})
        ));
        assert!(!admin(
            json!({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
        ));
        assert!(!admin(
            json!({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
        ));
        assert!(!admin(
            json!({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b"})
        ));
        assert!(!admin(json!("Allow everything")));
    }

    #[test]
    fn trust_policy_principals() {
        let doc = json!({"Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {
                "AWS": ["arn:aws:iam::193672423079:root", "111122223333",
                        "arn:aws:iam::111122223333:role/path/deploy", "AROAEXAMPLE"],
                "Service": "ec2.amazonaws.com"}},
            {"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
             "Principal": {"Federated": "accounts.google.com"}},
            {"Effect": "Allow", "Action": ["sts:*"],
             "Principal": {"Federated": "arn:aws:iam::111122223333:saml-provider/okta"}},
            {"Effect": "Allow", "Action": "sts:TagSession", "Principal": {"AWS": "*"}},
            {"Effect": "Deny", "Action": "sts:AssumeRole", "Principal": "*"},
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": "*"}
        ]});
        let found: Vec<(String, String, &str)> = trustees(&doc)
            .into_iter()
            .map(|(p, permission)| (p.kind, p.id, permission))
            .collect();
        let expected = [
            ("account", "aws:account:193672423079", "sts:AssumeRole"),
            ("account", "aws:account:111122223333", "sts:AssumeRole"),
            (
                "role",
                "aws:arn:aws:iam::111122223333:role/deploy",
                "sts:AssumeRole",
            ),
            ("unknown", "aws:principal:AROAEXAMPLE", "sts:AssumeRole"),
            ("service", "aws:service:ec2.amazonaws.com", "sts:AssumeRole"),
            (
                "identity_provider",
                "aws:federated:accounts.google.com",
                "sts:AssumeRoleWithWebIdentity",
            ),
            (
                "identity_provider",
                "aws:arn:aws:iam::111122223333:saml-provider/okta",
                "sts:AssumeRole",
            ),
            ("anyone", "aws:anyone", "sts:AssumeRole"),
        ];
        let expected: Vec<(String, String, &str)> = expected
            .iter()
            .map(|(k, id, p)| ((*k).to_owned(), (*id).to_owned(), *p))
            .collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("sts:*", "sts:assumerole"));
        assert!(wildcard_match("*", "sts:assumerole"));
        assert!(wildcard_match("sts:assume*saml", "sts:assumerolewithsaml"));
        assert!(wildcard_match("sts:assumerol?", "sts:assumerole"));
        assert!(!wildcard_match("sts:assumerole", "sts:assumerolewithsaml"));
        assert!(!wildcard_match("s3:*", "sts:assumerole"));
        assert!(wildcard_match("**", ""));
    }
}

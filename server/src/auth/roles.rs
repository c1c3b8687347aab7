//! Who gets which role: rules over what the identity provider says about a person (their
//! verified e-mail, its domain, their groups), configured as `role:kind:value` items, e.g.
//! `admin:group:attest-admins,auditor:email:bob@example.com,viewer:domain:example.com`.
//! A person gets the highest role any rule gives them; no rule, no role, no entry: access is
//! granted by configuration only, never by merely holding an account at the provider.

use domain::model::Role;
use std::fmt;

/// What a rule matches.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Matcher {
    /// This exact e-mail (compared without case).
    Email(String),
    /// Every e-mail at this domain (compared without case; not its subdomains).
    Domain(String),
    /// Membership of this group as the provider names it (exact: group names are ids).
    Group(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    role: Role,
    matcher: Matcher,
}

/// What the provider said about a person, as far as roles go.
#[derive(Debug, Clone, Default)]
pub struct Claims<'a> {
    /// A verified e-mail: unverified ones must not reach the rules.
    pub email: &'a str,
    pub groups: &'a [String],
}

/// The role rules, and which e-mail domains may sign in at all.
#[derive(Debug, Clone, Default)]
pub struct RoleRules {
    rules: Vec<Rule>,
    allowed_domains: Vec<String>,
}

/// Why a person who proved who they are is still not let in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    DomainNotAllowed(String),
    NoRole,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::DomainNotAllowed(domain) => {
                write!(f, "e-mail domain {domain:?} is not allowed to sign in")
            }
            Refusal::NoRole => write!(f, "no role rule gives this account a role"),
        }
    }
}

impl RoleRules {
    /// Parses `role:kind:value` items separated by commas (kinds: `email`, `domain`, `group`)
    /// and the allowed e-mail domains (comma-separated; empty: any domain a rule lets in).
    pub fn parse(rules: &str, allowed_domains: &str) -> Result<RoleRules, String> {
        let mut parsed = Vec::new();
        for item in rules.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let mut parts = item.splitn(3, ':');
            let (Some(role), Some(kind), Some(value)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(format!(
                    "role rule {item:?} is not role:kind:value (e.g. admin:group:attest-admins)"
                ));
            };
            let role: Role = role
                .trim()
                .parse()
                .map_err(|err| format!("role rule {item:?}: {err}"))?;
            let value = value.trim();
            if value.is_empty() {
                return Err(format!("role rule {item:?} has an empty value"));
            }
            let matcher = match kind.trim() {
                "email" => Matcher::Email(value.to_lowercase()),
                "domain" => Matcher::Domain(value.trim_start_matches('@').to_lowercase()),
                "group" => Matcher::Group(value.to_owned()),
                other => {
                    return Err(format!(
                    "role rule {item:?}: unknown kind {other:?} (expected email, domain or group)"
                ))
                }
            };
            parsed.push(Rule { role, matcher });
        }
        let allowed_domains = allowed_domains
            .split(',')
            .map(|d| d.trim().trim_start_matches('@').to_lowercase())
            .filter(|d| !d.is_empty())
            .collect();
        Ok(RoleRules {
            rules: parsed,
            allowed_domains,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The role `claims` earn, or why none.
    pub fn role_for(&self, claims: &Claims<'_>) -> Result<Role, Refusal> {
        let email = claims.email.trim().to_lowercase();
        let domain = email.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
        if !self.allowed_domains.is_empty() && !self.allowed_domains.iter().any(|d| d == domain) {
            return Err(Refusal::DomainNotAllowed(domain.to_owned()));
        }
        self.rules
            .iter()
            .filter(|rule| match &rule.matcher {
                Matcher::Email(e) => !email.is_empty() && *e == email,
                Matcher::Domain(d) => !domain.is_empty() && d == domain,
                Matcher::Group(g) => claims.groups.iter().any(|have| have == g),
            })
            .map(|rule| rule.role)
            .max()
            .ok_or(Refusal::NoRole)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn groups(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn the_highest_role_any_rule_gives_wins() {
        let rules = RoleRules::parse(
            "viewer:domain:example.com, auditor:email:Bob@Example.com,admin:group:attest-admins",
            "",
        )
        .unwrap();
        let none = groups(&[]);
        let admins = groups(&["staff", "attest-admins"]);
        let role = |email, groups| rules.role_for(&Claims { email, groups });
        assert_eq!(role("carol@example.com", &none), Ok(Role::Viewer));
        assert_eq!(role("bob@example.COM", &none), Ok(Role::Auditor));
        assert_eq!(role("bob@example.com", &admins), Ok(Role::Admin));
        assert_eq!(role("dave@elsewhere.test", &none), Err(Refusal::NoRole));
        // A group rule lets in whoever the provider puts in the group, whatever their domain.
        assert_eq!(role("eve@elsewhere.test", &admins), Ok(Role::Admin));
        // Domains match exactly: not a suffix, not a subdomain.
        assert_eq!(role("x@notexample.com", &none), Err(Refusal::NoRole));
        assert_eq!(role("x@sub.example.com", &none), Err(Refusal::NoRole));
        assert_eq!(role("", &none), Err(Refusal::NoRole));
    }

    #[test]
    fn allowed_domains_come_before_every_rule() {
        let rules =
            RoleRules::parse("admin:group:attest-admins", "example.com,@corp.test").unwrap();
        let admins = groups(&["attest-admins"]);
        let role = |email| {
            rules.role_for(&Claims {
                email,
                groups: &admins,
            })
        };
        assert_eq!(role("a@example.com"), Ok(Role::Admin));
        assert_eq!(role("a@corp.test"), Ok(Role::Admin));
        assert_eq!(
            role("mallory@elsewhere.test"),
            Err(Refusal::DomainNotAllowed("elsewhere.test".into()))
        );
    }

    #[test]
    fn bad_rules_are_refused_with_the_reason() {
        for (rules, says) in [
            ("admin", "is not role:kind:value"),
            ("boss:email:a@b.c", "unknown role"),
            ("admin:team:x", "unknown kind"),
            ("admin:email:", "empty value"),
        ] {
            let err = RoleRules::parse(rules, "").unwrap_err();
            assert!(err.contains(says), "{rules}: {err}");
        }
        assert!(RoleRules::parse(" , ", "").unwrap().is_empty());
    }
}

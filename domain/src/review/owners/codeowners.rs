//! GitHub CODEOWNERS imports: the file of one repository read into the owners of the whole
//! repository (its last catch-all rule) and every path rule GitHub would apply, with the lines
//! GitHub would ignore reported by number.

use super::{
    is_name, owner_list, quote, strip_prefix_ignore_case, utf8, LineProblem, Owner, OwnerError,
    OwnerRule, OwnersError,
};
use serde::{Deserialize, Serialize};

/// GitHub ignores a CODEOWNERS file of 3 MB or more, so Attest refuses one too rather than
/// route reviews by rules that GitHub itself does not apply.
pub const CODEOWNERS_MAX_BYTES: usize = 3 * 1024 * 1024;

/// The patterns that cover a whole repository in CODEOWNERS.
const CATCH_ALL: [&str; 5] = ["*", "/*", "/", "**", "/**"];

/// What a repository's CODEOWNERS file says about it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Codeowners {
    /// The owners of the last catch-all rule; empty when there is none or it names no one.
    pub repository_owners: Vec<Owner>,
    /// Every rule GitHub would apply, in file order, with its pattern as written (CODEOWNERS
    /// syntax, case-sensitive: not for [`pattern_matches`](super::pattern_matches)).
    pub path_rules: Vec<OwnerRule>,
    pub problems: Vec<LineProblem>,
}

/// Reads the CODEOWNERS file of `repo` (`org/name`). Only a file-level problem is an error;
/// a line GitHub would ignore is skipped and reported in `problems` with its line number.
pub fn parse_codeowners(repo: &str, bytes: &[u8]) -> Result<Codeowners, OwnersError> {
    check_repository(repo)?;
    if bytes.len() >= CODEOWNERS_MAX_BYTES {
        return Err(OwnersError::TooLarge { size: bytes.len() });
    }
    let text = utf8(bytes)?;
    let mut codeowners = Codeowners::default();
    for (index, raw) in text.lines().enumerate() {
        match codeowners_rule(raw) {
            Ok(None) => {}
            Ok(Some(rule)) => {
                if CATCH_ALL.contains(&rule.pattern.as_str()) {
                    codeowners.repository_owners = rule.owners.clone();
                }
                codeowners.path_rules.push(rule);
            }
            Err(message) => {
                let line = index + 1;
                codeowners.problems.push(LineProblem { line, message });
            }
        }
    }
    Ok(codeowners)
}

/// The rule on one CODEOWNERS line, `None` for a blank or comment line, or why GitHub would
/// ignore the line. One bad owner voids the whole line, as it does on GitHub.
fn codeowners_rule(line: &str) -> Result<Option<OwnerRule>, String> {
    let (tokens, comment) = split_codeowners_line(line)?;
    let Some((pattern, owner_tokens)) = tokens.split_first() else {
        return Ok(None);
    };
    check_codeowners_pattern(pattern)?;
    Ok(Some(OwnerRule {
        pattern: (*pattern).to_owned(),
        owners: owner_list(owner_tokens.iter().copied(), codeowners_owner)?,
        note: comment.to_owned(),
    }))
}

/// The whitespace-separated words of a line before its comment, and the comment. `\` escapes
/// the next character (a space, or `#` so it does not start a comment) and stays in the word,
/// because it is part of the gitignore-style pattern.
fn split_codeowners_line(line: &str) -> Result<(Vec<&str>, &str), String> {
    let mut words = Vec::new();
    let mut start: Option<usize> = None;
    let mut chars = line.char_indices();
    while let Some((at, c)) = chars.next() {
        if c == '\\' {
            start.get_or_insert(at);
            if chars.next().is_none() {
                return Err("the line ends with a lone `\\`, which escapes nothing".to_owned());
            }
        } else if c == '#' || c.is_whitespace() {
            if let Some(from) = start.take() {
                words.push(line.get(from..at).unwrap_or_default());
            }
            if c == '#' {
                let comment = line.get(at + 1..).unwrap_or_default();
                return Ok((words, comment.trim()));
            }
        } else {
            start.get_or_insert(at);
        }
    }
    if let Some(from) = start {
        words.push(line.get(from..).unwrap_or_default());
    }
    Ok((words, ""))
}

/// Refuses the gitignore syntax that GitHub documents as not working in CODEOWNERS.
fn check_codeowners_pattern(pattern: &str) -> Result<(), String> {
    let unsupported = if pattern.starts_with("\\#") {
        "escaping a leading `#` with `\\`"
    } else if pattern.starts_with('!') {
        "`!` negation"
    } else if pattern.chars().any(char::is_control) {
        "control characters"
    } else if unescaped_bracket(pattern) {
        "`[ ]` character ranges (nor GitLab's sections)"
    } else {
        return Ok(());
    };
    Err(format!(
        "GitHub ignores this line: CODEOWNERS does not support {unsupported}"
    ))
}

fn unescaped_bracket(pattern: &str) -> bool {
    let mut escaped = false;
    pattern.chars().any(|c| {
        let bracket = !escaped && (c == '[' || c == ']');
        escaped = !escaped && c == '\\';
        bracket
    })
}

/// An owner as CODEOWNERS writes it: `@login`, `@org/team` or an e-mail. Attest's own
/// `github:` and `team:` forms mean nothing to GitHub, so they are refused here.
fn codeowners_owner(token: &str) -> Result<Owner, OwnerError> {
    let attest_form = ["team:", "github:"]
        .iter()
        .any(|prefix| strip_prefix_ignore_case(token, prefix).is_some());
    if token.starts_with('@') || (token.contains('@') && !attest_form) {
        Owner::parse(token)
    } else {
        Err(OwnerError::NotCodeowners { text: quote(token) })
    }
}

/// `org/name` with the characters GitHub allows in account and repository names.
fn check_repository(repo: &str) -> Result<(), OwnersError> {
    let reason = match repo.split_once('/') {
        None => "write it as org/name, like acme/infra",
        Some((org, _)) if !is_name(org, "-_") => {
            "the part before `/` must be a GitHub account: letters, digits, `-` and `_`"
        }
        Some((_, name)) if !is_name(name, "-_.") || name == "." || name == ".." => {
            "the name after `/` must be up to 100 letters, digits, `.`, `-` and `_`"
        }
        Some(_) => return Ok(()),
    };
    let repo = quote(repo);
    Err(OwnersError::InvalidRepository { repo, reason })
}

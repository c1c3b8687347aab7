//! Who owns what: the owners CSV and GitHub CODEOWNERS imports that route each review item to
//! its resource's owner, and the glob that applies their rules to resource names.
//!
//! An owners CSV has a header row naming a `resource` column (a pattern: `*` matches any run
//! of characters, `/` included, `?` one character, case-insensitively), an `owner` column
//! (e-mails, `@login`, `github:login`, `@org/slug`, `team:org/slug`, separated by spaces, `;`
//! or `,`) and optionally `note`, in any order. A CODEOWNERS file is imported for one
//! repository, the reviewed resource: its owners are those of the last catch-all rule, and
//! every rule is kept so the UI can show who owns which paths. In both, the last matching rule
//! wins ([`owners_of`]) and a line that cannot be used is skipped and reported by number.

use serde::{Deserialize, Serialize};
use std::fmt;

mod codeowners;

pub use codeowners::{parse_codeowners, Codeowners, CODEOWNERS_MAX_BYTES};

/// GitHub caps logins at 39 characters and repository names at 100; the looser bound for
/// names only keeps garbage out, so an unusual but real one (an Enterprise Managed User's
/// `login_shortcode`) is not refused.
const NAME_MAX: usize = 100;

/// User text quoted back in a message is cut here, so a megabyte of garbage on one line does
/// not become a megabyte of error message.
const QUOTE_MAX_CHARS: usize = 80;

/// Who owns something: a person by e-mail, a GitHub login, or a team (`org/slug`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Owner {
    Email(String),
    GithubLogin(String),
    Team(String),
}

impl Owner {
    /// Reads `a@b.c`, `@login`, `github:login`, `@org/slug` or `team:org/slug`. GitHub names
    /// and e-mails are case-insensitive, so they are kept lower-cased and compare equal however
    /// a file spelled them.
    pub fn parse(text: &str) -> Result<Owner, OwnerError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(OwnerError::Empty);
        }
        if text.chars().any(char::is_whitespace) {
            return Err(OwnerError::Whitespace { text: quote(text) });
        }
        // `team:` and `github:` say what follows; after a bare `@` a `/` makes it a team.
        let named = strip_prefix_ignore_case(text, "team:")
            .map(|rest| (rest, true))
            .or_else(|| strip_prefix_ignore_case(text, "github:").map(|rest| (rest, false)))
            .or_else(|| {
                text.strip_prefix('@')
                    .map(|rest| (rest, rest.contains('/')))
            });
        let shown = quote(text);
        match named {
            Some((rest, true)) => team(rest)
                .map(Owner::Team)
                .ok_or(OwnerError::Team { text: shown }),
            Some((rest, false)) => login(rest)
                .map(Owner::GithubLogin)
                .ok_or(OwnerError::Login { text: shown }),
            None if text.contains('@') => email(text)
                .map(Owner::Email)
                .ok_or(OwnerError::Email { text: shown }),
            None => Err(OwnerError::Unrecognized { text: shown }),
        }
    }

    /// The canonical form, which [`Owner::parse`] reads back: the e-mail, `github:login` or
    /// `team:org/slug`.
    pub fn as_text(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Owner::Email(email) => f.write_str(email),
            Owner::GithubLogin(login) => write!(f, "github:{login}"),
            Owner::Team(team) => write!(f, "team:{team}"),
        }
    }
}

/// Why some text is not an owner. The text is quoted back, cut to a readable length.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OwnerError {
    #[error("an owner is empty")]
    Empty,
    #[error("{text:?} contains a space: separate owners with spaces or `;`")]
    Whitespace { text: String },
    #[error("{text:?} is not a GitHub login: a login is letters, digits, `-` and `_` after `@` or `github:`, like @alice")]
    Login { text: String },
    #[error("{text:?} is not a team: write org/slug after `@` or `team:`, like @acme/platform")]
    Team { text: String },
    #[error("{text:?} is not an e-mail address (like alice@example.com)")]
    Email { text: String },
    #[error("{text:?} is not an owner: write an e-mail (alice@example.com), a GitHub login (@alice) or a team (@acme/platform)")]
    Unrecognized { text: String },
    #[error("{text:?} is not an owner in CODEOWNERS, which names owners as @login, @org/team or an e-mail")]
    NotCodeowners { text: String },
}

/// Why a whole file was refused. Problems with single lines are [`LineProblem`]s instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OwnersError {
    #[error("the file has no header row: an owners CSV starts with a row naming its `resource` and `owner` columns")]
    NoHeader,
    #[error("the owners CSV header has no {missing} column (the first row holds: {found}); the first row must name the columns")]
    MissingColumns {
        missing: &'static str,
        found: String,
    },
    #[error("the owners CSV header names the `{column}` column twice")]
    DuplicateColumn { column: &'static str },
    #[error("the file is not UTF-8 text (the first bad byte is on line {line}); save it as UTF-8")]
    NotUtf8 { line: usize },
    #[error("the CODEOWNERS file is {size} bytes; GitHub ignores one of 3 MB or more")]
    TooLarge { size: usize },
    #[error("{repo:?} is not a GitHub repository: {reason}")]
    InvalidRepository { repo: String, reason: &'static str },
}

/// One rule: resources whose name matches `pattern` are owned by `owners`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerRule {
    pub pattern: String,
    /// Empty only for a CODEOWNERS line that takes ownership away from its paths.
    pub owners: Vec<Owner>,
    /// The CSV `note` cell, or the comment after a CODEOWNERS rule.
    pub note: String,
}

/// A problem with one line, which was skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineProblem {
    pub line: usize,
    pub message: String,
}

/// The rules of an owners CSV, in file order, and the rows that were skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnersFile {
    pub rules: Vec<OwnerRule>,
    pub problems: Vec<LineProblem>,
}

/// Reads an owners CSV (see the module documentation). Only a file-level problem is an
/// error; a bad row is skipped and reported in `problems` with its line number.
pub fn parse_owners_csv(bytes: &[u8]) -> Result<OwnersFile, OwnersError> {
    let text = utf8(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        // Whole comment lines go before the CSV grammar sees them, so a quote in a comment
        // cannot swallow the rows after it.
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let mut columns: Option<Columns> = None;
    let mut file = OwnersFile::default();
    for record in reader.records() {
        // The text is valid UTF-8 and rows may be ragged, so the reader has nothing left to
        // fail on; should it fail anyway, the row is reported rather than the file refused.
        let record = match record {
            Ok(record) => record,
            Err(err) => {
                let line = err.position().map_or(0, |p| line_number(p.line()));
                let message = format!("the row cannot be read as CSV: {err}");
                file.problems.push(LineProblem { line, message });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| line_number(p.line()));
        let first = record.get(0).unwrap_or_default();
        if first.starts_with('#') || record.iter().all(str::is_empty) {
            continue;
        }
        match &columns {
            None => columns = Some(Columns::of_header(&record)?),
            Some(columns) => match columns.rule(&record) {
                Ok(rule) => file.rules.push(rule),
                Err(message) => file.problems.push(LineProblem { line, message }),
            },
        }
    }
    if columns.is_none() {
        return Err(OwnersError::NoHeader);
    }
    Ok(file)
}

/// Where the owners CSV's `resource`, `owner` and `note` columns are.
struct Columns(usize, usize, Option<usize>);

impl Columns {
    /// The columns a header row names, matched without regard to case (`owners` too).
    fn of_header(header: &csv::StringRecord) -> Result<Columns, OwnersError> {
        let find = |column: &'static str| {
            let mut named = header.iter().enumerate().filter(|(_, cell)| {
                let cell = cell.to_lowercase();
                cell == column || cell.strip_suffix('s') == Some(column)
            });
            match (named.next(), named.next()) {
                (first, None) => Ok(first.map(|(at, _)| at)),
                _ => Err(OwnersError::DuplicateColumn { column }),
            }
        };
        let (resource, owner, note) = (find("resource")?, find("owner")?, find("note")?);
        let missing = match (resource, owner) {
            (Some(resource), Some(owner)) => return Ok(Columns(resource, owner, note)),
            (None, None) => "`resource` and `owner`",
            (None, Some(_)) => "`resource`",
            (Some(_), None) => "`owner`",
        };
        let found = quote(&header.iter().collect::<Vec<_>>().join(", "));
        Err(OwnersError::MissingColumns { missing, found })
    }

    /// The rule a data row gives, or why it gives none.
    fn rule(&self, record: &csv::StringRecord) -> Result<OwnerRule, String> {
        let cell = |at: usize| record.get(at).unwrap_or_default();
        let Columns(resource, owner, note) = *self;
        let pattern = cell(resource);
        if pattern.is_empty() {
            return Err("the row has no resource pattern".to_owned());
        }
        if pattern.chars().any(char::is_control) {
            return Err("the resource pattern contains a control character".to_owned());
        }
        let tokens = cell(owner).split(|c: char| c == ';' || c == ',' || c.is_whitespace());
        let owners = owner_list(tokens.filter(|token| !token.is_empty()), Owner::parse)?;
        // A blank cell in a spreadsheet is more often a gap than a decision; reporting it
        // keeps matching resources from going unowned without anyone noticing.
        if owners.is_empty() {
            return Err(format!("no owner is given for {:?}", quote(pattern)));
        }
        Ok(OwnerRule {
            pattern: pattern.to_owned(),
            owners,
            note: note.map(cell).unwrap_or_default().to_owned(),
        })
    }
}

/// The owners named by `tokens`, each once, or every reason some are not owners: the line
/// is skipped whole, so the message should let it be fixed in one go.
fn owner_list<'a>(
    tokens: impl Iterator<Item = &'a str>,
    parse: fn(&str) -> Result<Owner, OwnerError>,
) -> Result<Vec<Owner>, String> {
    let mut owners = Vec::new();
    let mut errors = Vec::new();
    for token in tokens {
        match parse(token) {
            Ok(owner) if !owners.contains(&owner) => owners.push(owner),
            Ok(_) => {}
            Err(err) => errors.push(err.to_string()),
        }
    }
    if errors.is_empty() {
        Ok(owners)
    } else {
        Err(errors.join("; "))
    }
}

/// Whether `pattern` (the owners CSV syntax above) matches `name`, case-insensitively.
pub fn pattern_matches(pattern: &str, name: &str) -> bool {
    matches_folded(pattern, &fold(name))
}

/// The owners of a resource named `name`: the owners of the LAST rule (in file order) that
/// matches it, like CODEOWNERS precedence; empty when none matches.
pub fn owners_of<'a>(rules: &'a [OwnerRule], name: &str) -> &'a [Owner] {
    let name = fold(name);
    rules
        .iter()
        .rev()
        .find(|rule| matches_folded(&rule.pattern, &name))
        .map_or(&[], |rule| rule.owners.as_slice())
}

fn fold(text: &str) -> Vec<char> {
    text.to_lowercase().chars().collect()
}

/// The glob against an already folded name. The pattern is cut at its `*`s: the first piece
/// must start the name, the last must end it, and each piece between is taken at its
/// leftmost place after the previous one (a later place never leaves more room). No
/// backtracking, so the work is bounded by the name's length times the longest piece.
fn matches_folded(pattern: &str, name: &[char]) -> bool {
    let pattern = fold(pattern);
    let mut pieces = pattern.split(|c| *c == '*');
    let first = pieces.next().unwrap_or_default();
    let Some(last) = pieces.next_back() else {
        return same(first, name);
    };
    let parts = name.split_at_checked(first.len()).and_then(|(head, rest)| {
        let (between, tail) = rest.split_at_checked(rest.len().checked_sub(last.len())?)?;
        Some((head, between, tail))
    });
    let Some((head, mut between, tail)) = parts else {
        return false;
    };
    if !same(first, head) || !same(last, tail) {
        return false;
    }
    for piece in pieces.filter(|piece| !piece.is_empty()) {
        let found = between
            .windows(piece.len())
            .position(|window| same(piece, window));
        match found.and_then(|at| between.get(at + piece.len()..)) {
            Some(after) => between = after,
            None => return false,
        }
    }
    true
}

/// Whether a piece of pattern without `*` matches `text` exactly, `?` standing for any one
/// character.
fn same(piece: &[char], text: &[char]) -> bool {
    piece.len() == text.len() && piece.iter().zip(text).all(|(p, c)| *p == '?' || p == c)
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    text.get(..prefix.len())
        .filter(|head| head.eq_ignore_ascii_case(prefix))
        .and_then(|_| text.get(prefix.len()..))
}

/// 1 to [`NAME_MAX`] ASCII letters, digits and `extra`, not starting with `-`: the shape
/// of GitHub's account, team and repository names.
fn is_name(text: &str, extra: &str) -> bool {
    (1..=NAME_MAX).contains(&text.len())
        && !text.starts_with('-')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
}

fn login(text: &str) -> Option<String> {
    is_name(text, "-_").then(|| text.to_ascii_lowercase())
}

/// `org/slug`. Team slugs are derived from team names, hence the looser alphabet.
fn team(text: &str) -> Option<String> {
    let (org, slug) = text.split_once('/')?;
    (is_name(org, "-_") && is_name(slug, "-_.")).then(|| text.to_ascii_lowercase())
}

/// The product's e-mail shape ([`super::looks_like_email`]) without the characters that
/// separate owners or quote in CSV and CODEOWNERS, so `a@b.c;d@e.f` is never one address.
fn email(text: &str) -> Option<String> {
    let clean = !text.chars().any(|c| {
        c.is_control() || matches!(c, ',' | ';' | ':' | '"' | '\\' | '(' | ')' | '[' | ']')
    });
    (clean && text.len() <= 320 && super::looks_like_email(text)).then(|| text.to_lowercase())
}

/// The text of a file, without a byte order mark, or the line of its first non-UTF-8 byte.
fn utf8(bytes: &[u8]) -> Result<&str, OwnersError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|err| {
        let valid = bytes.get(..err.valid_up_to()).unwrap_or_default();
        OwnersError::NotUtf8 {
            line: 1 + valid.iter().filter(|b| **b == b'\n').count(),
        }
    })
}

fn line_number(line: u64) -> usize {
    usize::try_from(line).unwrap_or(usize::MAX)
}

/// `text` cut to [`QUOTE_MAX_CHARS`] for a message.
fn quote(text: &str) -> String {
    match text.char_indices().nth(QUOTE_MAX_CHARS) {
        Some((at, _)) => format!("{}…", text.get(..at).unwrap_or_default()),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests;

//! A small builder for SQL whose shape depends on filters: it numbers `$n` placeholders and
//! keeps the values to bind, so user input is always bound, never spliced into the text.

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    I64(i64),
    OptI64(Option<i64>),
    Text(String),
    OptText(Option<String>),
    Bytes(Vec<u8>),
}

#[derive(Debug, Default)]
pub(crate) struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Sql {
        Sql {
            text: text.to_owned(),
            args: Vec::new(),
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Adds a value and returns its placeholder, to be written into the text by the caller.
    pub fn arg(&mut self, value: Arg) -> String {
        self.args.push(value);
        format!("${}", self.args.len())
    }

    /// Appends `(p1, p2, …)` for one row of a multi-row `values` list, with a leading comma
    /// after the first row.
    pub fn row(&mut self, first: bool, values: Vec<Arg>) -> &mut Self {
        let placeholders: Vec<String> = values.into_iter().map(|v| self.arg(v)).collect();
        if !first {
            self.text.push_str(", ");
        }
        self.text.push('(');
        self.text.push_str(&placeholders.join(", "));
        self.text.push(')');
        self
    }

    /// Appends `(p1, p2, …)` of strings, for `in` lists.
    pub fn text_list(&mut self, values: &[String]) -> &mut Self {
        let placeholders: Vec<String> = values
            .iter()
            .map(|v| self.arg(Arg::Text(v.clone())))
            .collect();
        self.text.push('(');
        self.text.push_str(&placeholders.join(", "));
        self.text.push(')');
        self
    }

    /// Appends `(p1, p2, …)` of integers, for `in` lists.
    pub fn id_list(&mut self, ids: &[i64]) -> &mut Self {
        let placeholders: Vec<String> = ids.iter().map(|id| self.arg(Arg::I64(*id))).collect();
        self.text.push('(');
        self.text.push_str(&placeholders.join(", "));
        self.text.push(')');
        self
    }
}

/// Binds the builder's values onto a sqlx query of either engine, in order. Text and bytes
/// are bound by reference (the builder outlives the query), so a batch's bodies are not copied
/// again.
macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                $crate::store::sql::Arg::I64(v) => query.bind(*v),
                $crate::store::sql::Arg::OptI64(v) => query.bind(*v),
                $crate::store::sql::Arg::Text(v) => query.bind(v.as_str()),
                $crate::store::sql::Arg::OptText(v) => query.bind(v.as_deref()),
                $crate::store::sql::Arg::Bytes(v) => query.bind(v.as_slice()),
            };
        }
        query
    }};
}
pub(crate) use bind_all;

/// Escapes `%`, `_` and `\` for a `like … escape '\'` pattern.
pub(crate) fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The smallest string greater than every string that starts with `prefix`, so a prefix match
/// becomes an index range `>= prefix and < upper`. `None` when no such bound exists.
pub(crate) fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = char::from_u32(last as u32 + 1) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        let mut sql = Sql::new("select 1 where a = ");
        let a = sql.arg(Arg::I64(1));
        sql.push(&a).push(" and b = ");
        let b = sql.arg(Arg::Text("x".into()));
        sql.push(&b);
        assert_eq!(sql.text, "select 1 where a = $1 and b = $2");
        assert_eq!(sql.args, vec![Arg::I64(1), Arg::Text("x".into())]);
    }

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(like_escape(r"50%_a\b"), r"50\%\_a\\b");
    }

    #[test]
    fn prefix_bounds() {
        assert_eq!(prefix_upper_bound("repo."), Some("repo/".to_owned()));
        assert_eq!(prefix_upper_bound(""), None);
        assert!("repo.push" < "repo/" && "repo.push" >= "repo.");
    }
}

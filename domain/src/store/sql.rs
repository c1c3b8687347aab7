//! A small builder for SQL whose shape depends on filters: it numbers `$n` placeholders and
//! keeps the values to bind, so user input is always bound, never spliced into the text.
//! [`Sql::render`] writes the same statement for an engine that binds by position.

use std::borrow::Cow;

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

    /// Adds a value and writes its placeholder at the end of the text: what [`Sql::arg`] does
    /// without a string per value, for statements that carry thousands.
    pub fn push_arg(&mut self, value: Arg) {
        use std::fmt::Write as _;
        self.args.push(value);
        // Writing to a String cannot fail.
        let _ = write!(self.text, "${}", self.args.len());
    }

    /// Appends `(p1, p2, …)`: a list of placeholders for `values`.
    fn push_list<T>(&mut self, values: impl IntoIterator<Item = T>, arg: impl Fn(T) -> Arg) {
        self.text.push('(');
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.push_arg(arg(value));
        }
        self.text.push(')');
    }

    /// Appends `(p1, p2, …)` for one row of a multi-row `values` list, with a leading comma
    /// after the first row.
    pub fn row(&mut self, first: bool, values: Vec<Arg>) -> &mut Self {
        if !first {
            self.text.push_str(", ");
        }
        self.push_list(values, |v| v);
        self
    }

    /// Appends `(p1, p2, …)` of strings, for `in` lists.
    pub fn text_list(&mut self, values: &[String]) -> &mut Self {
        self.push_list(values, |v| Arg::Text(v.clone()));
        self
    }

    /// Appends `((a1, b1), (a2, b2), …)` of string pairs, for `(x, y) in` lists.
    pub fn text_pairs<'a>(
        &mut self,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> &mut Self {
        self.text.push('(');
        for (i, (a, b)) in pairs.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.push_list([a, b], |v| Arg::Text(v.to_owned()));
        }
        self.text.push(')');
        self
    }

    /// Appends `(p1, p2, …)` of integers, for `in` lists.
    pub fn id_list(&mut self, ids: &[i64]) -> &mut Self {
        self.push_list(ids, |id| Arg::I64(*id));
        self
    }
}

/// How an engine wants placeholders written and how many values one statement should carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dialect {
    /// Anonymous `?` placeholders bound in text order, instead of numbered `$n`.
    pub anonymous: bool,
    /// Bound values per multi-row statement.
    pub parameters: usize,
    /// The statement that starts a write transaction.
    pub begin: &'static str,
    /// How a bulk insert of rows known to be new starts. SQLite's `insert or fail` leaves out
    /// the statement journal (a copy of every page a multi-row statement changes, kept to undo
    /// just that statement): a failing row fails the whole transaction here anyway. (An
    /// immediate foreign key would bring the journal back, which is why SQLite's are deferred
    /// to the commit: migration 0005.)
    pub insert: &'static str,
    /// Bulk writes look up which rows exist, then insert the new ones with ids they assign
    /// themselves, instead of asking the engine to return every new row's id. Only sound where
    /// a write transaction holds the only write lock from its start (SQLite's `BEGIN
    /// IMMEDIATE`), and worth it there: sqlx's SQLite driver hands each returned row from its
    /// worker thread to the caller as a separate message, a thread wake-up per row.
    pub assign_ids: bool,
}

impl Dialect {
    /// Postgres: numbered placeholders, as the builder writes them.
    pub const POSTGRES: Dialect = Dialect {
        anonymous: false,
        parameters: 6_000,
        begin: "begin",
        insert: "insert into",
        assign_ids: false,
    };
    /// SQLite: sqlx binds a named parameter (`$n`, and `?n` too) by asking SQLite for each
    /// parameter's name, which SQLite finds by a linear scan of the statement's names, so
    /// binding `$n` costs grow with the square of their count (5,000 of them were half an
    /// import's time). Anonymous `?` have no names and bind by position in linear time.
    pub const SQLITE: Dialect = Dialect {
        anonymous: true,
        parameters: 6_000,
        begin: "begin immediate",
        insert: "insert or fail into",
        assign_ids: true,
    };

    /// How many rows of `columns` bound values one multi-row statement carries: as many as
    /// fit in [`Dialect::parameters`], at most 250 (bigger statements gain nothing more).
    pub fn rows_per_statement(&self, columns: usize) -> usize {
        (self.parameters / columns.max(1)).clamp(1, 250)
    }
}

impl Default for Dialect {
    fn default() -> Dialect {
        Dialect::POSTGRES
    }
}

/// A statement as one engine gets it: the text and its values in binding order.
pub(crate) struct Rendered<'a> {
    pub text: Cow<'a, str>,
    pub args: Vec<&'a Arg>,
}

impl Sql {
    /// The statement for `dialect`. For anonymous placeholders each `$n` outside quotes becomes
    /// `?` and its value is bound at that position, repeated where `$n` is: a placeholder
    /// used twice is bound twice.
    pub fn render(&self, dialect: Dialect) -> Rendered<'_> {
        if !dialect.anonymous {
            return Rendered {
                text: Cow::Borrowed(&self.text),
                args: self.args.iter().collect(),
            };
        }
        let bytes = self.text.as_bytes();
        let mut text = String::with_capacity(self.text.len());
        let mut args = Vec::with_capacity(self.args.len());
        let mut quote: Option<u8> = None;
        let mut copied = 0;
        let mut i = 0;
        while i < bytes.len() {
            let byte = bytes[i];
            match quote {
                Some(q) if byte == q => quote = None,
                Some(_) => {}
                None if byte == b'\'' || byte == b'"' => quote = Some(byte),
                None if byte == b'$' => {
                    let digits = bytes[i + 1..]
                        .iter()
                        .take_while(|b| b.is_ascii_digit())
                        .count();
                    let number: Option<usize> = self.text[i + 1..i + 1 + digits].parse().ok();
                    if let Some(arg) = number
                        .and_then(|n| n.checked_sub(1))
                        .and_then(|n| self.args.get(n))
                    {
                        text.push_str(&self.text[copied..i]);
                        text.push('?');
                        args.push(arg);
                        i += 1 + digits;
                        copied = i;
                        continue;
                    }
                }
                None => {}
            }
            i += 1;
        }
        text.push_str(&self.text[copied..]);
        Rendered {
            text: Cow::Owned(text),
            args,
        }
    }
}

/// Runs a builder's statement on either engine in `dialect`:
/// `run!(dialect, sql => query_as.fetch_all(&mut *tx))` renders `sql`, binds its values onto
/// `sqlx::query_as` and awaits `fetch_all`.
macro_rules! run {
    ($dialect:expr, $sql:expr => $query:ident . $method:ident ( $executor:expr )) => {{
        let rendered = $sql.render($dialect);
        $crate::store::sql::bind_all!(sqlx::$query(&rendered.text), &rendered.args)
            .$method($executor)
            .await
    }};
}
pub(crate) use run;

/// Runs a sequence of statements in order, as [`run!`] runs one, building each statement while
/// the engine runs the one before it: `run_each!(dialect, statements => query_as.fetch_all(&mut
/// *tx), |rows: Vec<(i64,)>| { ... })` takes the statements from an iterator that builds them
/// as it goes and hands each result to the block. The first poll of a query hands it to the
/// engine (SQLite's worker thread, or Postgres over the socket), so the next statement is
/// built on this thread while the engine works, instead of one waiting for the other: bulk
/// writes spend about as long building statements as the engine spends running them.
macro_rules! run_each {
    ($dialect:expr, $statements:expr => $query:ident . $method:ident ( $executor:expr ),
     |$result:ident : $ty:ty| $body:block) => {{
        use std::future::Future as _;
        let dialect: $crate::store::sql::Dialect = $dialect;
        let mut statements = $statements.into_iter();
        let mut current: Option<$crate::store::sql::Sql> = statements.next();
        while let Some(sql) = current.take() {
            let rendered = sql.render(dialect);
            let mut query = std::pin::pin!($crate::store::sql::bind_all!(
                sqlx::$query(&rendered.text),
                &rendered.args
            )
            .$method($executor));
            let started =
                std::future::poll_fn(|cx| std::task::Poll::Ready(query.as_mut().poll(cx))).await;
            current = statements.next();
            let $result: $ty = match started {
                std::task::Poll::Ready(result) => result,
                std::task::Poll::Pending => query.await,
            }?;
            $body
        }
    }};
}
pub(crate) use run_each;

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
    fn lists_rows_and_pairs_number_on_from_what_is_there() {
        let mut sql = Sql::new("x in ");
        sql.id_list(&[7, 8]).push(" and (a, b) in ");
        sql.text_pairs([("s", "k"), ("t", "l")]).push(" values ");
        sql.row(true, vec![Arg::I64(1)])
            .row(false, vec![Arg::I64(2), Arg::OptI64(None)]);
        sql.push(" in ").text_list(&["z".to_owned()]);
        assert_eq!(
            sql.text,
            "x in ($1, $2) and (a, b) in (($3, $4), ($5, $6)) values ($7), ($8, $9) in ($10)"
        );
        let text = |s: &str| Arg::Text(s.to_owned());
        assert_eq!(
            sql.args,
            vec![
                Arg::I64(7),
                Arg::I64(8),
                text("s"),
                text("k"),
                text("t"),
                text("l"),
                Arg::I64(1),
                Arg::I64(2),
                Arg::OptI64(None),
                text("z"),
            ]
        );
    }

    #[test]
    fn anonymous_placeholders_bind_in_text_order() {
        let mut sql = Sql::new("select ");
        let a = sql.arg(Arg::I64(1));
        let b = sql.arg(Arg::Text("x".into()));
        sql.push(&format!("{b}, '$1 stays', {a}, \"$2\", {b}, $9"));
        let numbered = sql.render(Dialect::POSTGRES);
        assert_eq!(numbered.text, sql.text);
        assert_eq!(numbered.args, vec![&Arg::I64(1), &Arg::Text("x".into())]);
        let anonymous = sql.render(Dialect::SQLITE);
        // Quoted text is left alone; an unknown number is left for the engine to reject.
        assert_eq!(anonymous.text, "select ?, '$1 stays', ?, \"$2\", ?, $9");
        let x = Arg::Text("x".into());
        assert_eq!(anonymous.args, vec![&x, &Arg::I64(1), &x]);
    }

    #[test]
    fn statements_carry_whole_rows_within_their_parameters() {
        assert_eq!(Dialect::SQLITE.rows_per_statement(20), 250);
        let small = Dialect {
            parameters: 100,
            ..Dialect::SQLITE
        };
        assert_eq!(small.rows_per_statement(20), 5);
        assert_eq!(small.rows_per_statement(500), 1);
        assert_eq!(small.rows_per_statement(0), 100);
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

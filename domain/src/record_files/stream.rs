//! The streaming half of [`read_records`](super::read_records): a file is a sequence of
//! top-level JSON values, each a wrapper object (`{"Records":[...]}`, `{"entries":[...]}`: its
//! array streamed element by element), an array of records (streamed the same way), a file to
//! skip (a CloudTrail digest) or one record object (an NDJSON line, a lone record).
//!
//! The input is read a block at a time into one buffer and scanned there by a validating JSON
//! scanner ([`Input::skip_value`]), so a record's bytes are found, checked and copied out once
//! as a slice: no parser is fed the input a byte per call. The buffer keeps only what is not
//! read yet and the record being read, so memory stays bounded by the largest record.

use super::{FileSummary, RecordFileError, RecordFormat};
use std::io::{self, BufRead};
use std::ops::ControlFlow;
use std::path::Path;

/// A record bigger than this is refused rather than kept in memory whole (CloudTrail caps its
/// events at 256 KB; other sources' records are of the same order), and a lone top-level
/// object bigger than this without a wrapper array is not a record.
const MAX_OBJECT_BYTES: usize = 8 * 1024 * 1024;

/// Keys longer than this are neither wrapper names nor record fields: not kept to compare.
const MAX_KEY_BYTES: usize = 4 * 1024;

/// How deep arrays and objects may nest within a record: the deepest serde_json parses, so
/// every record passed on can also be parsed by the normalizers.
const MAX_DEPTH: usize = 127;

/// Why a stream could not be read, before the file's path is attached.
pub(super) enum Failure {
    Io(io::Error),
    Json(String),
    WrongFormat(String),
}

impl Failure {
    pub(super) fn into_error(self, path: &Path, format: &RecordFormat) -> RecordFileError {
        let path = path.to_owned();
        match self {
            Failure::Io(source) => RecordFileError::Io { path, source },
            Failure::Json(message) => RecordFileError::Json { path, message },
            Failure::WrongFormat(reason) => RecordFileError::WrongFormat {
                path,
                file: format.file,
                reason,
            },
        }
    }
}

pub(super) fn read(
    input: Box<dyn BufRead>,
    gzipped: bool,
    format: &RecordFormat,
    on_record: &mut dyn FnMut(Vec<u8>) -> ControlFlow<()>,
) -> Result<FileSummary, Failure> {
    let mut reader = Reader {
        input: Input::new(input, gzipped),
        format,
        on_record,
        records: 0,
        stopped: false,
    };
    reader.input.skip_byte_order_mark()?;
    let mut values = 0u64;
    let mut skip = false;
    while let Some(first) = reader.input.skip_whitespace()? {
        match first {
            b'[' => reader.records_array()?,
            b'{' => match reader.top_object()? {
                TopObject::Wrapper => {}
                TopObject::Object { keys, .. } if keys.skip && !keys.record => skip = true,
                TopObject::Object { keys, .. } if values == 0 && !keys.record => {
                    return Err(Failure::WrongFormat(reader.neither_wrapper_nor_record()));
                }
                TopObject::Object { bytes: None, .. } => {
                    return Err(Failure::WrongFormat(format!(
                        "a JSON object of more than {} MiB without {} ends at {}",
                        MAX_OBJECT_BYTES / (1024 * 1024),
                        wrapper_names(format),
                        reader.position()
                    )));
                }
                TopObject::Object {
                    bytes: Some(record),
                    ..
                } => reader.deliver(record)?,
            },
            other if values == 0 => {
                return Err(Failure::WrongFormat(format!(
                    "it starts with {}, not a JSON object or array",
                    describe(other)
                )));
            }
            _ => {
                return Err(reader.invalid("expected an object or array"));
            }
        }
        if reader.stopped {
            break;
        }
        values += 1;
    }
    let skipped = match (reader.records, skip, values) {
        (0, true, _) => format.skip.map(|(_, reason)| reason.to_owned()),
        (0, false, 0) if !reader.stopped => Some("the file is empty".to_owned()),
        _ => None,
    };
    Ok(FileSummary {
        records: reader.records,
        skipped,
    })
}

/// "a `Records` array" or "a `value` or `records` array", for messages.
fn wrapper_names(format: &RecordFormat) -> String {
    let names: Vec<String> = format.wrappers.iter().map(|w| format!("`{w}`")).collect();
    match names.as_slice() {
        [] => "an array of records".to_owned(),
        [one] => format!("a {one} array"),
        more => format!("a {} array", more.join(" or ")),
    }
}

fn describe(byte: u8) -> String {
    if byte.is_ascii_graphic() {
        format!("`{}`", char::from(byte))
    } else {
        format!("byte 0x{byte:02x}")
    }
}

/// What a top-level object turned out to be.
enum TopObject {
    /// It held a wrapper array, whose records went to the sink.
    Wrapper,
    /// Any other object: what its keys say, and its bytes unless there were too many.
    Object { keys: Keys, bytes: Option<Vec<u8>> },
}

/// What the keys of a top-level object without a wrapper array say about it.
#[derive(Default)]
struct Keys {
    skip: bool,
    record: bool,
}

impl Keys {
    fn note(&mut self, key: &str, format: &RecordFormat) {
        if format
            .record_keys
            .iter()
            .any(|wanted| wanted.eq_ignore_ascii_case(key))
        {
            self.record = true;
        } else if format.skip.is_some_and(|(keys, _)| keys.contains(&key)) {
            self.skip = true;
        }
    }
}

/// The top two levels of a file's grammar (wrapper objects and arrays of records), with the
/// records handed to the caller.
struct Reader<'f> {
    input: Input,
    format: &'f RecordFormat,
    on_record: &'f mut dyn FnMut(Vec<u8>) -> ControlFlow<()>,
    records: u64,
    stopped: bool,
}

impl Reader<'_> {
    fn deliver(&mut self, record: Vec<u8>) -> Result<(), Failure> {
        if let Err(err) = std::str::from_utf8(&record) {
            // The record's bytes end where the input is now.
            let at = self.input.pos - record.len() + err.valid_up_to();
            return Err(self
                .input
                .invalid_at(at, "a record that is not UTF-8 text", self.records));
        }
        self.records += 1;
        if (self.on_record)(record).is_break() {
            self.stopped = true;
        }
        Ok(())
    }

    fn position(&self) -> String {
        self.input.position_at(self.input.pos, self.records)
    }

    fn invalid(&self, what: &str) -> Failure {
        self.input.invalid_at(self.input.pos, what, self.records)
    }

    fn truncated(&self) -> Failure {
        self.input.truncated(self.records)
    }

    /// The next byte after whitespace, without consuming it; the input must go on.
    fn next_token(&mut self) -> Result<u8, Failure> {
        match self.input.skip_whitespace()? {
            Some(byte) => Ok(byte),
            None => Err(self.truncated()),
        }
    }

    /// One value, validated and passed over, inside `outer` arrays and objects of the record
    /// it belongs to; a truncated input is an error.
    fn skip_value(&mut self, outer: usize) -> Result<(), Failure> {
        self.input
            .skip_value(outer)
            .map_err(|err| self.scan_failure(err))
    }

    fn scan_failure(&self, err: ScanError) -> Failure {
        match err {
            ScanError::Io(err) => Failure::Io(err),
            ScanError::Truncated => self.truncated(),
            ScanError::Invalid(what) => self.invalid(&what),
        }
    }

    fn neither_wrapper_nor_record(&self) -> String {
        format!(
            "a JSON object with neither {} nor the fields of {} ({}, ...)",
            wrapper_names(self.format),
            self.format.record,
            self.format
                .record_keys
                .iter()
                .take(3)
                .copied()
                .collect::<Vec<_>>()
                .join(", ")
        )
    }

    /// An array whose elements are records, the input at its `[`: each element goes to the
    /// sink as its own bytes.
    fn records_array(&mut self) -> Result<(), Failure> {
        self.input.pos += 1;
        if self.next_token()? == b']' {
            self.input.pos += 1;
            return Ok(());
        }
        loop {
            let start = self.input.keep_record();
            self.skip_value(0)?;
            let Some(record) = self.input.take_record(start) else {
                return Err(self.input.invalid_at(
                    self.input.pos,
                    &format!(
                        "a record of more than {} MiB ends here",
                        MAX_OBJECT_BYTES / (1024 * 1024)
                    ),
                    self.records,
                ));
            };
            self.deliver(record)?;
            if self.stopped {
                return Ok(());
            }
            match self.next_token()? {
                b',' => {
                    self.input.pos += 1;
                    self.next_token()?;
                }
                b']' => {
                    self.input.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.invalid("expected `,` or `]` after an array element")),
            }
        }
    }

    /// A top-level object, the input at its `{`. Its bytes are kept as they go by, until a
    /// wrapper key says it is not a record.
    fn top_object(&mut self) -> Result<TopObject, Failure> {
        let start = self.input.keep_record();
        self.input.pos += 1;
        let mut keys = Keys::default();
        let mut wrapped = false;
        if self.next_token()? == b'}' {
            self.input.pos += 1;
        } else {
            loop {
                if self.next_token()? != b'"' {
                    return Err(self.invalid("expected a key in double quotes"));
                }
                let key = self.key()?;
                if self.next_token()? != b':' {
                    return Err(self.invalid("expected `:` after an object key"));
                }
                self.input.pos += 1;
                let first = self.next_token()?;
                let wrapper = key
                    .as_deref()
                    .filter(|key| !wrapped && self.format.wrappers.contains(key));
                if let Some(wrapper) = wrapper {
                    // A wrapper, not a record: nothing of it needs to be kept.
                    self.input.forget_record();
                    if first != b'[' {
                        return Err(self.invalid(&format!(
                            "`{wrapper}` holds {}, not an array of {}",
                            value_kind(first),
                            self.format.records
                        )));
                    }
                    wrapped = true;
                    self.records_array()?;
                    if self.stopped {
                        return Ok(TopObject::Wrapper);
                    }
                } else {
                    if let Some(key) = &key {
                        keys.note(key, self.format);
                    }
                    self.skip_value(1)?;
                }
                match self.next_token()? {
                    b',' => self.input.pos += 1,
                    b'}' => {
                        self.input.pos += 1;
                        break;
                    }
                    _ => return Err(self.invalid("expected `,` or `}` after an object member")),
                }
            }
        }
        if wrapped {
            return Ok(TopObject::Wrapper);
        }
        let bytes = self.input.take_record(start);
        Ok(TopObject::Object { keys, bytes })
    }

    /// A key, the input at its opening quote: its text when it is short enough to be one the
    /// format names (`None` for longer keys).
    fn key(&mut self) -> Result<Option<String>, Failure> {
        let start = self.input.keep_key();
        self.skip_value(1)?;
        let Some(quoted) = self.input.take_key(start) else {
            return Ok(None);
        };
        let text = &quoted[1..quoted.len() - 1];
        if !text.contains(&b'\\') {
            return Ok(std::str::from_utf8(text).ok().map(str::to_owned));
        }
        // Escapes are rare in keys: serde_json decodes them (the scanner checked the syntax).
        Ok(serde_json::from_slice::<String>(quoted).ok())
    }
}

/// What a value starting with `byte` is, for messages.
fn value_kind(byte: u8) -> &'static str {
    match byte {
        b'{' => "an object",
        b'"' => "a string",
        b't' | b'f' => "a boolean",
        b'n' => "null",
        _ => "a number",
    }
}

/// Why [`Input::skip_value`] stopped.
enum ScanError {
    Io(io::Error),
    Truncated,
    Invalid(String),
}

/// Where [`Input::skip_value`] is within the JSON grammar.
#[derive(Clone, Copy)]
enum At {
    /// A value starts here.
    Value,
    /// Just after `[`: a value or `]`.
    ValueOrEnd,
    /// Just after `{`: a key or `}`.
    KeyOrEnd,
    /// After `,` in an object: a key.
    Key,
    Colon,
    /// After a value inside an array or object.
    CommaOrEnd,
    /// Inside a string (a key when `key`).
    Text {
        key: bool,
    },
    /// After a backslash in a string.
    Escape {
        key: bool,
    },
    /// Inside `\uXXXX`, with `left` hex digits to come.
    Hex {
        key: bool,
        left: u8,
    },
    Number(Num),
    /// Inside `true`, `false` or `null`: the bytes still to come.
    Literal(&'static [u8]),
}

/// What one byte does to the scan.
enum Step {
    /// Go on in this state with the next byte.
    Next(At),
    /// Go on in this state with the same byte (a number ended before it).
    Again(At),
    /// The value ended before this offset in the buffer.
    Done(usize),
    Fail(String),
}

/// The step after a value ending before `end`: back in the enclosing array or object, or done.
fn ended(stack: &[u8], end: usize) -> Step {
    if stack.is_empty() {
        Step::Done(end)
    } else {
        Step::Next(At::CommaOrEnd)
    }
}

/// Where a number is: `-? (0 | [1-9][0-9]*) (\.[0-9]+)? ([eE][+-]?[0-9]+)?`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Num {
    Minus,
    Zero,
    Int,
    Dot,
    Frac,
    Exp,
    ExpSign,
    ExpDigits,
}

impl Num {
    /// The state after `byte`; `None` when the number ended before it (`Some(Err)` when the
    /// byte cannot follow).
    fn step(self, byte: u8) -> Option<Result<Num, ()>> {
        let digit = byte.is_ascii_digit();
        Some(Ok(match (self, byte) {
            (Num::Minus, b'0') => Num::Zero,
            (Num::Minus, _) if digit => Num::Int,
            (Num::Zero | Num::Int, b'.') => Num::Dot,
            (Num::Zero | Num::Int | Num::Frac, b'e' | b'E') => Num::Exp,
            (Num::Int, _) if digit => Num::Int,
            (Num::Dot | Num::Frac, _) if digit => Num::Frac,
            (Num::Exp, b'+' | b'-') => Num::ExpSign,
            (Num::Exp | Num::ExpSign | Num::ExpDigits, _) if digit => Num::ExpDigits,
            (Num::Zero, _) if digit => return Some(Err(())),
            (Num::Zero | Num::Int | Num::Frac | Num::ExpDigits, _) => return None,
            _ => return Some(Err(())),
        }))
    }
}

/// Bytes that end the plain run of a string: the quote, a backslash, control characters.
const STRING_STOP: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = true;
        byte += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

fn is_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

/// The input: a buffer of bytes read from the file and not yet passed over, plus the record
/// (and key) being read, which are kept until taken.
struct Input {
    inner: Box<dyn BufRead>,
    buffer: Vec<u8>,
    /// The next byte to read, in `buffer`.
    pos: usize,
    /// The offset in the input of `buffer[0]`.
    base: u64,
    /// The line of `buffer[0]`, from 1.
    base_line: u64,
    /// The offset of the record being kept, while one is.
    record_from: Option<u64>,
    /// The record being kept grew past [`MAX_OBJECT_BYTES`] and was let go.
    record_overflowed: bool,
    key_from: Option<u64>,
    key_overflowed: bool,
    /// Open arrays (`[`) and objects (`{`) of the value being scanned.
    stack: Vec<u8>,
    gzipped: bool,
}

impl Input {
    fn new(inner: Box<dyn BufRead>, gzipped: bool) -> Input {
        Input {
            inner,
            buffer: Vec::with_capacity(2 * BLOCK_BYTES),
            pos: 0,
            base: 0,
            base_line: 1,
            record_from: None,
            record_overflowed: false,
            key_from: None,
            key_overflowed: false,
            stack: Vec::new(),
            gzipped,
        }
    }

    /// Reads more input into the buffer, first letting go of what is read and not kept.
    /// `false` at the end of the input.
    fn refill(&mut self) -> io::Result<bool> {
        let end = self.base + self.buffer.len() as u64;
        if let Some(from) = self.record_from {
            if end - from > MAX_OBJECT_BYTES as u64 {
                self.record_from = None;
                self.record_overflowed = true;
            }
        }
        if let Some(from) = self.key_from {
            if end - from > MAX_KEY_BYTES as u64 {
                self.key_from = None;
                self.key_overflowed = true;
            }
        }
        let kept = [self.record_from, self.key_from]
            .into_iter()
            .flatten()
            .min()
            .map_or(self.pos, |from| (from - self.base) as usize)
            .min(self.pos);
        if kept > 0 {
            self.base_line += count_lines(&self.buffer[..kept]);
            self.base += kept as u64;
            self.buffer.drain(..kept);
            self.pos -= kept;
        }
        let block = loop {
            match self.inner.fill_buf() {
                Ok(block) => break block,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            }
        };
        let count = block.len().min(BLOCK_BYTES);
        self.buffer.extend_from_slice(&block[..count]);
        self.inner.consume(count);
        Ok(count > 0)
    }

    /// The byte at `pos`, reading more when the buffer is used up; `None` at the end.
    fn peek(&mut self) -> io::Result<Option<u8>> {
        if self.pos == self.buffer.len() && !self.refill()? {
            return Ok(None);
        }
        Ok(Some(self.buffer[self.pos]))
    }

    fn skip_byte_order_mark(&mut self) -> Result<(), Failure> {
        while self.buffer.len() < 3 && self.refill().map_err(Failure::Io)? {}
        if self.buffer.starts_with(b"\xEF\xBB\xBF") {
            self.pos = 3;
        }
        Ok(())
    }

    /// Passes over whitespace and returns the next byte without consuming it; `None` at the
    /// end of the input.
    fn skip_whitespace(&mut self) -> Result<Option<u8>, Failure> {
        loop {
            match self.peek().map_err(Failure::Io)? {
                Some(byte) if is_whitespace(byte) => self.pos += 1,
                other => return Ok(other),
            }
        }
    }

    /// Keeps the bytes from `pos` on, for [`Input::take_record`]; returns where they start.
    fn keep_record(&mut self) -> u64 {
        let from = self.base + self.pos as u64;
        self.record_from = Some(from);
        self.record_overflowed = false;
        from
    }

    fn forget_record(&mut self) {
        self.record_from = None;
    }

    /// The bytes kept since `from` up to `pos`, unless there were too many.
    fn take_record(&mut self, from: u64) -> Option<Vec<u8>> {
        self.record_from = None;
        if self.record_overflowed {
            return None;
        }
        let start = (from - self.base) as usize;
        Some(self.buffer[start..self.pos].to_vec())
    }

    fn keep_key(&mut self) -> u64 {
        let from = self.base + self.pos as u64;
        self.key_from = Some(from);
        self.key_overflowed = false;
        from
    }

    fn take_key(&mut self, from: u64) -> Option<&[u8]> {
        self.key_from = None;
        if self.key_overflowed {
            return None;
        }
        let start = (from - self.base) as usize;
        Some(&self.buffer[start..self.pos])
    }

    /// Passes over one JSON value starting at `pos` (after any whitespace), inside `outer`
    /// arrays and objects, checking its syntax as it goes: every byte is looked at once, runs
    /// of plain string bytes in a tight loop. `pos` ends just after the value.
    fn skip_value(&mut self, outer: usize) -> Result<(), ScanError> {
        self.stack.clear();
        let mut at = At::Value;
        loop {
            if self.pos == self.buffer.len() && !self.refill().map_err(ScanError::Io)? {
                return Err(ScanError::Truncated);
            }
            let buffer = &self.buffer;
            let mut i = self.pos;
            let end = buffer.len();
            while i < end {
                if let At::Text { .. } = at {
                    // The plain bytes of a string in one tight loop.
                    i += buffer[i..]
                        .iter()
                        .position(|&b| STRING_STOP[usize::from(b)])
                        .unwrap_or(end - i);
                    if i == end {
                        break;
                    }
                }
                let byte = buffer[i];
                let step = match at {
                    At::Text { key } => match byte {
                        b'"' if key => Step::Next(At::Colon),
                        b'"' => ended(&self.stack, i + 1),
                        b'\\' => Step::Next(At::Escape { key }),
                        control => {
                            Step::Fail(format!("a control character (0x{control:02x}) in a string"))
                        }
                    },
                    At::Escape { key } => match byte {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {
                            Step::Next(At::Text { key })
                        }
                        b'u' => Step::Next(At::Hex { key, left: 4 }),
                        _ => Step::Fail(format!(
                            "invalid escape `\\{}` in a string",
                            char::from(byte).escape_default()
                        )),
                    },
                    At::Hex { key, left } if byte.is_ascii_hexdigit() => match left {
                        1 => Step::Next(At::Text { key }),
                        _ => Step::Next(At::Hex {
                            key,
                            left: left - 1,
                        }),
                    },
                    At::Hex { .. } => {
                        Step::Fail("invalid `\\u` escape: expected four hex digits".to_owned())
                    }
                    At::Value
                    | At::ValueOrEnd
                    | At::KeyOrEnd
                    | At::Key
                    | At::Colon
                    | At::CommaOrEnd
                        if is_whitespace(byte) =>
                    {
                        Step::Next(at)
                    }
                    At::Value | At::ValueOrEnd => match byte {
                        b'{' | b'[' if outer + self.stack.len() == MAX_DEPTH => Step::Fail(
                            format!("arrays and objects nested more than {MAX_DEPTH} deep"),
                        ),
                        b'{' => {
                            self.stack.push(byte);
                            Step::Next(At::KeyOrEnd)
                        }
                        b'[' => {
                            self.stack.push(byte);
                            Step::Next(At::ValueOrEnd)
                        }
                        b'"' => Step::Next(At::Text { key: false }),
                        b'-' => Step::Next(At::Number(Num::Minus)),
                        b'0' => Step::Next(At::Number(Num::Zero)),
                        b'1'..=b'9' => Step::Next(At::Number(Num::Int)),
                        b't' => Step::Next(At::Literal(b"rue")),
                        b'f' => Step::Next(At::Literal(b"alse")),
                        b'n' => Step::Next(At::Literal(b"ull")),
                        b']' if matches!(at, At::ValueOrEnd) => {
                            self.stack.pop();
                            ended(&self.stack, i + 1)
                        }
                        _ => Step::Fail(format!("expected a value, found {}", describe(byte))),
                    },
                    At::KeyOrEnd | At::Key => match byte {
                        b'"' => Step::Next(At::Text { key: true }),
                        b'}' if matches!(at, At::KeyOrEnd) => {
                            self.stack.pop();
                            ended(&self.stack, i + 1)
                        }
                        _ => Step::Fail(format!(
                            "expected a key in double quotes, found {}",
                            describe(byte)
                        )),
                    },
                    At::Colon => match byte {
                        b':' => Step::Next(At::Value),
                        _ => Step::Fail(format!(
                            "expected `:` after an object key, found {}",
                            describe(byte)
                        )),
                    },
                    At::CommaOrEnd => {
                        let open = self.stack.last().copied().unwrap_or(b'[');
                        match (open, byte) {
                            (b'[', b',') => Step::Next(At::Value),
                            (_, b',') => Step::Next(At::Key),
                            (b'[', b']') | (b'{', b'}') => {
                                self.stack.pop();
                                ended(&self.stack, i + 1)
                            }
                            _ => {
                                let close = if open == b'[' { ']' } else { '}' };
                                Step::Fail(format!(
                                    "expected `,` or `{close}`, found {}",
                                    describe(byte)
                                ))
                            }
                        }
                    }
                    At::Number(num) => match num.step(byte) {
                        Some(Ok(next)) => Step::Next(At::Number(next)),
                        Some(Err(())) => Step::Fail(format!(
                            "invalid number: {} cannot come here",
                            describe(byte)
                        )),
                        // The number ended before this byte, which is looked at again.
                        None => match ended(&self.stack, i) {
                            Step::Next(next) => Step::Again(next),
                            done => done,
                        },
                    },
                    At::Literal(rest) => match rest.split_first() {
                        Some((&expected, [])) if byte == expected => ended(&self.stack, i + 1),
                        Some((&expected, rest)) if byte == expected => {
                            Step::Next(At::Literal(rest))
                        }
                        _ => Step::Fail(format!(
                            "expected `true`, `false` or `null`, found {}",
                            describe(byte)
                        )),
                    },
                };
                match step {
                    Step::Next(next) => {
                        at = next;
                        i += 1;
                    }
                    Step::Again(next) => at = next,
                    Step::Done(after) => {
                        self.pos = after;
                        return Ok(());
                    }
                    Step::Fail(what) => {
                        self.pos = i;
                        return Err(ScanError::Invalid(what));
                    }
                }
            }
            self.pos = i;
        }
    }

    /// "line L, byte B" of the byte at `at` in the buffer, for messages.
    fn position_at(&self, at: usize, records: u64) -> String {
        let line = self.base_line + count_lines(&self.buffer[..at]);
        let of = if self.gzipped {
            " of the decompressed data"
        } else {
            ""
        };
        format!(
            "line {line}, byte {}{of}, after {records} records",
            self.base + at as u64
        )
    }

    fn invalid_at(&self, at: usize, what: &str, records: u64) -> Failure {
        Failure::Json(format!(
            "invalid JSON: {what} at {}",
            self.position_at(at, records)
        ))
    }

    fn truncated(&self, records: u64) -> Failure {
        Failure::Json(format!(
            "the JSON ends in the middle of a value (truncated file?) at {}",
            self.position_at(self.buffer.len(), records)
        ))
    }
}

/// Bytes taken from the underlying reader at a time.
const BLOCK_BYTES: usize = 64 * 1024;

fn count_lines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

//! The streaming half of [`read_records`](super::read_records): a file is a sequence of
//! top-level JSON values, each a wrapper object (`{"Records":[...]}`, `{"entries":[...]}`: its
//! array streamed element by element), an array of records (streamed the same way), a file to
//! skip (a CloudTrail digest) or one record object (an NDJSON line, a lone record).
//!
//! The input is read a block at a time into one buffer and scanned there by a validating JSON
//! scanner ([`Input::skip_value`]), so a record's bytes are found, checked and copied out once
//! as a slice: no parser is fed the input a byte per call. The buffer keeps only what is not
//! read yet and the record being read, so memory stays bounded by the largest record.

use super::scan::{describe, Input, ScanError, MAX_OBJECT_BYTES};
use super::{FileSummary, RecordFileError, RecordFormat};
use std::io::{self, BufRead};
use std::ops::ControlFlow;
use std::path::Path;

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

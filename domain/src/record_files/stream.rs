//! The streaming half of [`read_records`](super::read_records): a file is a sequence of
//! top-level JSON values, each a wrapper object (`{"Records":[...]}`, `{"entries":[...]}`: its
//! array streamed element by element), an array of records (streamed the same way), a file to
//! skip (a CloudTrail digest) or one record object (an NDJSON line, a lone record). serde_json
//! reads the input byte by byte and never past the end of a value, so the bytes of a top-level
//! record are captured as they go by.

use super::{FileSummary, RecordFileError, RecordFormat};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::cell::Cell;
use std::fmt;
use std::io::{self, BufRead, Read};
use std::ops::ControlFlow;
use std::path::Path;
use std::rc::Rc;

/// A top-level object bigger than this is not a record (CloudTrail caps events far below it),
/// so it is not kept in memory whole.
const MAX_OBJECT_BYTES: usize = 8 * 1024 * 1024;

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
    let recording = Rc::new(Cell::new(false));
    let mut input = Tracked::new(input, Rc::clone(&recording), gzipped);
    let mut sink = Sink {
        on_record,
        records: 0,
        stopped: false,
    };
    let mut values = 0u64;
    let mut skip = false;
    while let Some(first) = input.skip_whitespace().map_err(Failure::Io)? {
        if first != b'{' && first != b'[' {
            return Err(if values == 0 {
                Failure::WrongFormat(format!(
                    "it starts with {}, not a JSON object or array",
                    describe(first)
                ))
            } else {
                Failure::Json(format!(
                    "invalid JSON: expected an object or array at {}",
                    input.position(sink.records)
                ))
            });
        }
        input.start_value(first == b'{');
        let parsed = {
            let mut deserializer = serde_json::Deserializer::from_reader(&mut input);
            TopLevel {
                sink: &mut sink,
                recording: &recording,
                format,
            }
            .deserialize(&mut deserializer)
        };
        let captured = input.finish_value();
        // Stopping early leaves the value unfinished, which serde_json reports as an error.
        if sink.stopped {
            break;
        }
        match parsed.map_err(|err| json_failure(err, &input, sink.records))? {
            Parsed::Records | Parsed::Array => {}
            Parsed::Object(keys) if keys.skip && !keys.record => skip = true,
            Parsed::Object(keys) => {
                if values == 0 && !keys.record {
                    return Err(Failure::WrongFormat(format!(
                        "a JSON object with neither {} nor the fields of {} ({}, ...)",
                        wrapper_names(format),
                        format.record,
                        format
                            .record_keys
                            .iter()
                            .take(3)
                            .copied()
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
                let Some(record) = captured else {
                    return Err(Failure::WrongFormat(format!(
                        "a JSON object of more than {} MiB without {} ends at {}",
                        MAX_OBJECT_BYTES / (1024 * 1024),
                        wrapper_names(format),
                        input.position(sink.records)
                    )));
                };
                sink.deliver(record);
                if sink.stopped {
                    break;
                }
            }
        }
        values += 1;
    }
    let skipped = match (sink.records, skip, values) {
        (0, true, _) => format.skip.map(|(_, reason)| reason.to_owned()),
        (0, false, 0) if !sink.stopped => Some("the file is empty".to_owned()),
        _ => None,
    };
    Ok(FileSummary {
        records: sink.records,
        skipped,
    })
}

fn json_failure(err: serde_json::Error, input: &Tracked, records: u64) -> Failure {
    if err.is_io() {
        return Failure::Io(io::Error::from(err));
    }
    // serde_json counts lines and columns from the start of the value; ours are absolute.
    let message = err.to_string();
    let own_position = format!(" at line {} column {}", err.line(), err.column());
    let detail = message.strip_suffix(&own_position).unwrap_or(&message);
    let what = if err.is_eof() {
        "the JSON ends in the middle of a value (truncated file?)".to_owned()
    } else if err.is_syntax() {
        format!("invalid JSON: {detail}")
    } else {
        format!("unexpected JSON: {detail}")
    };
    Failure::Json(format!("{what} at {}", input.position(records)))
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

/// Hands records to the caller and remembers whether it asked to stop.
struct Sink<'f> {
    on_record: &'f mut dyn FnMut(Vec<u8>) -> ControlFlow<()>,
    records: u64,
    stopped: bool,
}

impl Sink<'_> {
    fn deliver(&mut self, record: Vec<u8>) {
        self.records += 1;
        if (self.on_record)(record).is_break() {
            self.stopped = true;
        }
    }
}

/// The input, counting bytes and lines for error messages and, while `recording` is set,
/// keeping a copy of what passes (the bytes of a top-level record object).
///
/// serde_json reads an `io::Read` one byte per call, so this reader keeps its own block of
/// input and answers those calls from it: one bounds check, one newline test and one
/// recording test per byte, with the underlying reader (a file or a gzip stream) read a block
/// at a time.
struct Tracked {
    inner: Box<dyn BufRead>,
    block: Box<[u8]>,
    start: usize,
    end: usize,
    gzipped: bool,
    offset: u64,
    line: u64,
    recording: Rc<Cell<bool>>,
    recorded: Vec<u8>,
    overflowed: bool,
}

/// Bytes read from the underlying reader at a time.
const BLOCK_BYTES: usize = 64 * 1024;

impl Tracked {
    fn new(inner: Box<dyn BufRead>, recording: Rc<Cell<bool>>, gzipped: bool) -> Tracked {
        Tracked {
            inner,
            block: vec![0; BLOCK_BYTES].into_boxed_slice(),
            start: 0,
            end: 0,
            gzipped,
            offset: 0,
            line: 1,
            recording,
            recorded: Vec::new(),
            overflowed: false,
        }
    }

    /// The unread part of the block, refilled when empty; empty at the end of the input.
    fn available(&mut self) -> io::Result<&[u8]> {
        if self.start == self.end {
            self.start = 0;
            self.end = loop {
                match self.inner.read(&mut self.block) {
                    Ok(count) => break count,
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                    Err(err) => {
                        self.end = 0;
                        return Err(err);
                    }
                }
            };
        }
        Ok(&self.block[self.start..self.end])
    }

    /// Marks `count` available bytes as read: counted, and recorded while recording.
    fn consume(&mut self, count: usize) {
        let (start, end) = (self.start, self.start + count);
        self.offset += count as u64;
        self.line += self.block[start..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        if self.recording.get() {
            self.record(start, end);
        }
        self.start = end;
    }

    fn record(&mut self, start: usize, end: usize) {
        if self.recorded.len() + (end - start) > MAX_OBJECT_BYTES {
            self.overflowed = true;
            self.recording.set(false);
            self.recorded = Vec::new();
        } else {
            self.recorded.extend_from_slice(&self.block[start..end]);
        }
    }

    /// Consumes whitespace between values (and a byte order mark at the start) and returns the
    /// next byte without consuming it; `None` at the end of the input.
    fn skip_whitespace(&mut self) -> io::Result<Option<u8>> {
        loop {
            let at_start = self.offset == 0;
            let buffer = self.available()?;
            let Some(&first) = buffer.first() else {
                return Ok(None);
            };
            let skip = if at_start && buffer.starts_with(b"\xEF\xBB\xBF") {
                3
            } else {
                buffer
                    .iter()
                    .take_while(|&&b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
                    .count()
            };
            if skip == 0 {
                return Ok(Some(first));
            }
            self.consume(skip);
        }
    }

    fn start_value(&mut self, record: bool) {
        self.recorded.clear();
        self.overflowed = false;
        self.recording.set(record);
    }

    /// The bytes recorded since [`Tracked::start_value`], unless there were too many.
    fn finish_value(&mut self) -> Option<Vec<u8>> {
        self.recording.set(false);
        let recorded = std::mem::take(&mut self.recorded);
        (!self.overflowed).then_some(recorded)
    }

    fn position(&self, records: u64) -> String {
        let of = if self.gzipped {
            " of the decompressed data"
        } else {
            ""
        };
        format!(
            "line {}, byte {}{of}, after {records} records",
            self.line, self.offset
        )
    }
}

impl Read for Tracked {
    #[inline]
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        if self.start == self.end && self.available()?.is_empty() {
            return Ok(0);
        }
        // serde_json asks for one byte at a time: that case without a copy loop.
        if let [only] = buffer {
            let at = self.start;
            let byte = self.block[at];
            *only = byte;
            self.start += 1;
            self.offset += 1;
            self.line += u64::from(byte == b'\n');
            if self.recording.get() {
                self.record(at, at + 1);
            }
            return Ok(1);
        }
        let count = buffer.len().min(self.end - self.start);
        buffer[..count].copy_from_slice(&self.block[self.start..self.start + count]);
        self.consume(count);
        Ok(count)
    }
}

/// What one top-level value turned out to be.
enum Parsed {
    Records,
    Array,
    Object(Keys),
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

struct TopLevel<'s, 'f> {
    sink: &'s mut Sink<'f>,
    recording: &'s Cell<bool>,
    format: &'s RecordFormat,
}

impl<'de> DeserializeSeed<'de> for TopLevel<'_, '_> {
    type Value = Parsed;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Parsed, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopLevel<'_, '_> {
    type Value = Parsed;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a JSON object or an array of {}", self.format.records)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Parsed, A::Error> {
        self.recording.set(false);
        stream_records(seq, self.sink)?;
        Ok(Parsed::Array)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Parsed, A::Error> {
        let TopLevel {
            sink,
            recording,
            format,
        } = self;
        let mut keys = Keys::default();
        let mut has_records = false;
        while let Some(key) = map.next_key::<String>()? {
            if !has_records && format.wrappers.contains(&key.as_str()) {
                // A wrapper, not a record: nothing of it needs to be kept.
                recording.set(false);
                map.next_value_seed(RecordsSeed {
                    sink: &mut *sink,
                    format,
                })?;
                has_records = true;
                if sink.stopped {
                    break;
                }
            } else {
                keys.note(&key, format);
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(if has_records {
            Parsed::Records
        } else {
            Parsed::Object(keys)
        })
    }
}

/// The value of a wrapper key: an array whose elements go to the sink one by one.
struct RecordsSeed<'s, 'f> {
    sink: &'s mut Sink<'f>,
    format: &'s RecordFormat,
}

impl<'de> DeserializeSeed<'de> for RecordsSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RecordsSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an array of {}", self.format.records)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        stream_records(seq, self.sink)
    }
}

fn stream_records<'de, A: SeqAccess<'de>>(mut seq: A, sink: &mut Sink<'_>) -> Result<(), A::Error> {
    while !sink.stopped {
        let Some(raw) = seq.next_element::<Box<RawValue>>()? else {
            break;
        };
        // A RawValue owns exactly the element's text: turning it into bytes copies nothing.
        sink.deliver(Box::<str>::from(raw).into_string().into_bytes());
    }
    Ok(())
}

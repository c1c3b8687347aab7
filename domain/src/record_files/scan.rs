//! The record scanner under [`stream`](super::stream): a block of input in one buffer,
//! validating JSON scanning of one value at a time ([`Input::skip_value`]), and what is kept of
//! the input (the record being read, a key) while the rest is let go.

use super::stream::Failure;
use std::io::{self, BufRead};

/// A record bigger than this is refused rather than kept in memory whole (CloudTrail caps its
/// events at 256 KB; other sources' records are of the same order), and a lone top-level
/// object bigger than this without a wrapper array is not a record.
pub(super) const MAX_OBJECT_BYTES: usize = 8 * 1024 * 1024;

/// Keys longer than this are neither wrapper names nor record fields: not kept to compare.
const MAX_KEY_BYTES: usize = 4 * 1024;

/// How deep arrays and objects may nest within a record: the deepest serde_json parses, so
/// every record passed on can also be parsed by the normalizers.
const MAX_DEPTH: usize = 127;

/// `` `x` `` for a printable byte, `byte 0x..` for others, for messages.
pub(super) fn describe(byte: u8) -> String {
    if byte.is_ascii_graphic() {
        format!("`{}`", char::from(byte))
    } else {
        format!("byte 0x{byte:02x}")
    }
}

/// Why [`Input::skip_value`] stopped.
pub(super) enum ScanError {
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
pub(super) struct Input {
    inner: Box<dyn BufRead>,
    buffer: Vec<u8>,
    /// The next byte to read, in `buffer`.
    pub(super) pos: usize,
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
    pub(super) fn new(inner: Box<dyn BufRead>, gzipped: bool) -> Input {
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
    pub(super) fn refill(&mut self) -> io::Result<bool> {
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
    pub(super) fn peek(&mut self) -> io::Result<Option<u8>> {
        if self.pos == self.buffer.len() && !self.refill()? {
            return Ok(None);
        }
        Ok(Some(self.buffer[self.pos]))
    }

    pub(super) fn skip_byte_order_mark(&mut self) -> Result<(), Failure> {
        while self.buffer.len() < 3 && self.refill().map_err(Failure::Io)? {}
        if self.buffer.starts_with(b"\xEF\xBB\xBF") {
            self.pos = 3;
        }
        Ok(())
    }

    /// Passes over whitespace and returns the next byte without consuming it; `None` at the
    /// end of the input.
    pub(super) fn skip_whitespace(&mut self) -> Result<Option<u8>, Failure> {
        loop {
            match self.peek().map_err(Failure::Io)? {
                Some(byte) if is_whitespace(byte) => self.pos += 1,
                other => return Ok(other),
            }
        }
    }

    /// Keeps the bytes from `pos` on, for [`Input::take_record`]; returns where they start.
    pub(super) fn keep_record(&mut self) -> u64 {
        let from = self.base + self.pos as u64;
        self.record_from = Some(from);
        self.record_overflowed = false;
        from
    }

    pub(super) fn forget_record(&mut self) {
        self.record_from = None;
    }

    /// The bytes kept since `from` up to `pos`, unless there were too many.
    pub(super) fn take_record(&mut self, from: u64) -> Option<Vec<u8>> {
        self.record_from = None;
        if self.record_overflowed {
            return None;
        }
        let start = (from - self.base) as usize;
        Some(self.buffer[start..self.pos].to_vec())
    }

    pub(super) fn keep_key(&mut self) -> u64 {
        let from = self.base + self.pos as u64;
        self.key_from = Some(from);
        self.key_overflowed = false;
        from
    }

    pub(super) fn take_key(&mut self, from: u64) -> Option<&[u8]> {
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
    pub(super) fn skip_value(&mut self, outer: usize) -> Result<(), ScanError> {
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
    pub(super) fn position_at(&self, at: usize, records: u64) -> String {
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

    pub(super) fn invalid_at(&self, at: usize, what: &str, records: u64) -> Failure {
        Failure::Json(format!(
            "invalid JSON: {what} at {}",
            self.position_at(at, records)
        ))
    }

    pub(super) fn truncated(&self, records: u64) -> Failure {
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

//! Exams in the flat layout as JSON text: an array of objects, or a sequence of objects (one per
//! line, as in JSON Lines), read incrementally from a buffer that the caller refills, so that a
//! file of any size is read in constant memory.
//!
//! ```
//! use isncsci::flat::json::{Next, Reader};
//!
//! let text = br#"[{"id": 7, "analContraction": "Maybe"}]"#;
//! let mut reader = Reader::new();
//! let Next::Record(record, used) = reader.next(text, true).unwrap() else { panic!() };
//! assert_eq!(record.id.unwrap().to_string(), "7");
//! let error = record.exam.unwrap_err().to_string();
//! assert!(error.contains("analContraction") && error.contains("Yes, No, NT"), "{error}");
//! assert!(matches!(reader.next(&text[used..], true), Ok(Next::End)));
//! ```

use std::borrow::Cow;
use std::fmt;

mod cursor;
mod keyed;
mod keys;
mod template;

use super::{ExamBuilder, Field, FieldError, Key, Problem, FIELD_COUNT};
use crate::exam::Exam;
use cursor::{find_string_end, Cursor, Fail, Parse};
use keys::*;
use template::*;

/// An exam's `id`, kept as given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Id {
    /// A JSON number, as written.
    Number(String),
    /// A JSON string, decoded.
    Text(String),
}

impl Id {
    /// The id as a JSON value (a number as written, a string quoted and escaped).
    pub fn to_json(&self) -> String {
        match self {
            Id::Number(n) => n.clone(),
            Id::Text(t) => quote(t),
        }
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Id::Number(s) | Id::Text(s) => f.write_str(s),
        }
    }
}

/// Quotes and escapes a string as JSON.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One exam read from the input: its id when it had one, and the exam or what is wrong with it.
#[derive(Clone, Debug)]
pub struct Record {
    /// The `id` annotation.
    pub id: Option<Id>,
    /// The exam, or its first bad field.
    pub exam: Result<Exam, FieldError>,
}

/// Text that is not JSON of the expected shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// Byte offset in the input given to [`Reader::next`].
    pub offset: usize,
    /// What was expected there.
    pub expected: &'static str,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expected {}", self.expected)
    }
}

impl std::error::Error for SyntaxError {}

/// What [`Reader::next`] found.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // an exam is moved once; boxing it would allocate per exam
pub enum Next {
    /// An exam, and the number of bytes of input it used.
    Record(Record, usize),
    /// The end of the exams.
    End,
    /// The input ends inside the next element: give more, starting at the byte offset given.
    NeedMore(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Start,
    ArrayFirst,
    ArrayNext,
    Sequence,
    Done,
}

/// Where the input given to a reader starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// At the start of a text: an array of objects or a sequence of objects.
    Text,
    /// At an element inside an array: after its `[` or after a comma.
    InsideArray,
    /// At an object of a sequence of objects (JSON lines).
    InsideSequence,
}

/// Reads exams one at a time from a buffer that the caller refills.
#[derive(Debug)]
pub struct Reader {
    state: State,
    builder: ExamBuilder,
    keys: KeyGuess,
    /// The layout of the last object read in full, tried first on the next one.
    template: Option<Template>,
    /// Templates that failed in a row: objects that differ from one to the next.
    template_misses: u32,
    /// Objects still to read without trying or learning a template, after [`TEMPLATE_MISSES`]
    /// misses in a row (then templates are tried again, in case the layout settled).
    template_pause: u32,
    /// The positions of the members of the object being learnt, kept between objects.
    seen: Vec<Seen>,
}

/// Misses in a row after which templates pause, and for how many objects.
const TEMPLATE_MISSES: u32 = 4;
const TEMPLATE_PAUSE: u32 = 1024;

impl Default for Reader {
    fn default() -> Self {
        Reader::new()
    }
}

/// A field value as text: strings as they are, numbers as written, `null` as absent.
enum Scalar<'a> {
    Text(Cow<'a, [u8]>),
    Null,
    Other(&'static str),
}

impl Reader {
    /// A reader at the start of the input.
    pub fn new() -> Reader {
        Reader {
            state: State::Start,
            builder: ExamBuilder::new(),
            keys: KeyGuess::new(),
            template: None,
            template_misses: 0,
            template_pause: 0,
            seen: Vec::with_capacity(FIELD_COUNT),
        }
    }

    /// A reader for input that starts at an element inside an array (after its `[` or a
    /// comma), for reading a later part of a text in parallel.
    pub fn inside_array() -> Reader {
        let mut reader = Reader::new();
        reader.restart(Start::InsideArray);
        reader
    }

    /// A reader for input that starts at an object of a sequence of objects (JSON lines).
    pub fn inside_sequence() -> Reader {
        let mut reader = Reader::new();
        reader.restart(Start::InsideSequence);
        reader
    }

    /// Goes on with other input, which starts at `at`, keeping what was learned of the layout
    /// of the objects read so far (so that a thread reading one part of a text after another
    /// learns it once). The exams read are the same as with a new reader.
    pub fn restart(&mut self, at: Start) {
        self.state = match at {
            Start::Text => State::Start,
            Start::InsideArray => State::ArrayFirst,
            Start::InsideSequence => State::Sequence,
        };
    }

    /// Reads the next exam from `input`, which continues where the last call's used bytes
    /// ended. `at_eof` tells that no more input will follow.
    pub fn next(&mut self, input: &[u8], at_eof: bool) -> Result<Next, SyntaxError> {
        let mut c = Cursor {
            bytes: input,
            pos: 0,
        };
        loop {
            c.skip_ws();
            let framed = c.pos;
            if c.pos == input.len() {
                if !at_eof {
                    return Ok(Next::NeedMore(framed));
                }
                return match self.state {
                    State::Start | State::Sequence | State::Done => Ok(Next::End),
                    _ => Err(SyntaxError {
                        offset: c.pos,
                        expected: "']' to close the array",
                    }),
                };
            }
            let byte = input[c.pos];
            let before = self.state;
            match (self.state, byte) {
                (State::Start, b'[') => {
                    c.pos += 1;
                    self.state = State::ArrayFirst;
                    continue;
                }
                (State::Start | State::Sequence, b'{') => self.state = State::Sequence,
                (State::ArrayFirst, b'{') => self.state = State::ArrayNext,
                (State::ArrayFirst | State::ArrayNext, b']') => {
                    c.pos += 1;
                    self.state = State::Done;
                    continue;
                }
                (State::ArrayNext, b',') => {
                    c.pos += 1;
                    c.skip_ws();
                    match c.peek() {
                        Ok(b'{') => {}
                        Ok(_) => {
                            return Err(SyntaxError {
                                offset: c.pos,
                                expected: "an exam object",
                            })
                        }
                        Err(_) if at_eof => {
                            return Err(SyntaxError {
                                offset: c.pos,
                                expected: "an exam object",
                            })
                        }
                        Err(_) => return Ok(Next::NeedMore(framed)),
                    }
                }
                (State::Start, _) => {
                    return Err(SyntaxError {
                        offset: c.pos,
                        expected: "'[' or '{' to start the exams",
                    })
                }
                (State::ArrayFirst, _) => {
                    return Err(SyntaxError {
                        offset: c.pos,
                        expected: "an exam object or ']'",
                    })
                }
                (State::ArrayNext, _) => {
                    return Err(SyntaxError {
                        offset: c.pos,
                        expected: "',' or ']'",
                    })
                }
                (State::Sequence, _) => {
                    return Err(SyntaxError {
                        offset: c.pos,
                        expected: "an exam object",
                    })
                }
                (State::Done, _) => {
                    return Err(SyntaxError {
                        offset: c.pos,
                        expected: "nothing after the closing ']'",
                    })
                }
            }
            return match self.object(&mut c) {
                Ok(record) => Ok(Next::Record(record, c.pos)),
                Err(Fail::Incomplete) if at_eof => Err(SyntaxError {
                    offset: input.len(),
                    expected: "the rest of the exam object",
                }),
                Err(Fail::Incomplete) => {
                    // Start again at this element (and its comma) when more input has come.
                    self.state = before;
                    Ok(Next::NeedMore(framed))
                }
                Err(Fail::Syntax(offset, expected)) => Err(SyntaxError { offset, expected }),
            };
        }
    }

    fn object(&mut self, c: &mut Cursor<'_>) -> Parse<Record> {
        c.skip_ws();
        c.expect(b'{', "'{'")?;
        let members = c.pos;
        self.builder.clear();
        if self.template_pause > 0 {
            // Objects that differ from one to the next: the keyed path, then the general one.
            if let Some((end, record)) = keyed::read_object(&mut self.builder, c.bytes, c.pos) {
                c.pos = end;
                self.template_pause -= 1;
                return Ok(record);
            }
            self.builder.clear();
        }
        let mut id = None;
        let mut error: Option<FieldError> = None;
        let mut slot = START_SLOT;
        // Learning the layout: where the members after the template's start began, and where
        // their values were; `None` once the object cannot serve as a template.
        let mut learning: Option<(usize, Vec<Seen>)> = None;
        let mut learnable = true;
        c.skip_ws();
        if c.peek()? == b'}' {
            c.pos += 1;
        } else {
            loop {
                c.skip_ws();
                if learnable && learning.is_none() && (slot == START_SLOT || slot == ID_SLOT) {
                    if self.template_pause > 0 {
                        // Objects that differ from one to the next: no template to try or learn.
                        learnable = false;
                    } else if self.template.is_some()
                        && (slot == ID_SLOT || !c.bytes[c.pos..].starts_with(b"\"id\""))
                    {
                        // A template follows the `{` or an `id` first (with or without it).
                        if let Some(end) = self.templated(c.bytes, c.pos) {
                            self.template_misses = 0;
                            c.pos = end;
                            let exam = self.builder.finish();
                            return Ok(Record { id, exam });
                        }
                        if self.missed() {
                            learnable = false;
                        }
                        // Another layout (optional members left out, numbers for strings):
                        // the keyed path, before the general one.
                        if let Some((end, record)) =
                            keyed::read_object(&mut self.builder, c.bytes, members)
                        {
                            c.pos = end;
                            self.template_pause = self.template_pause.saturating_sub(1);
                            return Ok(record);
                        }
                        self.builder.clear();
                    }
                    if learnable {
                        let mut seen = std::mem::take(&mut self.seen);
                        seen.clear();
                        learning = Some((c.pos, seen));
                    }
                }
                if let Some((field, open, next)) = self.fast_member(c.bytes, c.pos, &mut slot) {
                    if let Some((_, seen)) = &mut learning {
                        seen.push(Seen {
                            open,
                            close: next - 1,
                            field,
                        });
                    }
                    c.pos = next;
                    c.skip_ws();
                    match c.peek()? {
                        b',' => {
                            c.pos += 1;
                            continue;
                        }
                        b'}' => {
                            c.pos += 1;
                            break;
                        }
                        _ => return c.fail("',' or '}'"),
                    }
                }
                let key_start = c.pos;
                let key = c.raw_string()?;
                c.skip_ws();
                c.expect(b':', "':'")?;
                c.skip_ws();
                let parsed = self.keys.key(slot, &key);
                if let (Some(Key::Field(field)), Some(b'"')) = (parsed, c.bytes.get(c.pos)) {
                    self.keys
                        .remember_member(slot, &c.bytes[key_start..=c.pos], field);
                }
                slot = KeyGuess::slot(parsed);
                match parsed {
                    Some(Key::Field(field)) => {
                        let open = c.pos;
                        let value = Self::scalar(c)?;
                        match (&mut learning, &value) {
                            (Some((_, seen)), Scalar::Text(_)) if c.bytes[open] == b'"' => seen
                                .push(Seen {
                                    open,
                                    close: c.pos - 1,
                                    field,
                                }),
                            _ => learnable = false,
                        }
                        if let Err(e) = self.set(field, value) {
                            error.get_or_insert(e);
                        }
                    }
                    Some(Key::Id) if learning.is_some() => {
                        // An id first: the template starts after it. An id after fields: not
                        // a layout to learn.
                        if learning.as_ref().is_some_and(|l| l.1.is_empty()) {
                            learning = None;
                        } else {
                            learnable = false;
                        }
                        match c.peek()? {
                            b'"' => id = Some(Id::Text(c.string()?.into_owned())),
                            b'-' | b'0'..=b'9' => id = Some(Id::Number(c.number()?.to_owned())),
                            _ => c.skip_value()?,
                        }
                    }
                    Some(Key::Id) => match c.peek()? {
                        b'"' => id = Some(Id::Text(c.string()?.into_owned())),
                        b'-' | b'0'..=b'9' => id = Some(Id::Number(c.number()?.to_owned())),
                        _ => c.skip_value()?,
                    },
                    Some(Key::Annotation) => {
                        learnable = false;
                        c.skip_value()?
                    }
                    None => {
                        learnable = false;
                        c.skip_value()?;
                        error.get_or_insert(FieldError {
                            field: String::from_utf8_lossy(&key).into_owned(),
                            problem: Problem::Unknown,
                        });
                    }
                }
                c.skip_ws();
                match c.peek()? {
                    b',' => c.pos += 1,
                    b'}' => {
                        c.pos += 1;
                        break;
                    }
                    _ => return c.fail("',' or '}'"),
                }
            }
        }
        let exam = match error {
            Some(e) => Err(e),
            None => self.builder.finish(),
        };
        let paused = self.template_pause > 0;
        self.template_pause = self.template_pause.saturating_sub(1);
        let mut learnt = false;
        if let Some((start, seen)) = learning {
            if learnable && exam.is_ok() {
                self.template = Template::learn(c.bytes, start, &seen, c.pos);
                learnt = self.template.is_some();
            }
            self.seen = seen;
        }
        if !paused && !learnt {
            // An object that cannot serve as a template (an id among the fields, a number for
            // a string): like a miss, so that objects all like it go to the keyed path.
            self.missed();
        }
        Ok(Record { id, exam })
    }

    /// Counts a template missed; after [`TEMPLATE_MISSES`] in a row, drops the template and
    /// pauses templates for [`TEMPLATE_PAUSE`] objects (returns whether it did).
    fn missed(&mut self) -> bool {
        self.template_misses += 1;
        if self.template_misses < TEMPLATE_MISSES {
            return false;
        }
        self.template_misses = 0;
        self.template_pause = TEMPLATE_PAUSE;
        self.template = None;
        true
    }

    /// Reads the members of an object by its template, from `pos` (a member's key) to the
    /// object's end: the position after the `}`, or `None` at the first difference or bad
    /// value, with the builder cleared for the general path.
    ///
    /// Point values are staged as codes and stored together at the end, as most are one
    /// digit (`5"`) that only needs a range check; the template's fields are distinct, so they
    /// are marked set together too.
    #[inline]
    fn templated(&mut self, bytes: &[u8], pos: usize) -> Option<usize> {
        let template = self.template.as_ref()?;
        let builder = &mut self.builder;
        // Indexed by a u8: no bounds checks. Points the template does not set keep their values.
        let mut codes = [0u8; 256];
        let staged: &mut [u8; super::POINTS] = (&mut codes[..super::POINTS])
            .try_into()
            .expect("POINTS is below 256");
        if !template.all_points {
            builder.point_codes(staged);
        }
        // Set when a one-character value is not a grade of its point.
        let mut out_of_range = false;
        // Most templates' members have at most 24 bytes before their values: three words.
        let fits = if template.short {
            template.read::<3>(builder, bytes, pos, &mut codes, &mut out_of_range)
        } else {
            template.read::<4>(builder, bytes, pos, &mut codes, &mut out_of_range)
        };
        match fits {
            Some(_) if !out_of_range => {
                let staged: &[u8; super::POINTS] = (&codes[..super::POINTS])
                    .try_into()
                    .expect("POINTS is below 256");
                builder.set_point_codes(staged);
                builder.mark_set(&template.fields);
                fits
            }
            _ => {
                builder.clear();
                None
            }
        }
    }

    /// The usual member, `"key":"value"`, whose key is the one guessed after the previous key and
    /// whose value is allowed and short: sets the field and returns the position after the
    /// value. Anything else (escapes, an unexpected key, a bad or long value) is left to the
    /// general path, which reads the member again from the start.
    #[inline(always)]
    fn fast_member(
        &mut self,
        bytes: &[u8],
        pos: usize,
        slot: &mut usize,
    ) -> Option<(Field, usize, usize)> {
        let member = self.keys.member[*slot].as_ref()?;
        let rest = bytes.get(pos..)?;
        if !starts_with(rest, &member.pattern) {
            return None;
        }
        let value_start = member.pattern.len();
        let open = pos + value_start - 1;
        let (field, index) = (member.field, member.index);
        // Most values are one digit: `5"`.
        if let (Some(&digit), Some(b'"')) = (rest.get(value_start), rest.get(value_start + 1)) {
            if self.builder.put_digit(member.place, index, digit) {
                *slot = index;
                return Some((field, open, pos + value_start + 2));
            }
        }
        let window = rest.get(value_start..).map(|w| &w[..w.len().min(5)])?;
        let value_len = window.iter().position(|&b| b == b'"')?;
        if !self.builder.put_at(field, index, &window[..value_len]) {
            return None;
        }
        *slot = index;
        Some((field, open, pos + value_start + value_len + 1))
    }

    fn scalar<'a>(c: &mut Cursor<'a>) -> Parse<Scalar<'a>> {
        Ok(match c.peek()? {
            b'"' => Scalar::Text(c.raw_string()?),
            b'-' | b'0'..=b'9' => Scalar::Text(Cow::Borrowed(c.number()?.as_bytes())),
            b'n' => {
                c.literal(b"null")?;
                Scalar::Null
            }
            b't' | b'f' => {
                let word = if c.peek()? == b't' { "true" } else { "false" };
                c.skip_value()?;
                Scalar::Other(word)
            }
            b'{' => {
                c.skip_value()?;
                Scalar::Other("an object")
            }
            b'[' => {
                c.skip_value()?;
                Scalar::Other("an array")
            }
            _ => return c.fail("a value"),
        })
    }

    #[inline(always)]
    fn set(&mut self, field: Field, value: Scalar<'_>) -> Result<(), FieldError> {
        match value {
            // The usual case, without building an error it will not need.
            Scalar::Text(text) if self.builder.put(field, &text) => Ok(()),
            Scalar::Text(text) => self.builder.set_field_bytes(field, &text),
            Scalar::Null if !field.is_required() => self.builder.set_field(field, "0"),
            Scalar::Null => self.builder.set_field(field, "null"),
            Scalar::Other(what) => self.builder.set_field(field, what),
        }
    }
}

/// Writes an exam as one JSON object of the flat layout, with its id first when it has one.
pub fn write_exam(exam: &Exam, id: Option<&Id>, out: &mut String) {
    out.push('{');
    if let Some(id) = id {
        out.push_str("\"id\":");
        out.push_str(&id.to_json());
        out.push(',');
    }
    for (i, field) in Field::all().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        out.push_str(&field.name());
        out.push_str("\":\"");
        out.push_str(super::value_of(exam, field));
        out.push('"');
    }
    out.push('}');
}

/// Reads every exam of a complete JSON text (an array or a sequence of objects).
pub fn read_all(text: &[u8]) -> Result<Vec<Record>, SyntaxError> {
    let mut reader = Reader::new();
    let mut pos = 0;
    let mut out = Vec::new();
    loop {
        match reader.next(&text[pos..], true) {
            Ok(Next::Record(record, used)) => {
                out.push(record);
                pos += used;
            }
            Ok(Next::End) => return Ok(out),
            Ok(Next::NeedMore(_)) => {
                return Err(SyntaxError {
                    offset: text.len(),
                    expected: "more input",
                })
            }
            Err(e) => {
                return Err(SyntaxError {
                    offset: pos + e.offset,
                    ..e
                })
            }
        }
    }
}

#[cfg(test)]
mod tests;

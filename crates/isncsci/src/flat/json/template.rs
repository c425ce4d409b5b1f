//! Templates: the layout of an object a program writes again and again, learnt from one object
//! and compared with the next.

use super::super::{ExamBuilder, Field, POINTS};
use super::keyed::KEYS;
use super::keys::starts_with;
use crate::{MotorValue, SensoryValue};

/// The layout of an object as a program writes it again and again: after the object's start
/// (or its `id` member), the same field members in the same order, with the same bytes between
/// the values. An object that follows it is read by comparing those bytes and taking the
/// values between them; at the first difference the object is read again by the general path,
/// which also learns the new layout. The optional members (the lowest non-key muscles) may be
/// left out of an object, or be there when the template lacks them, written as its other
/// members are ([`Template::extra`]).
#[derive(Debug)]
pub(super) struct Template {
    /// The members in order.
    pub(super) members: Vec<TemplateMember>,
    /// The bytes after the last value's closing quote, up to and including the `}`.
    pub(super) end: Box<[u8]>,
    /// The point fields it sets (bits by [`Field::index`]); its other fields are stored one at
    /// a time, which marks them set.
    pub(super) fields: [u64; 3],
    /// Whether it sets every point value of an exam.
    pub(super) all_points: bool,
    /// Whether every member has at most 24 bytes before its value (three words to compare).
    pub(super) short: bool,
    /// How its members after the first are written, for an optional member it lacks: the bytes
    /// before the key's opening quote (`,` or `,\n  `), and those after its closing quote up to
    /// the value's opening quote (`:"` or `: "`); none for a template of one member.
    pub(super) extra: Option<Style>,
}

/// How a member is written around its key: the bytes before the key's opening quote, and those
/// after its closing quote up to the value's opening quote.
pub(super) type Style = (Box<[u8]>, Box<[u8]>);

/// One member of a [`Template`].
#[derive(Debug)]
pub(super) struct TemplateMember {
    /// The bytes before the value: from the key's quote for the first member, else from just
    /// after the previous value's closing quote; up to and including the value's opening quote
    /// (`,"c5RightMotor":"`).
    pub(super) before: Box<[u8]>,
    pub(super) field: Field,
    pub(super) index: usize,
    /// The field's index among the exam's point values ([`NOT_A_POINT`] for other fields),
    /// and its highest grade.
    pub(super) point: u8,
    pub(super) max: u8,
    /// Whether an object may leave the member out (a lowest non-key muscle).
    pub(super) optional: bool,
    /// Its place among the template's members.
    pub(super) at: usize,
    /// `before` as four little-endian eight-byte words, with masks that keep only its bytes,
    /// when it is at most 32 bytes long.
    pub(super) words: Option<([u64; 4], [u64; 4])>,
}

/// [`TemplateMember::point`] of a field that is not a point value.
pub(super) const NOT_A_POINT: u8 = u8::MAX;

/// The four little-endian words of 32 bytes.
#[inline(always)]
pub(super) fn words32(bytes: &[u8; 32]) -> [u64; 4] {
    let (chunks, _) = bytes.as_chunks::<8>();
    let mut words = [0u64; 4];
    for (word, chunk) in words.iter_mut().zip(chunks) {
        *word = u64::from_le_bytes(*chunk);
    }
    words
}

impl TemplateMember {
    pub(super) fn new(before: &[u8], field: Field, at: usize) -> TemplateMember {
        let words = (before.len() <= 32).then(|| {
            let (mut padded, mut kept) = ([0u8; 32], [0u8; 32]);
            padded[..before.len()].copy_from_slice(before);
            kept[..before.len()].fill(0xFF);
            (words32(&padded), words32(&kept))
        });
        let (point, max) = field.place().point().unwrap_or((NOT_A_POINT, 0));
        TemplateMember {
            before: before.into(),
            field,
            index: field.index(),
            point,
            max,
            optional: !field.is_required(),
            at,
            words,
        }
    }

    /// Whether `rest` starts with `before`: `WORDS` masked word comparisons (four, or three
    /// when `before` is at most 24 bytes long) when 32 bytes are there to load.
    #[inline(always)]
    pub(super) fn precedes<const WORDS: usize>(&self, rest: &[u8]) -> bool {
        match (&self.words, rest.first_chunk::<32>()) {
            (Some((words, masks)), Some(head)) => {
                let got = words32(head);
                let mut differ = 0;
                for i in 0..WORDS.min(4) {
                    differ |= (got[i] ^ words[i]) & masks[i];
                }
                differ == 0
            }
            _ => rest.starts_with(&self.before),
        }
    }
}

impl Template {
    /// The layout of an object read in full: its members from `start` (the first member's key)
    /// to `end` (just after the `}`), their values at `seen`.
    pub(super) fn learn(bytes: &[u8], start: usize, seen: &[Seen], end: usize) -> Option<Template> {
        let mut members = Vec::with_capacity(seen.len());
        let mut from = start;
        let mut fields = [0u64; 3];
        for s in seen {
            let before = bytes.get(from..=s.open)?;
            if before.last() != Some(&b'"') || s.close <= s.open {
                return None;
            }
            let member = TemplateMember::new(before, s.field, members.len());
            if member.point != NOT_A_POINT {
                let index = s.field.index();
                fields[index / 64] |= 1 << (index % 64);
            }
            members.push(member);
            from = s.close + 1;
        }
        let end_bytes = bytes.get(from..end)?;
        let points = members.iter().filter(|m| m.point != NOT_A_POINT).count();
        let extra = members
            .get(1..)
            .and_then(|m| m.last())
            .and_then(|last| style(&last.before, last.field));
        let short = members.iter().all(|m| m.before.len() <= 24);
        (!members.is_empty() && end_bytes.last() == Some(&b'}')).then(|| Template {
            members,
            end: end_bytes.into(),
            fields,
            all_points: points == POINTS,
            short,
            extra,
        })
    }
}

impl Template {
    /// Reads the members of an object from `pos` (a member's key) to the object's end, by
    /// comparing the bytes between the values with the template's ([`TemplateMember::precedes`]
    /// with `WORDS`): the position after the `}`, or `None` at the first difference or bad
    /// value. The point values are staged in `codes` (a one-digit grade unchecked: a grade above
    /// its point's highest sets `out_of_range`); the other fields are stored in `builder`. An
    /// optional member that does not follow is taken as left out; a member that is not the
    /// next may be an optional one the template lacks ([`Template::extra`]).
    #[inline(always)]
    pub(super) fn read<const WORDS: usize>(
        &self,
        builder: &mut ExamBuilder,
        bytes: &[u8],
        mut pos: usize,
        codes: &mut [u8; 256],
        out_of_range: &mut bool,
    ) -> Option<usize> {
        let members = &self.members[..];
        let mut from = 0;
        loop {
            let missed = 'members: {
                for m in &members[from..] {
                    let rest = bytes.get(pos..)?;
                    if !m.precedes::<WORDS>(rest) {
                        break 'members Some(m);
                    }
                    let at = m.before.len();
                    if let (Some(&digit), Some(b'"')) = (rest.get(at), rest.get(at + 1)) {
                        if m.point != NOT_A_POINT {
                            let grade = digit.wrapping_sub(b'0');
                            *out_of_range |= grade > m.max;
                            codes[usize::from(m.point)] = grade;
                            pos += at + 2;
                            continue;
                        }
                    }
                    let window = rest.get(at..).map(|w| &w[..w.len().min(5)])?;
                    let len = window.iter().position(|&b| b == b'"')?;
                    let value = &window[..len];
                    if m.point == NOT_A_POINT {
                        if !builder.put_at(m.field, m.index, value) {
                            return None;
                        }
                    } else {
                        codes[usize::from(m.point)] = if m.max == 5 {
                            MotorValue::parse_bytes(value)?.code()
                        } else {
                            SensoryValue::parse_bytes(value)?.code()
                        };
                    }
                    pos += at + len + 1;
                }
                None
            };
            // The member that did not follow: an optional one left out (the next may follow
            // here), or one after an optional member the template lacks.
            match missed {
                None => break,
                Some(m) if m.optional => from = m.at + 1,
                Some(m) => {
                    pos = self.extra(builder, bytes, pos)?;
                    from = m.at;
                }
            }
        }
        loop {
            let rest = bytes.get(pos..)?;
            if starts_with(rest, &self.end) {
                return Some(pos + self.end.len());
            }
            pos = self.extra(builder, bytes, pos)?;
        }
    }

    /// An optional member that the template lacks, at `pos`, written as its members are: the
    /// value stored in `builder` (which refuses a repeated or bad one), and the position after
    /// the value's closing quote. `None` for anything else.
    #[cold]
    pub(super) fn extra(
        &self,
        builder: &mut ExamBuilder,
        bytes: &[u8],
        pos: usize,
    ) -> Option<usize> {
        let (separator, colon) = self.extra.as_ref()?;
        let at = pos + separator.len();
        if bytes.get(pos..at)? != &**separator || bytes.get(at) != Some(&b'"') {
            return None;
        }
        let (field, after) = KEYS.field_key_at(bytes, at)?;
        let value_at = after + colon.len();
        if field.is_required() || bytes.get(after..value_at)? != &**colon {
            return None;
        }
        let rest = bytes.get(value_at..)?;
        let window = &rest[..rest.len().min(5)];
        let len = window.iter().position(|&b| b == b'"')?;
        builder
            .put_at(field, field.index(), &window[..len])
            .then_some(value_at + len + 1)
    }
}

/// How a member after the first is written, from its bytes before the value (`before`): the
/// separator before the key's opening quote and the bytes after its closing quote, when they
/// are only whitespace, one `,` and one `:`, and the key is written without escapes.
fn style(before: &[u8], field: Field) -> Option<Style> {
    let quote = before.iter().position(|&b| b == b'"')?;
    let (separator, member) = before.split_at(quote);
    let name = field.name();
    let key = member.get(1..=name.len())?;
    let colon = member.get(name.len() + 2..)?;
    let ws = |b: &u8| matches!(b, b' ' | b'\n' | b'\r' | b'\t');
    let one = |bytes: &[u8], c: u8| {
        bytes.iter().filter(|&&b| b == c).count() == 1 && bytes.iter().all(|b| ws(b) || *b == c)
    };
    let plain = key == name.as_bytes() && member.get(name.len() + 1) == Some(&b'"');
    let (value_quote, colon_only) = colon.split_last()?;
    (plain && one(separator, b',') && one(colon_only, b':') && *value_quote == b'"')
        .then(|| (separator.into(), colon.into()))
}

/// Where a string-valued field member's value was, while an object is read by the general
/// path, to learn its layout.
#[derive(Clone, Copy, Debug)]
pub(super) struct Seen {
    /// The value's opening quote.
    pub(super) open: usize,
    /// Its closing quote.
    pub(super) close: usize,
    pub(super) field: Field,
}

//! Templates: the layout of an object a program writes again and again, learnt from one object
//! and compared with the next.

use super::super::{Field, POINTS};

/// The layout of an object as a program writes it again and again: after the object's start
/// (or its `id` member), the same field members in the same order, with the same bytes between
/// the values. An object that follows it is read by comparing those bytes and taking the
/// values between them; at the first difference the object is read again by the general path,
/// which also learns the new layout.
#[derive(Debug)]
pub(super) struct Template {
    /// The slot the members follow ([`START_SLOT`] or [`ID_SLOT`]).
    pub(super) after: usize,
    /// The members in order.
    pub(super) members: Vec<TemplateMember>,
    /// The bytes after the last value's closing quote, up to and including the `}`.
    pub(super) end: Box<[u8]>,
    /// The fields it sets (bits by [`Field::index`]).
    pub(super) fields: [u64; 3],
    /// Whether it sets every point value of an exam.
    pub(super) all_points: bool,
}

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
    pub(super) fn new(before: &[u8], field: Field) -> TemplateMember {
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
            words,
        }
    }

    /// Whether `rest` starts with `before`: four masked word comparisons when 32 bytes are
    /// there to load.
    #[inline(always)]
    pub(super) fn precedes(&self, rest: &[u8]) -> bool {
        match (&self.words, rest.first_chunk::<32>()) {
            (Some((words, masks)), Some(head)) => {
                let got = words32(head);
                let mut differ = 0;
                for i in 0..4 {
                    differ |= (got[i] ^ words[i]) & masks[i];
                }
                differ == 0
            }
            _ => rest.starts_with(&self.before),
        }
    }
}

impl Template {
    /// The layout of an object read in full: its members from `start` (the first member after
    /// the slot `after`) to `end` (just after the `}`), their values at `seen`.
    pub(super) fn learn(
        bytes: &[u8],
        start: usize,
        after: usize,
        seen: &[Seen],
        end: usize,
    ) -> Option<Template> {
        let mut members = Vec::with_capacity(seen.len());
        let mut from = start;
        let mut fields = [0u64; 3];
        for s in seen {
            let before = bytes.get(from..=s.open)?;
            if before.last() != Some(&b'"') || s.close <= s.open {
                return None;
            }
            let index = s.field.index();
            fields[index / 64] |= 1 << (index % 64);
            members.push(TemplateMember::new(before, s.field));
            from = s.close + 1;
        }
        let end_bytes = bytes.get(from..end)?;
        let points = members.iter().filter(|m| m.point != NOT_A_POINT).count();
        (!members.is_empty() && end_bytes.last() == Some(&b'}')).then(|| Template {
            after,
            members,
            end: end_bytes.into(),
            fields,
            all_points: points == POINTS,
        })
    }
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

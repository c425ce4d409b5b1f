//! The keyed path: an object whose members come in any order (as independent writers give
//! them), read member by member, each key found in one probe of a fixed table of the layout's
//! keys and each value staged without building a string. Anything unusual (an unknown key or an
//! annotation, an escape, a value outside the grammar, a repeated field, `null`, a nested value,
//! the end of the input) stops it, and the general path reads the object again from its start:
//! so it reads every object it finishes exactly as the general path does.

use std::sync::LazyLock;

use super::super::{ExamBuilder, Field, POINTS};
use super::{find_string_end, Cursor, Id, Record};
use crate::{MotorValue, SensoryValue};
use usual::{usual_members, Gap, Gaps, Hot, ValueCodes, NO_POINT, UNSET};

mod usual;

/// What a key is.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// A point value: its index among the exam's points and its highest grade.
    Point { point: u8, max: u8 },
    /// The anal exam or a non-key muscle.
    Other,
    /// `id`.
    Id,
}

/// A key of the table, as words that compare in two instructions.
#[derive(Clone, Copy, Debug)]
struct Entry {
    words: Words,
    /// The field (none for `id`) and its index.
    field: Option<Field>,
    index: u8,
    kind: Kind,
    /// The key as it starts a member: its bytes 0–7, and its bytes from 8 followed by the
    /// closing quote (`Motor"` of `c5RightMotor"`), up to byte 15, with the mask that keeps
    /// them ([`KeyTable::find_at`]).
    head: u64,
    tail: u64,
    tail_mask: u64,
}

/// A key as its first and last eight bytes (zero-padded when shorter) and its length: the whole
/// key for keys of up to 16 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Words {
    first: u64,
    last: u64,
    len: usize,
}

impl Words {
    #[inline(always)]
    fn of(key: &[u8]) -> Words {
        let len = key.len();
        match (key.first_chunk::<8>(), key.last_chunk::<8>()) {
            (Some(first), Some(last)) => Words {
                first: u64::from_le_bytes(*first),
                last: u64::from_le_bytes(*last),
                len,
            },
            _ => {
                let mut padded = [0u8; 8];
                padded[..len].copy_from_slice(key);
                let word = u64::from_le_bytes(padded);
                Words {
                    first: word,
                    last: word,
                    len,
                }
            }
        }
    }

    #[inline(always)]
    fn hash(self, multiplier: u64) -> usize {
        let h = (self.first ^ self.last.rotate_left(29) ^ self.len as u64).wrapping_mul(multiplier);
        (h >> (64 - SLOT_BITS)) as usize
    }
}

const SLOT_BITS: u32 = 11;
const SLOTS: usize = 1 << SLOT_BITS;

/// The layout's field keys and `id`, each in a slot of its own (the multiplier of the hash is
/// chosen so that no two share one): a key is found, or known not to be one of them, in one
/// probe.
#[derive(Debug)]
pub(super) struct KeyTable {
    multiplier: u64,
    /// For each slot, 1 + the index of its entry, or 0.
    slots: Box<[u8; SLOTS]>,
    /// The same for the keys' first twelve bytes with the closing quote ([`prefix_hash`]).
    prefix_multiplier: u64,
    prefix_slots: Box<[u8; SLOTS]>,
    /// The entries by the prefix table's values: a value indexes it without a bounds check,
    /// and 0 (no key) gives an entry that no key matches.
    by_prefix: Box<[Entry; 256]>,
    /// What the usual members' loop needs of the same entries ([`usual_members`]).
    hot: Box<[Hot; 256]>,
    /// The point fields (bits by [`Field::index`]).
    point_fields: [u64; 3],
    /// The codes of the points' short values.
    values: ValueCodes,
    entries: Vec<Entry>,
    /// The keys of 16 bytes or more in full, by entry (empty for the others).
    long: Vec<Box<[u8]>>,
}

impl KeyTable {
    fn new() -> KeyTable {
        let keys: Vec<(String, Entry)> = Field::all()
            .map(|field| {
                let name = field.name();
                let kind = match field.place().point() {
                    Some((point, max)) => Kind::Point { point, max },
                    None => Kind::Other,
                };
                let index = u8::try_from(field.index()).unwrap_or(u8::MAX);
                let words = Words::of(name.as_bytes());
                let field = Some(field);
                let (head, tail, tail_mask) = member_words(name.as_bytes());
                (
                    name,
                    Entry {
                        words,
                        field,
                        index,
                        kind,
                        head,
                        tail,
                        tail_mask,
                    },
                )
            })
            .chain([(
                "id".to_string(),
                Entry {
                    words: Words::of(b"id"),
                    field: None,
                    index: u8::MAX,
                    kind: Kind::Id,
                    // Found by its own test in `find_at`.
                    head: 0,
                    tail: 0,
                    tail_mask: u64::MAX,
                },
            )])
            .collect();
        // Multipliers are tried until one puts every key in a slot of its own (a few tries; the
        // unit tests check that one is found). Were none found, the keys that collide would be
        // left out, and read by the general path.
        let (multiplier, slots) = perfect(keys.iter().map(|(_, e)| Some(move |m| e.words.hash(m))));
        // The prefix table holds the field keys (not `id`, which is too short for it).
        let (prefix_multiplier, prefix_slots) = perfect(
            keys.iter()
                .map(|(_, e)| e.field.map(|_| move |m| prefix_hash(e.head, e.tail, m))),
        );
        let long = keys
            .iter()
            .map(|(name, _)| {
                if name.len() >= 16 {
                    name.as_bytes().into()
                } else {
                    Box::default()
                }
            })
            .collect();
        let entries: Vec<Entry> = keys.into_iter().map(|(_, e)| e).collect();
        let none = Entry {
            words: Words::of(b""),
            field: None,
            index: u8::MAX,
            kind: Kind::Other,
            head: 0,
            // No bytes are kept, so none compare equal to a tail of 1.
            tail: 1,
            tail_mask: 0,
        };
        let mut by_prefix = Box::new([none; 256]);
        for (slot, entry) in by_prefix[1..].iter_mut().zip(&entries) {
            *slot = *entry;
        }
        let hot = Box::new(by_prefix.map(|e| Hot {
            head: e.head,
            tail: e.tail,
            tail_mask: e.tail_mask,
            point: match e.kind {
                Kind::Point { point, .. } => point,
                _ => NO_POINT,
            },
            max: match e.kind {
                Kind::Point { max, .. } => max,
                _ => 0,
            },
        }));
        let mut point_fields = [0u64; 3];
        for e in &entries {
            if let Kind::Point { .. } = e.kind {
                point_fields[usize::from(e.index / 64)] |= 1 << (e.index % 64);
            }
        }
        KeyTable {
            multiplier,
            slots,
            prefix_multiplier,
            prefix_slots,
            by_prefix,
            hot,
            point_fields,
            values: ValueCodes::new(),
            entries,
            long,
        }
    }

    /// The point fields whose codes are staged (not [`UNSET`]), as bits by [`Field::index`].
    fn points_set(&self, codes: &[u8; POINTS]) -> [u64; 3] {
        let mut set = [0u64; 3];
        for e in &self.entries {
            if let Kind::Point { point, .. } = e.kind {
                if codes.get(usize::from(point)).is_some_and(|&c| c != UNSET) {
                    set[usize::from(e.index / 64)] |= 1 << (e.index % 64);
                }
            }
        }
        set
    }

    /// The entry of a key, or `None` when it is not a field key or `id`.
    #[inline(always)]
    fn find(&self, key: &[u8]) -> Option<&Entry> {
        let words = Words::of(key);
        let at = usize::from(self.slots[words.hash(self.multiplier)]).checked_sub(1)?;
        let entry = self.entries.get(at)?;
        if entry.words != words {
            return None;
        }
        if words.len > 16 && **self.long.get(at)? != *key {
            return None;
        }
        Some(entry)
    }

    /// The field of a key (`Some(None)` for `id`), or `None` when it is not in the table.
    #[cfg(test)]
    pub(super) fn field_of(&self, key: &[u8]) -> Option<Option<Field>> {
        self.find(key).map(|e| e.field)
    }

    /// The field of the key whose opening quote starts `member` (`Some(None)` for `id`), found
    /// as the keyed path finds it, and the length of the key with its quotes.
    #[cfg(test)]
    pub(super) fn field_at(&self, member: &[u8]) -> Option<(Option<Field>, usize)> {
        self.find_at(member, 0).map(|(e, after)| (e.field, after))
    }

    /// The field of the field key whose opening quote is at `pos`, and the position after its
    /// closing quote; `None` for `id` and for keys that are not the layout's.
    #[inline]
    pub(super) fn field_key_at(&self, bytes: &[u8], pos: usize) -> Option<(Field, usize)> {
        self.find_at(bytes, pos)
            .and_then(|(e, after)| Some((e.field?, after)))
    }

    /// How many keys have a slot of their own.
    #[cfg(test)]
    pub(super) fn placed(&self) -> (usize, usize) {
        let placed = |slots: &[u8; SLOTS]| slots.iter().filter(|s| **s != 0).count();
        (placed(&self.slots), placed(&self.prefix_slots))
    }
}

/// A multiplier for which `hashes` (each a function of the multiplier, or none for a key left
/// out) put every key in a slot of its own, and the slots (1 + the key's index, or 0).
fn perfect<H: Fn(u64) -> usize>(
    hashes: impl Iterator<Item = Option<H>>,
) -> (u64, Box<[u8; SLOTS]>) {
    let hashes: Vec<(usize, H)> = hashes
        .enumerate()
        .filter_map(|(i, h)| Some((i, h?)))
        .collect();
    let mut slots = Box::new([0u8; SLOTS]);
    let mut multiplier = 0;
    for attempt in 0..10_000u64 {
        multiplier = (0x9E37_79B9_7F4A_7C15u64 ^ attempt.wrapping_mul(0xBF58_476D_1CE4_E5B9)) | 1;
        slots.fill(0);
        let mut collided = false;
        for (i, hash) in &hashes {
            let slot = &mut slots[hash(multiplier)];
            if *slot == 0 {
                *slot = u8::try_from(i + 1).unwrap_or(0);
            } else {
                collided = true;
            }
        }
        if !collided {
            break;
        }
    }
    (multiplier, slots)
}

/// A key's [`Entry::head`], [`Entry::tail`] and [`Entry::tail_mask`].
fn member_words(key: &[u8]) -> (u64, u64, u64) {
    let mut padded = [0u8; 16];
    let with_quote: Vec<u8> = key.iter().copied().chain([b'"']).collect();
    let n = with_quote.len().min(16);
    padded[..n].copy_from_slice(&with_quote[..n]);
    let (head, tail) = padded.split_at(8);
    let word = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
    let kept = n.saturating_sub(8);
    let tail_mask = if kept >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * kept)) - 1
    };
    (word(head), word(tail) & tail_mask, tail_mask)
}

/// The slot of a member's first twelve bytes after its opening quote, read as two words: all
/// of a field key's shortest (11 bytes and its closing quote), the start of the others.
#[inline(always)]
fn prefix_hash(head: u64, tail: u64, multiplier: u64) -> usize {
    let h = (head ^ (tail << 32)).wrapping_mul(multiplier);
    (h >> (64 - SLOT_BITS)) as usize
}

/// The one table, built on first use.
pub(super) static KEYS: LazyLock<KeyTable> = LazyLock::new(KeyTable::new);

/// Whitespace skipped from `pos`.
#[inline(always)]
fn skip_ws(bytes: &[u8], mut pos: usize) -> usize {
    // Most calls find none, or one space.
    match bytes.get(pos) {
        Some(b) if *b > b' ' => return pos,
        Some(b' ') if bytes.get(pos + 1).is_some_and(|b| *b > b' ') => return pos + 1,
        _ => {}
    }
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = bytes.get(pos) {
        pos += 1;
    }
    pos
}

impl KeyTable {
    /// The entry of the key whose opening quote is at `pos`, and the position after its
    /// closing quote; `None` when it is not a field key or `id`. The sixteen bytes after the
    /// quote are read as two words, which find a field key in one probe of the prefix table
    /// and compare with it at once (with its closing quote): a key that holds an escape or a
    /// control character is none of the table's, and goes to the general path anyway.
    #[inline(always)]
    fn find_at(&self, bytes: &[u8], pos: usize) -> Option<(&Entry, usize)> {
        const ID: u64 = u64::from_le_bytes([b'i', b'd', b'"', 0, 0, 0, 0, 0]);
        let start = pos + 1;
        let Some((head, tail)) = bytes
            .get(start..start + 16)
            .and_then(|b| <&[u8; 16]>::try_from(b).ok())
            .and_then(|b| b.split_first_chunk::<8>())
        else {
            // Near the end of the input.
            let (key, after) = plain_string(bytes, pos)?;
            return Some((self.find(key)?, after));
        };
        let (head, tail) = (
            u64::from_le_bytes(*head),
            u64::from_le_bytes(*tail.first_chunk::<8>()?),
        );
        let slot = prefix_hash(head, tail, self.prefix_multiplier);
        let value = self.prefix_slots[slot];
        let entry = &self.by_prefix[usize::from(value)];
        if head != entry.head || tail & entry.tail_mask != entry.tail {
            // `id` (no field key starts with its bytes), or a key that is not the layout's.
            return (head & 0xFF_FFFF == ID).then(|| Some((self.entries.last()?, start + 3)))?;
        }
        let len = entry.words.len;
        if len >= 16 {
            // A long key: the rest of it, and its closing quote.
            let rest = bytes.get(start + 16..=start + len)?;
            let (quote, rest) = rest.split_last()?;
            let at = usize::from(value).checked_sub(1)?;
            if *quote != b'"' || rest != self.long.get(at)?.get(16..)? {
                return None;
            }
        }
        Some((entry, start + len + 1))
    }
}

/// The usual value after a key's closing quote at `after`, recognised in one 8-byte word: a
/// string of one to five characters without a quote (`:"5"`, `: "NT*"`) or a one-digit number
/// (`:5`, `: 5`). Returns its first character, where its characters start, how many there are,
/// and the position after the value.
///
/// The characters are not checked here: the caller checks them as a field's value (a
/// backslash is in none, so a string with an escape is never taken for one).
#[inline(always)]
fn short_value(bytes: &[u8], after: usize) -> Option<(u8, usize, usize, usize)> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let t = u64::from_le_bytes(*bytes.get(after..)?.first_chunk::<8>()?);
    let (colon, quote) = (u64::from(b':'), u64::from(b'"'));
    // The commonest: one character, with or without a space after the colon.
    if t & 0xFF00_FFFF == colon | quote << 8 | quote << 24 {
        return Some(((t >> 16) as u8, after + 2, 1, after + 4));
    }
    let space = u64::from(b' ');
    if t & 0xFF_00FF_FFFF == colon | space << 8 | quote << 16 | quote << 32 {
        return Some(((t >> 24) as u8, after + 3, 1, after + 5));
    }
    if t as u8 != b':' {
        return None;
    }
    // One space after the colon, or none: `u` starts at the value (its last bytes zero).
    let space = usize::from((t >> 8) as u8 == b' ');
    let at = after + 1 + space;
    let u = t >> (8 + 8 * space);
    let (first, second) = (u as u8, (u >> 8) as u8);
    if first == b'"' {
        // The closing quote: the lowest byte of the characters that is one (the zero bytes
        // shifted in are not).
        let x = (u >> 8) ^ (ONES * quote);
        let found = x.wrapping_sub(ONES) & !x & HIGHS;
        let n = (found.trailing_zeros() / 8) as usize;
        (found != 0 && n > 0).then_some((second, at + 1, n, at + n + 2))
    } else if first.is_ascii_digit()
        // A digit that a number does not go on after.
        && !(second.is_ascii_digit() || matches!(second, b'.' | b'e' | b'E'))
    {
        Some((first, at, 1, at + 1))
    } else {
        None
    }
}

/// A string without escapes whose opening quote is at `pos`: its bytes and the position after
/// its closing quote.
#[inline(always)]
fn plain_string(bytes: &[u8], pos: usize) -> Option<(&[u8], usize)> {
    let rest = bytes.get(pos + 1..)?;
    let n = find_string_end(rest)?;
    (rest[n] == b'"').then(|| (&rest[..n], pos + n + 2))
}

/// Reads the members of an object, from `pos` just after its `{`, to its end. Returns the
/// position after the `}` and the record, or `None` to leave the object to the general path
/// (with `builder` to be cleared).
#[inline]
pub(super) fn read_object(
    builder: &mut ExamBuilder,
    bytes: &[u8],
    pos: usize,
) -> Option<(usize, Record)> {
    let keys = &*KEYS;
    // The point values staged as codes by their index (a u8: no bounds checks), `UNSET` until
    // read; that of no point (index `NO_POINT`) is never `UNSET`, so it is never read.
    let mut codes = [UNSET; 256];
    codes[usize::from(NO_POINT)] = 0;
    let mut id = None;
    // The bytes from the end of a value to the next key's opening quote (`,"`, `, "`,
    // `,\r\n  "`), learnt from the first member and then compared as one word under a mask.
    let (mut separator, mut separator_mask, mut separator_len) = (0u64, 0u64, 0usize);
    // The usual members' bytes around their values, learnt from one of them: one with a value
    // of one character (`: "5", "` or `: 5, "`), and one with a string (`: "NT*", "` as
    // `: "N", "`), the same for strings of one character.
    let mut gaps = Gaps {
        one: Gap::NONE,
        text: Gap::NONE,
    };
    // The value of the member being read when it may teach a gap: where the key's closing quote
    // ends, where the value starts and its length, and whether it is a string.
    let mut learn_from = None;
    let mut pos = skip_ws(bytes, pos);
    if bytes.get(pos) != Some(&b'"') {
        return None;
    }
    loop {
        if gaps.one.learnt() || gaps.text.learnt() {
            pos = usual_members(keys, bytes, pos, &gaps, &mut codes);
        }
        let (entry, after) = keys.find_at(bytes, pos)?;
        match entry.kind {
            Kind::Point { point, max } => {
                let code = &mut codes[usize::from(point)];
                if *code != UNSET {
                    return None;
                }
                *code = match short_value(bytes, after) {
                    Some((c, at, 1, end)) => {
                        pos = end;
                        learn_from = Some((after, at, 1));
                        let grade = c.wrapping_sub(b'0');
                        if grade > max {
                            return None;
                        }
                        grade
                    }
                    Some((_, at, n, end)) => {
                        pos = end;
                        learn_from = Some((after, at, n));
                        let value = bytes.get(at..at + n)?;
                        if max == 5 {
                            MotorValue::parse_bytes(value)?.code()
                        } else {
                            SensoryValue::parse_bytes(value)?.code()
                        }
                    }
                    None => {
                        let value = general_value(bytes, after, &mut pos, entry.kind, &mut id)?;
                        match *value {
                            [digit] if digit.wrapping_sub(b'0') <= max => digit - b'0',
                            [_] => return None,
                            _ if max == 5 => MotorValue::parse_bytes(value)?.code(),
                            _ => SensoryValue::parse_bytes(value)?.code(),
                        }
                    }
                };
            }
            Kind::Other => {
                // Above a space (the general path refuses a control character in a string,
                // which the non-key muscles' values would otherwise lose as whitespace).
                let short = short_value(bytes, after)
                    .and_then(|(_, at, n, end)| Some((bytes.get(at..at + n)?, end)))
                    .filter(|(value, _)| value.iter().all(|&b| b > b' '));
                let value = if let Some((value, end)) = short {
                    pos = end;
                    value
                } else {
                    general_value(bytes, after, &mut pos, entry.kind, &mut id)?
                };
                let field = entry.field?;
                if !builder.put_at(field, usize::from(entry.index), value) {
                    return None;
                }
            }
            Kind::Id => {
                general_value(bytes, after, &mut pos, entry.kind, &mut id)?;
            }
        }
        // The next member's key, after the separator learnt, or in general.
        let word = bytes
            .get(pos..)
            .and_then(|rest| rest.first_chunk::<8>())
            .map(|w| u64::from_le_bytes(*w));
        match word {
            Some(word) if separator_len != 0 && (word ^ separator) & separator_mask == 0 => {
                pos += separator_len - 1;
            }
            _ => {
                let end = pos;
                pos = skip_ws(bytes, pos);
                match bytes.get(pos)? {
                    b',' => pos = skip_ws(bytes, pos + 1),
                    b'}' => break,
                    _ => return None,
                }
                if bytes.get(pos) != Some(&b'"') {
                    return None;
                }
                let len = pos + 1 - end;
                if let (Some(word), true) = (word, len <= 8) {
                    separator_mask = u64::MAX >> (64 - 8 * len);
                    separator = word & separator_mask;
                    separator_len = len;
                }
            }
        }
        if let Some((after, at, n)) = learn_from.take() {
            gaps.learn(bytes, after, at, n, pos);
        }
    }
    // Every point set: store them together. Otherwise the exam lacks one, which `finish` names.
    let staged: &[u8; POINTS] = codes[..POINTS].try_into().ok()?;
    // A code is below 0x80, `UNSET` above it.
    let (words, rest) = staged.as_chunks::<8>();
    let high = words
        .iter()
        .fold(0, |high, w| high | u64::from_le_bytes(*w))
        | rest.iter().fold(0, |high, &c| high | u64::from(c));
    if high & 0x8080_8080_8080_8080 == 0 {
        builder.set_point_codes(staged);
        builder.mark_set(&keys.point_fields);
    } else {
        builder.mark_set(&keys.points_set(staged));
    }
    let exam = builder.finish();
    Some((pos + 1, Record { id, exam }))
}

/// A value in general after a key's closing quote at `after`: `:` between whitespace, then
/// [`value`]. Moves `pos` past it.
#[inline(always)]
fn general_value<'a>(
    bytes: &'a [u8],
    after: usize,
    pos: &mut usize,
    kind: Kind,
    id: &mut Option<Id>,
) -> Option<&'a [u8]> {
    *pos = skip_ws(bytes, after);
    if bytes.get(*pos) != Some(&b':') {
        return None;
    }
    *pos = skip_ws(bytes, *pos + 1);
    let first = *bytes.get(*pos)?;
    value(bytes, pos, first, kind, id)
}

/// A value in general, whose first byte `first` is at `pos`: a string without escapes, or a
/// one-digit number (the general path reads others); an id is kept in `id`. Moves `pos` past
/// it.
#[inline(always)]
fn value<'a>(
    bytes: &'a [u8],
    pos: &mut usize,
    first: u8,
    kind: Kind,
    id: &mut Option<Id>,
) -> Option<&'a [u8]> {
    Some(match (first, kind) {
        (_, Kind::Id) => {
            *id = Some(match first {
                b'"' => {
                    let (text, after) = plain_string(bytes, *pos)?;
                    *pos = after;
                    Id::Text(std::str::from_utf8(text).ok()?.to_owned())
                }
                b'-' | b'0'..=b'9' => {
                    let mut c = Cursor { bytes, pos: *pos };
                    let number = c.number().ok()?;
                    *pos = c.pos;
                    Id::Number(number.to_owned())
                }
                _ => return None,
            });
            &[]
        }
        (b'"', _) => {
            // Most values are one character: `5"` (not a control character, which a string
            // cannot hold, nor a backslash, which starts an escape).
            let one = bytes.get(*pos + 1..*pos + 2)?;
            if bytes.get(*pos + 2) == Some(&b'"') && one[0] >= b' ' && one[0] != b'\\' {
                *pos += 3;
                one
            } else {
                let (text, after) = plain_string(bytes, *pos)?;
                *pos = after;
                text
            }
        }
        (b'0'..=b'9', _) => {
            let next = *bytes.get(*pos + 1)?;
            if next.is_ascii_digit() || matches!(next, b'.' | b'e' | b'E') {
                return None;
            }
            *pos += 1;
            &bytes[*pos - 1..*pos]
        }
        _ => return None,
    })
}

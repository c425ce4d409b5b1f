//! The usual members of an object that the keyed path reads: a point's key and a short value,
//! written as the object's other members are (`"c5RightMotor": "5", "`), read in a loop of
//! their own by comparing the bytes around the value with those of a member read before
//! ([`Gap`]).

use super::{prefix_hash, KeyTable};
use crate::{MotorValue, SensoryValue};

/// The code of a point value not yet read.
pub(super) const UNSET: u8 = u8::MAX;

/// [`Hot::point`] of a key that is not a point's.
pub(super) const NO_POINT: u8 = u8::MAX;

/// What [`usual_members`] needs of a key of the prefix table: the key's words as
/// [`KeyTable::find_at`] compares them, its length, and its point and highest grade.
#[derive(Clone, Copy, Debug)]
pub(super) struct Hot {
    pub(super) head: u64,
    pub(super) tail: u64,
    pub(super) tail_mask: u64,
    pub(super) len: u8,
    /// The point's index among the exam's point values, or [`NO_POINT`].
    pub(super) point: u8,
    pub(super) max: u8,
}

/// The bytes from a key's closing quote to the next key's opening quote around a value of one
/// character, as one member of an object was written (`: "5", "`, `:5,"`, `: "5",\r\n "`):
/// compared with the next members' as one 16-byte word, the value's byte left out. A member
/// with a longer string (`: "NT*", "`) is compared as if its string were its first character.
#[derive(Clone, Copy, Debug)]
pub(super) struct Gap {
    bytes: u128,
    mask: u128,
    /// How many bytes, up to and including the next key's opening quote (0: none learnt).
    len: usize,
    /// Where the value's byte is, in bits (below 64).
    shift: u32,
}

/// The gaps of an object's members: for values of one character, and for strings.
#[derive(Clone, Copy, Debug)]
pub(super) struct Gaps {
    pub(super) one: Gap,
    pub(super) text: Gap,
}

/// The longest string [`Gaps::text`] takes (`NT**`).
const LONGEST: usize = 4;

impl Gap {
    /// None learnt: its bytes fit only a value's byte of 0xFF, a grade of none and the start
    /// of no string value, so that [`usual_members`] takes nothing by it.
    pub(super) const NONE: Gap = Gap {
        bytes: 0xFF,
        mask: 0xFF,
        len: 0,
        shift: 0,
    };

    /// Whether one was learnt.
    #[inline(always)]
    pub(super) fn learnt(&self) -> bool {
        self.len != 0
    }

    /// The gap of a member whose key's closing quote ends at `after`, whose value of `n`
    /// characters (a string's, or a one-digit number's) is at `at`, and whose next key's
    /// opening quote is at `next`, with the value's characters after the first left out;
    /// `None` when it does not fit in a word.
    #[inline(always)]
    fn learn(bytes: &[u8], after: usize, at: usize, n: usize, next: usize) -> Option<Gap> {
        let span = (next + 1).checked_sub(after).filter(|len| *len <= 16)?;
        let offset = at.checked_sub(after).filter(|offset| *offset < 8)?;
        let extra = n.checked_sub(1)?;
        let len = span.checked_sub(extra).filter(|len| *len > offset)?;
        let word = u128::from_le_bytes(*bytes.get(after..)?.first_chunk::<16>()?);
        let shift = 8 * offset as u32;
        let word = collapse(word, shift, extra);
        let mask = (u128::MAX >> (128 - 8 * len)) & !(0xFF << shift);
        Some(Gap {
            bytes: word & mask,
            mask,
            len,
            shift,
        })
    }

    /// Whether `around` (the bytes after a key's closing quote) are the gap's.
    #[inline(always)]
    fn fits(&self, around: u128) -> bool {
        (around ^ self.bytes) & self.mask == 0
    }
}

/// `word` without the `extra` bytes after the one at `shift` (in bits).
#[inline(always)]
fn collapse(word: u128, shift: u32, extra: usize) -> u128 {
    let kept = u128::MAX >> (120 - shift);
    (word & kept) | ((word >> (8 * extra)) & !kept)
}

impl Gaps {
    /// Learns from a member read by the keyed path: a point's value of `n` characters at `at`
    /// (a string, or a one-digit number), its key's closing quote ending at `after`, and the next
    /// key's opening quote at `next`.
    #[inline(always)]
    pub(super) fn learn(&mut self, bytes: &[u8], after: usize, at: usize, n: usize, next: usize) {
        let text = at > after && bytes.get(at - 1) == Some(&b'"');
        if n == 1 {
            self.one = Gap::learn(bytes, after, at, 1, next).unwrap_or(self.one);
        }
        if text && n <= LONGEST {
            self.text = Gap::learn(bytes, after, at, n, next).unwrap_or(self.text);
        }
    }
}

/// The code of a point's value of up to [`LONGEST`] characters, the first `n` bytes of `value`.
#[inline(always)]
fn code(value: u32, n: usize, max: u8) -> Option<u8> {
    let bytes = value.to_le_bytes();
    let value = bytes.get(..n)?;
    Some(if max == 5 {
        MotorValue::parse_bytes(value)?.code()
    } else {
        SensoryValue::parse_bytes(value)?.code()
    })
}

/// Reads the usual members from `pos` (a key's opening quote) as long as they come: a point's
/// key, not read before, and a value of one character, or a string of up to four, between the
/// bytes of `gaps`; the codes are staged in `codes` (by point, [`UNSET`] for those not read).
/// Returns the position of the first member that is not usual (or of the object's end), for
/// the keyed path to read.
#[inline(always)]
pub(super) fn usual_members(
    keys: &KeyTable,
    bytes: &[u8],
    mut pos: usize,
    gaps: &Gaps,
    codes: &mut [u8; 256],
) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let (multiplier, slots, hot) = (keys.prefix_multiplier, &*keys.prefix_slots, &*keys.hot);
    let (one, text) = (&gaps.one, &gaps.text);
    loop {
        // The key and the bytes after it: at most 14 bytes of a point's key, its quote and 16.
        let Some(window) = bytes.get(pos + 1..).and_then(|b| b.first_chunk::<32>()) else {
            return pos;
        };
        let (words, _) = window.as_chunks::<8>();
        let (head, tail) = (u64::from_le_bytes(words[0]), u64::from_le_bytes(words[1]));
        let entry = &hot[usize::from(slots[prefix_hash(head, tail, multiplier)])];
        let code_at = &mut codes[usize::from(entry.point)];
        if head != entry.head || tail & entry.tail_mask != entry.tail || *code_at != UNSET {
            return pos;
        }
        // After the key's closing quote (a point's key is at most 14 bytes long).
        let after = usize::from(entry.len & 15) + 1;
        let Some(around) = window.get(after..after + 16) else {
            return pos;
        };
        let around = u128::from_le_bytes(around.try_into().unwrap_or([0; 16]));
        if one.fits(around) {
            let grade = ((around as u64) >> one.shift).wrapping_sub(u64::from(b'0')) as u8;
            if grade > entry.max {
                return pos;
            }
            *code_at = grade;
            pos += after + one.len;
            continue;
        }
        // A string: its closing quote among the bytes after its first character.
        let rest = (around >> (text.shift + 8)) as u64;
        let quotes = rest ^ (ONES * u64::from(b'"'));
        let found = quotes.wrapping_sub(ONES) & !quotes & HIGHS;
        let extra = (found.trailing_zeros() / 8) as usize;
        if extra >= LONGEST || !text.fits(collapse(around, text.shift, extra)) {
            return pos;
        }
        let value = (around >> text.shift) as u32;
        let Some(code) = code(value, extra + 1, entry.max) else {
            return pos;
        };
        *code_at = code;
        pos += after + text.len + extra;
    }
}

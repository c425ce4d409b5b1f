//! The usual members of an object that the keyed path reads: a point's key and a value of one
//! character, written as the object's other members are (`"c5RightMotor": "5", "`), read in
//! a loop of their own by comparing the bytes around the value with those of a member read
//! before ([`Gap`]).

use super::{prefix_hash, KeyTable};

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
/// compared with the next members' as one 16-byte word, the value's byte left out.
#[derive(Clone, Copy, Debug)]
pub(super) struct Gap {
    bytes: u128,
    mask: u128,
    /// How many bytes, up to and including the next key's opening quote (0: none learnt).
    len: usize,
    /// Where the value's byte is, in bits (below 64).
    shift: u32,
}

impl Gap {
    pub(super) const NONE: Gap = Gap {
        bytes: 0,
        mask: 0,
        len: 0,
        shift: 0,
    };

    /// Whether one was learnt.
    #[inline(always)]
    pub(super) fn learnt(&self) -> bool {
        self.len != 0
    }

    /// The gap of a member whose key's closing quote ends at `after`, whose value of one
    /// character (a string's or a one-digit number's) is at `at`, and whose next key's opening
    /// quote is at `next`; `None` when it does not fit in a word.
    #[inline(always)]
    pub(super) fn learn(bytes: &[u8], after: usize, at: usize, next: usize) -> Option<Gap> {
        let len = (next + 1).checked_sub(after).filter(|len| *len <= 16)?;
        let offset = at
            .checked_sub(after)
            .filter(|offset| *offset < len.min(8))?;
        let word = u128::from_le_bytes(*bytes.get(after..)?.first_chunk::<16>()?);
        let shift = 8 * offset as u32;
        let mask = (u128::MAX >> (128 - 8 * len)) & !(0xFF << shift);
        Some(Gap {
            bytes: word & mask,
            mask,
            len,
            shift,
        })
    }
}

/// Reads the usual members from `pos` (a key's opening quote) as long as they come: a point's
/// key, not read before, and a grade of one character between the bytes of `gap`; the grades
/// are staged in `codes` (by point, [`UNSET`] for those not read). Returns the position of the
/// first member that is not usual (or of the object's end), for the keyed path to read.
#[inline(always)]
pub(super) fn usual_members(
    keys: &KeyTable,
    bytes: &[u8],
    mut pos: usize,
    gap: &Gap,
    codes: &mut [u8; 256],
) -> usize {
    let (multiplier, slots, hot) = (keys.prefix_multiplier, &*keys.prefix_slots, &*keys.hot);
    loop {
        // The key and the bytes after it: at most 14 bytes of a point's key, its quote and 16.
        let Some(window) = bytes.get(pos + 1..).and_then(|b| b.first_chunk::<32>()) else {
            return pos;
        };
        let (words, _) = window.as_chunks::<8>();
        let (head, tail) = (u64::from_le_bytes(words[0]), u64::from_le_bytes(words[1]));
        let entry = &hot[usize::from(slots[prefix_hash(head, tail, multiplier)])];
        let code = &mut codes[usize::from(entry.point)];
        if head != entry.head || tail & entry.tail_mask != entry.tail || *code != UNSET {
            return pos;
        }
        // After the key's closing quote (a point's key is at most 14 bytes long).
        let after = usize::from(entry.len & 15) + 1;
        let Some(around) = window.get(after..after + 16) else {
            return pos;
        };
        let around = u128::from_le_bytes(around.try_into().unwrap_or([0; 16]));
        if (around ^ gap.bytes) & gap.mask != 0 {
            return pos;
        }
        let grade = ((around as u64) >> gap.shift).wrapping_sub(u64::from(b'0')) as u8;
        if grade > entry.max {
            return pos;
        }
        *code = grade;
        pos += after + gap.len;
    }
}

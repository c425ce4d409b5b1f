//! Keys: each guessed from the one before it, or found in a table of the keys seen, so that a key
//! is parsed only the first time it is seen.

use super::super::{parse_key_bytes, Field, Key, Place, FIELD_COUNT};

/// Files written by a program repeat their keys in the same order exam after exam: each key is
/// guessed from the one before it, and parsed only when the guess is wrong. Files whose objects
/// vary (keys in another order each time, optional keys) miss the guess: their keys are found
/// in a small table of the keys seen so far, so a key is parsed only the first time it is seen
/// and nothing is allocated per member once the keys are known.
#[derive(Debug)]
pub(super) struct KeyGuess {
    /// For each slot (a field's index, then the object's start, `id`, other keys), the key that
    /// followed it last time.
    pub(super) after: Vec<Option<(Vec<u8>, Key)>>,
    /// For each slot, the member that followed it last time when it was a field with a string
    /// value: its bytes from the key's opening quote to the value's opening quote, as written.
    pub(super) member: Vec<Option<Member>>,
    /// The keys seen, by [`key_hash`], open addressing.
    pub(super) seen: Box<[Option<KnownKey>; KEY_TABLE]>,
    /// How many entries `seen` holds (it stops taking new keys at half full).
    pub(super) seen_count: usize,
}

/// A key as written, and what it is.
pub(super) type KnownKey = (Box<[u8]>, Key);

/// Entries of [`KeyGuess::seen`]: a power of two, over twice the number of known keys.
pub(super) const KEY_TABLE: usize = 512;

/// A hash of a key for [`KeyGuess::seen`]: its length and its first and last eight bytes.
#[inline(always)]
pub(super) fn key_hash(key: &[u8]) -> usize {
    let n = key.len();
    let word = |at: usize| {
        let mut w = [0u8; 8];
        let end = n.min(at + 8);
        w[..end - at].copy_from_slice(&key[at..end]);
        u64::from_le_bytes(w)
    };
    let (first, last) = (word(0), word(n.saturating_sub(8)));
    let h = (first ^ last.rotate_left(29) ^ (n as u64)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (h >> 55) as usize
}

/// A field member as it was written: `"c5RightMotor":"`, or `"c5RightMotor": "`.
#[derive(Debug, Clone)]
pub(super) struct Member {
    pub(super) pattern: Vec<u8>,
    pub(super) field: Field,
    pub(super) index: usize,
    pub(super) place: Place,
}

/// Whether `rest` starts with `pattern`, eight bytes at a time.
#[inline(always)]
pub(super) fn starts_with(rest: &[u8], pattern: &[u8]) -> bool {
    let n = pattern.len();
    if rest.len() < n {
        return false;
    }
    if n < 8 {
        return &rest[..n] == pattern;
    }
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap_or([0; 8]));
    let mut at = 0;
    while at + 8 < n {
        if word(rest, at) != word(pattern, at) {
            return false;
        }
        at += 8;
    }
    word(rest, n - 8) == word(pattern, n - 8)
}

/// Equality of two short byte strings, without a call to `memcmp` for the usual key lengths.
#[inline(always)]
pub(super) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if (8..=16).contains(&n) {
        let word =
            |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap_or([0; 8]));
        return word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8);
    }
    a == b
}

pub(super) const START_SLOT: usize = FIELD_COUNT;
pub(super) const ID_SLOT: usize = FIELD_COUNT + 1;
pub(super) const OTHER_SLOT: usize = FIELD_COUNT + 2;

impl KeyGuess {
    pub(super) fn new() -> KeyGuess {
        KeyGuess {
            after: vec![None; FIELD_COUNT + 3],
            member: vec![None; FIELD_COUNT + 3],
            seen: Box::new([const { None }; KEY_TABLE]),
            seen_count: 0,
        }
    }

    #[inline]
    pub(super) fn key(&mut self, previous: usize, key: &[u8]) -> Option<Key> {
        if let Some((bytes, guessed)) = &self.after[previous] {
            if same_bytes(bytes, key) {
                return Some(*guessed);
            }
        }
        let parsed = self.lookup(key)?;
        match &mut self.after[previous] {
            Some((bytes, guessed)) => {
                bytes.clear();
                bytes.extend_from_slice(key);
                *guessed = parsed;
            }
            empty => *empty = Some((key.to_vec(), parsed)),
        }
        Some(parsed)
    }

    /// The key from the table of keys seen, or parsed (and added) the first time.
    #[inline]
    pub(super) fn lookup(&mut self, key: &[u8]) -> Option<Key> {
        let mut i = key_hash(key);
        loop {
            match &self.seen[i] {
                Some((bytes, known)) if same_bytes(bytes, key) => return Some(*known),
                Some(_) => i = (i + 1) % KEY_TABLE,
                None => break,
            }
        }
        let parsed = parse_key_bytes(key)?;
        if self.seen_count < KEY_TABLE / 2 {
            self.seen[i] = Some((key.into(), parsed));
            self.seen_count += 1;
        }
        Some(parsed)
    }

    /// Remembers the field member that followed `slot`, reusing the last one's buffer.
    #[inline]
    pub(super) fn remember_member(&mut self, slot: usize, pattern: &[u8], field: Field) {
        match &mut self.member[slot] {
            Some(m) if m.field == field && same_bytes(&m.pattern, pattern) => {}
            Some(m) => {
                m.pattern.clear();
                m.pattern.extend_from_slice(pattern);
                m.field = field;
                m.index = field.index();
                m.place = field.place();
            }
            empty => {
                *empty = Some(Member {
                    pattern: pattern.to_vec(),
                    field,
                    index: field.index(),
                    place: field.place(),
                })
            }
        }
    }

    pub(super) fn slot(key: Option<Key>) -> usize {
        match key {
            Some(Key::Field(f)) => f.index(),
            Some(Key::Id) => ID_SLOT,
            _ => OTHER_SLOT,
        }
    }
}

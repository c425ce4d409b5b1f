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
/// [`KeyTable::find_at`] compares them, and its point and highest grade.
#[derive(Clone, Copy, Debug)]
pub(super) struct Hot {
    pub(super) head: u64,
    pub(super) tail: u64,
    pub(super) tail_mask: u64,
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
    /// Where the value's byte is, in bits (below 32: the value's four bytes and those after
    /// them are in the first word).
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
        let offset = at.checked_sub(after).filter(|offset| *offset < 4)?;
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

/// Where the first `"` is among the four bytes of `word` (4 when none).
#[inline(always)]
fn quote_in(word: u32) -> usize {
    let quotes = word ^ 0x2222_2222;
    let found = quotes.wrapping_sub(0x0101_0101) & !quotes & 0x8080_8080;
    (found.trailing_zeros() / 8) as usize
}

/// The codes of the point values of up to [`LONGEST`] characters (`5`, `0*`, `NT**`), each in
/// a slot of its own by a hash of its bytes and length, for a key muscle's and a dermatome's.
#[derive(Debug)]
pub(super) struct ValueCodes {
    multiplier: u64,
    /// The value's bytes and length ([`value_key`]), and its codes by the point's highest
    /// grade (5 or 2; [`UNSET`] when not a value of such a point).
    slots: Box<[(u64, [u8; 8]); 64]>,
}

/// A value's first `n` bytes (the others zero) and `n`, as one word.
#[inline(always)]
fn value_key(value: u32, n: usize) -> u64 {
    u64::from(value) | (n as u64) << 32
}

impl ValueCodes {
    pub(super) fn new() -> ValueCodes {
        let mut values = vec![b"NT".to_vec(), b"NT*".to_vec(), b"NT**".to_vec()];
        for digit in b'0'..=b'5' {
            values.extend([vec![digit], vec![digit, b'*'], vec![digit, b'*', b'*']]);
        }
        let entries: Vec<(u64, [u8; 8])> = values
            .iter()
            .map(|value| {
                let mut bytes = [0u8; 4];
                bytes[..value.len()].copy_from_slice(value);
                let mut codes = [UNSET; 8];
                codes[5] = MotorValue::parse_bytes(value).map_or(UNSET, |v| v.code());
                codes[2] = SensoryValue::parse_bytes(value).map_or(UNSET, |v| v.code());
                (value_key(u32::from_le_bytes(bytes), value.len()), codes)
            })
            .collect();
        // Multipliers are tried until every value has a slot of its own (the unit tests check
        // that one is found); a slot no value takes has a key no value has (length 0).
        let mut slots = Box::new([(0, [UNSET; 8]); 64]);
        let mut multiplier = 0;
        for attempt in 0..10_000u64 {
            multiplier =
                (0x9E37_79B9_7F4A_7C15u64 ^ attempt.wrapping_mul(0xBF58_476D_1CE4_E5B9)) | 1;
            slots.fill((0, [UNSET; 8]));
            let mut collided = false;
            for &(key, codes) in &entries {
                let slot = &mut slots[ValueCodes::slot(key, multiplier)];
                collided |= slot.0 != 0;
                *slot = (key, codes);
            }
            if !collided {
                break;
            }
        }
        ValueCodes { multiplier, slots }
    }

    #[inline(always)]
    fn slot(key: u64, multiplier: u64) -> usize {
        (key.wrapping_mul(multiplier) >> 58) as usize
    }

    /// The code of the value of `n` characters (1 to 4) whose bytes start `value` (the
    /// others zero) at a point whose highest grade is `max`; [`UNSET`] when not one of its.
    #[inline(always)]
    pub(super) fn code(&self, value: u32, n: usize, max: u8) -> u8 {
        let key = value_key(value, n);
        let (known, codes) = &self.slots[ValueCodes::slot(key, self.multiplier)];
        if *known == key {
            codes[usize::from(max & 7)]
        } else {
            UNSET
        }
    }

    /// How many values have a slot of their own.
    #[cfg(test)]
    pub(super) fn placed(&self) -> usize {
        self.slots.iter().filter(|s| s.0 != 0).count()
    }
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
    let (multiplier, slots, hot) = (keys.prefix_multiplier, &*keys.prefix_slots, &*keys.hot);
    let values = &keys.values;
    let (one, text) = (&gaps.one, &gaps.text);
    loop {
        // The key and the bytes after it: at most 14 bytes of a point's key, its quote and 16.
        let Some(window) = bytes.get(pos + 1..).and_then(|b| b.first_chunk::<32>()) else {
            return pos;
        };
        let (words, _) = window.as_chunks::<8>();
        let (head, tail) = (u64::from_le_bytes(words[0]), u64::from_le_bytes(words[1]));
        // The key's closing quote: after 11 to 14 bytes for a point's key (which the entry
        // checks). Found from the bytes rather than from the key's entry, so that the next
        // member's position does not wait for the table.
        let after = 12 + quote_in((tail >> 24) as u32);
        let entry = &hot[usize::from(slots[prefix_hash(head, tail, multiplier)])];
        let code_at = &mut codes[usize::from(entry.point)];
        if head != entry.head || tail & entry.tail_mask != entry.tail || *code_at != UNSET {
            return pos;
        }
        let Some(around) = window.get(after..after + 16) else {
            return pos;
        };
        let around = u128::from_le_bytes(around.try_into().unwrap_or([0; 16]));
        let first = around as u64;
        if one.fits(around) {
            let grade = (first >> one.shift).wrapping_sub(u64::from(b'0')) as u8;
            if grade > entry.max {
                return pos;
            }
            *code_at = grade;
            pos += after + one.len;
            continue;
        }
        // A string: its closing quote among the bytes after its first character.
        let extra = quote_in((first >> (text.shift + 8)) as u32);
        if extra >= LONGEST || !text.fits(collapse(around, text.shift, extra)) {
            return pos;
        }
        let value = (first >> text.shift) as u32 & (u32::MAX >> (24 - 8 * extra));
        let code = values.code(value, extra + 1, entry.max);
        if code == UNSET {
            return pos;
        }
        *code_at = code;
        pos += after + text.len + extra;
    }
}

#[cfg(test)]
mod tests {
    use super::super::{short_value, KEYS};
    use super::*;
    use crate::flat::Field;

    fn point(key: &str) -> usize {
        let field = Field::parse(key).expect("a field");
        usize::from(field.place().point().expect("a point").0)
    }

    /// Learns the gaps from the first member of `members` (a point's, as the keyed path reads
    /// it), then reads the others by [`usual_members`]: where it stops, and the codes.
    fn usual(members: &str) -> (usize, [u8; 256]) {
        let bytes = members.as_bytes();
        let (entry, after) = KEYS.find_at(bytes, 0).expect("a key");
        let mut gaps = Gaps {
            one: Gap::NONE,
            text: Gap::NONE,
        };
        // The keyed path learns from values right after the colon (with a space or not).
        let next = match short_value(bytes, after) {
            Some((_, at, n, end)) => {
                let next = end + members[end..].find('"').expect("a next member");
                gaps.learn(bytes, after, at, n, next);
                next
            }
            None => {
                let comma = after + members[after..].find(',').expect("a next member");
                comma + members[comma..].find('"').expect("a next member")
            }
        };
        let mut codes = [UNSET; 256];
        codes[usize::from(NO_POINT)] = 0;
        // The first member's, read.
        let first = entry
            .field
            .and_then(|f| f.place().point())
            .expect("a point");
        codes[usize::from(first.0)] = 0;
        (usual_members(&KEYS, bytes, next, &gaps, &mut codes), codes)
    }

    fn motor(value: &str) -> u8 {
        MotorValue::parse(value).expect("a motor value").code()
    }

    fn sensory(value: &str) -> u8 {
        SensoryValue::parse(value).expect("a sensory value").code()
    }

    /// The members of an object written with `colon` and `comma`, values as numbers or strings.
    fn written(members: &[(&str, &str)], colon: &str, comma: &str, numbers: bool) -> String {
        let member = |(k, v): &(&str, &str)| {
            if numbers && v.len() == 1 {
                format!("\"{k}\"{colon}{v}")
            } else {
                format!("\"{k}\"{colon}\"{v}\"")
            }
        };
        let members: Vec<String> = members.iter().map(member).collect();
        format!("{}}}", members.join(comma))
    }

    const MEMBERS: [(&str, &str); 8] = [
        ("c5RightMotor", "5"),
        ("t2LeftTouch", "2"),
        ("c6RightMotor", "NT*"),
        ("s4_5LeftPrick", "1*"),
        ("c7RightMotor", "0**"),
        ("t12RightTouch", "0"),
        ("l2LeftMotor", "NT"),
        ("c8RightMotor", "4"),
    ];

    #[test]
    fn point_keys_end_where_the_loop_looks_for_their_quote() {
        // 11 to 14 bytes: the closing quote among the bytes 3 to 6 of the key's second word.
        for field in Field::all().filter(|f| f.place().point().is_some()) {
            assert!((11..=14).contains(&field.name().len()), "{field}");
        }
    }

    #[test]
    fn every_short_value_has_its_code_and_others_none() {
        let values = &KEYS.values;
        assert_eq!(
            values.placed(),
            21,
            "six grades, each with one or two stars, and NT's three"
        );
        let code = |text: &[u8], max: u8| {
            let mut bytes = [0u8; 4];
            bytes[..text.len()].copy_from_slice(text);
            values.code(u32::from_le_bytes(bytes), text.len(), max)
        };
        let mut texts: Vec<Vec<u8>> = Vec::new();
        for a in [b'0', b'2', b'5', b'6', b'N', b'T', b'*', b' ', 0] {
            texts.push(vec![a]);
            for b in [b'*', b'T', b'0', 0] {
                texts.push(vec![a, b]);
                for c in [b'*', 0, b'"'] {
                    texts.push(vec![a, b, c]);
                    texts.push(vec![a, b, c, b'*']);
                    texts.push(vec![a, b, c, 0]);
                }
            }
        }
        for text in &texts {
            let motor = MotorValue::parse_bytes(text).map_or(UNSET, |v| v.code());
            let sensory = SensoryValue::parse_bytes(text).map_or(UNSET, |v| v.code());
            assert_eq!(code(text, 5), motor, "{text:?}");
            assert_eq!(code(text, 2), sensory, "{text:?}");
        }
    }

    #[test]
    fn members_written_alike_are_read_in_any_style() {
        for (colon, comma) in [
            (":", ","),
            (": ", ", "),
            (": ", ",\r\n "),
            (":", ",\n\t\t"),
            (" : ", " , "),
        ] {
            for numbers in [false, true] {
                let text = written(&MEMBERS, colon, comma, numbers);
                let (stop, codes) = usual(&text);
                // The last member, before the `}`, is left to the keyed path; so is the first
                // string after numbers, with no string read before to learn from, and every
                // member with a space before its colon (no gap learnt).
                let expected = match (colon, numbers) {
                    (" : ", _) => "t2LeftTouch",
                    (_, true) => "c6RightMotor",
                    _ => "c8RightMotor",
                };
                let at = text.find(&format!("\"{expected}\"")).unwrap_or(0);
                assert_eq!(stop, at, "{text}");
                if colon == " : " {
                    assert_eq!(codes[point("t2LeftTouch")], UNSET, "{text}");
                    continue;
                }
                assert_eq!(codes[point("t2LeftTouch")], 2, "{text}");
                if !numbers {
                    assert_eq!(codes[point("c6RightMotor")], motor("NT*"), "{text}");
                    assert_eq!(codes[point("s4_5LeftPrick")], sensory("1*"), "{text}");
                    assert_eq!(codes[point("c7RightMotor")], motor("0**"), "{text}");
                    assert_eq!(codes[point("t12RightTouch")], 0, "{text}");
                    assert_eq!(codes[point("l2LeftMotor")], motor("NT"), "{text}");
                }
                assert_eq!(codes[point("c8RightMotor")], UNSET, "{text}");
            }
        }
    }

    #[test]
    fn anything_unusual_is_left_to_the_keyed_path() {
        for (numbers, unusual) in [
            (false, r#""c5RightMotor":"4""#),
            (false, r#""t2LeftTouch":"3""#),
            (false, r#""t2LeftTouch":"NT***""#),
            (false, r#""t2LeftTouch":"N\u0054""#),
            (false, r#""t2LeftTouch":"\u0032""#),
            (false, r#""t2LeftTouch":"2\"""#),
            (false, r#""t2LeftTouch":"""#),
            (false, r#""t2LeftTouch":"*""#),
            (false, r#""t2LeftTouch":"NT* ""#),
            (false, r#""t2LeftTouch":"2*""#),
            (false, r#""c6LeftMotor":"5**""#),
            (false, r#""t2LeftTouch": "2""#),
            (false, r#""t2LeftTouch":2"#),
            (false, r#""t2LeftTouch":"2" "#),
            (false, r#""t2LeftTouch":null"#),
            (false, r#""analContraction":"No""#),
            (false, r#""rightLowestNonKeyMuscleWithMotorFunction":"0""#),
            (false, r#""id":"5""#),
            (false, r#""note":"5""#),
            (false, r#""c5RightMotorX":"5""#),
            (false, r#""c5RightMoto":"5""#),
            (false, r#""c5Right\u004dotor":"5""#),
            (true, r#""c5RightMotor":4"#),
            (true, r#""t2LeftTouch":3"#),
            (true, r#""t2LeftTouch":12"#),
            (true, r#""t2LeftTouch":1.5"#),
            (true, r#""t2LeftTouch":-1"#),
            (true, r#""t2LeftTouch":1e0"#),
            (true, r#""t2LeftTouch":"2""#),
            (true, r#""t2LeftTouch":"NT""#),
        ] {
            // A usual member, the unusual one, and usual members again.
            let first = if numbers {
                r#""c5RightMotor":5,"c6RightMotor":5,"#
            } else {
                r#""c5RightMotor":"5","c6RightMotor":"5","#
            };
            let rest = if numbers {
                r#","c7RightMotor":5,"c8RightMotor":5}"#
            } else {
                r#","c7RightMotor":"5","c8RightMotor":"5"}"#
            };
            let text = format!("{first}{unusual}{rest}");
            let (stop, codes) = usual(&text);
            assert_eq!(stop, first.len(), "{text}");
            assert_eq!(codes[point("c6RightMotor")], 5, "{text}");
            assert_eq!(codes[point("c7RightMotor")], UNSET, "{text}");
        }
    }

    #[test]
    fn near_the_end_of_the_input_members_are_left_to_the_keyed_path() {
        let text = r#""c5RightMotor":"5","c6RightMotor":"4","c7RightMotor":"3"}"#;
        let (c6, c7) = (
            text.find("\"c6").unwrap_or(0),
            text.find("\"c7").unwrap_or(0),
        );
        // From the first member's value and the next key's quote, which teach the gaps.
        for cut in c6 + 4..=text.len() {
            let (stop, codes) = usual(&text[..cut]);
            // A member is read when the 32 bytes after its key's opening quote are there.
            let taken = cut > c6 + 32;
            assert_eq!(stop, if taken { c7 } else { c6 }, "{cut}");
            assert_eq!(codes[point("c6RightMotor")] == 4, taken, "{cut}");
        }
        // The gaps none learnt take nothing.
        let mut codes = [UNSET; 256];
        let none = Gaps {
            one: Gap::NONE,
            text: Gap::NONE,
        };
        let members: &[u8] =
            b"\"c5RightMotor\"\xFF5\",\"c6RightMotor\":\"NT\",\"c7RightMotor\":5,      ";
        assert_eq!(usual_members(&KEYS, members, 0, &none, &mut codes), 0);
    }
}

//! ISBT 128 donation identification numbers (DINs) and their check character.
//!
//! A DIN is 13 characters `αppppyynnnnnn`: the facility (`α` then four digits), the year (two
//! digits) and a sequence number (six digits). Labels print it with a check character computed
//! by ISO/IEC 7064 MOD 37-2 over those 13 characters, so that a DIN typed or read by hand with
//! one wrong character, or two neighbours swapped, is caught.
//!
//! MOD 37-2 values the characters `0`–`9` as 0–9, `A`–`Z` as 10–35 and `*` as 36. Running
//! `c ← (2c + v) mod 37` over the characters from the left, the check character's value is
//! `(1 − 2c) mod 37`: then the string with its check character appended sums to 1 modulo 37
//! with weights doubling from the right.

use std::fmt;

/// The characters of MOD 37-2, by value.
const ALPHABET: &[u8; 37] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*";
/// The length of a DIN without flags or check character.
pub const DIN_LENGTH: usize = 13;
const FACILITY_FIRST: &str = "A–N, P–Z or 1–9";

/// A well-formed DIN: 13 characters, spaces removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Din(String);

/// Why a DIN was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DinError {
    /// Not 13 characters once spaces are removed.
    #[error(
        "DIN {din:?}: must be {DIN_LENGTH} characters (facility, year, sequence), found {found}"
    )]
    Length {
        /// The DIN as given.
        din: String,
        /// How many characters it has.
        found: usize,
    },
    /// A character not allowed where it stands.
    #[error("DIN {din:?}: character {position} is {found:?}, allowed: {allowed}")]
    Character {
        /// The DIN as given.
        din: String,
        /// Where, counting from 1 after spaces are removed.
        position: usize,
        /// The character found.
        found: char,
        /// The characters allowed there.
        allowed: &'static str,
    },
}

impl Din {
    /// Reads a DIN as printed or typed: spaces are ignored (labels group the parts); letters
    /// must be capitals.
    pub fn parse(text: &str) -> Result<Din, DinError> {
        let compact: String = text.chars().filter(|c| *c != ' ').collect();
        let count = compact.chars().count();
        if count != DIN_LENGTH {
            return Err(DinError::Length {
                din: text.to_owned(),
                found: count,
            });
        }
        for (i, c) in compact.chars().enumerate() {
            let (ok, allowed) = if i == 0 {
                let ok = matches!(c, 'A'..='N' | 'P'..='Z' | '1'..='9');
                (ok, FACILITY_FIRST)
            } else {
                (c.is_ascii_digit(), "0–9")
            };
            if !ok {
                return Err(DinError::Character {
                    din: text.to_owned(),
                    position: i + 1,
                    found: c,
                    allowed,
                });
            }
        }
        Ok(Din(compact))
    }

    /// The 13 characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The ISO/IEC 7064 MOD 37-2 check character printed beside the DIN.
    pub fn check_character(&self) -> char {
        mod37_2(self.0.as_bytes())
    }
}

impl fmt::Display for Din {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The value of a MOD 37-2 character, if it is one.
fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|a| *a == c).map(|v| v as u32)
}

/// The MOD 37-2 check character over `chars` (each in `0-9A-Z*`; others are not expected, and a
/// [`Din`] never holds one).
fn mod37_2(chars: &[u8]) -> char {
    let c = chars
        .iter()
        .fold(0u32, |c, &ch| (2 * c + value(ch).unwrap_or(0)) % 37);
    // (1 − 2c) mod 37, kept non-negative.
    let check = (1 + 37 * 2 - 2 * c) % 37;
    char::from(ALPHABET[check as usize])
}

/// Whether `chars` followed by its check character passes MOD 37-2: the weighted sum, weights
/// doubling from the right starting at 1 for the check character, is 1 modulo 37.
pub fn passes(chars_and_check: &str) -> bool {
    let mut sum = 0u32;
    for ch in chars_and_check.bytes() {
        match value(ch) {
            Some(v) => sum = (2 * sum + v) % 37,
            None => return false,
        }
    }
    sum == 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_domain_briefs_vectors() {
        assert_eq!(Din::parse("G123498654321").unwrap().check_character(), 'H');
        assert_eq!(Din::parse("G123489654321").unwrap().check_character(), 'Y');
        assert!(passes("G123498654321H"));
        assert!(!passes("G123498654321Y"));
    }

    #[test]
    fn spaces_are_ignored_and_malformed_dins_are_named() {
        let din = Din::parse("G1234 98 654321").unwrap();
        assert_eq!(din.as_str(), "G123498654321");
        assert_eq!(
            Din::parse("G12349865432").unwrap_err().to_string(),
            "DIN \"G12349865432\": must be 13 characters (facility, year, sequence), found 12"
        );
        assert_eq!(
            Din::parse("O123498654321").unwrap_err(),
            DinError::Character {
                din: "O123498654321".into(),
                position: 1,
                found: 'O',
                allowed: FACILITY_FIRST
            }
        );
        let lower = Din::parse("g123498654321").unwrap_err().to_string();
        assert!(lower.contains("character 1 is 'g'"), "{lower}");
        let letter = Din::parse("G1234986543X1").unwrap_err().to_string();
        assert!(
            letter.contains("character 12 is 'X', allowed: 0–9"),
            "{letter}"
        );
        assert!(matches!(
            Din::parse("G12349865432١"),
            Err(DinError::Character { position: 13, .. })
        ));
    }

    fn din() -> impl Strategy<Value = String> {
        ("[A-NP-Z1-9]", "[0-9]{12}").prop_map(|(a, b)| format!("{a}{b}"))
    }

    proptest! {
        /// The check character makes the string pass, and catches every single substitution
        /// and every swap of two different neighbours.
        #[test]
        fn check_character_catches_substitutions_and_swaps(din in din(), at in 0usize..13, to in 0u8..10) {
            let parsed = Din::parse(&din).unwrap();
            let check = parsed.check_character();
            let good = format!("{din}{check}");
            prop_assert!(passes(&good), "{}", good);

            let mut wrong = din.clone().into_bytes();
            let replacement = if at == 0 { b"ABCDEFGHJK"[to as usize] } else { b'0' + to };
            if wrong[at] != replacement {
                wrong[at] = replacement;
                let wrong = String::from_utf8(wrong).unwrap();
                let bad = format!("{wrong}{check}");
                prop_assert!(!passes(&bad), "{}", bad);
            }

            let mut swapped = din.clone().into_bytes();
            if at < 12 && swapped[at] != swapped[at + 1] {
                swapped.swap(at, at + 1);
                let swapped = String::from_utf8(swapped).unwrap();
                let bad = format!("{swapped}{check}");
                prop_assert!(!passes(&bad), "{}", bad);
            }
        }

        /// No input panics; whatever parses is 13 characters of the allowed kinds.
        #[test]
        fn fuzz_din_parse(text in "\\PC{0,20}") {
            if let Ok(din) = Din::parse(&text) {
                prop_assert_eq!(din.as_str().len(), DIN_LENGTH);
                let _ = din.check_character();
            }
        }
    }
}

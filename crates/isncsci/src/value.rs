//! The values an examiner records: motor grades, sensory scores and the anorectal exam.
//!
//! Grammar (the flat layout of the conformance file and the ASIA worksheet):
//! - motor: `0`–`5`, `0*`–`4*`, `0**`–`4**`, `NT`, `NT*`, `NT**`;
//! - sensory: `0`–`2`, `0*`, `1*`, `0**`, `1**`, `NT`, `NT*`, `NT**`;
//! - anal contraction and deep anal pressure: `Yes`, `No`, `NT`.
//!
//! `*` marks a value impaired by a condition other than the spinal cord injury, to be taken as
//! abnormal; `**` marks such a value that the examiner says is to be taken as normal for
//! classification.

use std::fmt;

/// The allowed motor values, as written in error messages.
pub const MOTOR_ALLOWED: &str = "0-5, 0*-4*, 0**-4**, NT, NT*, NT**";
/// The allowed sensory values, as written in error messages.
pub const SENSORY_ALLOWED: &str = "0, 1, 2, 0*, 1*, 0**, 1**, NT, NT*, NT**";
/// The allowed anorectal values, as written in error messages.
pub const ANAL_ALLOWED: &str = "Yes, No, NT";

/// A value's non-SCI flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flag {
    /// No flag: the value reflects the spinal cord injury.
    None,
    /// `*`: impaired by a non-SCI condition, taken as abnormal.
    NonSci,
    /// `**`: impaired by a non-SCI condition, taken as normal for classification.
    NonSciNormal,
}

/// The grade stored for "not testable". A value is one byte: the grade in the low four bits,
/// the flag (0 none, 1 `*`, 2 `**`) above them.
const NT: u8 = 0x0F;

/// A key muscle's grade: 0 (total paralysis) to 5 (normal), or not testable, with its flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MotorValue(u8);

/// A dermatome's light-touch or pin-prick score: 0 (absent), 1 (altered), 2 (normal), or not
/// testable, with its flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SensoryValue(u8);

macro_rules! graded_value {
    ($ty:ident, $max:expr) => {
        impl $ty {
            /// Not testable, without a flag.
            pub const NT: $ty = $ty::pack(NT, Flag::None);
            /// The normal value.
            pub const NORMAL: $ty = $ty::pack($max, Flag::None);

            /// A value from its grade (`None` for not testable) and flag; `None` when the
            /// combination is outside the grammar (a grade above the maximum, or a flag on the
            /// normal grade).
            pub const fn new(grade: Option<u8>, flag: Flag) -> Option<$ty> {
                match grade {
                    None => Some($ty::pack(NT, flag)),
                    Some(g) if g < $max => Some($ty::pack(g, flag)),
                    Some(g) if g == $max && matches!(flag, Flag::None) => Some($ty::pack(g, flag)),
                    Some(_) => None,
                }
            }

            /// Parses a value of the grammar; `None` for anything else.
            pub fn parse(text: &str) -> Option<$ty> {
                $ty::parse_bytes(text.as_bytes())
            }

            /// [`Self::parse`] on bytes.
            #[inline(always)]
            pub fn parse_bytes(text: &[u8]) -> Option<$ty> {
                let (grade, flag) = match *text {
                    [d] => (d.wrapping_sub(b'0'), Flag::None),
                    [d, b'*'] => (d.wrapping_sub(b'0'), Flag::NonSci),
                    [d, b'*', b'*'] => (d.wrapping_sub(b'0'), Flag::NonSciNormal),
                    [b'N', b'T'] => return Some($ty::pack(NT, Flag::None)),
                    [b'N', b'T', b'*'] => return Some($ty::pack(NT, Flag::NonSci)),
                    [b'N', b'T', b'*', b'*'] => return Some($ty::pack(NT, Flag::NonSciNormal)),
                    _ => return None,
                };
                $ty::new(Some(grade), flag)
            }

            const fn pack(grade: u8, flag: Flag) -> $ty {
                $ty(grade | (flag as u8) << 4)
            }

            #[inline(always)]
            const fn g(self) -> u8 {
                self.0 & 0x0F
            }

            #[inline(always)]
            const fn f(self) -> Flag {
                match self.0 >> 4 {
                    0 => Flag::None,
                    1 => Flag::NonSci,
                    _ => Flag::NonSciNormal,
                }
            }

            /// The grade, or `None` when not testable.
            pub const fn grade(self) -> Option<u8> {
                if self.g() == NT {
                    None
                } else {
                    Some(self.g())
                }
            }

            /// The value's one-byte code, for readers that stage values in bulk.
            #[inline(always)]
            pub(crate) const fn code(self) -> u8 {
                self.0
            }

            /// The value of a code from [`Self::code`], or of a grade from 0 to the maximum
            /// (the code of a grade without a flag is the grade).
            #[inline(always)]
            pub(crate) const fn from_code(code: u8) -> $ty {
                $ty(code)
            }

            /// The grade as stored (any number when not testable), and whether it is not testable.
            #[inline]
            pub(crate) const fn raw(self) -> (u8, bool) {
                (self.g(), self.g() == NT)
            }

            /// The non-SCI flag.
            pub const fn flag(self) -> Flag {
                self.f()
            }

            /// True when not testable (with or without a flag).
            pub const fn is_nt(self) -> bool {
                self.g() == NT
            }

            /// True for the normal grade without a flag.
            pub const fn is_normal(self) -> bool {
                self.g() == $max
            }

            /// True when the value carries `*` or `**`.
            pub const fn is_flagged(self) -> bool {
                self.0 >> 4 != 0
            }

            /// Every value of the grammar.
            pub fn all() -> impl Iterator<Item = $ty> {
                let grades = (0..=$max).map(Some).chain(std::iter::once(None));
                grades.flat_map(|g| {
                    [Flag::None, Flag::NonSci, Flag::NonSciNormal]
                        .into_iter()
                        .filter_map(move |f| $ty::new(g, f))
                })
            }

            /// The same value without its flag (the grade as recorded).
            pub const fn unflagged(self) -> $ty {
                $ty::pack(self.g(), Flag::None)
            }

            pub(crate) const fn is_plain(self) -> bool {
                self.0 >> 4 == 0
            }
            pub(crate) const fn is_star(self) -> bool {
                self.0 >> 4 == 1
            }
            pub(crate) const fn is_double_star(self) -> bool {
                self.0 >> 4 == 2
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

graded_value!(MotorValue, 5);
graded_value!(SensoryValue, 2);

#[rustfmt::skip]
const MOTOR_TEXT: [[&str; 3]; 7] = [
    ["0", "0*", "0**"], ["1", "1*", "1**"], ["2", "2*", "2**"], ["3", "3*", "3**"],
    ["4", "4*", "4**"], ["5", "5*", "5**"], ["NT", "NT*", "NT**"],
];

impl MotorValue {
    /// The value as written in the flat layout.
    pub const fn as_str(self) -> &'static str {
        let row = if self.g() == NT { 6 } else { self.g() as usize };
        MOTOR_TEXT[row][self.f() as usize]
    }

    // Classes of values that the classification rules tell apart.

    /// `0`, `1`, `2`: below antigravity strength from the injury.
    pub(crate) const fn weak(self) -> bool {
        self.g() < 3 && self.is_plain()
    }
    /// `0*`, `1*`, `2*`, `NT*`: weak or untestable for a non-SCI reason, taken as abnormal.
    pub(crate) const fn weak_or_nt_non_sci(self) -> bool {
        self.is_star() && (self.g() < 3 || self.g() == NT)
    }
    /// `3`, `4`, `3*`, `4*`: antigravity but not normal.
    pub(crate) const fn partial(self) -> bool {
        (self.g() == 3 || self.g() == 4) && !self.is_double_star()
    }
    /// `5` and every `**` value: counted as normal.
    pub(crate) const fn counted_normal(self) -> bool {
        self.g() == 5 || self.is_double_star()
    }
    /// `0**`, `1**`, `2**`: weak, counted as normal.
    pub(crate) const fn weak_counted_normal(self) -> bool {
        self.g() < 3 && self.is_double_star()
    }
    /// `NT` without a flag.
    pub(crate) const fn plain_nt(self) -> bool {
        self.g() == NT && self.is_plain()
    }
    /// `0`, `0*`, `0**`.
    pub(crate) const fn zero(self) -> bool {
        self.g() == 0
    }
    /// `0`, `0*`, `NT`, `NT*`: there may be no motor function.
    pub(crate) const fn may_be_absent(self) -> bool {
        (self.g() == 0 || self.g() == NT) && !self.is_double_star()
    }
    /// `0*`, `1*`, `2*`: weak for a non-SCI reason.
    pub(crate) const fn weak_non_sci(self) -> bool {
        self.g() < 3 && self.is_star()
    }
    /// `0` without a flag.
    pub(crate) const fn absent_plain(self) -> bool {
        self.g() == 0 && self.is_plain()
    }
    /// `NT`, `NT*`.
    pub(crate) const fn nt_not_counted_normal(self) -> bool {
        self.g() == NT && !self.is_double_star()
    }
}

#[rustfmt::skip]
const SENSORY_TEXT: [[&str; 3]; 4] = [
    ["0", "0*", "0**"], ["1", "1*", "1**"], ["2", "2*", "2**"], ["NT", "NT*", "NT**"],
];

impl SensoryValue {
    /// The value as written in the flat layout.
    pub const fn as_str(self) -> &'static str {
        let row = if self.g() == NT { 3 } else { self.g() as usize };
        SENSORY_TEXT[row][self.f() as usize]
    }

    /// `0`, `1`, `0*`, `1*`: absent or altered, taken as abnormal.
    pub(crate) const fn abnormal(self) -> bool {
        self.g() < 2 && !self.is_double_star()
    }
    /// `0**`, `1**`: absent or altered, counted as normal.
    pub(crate) const fn abnormal_counted_normal(self) -> bool {
        self.g() < 2 && self.is_double_star()
    }
    /// `0`, `NT`, `0*`, `NT*`: may be absent.
    pub(crate) const fn may_be_absent(self) -> bool {
        (self.g() == 0 || self.g() == NT) && !self.is_double_star()
    }
    /// `0` without a flag.
    pub(crate) const fn absent(self) -> bool {
        self.g() == 0 && self.is_plain()
    }
    /// `NT` without a flag.
    pub(crate) const fn plain_nt(self) -> bool {
        self.g() == NT && self.is_plain()
    }
    /// `NT*`.
    pub(crate) const fn nt_non_sci(self) -> bool {
        self.g() == NT && self.is_star()
    }
}

/// Voluntary anal contraction or deep anal pressure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Anal {
    /// Present.
    Yes,
    /// Absent.
    No,
    /// Not testable.
    NT,
}

impl Anal {
    /// Parses `Yes`, `No` or `NT` (exactly as written).
    pub fn parse(text: &str) -> Option<Anal> {
        Anal::parse_bytes(text.as_bytes())
    }

    /// [`Anal::parse`] on bytes.
    pub fn parse_bytes(text: &[u8]) -> Option<Anal> {
        match text {
            b"Yes" => Some(Anal::Yes),
            b"No" => Some(Anal::No),
            b"NT" => Some(Anal::NT),
            _ => None,
        }
    }

    /// The value as written in the flat layout.
    pub const fn as_str(self) -> &'static str {
        match self {
            Anal::Yes => "Yes",
            Anal::No => "No",
            Anal::NT => "NT",
        }
    }
}

impl fmt::Display for Anal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar_sizes() {
        assert_eq!(MotorValue::all().count(), 19);
        assert_eq!(SensoryValue::all().count(), 10);
    }

    #[test]
    fn every_value_round_trips() {
        for v in MotorValue::all() {
            assert_eq!(MotorValue::parse(v.as_str()), Some(v), "{v}");
        }
        for v in SensoryValue::all() {
            assert_eq!(SensoryValue::parse(v.as_str()), Some(v), "{v}");
        }
    }

    #[test]
    fn outside_the_grammar_is_refused() {
        for bad in ["5*", "5**", "6", "", "nt", "NT***", "-1", "3 ", "*", "10"] {
            assert_eq!(MotorValue::parse(bad), None, "{bad:?}");
        }
        for bad in ["2*", "2**", "3", "", "NT ", "0***"] {
            assert_eq!(SensoryValue::parse(bad), None, "{bad:?}");
        }
        assert_eq!(Anal::parse("yes"), None);
    }

    #[test]
    fn classes_partition_the_motor_grammar() {
        for v in MotorValue::all() {
            let classes = [
                v.weak(),
                v.weak_or_nt_non_sci(),
                v.partial(),
                v.counted_normal(),
                v.plain_nt(),
            ];
            assert_eq!(classes.iter().filter(|c| **c).count(), 1, "{v}");
        }
    }

    #[test]
    fn sensory_classes() {
        let abnormal: Vec<_> = SensoryValue::all()
            .filter(|v| v.abnormal())
            .map(|v| v.as_str())
            .collect();
        assert_eq!(abnormal, ["0", "0*", "1", "1*"]);
        let absent: Vec<_> = SensoryValue::all()
            .filter(|v| v.may_be_absent())
            .map(|v| v.as_str())
            .collect();
        assert_eq!(absent, ["0", "0*", "NT", "NT*"]);
    }
}

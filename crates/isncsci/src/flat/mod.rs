//! The flat exam layout of the ISNCSCI conformance file: one key per point (`c5RightMotor`,
//! `t10LeftTouch`, `s4_5RightPrick`), `analContraction`, `analSensation` and the optional
//! `rightLowestNonKeyMuscleWithMotorFunction` / `leftLowestNonKeyMuscleWithMotorFunction`.
//!
//! The annotations `id`, `group`, `comments`, `note`, `check` and `totals`, and the 25 result
//! keys of [`crate::Classification::KEYS`] written beside an exam, are accepted and ignored by
//! the exam; readers keep `id` to name the exam in messages.

pub mod json;

use std::fmt;

use crate::exam::Exam;
use crate::level::{Level, MotorLevel, Side};
use crate::value::{Anal, MotorValue, SensoryValue, ANAL_ALLOWED, MOTOR_ALLOWED, SENSORY_ALLOWED};

/// The allowed values of a lowest non-key muscle, as written in error messages.
pub const NON_KEY_ALLOWED: &str = "0 (none) or a level such as C5, C8, T1, L2, S1";

/// Flat-layout prefixes of the levels (`c5`, `s4_5`).
#[rustfmt::skip]
const PREFIXES: [&str; 29] = [
    "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8",
    "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9", "t10", "t11", "t12",
    "l1", "l2", "l3", "l4", "l5", "s1", "s2", "s3", "s4_5",
];

/// One exam field of the flat layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    /// A key muscle's grade.
    Motor(Side, MotorLevel),
    /// A dermatome's light-touch score (C2–S4-5).
    Touch(Side, Level),
    /// A dermatome's pin-prick score (C2–S4-5).
    Prick(Side, Level),
    /// Voluntary anal contraction.
    AnalContraction,
    /// Deep anal pressure.
    AnalSensation,
    /// The lowest non-key muscle with motor function (optional).
    LowestNonKeyMuscle(Side),
}

/// Where a point field's value lives in an exam, for readers' fast paths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Place {
    pub array: Array,
    pub right: bool,
    pub at: u8,
}

/// Which of a side's arrays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Array {
    Motor,
    Touch,
    Prick,
    /// Not a point (anal exam, non-key muscle).
    Other,
}

/// An exam's point values: key muscles, light touch and pin prick, right side then left.
pub(crate) const POINTS: usize = 2 * SIDE_POINTS;
const SIDE_POINTS: usize = 10 + 28 + 28;

impl Place {
    /// The index of a point among an exam's [`POINTS`] values (right motor, touch and prick,
    /// then the left's), and the highest grade there; `None` for other fields.
    pub(crate) fn point(self) -> Option<(u8, u8)> {
        let side = if self.right { 0 } else { SIDE_POINTS as u8 };
        let at = self.at;
        match self.array {
            Array::Motor => Some((side + at, 5)),
            Array::Touch => Some((side + 10 + at, 2)),
            Array::Prick => Some((side + 38 + at, 2)),
            Array::Other => None,
        }
    }
}

impl Field {
    /// Where the field's value lives.
    pub(crate) fn place(self) -> Place {
        let right = |s: Side| s == Side::Right;
        match self {
            Field::Motor(s, m) => Place {
                array: Array::Motor,
                right: right(s),
                at: m.index() as u8,
            },
            Field::Touch(s, l) => Place {
                array: Array::Touch,
                right: right(s),
                at: l.index().saturating_sub(1) as u8,
            },
            Field::Prick(s, l) => Place {
                array: Array::Prick,
                right: right(s),
                at: l.index().saturating_sub(1) as u8,
            },
            _ => Place {
                array: Array::Other,
                right: true,
                at: 0,
            },
        }
    }
}

/// The number of exam fields (136), of which all but the two non-key muscles are required.
pub const FIELD_COUNT: usize = 136;

/// A key of the flat layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// An exam field.
    Field(Field),
    /// `id`, which readers keep to name the exam.
    Id,
    /// `group`, `comments`, `note`, `check`, `totals` or a result key: ignored.
    Annotation,
}

impl Field {
    /// Every field, in the order of the conformance file: the anorectal exam, then each level's
    /// sensory and motor points, then the non-key muscles.
    pub fn all() -> impl Iterator<Item = Field> {
        let points = Level::DERMATOMES.into_iter().flat_map(|level| {
            let sensory = [
                Field::Touch(Side::Right, level),
                Field::Touch(Side::Left, level),
                Field::Prick(Side::Right, level),
                Field::Prick(Side::Left, level),
            ];
            let motor = level
                .key_muscle()
                .map(|m| [Field::Motor(Side::Right, m), Field::Motor(Side::Left, m)]);
            sensory.into_iter().chain(motor.into_iter().flatten())
        });
        [Field::AnalContraction, Field::AnalSensation]
            .into_iter()
            .chain(points)
            .chain([
                Field::LowestNonKeyMuscle(Side::Right),
                Field::LowestNonKeyMuscle(Side::Left),
            ])
    }

    /// A dense index from 0 to [`FIELD_COUNT`] − 1.
    #[inline]
    pub fn index(self) -> usize {
        let side = |s: Side| match s {
            Side::Right => 0,
            Side::Left => 1,
        };
        match self {
            Field::Motor(s, m) => m.index() * 2 + side(s),
            Field::Touch(s, l) => 20 + l.index().saturating_sub(1) * 2 + side(s),
            Field::Prick(s, l) => 76 + l.index().saturating_sub(1) * 2 + side(s),
            Field::AnalContraction => 132,
            Field::AnalSensation => 133,
            Field::LowestNonKeyMuscle(s) => 134 + side(s),
        }
    }

    /// True for the fields an exam must have.
    pub fn is_required(self) -> bool {
        !matches!(self, Field::LowestNonKeyMuscle(_))
    }

    /// The allowed values, as written in error messages.
    pub fn allowed(self) -> &'static str {
        match self {
            Field::Motor(..) => MOTOR_ALLOWED,
            Field::Touch(..) | Field::Prick(..) => SENSORY_ALLOWED,
            Field::AnalContraction | Field::AnalSensation => ANAL_ALLOWED,
            Field::LowestNonKeyMuscle(_) => NON_KEY_ALLOWED,
        }
    }

    /// The key: `c5RightMotor`, `analContraction`, ….
    pub fn name(self) -> String {
        self.to_string()
    }

    /// Parses a field key; `None` for annotations and unknown keys.
    pub fn parse(key: &str) -> Option<Field> {
        match parse_key(key)? {
            Key::Field(f) => Some(f),
            _ => None,
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Field::Motor(s, m) => write!(f, "{}{}Motor", PREFIXES[m.level().index()], s.name()),
            Field::Touch(s, l) => write!(f, "{}{}Touch", PREFIXES[l.index()], s.name()),
            Field::Prick(s, l) => write!(f, "{}{}Prick", PREFIXES[l.index()], s.name()),
            Field::AnalContraction => f.write_str("analContraction"),
            Field::AnalSensation => f.write_str("analSensation"),
            Field::LowestNonKeyMuscle(Side::Right) => {
                f.write_str("rightLowestNonKeyMuscleWithMotorFunction")
            }
            Field::LowestNonKeyMuscle(Side::Left) => {
                f.write_str("leftLowestNonKeyMuscleWithMotorFunction")
            }
        }
    }
}

/// Parses a key of the flat layout; `None` when it is not one.
pub fn parse_key(key: &str) -> Option<Key> {
    parse_key_bytes(key.as_bytes())
}

/// [`parse_key`] on the bytes of a key.
pub fn parse_key_bytes(key: &[u8]) -> Option<Key> {
    if let Some(field) = parse_point(key) {
        return Some(Key::Field(field));
    }
    let field = match key {
        b"analContraction" => Field::AnalContraction,
        b"analSensation" => Field::AnalSensation,
        b"rightLowestNonKeyMuscleWithMotorFunction" => Field::LowestNonKeyMuscle(Side::Right),
        b"leftLowestNonKeyMuscleWithMotorFunction" => Field::LowestNonKeyMuscle(Side::Left),
        b"id" => return Some(Key::Id),
        b"group" | b"comments" | b"note" | b"check" | b"totals" => return Some(Key::Annotation),
        // A result written beside the exam (as some conformance cases do) is not part of it.
        _ if crate::Classification::KEYS
            .iter()
            .any(|k| k.as_bytes() == key) =>
        {
            return Some(Key::Annotation)
        }
        _ => return None,
    };
    Some(Key::Field(field))
}

/// `<level><Side><Modality>`: `c5RightMotor`, `s4_5LeftPrick`.
fn parse_point(key: &[u8]) -> Option<Field> {
    let (rest, modality) = key.split_at_checked(key.len().checked_sub(5)?)?;
    let (prefix, side) = if let Some(p) = rest.strip_suffix(b"Right") {
        (p, Side::Right)
    } else {
        (rest.strip_suffix(b"Left")?, Side::Left)
    };
    let level = level_of_prefix(prefix)?;
    match modality {
        b"Motor" => level.key_muscle().map(|m| Field::Motor(side, m)),
        _ if level == Level::C1 => None,
        b"Touch" => Some(Field::Touch(side, level)),
        b"Prick" => Some(Field::Prick(side, level)),
        _ => None,
    }
}

/// `c5` → C5, `t10` → T10, `s4_5` → S4-5.
fn level_of_prefix(prefix: &[u8]) -> Option<Level> {
    let (&letter, number) = prefix.split_first()?;
    if number == b"4_5" {
        return (letter == b's').then_some(Level::S4_5);
    }
    let n = match number {
        [d @ b'1'..=b'9'] => usize::from(d - b'0'),
        [b'1', d @ b'0'..=b'2'] => 10 + usize::from(d - b'0'),
        _ => return None,
    };
    let (first, count) = match letter {
        b'c' => (0, 8),
        b't' => (8, 12),
        b'l' => (20, 5),
        b's' => (25, 3),
        _ => return None,
    };
    (n <= count).then(|| Level::ALL[first + n - 1])
}

/// What is wrong with a field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The key is not one of the layout's.
    Unknown,
    /// A required field is absent.
    Missing,
    /// The field is given more than once.
    Repeated,
    /// The value is outside the grammar.
    Invalid {
        /// The value as given.
        value: String,
        /// The allowed values.
        allowed: &'static str,
    },
}

/// A field that cannot be read, with its key and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The key as given.
    pub field: String,
    /// What is wrong.
    pub problem: Problem,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field = &self.field;
        match &self.problem {
            Problem::Unknown => write!(
                f,
                "unknown field \"{field}\" (expected the flat ISNCSCI layout: keys such as \
                 c5RightMotor, t10LeftTouch, s4_5RightPrick, analContraction, analSensation, \
                 rightLowestNonKeyMuscleWithMotorFunction)"
            ),
            Problem::Missing => write!(f, "field \"{field}\" is missing"),
            Problem::Repeated => write!(f, "field \"{field}\" is given more than once"),
            Problem::Invalid { value, allowed } => {
                write!(
                    f,
                    "field \"{field}\": value \"{}\" is not allowed (allowed: {allowed})",
                    value.escape_debug()
                )
            }
        }
    }
}

impl std::error::Error for FieldError {}

/// Builds an exam from flat-layout fields given one at a time, checking each.
#[derive(Clone, Debug)]
pub struct ExamBuilder {
    exam: Exam,
    seen: [u64; 3],
}

impl Default for ExamBuilder {
    fn default() -> Self {
        ExamBuilder::new()
    }
}

impl ExamBuilder {
    /// A builder with no field set.
    pub fn new() -> ExamBuilder {
        ExamBuilder {
            exam: Exam::normal(),
            seen: [0; 3],
        }
    }

    /// Sets a field by its key. Annotations (`id`, `group`, `comments`, `note`, `check`,
    /// `totals`) are accepted and ignored.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), FieldError> {
        match parse_key(key) {
            Some(Key::Field(field)) => self.set_field(field, value),
            Some(Key::Id | Key::Annotation) => Ok(()),
            None => Err(FieldError {
                field: key.to_owned(),
                problem: Problem::Unknown,
            }),
        }
    }

    /// Sets a field from its value as written in the layout.
    pub fn set_field(&mut self, field: Field, value: &str) -> Result<(), FieldError> {
        self.set_field_bytes(field, value.as_bytes())
    }

    /// [`ExamBuilder::set_field`] with the value's bytes.
    #[inline]
    pub fn set_field_bytes(&mut self, field: Field, value: &[u8]) -> Result<(), FieldError> {
        let index = field.index();
        let (word, bit) = (index / 64, 1u64 << (index % 64));
        if self.seen[word] & bit != 0 {
            return Err(FieldError {
                field: field.name(),
                problem: Problem::Repeated,
            });
        }
        let invalid = || FieldError {
            field: field.name(),
            problem: Problem::Invalid {
                value: String::from_utf8_lossy(value).into_owned(),
                allowed: field.allowed(),
            },
        };
        let exam = &mut self.exam;
        match field {
            Field::Motor(side, m) => {
                exam.side_mut(side).motor[m.index()] =
                    MotorValue::parse_bytes(value).ok_or_else(invalid)?
            }
            Field::Touch(side, l) => exam
                .side_mut(side)
                .set_touch(l, SensoryValue::parse_bytes(value).ok_or_else(invalid)?),
            Field::Prick(side, l) => exam
                .side_mut(side)
                .set_prick(l, SensoryValue::parse_bytes(value).ok_or_else(invalid)?),
            Field::AnalContraction => {
                exam.anal_contraction = Anal::parse_bytes(value).ok_or_else(invalid)?
            }
            Field::AnalSensation => {
                exam.anal_sensation = Anal::parse_bytes(value).ok_or_else(invalid)?
            }
            Field::LowestNonKeyMuscle(side) => {
                exam.side_mut(side).lowest_non_key_muscle = match value.trim_ascii() {
                    b"" | b"0" => None,
                    level => {
                        let text = std::str::from_utf8(level).map_err(|_| invalid())?;
                        Some(Level::parse(text).ok_or_else(invalid)?)
                    }
                }
            }
        }
        self.seen[word] |= bit;
        Ok(())
    }

    /// Sets a field when the value is allowed and the field was not set yet; returns whether
    /// it did. [`ExamBuilder::set_field_bytes`] says what is wrong otherwise.
    #[inline(always)]
    pub fn put(&mut self, field: Field, value: &[u8]) -> bool {
        self.put_at(field, field.index(), value)
    }

    /// Stores a one-character value (`0`–`5`) of a key-muscle or dermatome field at a known place:
    /// the fast path of readers that meet the same fields again and again. Returns false when
    /// the value or field does not fit, and the reader takes the general path.
    #[inline(always)]
    pub(crate) fn put_digit(&mut self, place: Place, index: usize, digit: u8) -> bool {
        let (word, bit) = (index / 64, 1u64 << (index % 64));
        if self.seen[word] & bit != 0 {
            return false;
        }
        let side = if place.right {
            &mut self.exam.right
        } else {
            &mut self.exam.left
        };
        let grade = digit.wrapping_sub(b'0');
        let i = usize::from(place.at);
        let stored = match place.array {
            Array::Motor if grade <= 5 && i < 10 => {
                side.motor[i] =
                    MotorValue::new(Some(grade), crate::Flag::None).unwrap_or(MotorValue::NORMAL);
                true
            }
            Array::Touch if grade <= 2 && i < 28 => {
                side.light_touch[i] = SensoryValue::new(Some(grade), crate::Flag::None)
                    .unwrap_or(SensoryValue::NORMAL);
                true
            }
            Array::Prick if grade <= 2 && i < 28 => {
                side.pin_prick[i] = SensoryValue::new(Some(grade), crate::Flag::None)
                    .unwrap_or(SensoryValue::NORMAL);
                true
            }
            _ => false,
        };
        if stored {
            self.seen[word] |= bit;
        }
        stored
    }

    /// Records the fields of `mask` (bits by [`Field::index`]) as set.
    #[inline]
    pub(crate) fn mark_set(&mut self, mask: &[u64; 3]) {
        for (seen, bits) in self.seen.iter_mut().zip(mask) {
            *seen |= bits;
        }
    }

    /// [`ExamBuilder::put`] with the field's index ([`Field::index`]) already known.
    #[inline(always)]
    pub(crate) fn put_at(&mut self, field: Field, index: usize, value: &[u8]) -> bool {
        debug_assert_eq!(index, field.index());
        let (word, bit) = (index / 64, 1u64 << (index % 64));
        if self.seen[word] & bit != 0 {
            return false;
        }
        let exam = &mut self.exam;
        let stored = match field {
            Field::Motor(side, m) => MotorValue::parse_bytes(value)
                .map(|v| exam.side_mut(side).motor[m.index()] = v)
                .is_some(),
            Field::Touch(side, l) => SensoryValue::parse_bytes(value)
                .map(|v| exam.side_mut(side).set_touch(l, v))
                .is_some(),
            Field::Prick(side, l) => SensoryValue::parse_bytes(value)
                .map(|v| exam.side_mut(side).set_prick(l, v))
                .is_some(),
            _ => return self.set_field_bytes(field, value).is_ok(),
        };
        if stored {
            self.seen[word] |= bit;
        }
        stored
    }

    /// The exam, or the first required field that was not set.
    pub fn finish(&self) -> Result<Exam, FieldError> {
        // Fields 0..134 are required: all bits of the first two words, six of the third.
        let complete =
            self.seen[0] == u64::MAX && self.seen[1] == u64::MAX && self.seen[2] & 0x3F == 0x3F;
        if complete {
            return Ok(self.exam.clone());
        }
        let missing = Field::all()
            .find(|f| f.is_required() && self.seen[f.index() / 64] & (1 << (f.index() % 64)) == 0);
        match missing {
            Some(field) => Err(FieldError {
                field: field.name(),
                problem: Problem::Missing,
            }),
            None => Ok(self.exam.clone()),
        }
    }

    /// Forgets every field, to build the next exam.
    pub fn clear(&mut self) {
        self.seen = [0; 3];
        self.exam = Exam::normal();
    }

    /// The codes of the exam's point values, in the order of [`Place::point`].
    #[inline]
    pub(crate) fn point_codes(&self, codes: &mut [u8; POINTS]) {
        let (right, left) = codes.split_at_mut(SIDE_POINTS);
        for (side, codes) in [(&self.exam.right, right), (&self.exam.left, left)] {
            let (motor, sensory) = codes.split_at_mut(10);
            let (touch, prick) = sensory.split_at_mut(28);
            for (c, v) in motor.iter_mut().zip(&side.motor) {
                *c = v.code();
            }
            for (c, v) in touch.iter_mut().zip(&side.light_touch) {
                *c = v.code();
            }
            for (c, v) in prick.iter_mut().zip(&side.pin_prick) {
                *c = v.code();
            }
        }
    }

    /// Sets the exam's point values from their codes (as [`ExamBuilder::point_codes`] gives
    /// them, or grades from 0 to each point's highest), without recording fields as set.
    #[inline]
    pub(crate) fn set_point_codes(&mut self, codes: &[u8; POINTS]) {
        let (right, left) = codes.split_at(SIDE_POINTS);
        for (side, codes) in [(&mut self.exam.right, right), (&mut self.exam.left, left)] {
            let (motor, sensory) = codes.split_at(10);
            let (touch, prick) = sensory.split_at(28);
            for (v, &c) in side.motor.iter_mut().zip(motor) {
                *v = MotorValue::from_code(c);
            }
            for (v, &c) in side.light_touch.iter_mut().zip(touch) {
                *v = SensoryValue::from_code(c);
            }
            for (v, &c) in side.pin_prick.iter_mut().zip(prick) {
                *v = SensoryValue::from_code(c);
            }
        }
    }
}

/// The value of one field of an exam, as written in the layout (`0` for no non-key muscle).
pub fn value_of(exam: &Exam, field: Field) -> &'static str {
    match field {
        Field::Motor(s, m) => exam.side(s).motor(m).as_str(),
        Field::Touch(s, l) => exam.side(s).touch(l).as_str(),
        Field::Prick(s, l) => exam.side(s).prick(l).as_str(),
        Field::AnalContraction => exam.anal_contraction.as_str(),
        Field::AnalSensation => exam.anal_sensation.as_str(),
        Field::LowestNonKeyMuscle(s) => exam.side(s).lowest_non_key_muscle.map_or("0", Level::name),
    }
}

/// Every field of an exam with its value, in [`Field::all`] order.
pub fn fields(exam: &Exam) -> impl Iterator<Item = (String, &'static str)> + '_ {
    Field::all().map(move |f| (f.name(), value_of(exam, f)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_indexes_are_dense_and_names_parse_back() {
        let mut seen = [false; FIELD_COUNT];
        for field in Field::all() {
            assert!(!seen[field.index()], "{field}");
            seen[field.index()] = true;
            assert_eq!(Field::parse(&field.name()), Some(field));
        }
        assert!(seen.iter().all(|s| *s));
        assert_eq!(Field::all().filter(|f| f.is_required()).count(), 134);
        assert!(Field::all().all(|f| f.is_required() == (f.index() < 134)));
    }

    #[test]
    fn keys_outside_the_layout_are_refused() {
        for key in [
            "c4RightMotor",
            "c1RightTouch",
            "t13LeftPrick",
            "c5rightMotor",
            "C5RightMotor",
            "s45RightTouch",
            "",
        ] {
            assert_eq!(parse_key(key), None, "{key}");
        }
        assert_eq!(
            parse_key("s4_5LeftPrick"),
            Some(Key::Field(Field::Prick(Side::Left, Level::S4_5)))
        );
        assert_eq!(parse_key("totals"), Some(Key::Annotation));
    }

    #[test]
    fn errors_name_the_field_and_the_allowed_values() {
        let mut b = ExamBuilder::new();
        let e = b.set("c5RightMotor", "6").unwrap_err();
        assert_eq!(
            e.to_string(),
            "field \"c5RightMotor\": value \"6\" is not allowed (allowed: 0-5, 0*-4*, 0**-4**, NT, NT*, NT**)"
        );
        b.set("c5RightMotor", "5").unwrap();
        assert_eq!(
            b.set("c5RightMotor", "5").unwrap_err().problem,
            Problem::Repeated
        );
        assert_eq!(
            b.set("c5RightMotr", "5").unwrap_err().problem,
            Problem::Unknown
        );
        let missing = b.finish().unwrap_err();
        assert_eq!(missing.to_string(), "field \"analContraction\" is missing");
        let e = b.set("analSensation", "yes").unwrap_err();
        assert!(e.to_string().contains("allowed: Yes, No, NT"), "{e}");
        let e = b
            .set("leftLowestNonKeyMuscleWithMotorFunction", "X9")
            .unwrap_err();
        assert!(e.to_string().contains("0 (none) or a level"), "{e}");
    }

    #[test]
    fn a_normal_exam_round_trips_through_its_fields() {
        let mut exam = Exam::normal();
        exam.right.lowest_non_key_muscle = Some(Level::L2);
        let mut b = ExamBuilder::new();
        for (k, v) in fields(&exam) {
            b.set(&k, v).unwrap();
        }
        assert_eq!(b.finish().unwrap(), exam);
    }
}

//! Typed classification results, printed exactly as the reference implementation prints them.
//!
//! A result that the exam does not fix (because of `NT` values) holds every possibility; each
//! possibility may carry a `*`, meaning it rests on values flagged as impaired by a non-SCI
//! condition.

use std::fmt;

use crate::level::Level;

/// The possibilities of a [`Levels`] in printing order, each with its `*` marking.
#[derive(Clone, Debug)]
pub struct LevelsIter {
    rest: u32,
    starred: u32,
}

impl Iterator for LevelsIter {
    type Item = (LevelResult, bool);

    #[inline]
    fn next(&mut self) -> Option<(LevelResult, bool)> {
        let bit = if self.rest & (1 << NA) != 0 {
            NA
        } else if self.rest != 0 {
            self.rest.trailing_zeros()
        } else {
            return None;
        };
        self.rest &= !(1 << bit);
        Some((Levels::from_bit(bit), self.starred & (1 << bit) != 0))
    }
}

/// One possibility of a level result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LevelResult {
    /// A spinal level.
    Level(Level),
    /// `INT`: intact, no level of impairment found.
    Intact,
    /// `NA`: not applicable (a zone of partial preservation where the injury is incomplete).
    NotApplicable,
}

const INT: u32 = 29;
const NA: u32 = 30;

/// A set of level possibilities, each with or without `*`, printed `NA` first, then levels from
/// C1 down, then `INT`, separated by commas.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Levels {
    present: u32,
    starred: u32,
}

impl Levels {
    fn bit(result: LevelResult) -> u32 {
        match result {
            LevelResult::Level(level) => level.index() as u32,
            LevelResult::Intact => INT,
            LevelResult::NotApplicable => NA,
        }
    }

    fn from_bit(bit: u32) -> LevelResult {
        match bit {
            INT => LevelResult::Intact,
            NA => LevelResult::NotApplicable,
            b => LevelResult::Level(Level::ALL[b as usize]),
        }
    }

    /// Adds a possibility. A possibility already present keeps its first `*` marking.
    pub fn insert(&mut self, result: LevelResult, starred: bool) {
        let mask = 1 << Self::bit(result);
        if self.present & mask == 0 {
            self.present |= mask;
            if starred {
                self.starred |= mask;
            }
        }
    }

    /// The levels present (not `INT` or `NA`), a bit for each by [`Level::index`].
    pub(crate) fn level_bits(&self) -> u32 {
        self.present & ((1 << INT) - 1)
    }

    pub(crate) fn insert_level(&mut self, level: Level, starred: bool) {
        self.insert(LevelResult::Level(level), starred);
    }

    /// True when the possibility is in the set (with or without `*`).
    pub fn contains(&self, result: LevelResult) -> bool {
        self.present & (1 << Self::bit(result)) != 0
    }

    /// The number of possibilities.
    pub fn len(&self) -> usize {
        self.present.count_ones() as usize
    }

    /// True when there is no possibility at all.
    pub fn is_empty(&self) -> bool {
        self.present == 0
    }

    /// The possibilities in printing order, each with its `*` marking.
    pub fn iter(&self) -> LevelsIter {
        LevelsIter {
            rest: self.present,
            starred: self.starred,
        }
    }

    /// The possible spinal levels, cranial first, without markings.
    pub fn levels(&self) -> impl Iterator<Item = Level> + '_ {
        self.iter().filter_map(|(r, _)| match r {
            LevelResult::Level(l) => Some(l),
            _ => None,
        })
    }

    /// The first possibility in printing order (`NA`, else the most cranial).
    pub fn first(&self) -> Option<LevelResult> {
        self.iter().next().map(|(r, _)| r)
    }

    /// The last possibility in printing order (`INT`, else the most caudal level, else `NA`).
    pub fn last(&self) -> Option<LevelResult> {
        let levels = self.present & !(1 << NA);
        if levels != 0 {
            Some(Self::from_bit(31 - levels.leading_zeros()))
        } else {
            self.first()
        }
    }

    /// The same set without any `*` marking.
    pub fn unstarred(self) -> Levels {
        Levels {
            present: self.present,
            starred: 0,
        }
    }
}

impl fmt::Display for Levels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (result, starred)) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            match result {
                LevelResult::Level(level) => f.write_str(level.name())?,
                LevelResult::Intact => f.write_str("INT")?,
                LevelResult::NotApplicable => f.write_str("NA")?,
            }
            if starred {
                f.write_str("*")?;
            }
        }
        Ok(())
    }
}

/// An ASIA Impairment Scale grade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grade {
    /// Complete: no sensory or motor function preserved in S4-5.
    A,
    /// Sensory incomplete.
    B,
    /// Motor incomplete, less than half of key muscles below the NLI at grade 3 or more.
    C,
    /// Motor incomplete, at least half of key muscles below the NLI at grade 3 or more.
    D,
    /// Normal.
    E,
}

impl Grade {
    /// The five grades in order.
    pub const ALL: [Grade; 5] = [Grade::A, Grade::B, Grade::C, Grade::D, Grade::E];

    /// `A` to `E`.
    pub const fn letter(self) -> &'static str {
        ["A", "B", "C", "D", "E"][self as usize]
    }
}

/// The possible AIS grades, each with or without `*`, printed in order: `A*,B*`, `C,D`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Ais {
    present: u8,
    starred: u8,
}

impl Ais {
    /// Adds a possible grade.
    pub fn insert(&mut self, grade: Grade, starred: bool) {
        let mask = 1 << grade as u8;
        if self.present & mask == 0 {
            self.present |= mask;
            if starred {
                self.starred |= mask;
            }
        }
    }

    /// True when the grade is possible.
    pub fn contains(&self, grade: Grade) -> bool {
        self.present & (1 << grade as u8) != 0
    }

    /// The possible grades in order, each with its `*` marking.
    pub fn iter(&self) -> impl Iterator<Item = (Grade, bool)> + '_ {
        Grade::ALL
            .into_iter()
            .filter(move |g| self.contains(*g))
            .map(move |g| (g, self.starred & (1 << g as u8) != 0))
    }

    /// The number of possible grades.
    pub fn len(&self) -> usize {
        self.present.count_ones() as usize
    }

    /// True when no grade is possible.
    pub fn is_empty(&self) -> bool {
        self.present == 0
    }
}

impl fmt::Display for Ais {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (grade, starred)) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(grade.letter())?;
            if starred {
                f.write_str("*")?;
            }
        }
        Ok(())
    }
}

/// Whether the injury is complete (`C`) or incomplete (`I`); both when NT values leave it open
/// (`C,I`), with `*` when it rests on non-SCI values (`C*,I*`, `I*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Completeness {
    /// Complete is possible.
    pub complete: bool,
    /// Incomplete is possible.
    pub incomplete: bool,
    /// The result rests on values flagged as non-SCI.
    pub starred: bool,
}

impl fmt::Display for Completeness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let star = if self.starred { "*" } else { "" };
        match (self.complete, self.incomplete) {
            (true, true) => write!(f, "C{star},I{star}"),
            (true, false) => write!(f, "C{star}"),
            (false, true) => write!(f, "I{star}"),
            (false, false) => Ok(()),
        }
    }
}

/// A score total, or `ND` (not determinable) when a value in it was not testable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Total(pub Option<u16>);

impl fmt::Display for Total {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(n) => write!(f, "{n}"),
            None => f.write_str("ND"),
        }
    }
}

/// The 14 totals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Totals {
    /// Right upper-extremity motor (max 25).
    pub right_upper_motor: Total,
    /// Left upper-extremity motor (max 25).
    pub left_upper_motor: Total,
    /// Right lower-extremity motor (max 25).
    pub right_lower_motor: Total,
    /// Left lower-extremity motor (max 25).
    pub left_lower_motor: Total,
    /// Right light touch (max 56).
    pub right_touch: Total,
    /// Left light touch (max 56).
    pub left_touch: Total,
    /// Right pin prick (max 56).
    pub right_prick: Total,
    /// Left pin prick (max 56).
    pub left_prick: Total,
    /// Right motor (max 50).
    pub right_motor: Total,
    /// Left motor (max 50).
    pub left_motor: Total,
    /// Upper-extremity motor score, UEMS (max 50).
    pub upper_motor: Total,
    /// Lower-extremity motor score, LEMS (max 50).
    pub lower_motor: Total,
    /// Light-touch score (max 112).
    pub touch: Total,
    /// Pin-prick score (max 112).
    pub prick: Total,
}

/// The full classification of an exam.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Classification {
    /// The 14 totals.
    pub totals: Totals,
    /// Right sensory level.
    pub right_sensory: Levels,
    /// Left sensory level.
    pub left_sensory: Levels,
    /// Right motor level.
    pub right_motor: Levels,
    /// Left motor level.
    pub left_motor: Levels,
    /// Neurological level of injury.
    pub neurological_level: Levels,
    /// Right sensory zone of partial preservation.
    pub right_sensory_zpp: Levels,
    /// Left sensory zone of partial preservation.
    pub left_sensory_zpp: Levels,
    /// Right motor zone of partial preservation.
    pub right_motor_zpp: Levels,
    /// Left motor zone of partial preservation.
    pub left_motor_zpp: Levels,
    /// ASIA Impairment Scale grade.
    pub ais: Ais,
    /// Complete or incomplete.
    pub completeness: Completeness,
}

/// One of the 25 results, for printing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResultValue {
    /// A total.
    Total(Total),
    /// A level, NLI or ZPP.
    Levels(Levels),
    /// The AIS grade.
    Ais(Ais),
    /// Complete or incomplete.
    Completeness(Completeness),
}

impl ResultValue {
    /// Appends the value as [`Display`](fmt::Display) prints it, without the formatting
    /// machinery (for writers of many results).
    pub fn write_to(&self, out: &mut String) {
        match self {
            ResultValue::Total(Total(None)) => out.push_str("ND"),
            ResultValue::Total(Total(Some(n))) => {
                let n = *n;
                if n >= 100 {
                    out.push(char::from(b'0' + (n / 100 % 10) as u8));
                }
                if n >= 10 {
                    out.push(char::from(b'0' + (n / 10 % 10) as u8));
                }
                out.push(char::from(b'0' + (n % 10) as u8));
            }
            ResultValue::Levels(levels) => {
                for (i, (result, starred)) in levels.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(match result {
                        LevelResult::Level(level) => level.name(),
                        LevelResult::Intact => "INT",
                        LevelResult::NotApplicable => "NA",
                    });
                    if starred {
                        out.push('*');
                    }
                }
            }
            ResultValue::Ais(ais) => {
                for (i, (grade, starred)) in ais.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(grade.letter());
                    if starred {
                        out.push('*');
                    }
                }
            }
            ResultValue::Completeness(c) => {
                let star = if c.starred { "*" } else { "" };
                if c.complete {
                    out.push('C');
                    out.push_str(star);
                }
                if c.incomplete {
                    if c.complete {
                        out.push(',');
                    }
                    out.push('I');
                    out.push_str(star);
                }
            }
        }
    }
}

impl fmt::Display for ResultValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResultValue::Total(v) => v.fmt(f),
            ResultValue::Levels(v) => v.fmt(f),
            ResultValue::Ais(v) => v.fmt(f),
            ResultValue::Completeness(v) => v.fmt(f),
        }
    }
}

impl Classification {
    /// The names of the 25 results, in the order of the conformance file's `totals` objects.
    pub const KEYS: [&'static str; 25] = [
        "rightUpperMotorTotal",
        "leftUpperMotorTotal",
        "rightLowerMotorTotal",
        "leftLowerMotorTotal",
        "rightTouchTotal",
        "leftTouchTotal",
        "rightPrickTotal",
        "leftPrickTotal",
        "rightMotorTotal",
        "leftMotorTotal",
        "upperMotorTotal",
        "lowerMotorTotal",
        "touchTotal",
        "prickTotal",
        "rightSensory",
        "leftSensory",
        "rightMotor",
        "leftMotor",
        "neurologicalLevelOfInjury",
        "rightSensoryZpp",
        "leftSensoryZpp",
        "rightMotorZpp",
        "leftMotorZpp",
        "asiaImpairmentScale",
        "injuryComplete",
    ];

    /// The 25 results in the order of [`Classification::KEYS`].
    pub fn values(&self) -> [ResultValue; 25] {
        use ResultValue::{Levels as L, Total as T};
        let t = &self.totals;
        [
            T(t.right_upper_motor),
            T(t.left_upper_motor),
            T(t.right_lower_motor),
            T(t.left_lower_motor),
            T(t.right_touch),
            T(t.left_touch),
            T(t.right_prick),
            T(t.left_prick),
            T(t.right_motor),
            T(t.left_motor),
            T(t.upper_motor),
            T(t.lower_motor),
            T(t.touch),
            T(t.prick),
            L(self.right_sensory),
            L(self.left_sensory),
            L(self.right_motor),
            L(self.left_motor),
            L(self.neurological_level),
            L(self.right_sensory_zpp),
            L(self.left_sensory_zpp),
            L(self.right_motor_zpp),
            L(self.left_motor_zpp),
            ResultValue::Ais(self.ais),
            ResultValue::Completeness(self.completeness),
        ]
    }

    /// The result named `key` (one of [`Classification::KEYS`]).
    pub fn get(&self, key: &str) -> Option<ResultValue> {
        let i = Self::KEYS.iter().position(|k| *k == key)?;
        Some(self.values()[i])
    }
}

#[cfg(test)]
mod tests {
    use crate::synth::{mixed_exam, Rng};

    #[test]
    fn write_to_prints_what_display_prints() {
        let mut rng = Rng::new(11);
        for _ in 0..3000 {
            let result = mixed_exam(&mut rng).classify();
            for value in result.values() {
                let mut fast = String::new();
                value.write_to(&mut fast);
                assert_eq!(fast, value.to_string());
            }
        }
    }

    #[test]
    fn levels_iterate_in_printing_order() {
        use super::{LevelResult, Levels};
        use crate::Level;
        let mut levels = Levels::default();
        levels.insert(LevelResult::Intact, true);
        levels.insert(LevelResult::Level(Level::C5), false);
        levels.insert(LevelResult::NotApplicable, false);
        levels.insert(LevelResult::Level(Level::C4), true);
        assert_eq!(levels.to_string(), "NA,C4*,C5,INT*");
        assert_eq!(levels.first(), Some(LevelResult::NotApplicable));
        assert_eq!(levels.last(), Some(LevelResult::Intact));
        assert_eq!(levels.len(), 4);
    }
}

//! Spinal levels, key-muscle levels and sides.

use std::fmt;

/// A spinal level, from C1 to S4-5, in cranial-to-caudal order.
///
/// Every level is a dermatome except C1, which the standard treats as always intact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
#[rustfmt::skip]
#[allow(missing_docs)] // the names are the levels
pub enum Level {
    C1, C2, C3, C4, C5, C6, C7, C8,
    T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12,
    L1, L2, L3, L4, L5,
    S1, S2, S3, S4_5,
}

#[rustfmt::skip]
const NAMES: [&str; 29] = [
    "C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8",
    "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "T10", "T11", "T12",
    "L1", "L2", "L3", "L4", "L5",
    "S1", "S2", "S3", "S4_5",
];

impl Level {
    /// All 29 levels, C1 first.
    #[rustfmt::skip]
    pub const ALL: [Level; 29] = {
        use Level::*;
        [C1, C2, C3, C4, C5, C6, C7, C8, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12,
         L1, L2, L3, L4, L5, S1, S2, S3, S4_5]
    };

    /// The 28 dermatomes that are examined (C2 to S4-5).
    pub const DERMATOMES: [Level; 28] = {
        let mut out = [Level::C2; 28];
        let mut i = 0;
        while i < 28 {
            out[i] = Level::ALL[i + 1];
            i += 1;
        }
        out
    };

    /// Position from C1 = 0 to S4-5 = 28.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The level at a position, if there is one.
    pub const fn from_index(index: usize) -> Option<Level> {
        if index < 29 {
            Some(Level::ALL[index])
        } else {
            None
        }
    }

    /// The name used by the standard's worksheet and by the reference: `C5`, `T10`, `S4_5`.
    pub const fn name(self) -> &'static str {
        NAMES[self as usize]
    }

    /// Parses a level name as [`Level::name`] writes it (case-insensitive; `S45` and `S4-5`
    /// are accepted for `S4_5`).
    pub fn parse(text: &str) -> Option<Level> {
        let upper = text.trim().to_ascii_uppercase();
        let canonical = match upper.as_str() {
            "S45" | "S4-5" => "S4_5",
            other => other,
        };
        NAMES
            .iter()
            .position(|n| *n == canonical)
            .map(|i| Level::ALL[i])
    }

    /// The key muscle examined at this level, if it has one.
    pub const fn key_muscle(self) -> Option<MotorLevel> {
        match self {
            Level::C5 => Some(MotorLevel::C5),
            Level::C6 => Some(MotorLevel::C6),
            Level::C7 => Some(MotorLevel::C7),
            Level::C8 => Some(MotorLevel::C8),
            Level::T1 => Some(MotorLevel::T1),
            Level::L2 => Some(MotorLevel::L2),
            Level::L3 => Some(MotorLevel::L3),
            Level::L4 => Some(MotorLevel::L4),
            Level::L5 => Some(MotorLevel::L5),
            Level::S1 => Some(MotorLevel::S1),
            _ => None,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A level with a key muscle: C5–T1 for the arm, L2–S1 for the leg.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum MotorLevel {
    /// Elbow flexors.
    C5,
    /// Wrist extensors.
    C6,
    /// Elbow extensors.
    C7,
    /// Finger flexors.
    C8,
    /// Finger abductors.
    T1,
    /// Hip flexors.
    L2,
    /// Knee extensors.
    L3,
    /// Ankle dorsiflexors.
    L4,
    /// Long toe extensors.
    L5,
    /// Ankle plantar flexors.
    S1,
}

impl MotorLevel {
    /// The ten key-muscle levels in order.
    pub const ALL: [MotorLevel; 10] = {
        use MotorLevel::*;
        [C5, C6, C7, C8, T1, L2, L3, L4, L5, S1]
    };

    /// Position among the key muscles, C5 = 0 to S1 = 9.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The spinal level of this key muscle.
    pub const fn level(self) -> Level {
        match self {
            MotorLevel::C5 => Level::C5,
            MotorLevel::C6 => Level::C6,
            MotorLevel::C7 => Level::C7,
            MotorLevel::C8 => Level::C8,
            MotorLevel::T1 => Level::T1,
            MotorLevel::L2 => Level::L2,
            MotorLevel::L3 => Level::L3,
            MotorLevel::L4 => Level::L4,
            MotorLevel::L5 => Level::L5,
            MotorLevel::S1 => Level::S1,
        }
    }

    /// True for the five upper-extremity muscles (C5–T1).
    pub const fn is_upper(self) -> bool {
        (self as u8) < 5
    }
}

impl fmt::Display for MotorLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.level().name())
    }
}

/// A side of the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// The participant's right side.
    Right,
    /// The participant's left side.
    Left,
}

impl Side {
    /// Both sides, right first as on the worksheet.
    pub const BOTH: [Side; 2] = [Side::Right, Side::Left];

    /// `Right` or `Left`, as in the flat layout's keys.
    pub const fn name(self) -> &'static str {
        match self {
            Side::Right => "Right",
            Side::Left => "Left",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for level in Level::ALL {
            assert_eq!(Level::parse(level.name()), Some(level));
            assert_eq!(Level::from_index(level.index()), Some(level));
        }
        assert_eq!(Level::parse("s4-5"), Some(Level::S4_5));
        assert_eq!(Level::parse("t13"), None);
        assert_eq!(Level::DERMATOMES[0], Level::C2);
        assert_eq!(Level::DERMATOMES[27], Level::S4_5);
    }

    #[test]
    fn key_muscles_sit_at_their_levels() {
        for m in MotorLevel::ALL {
            assert_eq!(m.level().key_muscle(), Some(m));
        }
        let with_muscle = Level::ALL
            .iter()
            .filter(|l| l.key_muscle().is_some())
            .count();
        assert_eq!(with_muscle, 10);
    }
}

//! A complete ISNCSCI exam: both sides' key muscles and dermatomes, and the anorectal exam.

use crate::level::{Level, MotorLevel, Side};
use crate::value::{Anal, MotorValue, SensoryValue};

/// One side of the exam.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SideExam {
    /// Key-muscle grades, C5 to S1 (indexed by [`MotorLevel::index`]).
    pub motor: [MotorValue; 10],
    /// Light-touch scores, C2 to S4-5 (index 0 is C2).
    pub light_touch: [SensoryValue; 28],
    /// Pin-prick scores, C2 to S4-5 (index 0 is C2).
    pub pin_prick: [SensoryValue; 28],
    /// The lowest non-key muscle with motor function, when the examiner recorded one. Only a
    /// key-muscle level (C5–T1, L2–S1) takes part in the classification; another level is kept
    /// as recorded.
    pub lowest_non_key_muscle: Option<Level>,
}

impl SideExam {
    /// A side with every value normal and no non-key muscle.
    pub const fn normal() -> SideExam {
        SideExam {
            motor: [MotorValue::NORMAL; 10],
            light_touch: [SensoryValue::NORMAL; 28],
            pin_prick: [SensoryValue::NORMAL; 28],
            lowest_non_key_muscle: None,
        }
    }

    /// The grade of a key muscle.
    #[inline]
    pub fn motor(&self, muscle: MotorLevel) -> MotorValue {
        self.motor[muscle.index()]
    }

    /// The light-touch score at a level (C1 is always normal).
    #[inline]
    pub fn touch(&self, level: Level) -> SensoryValue {
        match level.index() {
            0 => SensoryValue::NORMAL,
            i => self.light_touch[i - 1],
        }
    }

    /// The pin-prick score at a level (C1 is always normal).
    #[inline]
    pub fn prick(&self, level: Level) -> SensoryValue {
        match level.index() {
            0 => SensoryValue::NORMAL,
            i => self.pin_prick[i - 1],
        }
    }

    /// The non-key muscle as a key-muscle level, when it is one.
    #[inline]
    pub(crate) fn non_key_muscle(&self) -> Option<MotorLevel> {
        self.lowest_non_key_muscle.and_then(Level::key_muscle)
    }

    /// Sets the light-touch score at a dermatome (C2–S4-5; C1 is ignored).
    pub fn set_touch(&mut self, level: Level, value: SensoryValue) {
        if let Some(i) = level.index().checked_sub(1) {
            self.light_touch[i] = value;
        }
    }

    /// Sets the pin-prick score at a dermatome (C2–S4-5; C1 is ignored).
    pub fn set_prick(&mut self, level: Level, value: SensoryValue) {
        if let Some(i) = level.index().checked_sub(1) {
            self.pin_prick[i] = value;
        }
    }
}

/// A whole exam.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Exam {
    /// The right side.
    pub right: SideExam,
    /// The left side.
    pub left: SideExam,
    /// Voluntary anal contraction (VAC).
    pub anal_contraction: Anal,
    /// Deep anal pressure (DAP).
    pub anal_sensation: Anal,
}

impl Exam {
    /// An exam with every value normal: classified AIS E, NLI `INT`.
    pub const fn normal() -> Exam {
        Exam {
            right: SideExam::normal(),
            left: SideExam::normal(),
            anal_contraction: Anal::Yes,
            anal_sensation: Anal::Yes,
        }
    }

    /// One side.
    #[inline]
    pub fn side(&self, side: Side) -> &SideExam {
        match side {
            Side::Right => &self.right,
            Side::Left => &self.left,
        }
    }

    /// One side, to change it.
    #[inline]
    pub fn side_mut(&mut self, side: Side) -> &mut SideExam {
        match side {
            Side::Right => &mut self.right,
            Side::Left => &mut self.left,
        }
    }

    /// The same exam with every `*` and `**` flag removed.
    pub fn without_flags(&self) -> Exam {
        let strip = |s: &SideExam| SideExam {
            motor: s.motor.map(MotorValue::unflagged),
            light_touch: s.light_touch.map(SensoryValue::unflagged),
            pin_prick: s.pin_prick.map(SensoryValue::unflagged),
            lowest_non_key_muscle: s.lowest_non_key_muscle,
        };
        Exam {
            right: strip(&self.right),
            left: strip(&self.left),
            anal_contraction: self.anal_contraction,
            anal_sensation: self.anal_sensation,
        }
    }

    /// Classifies the exam under the 2019 standard.
    pub fn classify(&self) -> crate::Classification {
        crate::classify::classify(self)
    }
}

impl Default for Exam {
    fn default() -> Exam {
        Exam::normal()
    }
}

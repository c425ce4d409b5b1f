//! Sensory levels, motor levels and the neurological level of injury.

use super::Step;
use crate::exam::{Exam, SideExam};
use crate::level::{Level, MotorLevel};
use crate::result::{LevelResult, Levels};
use crate::value::{Anal, MotorValue};

/// Examines the dermatome below the level under test: the level is the sensory level when the
/// dermatome below it is not intact.
pub(super) fn sensory_step(side: &SideExam, below: Level, star: bool) -> Step {
    let (touch, prick) = (side.touch(below), side.prick(below));
    if touch.is_normal() && prick.is_normal() {
        return Step::pass(star);
    }
    if touch.abnormal() || prick.abnormal() {
        return Step {
            go_on: false,
            mark: Some(star),
            star,
        };
    }
    if touch.nt_non_sci() || prick.nt_non_sci() {
        return Step {
            go_on: false,
            mark: Some(true),
            star: true,
        };
    }
    if touch.plain_nt() || prick.plain_nt() {
        // Untestable: this level is possible, and so are the ones below.
        let counted_normal = touch.abnormal_counted_normal() || prick.abnormal_counted_normal();
        return Step {
            go_on: true,
            mark: Some(star),
            star: star || counted_normal,
        };
    }
    // Intact only because flagged values are counted as normal.
    Step::pass(true)
}

/// Examines a key muscle and the one below it.
pub(super) fn motor_step(here: MotorValue, below: MotorValue, star: bool) -> Step {
    let go_on = (here.counted_normal() || here.plain_nt()) && !below.weak();
    let below_may_be_weak = below.weak() || below.weak_or_nt_non_sci() || below.plain_nt();
    let mark = if !here.counted_normal() || below_may_be_weak {
        let flagged = here.weak_or_nt_non_sci()
            || (here.weak_counted_normal() && (below.weak_or_nt_non_sci() || below.plain_nt()));
        Some(flagged || star)
    } else {
        None
    };
    let star = if here.is_normal() {
        star || below.weak_counted_normal()
    } else if here.partial() || here.plain_nt() {
        star
    } else if here.is_double_star() {
        star || !below.weak()
    } else {
        true
    };
    Step { go_on, mark, star }
}

/// Examines the level above a block of key muscles (C4 or L1), whose first muscle decides.
pub(super) fn before_key_muscles(first: MotorValue, star: bool) -> Step {
    let may_be_weak = first.weak() || first.weak_or_nt_non_sci() || first.plain_nt();
    Step {
        go_on: !first.weak(),
        mark: may_be_weak.then_some(star),
        star: star || first.weak_counted_normal(),
    }
}

/// The dermatomes from the level above a block of key muscles to the one below its last muscle
/// (C4 to T2, or L1 to S2), taken together.
fn sensory_of_block(side: &SideExam, last: Level) -> Step {
    let mut block = Step::pass(false);
    for i in last.index() - 5..=last.index() {
        let step = sensory_step(side, Level::ALL[i + 1], false);
        block.go_on &= step.go_on;
        block.mark = step.mark.or(block.mark);
        block.star |= step.star;
    }
    block
}

/// Examines the last key muscle of a block (T1 or S1): below it there is no key muscle, so the
/// block's dermatomes decide whether the motor level can lie further down.
fn end_of_key_muscles(side: &SideExam, last: MotorLevel, star: bool) -> Step {
    let here = side.motor(last);
    let block = sensory_of_block(side, last.level());
    let block_intact = block.go_on && block.mark.is_none();
    let mark = if here.counted_normal() && block_intact {
        None
    } else {
        let flagged = here.weak_or_nt_non_sci() || (here.weak_counted_normal() && !block_intact);
        Some(flagged || star)
    };
    let star = star
        || here.weak_or_nt_non_sci()
        || here.weak_counted_normal()
        || (here.is_double_star() && block.go_on)
        || ((here.is_normal() || here.plain_nt()) && block_intact && block.star);
    Step {
        go_on: block.go_on && !here.partial() && !here.weak_or_nt_non_sci(),
        mark,
        star,
    }
}

/// The sensory level of one side.
pub(crate) fn sensory_level(side: &SideExam) -> Levels {
    let mut out = Levels::default();
    let mut star = false;
    for pair in Level::ALL.windows(2) {
        let step = sensory_step(side, pair[1], star);
        star |= step.star;
        if let Some(s) = step.mark {
            out.insert_level(pair[0], s);
        }
        if !step.go_on {
            return out;
        }
    }
    out.insert(LevelResult::Intact, star);
    out
}

/// What decides the motor level at each level of the walk.
#[derive(Clone, Copy)]
enum MotorRule {
    /// No key muscle near: the motor level follows the sensory level.
    Sensory,
    /// C4 or L1: the first key muscle of the block below decides.
    BeforeMuscles(MotorLevel),
    /// A key muscle with another below it.
    Muscle(MotorLevel, MotorLevel),
    /// T1 or S1: the last key muscle of a block.
    LastMuscle(MotorLevel),
    /// S4-5: the anal contraction decides.
    Sacral,
}

#[rustfmt::skip]
const MOTOR_RULES: [MotorRule; 29] = {
    use MotorLevel as M;
    use MotorRule::*;
    [
        Sensory, Sensory, Sensory, BeforeMuscles(M::C5),                    // C1–C4
        Muscle(M::C5, M::C6), Muscle(M::C6, M::C7), Muscle(M::C7, M::C8),   // C5–C7
        Muscle(M::C8, M::T1), LastMuscle(M::T1),                            // C8, T1
        Sensory, Sensory, Sensory, Sensory, Sensory, Sensory,               // T2–T7
        Sensory, Sensory, Sensory, Sensory, Sensory,                        // T8–T12
        BeforeMuscles(M::L2),                                               // L1
        Muscle(M::L2, M::L3), Muscle(M::L3, M::L4), Muscle(M::L4, M::L5),   // L2–L4
        Muscle(M::L5, M::S1), LastMuscle(M::S1),                            // L5, S1
        Sensory, Sensory, Sacral,                                           // S2, S3, S4-5
    ]
};

/// The motor level of one side; below the last key muscles it follows sensation, and at the
/// end the anal contraction decides between S3 and intact.
pub(crate) fn motor_level(side: &SideExam, anal_contraction: Anal) -> Levels {
    let mut out = Levels::default();
    let mut star = false;
    for (i, rule) in MOTOR_RULES.iter().enumerate() {
        let level = Level::ALL[i];
        let step = match *rule {
            MotorRule::Sensory => sensory_step(side, Level::ALL[i + 1], star),
            MotorRule::BeforeMuscles(first) => before_key_muscles(side.motor(first), star),
            MotorRule::Muscle(here, below) => motor_step(side.motor(here), side.motor(below), star),
            MotorRule::LastMuscle(last) => end_of_key_muscles(side, last, star),
            MotorRule::Sacral => {
                let s3 = LevelResult::Level(Level::S3);
                match anal_contraction {
                    Anal::No => {
                        if !out.contains(s3) {
                            out.insert(s3, star);
                        }
                    }
                    Anal::NT => {
                        out.insert(s3, star);
                        out.insert(LevelResult::Intact, star);
                    }
                    Anal::Yes => out.insert(LevelResult::Intact, star),
                }
                return out;
            }
        };
        star |= step.star;
        if let Some(s) = step.mark {
            out.insert_level(level, s);
        }
        if !step.go_on {
            return out;
        }
    }
    out
}

/// Both sides' steps at one level, for the neurological level.
fn both_sides(right: Step, left: Step, star: bool) -> Step {
    let mark = match (right.mark, left.mark) {
        (None, None) => None,
        (Some(true), Some(true)) => Some(true),
        _ => Some(star),
    };
    Step {
        go_on: right.go_on && left.go_on,
        mark,
        star: star || right.star || left.star,
    }
}

/// The neurological level of injury: the lowest level at which sensation is intact on both
/// sides and key muscles are at least antigravity with those above them normal.
pub(crate) fn neurological_level(exam: &Exam) -> Levels {
    let mut out = Levels::default();
    let mut star = false;
    for (i, rule) in MOTOR_RULES[..28].iter().enumerate() {
        let below = Level::ALL[i + 1];
        let sensory = both_sides(
            sensory_step(&exam.right, below, star),
            sensory_step(&exam.left, below, star),
            star,
        );
        let motor_step_of = |side: &SideExam| match *rule {
            MotorRule::BeforeMuscles(first) => Some(before_key_muscles(side.motor(first), star)),
            MotorRule::Muscle(here, below) => {
                Some(motor_step(side.motor(here), side.motor(below), star))
            }
            MotorRule::LastMuscle(last) => {
                Some(motor_step(side.motor(last), side.motor(last), star))
            }
            MotorRule::Sensory | MotorRule::Sacral => None,
        };
        let step = match (motor_step_of(&exam.right), motor_step_of(&exam.left)) {
            (Some(right), Some(left)) => {
                let any_mark =
                    right.mark.is_some() || left.mark.is_some() || sensory.mark.is_some();
                let both_starred = right.mark.is_some()
                    && left.mark.is_some()
                    && (right.mark == Some(true) || left.mark == Some(true));
                let mark = any_mark.then_some(both_starred || star);
                if sensory.go_on {
                    Step {
                        go_on: right.go_on && left.go_on,
                        mark,
                        star: sensory.star || right.star || left.star,
                    }
                } else {
                    Step { mark, ..sensory }
                }
            }
            _ => sensory,
        };
        star |= step.star;
        if let Some(s) = step.mark {
            out.insert_level(Level::ALL[i], s);
        }
        if !step.go_on {
            return out;
        }
    }
    out.insert(LevelResult::Intact, star);
    out
}

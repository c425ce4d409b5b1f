//! Sensory levels, motor levels and the neurological level of injury.

use super::Step;
use crate::exam::{Exam, SideExam};
use crate::level::{Level, MotorLevel};
use crate::result::{LevelResult, Levels};
use crate::value::{Anal, MotorValue};

/// Examines the dermatome below the level under test: the level is the sensory level when the
/// dermatome below it is not intact.
#[inline(always)]
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
#[inline(always)]
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
#[inline(always)]
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
    let mut walk = Walk::default();
    for i in 0..28 {
        if !walk.visit(i, sensory_step(side, Level::ALL[i + 1], walk.star)) {
            return walk.out;
        }
    }
    walk.out.insert(LevelResult::Intact, walk.star);
    walk.out
}

/// A walk's state: the possible levels found so far, and whether the levels from here on rest
/// on non-SCI values.
#[derive(Default)]
struct Walk {
    out: Levels,
    star: bool,
}

impl Walk {
    /// Takes one level's step; returns whether to go on.
    #[inline(always)]
    fn visit(&mut self, level: usize, step: Step) -> bool {
        self.star |= step.star;
        if let Some(s) = step.mark {
            self.out.insert_level(Level::ALL[level], s);
        }
        step.go_on
    }
}

/// The motor level of one side; above and between the key muscles, and below them, it follows
/// sensation; at the end the anal contraction decides between S3 and intact.
pub(crate) fn motor_level(side: &SideExam, anal_contraction: Anal) -> Levels {
    let mut walk = Walk::default();
    let _ = motor_walk(side, &mut walk) && {
        let s3 = LevelResult::Level(Level::S3);
        let star = walk.star;
        match anal_contraction {
            Anal::No => {
                if !walk.out.contains(s3) {
                    walk.out.insert(s3, star);
                }
            }
            Anal::NT => {
                walk.out.insert(s3, star);
                walk.out.insert(LevelResult::Intact, star);
            }
            Anal::Yes => walk.out.insert(LevelResult::Intact, star),
        }
        true
    };
    walk.out
}

/// Walks C1 to S3; returns whether the walk reached S4-5.
#[inline(always)]
fn motor_walk(side: &SideExam, walk: &mut Walk) -> bool {
    let m = &side.motor;
    // C1–C3: sensation; C4: the first arm muscle decides.
    for i in 0..3 {
        if !walk.visit(i, sensory_step(side, Level::ALL[i + 1], walk.star)) {
            return false;
        }
    }
    if !walk.visit(3, before_key_muscles(m[0], walk.star)) {
        return false;
    }
    // C5–C8: each muscle with the one below; T1: the last arm muscle.
    for k in 0..4 {
        if !walk.visit(4 + k, motor_step(m[k], m[k + 1], walk.star)) {
            return false;
        }
    }
    if !walk.visit(8, end_of_key_muscles(side, MotorLevel::T1, walk.star)) {
        return false;
    }
    // T2–T12: sensation; L1: the first leg muscle decides.
    for i in 9..20 {
        if !walk.visit(i, sensory_step(side, Level::ALL[i + 1], walk.star)) {
            return false;
        }
    }
    if !walk.visit(20, before_key_muscles(m[5], walk.star)) {
        return false;
    }
    // L2–L5, then S1: the last leg muscle.
    for k in 5..9 {
        if !walk.visit(16 + k, motor_step(m[k], m[k + 1], walk.star)) {
            return false;
        }
    }
    if !walk.visit(25, end_of_key_muscles(side, MotorLevel::S1, walk.star)) {
        return false;
    }
    // S2, S3: sensation.
    for i in 26..28 {
        if !walk.visit(i, sensory_step(side, Level::ALL[i + 1], walk.star)) {
            return false;
        }
    }
    true
}

/// Both sides' steps at one level, for the neurological level.
#[inline(always)]
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

/// Both sides' motor steps joined with the sensory step of the same level.
#[inline(always)]
fn with_muscles(sensory: Step, right: Step, left: Step, star: bool) -> Step {
    let any_mark = right.mark.is_some() || left.mark.is_some() || sensory.mark.is_some();
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

/// The neurological level of injury: the lowest level at which sensation is intact on both
/// sides and key muscles are at least antigravity with those above them normal.
pub(crate) fn neurological_level(exam: &Exam) -> Levels {
    let mut walk = Walk::default();
    let (r, l) = (&exam.right.motor, &exam.left.motor);
    for i in 0..28 {
        let star = walk.star;
        let below = Level::ALL[i + 1];
        let sensory = both_sides(
            sensory_step(&exam.right, below, star),
            sensory_step(&exam.left, below, star),
            star,
        );
        let step = match i {
            // C4 and L1: the first muscle of the block below.
            3 | 20 => {
                let k = if i == 3 { 0 } else { 5 };
                let right = before_key_muscles(r[k], star);
                with_muscles(sensory, right, before_key_muscles(l[k], star), star)
            }
            // C5–C8 and L2–L5: each muscle with the one below.
            4..=7 | 21..=24 => {
                let k = if i < 8 { i - 4 } else { i - 16 };
                let right = motor_step(r[k], r[k + 1], star);
                with_muscles(sensory, right, motor_step(l[k], l[k + 1], star), star)
            }
            // T1 and S1: the last muscle, on its own.
            8 | 25 => {
                let k = if i == 8 { 4 } else { 9 };
                let right = motor_step(r[k], r[k], star);
                with_muscles(sensory, right, motor_step(l[k], l[k], star), star)
            }
            _ => sensory,
        };
        if !walk.visit(i, step) {
            return walk.out;
        }
    }
    walk.out.insert(LevelResult::Intact, walk.star);
    walk.out
}

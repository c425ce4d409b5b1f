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

// A step of a walk that reads only normal values (light touch and pin prick 2, motor 5)
// passes without a mark and leaves the star as it was: it changes nothing, and the walks skip
// it. They take the other steps, in order, as bits of a mask (C1 = bit 0).

/// A bit for each dermatome from C2 (bit 0, the step at C1 that looks below it) whose light
/// touch or pin prick is not normal.
fn abnormal_dermatomes(side: &SideExam) -> u32 {
    let mut mask = 0u32;
    for (i, (touch, prick)) in side.light_touch.iter().zip(&side.pin_prick).enumerate() {
        mask |= u32::from(!(touch.is_normal() & prick.is_normal())) << i;
    }
    mask
}

/// A bit for each key muscle from C5 (bit 0) that is not normal.
fn abnormal_muscles(side: &SideExam) -> u32 {
    let mut mask = 0u32;
    for (i, m) in side.motor.iter().enumerate() {
        mask |= u32::from(!m.is_normal()) << i;
    }
    mask
}

/// The motor steps that read the muscles of `muscles`: the first muscle of a block is read at
/// the level above it (C4, L1) and at its own, every other muscle at the level above it and at
/// its own (C5–C8 read the next muscle; T1 and S1 only their own).
fn steps_reading(muscles: u32) -> u32 {
    let (arm, leg) = (muscles & 0x1F, muscles >> 5 & 0x1F);
    (arm | arm << 1) << 3 | (leg | leg << 1) << 20
}

/// Takes the steps of `todo` in order; returns whether the walk went past the last one.
#[inline(always)]
fn take_steps(walk: &mut Walk, mut todo: u32, step: impl Fn(usize, bool) -> Step) -> bool {
    while todo != 0 {
        let i = todo.trailing_zeros() as usize;
        todo &= todo - 1;
        if !walk.visit(i, step(i, walk.star)) {
            return false;
        }
    }
    true
}

/// The sensory level of one side.
pub(crate) fn sensory_level(side: &SideExam) -> Levels {
    let mut walk = Walk::default();
    let steps = abnormal_dermatomes(side);
    if take_steps(&mut walk, steps, |i, star| {
        sensory_step(side, Level::ALL[i + 1], star)
    }) {
        walk.out.insert(LevelResult::Intact, walk.star);
    }
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
    let dermatomes = abnormal_dermatomes(side);
    // Sensation decides at C1–C3, T2–T12, S2 and S3; T1 and S1 read the dermatomes of their
    // block (C5–T2, L2–S2) as well as their muscle.
    const SENSORY_STEPS: u32 = 0b111 | 0x7FF << 9 | 0b11 << 26;
    let steps = dermatomes & SENSORY_STEPS
        | steps_reading(abnormal_muscles(side))
        | u32::from(dermatomes & 0x3F << 3 != 0) << 8
        | u32::from(dermatomes & 0x3F << 20 != 0) << 25;
    take_steps(walk, steps, |i, star| match i {
        // C4 and L1: the first muscle of the block below decides.
        3 => before_key_muscles(m[0], star),
        20 => before_key_muscles(m[5], star),
        // C5–C8 and L2–L5: each muscle with the one below.
        4..=7 => motor_step(m[i - 4], m[i - 3], star),
        21..=24 => motor_step(m[i - 16], m[i - 15], star),
        // T1 and S1: the last muscle of a block.
        8 => end_of_key_muscles(side, MotorLevel::T1, star),
        25 => end_of_key_muscles(side, MotorLevel::S1, star),
        _ => sensory_step(side, Level::ALL[i + 1], star),
    })
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
    let steps = abnormal_dermatomes(&exam.right)
        | abnormal_dermatomes(&exam.left)
        | steps_reading(abnormal_muscles(&exam.right) | abnormal_muscles(&exam.left));
    let intact = take_steps(&mut walk, steps, |i, star| {
        let below = Level::ALL[i + 1];
        let sensory = both_sides(
            sensory_step(&exam.right, below, star),
            sensory_step(&exam.left, below, star),
            star,
        );
        match i {
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
        }
    });
    if intact {
        walk.out.insert(LevelResult::Intact, walk.star);
    }
    walk.out
}

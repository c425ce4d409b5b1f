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

/// The values of a side that are not normal, as bits.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Abnormal {
    /// A bit for each dermatome from C2 (bit 0, the step at C1 that looks below it) whose
    /// light touch or pin prick is not 2.
    dermatomes: u32,
    /// A bit for each key muscle from C5 (bit 0) that is not 5.
    muscles: u32,
    /// A bit for each level (C1 = bit 0) with a value flagged `*` or `**`.
    pub(crate) flagged: u32,
}

impl Abnormal {
    pub(crate) fn of(side: &SideExam) -> Abnormal {
        // The values' codes, a byte each: a normal sensory value is 2, a normal motor value 5,
        // a flag is in the high four bits. The bytes past the values are normal.
        let (mut touch, mut prick, mut motor) = ([2u8; 32], [2u8; 32], [5u8; 32]);
        for (b, v) in touch.iter_mut().zip(&side.light_touch) {
            *b = v.code();
        }
        for (b, v) in prick.iter_mut().zip(&side.pin_prick) {
            *b = v.code();
        }
        for (b, v) in motor.iter_mut().zip(&side.motor) {
            *b = v.code();
        }
        let (touch, prick, motor) = (words(&touch), words(&prick), words(&motor));
        const BYTES: u64 = 0x0101_0101_0101_0101;
        const FLAGS: u64 = 0xF0 * BYTES;
        const TWOS: u64 = 2 * BYTES;
        const FIVES: u64 = 5 * BYTES;
        let dermatomes = nonzero_bytes(std::array::from_fn(|i| {
            (touch[i] ^ TWOS) | (prick[i] ^ TWOS)
        }));
        let muscles = nonzero_bytes(motor.map(|w| w ^ FIVES));
        let flagged_dermatomes =
            nonzero_bytes(std::array::from_fn(|i| (touch[i] | prick[i]) & FLAGS));
        let flagged_muscles = nonzero_bytes(motor.map(|w| w & FLAGS));
        // Dermatomes from C2 and muscles from C5 (C5–T1 at levels 4–8, L2–S1 at 21–25).
        let flagged =
            flagged_dermatomes << 1 | (flagged_muscles & 0x1F) << 4 | (flagged_muscles >> 5) << 21;
        Abnormal {
            dermatomes,
            muscles,
            flagged,
        }
    }
}

/// The four little-endian words of 32 bytes.
fn words(bytes: &[u8; 32]) -> [u64; 4] {
    let (chunks, _) = bytes.as_chunks::<8>();
    std::array::from_fn(|i| u64::from_le_bytes(chunks[i]))
}

/// A bit for each byte of the words (byte 0 of the first word is bit 0) that is not zero.
fn nonzero_bytes(words: [u64; 4]) -> u32 {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let mut mask = 0;
    for (i, w) in words.into_iter().enumerate() {
        // The high bit of each byte that is not zero, then the eight gathered into a byte.
        let high = (w | ((w & LOW7) + LOW7)) & !LOW7;
        let bits = (high >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56;
        mask |= (bits as u32) << (8 * i);
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
pub(crate) fn sensory_level(side: &SideExam, abnormal: Abnormal) -> Levels {
    let mut walk = Walk::default();
    let steps = abnormal.dermatomes;
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
pub(crate) fn motor_level(side: &SideExam, abnormal: Abnormal, anal_contraction: Anal) -> Levels {
    let mut walk = Walk::default();
    let _ = motor_walk(side, abnormal, &mut walk) && {
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
fn motor_walk(side: &SideExam, abnormal: Abnormal, walk: &mut Walk) -> bool {
    let m = &side.motor;
    let dermatomes = abnormal.dermatomes;
    // Sensation decides at C1–C3, T2–T12, S2 and S3; T1 and S1 read the dermatomes of their
    // block (C5–T2, L2–S2) as well as their muscle.
    const SENSORY_STEPS: u32 = 0b111 | 0x7FF << 9 | 0b11 << 26;
    let steps = dermatomes & SENSORY_STEPS
        | steps_reading(abnormal.muscles)
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
    neurological_level_of(exam, [Abnormal::of(&exam.right), Abnormal::of(&exam.left)])
}

/// [`neurological_level`], with what is abnormal on each side known.
pub(crate) fn neurological_level_of(exam: &Exam, abnormal: [Abnormal; 2]) -> Levels {
    let mut walk = Walk::default();
    let (r, l) = (&exam.right.motor, &exam.left.motor);
    let steps = abnormal[0].dermatomes
        | abnormal[1].dermatomes
        | steps_reading(abnormal[0].muscles | abnormal[1].muscles);
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

#[cfg(test)]
mod tests {
    use super::{nonzero_bytes, words, Abnormal};
    use crate::synth::{mixed_exam, Rng};

    #[test]
    fn nonzero_bytes_are_found_wherever_they_are() {
        let mut rng = Rng::new(3);
        for _ in 0..20_000 {
            let mut bytes = [0u8; 32];
            for b in bytes.iter_mut() {
                if rng.chance(0.3) {
                    *b = rng.below(256) as u8;
                }
            }
            let naive = (0..32).fold(0u32, |m, i| m | u32::from(bytes[i] != 0) << i);
            assert_eq!(nonzero_bytes(words(&bytes)), naive, "{bytes:?}");
        }
    }

    /// A bit for each level (C1 = bit 0) with a value flagged `*` or `**`, level by level.
    fn flagged_levels(side: &crate::exam::SideExam) -> u32 {
        let mut mask = 0u32;
        for level in crate::level::Level::ALL {
            let flagged = level
                .key_muscle()
                .is_some_and(|m| side.motor(m).is_flagged())
                || (level.index() > 0
                    && (side.touch(level).is_flagged() || side.prick(level).is_flagged()));
            mask |= u32::from(flagged) << level.index();
        }
        mask
    }

    #[test]
    fn abnormal_and_flagged_masks_match_a_value_by_value_look() {
        let mut rng = Rng::new(4);
        for _ in 0..2000 {
            let exam = mixed_exam(&mut rng);
            for side in [&exam.right, &exam.left] {
                let abnormal = Abnormal::of(side);
                let dermatomes = (0..28).fold(0u32, |m, i| {
                    let normal = side.light_touch[i].is_normal() && side.pin_prick[i].is_normal();
                    m | u32::from(!normal) << i
                });
                let muscles =
                    (0..10).fold(0u32, |m, i| m | u32::from(!side.motor[i].is_normal()) << i);
                assert_eq!(
                    (abnormal.dermatomes, abnormal.muscles),
                    (dermatomes, muscles)
                );
                assert_eq!(abnormal.flagged, flagged_levels(side));
            }
        }
    }
}

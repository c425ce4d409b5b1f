//! Zones of partial preservation: the dermatomes and myotomes below the sensory and motor
//! levels that remain partly innervated, reported where the injury is complete (or may be).

use crate::exam::SideExam;
use crate::level::{Level, MotorLevel};
use crate::result::{Ais, Grade, LevelResult, Levels};
use crate::value::Anal;

use super::Step;

/// Examines a dermatome for any preserved sensation, walking cranially.
fn sensory_step(side: &SideExam, level: Level, star: bool) -> Step {
    let (touch, prick) = (side.touch(level), side.prick(level));
    if touch.absent() && prick.absent() {
        return Step::pass(star);
    }
    if !touch.may_be_absent() || !prick.may_be_absent() {
        return Step {
            go_on: false,
            mark: Some(star),
            star,
        };
    }
    if touch.is_nt() || prick.is_nt() {
        return Step {
            go_on: true,
            mark: Some(star),
            star,
        };
    }
    // Only absent because of flagged values.
    Step {
        go_on: true,
        mark: Some(true),
        star: true,
    }
}

/// The sensory ZPP of one side: from S3 up to the most caudal dermatome with some sensation.
pub(crate) fn sensory(side: &SideExam, anal_sensation: Anal) -> Levels {
    let mut out = Levels::default();
    let (touch, prick) = (side.touch(Level::S4_5), side.prick(Level::S4_5));
    if anal_sensation == Anal::Yes || !touch.may_be_absent() || !prick.may_be_absent() {
        out.insert(LevelResult::NotApplicable, false);
        return out;
    }
    if anal_sensation == Anal::NT || !(touch.absent() && prick.absent()) {
        out.insert(LevelResult::NotApplicable, false);
    }
    let mut star = false;
    for level in Level::ALL[1..=Level::S3.index()].iter().rev() {
        let step = sensory_step(side, *level, star);
        star |= step.star;
        if let Some(s) = step.mark {
            out.insert_level(*level, s);
        }
        if !step.go_on {
            return out;
        }
    }
    out.insert_level(Level::C1, false);
    out
}

/// The levels with a key muscle (C5–T1, L2–S1), a bit for each by [`Level::index`].
const KEY_MUSCLE_LEVELS: u32 = 0b1_1111 << 4 | 0b1_1111 << 21;

/// What the motor-ZPP walk needs to know of the levels between the motor level and the bottom
/// of the search.
struct Range {
    top: usize,
    bottom: usize,
    /// The first level, from C1 to the bottom, with a flagged value.
    first_flagged: Option<usize>,
    /// The last level of the run of normal key-muscle levels that starts at the top.
    last_of_normal_run: usize,
    /// The non-key muscle, when it lies at or above the bottom.
    non_key: Option<MotorLevel>,
}

impl Range {
    fn new(side: &SideExam, flagged: u32, top: usize, bottom: usize) -> Range {
        let up_to_bottom = flagged & (u32::MAX >> (31 - bottom));
        let first_flagged = (up_to_bottom != 0).then(|| up_to_bottom.trailing_zeros() as usize);
        // The run matters only for starring, which needs a flagged value.
        let last_of_normal_run = match first_flagged {
            None => bottom,
            Some(_) => {
                let normal_at = |i: usize| {
                    let level = Level::ALL[i];
                    let sensory_ok =
                        |v: crate::value::SensoryValue| v.is_normal() || v.is_double_star();
                    sensory_ok(side.touch(level))
                        && sensory_ok(side.prick(level))
                        && level
                            .key_muscle()
                            .is_some_and(|m| side.motor(m).counted_normal())
                };
                (top + 1..=bottom)
                    .find(|i| !normal_at(*i))
                    .map_or(bottom, |i| i - 1)
            }
        };
        Range {
            top,
            bottom,
            first_flagged,
            last_of_normal_run,
            non_key: side
                .non_key_muscle()
                .filter(|m| m.level().index() <= bottom),
        }
    }

    /// Whether a ZPP level is printed with `*`.
    fn starred(&self, side: &SideExam, i: usize) -> bool {
        let Some(first_flagged) = self.first_flagged else {
            return false;
        };
        let level = Level::ALL[i];
        if let Some(m) = level.key_muscle() {
            let v = side.motor(m);
            return v.zero() && v.is_flagged();
        }
        let flagged_low = |v: crate::value::SensoryValue| v.is_flagged() && !v.is_nt();
        flagged_low(side.touch(level))
            || flagged_low(side.prick(level))
            || (first_flagged..=self.last_of_normal_run).contains(&i)
    }
}

/// The motor ZPP of one side: from the bottom of the search up to the most caudal key muscle
/// with some motor function, or up to the motor level.
pub(crate) fn motor(
    side: &SideExam,
    flagged: u32,
    anal_contraction: Anal,
    ais: Ais,
    motor_level: &Levels,
) -> Levels {
    let mut out = Levels::default();
    match anal_contraction {
        Anal::Yes => {
            out.insert(LevelResult::NotApplicable, false);
            return out;
        }
        Anal::NT => out.insert(LevelResult::NotApplicable, false),
        Anal::No => {}
    }
    let plain_levels = motor_level.unstarred();
    let Some(LevelResult::Level(top)) = plain_levels.first() else {
        return out;
    };
    let below_s1 = [
        LevelResult::Level(Level::S2),
        LevelResult::Level(Level::S3),
        LevelResult::Intact,
    ]
    .iter()
    .any(|r| plain_levels.contains(*r));
    let bottom = match plain_levels.last() {
        _ if !below_s1 => Level::S1,
        Some(LevelResult::Level(level)) => level,
        _ => Level::S3,
    };
    if bottom < top {
        return out;
    }
    let range = Range::new(side, flagged, top.index(), bottom.index());
    // With AIS C possible, a non-key muscle more than three levels below a key level outweighs it.
    let weigh_non_key = ais.contains(Grade::C);
    let outweighed_at =
        |i: usize| weigh_non_key && range.non_key.is_some_and(|m| m.level().index() > i + 3);
    let mut add_non_key = false;
    let mut non_key_added = false;
    // The walk goes up from the bottom to the top, and only key-muscle levels and the motor
    // level's possibilities can change anything.
    let between = (u32::MAX >> (31 - range.bottom)) & (u32::MAX << range.top);
    let mut stops = (KEY_MUSCLE_LEVELS | plain_levels.level_bits()) & between;
    while stops != 0 {
        let i = (31 - stops.leading_zeros()) as usize;
        stops &= !(1 << i);
        let level = Level::ALL[i];
        let at_top = i == range.top;
        let outweighed = outweighed_at(i);
        let keep = |out: &mut Levels, add_non_key: &mut bool| {
            if outweighed {
                *add_non_key = true;
                false
            } else {
                out.insert_level(level, range.starred(side, i));
                true
            }
        };
        match level.key_muscle() {
            Some(m) => {
                let v = side.motor(m);
                let function = v.grade().is_some_and(|g| g >= 1) || v.is_double_star();
                if function || v.may_be_absent() && !v.absent_plain() {
                    if keep(&mut out, &mut add_non_key) && range.non_key == Some(m) {
                        non_key_added = true;
                    }
                    if function || at_top {
                        break;
                    }
                } else if at_top {
                    break;
                }
            }
            None => {
                if plain_levels.contains(LevelResult::Level(level)) {
                    keep(&mut out, &mut add_non_key);
                }
                if at_top {
                    break;
                }
            }
        }
    }
    if add_non_key && !non_key_added {
        if let Some(m) = range.non_key {
            out.insert_level(m.level(), false);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::KEY_MUSCLE_LEVELS;
    use crate::level::Level;

    #[test]
    fn key_muscle_levels_are_the_levels_with_a_key_muscle() {
        let levels = Level::ALL
            .iter()
            .filter(|l| l.key_muscle().is_some())
            .fold(0u32, |mask, l| mask | 1 << l.index());
        assert_eq!(KEY_MUSCLE_LEVELS, levels);
    }
}

//! Completeness and the ASIA Impairment Scale grade.

use super::{first_key_muscle_from, levels::neurological_level};
use crate::exam::{Exam, SideExam};
use crate::level::{Level, MotorLevel};
use crate::result::{Ais, Completeness, Grade, LevelResult, Levels};
use crate::value::{Anal, MotorValue, SensoryValue};

fn sacral_sensation(exam: &Exam) -> [SensoryValue; 4] {
    [
        exam.right.touch(Level::S4_5),
        exam.right.prick(Level::S4_5),
        exam.left.touch(Level::S4_5),
        exam.left.prick(Level::S4_5),
    ]
}

/// Complete when nothing is preserved in the lowest sacral segments: no anal contraction, no
/// deep anal pressure and no sensation at S4-5.
pub(crate) fn completeness(exam: &Exam) -> Completeness {
    let s45 = sacral_sensation(exam);
    let of = |complete, incomplete, starred| Completeness {
        complete,
        incomplete,
        starred,
    };
    if exam.anal_contraction == Anal::No && exam.anal_sensation == Anal::No {
        if s45.iter().all(|v| v.absent()) {
            return of(true, false, false);
        }
        if s45
            .iter()
            .all(|v| v.absent() || (v.is_star() && v.grade() == Some(0)))
        {
            return of(true, true, true);
        }
        if s45
            .iter()
            .all(|v| v.absent() || (v.is_double_star() && v.grade() == Some(0)))
        {
            return of(false, true, true);
        }
    }
    let may_be_complete = exam.anal_contraction != Anal::Yes
        && exam.anal_sensation != Anal::Yes
        && s45.iter().all(|v| v.may_be_absent());
    of(may_be_complete, true, false)
}

/// A finding, and whether it rests on non-SCI values.
#[derive(Clone, Copy, Debug, Default)]
struct Finding {
    holds: bool,
    star: bool,
}

/// Sacral sensory sparing: deep anal pressure or any sensation at S4-5.
fn sacral_sensation_preserved(exam: &Exam) -> Finding {
    let s45 = sacral_sensation(exam);
    let dap_absent = exam.anal_sensation == Anal::No;
    let all_absent = s45.iter().all(|v| v.absent());
    Finding {
        holds: !dap_absent || !all_absent,
        star: dap_absent && !all_absent && s45.iter().all(|v| v.grade() == Some(0)),
    }
}

/// Where the search for motor function "more than three levels below the motor level" starts,
/// for one possibility of the motor level.
fn first_muscle_searched(motor_level: LevelResult) -> usize {
    match motor_level {
        LevelResult::Level(level) => first_key_muscle_from(level.index() + 4),
        _ => first_key_muscle_from(Level::S4_5.index()),
    }
}

/// Can this side have no motor function more than three levels below its motor level?
fn may_lack_motor_below(side: &SideExam, motor_level: &Levels) -> Finding {
    let non_key = side.non_key_muscle();
    let mut star = false;
    for (possible, _) in motor_level.iter() {
        let mut none_found = true;
        for m in &MotorLevel::ALL[first_muscle_searched(possible).min(10)..] {
            let v = side.motor(*m);
            if v.zero() && v.is_flagged() {
                star = true;
            }
            if !v.may_be_absent() || non_key == Some(*m) {
                none_found = false;
                break;
            }
        }
        if none_found {
            return Finding { holds: true, star };
        }
    }
    Finding::default()
}

/// Can this side have motor function more than three levels below its motor level?
fn may_have_motor_below(side: &SideExam, motor_level: &Levels) -> Finding {
    let non_key = side.non_key_muscle();
    let mut star = false;
    for (possible, _) in motor_level.iter() {
        for m in &MotorLevel::ALL[first_muscle_searched(possible).min(10)..] {
            let v = side.motor(*m);
            if v.zero() && v.is_double_star() {
                star = true;
            }
            if !(v.zero() && v.is_plain()) || non_key == Some(*m) {
                return Finding { holds: true, star };
            }
        }
    }
    Finding { holds: star, star }
}

/// Motor incomplete is possible: anal contraction, or sacral sensory sparing with motor
/// function more than three levels below the motor level on either side.
fn may_be_motor_incomplete(exam: &Exam, motor: [&Levels; 2]) -> Finding {
    if exam.anal_contraction != Anal::No {
        return Finding {
            holds: true,
            star: false,
        };
    }
    if sacral_sensation_preserved(exam).holds {
        let right = may_have_motor_below(&exam.right, motor[0]);
        let left = may_have_motor_below(&exam.left, motor[1]);
        if right.holds || left.holds {
            return Finding {
                holds: true,
                star: right.star || left.star,
            };
        }
    }
    Finding::default()
}

/// Sensory incomplete (B) is possible: sacral sensory sparing, and no motor function more than
/// three levels below the motor level on either side.
fn may_be_sensory_incomplete(exam: &Exam, motor: [&Levels; 2]) -> Finding {
    let sensation = sacral_sensation_preserved(exam);
    let right = may_lack_motor_below(&exam.right, motor[0]);
    let left = may_lack_motor_below(&exam.left, motor[1]);
    let no_motor = exam.anal_contraction != Anal::Yes && right.holds && left.holds;
    let no_motor_star = exam.anal_contraction == Anal::No && (right.star || left.star);
    Finding {
        holds: sensation.holds && no_motor,
        star: sensation.star || no_motor_star,
    }
}

/// A bit for each key muscle (C5 = bit 0) of a side whose value passes `test`.
fn muscles_where(side: &SideExam, test: impl Fn(MotorValue) -> bool) -> u32 {
    let mut mask = 0;
    for (k, v) in side.motor.iter().enumerate() {
        mask |= u32::from(test(*v)) << k;
    }
    mask
}

/// The key muscles from the first below a possible neurological level down, as bits.
fn muscles_below(possible: LevelResult) -> (u32, u32) {
    let index = match possible {
        LevelResult::Level(level) => level.index(),
        _ => Level::S4_5.index(),
    };
    let start = first_key_muscle_from(index + 1);
    ((0x3FF >> start) << start, (10 - start) as u32)
}

/// Counts the muscles of both sides' masks among `below`.
fn count(masks: [u32; 2], below: u32) -> u32 {
    (masks[0] & below).count_ones() + (masks[1] & below).count_ones()
}

/// The key muscles below each possible neurological level, and how many of them can be under
/// grade 3: AIS C needs more than half. A muscle weak or untestable from the injury counts;
/// one weak for a non-SCI reason (`0*`–`2*`) counts too, but a C that needs it is starred.
fn may_have_most_muscles_below_grade_3(exam: &Exam, nli: &Levels) -> Finding {
    let sides = [&exam.right, &exam.left];
    let plain = sides.map(|s| muscles_where(s, |v| v.weak() || v.nt_not_counted_normal()));
    let non_sci = sides.map(|s| muscles_where(s, MotorValue::weak_non_sci));
    for (possible, _) in nli.iter() {
        let (below, half) = muscles_below(possible);
        let plain = count(plain, below);
        if plain > half {
            return Finding {
                holds: true,
                star: false,
            };
        }
        if plain + count(non_sci, below) > half {
            return Finding {
                holds: true,
                star: true,
            };
        }
    }
    Finding::default()
}

/// AIS D needs at least half of the key muscles below the neurological level at grade 3 or
/// more. A muscle under grade 3 for a non-SCI reason (flagged) counts as at grade 3, but a D
/// that needs it is starred.
fn may_have_half_muscles_at_grade_3(exam: &Exam, nli: &Levels) -> Finding {
    let sides = [&exam.right, &exam.left];
    let strong = sides.map(|s| muscles_where(s, |v| !v.weak()));
    let flagged_weak =
        sides.map(|s| muscles_where(s, |v| v.is_flagged() && v.grade().is_some_and(|g| g < 3)));
    let strong_unflagged = [strong[0] & !flagged_weak[0], strong[1] & !flagged_weak[1]];
    let mut found = Finding::default();
    for (possible, _) in nli.iter() {
        if !matches!(possible, LevelResult::Level(_)) {
            break;
        }
        let (below, half) = muscles_below(possible);
        if count(strong_unflagged, below) >= half {
            return Finding {
                holds: true,
                star: false,
            };
        }
        if count(strong, below) >= half {
            found = Finding {
                holds: true,
                star: true,
            };
        }
    }
    found
}

/// The AIS grade, as the set of grades the exam allows.
pub(crate) fn grade(
    exam: &Exam,
    completeness: Completeness,
    motor: [&Levels; 2],
    nli: Levels,
    any_flag: bool,
) -> Ais {
    let mut ais = Ais::default();
    let only_intact = nli.len() == 1 && nli.contains(LevelResult::Intact);
    if exam.anal_contraction == Anal::Yes && only_intact {
        ais.insert(Grade::E, nli.iter().any(|(_, starred)| starred));
        return ais;
    }
    if completeness.complete {
        ais.insert(Grade::A, completeness.starred);
    }
    let b = may_be_sensory_incomplete(exam, motor);
    if b.holds {
        ais.insert(Grade::B, b.star);
    }
    let motor_incomplete = may_be_motor_incomplete(exam, motor);
    if motor_incomplete.holds {
        let c = may_have_most_muscles_below_grade_3(exam, &nli);
        if c.holds {
            // A C that only holds because flagged values were counted as normal is starred.
            let star = c.star || motor_incomplete.star || {
                any_flag && {
                    let plain = exam.without_flags();
                    let plain_nli = neurological_level(&plain);
                    !may_have_most_muscles_below_grade_3(&plain, &plain_nli).holds
                }
            };
            ais.insert(Grade::C, star);
        }
        let d = may_have_half_muscles_at_grade_3(exam, &nli);
        if d.holds {
            ais.insert(Grade::D, d.star || motor_incomplete.star);
        }
    }
    if exam.anal_contraction != Anal::No {
        let intact = nli.iter().find(|(r, _)| *r == LevelResult::Intact);
        if let Some((_, starred)) = intact {
            ais.insert(Grade::E, starred);
        }
    }
    ais
}

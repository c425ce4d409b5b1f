//! The 2019 classification.
//!
//! The walks follow the standard's steps: sensory levels, motor levels, the neurological level
//! of injury, completeness, the AIS grade and the zones of partial preservation. Each walk
//! moves from C1 caudally one level at a time and keeps two pieces of state:
//! - whether to go on to the next level;
//! - whether the result rests on a value flagged as impaired by a non-SCI condition, so that
//!   every level it yields from then on is printed with `*`.
//!
//! Where a value is `NT`, a walk does not stop: it records the level as one possibility and
//! goes on, which yields the set of possible results.

mod ais;
mod levels;
mod zpp;

use crate::exam::{Exam, SideExam};
use crate::result::{Classification, Total, Totals};
use crate::value::{MotorValue, SensoryValue};

/// The outcome of examining one level in a walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Step {
    /// Go on to the next level.
    go_on: bool,
    /// The level is a possible result; `Some(true)` when it is to be printed with `*`.
    mark: Option<bool>,
    /// From now on, results rest on non-SCI values.
    star: bool,
}

impl Step {
    const fn pass(star: bool) -> Step {
        Step {
            go_on: true,
            mark: None,
            star,
        }
    }
}

/// Classifies an exam (see [`Exam::classify`]).
pub fn classify(exam: &Exam) -> Classification {
    let abnormal = [
        levels::Abnormal::of(&exam.right),
        levels::Abnormal::of(&exam.left),
    ];
    let right_sensory = levels::sensory_level(&exam.right, abnormal[0]);
    let left_sensory = levels::sensory_level(&exam.left, abnormal[1]);
    let right_motor = levels::motor_level(&exam.right, abnormal[0], exam.anal_contraction);
    let left_motor = levels::motor_level(&exam.left, abnormal[1], exam.anal_contraction);
    let neurological_level = levels::neurological_level_of(exam, abnormal);
    let completeness = ais::completeness(exam);
    let flagged = [abnormal[0].flagged, abnormal[1].flagged];
    let any_flag = flagged[0] | flagged[1] != 0;
    let motor = [&right_motor, &left_motor];
    let grade = ais::grade(exam, completeness, motor, neurological_level, any_flag);
    Classification {
        totals: totals(exam),
        right_sensory,
        left_sensory,
        right_motor,
        left_motor,
        neurological_level,
        right_sensory_zpp: zpp::sensory(&exam.right, exam.anal_sensation),
        left_sensory_zpp: zpp::sensory(&exam.left, exam.anal_sensation),
        right_motor_zpp: zpp::motor(
            &exam.right,
            flagged[0],
            exam.anal_contraction,
            grade,
            &right_motor,
        ),
        left_motor_zpp: zpp::motor(
            &exam.left,
            flagged[1],
            exam.anal_contraction,
            grade,
            &left_motor,
        ),
        ais: grade,
        completeness,
    }
}

/// Sums grades; `None` (not determinable) when any is not testable. Branch-free, so that the
/// compiler can vectorise it.
#[inline]
fn sum<V: Copy>(values: &[V], raw: impl Fn(V) -> (u8, bool)) -> Total {
    let (mut total, mut untestable) = (0u16, false);
    for v in values {
        let (grade, nt) = raw(*v);
        total += u16::from(grade);
        untestable |= nt;
    }
    Total((!untestable).then_some(total))
}

fn add(a: Total, b: Total) -> Total {
    Total(a.0.zip(b.0).map(|(a, b)| a + b))
}

fn totals(exam: &Exam) -> Totals {
    let per_side = |s: &SideExam| {
        let upper = sum(&s.motor[..5], MotorValue::raw);
        let lower = sum(&s.motor[5..], MotorValue::raw);
        let touch = sum(&s.light_touch, SensoryValue::raw);
        let prick = sum(&s.pin_prick, SensoryValue::raw);
        (upper, lower, touch, prick, add(upper, lower))
    };
    let (ru, rl, rt, rp, rm) = per_side(&exam.right);
    let (lu, ll, lt, lp, lm) = per_side(&exam.left);
    Totals {
        right_upper_motor: ru,
        left_upper_motor: lu,
        right_lower_motor: rl,
        left_lower_motor: ll,
        right_touch: rt,
        left_touch: lt,
        right_prick: rp,
        left_prick: lp,
        right_motor: rm,
        left_motor: lm,
        upper_motor: add(ru, lu),
        lower_motor: add(rl, ll),
        touch: add(rt, lt),
        prick: add(rp, lp),
    }
}

/// The first key muscle examined at or below a level index (C1 = 0 … S4-5 = 28), as a key-muscle
/// index; 10 when none is.
pub(crate) const fn first_key_muscle_from(index: usize) -> usize {
    match index {
        1..=3 => 0,
        4..=8 => index - 4,
        9..=20 => 5,
        21..=25 => index - 16,
        _ => 10,
    }
}

//! Prognosis from the baseline exam: the clinical prediction rule of van Middendorp et al.
//! (Lancet 2011;377:1004–10) for walking independently indoors one year after a traumatic
//! spinal cord injury.
//!
//! The rule adds weighted points: age 65 or over −10 (under 65: 0); the motor grade of the knee
//! extensors (L3) and of the ankle plantar flexors (S1), each 0–5 times 2; the light-touch score
//! at L3 and at S1, each 0–2 times 5; each taken from the better side. The score runs from −10
//! to 40. The probability of walking is the logistic curve `1 / (1 + e^-(0.267 × score −
//! 3.273))`.
//!
//! Sources, as the docs say too: the variables, weights, the better side and the −10 to 40 range
//! are as the paper's abstract and later validation studies describe the rule; the logistic
//! curve's two coefficients were taken from a clinical calculator's summary of the paper
//! (medicalalgorithms.com, "traumatic spinal cord injury": `X = 0.267 × score − 3.273`), not read
//! in the paper itself. A search of stored public texts (December 2026) for the paper's model
//! found the paper's abstract (492 patients with outcomes, AUC 0.956, 95% CI 0.936–0.976) and
//! the opening of two copies of its full text, but not the part that gives the curve; the
//! abstracts of the validations by van Silfhout 2016 (Spinal Cord 54:614–8) and Hill 2019
//! (non-traumatic injury) report discrimination (AUC) only; Phan 2019 was not found; Hicks 2017
//! (Spine J) refits its own curve on Canadian data (`0.125 × score − 1.763`, as the same
//! calculator site gives it), which is not this rule's. The
//! two constants below are therefore still from the secondary source, unconfirmed, to be checked
//! against the paper before the probability is relied on; the score does not depend on them.
//!
//! The rule was derived on exams within 15 days of injury; on a later exam it is shown for what
//! it is. A value not testable on the better side's decision (one side `NT` and the other not
//! normal, or both `NT`) leaves the rule uncomputed, naming the value, rather than guessed. A
//! value flagged as impaired by another condition (`*`, `**`) counts with its recorded grade.

use isncsci::flat::Field;
use isncsci::{Exam, Level, MotorLevel, MotorValue, SensoryValue, Side};

/// Points for an age of 65 or more.
pub const AGE_POINTS: i32 = -10;
/// The age from which [`AGE_POINTS`] apply.
pub const AGE_FROM: i32 = 65;
/// The weight of a motor grade (0–5).
pub const MOTOR_WEIGHT: i32 = 2;
/// The weight of a light-touch score (0–2).
pub const TOUCH_WEIGHT: i32 = 5;
/// The logistic curve's slope per point (secondary source: see the module's documentation).
pub const SLOPE: f64 = 0.267;
/// The logistic curve's intercept (secondary source: see the module's documentation).
pub const INTERCEPT: f64 = -3.273;

/// The rule's result for one exam.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WalkingPrognosis {
    /// The points, −10 to 40.
    pub score: i32,
    /// The predicted probability of walking independently at one year, 0 to 1.
    pub probability: f64,
}

/// Why the rule could not be computed: the value of the exam it lacks (`"L3 motor"`,
/// `"S1 light touch"`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the walking prognosis needs the {0} on at least the better side; it is not testable")]
pub struct PrognosisGap(pub &'static str);

/// The values of an exam the rule reads, each side's grade (`None` when not testable), right
/// side first: the L3 and S1 motor grades and light-touch scores.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WalkingInputs {
    /// The knee extensors' (L3) grades, 0–5.
    pub l3_motor: [Option<u8>; 2],
    /// The ankle plantar flexors' (S1) grades, 0–5.
    pub s1_motor: [Option<u8>; 2],
    /// Light touch at L3, 0–2.
    pub l3_touch: [Option<u8>; 2],
    /// Light touch at S1, 0–2.
    pub s1_touch: [Option<u8>; 2],
}

impl WalkingInputs {
    /// The values of a typed exam.
    pub fn of_exam(exam: &Exam) -> WalkingInputs {
        let motor = |m: MotorLevel| Side::BOTH.map(|s| exam.side(s).motor(m).grade());
        let touch = |l: Level| Side::BOTH.map(|s| exam.side(s).touch(l).grade());
        WalkingInputs {
            l3_motor: motor(MotorLevel::L3),
            s1_motor: motor(MotorLevel::S1),
            l3_touch: touch(Level::L3),
            s1_touch: touch(Level::S1),
        }
    }

    /// The values of an exam in the flat layout (`l3RightMotor`, `s1LeftTouch`, …; strings
    /// or numbers), without reading the rest of it; a value missing or not of the grammar
    /// counts as not testable.
    pub fn of_flat(fields: &serde_json::Map<String, serde_json::Value>) -> WalkingInputs {
        let text = |field: Field| match fields.get(&field.name()) {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let motor = |m: MotorLevel| {
            Side::BOTH.map(|s| {
                text(Field::Motor(s, m))
                    .and_then(|t| MotorValue::parse(&t))
                    .and_then(MotorValue::grade)
            })
        };
        let touch = |l: Level| {
            Side::BOTH.map(|s| {
                text(Field::Touch(s, l))
                    .and_then(|t| SensoryValue::parse(&t))
                    .and_then(SensoryValue::grade)
            })
        };
        WalkingInputs {
            l3_motor: motor(MotorLevel::L3),
            s1_motor: motor(MotorLevel::S1),
            l3_touch: touch(Level::L3),
            s1_touch: touch(Level::S1),
        }
    }

    /// The rule for a participant of `age_years` with these values.
    pub fn prognosis(&self, age_years: i32) -> Result<WalkingPrognosis, PrognosisGap> {
        let score = if age_years >= AGE_FROM { AGE_POINTS } else { 0 }
            + MOTOR_WEIGHT
                * (better(self.l3_motor, 5, "L3 motor")? + better(self.s1_motor, 5, "S1 motor")?)
            + TOUCH_WEIGHT
                * (better(self.l3_touch, 2, "L3 light touch")?
                    + better(self.s1_touch, 2, "S1 light touch")?);
        Ok(WalkingPrognosis {
            score,
            probability: probability(score),
        })
    }
}

/// The van Middendorp rule for a participant of `age_years` on `exam`.
pub fn walking_prognosis(age_years: i32, exam: &Exam) -> Result<WalkingPrognosis, PrognosisGap> {
    WalkingInputs::of_exam(exam).prognosis(age_years)
}

/// The logistic curve at a score.
pub fn probability(score: i32) -> f64 {
    1.0 / (1.0 + (-(SLOPE * f64::from(score) + INTERCEPT)).exp())
}

/// The better of the two sides' grades: known when both are, or when one is the normal grade
/// (nothing can be better).
fn better(grades: [Option<u8>; 2], normal: u8, name: &'static str) -> Result<i32, PrognosisGap> {
    match grades {
        [Some(a), Some(b)] => Ok(i32::from(a.max(b))),
        [Some(g), None] | [None, Some(g)] if g == normal => Ok(i32::from(g)),
        _ => Err(PrognosisGap(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use isncsci::{MotorValue, SensoryValue};

    fn exam(l3: [Option<u8>; 2], s1: [Option<u8>; 2], lt_l3: [u8; 2], lt_s1: [u8; 2]) -> Exam {
        let mut e = Exam::normal();
        for (i, side) in Side::BOTH.into_iter().enumerate() {
            let s = e.side_mut(side);
            let m = |g: Option<u8>| MotorValue::new(g, isncsci::Flag::None).unwrap();
            s.motor[MotorLevel::L3.index()] = m(l3[i]);
            s.motor[MotorLevel::S1.index()] = m(s1[i]);
            let t = |g: u8| SensoryValue::new(Some(g), isncsci::Flag::None).unwrap();
            s.set_touch(Level::L3, t(lt_l3[i]));
            s.set_touch(Level::S1, t(lt_s1[i]));
        }
        e
    }

    #[test]
    fn the_score_takes_the_better_side_with_the_weights_and_the_age() {
        let e = exam([Some(3), Some(1)], [Some(0), Some(2)], [1, 2], [0, 1]);
        // 2 × (3 + 2) + 5 × (2 + 1) = 25.
        assert_eq!(walking_prognosis(40, &e).unwrap().score, 25);
        assert_eq!(walking_prognosis(64, &e).unwrap().score, 25);
        assert_eq!(walking_prognosis(65, &e).unwrap().score, 15);
    }

    #[test]
    fn the_range_is_minus_ten_to_forty() {
        let none = exam([Some(0); 2], [Some(0); 2], [0; 2], [0; 2]);
        let full = exam([Some(5); 2], [Some(5); 2], [2; 2], [2; 2]);
        assert_eq!(walking_prognosis(70, &none).unwrap().score, -10);
        assert_eq!(walking_prognosis(30, &full).unwrap().score, 40);
        assert_eq!(walking_prognosis(30, &Exam::normal()).unwrap().score, 40);
    }

    #[test]
    fn the_probability_rises_with_the_score_on_the_logistic_curve() {
        let p = |s| probability(s);
        // At the curve's midpoint, score = 3.273 / 0.267 ≈ 12.26, the probability is one half.
        assert!(p(12) < 0.5 && p(13) > 0.5, "{} {}", p(12), p(13));
        assert!((p(0) - 1.0 / (1.0 + 3.273_f64.exp())).abs() < 1e-15);
        assert!(p(-10) < p(0) && p(0) < p(40) && p(40) < 1.0);
        let e = exam([Some(5); 2], [Some(5); 2], [2; 2], [2; 2]);
        assert_eq!(walking_prognosis(30, &e).unwrap().probability, p(40));
    }

    #[test]
    fn the_flat_layout_gives_the_same_values_as_the_typed_exam() {
        let e = exam([Some(3), None], [Some(0), Some(2)], [1, 2], [0, 1]);
        let mut flat = serde_json::Map::new();
        for (key, value) in isncsci::flat::fields(&e) {
            flat.insert(key, serde_json::Value::String(value.to_owned()));
        }
        assert_eq!(WalkingInputs::of_flat(&flat), WalkingInputs::of_exam(&e));
        assert_eq!(
            WalkingInputs::of_flat(&flat).prognosis(70),
            walking_prognosis(70, &e)
        );
        // Grades written as numbers are read; a value missing or outside the grammar is not
        // testable.
        flat.insert("s1RightMotor".into(), serde_json::json!(4));
        flat.remove("l3LeftTouch");
        flat.insert("s1LeftTouch".into(), serde_json::json!("7"));
        let read = WalkingInputs::of_flat(&flat);
        assert_eq!(read.s1_motor, [Some(4), Some(2)]);
        assert_eq!(read.l3_touch, [Some(1), None]);
        assert_eq!(read.s1_touch, [Some(0), None]);
    }

    #[test]
    fn a_value_not_testable_is_named_unless_the_other_side_is_normal() {
        let e = exam([None, Some(5)], [Some(2), Some(2)], [2; 2], [2; 2]);
        assert_eq!(
            walking_prognosis(30, &e).unwrap().score,
            2 * (5 + 2) + 5 * 4
        );
        let e = exam([None, Some(4)], [Some(2), Some(2)], [2; 2], [2; 2]);
        assert_eq!(walking_prognosis(30, &e), Err(PrognosisGap("L3 motor")));
        let mut e = exam([Some(1); 2], [Some(2); 2], [1; 2], [1; 2]);
        for side in Side::BOTH {
            e.side_mut(side).set_touch(Level::S1, SensoryValue::NT);
        }
        let gap = walking_prognosis(30, &e).unwrap_err();
        assert_eq!(gap, PrognosisGap("S1 light touch"));
        assert!(gap.to_string().contains("S1 light touch"));
    }
}

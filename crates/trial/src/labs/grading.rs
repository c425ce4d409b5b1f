//! CTCAE v5.0 grades of laboratory values, computed from the value, the normal range that
//! applies to it and, where the criteria use one, the participant's baseline. Only the grades
//! a value alone decides are given: where a grade needs a clinical finding (symptomatic
//! hypokalaemia, life-threatening anaemia, hyperglycaemia by the treatment it needs) the
//! value grades no higher than its numbers allow, and the investigator grades the event.
//!
//! Values are in the test's own unit (see [`super::catalogue`]): counts in 10^9/L,
//! haemoglobin in g/dL, bilirubin and creatinine in µmol/L, electrolytes and glucose in mmol/L.
//! A bound such as "<1.5–1.0" in the criteria reads: below 1.5 and at least 1.0.

use super::catalogue::{Grading, TestDef};

/// A value's grade and the CTCAE term it grades.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Graded {
    /// The CTCAE v5.0 term (`Neutrophil count decreased`).
    pub term: &'static str,
    /// 1 to 4.
    pub grade: u8,
}

/// The lower and upper limits of normal that apply to a value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// Lower limit of normal.
    pub lln: f64,
    /// Upper limit of normal.
    pub uln: f64,
}

/// The first grade, from 4 down, whose bound `value` passes: `bounds` are the grade 4, 3 and
/// 2 thresholds; a value past none of them is grade 1.
fn below(value: f64, bounds: [f64; 3]) -> u8 {
    let [g4, g3, g2] = bounds;
    if value < g4 {
        4
    } else if value < g3 {
        3
    } else if value < g2 {
        2
    } else {
        1
    }
}

fn above(value: f64, bounds: [f64; 3]) -> u8 {
    let [g4, g3, g2] = bounds;
    if value > g4 {
        4
    } else if value > g3 {
        3
    } else if value > g2 {
        2
    } else {
        1
    }
}

fn graded(term: &'static str, grade: u8) -> Option<Graded> {
    Some(Graded { term, grade })
}

/// The CTCAE v5.0 grade of `value` of `test`, or `None` when the value is not an adverse
/// event by CTCAE's numbers (within the limits, a test CTCAE does not grade by value, or a
/// range that makes no sense: ULN not above zero). `baseline` is the participant's first
/// value of the test, when there is one before this.
pub fn grade(test: &TestDef, value: f64, limits: Limits, baseline: Option<f64>) -> Option<Graded> {
    if !value.is_finite() || !limits.lln.is_finite() || !limits.uln.is_finite() {
        return None;
    }
    let Limits { lln, uln } = limits;
    match test.grading {
        Grading::None => None,
        // <LLN–1.5; <1.5–1.0; <1.0–0.5; <0.5 ×10^9/L.
        Grading::Neutrophils if value < lln => {
            graded("Neutrophil count decreased", below(value, [0.5, 1.0, 1.5]))
        }
        // <LLN–0.8; <0.8–0.5; <0.5–0.2; <0.2 ×10^9/L.
        Grading::Lymphocytes if value < lln => {
            graded("Lymphocyte count decreased", below(value, [0.2, 0.5, 0.8]))
        }
        // <LLN–75; <75–50; <50–25; <25 ×10^9/L.
        Grading::Platelets if value < lln => {
            graded("Platelet count decreased", below(value, [25.0, 50.0, 75.0]))
        }
        // <LLN–10.0; <10.0–8.0; <8.0 g/dL (grade 4 is a clinical finding).
        Grading::Haemoglobin if value < lln => {
            graded("Anemia", below(value, [f64::NEG_INFINITY, 8.0, 10.0]))
        }
        Grading::Aminotransferase if value > uln && uln > 0.0 => {
            let term = if test.code == "AST" {
                "Aspartate aminotransferase increased"
            } else {
                "Alanine aminotransferase increased"
            };
            match baseline.filter(|b| *b > uln) {
                // Abnormal baseline: 1.5–3.0; >3.0–5.0; >5.0–20.0; >20.0 × baseline.
                Some(base) => {
                    let ratio = value / base;
                    (ratio >= 1.5).then(|| Graded {
                        term,
                        grade: above(ratio, [20.0, 5.0, 3.0]),
                    })
                }
                // Normal baseline: >ULN–3.0; >3.0–5.0; >5.0–20.0; >20.0 × ULN.
                None => graded(term, above(value / uln, [20.0, 5.0, 3.0])),
            }
        }
        Grading::Bilirubin if value > uln && uln > 0.0 => match baseline.filter(|b| *b > uln) {
            // Abnormal baseline: >1.0–1.5; >1.5–3.0; >3.0–10.0; >10.0 × baseline.
            Some(base) => {
                let ratio = value / base;
                (ratio > 1.0).then(|| Graded {
                    term: "Blood bilirubin increased",
                    grade: above(ratio, [10.0, 3.0, 1.5]),
                })
            }
            // Normal baseline: >ULN–1.5; >1.5–3.0; >3.0–10.0; >10.0 × ULN.
            None => graded(
                "Blood bilirubin increased",
                above(value / uln, [10.0, 3.0, 1.5]),
            ),
        },
        Grading::Creatinine if value > uln && uln > 0.0 => {
            // >ULN–1.5; >1.5–3.0; >3.0–6.0; >6.0 × ULN; and >1.5–3.0 (grade 2), >3.0 (grade 3)
            // × baseline: the worse of the two.
            let by_uln = above(value / uln, [6.0, 3.0, 1.5]);
            let by_baseline = baseline.filter(|b| *b > 0.0).map_or(0, |base| {
                let ratio = value / base;
                if ratio > 3.0 {
                    3
                } else if ratio > 1.5 {
                    2
                } else {
                    0
                }
            });
            graded("Creatinine increased", by_uln.max(by_baseline))
        }
        // >ULN–5.5; >5.5–6.0; >6.0–7.0; >7.0 mmol/L.
        Grading::Potassium if value > uln => graded("Hyperkalemia", above(value, [7.0, 6.0, 5.5])),
        // <LLN–3.0 (grade 2 is the same values, symptomatic); <3.0–2.5; <2.5 mmol/L.
        Grading::Potassium if value < lln => {
            graded("Hypokalemia", below(value, [2.5, 3.0, f64::NEG_INFINITY]))
        }
        // >ULN–150; >150–155; >155–160; >160 mmol/L.
        Grading::Sodium if value > uln => {
            graded("Hypernatremia", above(value, [160.0, 155.0, 150.0]))
        }
        // <LLN–130; 125–129; 120–124 (grade 3); <120 mmol/L.
        Grading::Sodium if value < lln => {
            graded("Hyponatremia", below(value, [120.0, 125.0, 130.0]))
        }
        // <LLN–3.0; <3.0–2.2; <2.2–1.7; <1.7 mmol/L.
        Grading::Glucose if value < lln => graded("Hypoglycemia", below(value, [1.7, 2.2, 3.0])),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::catalogue::test;

    fn g(code: &str, value: f64, lln: f64, uln: f64, baseline: Option<f64>) -> Option<u8> {
        grade(test(code).unwrap(), value, Limits { lln, uln }, baseline).map(|g| g.grade)
    }

    #[test]
    fn neutrophils_at_each_bound() {
        assert_eq!(g("NEUT", 2.0, 2.0, 7.5, None), None);
        assert_eq!(g("NEUT", 1.9, 2.0, 7.5, None), Some(1));
        assert_eq!(g("NEUT", 1.5, 2.0, 7.5, None), Some(1));
        assert_eq!(g("NEUT", 1.49, 2.0, 7.5, None), Some(2));
        assert_eq!(g("NEUT", 1.0, 2.0, 7.5, None), Some(2));
        assert_eq!(g("NEUT", 0.99, 2.0, 7.5, None), Some(3));
        assert_eq!(g("NEUT", 0.49, 2.0, 7.5, None), Some(4));
        // A value below 1.5 but above a low LLN is normal.
        assert_eq!(g("NEUT", 1.45, 1.4, 7.5, None), None);
    }

    #[test]
    fn counts_and_haemoglobin() {
        assert_eq!(g("LYMPH", 0.7, 1.0, 4.0, None), Some(2));
        assert_eq!(g("LYMPH", 0.1, 1.0, 4.0, None), Some(4));
        assert_eq!(g("PLT", 100.0, 150.0, 400.0, None), Some(1));
        assert_eq!(g("PLT", 49.0, 150.0, 400.0, None), Some(3));
        assert_eq!(g("PLT", 24.0, 150.0, 400.0, None), Some(4));
        assert_eq!(g("HGB", 11.0, 12.0, 16.0, None), Some(1));
        assert_eq!(g("HGB", 9.0, 12.0, 16.0, None), Some(2));
        // Grade 4 anaemia is a clinical finding: a value alone is at most grade 3.
        assert_eq!(g("HGB", 5.0, 12.0, 16.0, None), Some(3));
        assert_eq!(g("HGB", 17.0, 12.0, 16.0, None), None);
    }

    #[test]
    fn aminotransferases_by_uln_and_by_abnormal_baseline() {
        assert_eq!(g("ALT", 40.0, 7.0, 40.0, None), None);
        assert_eq!(g("ALT", 41.0, 7.0, 40.0, None), Some(1));
        assert_eq!(g("ALT", 121.0, 7.0, 40.0, None), Some(2));
        assert_eq!(g("ALT", 201.0, 7.0, 40.0, None), Some(3));
        assert_eq!(g("ALT", 801.0, 7.0, 40.0, None), Some(4));
        // A normal baseline grades by ULN.
        assert_eq!(g("ALT", 121.0, 7.0, 40.0, Some(20.0)), Some(2));
        // An abnormal baseline of 80: 100 is 1.25 × baseline (no grade), 120 is 1.5 (grade 1),
        // 241 is over 3 (grade 2).
        assert_eq!(g("AST", 100.0, 7.0, 40.0, Some(80.0)), None);
        assert_eq!(g("AST", 120.0, 7.0, 40.0, Some(80.0)), Some(1));
        assert_eq!(g("AST", 241.0, 7.0, 40.0, Some(80.0)), Some(2));
        let term = grade(
            test("AST").unwrap(),
            50.0,
            Limits {
                lln: 7.0,
                uln: 40.0,
            },
            None,
        );
        assert_eq!(term.unwrap().term, "Aspartate aminotransferase increased");
    }

    #[test]
    fn bilirubin_and_creatinine() {
        assert_eq!(g("BILI", 25.0, 3.0, 21.0, None), Some(1));
        assert_eq!(g("BILI", 40.0, 3.0, 21.0, None), Some(2));
        assert_eq!(g("BILI", 64.0, 3.0, 21.0, None), Some(3));
        assert_eq!(g("BILI", 211.0, 3.0, 21.0, None), Some(4));
        assert_eq!(g("BILI", 30.0, 3.0, 21.0, Some(30.0)), None);
        assert_eq!(g("BILI", 50.0, 3.0, 21.0, Some(30.0)), Some(2));
        // 120 µmol/L over a ULN of 110: grade 1 by ULN, grade 2 by a baseline of 70 (> 1.5 ×).
        assert_eq!(g("CREAT", 120.0, 60.0, 110.0, None), Some(1));
        assert_eq!(g("CREAT", 120.0, 60.0, 110.0, Some(70.0)), Some(2));
        assert_eq!(g("CREAT", 250.0, 60.0, 110.0, Some(70.0)), Some(3));
        assert_eq!(g("CREAT", 700.0, 60.0, 110.0, None), Some(4));
    }

    #[test]
    fn electrolytes_and_glucose() {
        assert_eq!(g("K", 5.3, 3.5, 5.1, None), Some(1));
        assert_eq!(g("K", 5.8, 3.5, 5.1, None), Some(2));
        assert_eq!(g("K", 6.5, 3.5, 5.1, None), Some(3));
        assert_eq!(g("K", 7.1, 3.5, 5.1, None), Some(4));
        assert_eq!(g("K", 3.2, 3.5, 5.1, None), Some(1));
        assert_eq!(g("K", 2.8, 3.5, 5.1, None), Some(3));
        assert_eq!(g("K", 2.4, 3.5, 5.1, None), Some(4));
        assert_eq!(g("NA", 132.0, 135.0, 145.0, None), Some(1));
        assert_eq!(g("NA", 127.0, 135.0, 145.0, None), Some(2));
        assert_eq!(g("NA", 122.0, 135.0, 145.0, None), Some(3));
        assert_eq!(g("NA", 119.0, 135.0, 145.0, None), Some(4));
        assert_eq!(g("NA", 152.0, 135.0, 145.0, None), Some(2));
        assert_eq!(g("GLUC", 3.5, 3.9, 5.5, None), Some(1));
        assert_eq!(g("GLUC", 2.0, 3.9, 5.5, None), Some(3));
        assert_eq!(g("GLUC", 1.5, 3.9, 5.5, None), Some(4));
        // Hyperglycaemia is graded by its treatment, not its value.
        assert_eq!(g("GLUC", 20.0, 3.9, 5.5, None), None);
        assert_eq!(g("CSFPROT", 90.0, 15.0, 45.0, None), None);
        assert_eq!(g("NEUT", f64::NAN, 2.0, 7.5, None), None);
    }
}

//! The parameters of `ADISN` and how each is read from a saved form: the ISNCSCI form's
//! classification (the engine's, stored with the exam), SCIM III's computed total and the
//! WISCI II level.

use isncsci::flat::{ExamBuilder, Field, FIELD_COUNT};
use serde_json::Value;

use super::{Measurement, WalkingExam};
use crate::forms::{Wisci2, SCIM3_TOTAL_KEY};
use crate::participants::classification_json;
use crate::prognosis::WalkingInputs;
use crate::study::{FormKind, Study};

/// A parameter of `ADISN` (`PARAMCD`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Param {
    /// Total motor score, UEMS + LEMS (0–100).
    Tms,
    /// Upper-extremity motor score (0–50).
    Uems,
    /// Lower-extremity motor score (0–50).
    Lems,
    /// Light touch total (0–112).
    Lts,
    /// Pin prick total (0–112).
    Pps,
    /// AIS grade, A = 1 to E = 5.
    Ais,
    /// Neurological level of injury (text only).
    Nli,
    /// SCIM III total (0–100).
    Scim,
    /// WISCI II level (0–20).
    Wisci,
}

impl Param {
    /// Every parameter, in `PARAMN` order.
    pub const ALL: [Param; 9] = [
        Param::Tms,
        Param::Uems,
        Param::Lems,
        Param::Lts,
        Param::Pps,
        Param::Ais,
        Param::Nli,
        Param::Scim,
        Param::Wisci,
    ];

    /// `PARAMCD`.
    pub fn code(self) -> &'static str {
        match self {
            Param::Tms => "TMS",
            Param::Uems => "UEMS",
            Param::Lems => "LEMS",
            Param::Lts => "LTS",
            Param::Pps => "PPS",
            Param::Ais => "AIS",
            Param::Nli => "NLI",
            Param::Scim => "SCIM",
            Param::Wisci => "WISCI",
        }
    }

    /// `PARAM`: the description, with the unit or the coding.
    pub fn label(self) -> &'static str {
        match self {
            Param::Tms => "ISNCSCI Total Motor Score (0-100)",
            Param::Uems => "ISNCSCI Upper Extremity Motor Score (0-50)",
            Param::Lems => "ISNCSCI Lower Extremity Motor Score (0-50)",
            Param::Lts => "ISNCSCI Light Touch Total (0-112)",
            Param::Pps => "ISNCSCI Pin Prick Total (0-112)",
            Param::Ais => "ASIA Impairment Scale (A=1 to E=5)",
            Param::Nli => "Neurological Level of Injury",
            Param::Scim => "SCIM III Total Score (0-100)",
            Param::Wisci => "WISCI II Level (0-20)",
        }
    }

    /// `PARAMN`: 1 to 9 in [`Param::ALL`]'s order.
    pub fn number(self) -> u8 {
        match self {
            Param::Tms => 1,
            Param::Uems => 2,
            Param::Lems => 3,
            Param::Lts => 4,
            Param::Pps => 5,
            Param::Ais => 6,
            Param::Nli => 7,
            Param::Scim => 8,
            Param::Wisci => 9,
        }
    }
}

/// The measurements a saved form of `kind` holds (its normalised JSON `data`): the ISNCSCI
/// form's seven parameters ([`isncsci_measurements`]), SCIM III's total, WISCI II's level;
/// none for other forms or a form without them.
pub fn measurements_from_form(kind: FormKind, visit_id: &str, data: &Value) -> Vec<Measurement> {
    let at = |param: Param, value: Option<f64>, text: String| Measurement {
        visit_id: visit_id.to_owned(),
        param,
        value,
        text,
        reason: None,
    };
    match kind {
        FormKind::Isncsci => isncsci_measurements(visit_id, data),
        FormKind::Scim3 => score(data, SCIM3_TOTAL_KEY)
            .map(|v| vec![at(Param::Scim, Some(v), format!("{v}"))])
            .unwrap_or_default(),
        FormKind::Wisci2 => score(data, Wisci2::LEVEL_KEY)
            .map(|v| vec![at(Param::Wisci, Some(v), format!("{v}"))])
            .unwrap_or_default(),
        FormKind::VitalSigns | FormKind::ConcomitantMedication | FormKind::Generic => Vec::new(),
    }
}

/// Why a value the engine printed as `ND` is missing.
const NOT_TESTABLE: &str = "not determinable: a value is not testable (NT)";
/// Why an AIS grade the engine printed as several is missing.
const GRADES_OPEN: &str = "not determinable: NT values leave more than one grade";

/// The seven ISNCSCI parameters of a saved exam form, always all seven (the form is complete,
/// so the visit has its records). From the form's stored classification (the engine's, saved
/// with the exam); when the form holds none (absent, `null`, not an object or empty), from the
/// engine's classification of the exam it holds, and of an exam the engine cannot classify (a
/// value missing or not allowed) the totals whose values are all there. Every value missing
/// says why ([`Measurement::reason`]).
fn isncsci_measurements(visit_id: &str, data: &Value) -> Vec<Measurement> {
    let stored = data
        .get("classification")
        .filter(|c| c.as_object().is_some_and(|m| !m.is_empty()));
    let (classification, gaps) = match stored {
        Some(c) => (c.clone(), Gaps::default()),
        None => match data.get("exam").and_then(Value::as_object) {
            Some(exam) => recompute(exam),
            None => (
                Value::Null,
                Gaps::all("not classified: the form holds neither a classification nor an exam"),
            ),
        },
    };
    let c = &classification;
    let at = |param: Param, value: Option<f64>, text: String, reason: Option<String>| Measurement {
        visit_id: visit_id.to_owned(),
        param,
        value,
        text,
        reason,
    };
    // A value of the classification: its text and number, or why it is missing.
    let total = |key: &str, gap: &Option<String>| -> (Option<f64>, String, Option<String>) {
        if let Some(gap) = gap {
            return (None, String::new(), Some(gap.clone()));
        }
        let text = c.get(key).and_then(Value::as_str).unwrap_or("ND");
        let value = text.parse::<u16>().ok().map(f64::from);
        let why = value.is_none().then(|| NOT_TESTABLE.to_owned());
        (value, text.to_owned(), why)
    };
    let (uems, uems_text, uems_why) = total("upperMotorTotal", &gaps.uems);
    let (lems, lems_text, lems_why) = total("lowerMotorTotal", &gaps.lems);
    let (lts, lts_text, lts_why) = total("touchTotal", &gaps.lts);
    let (pps, pps_text, pps_why) = total("prickTotal", &gaps.pps);
    let tms = uems.zip(lems).map(|(u, l)| u + l);
    let (tms_text, tms_why) = match (tms, gaps.uems.as_ref().or(gaps.lems.as_ref())) {
        (Some(v), _) => (format!("{v}"), None),
        (None, Some(gap)) => (String::new(), Some(gap.clone())),
        (None, None) => ("ND".to_owned(), Some(NOT_TESTABLE.to_owned())),
    };
    let text_of = |key: &str, gap: &Option<String>| match gap {
        Some(_) => String::new(),
        None => c
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or("ND")
            .to_owned(),
    };
    let ais = text_of("asiaImpairmentScale", &gaps.whole);
    let ais_value = ais_number(&ais);
    let ais_why = match (&gaps.whole, ais_value) {
        (Some(gap), _) => Some(gap.clone()),
        (None, Some(_)) => None,
        (None, None) if ais.contains(',') => Some(GRADES_OPEN.to_owned()),
        (None, None) => Some(NOT_TESTABLE.to_owned()),
    };
    let nli = text_of("neurologicalLevelOfInjury", &gaps.whole);
    vec![
        at(Param::Tms, tms, tms_text, tms_why),
        at(Param::Uems, uems, uems_text, uems_why),
        at(Param::Lems, lems, lems_text, lems_why),
        at(Param::Lts, lts, lts_text, lts_why),
        at(Param::Pps, pps, pps_text, pps_why),
        at(Param::Ais, ais_value, ais, ais_why),
        at(Param::Nli, None, nli, gaps.whole.clone()),
    ]
}

/// Why each part of a classification could not be computed (none: it was).
#[derive(Default)]
struct Gaps {
    uems: Option<String>,
    lems: Option<String>,
    lts: Option<String>,
    pps: Option<String>,
    /// The AIS grade and the neurological level, which need the whole exam.
    whole: Option<String>,
}

impl Gaps {
    fn all(why: &str) -> Gaps {
        let why = Some(why.to_owned());
        Gaps {
            uems: why.clone(),
            lems: why.clone(),
            lts: why.clone(),
            pps: why.clone(),
            whole: why,
        }
    }
}

/// The engine's classification of a stored exam (flat layout) of a form that holds none, as
/// JSON, and what of it cannot be trusted: of an incomplete exam (a field missing, or a value
/// not allowed) only the totals whose every value is there, each other part missing with the
/// first field it lacks.
fn recompute(exam: &serde_json::Map<String, Value>) -> (Value, Gaps) {
    let mut builder = ExamBuilder::new();
    let mut set = [false; FIELD_COUNT];
    for (key, value) in exam {
        let Some(field) = Field::parse(key) else {
            continue;
        };
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            // An optional muscle left empty: none.
            Value::Null if !field.is_required() => "0".to_owned(),
            _ => continue,
        };
        if builder.set_field(field, &text).is_ok() {
            set[field.index()] = true;
        }
    }
    // The first required field of these (in the layout's order) that is not there.
    let lacking = |wanted: &dyn Fn(Field) -> bool| {
        Field::all()
            .filter(|f| f.is_required() && wanted(*f))
            .find(|f| !set[f.index()])
            .map(|f| {
                let problem = if exam.contains_key(&f.name()) {
                    "a value not allowed for"
                } else {
                    "no"
                };
                format!(
                    "not classified: the form holds no classification, and its exam {problem} {f}"
                )
            })
    };
    let upper = |f: Field| matches!(f, Field::Motor(_, m) if m.index() < 5);
    let lower = |f: Field| matches!(f, Field::Motor(_, m) if m.index() >= 5);
    let gaps = Gaps {
        uems: lacking(&upper),
        lems: lacking(&lower),
        lts: lacking(&|f| matches!(f, Field::Touch(..))),
        pps: lacking(&|f| matches!(f, Field::Prick(..))),
        whole: lacking(&|_| true),
    };
    // Fields not there stay normal in the built exam: a total is read only when all of its
    // own values are there (a total depends on nothing else).
    let exam = match builder.finish() {
        Ok(exam) => exam,
        Err(_) => {
            let mut filled = builder.clone();
            for f in Field::all().filter(|f| f.is_required() && !set[f.index()]) {
                let normal = match f {
                    Field::Motor(..) => "5",
                    Field::Touch(..) | Field::Prick(..) => "2",
                    _ => "Yes",
                };
                let _ = filled.set_field(f, normal);
            }
            match filled.finish() {
                Ok(exam) => exam,
                Err(_) => return (Value::Null, gaps),
            }
        }
    };
    (classification_json(&exam.classify()), gaps)
}

/// Whether the walking prognosis may read the ISNCSCI exam of this visit: the exams up to day 1
/// (the baseline one is the latest of them); a visit not in the study is not read.
pub fn walking_visit(study: &Study, visit_id: &str) -> bool {
    study.visit(visit_id).is_some_and(|v| v.day <= 1)
}

/// What the walking prognosis reads of a saved ISNCSCI form (its `exam`, flat layout); none
/// for other forms or a form without an exam.
pub fn walking_exam_from_form(kind: FormKind, visit_id: &str, data: &Value) -> Option<WalkingExam> {
    if kind != FormKind::Isncsci {
        return None;
    }
    let fields = data.get("exam")?.as_object()?;
    Some(WalkingExam {
        visit_id: visit_id.to_owned(),
        inputs: WalkingInputs::of_flat(fields),
    })
}

fn score(data: &Value, key: &str) -> Option<f64> {
    data.get(key)
        .and_then(Value::as_f64)
        .filter(|v| v.is_finite())
}

/// A single AIS grade (`C`, or `C*` resting on non-SCI values) as 1 (A) to 5 (E); none when
/// the exam leaves more than one grade open (`A,B`).
fn ais_number(text: &str) -> Option<f64> {
    let letter = text.strip_suffix('*').unwrap_or(text);
    ["A", "B", "C", "D", "E"]
        .iter()
        .position(|g| *g == letter)
        .map(|i| i as f64 + 1.0)
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Map, Value};

    use super::{measurements_from_form, Param, GRADES_OPEN, NOT_TESTABLE};
    use crate::analysis::tests::{on_time, phase2, subject};
    use crate::analysis::{derive, Assignment, Measurement};
    use crate::FormKind;

    /// An exam of the synthetic generator, as a form stores it (flat layout).
    fn exam(seed: u64) -> (isncsci::Exam, Map<String, Value>) {
        let exam = isncsci::synth::injury_exam(&mut isncsci::synth::Rng::new(seed));
        let flat = isncsci::flat::fields(&exam)
            .map(|(k, v)| (k, Value::String(v.to_owned())))
            .collect();
        (exam, flat)
    }

    fn get(m: &[Measurement], p: Param) -> &Measurement {
        m.iter().find(|x| x.param == p).unwrap()
    }

    #[test]
    fn a_form_without_a_classification_is_classified_from_its_exam() {
        for seed in 1..40 {
            let (exam, flat) = exam(seed);
            let stored = json!({
                "exam": flat,
                "classification": crate::participants::classification_json(&exam.classify()),
            });
            let expected = measurements_from_form(FormKind::Isncsci, "week-24", &stored);
            for classification in [None, Some(Value::Null), Some(json!({})), Some(json!("x"))] {
                let mut data = json!({ "exam": flat });
                if let Some(c) = classification.clone() {
                    data["classification"] = c;
                }
                let m = measurements_from_form(FormKind::Isncsci, "week-24", &data);
                assert_eq!(
                    m, expected,
                    "seed {seed}, classification {classification:?}"
                );
            }
        }
    }

    #[test]
    fn of_an_incomplete_exam_the_totals_whose_values_are_there_are_kept() {
        let (exam, mut flat) = exam(7);
        let c = exam.classify();
        flat.remove("s1LeftMotor");
        flat.insert("t4RightPrick".into(), json!("7"));
        let m = measurements_from_form(FormKind::Isncsci, "week-24", &json!({ "exam": flat }));
        assert_eq!(m.len(), 7);
        // Upper extremity motor and light touch: all their values are there.
        let uems = get(&m, Param::Uems);
        assert_eq!(uems.value, c.totals.upper_motor.0.map(f64::from));
        assert_eq!(uems.reason.is_some(), uems.value.is_none());
        let lts = get(&m, Param::Lts);
        assert_eq!(lts.value, c.totals.touch.0.map(f64::from));
        assert_eq!(lts.text, c.totals.touch.to_string());
        // The rest: missing, empty, and why.
        for (p, lacks) in [
            (Param::Lems, "its exam no s1LeftMotor"),
            (Param::Tms, "its exam no s1LeftMotor"),
            (Param::Pps, "its exam a value not allowed for t4RightPrick"),
            (Param::Ais, "its exam a value not allowed for t4RightPrick"),
            (Param::Nli, "its exam a value not allowed for t4RightPrick"),
        ] {
            let x = get(&m, p);
            assert_eq!((x.value, x.text.as_str()), (None, ""), "{p:?}");
            let why = x.reason.as_deref().unwrap_or_default();
            assert!(
                why.starts_with("not classified: the form holds no classification")
                    && why.ends_with(lacks),
                "{p:?}: {why}"
            );
        }
        // Neither classification nor exam: the seven records, each saying so.
        let m = measurements_from_form(FormKind::Isncsci, "week-24", &json!({"comments": "x"}));
        assert_eq!(m.len(), 7);
        assert!(m.iter().all(|x| x.value.is_none()
            && x.reason.as_deref()
                == Some("not classified: the form holds neither a classification nor an exam")));
    }

    #[test]
    fn a_value_the_engine_leaves_open_says_why() {
        let open = json!({ "classification": {
            "asiaImpairmentScale": "A,B", "upperMotorTotal": "ND", "lowerMotorTotal": "20",
            "touchTotal": "80", "prickTotal": "ND", "neurologicalLevelOfInjury": "C5,C6" } });
        let m = measurements_from_form(FormKind::Isncsci, "week-12", &open);
        let reason = |p: Param| get(&m, p).reason.as_deref();
        assert_eq!(reason(Param::Uems), Some(NOT_TESTABLE));
        assert_eq!(reason(Param::Tms), Some(NOT_TESTABLE));
        assert_eq!(get(&m, Param::Tms).text, "ND");
        assert_eq!(reason(Param::Pps), Some(NOT_TESTABLE));
        assert_eq!(reason(Param::Ais), Some(GRADES_OPEN));
        assert_eq!((reason(Param::Lems), reason(Param::Lts)), (None, None));
        assert_eq!(reason(Param::Nli), None);
        assert_eq!(get(&m, Param::Nli).text, "C5,C6");
    }

    #[test]
    fn an_unclassified_primary_exam_still_gives_the_change_the_analysis_uses() {
        let study = phase2();
        let (exam, flat) = exam(11);
        let c = exam.classify();
        let mut s = subject("XS228-001", Assignment::Shown("xs228".into()), &on_time());
        s.measurements.retain(|m| m.visit_id != "week-24");
        s.measurements.extend(measurements_from_form(
            FormKind::Isncsci,
            "week-24",
            &json!({ "exam": flat, "classification": null }),
        ));
        let d = derive(&study, &[s]);
        let tms = d
            .adisn
            .iter()
            .find(|r| r.param == Param::Tms && r.visit_id == "week-24")
            .unwrap();
        let expected = c.totals.upper_motor.0.zip(c.totals.lower_motor.0);
        let expected = expected.map(|(u, l)| f64::from(u + l));
        assert_eq!(tms.aval, expected);
        assert_eq!(tms.chg, expected.map(|v| v - 40.0));
        assert_eq!(tms.anl01fl, expected.is_some());
        assert_eq!(tms.avalrsn.is_empty(), expected.is_some(), "{tms:?}");
        // The table writes the reason beside the value.
        let table = d.adisn_table();
        assert!(table.column("AVALRSN").is_some());
    }

    #[test]
    fn parameters_are_numbered_in_their_order() {
        for (i, p) in Param::ALL.iter().enumerate() {
            assert_eq!(usize::from(p.number()), i + 1, "{}", p.code());
        }
    }
}

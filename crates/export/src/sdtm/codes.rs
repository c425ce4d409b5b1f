//! Test codes: the vital signs' (CDISC's VSTESTCD where one fits the field), SCIM III's and
//! WISCI II's (sponsor-defined), and the ISNCSCI exam's (sponsor-defined: no CDISC
//! therapeutic-area standard covers spinal cord injury): one per key muscle and dermatome on
//! each side, the anorectal exam, the lowest non-key muscles and the 25 classification results.

use isncsci::flat::Field;
use isncsci::Side;
use trial::{Scim3Item, Scim3Subscale};

use super::subject::{ascii, code_of};

/// VSTESTCD and VSTEST of a vital-signs field: CDISC's code for the usual ids, else the id
/// in capitals (at most 8) and the field's label (at most 40).
pub(crate) fn vital_sign(id: &str, label: &str) -> (String, String) {
    let known = match id {
        "systolic_bp" => Some(("SYSBP", "Systolic Blood Pressure")),
        "diastolic_bp" => Some(("DIABP", "Diastolic Blood Pressure")),
        "heart_rate" => Some(("HR", "Heart Rate")),
        "pulse" => Some(("PULSE", "Pulse Rate")),
        "respiratory_rate" => Some(("RESP", "Respiratory Rate")),
        "temperature" => Some(("TEMP", "Temperature")),
        "spo2" => Some(("OXYSAT", "Oxygen Saturation")),
        "weight" => Some(("WEIGHT", "Weight")),
        "height" => Some(("HEIGHT", "Height")),
        "bmi" => Some(("BMI", "Body Mass Index")),
        _ => None,
    };
    match known {
        Some((code, name)) => (code.into(), name.into()),
        None => (
            code_of(id).chars().take(8).collect(),
            ascii(label).chars().take(40).collect(),
        ),
    }
}

/// QSTESTCD and QSTEST of a SCIM III item: `SCIM` and its number on the sheet.
pub(crate) fn scim_item(item: Scim3Item) -> (String, String) {
    let name = match item {
        Scim3Item::BedMobility => "Bed mobility, pressure sore prevention".to_string(),
        Scim3Item::MobilityModerateDistances => "Mobility, moderate distances (10-100 m)".into(),
        other => ascii(other.label()),
    };
    (format!("SCIM{}", item.number()), name)
}

/// QSTESTCD and QSTEST of a SCIM III subscale.
pub(crate) fn scim_subscale(s: Scim3Subscale) -> (&'static str, &'static str) {
    match s {
        Scim3Subscale::SelfCare => ("SCIMSC", "Self-care subscore"),
        Scim3Subscale::RespirationSphincter => ("SCIMRS", "Respiration and sphincter subscore"),
        Scim3Subscale::Mobility => ("SCIMMOB", "Mobility subscore"),
    }
}

/// QSTESTCD and QSTEST of the SCIM III total.
pub const SCIM_TOTAL: (&str, &str) = ("SCIMTOT", "SCIM III total score");

/// QSTESTCD and QSTEST of the WISCI II level.
pub const WISCI: (&str, &str) = ("WISCI2", "WISCI II level");

/// What an ISNCSCI field is: NVTESTCD, NVTEST, NVSCAT, NVLOC and NVLAT.
pub(crate) struct ExamTest {
    pub code: String,
    pub name: String,
    pub subcategory: &'static str,
    pub location: String,
    pub side: &'static str,
}

fn side_words(side: Side) -> (&'static str, &'static str, &'static str) {
    match side {
        Side::Right => ("R", "right", "RIGHT"),
        Side::Left => ("L", "left", "LEFT"),
    }
}

/// The test of an exam field: `C5RMOT` (C5 right motor), `T10LLT` (T10 left light touch),
/// `S45RPP` (S4-5 right pin prick), `VAC`, `DAP`, `RNKM`/`LNKM` (lowest non-key muscle).
pub(crate) fn exam_test(field: Field) -> ExamTest {
    let point = |side: Side, level: &str, kind: &str, words: &str, sub: &'static str| {
        let (s, word, lat) = side_words(side);
        let short = level.replace('_', "");
        ExamTest {
            code: format!("{short}{s}{kind}"),
            name: format!("{} {word} {words}", level.replace('_', "-")),
            subcategory: sub,
            location: level.replace('_', "-"),
            side: lat,
        }
    };
    match field {
        Field::Motor(side, m) => point(side, m.level().name(), "MOT", "motor", "MOTOR"),
        Field::Touch(side, l) => point(side, l.name(), "LT", "light touch", "LIGHT TOUCH"),
        Field::Prick(side, l) => point(side, l.name(), "PP", "pin prick", "PIN PRICK"),
        Field::AnalContraction => ExamTest {
            code: "VAC".into(),
            name: "Voluntary anal contraction".into(),
            subcategory: "ANORECTAL",
            location: String::new(),
            side: "",
        },
        Field::AnalSensation => ExamTest {
            code: "DAP".into(),
            name: "Deep anal pressure".into(),
            subcategory: "ANORECTAL",
            location: String::new(),
            side: "",
        },
        Field::LowestNonKeyMuscle(side) => {
            let (s, word, lat) = side_words(side);
            let mut w = word.to_string();
            w[..1].make_ascii_uppercase();
            ExamTest {
                code: format!("{s}NKM"),
                name: format!("{w} lowest non-key muscle"),
                subcategory: "NON-KEY MUSCLE",
                location: String::new(),
                side: lat,
            }
        }
    }
}

/// NVTESTCD and NVTEST of each classification result, by its key in
/// `isncsci::Classification::KEYS`.
pub(crate) const RESULTS: [(&str, &str, &str); 25] = [
    (
        "rightUpperMotorTotal",
        "UEMSR",
        "Right upper extremity motor score",
    ),
    (
        "leftUpperMotorTotal",
        "UEMSL",
        "Left upper extremity motor score",
    ),
    (
        "rightLowerMotorTotal",
        "LEMSR",
        "Right lower extremity motor score",
    ),
    (
        "leftLowerMotorTotal",
        "LEMSL",
        "Left lower extremity motor score",
    ),
    ("rightTouchTotal", "LTR", "Right light touch total"),
    ("leftTouchTotal", "LTL", "Left light touch total"),
    ("rightPrickTotal", "PPR", "Right pin prick total"),
    ("leftPrickTotal", "PPL", "Left pin prick total"),
    ("rightMotorTotal", "MOTR", "Right motor total"),
    ("leftMotorTotal", "MOTL", "Left motor total"),
    ("upperMotorTotal", "UEMS", "Upper extremity motor score"),
    ("lowerMotorTotal", "LEMS", "Lower extremity motor score"),
    ("touchTotal", "LTTOT", "Light touch total"),
    ("prickTotal", "PPTOT", "Pin prick total"),
    ("rightSensory", "SLVLR", "Right sensory level"),
    ("leftSensory", "SLVLL", "Left sensory level"),
    ("rightMotor", "MLVLR", "Right motor level"),
    ("leftMotor", "MLVLL", "Left motor level"),
    (
        "neurologicalLevelOfInjury",
        "NLI",
        "Neurological level of injury",
    ),
    ("rightSensoryZpp", "SZPPR", "Right sensory ZPP"),
    ("leftSensoryZpp", "SZPPL", "Left sensory ZPP"),
    ("rightMotorZpp", "MZPPR", "Right motor ZPP"),
    ("leftMotorZpp", "MZPPL", "Left motor ZPP"),
    ("asiaImpairmentScale", "AIS", "ASIA Impairment Scale grade"),
    (
        "injuryComplete",
        "COMPLETE",
        "Complete or incomplete injury",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_test_code_fits_and_is_used_once() {
        let mut codes = HashSet::new();
        let mut names = HashSet::new();
        let exam = Field::all().map(|f| {
            let t = exam_test(f);
            (t.code, t.name)
        });
        let results = RESULTS
            .iter()
            .map(|(_, c, n)| (c.to_string(), n.to_string()));
        for (code, name) in exam.chain(results) {
            assert!(
                (1..=8).contains(&code.len())
                    && code
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
                "{code}"
            );
            assert!(name.len() <= 40 && name.is_ascii(), "{name}");
            assert!(codes.insert(code.clone()), "{code} twice");
            assert!(names.insert(name.clone()), "{name} twice");
        }
        assert_eq!(codes.len(), 136 + 25);
        let keys: Vec<&str> = RESULTS.iter().map(|(k, ..)| *k).collect();
        assert_eq!(keys, isncsci::Classification::KEYS);
        let t = exam_test(Field::parse("s4_5LeftPrick").unwrap());
        assert_eq!(
            (t.code.as_str(), t.name.as_str()),
            ("S45LPP", "S4-5 left pin prick")
        );
        assert_eq!(
            exam_test(Field::parse("c5RightMotor").unwrap()).code,
            "C5RMOT"
        );
    }

    #[test]
    fn scim_codes_fit() {
        let mut seen = HashSet::new();
        for item in Scim3Item::ALL {
            let (code, name) = scim_item(item);
            assert!(
                code.len() <= 8 && name.len() <= 40 && name.is_ascii(),
                "{code} {name}"
            );
            assert!(seen.insert(code));
        }
        assert_eq!(scim_item(Scim3Item::BathingLowerBody).0, "SCIM2B");
        for s in Scim3Subscale::ALL {
            assert!(seen.insert(scim_subscale(s).0.to_string()));
        }
    }
}

//! The parameters of `ADISN` and how each is read from a saved form: the ISNCSCI form's
//! classification (the engine's, stored with the exam), SCIM III's computed total and the
//! WISCI II level.

use serde_json::Value;

use super::{Measurement, WalkingExam};
use crate::forms::{Wisci2, SCIM3_TOTAL_KEY};
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
/// form's seven parameters from its stored classification, SCIM III's total, WISCI II's
/// level; none for other forms or a form without them.
pub fn measurements_from_form(kind: FormKind, visit_id: &str, data: &Value) -> Vec<Measurement> {
    let at = |param: Param, value: Option<f64>, text: String| Measurement {
        visit_id: visit_id.to_owned(),
        param,
        value,
        text,
    };
    match kind {
        FormKind::Isncsci => {
            let Some(c) = data.get("classification") else {
                return Vec::new();
            };
            let text = |key: &str| c.get(key).and_then(Value::as_str).unwrap_or("ND");
            let total = |key: &str| text(key).parse::<u16>().ok().map(f64::from);
            let (uems, lems) = (total("upperMotorTotal"), total("lowerMotorTotal"));
            let tms = uems.zip(lems).map(|(u, l)| u + l);
            let shown = |v: Option<f64>| v.map_or("ND".to_owned(), |v| format!("{v}"));
            let ais = text("asiaImpairmentScale");
            vec![
                at(Param::Tms, tms, shown(tms)),
                at(Param::Uems, uems, shown(uems)),
                at(Param::Lems, lems, shown(lems)),
                at(
                    Param::Lts,
                    total("touchTotal"),
                    text("touchTotal").to_owned(),
                ),
                at(
                    Param::Pps,
                    total("prickTotal"),
                    text("prickTotal").to_owned(),
                ),
                at(Param::Ais, ais_number(ais), ais.to_owned()),
                at(
                    Param::Nli,
                    None,
                    text("neurologicalLevelOfInjury").to_owned(),
                ),
            ]
        }
        FormKind::Scim3 => score(data, SCIM3_TOTAL_KEY)
            .map(|v| vec![at(Param::Scim, Some(v), format!("{v}"))])
            .unwrap_or_default(),
        FormKind::Wisci2 => score(data, Wisci2::LEVEL_KEY)
            .map(|v| vec![at(Param::Wisci, Some(v), format!("{v}"))])
            .unwrap_or_default(),
        FormKind::VitalSigns | FormKind::ConcomitantMedication | FormKind::Generic => Vec::new(),
    }
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
    use super::Param;

    #[test]
    fn parameters_are_numbered_in_their_order() {
        for (i, p) in Param::ALL.iter().enumerate() {
            assert_eq!(usize::from(p.number()), i + 1, "{}", p.code());
        }
    }
}

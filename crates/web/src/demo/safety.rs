//! The demo's own short list of adverse event terms, so that the demo codes events without the
//! NCI's CTCAE file. The names and system organ classes follow the CTCAE's layout (the codes
//! are illustrative, not for coding real events); the grade texts are short paraphrases
//! written for the demo, not the NCI's definitions.

use store::{Actor, Participant, Scope};
use time::{Date, Duration};
use trial::safety::{AdverseEventForm, EventContext, Term};

use crate::app::App;

/// One demo term: code, name, system organ class, and grades 1 to 5 (`None`: not defined).
type Row = (
    &'static str,
    &'static str,
    &'static str,
    [Option<&'static str>; 5],
);

const DEATH: Option<&str> = Some("Death");

const ROWS: &[Row] = &[
    (
        "10019211",
        "Headache",
        "Nervous system disorders",
        [
            Some("Mild pain"),
            Some("Moderate pain; limits instrumental activities of daily living"),
            Some("Severe pain; limits self-care"),
            None,
            None,
        ],
    ),
    (
        "10003988",
        "Back pain",
        "Musculoskeletal and connective tissue disorders",
        [
            Some("Mild pain"),
            Some("Moderate pain; limits instrumental activities of daily living"),
            Some("Severe pain; limits self-care"),
            None,
            None,
        ],
    ),
    (
        "10016558",
        "Fever",
        "General disorders and administration site conditions",
        [
            Some("38.0 to 39.0 degrees C"),
            Some("Above 39.0 to 40.0 degrees C"),
            Some("Above 40.0 degrees C for up to 24 hours"),
            Some("Above 40.0 degrees C for more than 24 hours"),
            DEATH,
        ],
    ),
    (
        "10028813",
        "Nausea",
        "Gastrointestinal disorders",
        [
            Some("Appetite lower; eating as usual"),
            Some("Eating less; no marked weight loss"),
            Some("Too little food or fluid taken; tube feeding or hospital care needed"),
            None,
            None,
        ],
    ),
    (
        "10047700",
        "Vomiting",
        "Gastrointestinal disorders",
        [
            Some("No treatment needed"),
            Some("Outpatient fluids needed; medical treatment"),
            Some("Tube feeding or hospital care needed"),
            Some("Life-threatening"),
            DEATH,
        ],
    ),
    (
        "10027199",
        "Meningitis",
        "Infections and infestations",
        [
            None,
            None,
            Some("Intravenous treatment needed; invasive procedure"),
            Some("Life-threatening; urgent treatment needed"),
            DEATH,
        ],
    ),
    (
        "10033775",
        "Pain",
        "General disorders and administration site conditions",
        [
            Some("Mild pain"),
            Some("Moderate pain; limits instrumental activities of daily living"),
            Some("Severe pain; limits self-care"),
            None,
            None,
        ],
    ),
    (
        "10046304",
        "Urinary tract infection",
        "Infections and infestations",
        [
            None,
            Some("Localised; oral treatment"),
            Some("Intravenous treatment needed; invasive procedure"),
            Some("Life-threatening; urgent treatment needed"),
            DEATH,
        ],
    ),
    (
        "10012378",
        "Depression",
        "Psychiatric disorders",
        [
            Some("Mild symptoms"),
            Some("Moderate symptoms; limits instrumental activities of daily living"),
            Some("Severe symptoms; limits self-care; hospital care not indicated"),
            Some("Life-threatening; urgent treatment needed"),
            DEATH,
        ],
    ),
    (
        "10033371",
        "Pain in extremity",
        "Musculoskeletal and connective tissue disorders",
        [
            Some("Mild pain"),
            Some("Moderate pain; limits instrumental activities of daily living"),
            Some("Severe pain; limits self-care"),
            None,
            None,
        ],
    ),
    (
        "10040943",
        "Skin ulceration",
        "Skin and subcutaneous tissue disorders",
        [
            Some("Wound under 1 cm across; skin reddened"),
            Some("Wound 1 to 2 cm across; into the fat under the skin"),
            Some("Wound over 2 cm across; through the skin to the fascia"),
            Some("Wound of any size into muscle, bone or tendon"),
            DEATH,
        ],
    ),
    (
        "10019150",
        "Headache post lumbar puncture",
        "Nervous system disorders",
        [
            Some("Mild; worse upright, relieved lying down"),
            Some("Moderate; limits instrumental activities of daily living"),
            Some("Severe; blood patch or other procedure needed"),
            None,
            None,
        ],
    ),
    // The lab terms that `trial::labs::grading` grades from values (CTCAE v5.0's thresholds,
    // in our words).
    (
        "10029366",
        "Neutrophil count decreased",
        "Investigations",
        [
            Some("Below normal to 1.5 x 10^9/L"),
            Some("Below 1.5 to 1.0 x 10^9/L"),
            Some("Below 1.0 to 0.5 x 10^9/L"),
            Some("Below 0.5 x 10^9/L"),
            None,
        ],
    ),
    (
        "10035528",
        "Platelet count decreased",
        "Investigations",
        [
            Some("Below normal to 75 x 10^9/L"),
            Some("Below 75 to 50 x 10^9/L"),
            Some("Below 50 to 25 x 10^9/L"),
            Some("Below 25 x 10^9/L"),
            None,
        ],
    ),
    (
        "10002272",
        "Anemia",
        "Blood and lymphatic system disorders",
        [
            Some("Haemoglobin below normal to 10.0 g/dL"),
            Some("Haemoglobin below 10.0 to 8.0 g/dL"),
            Some("Haemoglobin below 8.0 g/dL; transfusion indicated"),
            Some("Life-threatening; urgent treatment needed"),
            DEATH,
        ],
    ),
    (
        "10001551",
        "Alanine aminotransferase increased",
        "Investigations",
        [
            Some("Above normal to 3 x ULN (or 1.5 to 3 x an abnormal baseline)"),
            Some("Above 3 to 5 x ULN (or baseline)"),
            Some("Above 5 to 20 x ULN (or baseline)"),
            Some("Above 20 x ULN (or baseline)"),
            None,
        ],
    ),
];

/// The demo's terms, in a fixed order.
pub fn demo_terms() -> Vec<Term> {
    ROWS.iter()
        .map(|(code, name, soc, grades)| Term {
            code: code.to_string(),
            name: name.to_string(),
            soc: soc.to_string(),
            grades: grades.map(|g| g.map(String::from)),
            definition: None,
        })
        .collect()
}

/// The demo's adverse events, by kind: term, grade, seriousness, causality to the product and
/// to the procedure, action, outcome, days from enrolment to onset and to the end.
type Kind = (
    &'static str,
    i64,
    &'static [&'static str],
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    i64,
    Option<i64>,
);

const KINDS: [Kind; 3] = [
    (
        "Headache post lumbar puncture",
        1,
        &[],
        "unlikely",
        "probable",
        "dose-not-changed",
        "recovered",
        5,
        Some(8),
    ),
    (
        "Back pain",
        2,
        &[],
        "not-related",
        "possible",
        "not-applicable",
        "recovering",
        6,
        None,
    ),
    (
        "Fever",
        3,
        &["hospitalisation"],
        "possible",
        "not-related",
        "dose-delayed",
        "recovered",
        7,
        Some(10),
    ),
];

/// Records the `index`th kind of demo adverse event for an enrolled participant, through the
/// same checks as the API.
pub(super) async fn seed_event(
    app: &App,
    scope: &Scope,
    participant: &Participant,
    by: &Actor,
    enrolled_on: Date,
    index: usize,
) -> Result<(), String> {
    let (term, grade, criteria, product, procedure, action, outcome, onset, end) =
        KINDS[index % KINDS.len()];
    let consent = store::parse_date(&participant.consent_date).ok_or("a consent date")?;
    let terms = app.store.terms().await.map_err(|e| e.to_string())?;
    let form = AdverseEventForm {
        verbatim: format!("{} (as the participant put it)", term.to_lowercase()),
        term: term.into(),
        onset: store::date(enrolled_on + Duration::days(onset)),
        end: end.map(|d| store::date(enrolled_on + Duration::days(d))),
        grade: Some(grade),
        seriousness: criteria.iter().map(|c| c.to_string()).collect(),
        causality_product: product.into(),
        causality_procedure: procedure.into(),
        action: action.into(),
        outcome: outcome.into(),
    };
    let event = form
        .read(EventContext {
            terms: &terms,
            consent,
            // The demo seeds an event once its dates have passed (the caller's guard).
            today: time::OffsetDateTime::now_utc()
                .date()
                .max(enrolled_on + Duration::days(onset.max(end.unwrap_or(0)))),
        })
        .map_err(|problems| format!("demo adverse event: {problems:?}"))?;
    app.store
        .record_adverse_event(scope, participant.id, &event, by)
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Records a Phase I demo event of an enrolled participant: `(term, grade, serious by
/// hospitalisation)`, possibly related to the product, beginning on `onset`; its id.
pub(super) async fn seed_related_event(
    app: &App,
    scope: &Scope,
    participant: &Participant,
    by: &Actor,
    (term, grade, serious): (&str, i64, bool),
    onset: Date,
) -> Result<i64, String> {
    let consent = store::parse_date(&participant.consent_date).ok_or("a consent date")?;
    let terms = app.store.terms().await.map_err(|e| e.to_string())?;
    let form = AdverseEventForm {
        verbatim: format!("{} after the dose", term.to_lowercase()),
        term: term.into(),
        onset: store::date(onset),
        end: None,
        grade: Some(grade),
        seriousness: if serious {
            vec!["hospitalisation".into()]
        } else {
            vec![]
        },
        causality_product: "possible".into(),
        causality_procedure: "not-related".into(),
        action: "not-applicable".into(),
        outcome: "recovering".into(),
    };
    let event = form
        .read(EventContext {
            terms: &terms,
            consent,
            today: time::OffsetDateTime::now_utc().date(),
        })
        .map_err(|problems| format!("demo adverse event: {problems:?}"))?;
    let record = app
        .store
        .record_adverse_event(scope, participant.id, &event, by)
        .await
        .map_err(|e| e.to_string())?;
    Ok(record.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_term_defines_a_grade_and_appears_once() {
        let terms = demo_terms();
        let table = trial::safety::TermTable::new(terms.clone());
        assert_eq!(table.terms().len(), terms.len());
        assert!(terms.iter().all(|t| !t.defined_grades().is_empty()));
        assert_eq!(
            table.find("meningitis").map(|t| t.defined_grades()),
            Some(vec![3, 4, 5])
        );
    }
}

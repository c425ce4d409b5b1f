//! The use cases of the platform, free of HTTP, shared by the API, the pages and the demo's
//! seeding: screening with eligibility, enrolment with the visit plan, visit status, the planned
//! forms, randomising with the screening covariates, the query statuses.

use serde::Deserialize;
use store::{Actor, Allocation, Scope};
use time::Date;
use trial::participants::{check_screening, ScreeningForm};
pub use trial::participants::{classification_json, ClassifiedExam};
use trial::safety::{AdverseEvent, AdverseEventForm, EventContext};
use trial::{Covariates, Study};
use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;

use crate::app::App;
use crate::error::{ApiError, FieldProblem};

/// Every problem of a form, as the API's field-level error.
pub fn invalid(problems: Vec<trial::Problem>) -> ApiError {
    ApiError::Invalid(
        problems
            .into_iter()
            .map(|p| FieldProblem::new(p.path, p.message))
            .collect(),
    )
}

/// Reads an exam from a JSON object of flat-layout fields (`exam.<key>` in messages).
pub fn read_exam(
    fields: &serde_json::Map<String, serde_json::Value>,
) -> Result<ClassifiedExam, ApiError> {
    trial::participants::read_exam(fields).map_err(invalid)
}

/// An ISNCSCI form as stored: the exam as entered, the engine's classification, and the
/// worksheet's free-text comments beside them (`trial::participants::isncsci_form_data`).
pub fn isncsci_data(
    values: &serde_json::Map<String, serde_json::Value>,
) -> Result<serde_json::Value, ApiError> {
    trial::participants::isncsci_form_data(values).map_err(invalid)
}

/// The study's ISNCSCI forms (where its exams are kept).
pub fn isncsci_forms(study: &Study) -> Vec<String> {
    study
        .forms
        .iter()
        .filter(|f| f.kind == trial::FormKind::Isncsci)
        .map(|f| f.id.clone())
        .collect()
}

/// The screening exam's home: the screening visit (id, name) and its ISNCSCI form.
pub fn screening_exam_form(study: &Study) -> Result<(String, String, String), ApiError> {
    study
        .visits
        .iter()
        .filter(|v| v.screening)
        .find_map(|v| {
            let form = v.forms.iter().find(|f| {
                study
                    .form(f)
                    .is_some_and(|d| d.kind == trial::FormKind::Isncsci)
            })?;
            Some((v.id.clone(), v.name.clone(), form.clone()))
        })
        .ok_or_else(|| ApiError::Conflict {
            field: "exam".into(),
            message: format!(
                "study {} has no screening visit with an ISNCSCI form to keep the screening exam",
                study.id
            ),
        })
}

/// What the platform holds for the fields of `form` that it fills (`source` in the study
/// definition): nothing is read when the form has none.
pub async fn field_sources(
    app: &App,
    study: &str,
    form: &trial::FormDef,
) -> Result<trial::FieldSources, ApiError> {
    if !trial::has_sourced_fields(form) {
        return Ok(trial::FieldSources::default());
    }
    let banks = app.store.banks(study).await?;
    Ok(trial::FieldSources::from_banks(
        banks
            .iter()
            .map(|b| (b.code.as_str(), b.hla_typing.as_str())),
    ))
}

/// A form's values with the platform's values put into the fields it fills (see
/// [`trial::fill_sourced`]), or the problems at their fields (`values.<field>`).
pub async fn with_sourced_fields(
    app: &App,
    study: &str,
    form: &trial::FormDef,
    mut values: serde_json::Map<String, serde_json::Value>,
) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
    if trial::has_sourced_fields(form) {
        let sources = field_sources(app, study, form).await?;
        trial::fill_sourced(form, &mut values, &sources).map_err(|issues| {
            ApiError::Invalid(
                issues
                    .into_iter()
                    .map(|i| FieldProblem::new(format!("values.{}", i.field), i.message))
                    .collect(),
            )
        })?;
    }
    Ok(values)
}

/// The eligibility a saved screening exam (an ISNCSCI form's stored values) gives with the
/// participant's screening data.
pub async fn screening_eligibility(
    app: &App,
    scope: &Scope,
    study: &Study,
    participant_id: i64,
    data: &serde_json::Map<String, serde_json::Value>,
) -> Result<trial::screening_exam::Found, ApiError> {
    let p = app.store.participant(scope, participant_id).await?;
    eligibility_of(study, &p, data)
}

/// The eligibility the screening data of `p` gives with a screening exam as stored (an ISNCSCI
/// form's values, with its `exam`).
pub fn eligibility_of(
    study: &Study,
    p: &store::Participant,
    data: &serde_json::Map<String, serde_json::Value>,
) -> Result<trial::screening_exam::Found, ApiError> {
    let exam = match data.get("exam") {
        Some(serde_json::Value::Object(fields)) => read_exam(fields)?,
        _ => return Err(ApiError::field("values", "the exam is missing")),
    };
    let date = |field: &str, text: &str| {
        trial::participants::parse_date(text).ok_or_else(|| {
            ApiError::field(
                field,
                format!("{text:?} as stored is not a YYYY-MM-DD date"),
            )
        })
    };
    let screening = trial::Screening {
        date_of_birth: date("date_of_birth", &p.date_of_birth)?,
        sex: trial::Sex::parse(&p.sex)
            .ok_or_else(|| ApiError::field("sex", format!("{:?} as stored is not a sex", p.sex)))?,
        injury_date: date("injury_date", &p.injury_date)?,
        consent_date: date("consent_date", &p.consent_date)?,
        screening_date: date("screening_date", &p.screening_date)?,
    };
    let e = trial::evaluate_eligibility(study, &screening, &exam.classification);
    Ok(trial::screening_exam::Found {
        eligible: e.eligible,
        reasons: e.reasons.iter().map(|r| r.to_string()).collect(),
    })
}

/// The eligibility a correction of the screening data gives: the participant's data with the
/// corrected value, and their screening exam as saved (none when no screening exam is kept,
/// nothing then to evaluate). The correction is checked by the store.
pub async fn corrected_eligibility(
    app: &App,
    scope: &Scope,
    study: &Study,
    correction: &store::Correction,
) -> Result<Option<trial::screening_exam::Found>, ApiError> {
    use trial::participants::CorrectableField as F;
    let Ok(field) = trial::participants::check_correction(
        &correction.field,
        &correction.value,
        &correction.reason,
    ) else {
        return Ok(None); // refused by the store, naming the problem
    };
    let mut p = app
        .store
        .participant(scope, correction.participant_id)
        .await?;
    let value = correction.value.clone();
    match field {
        F::Sex => p.sex = value,
        F::DateOfBirth => p.date_of_birth = value,
        F::InjuryDate => p.injury_date = value,
        F::ConsentDate => p.consent_date = value,
        F::ScreeningDate => p.screening_date = value,
    }
    let Ok((visit, _, form)) = screening_exam_form(study) else {
        return Ok(None);
    };
    let forms = app.store.forms(scope, p.id).await?;
    let saved = forms
        .iter()
        .find(|f| f.visit_id == visit && f.form_id == form && f.status.is_some());
    match saved.map(|f| &f.data) {
        Some(serde_json::Value::Object(data)) => eligibility_of(study, &p, data).map(Some),
        _ => Ok(None),
    }
}

/// The schema of an ISNCSCI exam in the flat layout, as the API takes it: every point of the
/// exam and the anal exam by key (`c5RightMotor`, `t4LeftPrick`, `analContraction`), each with
/// its allowed values, and the optional lowest non-key muscles with motor function.
pub struct FlatExam;

impl utoipa::PartialSchema for FlatExam {
    fn schema() -> RefOr<Schema> {
        let grades = |top: u8, starred: u8| {
            let plain = (0..=top).map(|g| g.to_string());
            let star = (0..=starred).flat_map(|g| [format!("{g}*"), format!("{g}**")]);
            let nt = ["NT", "NT*", "NT**"].map(String::from);
            plain.chain(star).chain(nt).collect::<Vec<_>>()
        };
        let mut exam = ObjectBuilder::new()
            .schema_type(Type::Object)
            .additional_properties(Some(AdditionalProperties::FreeForm(false)));
        for field in isncsci::flat::Field::all() {
            use isncsci::flat::Field as F;
            let words = match field {
                F::Motor(..) => Some(grades(5, 4)),
                F::Touch(..) | F::Prick(..) => Some(grades(2, 1)),
                F::AnalContraction | F::AnalSensation => {
                    Some(["Yes", "No", "NT"].map(String::from).to_vec())
                }
                F::LowestNonKeyMuscle(_) => None,
            };
            let value = match words {
                Some(words) => ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(words)),
                None => ObjectBuilder::new()
                    .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                    .description(Some(isncsci::flat::NON_KEY_ALLOWED)),
            };
            exam = exam.property(field.name(), value);
            if field.is_required() {
                exam = exam.required(field.name());
            }
        }
        exam.into()
    }
}

impl utoipa::ToSchema for FlatExam {}

/// The schema of a classification as the API gives it: the 25 results under the conformance
/// file's names, each as the reference prints it (`"C5,C6"`, `"A*,B*"`).
pub struct Classification;

impl utoipa::PartialSchema for Classification {
    fn schema() -> RefOr<Schema> {
        isncsci::Classification::KEYS
            .iter()
            .fold(
                ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .additional_properties(Some(AdditionalProperties::FreeForm(false))),
                |object, key| {
                    object
                        .property(*key, ObjectBuilder::new().schema_type(Type::String))
                        .required(*key)
                },
            )
            .into()
    }
}

impl utoipa::ToSchema for Classification {}

/// A screening as the API receives it.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScreeningInput {
    /// The site.
    pub site_id: String,
    /// The screening number.
    pub screening_number: String,
    /// `male`, `female` or `other`.
    pub sex: String,
    /// `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub date_of_birth: String,
    /// `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub injury_date: String,
    /// `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub consent_date: String,
    /// `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub screening_date: String,
    /// The screening ISNCSCI exam in the flat layout (`c5RightMotor`, …, `analContraction`).
    #[schema(value_type = FlatExam)]
    pub exam: serde_json::Map<String, serde_json::Value>,
}

/// Screens a participant: checks every field, classifies the exam, evaluates eligibility, and
/// stores it all in one transaction.
pub async fn screen(
    app: &App,
    scope: &Scope,
    input: &ScreeningInput,
    by: &Actor,
) -> Result<store::Participant, ApiError> {
    let study = app.study(scope.study())?;
    let form = ScreeningForm {
        site_id: &input.site_id,
        screening_number: &input.screening_number,
        sex: &input.sex,
        date_of_birth: &input.date_of_birth,
        injury_date: &input.injury_date,
        consent_date: &input.consent_date,
        screening_date: &input.screening_date,
        exam: &input.exam,
    };
    let (screening, exam) = check_screening(study, &form).map_err(invalid)?;
    let eligibility = trial::evaluate_eligibility(study, &screening, &exam.classification);
    let (exam_visit, exam_visit_name, exam_form) = screening_exam_form(study)?;
    // Stored exactly as a save of the form stores it (optional muscles left out stay out).
    let data = isncsci_data(&input.exam)?;
    let new = store::NewScreening {
        site_id: input.site_id.clone(),
        screening_number: input.screening_number.trim().to_string(),
        sex: screening.sex.as_str().to_string(),
        date_of_birth: input.date_of_birth.clone(),
        injury_date: input.injury_date.clone(),
        consent_date: input.consent_date.clone(),
        screening_date: input.screening_date.clone(),
        eligible: eligibility.eligible,
        eligibility_reasons: eligibility.reasons.iter().map(|r| r.to_string()).collect(),
        exam_visit,
        exam_visit_name,
        exam_form,
        exam_raw: data["exam"].to_string(),
        classification: data["classification"].to_string(),
    };
    Ok(app.store.screen(scope, &new, by).await?)
}

/// An enrolment as the API receives it.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentInput {
    /// The subject id to give.
    pub subject_id: String,
    /// `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub enrolled_on: String,
    /// The date visits are scheduled from, when the study's anchor is the first dose
    /// (the planned dosing day); for an injury anchor it is the injury date and may be left out.
    #[schema(format = Date)]
    pub anchor_date: Option<String>,
}

/// Enrols a participant and plans their visits.
pub async fn enrol(
    app: &App,
    scope: &Scope,
    participant_id: i64,
    input: &EnrolmentInput,
    by: &Actor,
) -> Result<store::Participant, ApiError> {
    let study = app.study(scope.study())?;
    let participant = app.store.participant(scope, participant_id).await?;
    let anchor = trial::participants::check_enrolment_form(
        study,
        &participant.injury_date,
        &input.subject_id,
        &input.enrolled_on,
        input.anchor_date.as_deref(),
    )
    .map_err(invalid)?;
    // The screening visit was recorded at screening: the plan adds the others.
    let recorded = app.store.visits(scope, participant_id).await?;
    let visits = trial::plan_visits(study, anchor)
        .into_iter()
        .filter(|v| !recorded.iter().any(|r| r.visit_id == v.visit_id))
        .map(|v| store::PlannedVisit {
            visit_id: v.visit_id,
            name: v.name,
            target: store::date(v.target),
            earliest: store::date(v.earliest),
            latest: store::date(v.latest),
        })
        .collect();
    let enrolment = store::Enrolment {
        participant_id,
        subject_id: input.subject_id.trim().to_string(),
        enrolled_on: input.enrolled_on.clone(),
        anchor_date: store::date(anchor),
        visits,
    };
    Ok(app.store.enrol(scope, study, &enrolment, by).await?)
}

/// A visit with its window status today.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct VisitView {
    /// The visit.
    #[serde(flatten)]
    pub visit: store::Visit,
    /// `upcoming`, `due`, `overdue`, `done` or `done-out-of-window`.
    pub status: &'static str,
}

/// A participant's visits with their status on `today`.
pub async fn visits(
    app: &App,
    scope: &Scope,
    participant_id: i64,
    today: Date,
) -> Result<Vec<VisitView>, ApiError> {
    let visits = app.store.visits(scope, participant_id).await?;
    Ok(visits.into_iter().map(|v| visit_view(v, today)).collect())
}

/// A visit with its status on `today`.
pub fn visit_view(v: store::Visit, today: Date) -> VisitView {
    let planned = trial::PlannedVisit {
        visit_id: v.visit_id.clone(),
        name: v.name.clone(),
        day: 0,
        target: store::parse_date(&v.target).unwrap_or(today),
        earliest: store::parse_date(&v.earliest).unwrap_or(today),
        latest: store::parse_date(&v.latest).unwrap_or(today),
    };
    let done = v.done_on.as_deref().and_then(store::parse_date);
    VisitView {
        status: trial::visit_status(&planned, today, done).as_str(),
        visit: v,
    }
}

/// Every form of a participant's visits as the study plans them, in visit order: the saved
/// ones with their state, the others `not-started` (version 0, no values). Forms saved outside
/// the plan (a study definition changed since) are kept, after the planned ones.
pub async fn planned_forms(
    app: &App,
    scope: &Scope,
    participant_id: i64,
) -> Result<Vec<store::FormEntry>, ApiError> {
    let study = app.study(scope.study())?;
    let mut saved = app.store.forms(scope, participant_id).await?;
    let visits = app.store.visits(scope, participant_id).await?;
    let mut out = Vec::new();
    for visit in &visits {
        let Some(definition) = study.visit(&visit.visit_id) else {
            continue;
        };
        for form_id in &definition.forms {
            let at = saved
                .iter()
                .position(|f| f.visit_id == visit.visit_id && &f.form_id == form_id);
            out.push(match at {
                Some(i) => saved.remove(i),
                None => store::FormEntry {
                    participant_id,
                    visit_id: visit.visit_id.clone(),
                    form_id: form_id.clone(),
                    data: serde_json::Value::Object(serde_json::Map::new()),
                    status: None,
                    state: trial::FormState::NotStarted,
                    verified_by: None,
                    verified_at: None,
                    locked: false,
                    version: 0,
                    updated_at: None,
                },
            });
        }
    }
    out.extend(saved);
    Ok(out)
}

/// Randomises a participant with the covariates of the screening exam and the site (the
/// handler and the demo's seeding both come here).
pub async fn randomise_for(
    app: &App,
    scope: &Scope,
    participant_id: i64,
    by: &Actor,
) -> Result<Allocation, ApiError> {
    let study = app.study(scope.study())?;
    let participant = app.store.participant(scope, participant_id).await?;
    let covariates = covariates(app, scope, study, &participant).await?;
    Ok(app
        .store
        .randomise(scope, study, participant_id, &covariates, by)
        .await?)
}

/// The covariates of a participant: the baseline AIS grade and neurological level of injury of
/// the screening exam's classification, and the site.
async fn covariates(
    state: &App,
    scope: &Scope,
    study: &Study,
    participant: &store::Participant,
) -> Result<Covariates, ApiError> {
    let screening: Vec<&str> = study
        .visits
        .iter()
        .filter(|v| v.screening)
        .map(|v| v.id.as_str())
        .collect();
    let exams = state
        .store
        .exams(scope, participant.id, &isncsci_forms(study))
        .await?;
    let exam = exams
        .iter()
        .find(|e| screening.contains(&e.visit_id.as_str()))
        .ok_or_else(|| ApiError::Conflict {
            field: "exam".into(),
            message: format!(
                "participant {} has no screening ISNCSCI exam to take the strata from",
                participant.id
            ),
        })?;
    let classification: serde_json::Value =
        serde_json::from_str(&exam.classification).unwrap_or_default();
    let text = |key: &str| {
        classification[key]
            .as_str()
            .unwrap_or("")
            .trim_end_matches('*')
            .to_string()
    };
    let (ais, nli) = (
        text("asiaImpairmentScale"),
        text("neurologicalLevelOfInjury"),
    );
    let grade = trial::AIS_GRADES.into_iter().find(|g| g.letter() == ais);
    let level = isncsci::Level::parse(&nli);
    let (Some(grade), Some(level)) = (grade, level) else {
        return Err(ApiError::Conflict {
            field: "exam".into(),
            message: format!(
                "the screening classification (AIS {ais:?}, NLI {nli:?}) does not give one AIS grade A to D and one level: complete the exam first"
            ),
        });
    };
    Covariates::new(study, grade, level, &participant.site_id).map_err(|e| ApiError::Conflict {
        field: "site_id".into(),
        message: e.to_string(),
    })
}

/// A query status filter, or the error naming the allowed ones.
pub fn check_query_status(status: &str) -> Result<trial::QueryStatus, ApiError> {
    Ok(trial::QueryStatus::parse_field("status", status)?)
}

/// The event of a form, checked against the loaded terms and the participant's consent date:
/// 422 naming every field at fault.
pub async fn read_adverse_event(
    app: &App,
    scope: &Scope,
    participant_id: i64,
    form: &AdverseEventForm,
) -> Result<AdverseEvent, ApiError> {
    let participant = app.store.participant(scope, participant_id).await?;
    let consent = store::parse_date(&participant.consent_date).ok_or_else(|| {
        ApiError::field(
            "consent_date",
            "the participant's consent date is not a date",
        )
    })?;
    let terms = app.store.terms().await?;
    form.read(EventContext {
        terms: &terms,
        consent,
        today: time::OffsetDateTime::now_utc().date(),
    })
    .map_err(invalid)
}

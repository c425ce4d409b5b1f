//! Laboratory results: the study's tests, the normal ranges (loaded by the data manager from a
//! CSV), a participant's values (entered by the site, read by whoever reads participants),
//! the adverse events graded values propose (accepted or dismissed by the investigator), and
//! a central lab's file (previewed, then imported all or nothing, once), and the DSMB's
//! laboratory tables (by arm only for callers who see arms). A value carries no arm.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::on;
use axum::Json;
use serde::{Deserialize, Serialize};
use store::{ImportOutcome, ImportPreviewRow, LabProposal, LabResult, NewLabResult, TableGrouping};
use time::OffsetDateTime;
use trial::labs::import::{digest, parse_instant, read_results};
use trial::labs::{catalogue, read_ranges, LabTables, NormalRange, Panel};
use trial::safety::AdverseEventForm;

use crate::access::{require, Operation};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::blinding::safety_grouping;
use crate::error::ApiError;
use crate::extract::{parse_body, JsonBody, ParticipantPath};
use crate::openapi::Endpoint;
use crate::service::{invalid, read_adverse_event};

/// The operations of this feature.
pub(crate) const OPERATIONS: &[Endpoint] = &[
    Endpoint::get(
        "/api/studies/{study}/labs/tests",
        "listLabTests",
        "The study's laboratory tests by panel: code, LOINC, names, units, plausible values, visits",
        |m| on(m, tests),
    )
    .returns_list::<LabTestView>(),
    Endpoint::get(
        "/api/studies/{study}/labs/ranges",
        "listLabRanges",
        "The study's normal ranges, in the test's unit",
        |m| on(m, ranges),
    )
    .returns_list::<RangeView>(),
    Endpoint::post(
        "/api/studies/{study}/labs/ranges",
        "loadLabRanges",
        "Replace the study's normal ranges by a CSV file (data manager): refused whole, naming line and column",
        |m| on(m, load_ranges),
    )
    .body::<FileInput>()
    .returns::<RangesLoaded>(),
    Endpoint::post(
        "/api/studies/{study}/labs/import",
        "importLabResults",
        "A central lab's results file: previewed (preview true) or imported all or nothing; the same file again changes nothing",
        |m| on(m, import),
    )
    .body::<ImportInput>()
    .returns::<ImportAnswer>(),
    Endpoint::get(
        "/api/studies/{study}/labs/safety-tables",
        "getLabSafetyTables",
        "The DSMB's laboratory tables (shifts from baseline per test, worst CTCAE grade per term and participant): by arm for callers who see arms, by dose level in an open-label escalation, pooled otherwise",
        |m| on(m, safety_tables),
    )
    .returns::<LabTablesView>(),
    Endpoint::get(
        "/api/studies/{study}/participants/{id}/labs",
        "listLabResults",
        "A participant's lab values with range, flag, CTCAE grade, proposed adverse event, and a drug level against the protocol's target range",
        |m| on(m, list),
    )
    .returns_list::<LabResult>(),
    Endpoint::post(
        "/api/studies/{study}/participants/{id}/labs",
        "recordLabResult",
        "Record a lab value (coordinator, investigator): converted, flagged and graded; refused naming the test when implausible",
        |m| on(m, record),
    )
    .body::<LabInput>()
    .creates::<LabResult>(),
    Endpoint::post(
        "/api/studies/{study}/participants/{id}/labs/proposals/{proposal}/accept",
        "acceptLabProposal",
        "The investigator records the adverse event a graded value proposes (its term and grade the value's)",
        |m| on(m, accept),
    )
    .body::<AcceptInput>()
    .returns::<LabProposal>(),
    Endpoint::post(
        "/api/studies/{study}/participants/{id}/labs/proposals/{proposal}/dismiss",
        "dismissLabProposal",
        "The investigator dismisses a proposed adverse event, with a reason",
        |m| on(m, dismiss),
    )
    .body::<DismissInput>()
    .returns::<LabProposal>(),
];

/// A test of the study.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct LabTestView {
    /// Our code.
    code: String,
    /// The LOINC code, where one exists.
    loinc: Option<String>,
    /// The name in English.
    name: String,
    /// The name in Simplified Chinese.
    name_zh: String,
    /// The panel.
    panel: Panel,
    /// The unit values are kept in (UCUM), then the others it takes.
    units: Vec<String>,
    /// The lowest plausible value, in the first unit.
    plausible_min: f64,
    /// The highest plausible value, in the first unit.
    plausible_max: f64,
    /// The visits its panel is collected at.
    visits: Vec<String>,
}

/// A normal range.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct RangeView {
    test: String,
    /// The site, or none for every site.
    site_id: Option<String>,
    /// `male`, `female`, or none for either.
    sex: Option<String>,
    age_min: Option<i32>,
    age_max: Option<i32>,
    /// In the test's unit.
    low: f64,
    /// In the test's unit.
    high: f64,
    /// The test's unit.
    unit: String,
    #[schema(format = Date)]
    valid_from: String,
    #[schema(format = Date)]
    valid_to: Option<String>,
}

impl From<NormalRange> for RangeView {
    fn from(r: NormalRange) -> RangeView {
        RangeView {
            unit: catalogue::test(&r.test).map_or("", |t| t.unit).to_string(),
            test: r.test,
            site_id: r.site,
            sex: r.sex.map(|s| s.as_str().to_string()),
            age_min: r.age_min,
            age_max: r.age_max,
            low: r.low,
            high: r.high,
            valid_from: store::date(r.valid_from),
            valid_to: r.valid_to.map(store::date),
        }
    }
}

/// A file's text.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct FileInput {
    /// The CSV text.
    file: String,
}

/// How many ranges were loaded.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct RangesLoaded {
    loaded: usize,
}

/// A results file, to preview or import.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ImportInput {
    /// The CSV text.
    file: String,
    /// True: answer what would be imported, writing nothing.
    #[serde(default)]
    preview: bool,
}

/// The preview's rows, or what the import did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ImportAnswer {
    /// The file's SHA-256.
    digest: String,
    /// A preview's rows as they would be recorded (empty for an import).
    rows: Vec<ImportPreviewRow>,
    /// What the import did (absent for a preview).
    outcome: Option<ImportOutcome>,
}

/// The laboratory safety tables, with how they are grouped (`arm`, `dose-level` or
/// `pooled`: a blinded caller gets one pooled group).
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct LabTablesView {
    study_id: String,
    grouping: String,
    #[serde(flatten)]
    tables: LabTables,
}

/// A value as the site enters it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct LabInput {
    /// A visit id of the schedule.
    visit_id: String,
    /// A test code of the study.
    test: String,
    /// When the sample was taken, RFC 3339 with its offset.
    #[schema(format = DateTime)]
    collected_at: String,
    /// The number as written.
    value: String,
    /// Its unit (UCUM), one the test takes.
    unit: String,
    /// The lab's printed range.
    #[serde(default)]
    lab_range: Option<String>,
}

/// The adverse event of an accepted proposal: its term and grade are the value's; it is
/// recorded not serious (marked serious by a change of the event).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AcceptInput {
    /// The event in the investigator's words.
    verbatim: String,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    #[schema(pattern = r"^\d{4}(-\d{2}(-\d{2})?)?$")]
    onset: String,
    /// The same forms; empty while it goes on.
    #[serde(default)]
    end: Option<String>,
    #[schema(value_type = trial::safety::Causality)]
    causality_product: String,
    #[schema(value_type = trial::safety::Causality)]
    causality_procedure: String,
    #[schema(value_type = trial::safety::ActionTaken)]
    action: String,
    #[schema(value_type = trial::safety::Outcome)]
    outcome: String,
}

/// Why a proposal is dismissed.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct DismissInput {
    reason: String,
}

/// The proposal of a path.
#[derive(Debug, Deserialize)]
struct ProposalPath {
    proposal: String,
}

fn proposal_id(text: &str) -> Result<i64, ApiError> {
    text.parse()
        .map_err(|_| ApiError::NotFound(format!("proposal {text} not found")))
}

/// `GET /api/studies/{study}/labs/tests`
async fn tests(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study_id): Path<String>,
) -> Result<Json<Vec<LabTestView>>, ApiError> {
    require(&me.roles, &study_id, Operation::ReadParticipants)?;
    let study = state.study(&study_id)?;
    let mut out = Vec::new();
    for panel in &study.labs.panels {
        for code in &panel.tests {
            let Some(t) = catalogue::test(code) else {
                continue;
            };
            out.push(LabTestView {
                code: t.code.into(),
                loinc: t.loinc.map(String::from),
                name: t.name.into(),
                name_zh: t.name_zh.into(),
                panel: panel.panel,
                units: t.units().into_iter().map(String::from).collect(),
                plausible_min: t.plausible.0,
                plausible_max: t.plausible.1,
                visits: panel.visits.clone(),
            });
        }
    }
    Ok(Json(out))
}

/// `GET /api/studies/{study}/labs/ranges`
async fn ranges(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study_id): Path<String>,
) -> Result<Json<Vec<RangeView>>, ApiError> {
    require(&me.roles, &study_id, Operation::ReadParticipants)?;
    let ranges = state.store.lab_ranges(&study_id).await?;
    Ok(Json(ranges.into_iter().map(RangeView::from).collect()))
}

/// `POST /api/studies/{study}/labs/ranges`
async fn load_ranges(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study_id): Path<String>,
    body: JsonBody,
) -> Result<Json<RangesLoaded>, ApiError> {
    require(&me.roles, &study_id, Operation::ManageLabRanges)?;
    let study = state.study(&study_id)?;
    let input: FileInput = parse_body(&body)?;
    let sites: Vec<&str> = study.sites.iter().map(|s| s.id.as_str()).collect();
    let ranges = read_ranges(&input.file, &sites, &study.labs.test_codes()).map_err(invalid)?;
    let loaded = state
        .store
        .load_lab_ranges(&study_id, &ranges, &digest(&input.file), &me.actor())
        .await?;
    Ok(Json(RangesLoaded { loaded }))
}

/// `POST /api/studies/{study}/labs/import`
async fn import(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study_id): Path<String>,
    body: JsonBody,
) -> Result<Json<ImportAnswer>, ApiError> {
    let scope = require(&me.roles, &study_id, Operation::ImportLabs)?;
    let study = state.study(&study_id)?;
    let input: ImportInput = parse_body(&body)?;
    let visits: Vec<&str> = study.visits.iter().map(|v| v.id.as_str()).collect();
    let rows = read_results(&input.file, &study.labs, &visits, OffsetDateTime::now_utc())
        .map_err(invalid)?;
    let digest = digest(&input.file);
    if input.preview {
        let rows = state
            .store
            .preview_lab_import(study, &scope, rows)
            .await?
            .map_err(invalid)?;
        return Ok(Json(ImportAnswer {
            digest,
            rows,
            outcome: None,
        }));
    }
    // The import checks the file's digest first: the same file again answers the earlier
    // import (a preview of it would name every row as recorded already).
    let outcome = state
        .store
        .import_lab_results(study, &scope, rows, &digest, &me.actor())
        .await?
        .map_err(invalid)?;
    Ok(Json(ImportAnswer {
        digest,
        rows: Vec::new(),
        outcome: Some(outcome),
    }))
}

/// `GET /api/studies/{study}/labs/safety-tables`
async fn safety_tables(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study_id): Path<String>,
) -> Result<Json<LabTablesView>, ApiError> {
    let scope = require(&me.roles, &study_id, Operation::ReadSafetyTables)?;
    let study = state.study(&study_id)?;
    let by = safety_grouping(&me, study);
    let tables = state.store.lab_safety_tables(&scope, study, by).await?;
    let grouping = match by {
        TableGrouping::Arm => "arm",
        TableGrouping::DoseLevel => "dose-level",
        TableGrouping::Pooled => "pooled",
    };
    Ok(Json(LabTablesView {
        study_id,
        grouping: grouping.into(),
        tables,
    }))
}

/// `GET /api/studies/{study}/participants/{id}/labs`
async fn list(
    State(state): State<AppState>,
    me: CurrentUser,
    path: ParticipantPath,
) -> Result<Json<Vec<LabResult>>, ApiError> {
    let (scope, id) = path.read(&me)?;
    let study = state.study(&path.study)?;
    let results = state.store.lab_results_of(&scope, id).await?;
    Ok(Json(
        results
            .into_iter()
            .map(|r| r.against_targets(&study.labs))
            .collect(),
    ))
}

/// `POST /api/studies/{study}/participants/{id}/labs`
async fn record(
    State(state): State<AppState>,
    me: CurrentUser,
    path: ParticipantPath,
    body: JsonBody,
) -> Result<(StatusCode, Json<LabResult>), ApiError> {
    let (scope, id) = path.write(&state, &me, Operation::EnterData).await?;
    let study = state.study(&path.study)?;
    let input: LabInput = parse_body(&body)?;
    let collected_at = parse_instant(&input.collected_at).ok_or_else(|| {
        ApiError::field(
            "collected_at",
            "is not a time in RFC 3339 with its offset (2026-03-02T08:30:00+08:00)",
        )
    })?;
    let new = NewLabResult {
        visit_id: input.visit_id,
        test: input.test,
        collected_at,
        value: input.value,
        unit: input.unit,
        lab_range: input.lab_range,
    };
    let recorded = state
        .store
        .record_lab_result(study, &scope, id, &new, &me.actor())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(recorded.against_targets(&study.labs)),
    ))
}

/// `POST …/labs/proposals/{proposal}/accept`
async fn accept(
    State(state): State<AppState>,
    me: CurrentUser,
    path: ParticipantPath,
    Path(ProposalPath { proposal }): Path<ProposalPath>,
    body: JsonBody,
) -> Result<Json<LabProposal>, ApiError> {
    let (scope, id) = path
        .write(&state, &me, Operation::DecideLabProposal)
        .await?;
    let proposal_id = proposal_id(&proposal)?;
    let input: AcceptInput = parse_body(&body)?;
    let proposal = state
        .store
        .lab_results_of(&scope, id)
        .await?
        .into_iter()
        .filter_map(|r| r.proposal)
        .find(|p| p.id == proposal_id)
        .ok_or_else(|| ApiError::NotFound(format!("proposal {proposal_id} not found")))?;
    let form = AdverseEventForm {
        verbatim: input.verbatim,
        term: proposal.term.clone(),
        onset: input.onset,
        end: input.end,
        grade: Some(i64::from(proposal.grade)),
        seriousness: Vec::new(),
        causality_product: input.causality_product,
        causality_procedure: input.causality_procedure,
        action: input.action,
        outcome: input.outcome,
    };
    let event = read_adverse_event(&state, &scope, id, &form).await?;
    let accepted = state
        .store
        .accept_lab_proposal(&scope, id, proposal_id, &event, &me.actor())
        .await?;
    Ok(Json(accepted))
}

/// `POST …/labs/proposals/{proposal}/dismiss`
async fn dismiss(
    State(state): State<AppState>,
    me: CurrentUser,
    path: ParticipantPath,
    Path(ProposalPath { proposal }): Path<ProposalPath>,
    body: JsonBody,
) -> Result<Json<LabProposal>, ApiError> {
    let (scope, id) = path
        .write(&state, &me, Operation::DecideLabProposal)
        .await?;
    let proposal_id = proposal_id(&proposal)?;
    let input: DismissInput = parse_body(&body)?;
    let dismissed = state
        .store
        .dismiss_lab_proposal(&scope, id, proposal_id, Some(&input.reason), &me.actor())
        .await?;
    Ok(Json(dismissed))
}

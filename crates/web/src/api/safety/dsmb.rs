//! Safety, the DSMB's part: the safety tables (by arm for callers who see arms, by dose level
//! in an open-label escalation, pooled for everyone else, so that no blinded caller gets a
//! group that reveals arms), the stopping rules that fired and hold dosing and enrolment, and
//! the DSMB member's signed decisions on them.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::on;
use axum::Json;
use serde::{Deserialize, Serialize};
use store::{DsmbDecisionRecord, NewDsmbDecision, StoppingRuleFiring, TableGrouping};
use trial::safety::{DsmbOutcome, SafetyTables};
use trial::SignedRecord;

use crate::access::{require, Operation};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::blinding::{safety_grouping, unblinded};
use crate::error::ApiError;
use crate::esign;
use crate::extract::{parse_body, JsonBody};
use crate::openapi::Endpoint;

/// The operations of this part.
pub(crate) const OPERATIONS: &[Endpoint] = &[
    Endpoint::get(
        "/api/studies/{study}/safety/tables",
        "getSafetyTables",
        "Safety tables (participants with any AE, by CTCAE term and worst grade, SAEs, deaths, discontinuations for AE): by arm for callers who see arms, by dose level in an open-label escalation, pooled otherwise",
        |m| on(m, tables),
    )
    .returns::<TablesView>(),
    Endpoint::get(
        "/api/studies/{study}/safety/stopping-rules",
        "getStoppingRules",
        "The stopping rules that fired, and those holding dosing and enrolment until the DSMB decides",
        |m| on(m, stopping_rules),
    )
    .returns::<StoppingRulesView>(),
    Endpoint::get(
        "/api/studies/{study}/safety/dsmb-decisions",
        "listDsmbDecisions",
        "The DSMB's signed decisions on fired stopping rules (the rationale for callers who see arms)",
        |m| on(m, decisions),
    )
    .returns_list::<DecisionView>(),
    Endpoint::post(
        "/api/studies/{study}/safety/dsmb-decisions",
        "recordDsmbDecision",
        "A DSMB member's decision on a fired stopping rule, signed with the password; continue or continue-with-changes resume dosing and enrolment",
        |m| on(m, decide),
    )
    .body::<DecisionInput>()
    .creates::<DsmbDecisionRecord>(),
];

/// How the groups of the tables are made.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
enum Grouping {
    /// By randomised arm (callers who see arms).
    Arm,
    /// By dose level (an escalation the caller sees).
    DoseLevel,
    /// One group of every participant in the caller's scope.
    Pooled,
}

/// The safety tables, with how they are grouped.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct TablesView {
    study_id: String,
    grouping: Grouping,
    #[serde(flatten)]
    tables: SafetyTables,
}

/// `GET /api/studies/{study}/safety/tables`
async fn tables(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study_id): Path<String>,
) -> Result<Json<TablesView>, ApiError> {
    let scope = require(&me.roles, &study_id, Operation::ReadSafetyTables)?;
    let study = state.study(&study_id)?;
    let by = safety_grouping(&me, study);
    let grouping = match by {
        TableGrouping::Arm => Grouping::Arm,
        TableGrouping::DoseLevel => Grouping::DoseLevel,
        TableGrouping::Pooled => Grouping::Pooled,
    };
    let tables = state.store.safety_tables(&scope, study, by).await?;
    Ok(Json(TablesView {
        study_id,
        grouping,
        tables,
    }))
}

/// A fired rule that holds dosing and enrolment now.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Holding {
    rule_id: String,
    message: String,
}

/// The stopping rules that fired and those holding now.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct StoppingRulesView {
    /// Rules whose latest firing has no signed decision that resumes: dosing and enrolment
    /// are refused while any is here.
    holding: Vec<Holding>,
    /// Every firing, oldest first.
    firings: Vec<StoppingRuleFiring>,
}

/// `GET /api/studies/{study}/safety/stopping-rules`: for everyone who sees participants (the
/// site learns why enrolment is refused); messages name rules and events, never an arm.
async fn stopping_rules(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study_id): Path<String>,
) -> Result<Json<StoppingRulesView>, ApiError> {
    require(&me.roles, &study_id, Operation::ReadParticipants)?;
    state.study(&study_id)?;
    let holding = state
        .store
        .stopping_rules_holding(&study_id)
        .await?
        .into_iter()
        .map(|(rule_id, message)| Holding { rule_id, message })
        .collect();
    let firings = state.store.stopping_rule_firings(&study_id).await?;
    Ok(Json(StoppingRulesView { holding, firings }))
}

/// A decision as listed: the rationale, which may speak of arms, only for callers who see arms.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct DecisionView {
    id: i64,
    firing_id: i64,
    rule_id: String,
    ae_ids: String,
    outcome: String,
    rationale: Option<String>,
    signer_name: String,
    #[schema(format = DateTime)]
    signed_at: String,
}

/// `GET /api/studies/{study}/safety/dsmb-decisions`
async fn decisions(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study_id): Path<String>,
) -> Result<Json<Vec<DecisionView>>, ApiError> {
    require(&me.roles, &study_id, Operation::ReadSafetyTables)?;
    let study = state.study(&study_id)?;
    let sees = unblinded(&me, study);
    let list = state.store.dsmb_decisions(&study_id).await?;
    Ok(Json(
        list.into_iter()
            .map(|d| DecisionView {
                id: d.id,
                firing_id: d.firing_id,
                rule_id: d.rule_id,
                ae_ids: d.ae_ids,
                outcome: d.outcome,
                rationale: sees.then_some(d.rationale),
                signer_name: d.signer_name,
                signed_at: d.signed_at,
            })
            .collect(),
    ))
}

/// A DSMB decision, signed with the password.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct DecisionInput {
    /// The fired rule decided on (its latest firing).
    rule_id: String,
    /// `continue`, `continue-with-changes`, `pause` or `terminate`.
    #[schema(value_type = String, pattern = "^(continue|continue-with-changes|pause|terminate)$")]
    outcome: String,
    /// Why.
    rationale: String,
    /// The signer's password, re-entered.
    password: String,
}

/// `POST /api/studies/{study}/safety/dsmb-decisions`
async fn decide(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study_id): Path<String>,
    body: JsonBody,
) -> Result<(StatusCode, Json<DsmbDecisionRecord>), ApiError> {
    require(&me.roles, &study_id, Operation::DecideDsmb)?;
    state.study(&study_id)?;
    let input: DecisionInput = parse_body(&body)?;
    let outcome = DsmbOutcome::parse_field("outcome", &input.outcome)?;
    if input.rationale.trim().is_empty() {
        return Err(ApiError::field(
            "rationale",
            "is required: why the DSMB decided so",
        ));
    }
    esign::reenter_for_study(
        &state,
        &me,
        &study_id,
        SignedRecord::DsmbDecision(input.rule_id.clone()),
        input.password,
    )
    .await?;
    let decision = NewDsmbDecision {
        rule_id: &input.rule_id,
        outcome,
        rationale: &input.rationale,
        signer: &me.user,
    };
    let d = state
        .store
        .record_dsmb_decision(&study_id, &decision, &me.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(d)))
}

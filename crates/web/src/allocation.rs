//! Allocation through the API: the randomisation list, randomising a participant, the
//! pharmacist's kits and dispensing, emergency unblinding and its notifications.
//!
//! Blinding is decided here, once, by [`unblinded`]: a caller sees an arm only when every role
//! they hold in the study is unblinded by the study definition (an open-label study blinds no
//! one). Everything that names an arm goes through [`AllocationView::of`], which leaves the arm
//! out for a blinded caller; the store's [`store::Allocation`] cannot be serialised at all.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use store::{Allocation, Scope};
use trial::{Covariates, Role, Study};

use crate::api::{password_ok, record_id, write_scope};
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::service::{require, Operation};
use crate::{parse_body, App, AppState};

/// Whether the caller may see arms in `study`: they hold a role in it, and none of their roles
/// there is blinded.
pub fn unblinded(me: &CurrentUser, study: &Study) -> bool {
    let mut roles = me
        .roles
        .iter()
        .filter(|r| r.study_id == study.id)
        .peekable();
    roles.peek().is_some() && roles.all(|r| !study.is_blinded(r.role))
}

/// An allocation as one caller may see it: the arm only for an unblinded caller.
#[derive(Debug, Serialize)]
pub struct AllocationView {
    participant_id: i64,
    sequence: i64,
    kit_number: String,
    randomised_at: String,
    randomised_by: String,
    dispensed_at: Option<String>,
    dispensed_by: Option<String>,
    /// Whether the participant was unblinded in an emergency.
    emergency_unblinded: bool,
    unblinded_at: Option<String>,
    unblinded_by: Option<String>,
    unblind_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    arm_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    arm_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stratum: Option<String>,
}

impl AllocationView {
    /// The view of `a`; `reveal` only for an unblinded caller (or the one answer of an
    /// emergency unblinding).
    pub fn of(a: Allocation, study: &Study, reveal: bool) -> AllocationView {
        let (arm_id, arm_name, stratum) = if reveal {
            let name = study.arm(&a.arm_id).map(|arm| arm.name.clone());
            let stratum = stratum_label(study, &a);
            (Some(a.arm_id), name, stratum)
        } else {
            (None, None, None)
        };
        AllocationView {
            participant_id: a.participant_id,
            sequence: a.sequence,
            kit_number: a.kit_number,
            randomised_at: a.randomised_at,
            randomised_by: a.randomised_by,
            dispensed_at: a.dispensed_at,
            dispensed_by: a.dispensed_by,
            emergency_unblinded: a.unblinded_at.is_some(),
            unblinded_at: a.unblinded_at,
            unblinded_by: a.unblinded_by,
            unblind_reason: a.unblind_reason,
            arm_id,
            arm_name,
            stratum,
        }
    }
}

fn stratum_label(study: &Study, a: &Allocation) -> Option<String> {
    let factors = study.randomisation.as_ref()?.factors();
    let index = usize::try_from(a.stratum).ok()?;
    match study.randomisation.as_ref()? {
        trial::Randomisation::PermutedBlocks { .. } => trial::Strata::new(study, &factors)
            .stratum(index)
            .map(|s| s.label(study)),
        trial::Randomisation::Minimisation { .. } => None,
    }
}

/// A participant's allocation as the caller may see it, for the participant view.
pub async fn view_of(
    state: &AppState,
    me: &CurrentUser,
    scope: &Scope,
    participant_id: i64,
) -> Result<Option<AllocationView>, ApiError> {
    let study = state.study(scope.study())?;
    let reveal = unblinded(me, study);
    Ok(state
        .store
        .allocation(scope, participant_id)
        .await?
        .map(|a| AllocationView::of(a, study, reveal)))
}

/// Generating the list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerateInput {
    /// The seed, a number or its decimal digits (0 to 18446744073709551615); drawn from the
    /// operating system when left out.
    seed: Option<SeedInput>,
    /// Slots per stratum (permuted blocks); default the study's target enrolment.
    per_stratum: Option<usize>,
    /// Kits in the kit list; default twice the target enrolment.
    kits: Option<usize>,
}

/// A seed as JSON: a number, or a string of digits (for seeds beyond 2^53).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum SeedInput {
    /// A JSON number.
    Number(u64),
    /// Decimal digits.
    Text(String),
}

/// The list as its generator gets it: with the seed, once.
#[derive(Debug, Serialize)]
pub struct GeneratedView {
    #[serde(flatten)]
    list: store::RandomisationList,
    seed: String,
}

/// `POST /api/studies/{study}/randomisation`: an unblinded statistician generates the concealed
/// list from a recorded seed, before the first enrolment.
pub async fn generate(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study_id): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<GeneratedView>), ApiError> {
    require(&me.roles, &study_id, Operation::GenerateRandomisation)?;
    let study = state.study(&study_id)?;
    if !unblinded(&me, study) {
        return Err(ApiError::Forbidden(format!(
            "the list of {study_id} is generated by an unblinded role only"
        )));
    }
    let input: GenerateInput = parse_body(&body)?;
    let seed = match &input.seed {
        Some(SeedInput::Number(n)) => *n,
        Some(SeedInput::Text(text)) => text.trim().parse::<u64>().map_err(|_| {
            ApiError::field(
                "seed",
                format!("{text:?} is not a seed (decimal digits, 0 to 18446744073709551615)"),
            )
        })?,
        None => {
            use rand::RngCore;
            rand::rngs::OsRng.next_u64()
        }
    };
    let target = study.target_enrolment.max(1) as usize;
    let list = state
        .store
        .generate_randomisation(
            study,
            seed,
            input.per_stratum.unwrap_or(target),
            input.kits.unwrap_or(2 * target),
            &me.actor(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(GeneratedView {
            list,
            seed: seed.to_string(),
        }),
    ))
}

/// Allocations per arm, for unblinded callers.
#[derive(Debug, Serialize)]
pub struct ArmCount {
    arm_id: String,
    arm_name: String,
    allocated: usize,
}

/// The list's state as the caller may see it.
#[derive(Debug, Serialize)]
pub struct ListView {
    study_id: String,
    generated: bool,
    #[serde(flatten)]
    list: Option<store::RandomisationList>,
    #[serde(skip_serializing_if = "Option::is_none")]
    arms: Option<Vec<ArmCount>>,
}

/// `GET /api/studies/{study}/randomisation`: whether the list exists, how many were randomised,
/// dispensed and unblinded in an emergency; per arm for unblinded callers only.
pub async fn list(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study_id): Path<String>,
) -> Result<Json<ListView>, ApiError> {
    require(&me.roles, &study_id, Operation::ReadParticipants)?;
    let study = state.study(&study_id)?;
    let list = state.store.randomisation_list(&study_id).await?;
    let arms = if unblinded(&me, study) && list.is_some() {
        let all = state
            .store
            .allocations(&Scope::Study(study_id.clone()))
            .await?;
        Some(
            study
                .arms
                .iter()
                .map(|arm| ArmCount {
                    arm_id: arm.id.clone(),
                    arm_name: arm.name.clone(),
                    allocated: all.iter().filter(|a| a.arm_id == arm.id).count(),
                })
                .collect(),
        )
    } else {
        None
    };
    Ok(Json(ListView {
        study_id,
        generated: list.is_some(),
        list,
        arms,
    }))
}

/// Randomising takes no input: the covariates come from the screening exam and the site.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RandomiseInput {}

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
    let exams = state.store.exams(scope, participant.id).await?;
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

/// `POST /api/studies/{study}/participants/{id}/randomisation`: randomises an eligible,
/// enrolled participant, exactly once. A blinded caller gets the kit, not the arm.
pub async fn randomise(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((study_id, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<(StatusCode, Json<AllocationView>), ApiError> {
    let id = record_id(&id)?;
    let scope = write_scope(&state, &me, &study_id, id, Operation::Randomise).await?;
    let _: RandomiseInput = parse_body(&body)?;
    let study = state.study(&study_id)?;
    if study.randomisation.is_none() {
        return Err(ApiError::Conflict {
            field: "randomisation".into(),
            message: format!("study {study_id} is not randomised"),
        });
    }
    let a = randomise_for(&state, &scope, id, &me.actor()).await?;
    Ok((
        StatusCode::CREATED,
        Json(AllocationView::of(a, study, unblinded(&me, study))),
    ))
}

/// Randomises a participant with the covariates of the screening exam and the site (the
/// handler and the demo's seeding both come here).
pub async fn randomise_for(
    app: &App,
    scope: &Scope,
    participant_id: i64,
    by: &store::Actor,
) -> Result<Allocation, ApiError> {
    let study = app.study(scope.study())?;
    let participant = app.store.participant(scope, participant_id).await?;
    let covariates = covariates(app, scope, study, &participant).await?;
    Ok(app
        .store
        .randomise(scope, study, participant_id, &covariates, by)
        .await?)
}

/// `GET /api/studies/{study}/kits`: for the unblinded pharmacist, each allocation in scope with
/// its kit and arm (what to prepare) and whether it was dispensed.
pub async fn kits(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study_id): Path<String>,
) -> Result<Json<Vec<AllocationView>>, ApiError> {
    let scope = require(&me.roles, &study_id, Operation::Dispense)?;
    let study = state.study(&study_id)?;
    if !unblinded(&me, study) {
        return Err(ApiError::Forbidden(format!(
            "the kits of {study_id} are for unblinded roles only"
        )));
    }
    let all = state.store.allocations(&scope).await?;
    Ok(Json(
        all.into_iter()
            .map(|a| AllocationView::of(a, study, true))
            .collect(),
    ))
}

/// The kit handed over.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispenseInput {
    kit_number: String,
}

/// `POST /api/studies/{study}/participants/{id}/dispensing`: the pharmacist records that the
/// participant's kit was prepared and dispensed.
pub async fn dispense(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((study_id, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<AllocationView>, ApiError> {
    let id = record_id(&id)?;
    let scope = write_scope(&state, &me, &study_id, id, Operation::Dispense).await?;
    let study = state.study(&study_id)?;
    if !unblinded(&me, study) {
        return Err(ApiError::Forbidden(format!(
            "kits of {study_id} are dispensed by unblinded roles only"
        )));
    }
    let input: DispenseInput = parse_body(&body)?;
    let a = state
        .store
        .dispense_kit(&scope, id, input.kit_number.trim(), &me.actor())
        .await?;
    Ok(Json(AllocationView::of(a, study, true)))
}

/// An emergency unblinding: the reason and the password re-entered.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnblindInput {
    reason: String,
    password: String,
}

/// `POST /api/studies/{study}/participants/{id}/unblinding`: an investigator of the
/// participant's site, with a reason and the password re-entered, learns this one
/// participant's arm. Recorded; the sponsor and the DSMB are notified.
pub async fn unblind(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((study_id, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<AllocationView>, ApiError> {
    let id = record_id(&id)?;
    let scope = write_scope(&state, &me, &study_id, id, Operation::EmergencyUnblind).await?;
    let participant = state.store.participant(&scope, id).await?;
    let of_site = me.roles.iter().any(|r| {
        r.study_id == study_id
            && r.role == Role::Investigator
            && r.site_id.as_deref() == Some(participant.site_id.as_str())
    });
    if !of_site {
        return Err(ApiError::Forbidden(format!(
            "only an investigator of site {} may unblind its participants",
            participant.site_id
        )));
    }
    let input: UnblindInput = parse_body(&body)?;
    if input.reason.trim().is_empty() {
        return Err(ApiError::field(
            "reason",
            "is required: why the participant's allocation must be known",
        ));
    }
    let study = state.study(&study_id)?;
    if !password_ok(&me, input.password).await? {
        state.store.unblind_failed(&scope, id, &me.actor()).await?;
        return Err(ApiError::Unauthorized(
            "wrong password: the participant was not unblinded".into(),
        ));
    }
    let a = state
        .store
        .emergency_unblind(&scope, id, input.reason.trim(), &me.actor())
        .await?;
    Ok(Json(AllocationView::of(a, study, true)))
}

/// `GET /api/studies/{study}/notifications`: the notifications for the caller's roles in the
/// study (emergency unblindings for the sponsor and the DSMB).
pub async fn notifications(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study_id): Path<String>,
) -> Result<Json<Vec<store::Notification>>, ApiError> {
    require(&me.roles, &study_id, Operation::ReadNotifications)?;
    let roles = roles_in(&me, &study_id);
    let actor = me.actor();
    Ok(Json(
        state.store.notifications(&study_id, &roles, &actor).await?,
    ))
}

/// `POST /api/studies/{study}/notifications/{id}/read`: the caller acknowledges a notification
/// addressed to one of their roles.
pub async fn acknowledge_notification(
    State(state): State<AppState>,
    me: CurrentUser,
    Path((study_id, id)): Path<(String, String)>,
) -> Result<Json<store::Notification>, ApiError> {
    require(&me.roles, &study_id, Operation::ReadNotifications)?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::NotFound(format!("notification {id} not found")))?;
    let roles = roles_in(&me, &study_id);
    let read = state
        .store
        .acknowledge_notification(&study_id, &roles, id, &me.actor())
        .await?;
    Ok(Json(read))
}

/// The caller's roles in a study.
pub(crate) fn roles_in(me: &CurrentUser, study_id: &str) -> Vec<Role> {
    me.roles
        .iter()
        .filter(|r| r.study_id == study_id)
        .map(|r| r.role)
        .collect()
}

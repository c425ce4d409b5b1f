//! Blinding, decided here once. A caller sees an arm only when every role they hold in the
//! study is unblinded by the study definition (an open-label study blinds no one): [`unblinded`].
//! Everything that names an arm goes through [`AllocationView::of`], which leaves the arm out for
//! a blinded caller (the store's [`store::Allocation`] cannot be serialised at all); a dose is
//! shown through [`dose_of`] (in a blinded dose-escalation study, only to unblinded callers). The
//! participant page leaves out, for blinded users, the audit rows that could name an allocation
//! ([`reveals_allocation`]).

use serde::Serialize;
use store::{Allocation, DltAssessment, DoseAssignment, Scope};
use trial::Study;

use crate::app::App;
use crate::auth::CurrentUser;
use crate::error::ApiError;

/// Whether the caller may see arms in `study`: the study's one rule ([`Study::sees_arms`]) over
/// the roles they hold in it.
pub fn unblinded(me: &CurrentUser, study: &Study) -> bool {
    !blinded(study, &me.roles)
}

/// Whether the caller's submission export (ODM, SDTM) includes the treatments: in an
/// open-label study, for a caller who sees arms, and for everyone with a role in the study once
/// it is unblinded after its lock (`trial::lock::results_by_arm`).
pub async fn export_includes_treatments(
    app: &App,
    me: &CurrentUser,
    study: &Study,
) -> Result<bool, ApiError> {
    let lock = app.store.study_lock(&study.id).await?;
    let roles = crate::extract::roles_in(me, &study.id);
    let state = store::StudyLock::state(lock.as_ref());
    let by_arm = trial::lock::results_by_arm(study, &roles, state);
    Ok(export::sdtm::includes_treatments(study, by_arm))
}

/// The study's analysis as the caller may read it, an audited run whose purpose names `what`:
/// by arm when `trial::lock::results_by_arm` allows it for their roles (an unblinded DSMB role,
/// or anyone once the study is unblinded after its lock), pooled otherwise. The results API and
/// the report page (and its figures) read through here.
pub async fn results_for(
    app: &App,
    me: &CurrentUser,
    study: &Study,
    what: &str,
) -> Result<store::Analysis, ApiError> {
    let roles = crate::extract::roles_in(me, &study.id);
    Ok(app
        .store
        .analysis(
            study,
            |lock| trial::lock::results_by_arm(study, &roles, lock),
            |by_arm| format!("{what}, {}", if by_arm { "by arm" } else { "pooled" }),
            &me.actor(),
        )
        .await?)
}

/// How the safety tables are grouped for the caller: by dose level in an escalation they see,
/// by arm when they see arms, pooled otherwise (a blinded caller never gets groups that could
/// reveal arms, not even counts per group).
pub fn safety_grouping(me: &CurrentUser, study: &Study) -> store::TableGrouping {
    let sees = unblinded(me, study);
    if sees && !study.dose_levels.is_empty() {
        store::TableGrouping::DoseLevel
    } else if sees && !study.arms.is_empty() {
        store::TableGrouping::Arm
    } else {
        store::TableGrouping::Pooled
    }
}

/// Whether someone holding `roles` is blinded in the study: not every role of theirs there is
/// unblinded (or they hold none).
pub fn blinded(study: &Study, roles: &[store::RoleAssignment]) -> bool {
    let in_study: Vec<trial::Role> = roles
        .iter()
        .filter(|r| r.study_id == study.id)
        .map(|r| r.role)
        .collect();
    !study.sees_arms(&in_study)
}

/// Whether an audit row could reveal an allocation (an arm, a kit, a dose volume), by its
/// entity or field. The participant page leaves such rows out for blinded users, whatever the
/// allocation records come to look like.
pub fn reveals_allocation(row: &store::AuditRow) -> bool {
    const PARTS: [&str; 5] = ["kit", "volume", "allocation", "randomi", "unblind"];
    let names = [row.entity.as_str(), row.field.as_deref().unwrap_or("")];
    names.iter().any(|name| {
        let name = name.to_ascii_lowercase();
        name.split(|c: char| !c.is_ascii_alphanumeric())
            .any(|word| word == "arm" || word == "arms")
            || PARTS.iter().any(|w| name.contains(w))
    })
}

/// An allocation as one caller may see it: the arm only for an unblinded caller.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AllocationView {
    participant_id: i64,
    sequence: i64,
    kit_number: String,
    #[schema(format = DateTime)]
    randomised_at: String,
    randomised_by: String,
    #[schema(format = DateTime)]
    dispensed_at: Option<String>,
    dispensed_by: Option<String>,
    /// Whether the participant was unblinded in an emergency.
    emergency_unblinded: bool,
    #[schema(format = DateTime)]
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
pub async fn allocation_of(
    state: &App,
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

/// A participant's dose, as the participant view shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DoseView {
    #[serde(flatten)]
    assignment: DoseAssignment,
    level_name: String,
    cells: f64,
    dose_days: Vec<i32>,
    dlt_assessment: Option<DltAssessment>,
}

pub fn dose_view(study: &Study, a: DoseAssignment, dlt: Option<DltAssessment>) -> DoseView {
    let level = study.dose_level(&a.level_id);
    DoseView {
        level_name: level.map(|l| l.name.clone()).unwrap_or_default(),
        cells: level.map_or(0.0, |l| l.cells),
        dose_days: level.map(|l| l.dose_days.clone()).unwrap_or_default(),
        assignment: a,
        dlt_assessment: dlt,
    }
}

/// A participant's dose for the participant view: `None` when not assigned, or when the caller
/// is blinded in the study.
pub async fn dose_of(
    state: &App,
    me: &CurrentUser,
    scope: &Scope,
    participant_id: i64,
) -> Result<Option<DoseView>, ApiError> {
    let study = state.study(scope.study())?;
    if study.dose_levels.is_empty() || !unblinded(me, study) {
        return Ok(None);
    }
    let (dose, dlt) = state.store.dose(scope, participant_id).await?;
    Ok(dose.map(|a| dose_view(study, a, dlt)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(entity: &str, field: Option<&str>) -> store::AuditRow {
        store::AuditRow {
            id: 1,
            chain: "S".into(),
            seq: 1,
            at: "2026-01-01T00:00:00.000000Z".into(),
            user_id: None,
            username: "system".into(),
            action: "update".into(),
            entity: entity.into(),
            record_id: "1".into(),
            field: field.map(str::to_string),
            old_value: None,
            new_value: Some("x".into()),
            reason: None,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn rows_that_could_reveal_an_allocation_are_recognised() {
        for (entity, field) in [
            ("participant", Some("arm")),
            ("participant", Some("arm_id")),
            ("allocation", None),
            ("kit", Some("number")),
            ("participant", Some("kit_number")),
            ("dispensing", Some("dose_volume_ml")),
            ("randomisation", Some("stratum")),
            ("participant", Some("unblinded_at")),
        ] {
            assert!(
                reveals_allocation(&row(entity, field)),
                "{entity} {field:?}"
            );
        }
        for (entity, field) in [
            ("participant", Some("status")),
            ("form", Some("exam")),
            ("participant", Some("screening_number")),
            ("form", Some("comments")),
            ("participant", Some("eligibility_reasons")),
        ] {
            assert!(
                !reveals_allocation(&row(entity, field)),
                "{entity} {field:?}"
            );
        }
    }
}

//! Allocation in a randomised study: the concealed list, randomisation, kits, dispensing and
//! emergency unblinding.
//!
//! The operations are [`Store`] methods here; each write's work is a function over the write's
//! transaction, by step: [`list`] (generating and checking the concealed list), [`randomise`],
//! [`unblinding`] (dispensing and emergency unblinding).
//!
//! Concurrency: every randomisation of a study first takes the study's list row
//! (`randomisation_lists`, `FOR UPDATE` on PostgreSQL; SQLite has one writer), so
//! randomisations of one study run one after another; unique constraints (one allocation per
//! participant, per slot, per kit, per sequence number) back that up.
//!
//! Blinding: the arm is stored here and in the audit rows of the `<study>/unblinded` chain
//! only. The rows of the study's own chain name the kit, the sequence number and the stratum,
//! never the arm. [`Allocation`] does not implement `Serialize`, so that it cannot be sent to a
//! client without going through a view that knows the reader's blinding.

mod list;
mod randomise;
mod unblinding;

use sqlx::AnyConnection;
pub use trial::list_check::minimisation_rng;
use trial::list_check::{grade, injury_level};
use trial::{Covariates, Role, Study};

use crate::db::Store;
use crate::dialect::{dialect_of, render};
use crate::model::{participant_in, scope_filter, Actor, Scope};
use crate::{Result, StoreError};

/// The chain that holds the audit rows naming arms (and the seed) of a study.
pub fn unblinded_chain(study: &str) -> String {
    format!("{study}/unblinded")
}

/// Whether an audit chain is one of the unblinded chains.
pub fn is_unblinded_chain(chain: &str) -> bool {
    chain.ends_with("/unblinded")
}

/// What the statistician asks for when generating a study's list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListRequest {
    /// The seed, recorded with the list (and concealed with it).
    pub seed: u64,
    /// Slots per stratum (permuted blocks).
    pub per_stratum: usize,
    /// Kits in the kit list.
    pub kits: usize,
    /// Why the list comes after the first enrolment, when it does (see
    /// [`trial::list_check::check_list_generation`]).
    pub late_reason: Option<String>,
}

impl ListRequest {
    /// A list made before the first enrolment.
    pub fn new(seed: u64, per_stratum: usize, kits: usize) -> ListRequest {
        ListRequest {
            seed,
            per_stratum,
            kits,
            late_reason: None,
        }
    }
}

/// A study's randomisation list as anyone may see it: no seed, no arm.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct RandomisationList {
    /// The study.
    pub study_id: String,
    /// `permuted-blocks` or `minimisation`.
    pub method: String,
    /// Slots generated (permuted blocks; 0 for minimisation).
    pub slots: i64,
    /// Kits in the kit list.
    pub kits: i64,
    /// Participants randomised.
    pub allocated: i64,
    /// Kits dispensed.
    pub dispensed: i64,
    /// Participants unblinded in an emergency.
    pub unblinded: i64,
    /// Who generated it.
    pub generated_by: String,
    /// When (UTC).
    #[schema(format = DateTime)]
    pub generated_at: String,
}

/// What [`crate::Store::check_randomisation`] found: the stored list, kits and allocations
/// compared with what the recorded seed gives. The problems name slots, kits and sequence
/// numbers, never an arm.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ListCheck {
    /// The study.
    pub study_id: String,
    /// `permuted-blocks` or `minimisation`.
    pub method: String,
    /// Slots compared.
    pub slots: usize,
    /// Kits compared.
    pub kits: usize,
    /// Allocations compared.
    pub allocations: usize,
    /// Every difference (empty: the list reproduces from its seed).
    pub problems: Vec<String>,
}

/// One participant's allocation, arm included. Not `Serialize`: see the module documentation.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Allocation {
    /// The participant.
    pub participant_id: i64,
    /// The study.
    pub study_id: String,
    /// 1 for the study's first randomisation, then 2, 3, … without gaps.
    pub sequence: i64,
    /// The stratum's index (0 for minimisation).
    pub stratum: i64,
    /// The slot's position in the stratum's list (0-based; the sequence − 1 for minimisation).
    pub position: i64,
    /// Baseline AIS grade.
    pub ais: String,
    /// `cervical` or `thoracolumbar`.
    pub injury_level: String,
    /// The site's index in the study's sites.
    pub site_index: i64,
    /// The arm. Concealed from blinded roles.
    pub arm_id: String,
    /// The kit.
    pub kit_number: String,
    /// When (UTC).
    pub randomised_at: String,
    /// By whom (user name).
    pub randomised_by: String,
    /// When the kit was dispensed.
    pub dispensed_at: Option<String>,
    /// By whom.
    pub dispensed_by: Option<String>,
    /// When the participant was unblinded in an emergency.
    pub unblinded_at: Option<String>,
    /// By whom.
    pub unblinded_by: Option<String>,
    /// Why.
    pub unblind_reason: Option<String>,
}

const ALLOCATION_COLUMNS: &str = "participant_id, study_id, sequence, stratum, position, ais, \
    injury_level, site_index, arm_id, kit_number, randomised_at::instant, randomised_by, \
    dispensed_at::instant, dispensed_by, unblinded_at::instant, unblinded_by, unblind_reason";

/// The roles told of an emergency unblinding.
pub const UNBLINDING_NOTIFIED: [Role; 2] = [Role::SponsorAdmin, Role::DsmbStatistician];

pub(super) fn conflict(field: &str, message: impl Into<String>) -> StoreError {
    StoreError::Conflict {
        field: field.into(),
        message: message.into(),
    }
}

pub(super) fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Store {
    /// Generates a randomised study's concealed list from a recorded seed, before the first
    /// enrolment (or after, with a reason): for permuted blocks `per_stratum` slots in each
    /// stratum, for minimisation the seed of the random source only; and a scrambled list of
    /// `kits` kits. Never replaced.
    pub async fn generate_randomisation(
        &self,
        study: &Study,
        request: &ListRequest,
        by: &Actor,
    ) -> Result<RandomisationList> {
        let (study, request, by) = (study.clone(), request.clone(), by.clone());
        self.write("generate_randomisation", move |mut tx| {
            Box::pin(async move { list::generate(&mut tx, &study, &request, &by).await })
        })
        .await
    }

    /// Randomises an eligible, enrolled participant exactly once, with a kit; the arm is kept
    /// out of the study's audit chain (it goes to `<study>/unblinded`).
    pub async fn randomise(
        &self,
        scope: &Scope,
        study: &Study,
        participant_id: i64,
        covariates: &Covariates,
        by: &Actor,
    ) -> Result<Allocation> {
        let (scope, study, covariates, by) =
            (scope.clone(), study.clone(), *covariates, by.clone());
        self.write("randomise", move |mut tx| {
            Box::pin(async move {
                // Randomising leads to dosing: a fired stopping rule holds it.
                crate::gate::check(&mut tx, scope.study(), trial::safety::Gated::Dosing).await?;
                randomise::randomise(&mut tx, &scope, &study, participant_id, &covariates, &by)
                    .await
            })
        })
        .await
    }

    /// Records that the participant's (allocated) kit was dispensed.
    pub async fn dispense_kit(
        &self,
        scope: &Scope,
        participant_id: i64,
        kit_number: &str,
        by: &Actor,
    ) -> Result<Allocation> {
        let (scope, kit_number, by) = (scope.clone(), kit_number.to_string(), by.clone());
        self.write("dispense_kit", move |mut tx| {
            Box::pin(async move {
                crate::gate::check(&mut tx, scope.study(), trial::safety::Gated::Dosing).await?;
                unblinding::dispense(&mut tx, &scope, participant_id, &kit_number, &by).await
            })
        })
        .await
    }

    /// Emergency unblinding of one participant (the caller checked the password): recorded,
    /// marked, the sponsor and DSMB notified in the application and through the outbox.
    pub async fn emergency_unblind(
        &self,
        scope: &Scope,
        participant_id: i64,
        reason: &str,
        by: &Actor,
    ) -> Result<Allocation> {
        let (scope, reason, by) = (scope.clone(), reason.to_string(), by.clone());
        self.write("emergency_unblind", move |mut tx| {
            Box::pin(async move {
                unblinding::unblind(&mut tx, &scope, participant_id, &reason, &by).await
            })
        })
        .await
    }

    /// A study's list, when generated.
    pub async fn randomisation_list(&self, study: &str) -> Result<Option<RandomisationList>> {
        let mut conn = self.pool.acquire().await?;
        let list = list_in(&mut conn, study).await?;
        Ok(list)
    }

    /// A participant's allocation, if the participant is in scope and randomised.
    pub async fn allocation(
        &self,
        scope: &Scope,
        participant_id: i64,
    ) -> Result<Option<Allocation>> {
        let mut conn = self.pool.acquire().await?;
        participant_in(&mut conn, scope, participant_id).await?;
        let a = allocation_in(&mut conn, participant_id).await?;
        Ok(a)
    }

    /// The allocations of the participants in scope, in randomisation order.
    pub async fn allocations(&self, scope: &Scope) -> Result<Vec<Allocation>> {
        let (filter, values) = scope_filter(scope, 1);
        let sql = format!(
            "SELECT {ALLOCATION_COLUMNS} FROM allocations WHERE participant_id IN \
             (SELECT id FROM participants WHERE {filter}) ORDER BY sequence"
        );
        let sql = self.sql(&sql);
        let mut q = sqlx::query_as::<_, Allocation>(&sql);
        for v in &values {
            q = q.bind(v);
        }
        Ok(q.fetch_all(&self.pool).await?)
    }
}

pub(super) async fn list_in(
    conn: &mut AnyConnection,
    study: &str,
) -> Result<Option<RandomisationList>> {
    let row: Option<(String, i64, i64, i64, String, String)> = sqlx::query_as(&render(
        dialect_of(conn),
        "SELECT method, slots, kits, allocated, generated_by, generated_at::instant \
         FROM randomisation_lists WHERE study_id = $1",
    ))
    .bind(study)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((method, slots, kits, allocated, generated_by, generated_at)) = row else {
        return Ok(None);
    };
    let (dispensed, unblinded): (i64, i64) = sqlx::query_as(
        "SELECT COALESCE(SUM(CASE WHEN dispensed_at IS NULL THEN 0 ELSE 1 END), 0), \
         COALESCE(SUM(CASE WHEN unblinded_at IS NULL THEN 0 ELSE 1 END), 0) \
         FROM allocations WHERE study_id = $1",
    )
    .bind(study)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Some(RandomisationList {
        study_id: study.to_string(),
        method,
        slots,
        kits,
        allocated,
        dispensed,
        unblinded,
        generated_by,
        generated_at,
    }))
}

pub(super) async fn allocation_in(
    conn: &mut AnyConnection,
    participant_id: i64,
) -> Result<Option<Allocation>> {
    Ok(sqlx::query_as::<_, Allocation>(&render(
        dialect_of(conn),
        &format!("SELECT {ALLOCATION_COLUMNS} FROM allocations WHERE participant_id = $1"),
    ))
    .bind(participant_id)
    .fetch_optional(&mut *conn)
    .await?)
}

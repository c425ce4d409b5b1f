//! Randomising one participant: the next slot of their stratum (or the minimisation draw),
//! and a kit of the arm.

use trial::{Randomisation, Study};

use super::*;
use crate::db::not_found;
use crate::db::Tx;
use crate::model::{now, Participant};
use crate::Change;

/// Randomises an eligible, enrolled participant, exactly once: the next free slot of its
/// stratum (permuted blocks) or the minimiser's choice (minimisation), and the free kit of
/// that arm with the lowest dispensing rank.
pub(super) async fn randomise(
    tx: &mut Tx<'_>,
    scope: &Scope,
    study: &Study,
    participant_id: i64,
    covariates: &Covariates,
    by: &Actor,
) -> Result<Allocation> {
    let p: Participant = participant_in(tx.conn(), scope, participant_id).await?;
    if p.study_id != study.id {
        return Err(not_found("participant", participant_id));
    }
    trial::participants::check_allocatable(
        participant_id,
        p.status,
        p.eligible,
        "can be randomised",
    )?;
    let lock = tx.for_update();
    let list: Option<(String, String, i64)> = sqlx::query_as(&format!(
        "SELECT method, seed, allocated FROM randomisation_lists WHERE study_id = $1{lock}"
    ))
    .bind(&study.id)
    .fetch_optional(tx.conn())
    .await?;
    let Some((method, seed, allocated)) = list else {
        return Err(conflict(
            "randomisation",
            format!(
                "the randomisation list of {} has not been generated yet",
                study.id
            ),
        ));
    };
    let done: Option<(i64,)> =
        sqlx::query_as("SELECT sequence FROM allocations WHERE participant_id = $1")
            .bind(participant_id)
            .fetch_optional(tx.conn())
            .await?;
    if done.is_some() {
        return Err(conflict(
            "participant",
            format!("participant {participant_id} is already randomised; an allocation is final"),
        ));
    }
    let Some(randomisation) = &study.randomisation else {
        return Err(conflict(
            "randomisation",
            format!("study {} is not randomised", study.id),
        ));
    };
    if method_name(randomisation.method()) != method {
        return Err(conflict(
            "randomisation",
            format!(
                "the list was generated for {method}, but the study definition now says {}",
                method_name(randomisation.method())
            ),
        ));
    }
    let seed: u64 = seed.parse().map_err(|_| {
        conflict(
            "randomisation",
            "the stored seed is not a number: the list is damaged",
        )
    })?;
    let sequence = allocated + 1;
    let invalid = |e: trial::AllocationError| StoreError::Invalid {
        field: "covariates".into(),
        message: e.to_string(),
    };
    let (stratum, position, arm_id) = match randomisation {
        Randomisation::PermutedBlocks { strata, .. } => {
            let strata = trial::Strata::new(study, strata);
            let stratum = to_i64(strata.index(covariates).map_err(invalid)?);
            let slot: Option<(i64, String)> = sqlx::query_as(&format!(
                "SELECT position, arm_id FROM allocation_slots \
                 WHERE study_id = $1 AND stratum = $2 AND participant_id IS NULL \
                 ORDER BY position LIMIT 1{lock}"
            ))
            .bind(&study.id)
            .bind(stratum)
            .fetch_optional(tx.conn())
            .await?;
            let Some((position, arm)) = slot else {
                let label = strata
                    .stratum(stratum as usize)
                    .map(|s| s.label(study))
                    .unwrap_or_default();
                return Err(conflict(
                    "randomisation",
                    format!("the list of stratum {label} is used up"),
                ));
            };
            let taken = sqlx::query(
                "UPDATE allocation_slots SET participant_id = $1 \
                 WHERE study_id = $2 AND stratum = $3 AND position = $4 AND participant_id IS NULL",
            )
            .bind(participant_id)
            .bind(&study.id)
            .bind(stratum)
            .bind(position)
            .execute(tx.conn())
            .await?;
            if taken.rows_affected() != 1 {
                return Err(conflict("randomisation", "the slot was taken; try again"));
            }
            (stratum, position, arm)
        }
        Randomisation::Minimisation { .. } => {
            let mut minimiser = trial::Minimiser::new(study).map_err(invalid)?;
            let earlier: Vec<(String, String, i64, String)> = sqlx::query_as(
                "SELECT ais, injury_level, site_index, arm_id FROM allocations \
                 WHERE study_id = $1 ORDER BY sequence",
            )
            .bind(&study.id)
            .fetch_all(tx.conn())
            .await?;
            for (ais, level, site, arm) in &earlier {
                let parts = (
                    grade(ais),
                    injury_level(level),
                    usize::try_from(*site).ok(),
                    study.arms.iter().position(|a| &a.id == arm),
                );
                let (Some(ais), Some(level), Some(site), Some(arm)) = parts else {
                    return Err(conflict(
                        "randomisation",
                        "an earlier allocation does not match the study definition",
                    ));
                };
                let c = Covariates::from_parts(study, ais, level, site).map_err(invalid)?;
                minimiser.record(&c, arm).map_err(invalid)?;
            }
            let mut rng = minimisation_rng(seed, sequence);
            let arm = minimiser.choose(covariates, &mut rng).map_err(invalid)?;
            (0, allocated, study.arms[arm].id.clone())
        }
    };
    let kit: Option<(String,)> = sqlx::query_as(&format!(
        "SELECT kit_number FROM kits WHERE study_id = $1 AND arm_id = $2 AND participant_id IS NULL \
         ORDER BY dispense_rank LIMIT 1{lock}"
    ))
    .bind(&study.id)
    .bind(&arm_id)
    .fetch_optional(tx.conn())
    .await?;
    let Some((kit_number,)) = kit else {
        return Err(conflict(
            "kits",
            "no kit is left for this allocation: the kit list must be extended",
        ));
    };
    sqlx::query("UPDATE kits SET participant_id = $1 WHERE study_id = $2 AND kit_number = $3")
        .bind(participant_id)
        .bind(&study.id)
        .bind(&kit_number)
        .execute(tx.conn())
        .await?;
    let counted = sqlx::query(
        "UPDATE randomisation_lists SET allocated = $1 WHERE study_id = $2 AND allocated = $3",
    )
    .bind(sequence)
    .bind(&study.id)
    .bind(allocated)
    .execute(tx.conn())
    .await?;
    if counted.rows_affected() != 1 {
        return Err(conflict(
            "randomisation",
            "another randomisation came first; try again",
        ));
    }
    let at = now();
    sqlx::query(&tx.sql(
        "INSERT INTO allocations (participant_id, study_id, sequence, stratum, position, ais, \
         injury_level, site_index, arm_id, kit_number, randomised_at, randomised_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::timestamptz, $12)",
    ))
    .bind(participant_id)
    .bind(&study.id)
    .bind(sequence)
    .bind(stratum)
    .bind(position)
    .bind(covariates.ais().letter())
    .bind(covariates.level().as_str())
    .bind(to_i64(covariates.site()))
    .bind(&arm_id)
    .bind(&kit_number)
    .bind(&at)
    .bind(&by.username)
    .execute(tx.conn())
    .await
    .map_err(crate::db::conflict(
        "participant",
        "is already randomised; an allocation is final",
    ))?;
    let changes = [
        Change::new("randomise", "allocation", participant_id).set("sequence", sequence),
        Change::new("randomise", "allocation", participant_id).set("stratum", stratum),
        Change::new("randomise", "allocation", participant_id).set("kit_number", &kit_number),
    ];
    tx.audit(&study.id, by, &changes).await?;
    let concealed = [
        Change::new("randomise", "allocation", participant_id).set("arm_id", &arm_id),
        Change::new("randomise", "allocation", participant_id).set("position", position),
    ];
    tx.audit(&unblinded_chain(&study.id), by, &concealed)
        .await?;
    allocation_in(tx.conn(), participant_id)
        .await?
        .ok_or_else(|| not_found("allocation", participant_id))
}

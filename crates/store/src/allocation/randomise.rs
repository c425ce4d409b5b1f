//! Randomising one participant: the next slot of their stratum (or the minimisation draw),
//! and a kit of the arm.

use trial::{Randomisation, Study};

use super::*;
use crate::db::Tx;
use crate::model::{now, Participant};
use crate::not_found;
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
    let list = open_list(tx, study, participant_id).await?;
    let (stratum, position, arm_id) = match list.randomisation {
        Randomisation::PermutedBlocks { strata, .. } => {
            take_slot(tx, study, strata, participant_id, covariates).await?
        }
        Randomisation::Minimisation { .. } => {
            let arm = minimise(tx, study, &list, covariates).await?;
            (0, list.allocated, arm)
        }
    };
    let kit_number = take_kit(tx, study, &arm_id, participant_id).await?;
    let sequence = list.allocated + 1;
    let counted = sqlx::query(
        "UPDATE randomisation_lists SET allocated = $1 WHERE study_id = $2 AND allocated = $3",
    )
    .bind(sequence)
    .bind(&study.id)
    .bind(list.allocated)
    .execute(tx.conn())
    .await?;
    if counted.rows_affected() != 1 {
        return Err(conflict(
            "randomisation",
            "another randomisation came first; try again",
        ));
    }
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
    .bind(now())
    .bind(&by.username)
    .execute(tx.conn())
    .await
    .map_err(crate::conflict(
        "participant",
        "is already randomised; an allocation is final",
    ))?;
    let c = || Change::new("randomise", "allocation", participant_id);
    let changes = [
        c().set("sequence", sequence),
        c().set("stratum", stratum),
        c().set("kit_number", &kit_number),
    ];
    tx.audit(&study.id, by, &changes).await?;
    let concealed = [c().set("arm_id", &arm_id), c().set("position", position)];
    tx.audit(&unblinded_chain(&study.id), by, &concealed)
        .await?;
    allocation_in(tx.conn(), participant_id)
        .await?
        .ok_or_else(|| not_found("allocation", participant_id))
}

/// A study's list as a randomisation needs it, its row taken for the rest of the transaction.
struct OpenList<'s> {
    randomisation: &'s Randomisation,
    seed: u64,
    /// Allocations made so far.
    allocated: i64,
}

/// Takes the study's list (so randomisations of one study run one after another) and checks
/// that it can randomise this participant: generated, for the method the study says, and the
/// participant not randomised yet.
async fn open_list<'s>(
    tx: &mut Tx<'_>,
    study: &'s Study,
    participant_id: i64,
) -> Result<OpenList<'s>> {
    let lock = tx.for_update();
    let list: Option<(String, String, i64)> = sqlx::query_as(&format!(
        "SELECT method, seed, allocated FROM randomisation_lists WHERE study_id = $1{lock}"
    ))
    .bind(&study.id)
    .fetch_optional(tx.conn())
    .await?;
    let done: Option<(i64,)> =
        sqlx::query_as("SELECT sequence FROM allocations WHERE participant_id = $1")
            .bind(participant_id)
            .fetch_optional(tx.conn())
            .await?;
    let stored = list
        .as_ref()
        .map(|(method, seed, _)| (method.as_str(), seed.as_str()));
    let (randomisation, seed) =
        trial::list_check::check_randomisable(study, stored, participant_id, done.is_some())?;
    let allocated = list.map_or(0, |(_, _, allocated)| allocated);
    Ok(OpenList {
        randomisation,
        seed,
        allocated,
    })
}

/// A covariate the study cannot place.
fn invalid(e: trial::AllocationError) -> StoreError {
    StoreError::Invalid {
        field: "covariates".into(),
        message: e.to_string(),
    }
}

/// Permuted blocks: takes the next free slot of the participant's stratum; its stratum,
/// position and arm.
async fn take_slot(
    tx: &mut Tx<'_>,
    study: &Study,
    strata: &[trial::Factor],
    participant_id: i64,
    covariates: &Covariates,
) -> Result<(i64, i64, String)> {
    let lock = tx.for_update();
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
    Ok((stratum, position, arm))
}

/// Minimisation: replays every earlier allocation into the minimiser (each drawn again from its
/// own stream of the recorded seed, which gives the share it took) and draws this one from its
/// own stream; the arm's id.
async fn minimise(
    tx: &mut Tx<'_>,
    study: &Study,
    list: &OpenList<'_>,
    covariates: &Covariates,
) -> Result<String> {
    let mut minimiser = trial::Minimiser::new(study).map_err(invalid)?;
    let earlier: Vec<(i64, String, String, i64, String)> = sqlx::query_as(
        "SELECT sequence, ais, injury_level, site_index, arm_id FROM allocations \
         WHERE study_id = $1 ORDER BY sequence",
    )
    .bind(&study.id)
    .fetch_all(tx.conn())
    .await?;
    for (sequence, ais, level, site, arm) in &earlier {
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
        // An allocation the seed does not give is still counted (`randomization verify`
        // reports it).
        let mut rng = minimisation_rng(list.seed, *sequence);
        minimiser.replay(&c, &mut rng, arm).map_err(invalid)?;
    }
    let mut rng = minimisation_rng(list.seed, list.allocated + 1);
    let arm = minimiser.choose(covariates, &mut rng).map_err(invalid)?;
    Ok(study.arms[arm].id.clone())
}

/// Takes the free kit of the arm with the lowest dispensing rank for the participant.
async fn take_kit(
    tx: &mut Tx<'_>,
    study: &Study,
    arm_id: &str,
    participant_id: i64,
) -> Result<String> {
    let lock = tx.for_update();
    let kit: Option<(String,)> = sqlx::query_as(&format!(
        "SELECT kit_number FROM kits WHERE study_id = $1 AND arm_id = $2 AND participant_id IS NULL \
         ORDER BY dispense_rank LIMIT 1{lock}"
    ))
    .bind(&study.id)
    .bind(arm_id)
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
    Ok(kit_number)
}

//! The concealed list: generated once from a recorded seed, and checked against it.

use trial::{Randomisation, Study};

use trial::list_check::{
    check_list, check_list_generation, check_list_request, method_name, StoredAllocation,
    StoredKit, StoredList, StoredSlot, GENERATOR,
};

use super::*;
use crate::db::Tx;
use crate::model::now;
use crate::not_found;
use crate::Change;

/// Generates a study's randomisation list (permuted blocks: `per_stratum` slots per
/// stratum; minimisation: the seed only) and its kit list of `kits` kits, before the first
/// enrolment or late with a reason; the seed is kept with it.
pub(super) async fn generate(
    tx: &mut Tx<'_>,
    study: &Study,
    request: &ListRequest,
    by: &Actor,
) -> Result<RandomisationList> {
    let &ListRequest {
        seed,
        per_stratum,
        kits,
        ..
    } = request;
    let (randomisation, late) = check_generation(tx, study, request).await?;
    let method = method_name(randomisation.method());
    let mut slots: Vec<(i64, i64, String)> = Vec::new();
    if let Randomisation::PermutedBlocks { .. } = randomisation {
        let list = trial::BlockList::generate(study, seed, per_stratum).map_err(|e| {
            StoreError::Invalid {
                field: "randomisation".into(),
                message: e.to_string(),
            }
        })?;
        for sequence in list.sequences() {
            for (position, &arm) in sequence.allocations().iter().enumerate() {
                slots.push((
                    to_i64(sequence.stratum().index),
                    to_i64(position),
                    study.arms[arm].id.clone(),
                ));
            }
        }
    }
    let kit_list = trial::kit_list(study, seed, kits).map_err(|e| StoreError::Invalid {
        field: "kits".into(),
        message: e.to_string(),
    })?;
    sqlx::query(&tx.sql(
        "INSERT INTO randomisation_lists (study_id, method, generator, seed, slots, kits, \
         allocated, generated_by, generated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8::timestamptz)",
    ))
    .bind(&study.id)
    .bind(method)
    .bind(GENERATOR)
    .bind(seed.to_string())
    .bind(to_i64(slots.len()))
    .bind(to_i64(kit_list.len()))
    .bind(&by.username)
    .bind(now())
    .execute(tx.conn())
    .await
    .map_err(crate::conflict(
        "randomisation",
        "the list was already generated; it is never replaced",
    ))?;
    let kit_rows: Vec<(String, String, i64)> = kit_list
        .iter()
        .map(|k| {
            (
                k.number.clone(),
                study.arms[k.arm].id.clone(),
                i64::from(k.rank),
            )
        })
        .collect();
    insert_rows(
        tx,
        "allocation_slots (study_id, stratum, position, arm_id)",
        &study.id,
        &slots,
    )
    .await?;
    insert_rows(
        tx,
        "kits (study_id, kit_number, arm_id, dispense_rank)",
        &study.id,
        &kit_rows,
    )
    .await?;
    let c = || Change::new("create", "randomisation-list", &study.id);
    let mut changes = vec![
        c().set("method", method),
        c().set("slots", slots.len()),
        c().set("kits", kit_list.len()),
    ];
    if let Some((enrolled, reason)) = &late {
        changes.push(c().set("enrolled_before_list", enrolled).because(reason));
    }
    tx.audit(&study.id, by, &changes).await?;
    let concealed = [c().set("seed", seed)];
    tx.audit(&unblinded_chain(&study.id), by, &concealed)
        .await?;
    list_in(tx.conn(), &study.id)
        .await?
        .ok_or_else(|| not_found("randomisation list", &study.id))
}

/// Checks that a list can be generated now (a randomised study, sizes in range, none yet, no
/// one enrolled or a reason why some are), after taking the study's row: no enrolment may
/// commit between this check and the list. The randomisation, and when the list comes late the
/// participants enrolled before it and the reason.
async fn check_generation<'s>(
    tx: &mut Tx<'_>,
    study: &'s Study,
    request: &ListRequest,
) -> Result<(&'s Randomisation, Option<(i64, String)>)> {
    let randomisation = check_list_request(study, request.per_stratum, request.kits)?;
    tx.lock_study(&study.id).await?;
    let existing: Option<(String,)> =
        sqlx::query_as("SELECT study_id FROM randomisation_lists WHERE study_id = $1")
            .bind(&study.id)
            .fetch_optional(tx.conn())
            .await?;
    let enrolled: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM participants WHERE study_id = $1 AND enrolled_on IS NOT NULL",
    )
    .bind(&study.id)
    .fetch_one(tx.conn())
    .await?;
    let late = check_list_generation(
        study,
        existing.is_some(),
        enrolled,
        request.late_reason.as_deref(),
    )?;
    Ok((randomisation, late.map(|r| (enrolled, r.to_string()))))
}

/// Inserts a study's rows of three values into `table (study_id, a, b, c)`, 200 to a statement.
async fn insert_rows<A, B, C>(
    tx: &mut Tx<'_>,
    table: &str,
    study: &str,
    rows: &[(A, B, C)],
) -> Result<()>
where
    for<'q> A: sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Clone + Send + 'static,
    for<'q> B: sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Clone + Send + 'static,
    for<'q> C: sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Clone + Send + 'static,
{
    for chunk in rows.chunks(200) {
        let marks: Vec<String> = (0..chunk.len())
            .map(|i| format!("($1, ${}, ${}, ${})", 2 + 3 * i, 3 + 3 * i, 4 + 3 * i))
            .collect();
        let sql = format!("INSERT INTO {table} VALUES {}", marks.join(", "));
        let mut q = sqlx::query(&sql).bind(study);
        for (a, b, c) in chunk {
            q = q.bind(a.clone()).bind(b.clone()).bind(c.clone());
        }
        q.execute(tx.conn()).await?;
    }
    Ok(())
}

impl Store {
    /// Compares the stored list, kits and allocations of a study with what its recorded seed
    /// gives; `None` when no list was generated.
    pub async fn check_randomisation(&self, study: &Study) -> Result<Option<ListCheck>> {
        let row: Option<(String, Option<String>, String, i64)> = sqlx::query_as(
            "SELECT method, generator, seed, allocated FROM randomisation_lists WHERE study_id = $1",
        )
        .bind(&study.id)
        .fetch_optional(&self.pool)
        .await?;
        let Some((method, generator, seed, allocated)) = row else {
            return Ok(None);
        };
        let slots: Vec<StoredSlot> = sqlx::query_as::<_, (i64, i64, String, Option<i64>)>(
            "SELECT stratum, position, arm_id, participant_id FROM allocation_slots \
             WHERE study_id = $1 ORDER BY stratum, position",
        )
        .bind(&study.id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|(stratum, position, arm_id, participant_id)| StoredSlot {
            stratum,
            position,
            arm_id,
            participant_id,
        })
        .collect();
        let kits: Vec<StoredKit> = sqlx::query_as::<_, (String, String, i64, Option<i64>)>(
            "SELECT kit_number, arm_id, dispense_rank, participant_id FROM kits WHERE study_id = $1",
        )
        .bind(&study.id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|(number, arm_id, rank, participant_id)| StoredKit {
            number,
            arm_id,
            rank,
            participant_id,
        })
        .collect();
        let allocations: Vec<StoredAllocation> = sqlx::query_as::<_, Allocation>(&self.sql(
            &format!("SELECT {ALLOCATION_COLUMNS} FROM allocations WHERE study_id = $1 ORDER BY sequence"),
        ))
        .bind(&study.id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|a| StoredAllocation {
            participant_id: a.participant_id,
            sequence: a.sequence,
            stratum: a.stratum,
            position: a.position,
            ais: a.ais,
            injury_level: a.injury_level,
            site_index: a.site_index,
            arm_id: a.arm_id,
            kit_number: a.kit_number,
        })
        .collect();
        let stored = StoredList {
            method: &method,
            generator: generator.as_deref(),
            seed: &seed,
            allocated,
            slots: &slots,
            kits: &kits,
            allocations: &allocations,
        };
        Ok(Some(ListCheck {
            study_id: study.id.clone(),
            method: method.clone(),
            slots: slots.len(),
            kits: kits.len(),
            allocations: allocations.len(),
            problems: check_list(study, &stored),
        }))
    }
}

//! The concealed list: generated once from a recorded seed, and checked against it.

use trial::{Randomisation, Study};

use super::*;
use crate::db::not_found;
use crate::db::Tx;
use crate::model::now;
use crate::Change;

/// Generates a study's randomisation list (permuted blocks: `per_stratum` slots per
/// stratum; minimisation: the seed only) and its kit list of `kits` kits, before the first
/// enrolment; the seed is kept with it.
pub(super) async fn generate(
    tx: &mut Tx<'_>,
    study: &Study,
    seed: u64,
    per_stratum: usize,
    kits: usize,
    by: &Actor,
) -> Result<RandomisationList> {
    let Some(randomisation) = &study.randomisation else {
        return Err(conflict(
            "randomisation",
            format!(
                "study {} is not randomised (design = \"dose-escalation\")",
                study.id
            ),
        ));
    };
    if !(1..=10_000).contains(&per_stratum) {
        return Err(StoreError::Invalid {
            field: "per_stratum".into(),
            message: format!("{per_stratum} is not allowed (1 to 10000)"),
        });
    }
    if !(1..=100_000).contains(&kits) {
        return Err(StoreError::Invalid {
            field: "kits".into(),
            message: format!("{kits} is not allowed (1 to 100000)"),
        });
    }
    // No enrolment may commit between the check below and the list.
    tx.lock_study(&study.id).await?;
    let existing: Option<(String,)> =
        sqlx::query_as("SELECT study_id FROM randomisation_lists WHERE study_id = $1")
            .bind(&study.id)
            .fetch_optional(tx.conn())
            .await?;
    if existing.is_some() {
        return Err(conflict(
            "randomisation",
            format!(
                "the randomisation list of {} was already generated; it is never replaced",
                study.id
            ),
        ));
    }
    let enrolled: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM participants WHERE study_id = $1 AND enrolled_on IS NOT NULL",
    )
    .bind(&study.id)
    .fetch_one(tx.conn())
    .await?;
    if enrolled > 0 {
        return Err(conflict(
            "randomisation",
            format!(
                "the list must be generated before the first enrolment; {enrolled} participants of {} are enrolled",
                study.id
            ),
        ));
    }
    let method = method_name(randomisation.method());
    let mut slots: Vec<(i64, i64, &str)> = Vec::new();
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
                    study.arms[arm].id.as_str(),
                ));
            }
        }
    }
    let kit_list = trial::kit_list(study, seed, kits).map_err(|e| StoreError::Invalid {
        field: "kits".into(),
        message: e.to_string(),
    })?;
    let at = now();
    sqlx::query(&tx.sql(
        "INSERT INTO randomisation_lists (study_id, method, seed, slots, kits, allocated, \
         generated_by, generated_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $7::timestamptz)",
    ))
    .bind(&study.id)
    .bind(method)
    .bind(seed.to_string())
    .bind(to_i64(slots.len()))
    .bind(to_i64(kit_list.len()))
    .bind(&by.username)
    .bind(&at)
    .execute(tx.conn())
    .await
    .map_err(crate::db::conflict(
        "randomisation",
        "the list was already generated; it is never replaced",
    ))?;
    for chunk in slots.chunks(200) {
        let marks: Vec<String> = (0..chunk.len())
            .map(|i| format!("($1, ${}, ${}, ${})", 2 + 3 * i, 3 + 3 * i, 4 + 3 * i))
            .collect();
        let sql = format!(
            "INSERT INTO allocation_slots (study_id, stratum, position, arm_id) VALUES {}",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(&study.id);
        for (stratum, position, arm) in chunk {
            q = q.bind(*stratum).bind(*position).bind(*arm);
        }
        q.execute(tx.conn()).await?;
    }
    for chunk in kit_list.chunks(200) {
        let marks: Vec<String> = (0..chunk.len())
            .map(|i| format!("($1, ${}, ${}, ${})", 2 + 3 * i, 3 + 3 * i, 4 + 3 * i))
            .collect();
        let sql = format!(
            "INSERT INTO kits (study_id, kit_number, arm_id, dispense_rank) VALUES {}",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(&study.id);
        for kit in chunk {
            q = q
                .bind(kit.number.as_str())
                .bind(study.arms[kit.arm].id.as_str())
                .bind(i64::from(kit.rank));
        }
        q.execute(tx.conn()).await?;
    }
    let record = &study.id;
    let changes = [
        Change::new("create", "randomisation-list", record).set("method", method),
        Change::new("create", "randomisation-list", record).set("slots", slots.len()),
        Change::new("create", "randomisation-list", record).set("kits", kit_list.len()),
    ];
    tx.audit(&study.id, by, &changes).await?;
    let concealed = [Change::new("create", "randomisation-list", record).set("seed", seed)];
    tx.audit(&unblinded_chain(&study.id), by, &concealed)
        .await?;
    list_in(tx.conn(), &study.id)
        .await?
        .ok_or_else(|| not_found("randomisation list", &study.id))
}

impl Store {
    /// Compares the stored list, kits and allocations of a study with what its recorded seed
    /// gives; `None` when no list was generated.
    pub async fn check_randomisation(&self, study: &Study) -> Result<Option<ListCheck>> {
        let row: Option<(String, String, i64)> = sqlx::query_as(
            "SELECT method, seed, allocated FROM randomisation_lists WHERE study_id = $1",
        )
        .bind(&study.id)
        .fetch_optional(&self.pool)
        .await?;
        let Some((method, seed, allocated)) = row else {
            return Ok(None);
        };
        let slots: Vec<(i64, i64, String, Option<i64>)> = sqlx::query_as(
            "SELECT stratum, position, arm_id, participant_id FROM allocation_slots              WHERE study_id = $1 ORDER BY stratum, position",
        )
        .bind(&study.id)
        .fetch_all(&self.pool)
        .await?;
        let kits: Vec<(String, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT kit_number, arm_id, dispense_rank, participant_id FROM kits WHERE study_id = $1",
        )
        .bind(&study.id)
        .fetch_all(&self.pool)
        .await?;
        let allocations = sqlx::query_as::<_, Allocation>(&self.sql(&format!(
            "SELECT {ALLOCATION_COLUMNS} FROM allocations WHERE study_id = $1 ORDER BY sequence"
        )))
        .bind(&study.id)
        .fetch_all(&self.pool)
        .await?;
        let mut check = ListCheck {
            study_id: study.id.clone(),
            method: method.clone(),
            slots: slots.len(),
            kits: kits.len(),
            allocations: allocations.len(),
            problems: Vec::new(),
        };
        let problems = &mut check.problems;
        let Ok(seed) = seed.parse::<u64>() else {
            problems.push("the stored seed is not a number".into());
            return Ok(Some(check));
        };
        let arm_of = |index: usize| study.arms.get(index).map(|a| a.id.as_str());
        for (n, a) in allocations.iter().enumerate() {
            if a.sequence != to_i64(n + 1) {
                problems.push(format!(
                    "allocation {} has sequence number {}, expected {}",
                    a.participant_id,
                    a.sequence,
                    n + 1
                ));
            }
        }
        if allocated != to_i64(allocations.len()) {
            problems.push(format!(
                "the list counts {allocated} allocations; {} are stored",
                allocations.len()
            ));
        }
        match &study.randomisation {
            Some(Randomisation::PermutedBlocks { .. }) if method == "permuted-blocks" => {
                let mut lengths: std::collections::BTreeMap<i64, i64> = Default::default();
                for (stratum, position, _, _) in &slots {
                    let next = lengths.entry(*stratum).or_default();
                    if *position != *next {
                        problems.push(format!(
                            "stratum {stratum}: position {position} follows position {}",
                            *next - 1
                        ));
                    }
                    *next = *position + 1;
                }
                let longest = lengths.values().copied().max().unwrap_or(0);
                let list = trial::BlockList::generate(study, seed, longest.max(1) as usize)
                    .map_err(|e| invalid_list(e.to_string()))?;
                for (stratum, position, arm, _) in &slots {
                    let expected = list
                        .sequence(*stratum as usize)
                        .and_then(|s| s.allocations().get(*position as usize))
                        .and_then(|&a| arm_of(a));
                    if expected != Some(arm.as_str()) {
                        problems.push(format!(
                            "slot {stratum}/{position} is not the one the seed gives"
                        ));
                    }
                }
                for a in &allocations {
                    let slot = slots.iter().find(|s| s.0 == a.stratum && s.1 == a.position);
                    match slot {
                        Some((_, _, arm, Some(p)))
                            if *p == a.participant_id && *arm == a.arm_id => {}
                        _ => problems.push(format!(
                            "allocation {} does not match its slot {}/{}",
                            a.sequence, a.stratum, a.position
                        )),
                    }
                }
            }
            Some(Randomisation::Minimisation { .. }) if method == "minimisation" => {
                let mut minimiser =
                    trial::Minimiser::new(study).map_err(|e| invalid_list(e.to_string()))?;
                for a in &allocations {
                    let parts = (
                        grade(&a.ais),
                        injury_level(&a.injury_level),
                        usize::try_from(a.site_index).ok(),
                    );
                    let (Some(ais), Some(level), Some(site)) = parts else {
                        problems.push(format!("allocation {} has unknown covariates", a.sequence));
                        continue;
                    };
                    let Ok(c) = Covariates::from_parts(study, ais, level, site) else {
                        problems.push(format!("allocation {} has unknown covariates", a.sequence));
                        continue;
                    };
                    let mut rng = minimisation_rng(seed, a.sequence);
                    let arm = minimiser.choose(&c, &mut rng).ok().and_then(arm_of);
                    if arm != Some(a.arm_id.as_str()) {
                        problems.push(format!(
                            "allocation {} is not the one the seed gives",
                            a.sequence
                        ));
                    }
                    if let Some(stored) = study.arms.iter().position(|x| x.id == a.arm_id) {
                        let _ = minimiser.record(&c, stored);
                    }
                }
            }
            _ => problems.push(format!(
                "the list was generated for {method}, which the study definition no longer says"
            )),
        }
        let expected =
            trial::kit_list(study, seed, kits.len()).map_err(|e| invalid_list(e.to_string()))?;
        if expected.len() != kits.len() {
            problems.push(format!(
                "{} kits are stored; the seed gives {}",
                kits.len(),
                expected.len()
            ));
        }
        for kit in &expected {
            let stored = kits.iter().find(|k| k.0 == kit.number);
            match stored {
                Some((_, arm, rank, _))
                    if Some(arm.as_str()) == arm_of(kit.arm) && *rank == i64::from(kit.rank) => {}
                _ => problems.push(format!("kit {} is not the one the seed gives", kit.number)),
            }
        }
        for a in &allocations {
            let kit = kits.iter().find(|k| k.0 == a.kit_number);
            match kit {
                Some((_, arm, _, Some(p))) if *p == a.participant_id && *arm == a.arm_id => {}
                _ => problems.push(format!(
                    "allocation {} does not hold its kit {}",
                    a.sequence, a.kit_number
                )),
            }
        }
        Ok(Some(check))
    }
}

//! Allocation in a randomised study: the concealed list, randomisation, kits, dispensing and
//! emergency unblinding.
//!
//! Each write is one function taking the open transaction (`*_tx`), so that it runs the same
//! on any writer; the `Store` implementation opens the transaction, calls it and commits.
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

use isncsci::Grade;
use sqlx::{Any, Transaction};
use trial::{
    Covariates, InjuryLevel, ListRng, ListStream, Randomisation, RandomisationMethod, Role, Study,
};

use crate::audit::Change;
use crate::model::{now, status, Actor, Participant, Scope};
use crate::sql::{not_found, scope_filter, SqlStore};
use crate::{Result, StoreError};

/// The chain that holds the audit rows naming arms (and the seed) of a study.
pub fn unblinded_chain(study: &str) -> String {
    format!("{study}/unblinded")
}

/// Whether an audit chain is one of the unblinded chains.
pub fn is_unblinded_chain(chain: &str) -> bool {
    chain.ends_with("/unblinded")
}

/// A study's randomisation list as anyone may see it: no seed, no arm.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
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

/// A notification in the application, addressed to a role of a study.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct Notification {
    /// Its id.
    pub id: i64,
    /// The study.
    pub study_id: String,
    /// The role it is for.
    pub role: String,
    /// `emergency-unblinding`.
    pub kind: String,
    /// The participant concerned.
    pub participant_id: Option<i64>,
    /// The text (never an arm).
    pub message: String,
    /// When (UTC).
    pub created_at: String,
    /// When the reader it was fetched for acknowledged it (UTC), if they have.
    pub read_at: Option<String>,
}

/// An e-mail waiting in the outbox.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct OutboxMessage {
    /// Its id.
    pub id: i64,
    /// The study.
    pub study_id: String,
    /// The recipient's account.
    pub recipient_user_id: i64,
    /// The recipient's user name.
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// Body (never an arm).
    pub body: String,
    /// When queued (UTC).
    pub created_at: String,
    /// When sent, once sent.
    pub sent_at: Option<String>,
}

const ALLOCATION_COLUMNS: &str = "participant_id, study_id, sequence, stratum, position, ais, \
    injury_level, site_index, arm_id, kit_number, randomised_at, randomised_by, dispensed_at, \
    dispensed_by, unblinded_at, unblinded_by, unblind_reason";

/// The roles told of an emergency unblinding.
pub const UNBLINDING_NOTIFIED: [Role; 2] = [Role::SponsorAdmin, Role::DsmbStatistician];

fn conflict(field: &str, message: impl Into<String>) -> StoreError {
    StoreError::Conflict {
        field: field.into(),
        message: message.into(),
    }
}

fn invalid_list(message: String) -> StoreError {
    StoreError::Invalid {
        field: "randomisation".into(),
        message,
    }
}

fn method_name(m: RandomisationMethod) -> &'static str {
    match m {
        RandomisationMethod::PermutedBlocks => "permuted-blocks",
        RandomisationMethod::Minimisation => "minimisation",
    }
}

/// The generator of the `sequence`-th minimisation draw of a study randomised from `seed`: a
/// ChaCha20 stream of its own for each sequence number.
pub fn minimisation_rng(seed: u64, sequence: i64) -> ListRng {
    ListRng::new(seed, ListStream::Minimisation(sequence as u64))
}

fn grade(letter: &str) -> Option<Grade> {
    Grade::ALL.into_iter().find(|g| g.letter() == letter)
}

fn injury_level(name: &str) -> Option<InjuryLevel> {
    InjuryLevel::ALL.into_iter().find(|l| l.as_str() == name)
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The writes, each one transaction on the writer: `*_tx` does the work inside it.
impl SqlStore {
    pub(crate) async fn generate_list(
        &self,
        study: &Study,
        seed: u64,
        per_stratum: usize,
        kits: usize,
        by: &Actor,
    ) -> Result<RandomisationList> {
        let mut tx = self.writer.begin().await?;
        let out = self
            .generate_list_tx(&mut tx, study, seed, per_stratum, kits, by)
            .await?;
        tx.commit().await?;
        Ok(out)
    }

    pub(crate) async fn randomise_write(
        &self,
        scope: &Scope,
        study: &Study,
        participant_id: i64,
        covariates: &Covariates,
        by: &Actor,
    ) -> Result<Allocation> {
        let mut tx = self.writer.begin().await?;
        let out = self
            .randomise_tx(&mut tx, scope, study, participant_id, covariates, by)
            .await?;
        tx.commit().await?;
        Ok(out)
    }

    pub(crate) async fn dispense_write(
        &self,
        scope: &Scope,
        participant_id: i64,
        kit_number: &str,
        by: &Actor,
    ) -> Result<Allocation> {
        let mut tx = self.writer.begin().await?;
        let out = self
            .dispense_tx(&mut tx, scope, participant_id, kit_number, by)
            .await?;
        tx.commit().await?;
        Ok(out)
    }

    pub(crate) async fn unblind_write(
        &self,
        scope: &Scope,
        participant_id: i64,
        reason: &str,
        by: &Actor,
    ) -> Result<Allocation> {
        let mut tx = self.writer.begin().await?;
        let out = self
            .unblind_tx(&mut tx, scope, participant_id, reason, by)
            .await?;
        tx.commit().await?;
        Ok(out)
    }

    pub(crate) async fn unblind_failed_write(
        &self,
        scope: &Scope,
        participant_id: i64,
        by: &Actor,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        self.unblind_failed_tx(&mut tx, scope, participant_id, by)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

impl SqlStore {
    /// Generates a study's randomisation list (permuted blocks: `per_stratum` slots per
    /// stratum; minimisation: the seed only) and its kit list of `kits` kits, before the first
    /// enrolment; the seed is kept with it.
    pub(crate) async fn generate_list_tx(
        &self,
        tx: &mut Transaction<'static, Any>,
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
        self.lock_study(tx, &study.id).await?;
        let existing: Option<(String,)> =
            sqlx::query_as("SELECT study_id FROM randomisation_lists WHERE study_id = $1")
                .bind(&study.id)
                .fetch_optional(&mut **tx)
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
        .fetch_one(&mut **tx)
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
        sqlx::query(
            "INSERT INTO randomisation_lists (study_id, method, seed, slots, kits, allocated, generated_by, generated_at) \
             VALUES ($1, $2, $3, $4, $5, 0, $6, $7)",
        )
        .bind(&study.id)
        .bind(method)
        .bind(seed.to_string())
        .bind(to_i64(slots.len()))
        .bind(to_i64(kit_list.len()))
        .bind(&by.username)
        .bind(&at)
        .execute(&mut **tx)
        .await
        .map_err(crate::sql::conflict(
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
            q.execute(&mut **tx).await?;
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
            q.execute(&mut **tx).await?;
        }
        let record = &study.id;
        let changes = [
            Change::new("create", "randomisation-list", record).set("method", method),
            Change::new("create", "randomisation-list", record).set("slots", slots.len()),
            Change::new("create", "randomisation-list", record).set("kits", kit_list.len()),
        ];
        self.audit(tx, &study.id, by, &changes).await?;
        let concealed = [Change::new("create", "randomisation-list", record).set("seed", seed)];
        self.audit(tx, &unblinded_chain(&study.id), by, &concealed)
            .await?;
        self.list_in(tx, &study.id)
            .await?
            .ok_or_else(|| not_found("randomisation list", &study.id))
    }

    async fn list_in(
        &self,
        tx: &mut Transaction<'static, Any>,
        study: &str,
    ) -> Result<Option<RandomisationList>> {
        let row: Option<(String, i64, i64, i64, String, String)> = sqlx::query_as(
            "SELECT method, slots, kits, allocated, generated_by, generated_at \
             FROM randomisation_lists WHERE study_id = $1",
        )
        .bind(study)
        .fetch_optional(&mut **tx)
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
        .fetch_one(&mut **tx)
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

    /// A study's list, when generated.
    pub(crate) async fn randomisation_list_read(
        &self,
        study: &str,
    ) -> Result<Option<RandomisationList>> {
        let mut tx = self.pool.begin().await?;
        let list = self.list_in(&mut tx, study).await?;
        tx.commit().await?;
        Ok(list)
    }

    /// Compares the stored list, kits and allocations of a study with what its recorded seed
    /// gives; `None` when no list was generated.
    pub(crate) async fn check_list_read(&self, study: &Study) -> Result<Option<ListCheck>> {
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
        let allocations = sqlx::query_as::<_, Allocation>(&format!(
            "SELECT {ALLOCATION_COLUMNS} FROM allocations WHERE study_id = $1 ORDER BY sequence"
        ))
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

    /// Randomises an eligible, enrolled participant, exactly once: the next free slot of its
    /// stratum (permuted blocks) or the minimiser's choice (minimisation), and the free kit of
    /// that arm with the lowest dispensing rank.
    pub(crate) async fn randomise_tx(
        &self,
        tx: &mut Transaction<'static, Any>,
        scope: &Scope,
        study: &Study,
        participant_id: i64,
        covariates: &Covariates,
        by: &Actor,
    ) -> Result<Allocation> {
        let p: Participant = self.participant_in(tx, scope, participant_id).await?;
        if p.study_id != study.id {
            return Err(not_found("participant", participant_id));
        }
        if p.status != status::ENROLLED || !p.eligible {
            return Err(conflict(
                "status",
                format!(
                    "only an eligible, enrolled participant can be randomised; participant {participant_id} is {}{}",
                    p.status,
                    if p.eligible { "" } else { " (not eligible)" }
                ),
            ));
        }
        let lock = self.for_update();
        let list: Option<(String, String, i64)> = sqlx::query_as(&format!(
            "SELECT method, seed, allocated FROM randomisation_lists WHERE study_id = $1{lock}"
        ))
        .bind(&study.id)
        .fetch_optional(&mut **tx)
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
                .fetch_optional(&mut **tx)
                .await?;
        if done.is_some() {
            return Err(conflict(
                "participant",
                format!(
                    "participant {participant_id} is already randomised; an allocation is final"
                ),
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
                .fetch_optional(&mut **tx)
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
                .execute(&mut **tx)
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
                .fetch_all(&mut **tx)
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
        .fetch_optional(&mut **tx)
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
            .execute(&mut **tx)
            .await?;
        let counted = sqlx::query(
            "UPDATE randomisation_lists SET allocated = $1 WHERE study_id = $2 AND allocated = $3",
        )
        .bind(sequence)
        .bind(&study.id)
        .bind(allocated)
        .execute(&mut **tx)
        .await?;
        if counted.rows_affected() != 1 {
            return Err(conflict(
                "randomisation",
                "another randomisation came first; try again",
            ));
        }
        let at = now();
        sqlx::query(
            "INSERT INTO allocations (participant_id, study_id, sequence, stratum, position, ais, \
             injury_level, site_index, arm_id, kit_number, randomised_at, randomised_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
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
        .execute(&mut **tx)
        .await
        .map_err(crate::sql::conflict(
            "participant",
            "is already randomised; an allocation is final",
        ))?;
        let changes = [
            Change::new("randomise", "allocation", participant_id).set("sequence", sequence),
            Change::new("randomise", "allocation", participant_id).set("stratum", stratum),
            Change::new("randomise", "allocation", participant_id).set("kit_number", &kit_number),
        ];
        self.audit(tx, &study.id, by, &changes).await?;
        let concealed = [
            Change::new("randomise", "allocation", participant_id).set("arm_id", &arm_id),
            Change::new("randomise", "allocation", participant_id).set("position", position),
        ];
        self.audit(tx, &unblinded_chain(&study.id), by, &concealed)
            .await?;
        self.allocation_in(tx, participant_id)
            .await?
            .ok_or_else(|| not_found("allocation", participant_id))
    }

    async fn allocation_in(
        &self,
        tx: &mut Transaction<'static, Any>,
        participant_id: i64,
    ) -> Result<Option<Allocation>> {
        Ok(sqlx::query_as::<_, Allocation>(&format!(
            "SELECT {ALLOCATION_COLUMNS} FROM allocations WHERE participant_id = $1"
        ))
        .bind(participant_id)
        .fetch_optional(&mut **tx)
        .await?)
    }

    /// A participant's allocation, if the participant is in scope and randomised.
    pub(crate) async fn allocation_read(
        &self,
        scope: &Scope,
        participant_id: i64,
    ) -> Result<Option<Allocation>> {
        let mut tx = self.pool.begin().await?;
        self.participant_in(&mut tx, scope, participant_id).await?;
        let a = self.allocation_in(&mut tx, participant_id).await?;
        tx.commit().await?;
        Ok(a)
    }

    /// The allocations of the participants in scope, in randomisation order.
    pub(crate) async fn allocations_read(&self, scope: &Scope) -> Result<Vec<Allocation>> {
        let (filter, values) = scope_filter(scope, 1);
        let sql = format!(
            "SELECT {ALLOCATION_COLUMNS} FROM allocations WHERE participant_id IN \
             (SELECT id FROM participants WHERE {filter}) ORDER BY sequence"
        );
        let mut q = sqlx::query_as::<_, Allocation>(&sql);
        for v in &values {
            q = q.bind(v);
        }
        Ok(q.fetch_all(&self.pool).await?)
    }

    /// Records that the participant's kit was dispensed; the kit number must be the one
    /// allocated.
    pub(crate) async fn dispense_tx(
        &self,
        tx: &mut Transaction<'static, Any>,
        scope: &Scope,
        participant_id: i64,
        kit_number: &str,
        by: &Actor,
    ) -> Result<Allocation> {
        self.participant_in(tx, scope, participant_id).await?;
        let lock = self.for_update();
        let row: Option<(String, Option<String>)> = sqlx::query_as(&format!(
            "SELECT kit_number, dispensed_at FROM allocations WHERE participant_id = $1{lock}"
        ))
        .bind(participant_id)
        .fetch_optional(&mut **tx)
        .await?;
        let Some((allocated, dispensed)) = row else {
            return Err(conflict(
                "participant",
                format!("participant {participant_id} is not randomised"),
            ));
        };
        if allocated != kit_number {
            return Err(StoreError::Invalid {
                field: "kit_number".into(),
                message: format!(
                    "{kit_number:?} is not the kit allocated to participant {participant_id} (allowed: {allocated})"
                ),
            });
        }
        if let Some(at) = dispensed {
            return Err(conflict(
                "kit_number",
                format!("kit {kit_number} was already dispensed at {at}"),
            ));
        }
        let at = now();
        sqlx::query(
            "UPDATE allocations SET dispensed_at = $1, dispensed_by = $2 WHERE participant_id = $3",
        )
        .bind(&at)
        .bind(&by.username)
        .bind(participant_id)
        .execute(&mut **tx)
        .await?;
        let study = scope.study();
        let change =
            Change::new("dispense", "allocation", participant_id).set("kit_number", kit_number);
        self.audit(tx, study, by, &[change]).await?;
        self.allocation_in(tx, participant_id)
            .await?
            .ok_or_else(|| not_found("allocation", participant_id))
    }

    /// Emergency unblinding of one participant: recorded, the participant marked, the sponsor
    /// and DSMB roles notified in the application and by e-mail (outbox). The caller has
    /// checked the person's password and site.
    pub(crate) async fn unblind_tx(
        &self,
        tx: &mut Transaction<'static, Any>,
        scope: &Scope,
        participant_id: i64,
        reason: &str,
        by: &Actor,
    ) -> Result<Allocation> {
        if reason.trim().is_empty() {
            return Err(StoreError::Invalid {
                field: "reason".into(),
                message: "is required: why the participant's allocation must be known".into(),
            });
        }
        let p = self.participant_in(tx, scope, participant_id).await?;
        let lock = self.for_update();
        let row: Option<(String, Option<String>)> = sqlx::query_as(&format!(
            "SELECT arm_id, unblinded_at FROM allocations WHERE participant_id = $1{lock}"
        ))
        .bind(participant_id)
        .fetch_optional(&mut **tx)
        .await?;
        let Some((arm_id, earlier)) = row else {
            return Err(conflict(
                "participant",
                format!(
                    "participant {participant_id} is not randomised: there is nothing to unblind"
                ),
            ));
        };
        let at = now();
        if earlier.is_none() {
            sqlx::query(
                "UPDATE allocations SET unblinded_at = $1, unblinded_by = $2, unblind_reason = $3 \
                 WHERE participant_id = $4",
            )
            .bind(&at)
            .bind(&by.username)
            .bind(reason)
            .bind(participant_id)
            .execute(&mut **tx)
            .await?;
        }
        let who = p
            .subject_id
            .clone()
            .unwrap_or_else(|| p.screening_number.clone());
        let message = format!(
            "Emergency unblinding of participant {who} (site {}) by {} at {at}. Reason: {reason}",
            p.site_id, by.username
        );
        for role in UNBLINDING_NOTIFIED {
            sqlx::query(
                "INSERT INTO notifications (study_id, role, kind, participant_id, message, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&p.study_id)
            .bind(role.as_str())
            .bind("emergency-unblinding")
            .bind(participant_id)
            .bind(&message)
            .bind(&at)
            .execute(&mut **tx)
            .await?;
        }
        let recipients: Vec<(i64, String)> = sqlx::query_as(
            "SELECT DISTINCT u.id, u.username FROM users u JOIN role_assignments r ON r.user_id = u.id \
             WHERE r.study_id = $1 AND r.role IN ($2, $3) AND u.active = 1 ORDER BY u.id",
        )
        .bind(&p.study_id)
        .bind(UNBLINDING_NOTIFIED[0].as_str())
        .bind(UNBLINDING_NOTIFIED[1].as_str())
        .fetch_all(&mut **tx)
        .await?;
        let subject = format!("[{}] Emergency unblinding of participant {who}", p.study_id);
        for (user_id, username) in &recipients {
            sqlx::query(
                "INSERT INTO outbox (study_id, recipient_user_id, recipient, subject, body, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&p.study_id)
            .bind(*user_id)
            .bind(username)
            .bind(&subject)
            .bind(&message)
            .bind(&at)
            .execute(&mut **tx)
            .await?;
        }
        let change = Change::new("unblind", "allocation", participant_id)
            .set("unblinded_at", &at)
            .because(reason);
        self.audit(tx, &p.study_id, by, &[change]).await?;
        let concealed = Change::new("unblind", "allocation", participant_id)
            .set("arm_id", &arm_id)
            .because(reason);
        self.audit(tx, &unblinded_chain(&p.study_id), by, &[concealed])
            .await?;
        self.allocation_in(tx, participant_id)
            .await?
            .ok_or_else(|| not_found("allocation", participant_id))
    }

    /// Records a refused unblinding (a wrong password).
    pub(crate) async fn unblind_failed_tx(
        &self,
        tx: &mut Transaction<'static, Any>,
        scope: &Scope,
        participant_id: i64,
        by: &Actor,
    ) -> Result<()> {
        self.participant_in(tx, scope, participant_id).await?;
        let change = Change::new("unblind-failed", "allocation", participant_id)
            .set("unblinding", "wrong password");
        self.audit(tx, scope.study(), by, &[change]).await
    }

    /// The notifications of a study for any of these roles, newest first.
    pub(crate) async fn notifications_read(
        &self,
        study: &str,
        roles: &[Role],
        reader: &Actor,
        only: Option<i64>,
    ) -> Result<Vec<Notification>> {
        if roles.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (0..roles.len()).map(|i| format!("${}", i + 4)).collect();
        let sql = format!(
            "SELECT n.id, n.study_id, n.role, n.kind, n.participant_id, n.message, n.created_at, \
             r.read_at FROM notifications n \
             LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.user_id = $2 \
             WHERE n.study_id = $1 AND ($3 < 0 OR n.id = $3) AND n.role IN ({}) ORDER BY n.id DESC",
            marks.join(", ")
        );
        let mut q = sqlx::query_as::<_, Notification>(&sql)
            .bind(study)
            .bind(reader.user_id.unwrap_or(-1))
            .bind(only.unwrap_or(-1));
        for r in roles {
            q = q.bind(r.as_str());
        }
        Ok(q.fetch_all(&self.pool).await?)
    }

    /// Records that `by` has read a notification addressed to one of `roles`; audited once.
    pub(crate) async fn acknowledge_notification_tx(
        &self,
        tx: &mut Transaction<'static, Any>,
        study: &str,
        roles: &[Role],
        id: i64,
        by: &Actor,
    ) -> Result<()> {
        let Some(user_id) = by.user_id else {
            return Err(StoreError::Invalid {
                field: "reader".into(),
                message: "only a user reads notifications".into(),
            });
        };
        let addressed = roles.iter().map(|r| r.as_str()).collect::<Vec<_>>();
        let role: Option<(String,)> =
            sqlx::query_as("SELECT role FROM notifications WHERE id = $1 AND study_id = $2")
                .bind(id)
                .bind(study)
                .fetch_optional(&mut **tx)
                .await?;
        match role {
            Some((role,)) if addressed.contains(&role.as_str()) => {}
            _ => return Err(not_found("notification", id)),
        }
        let at = now();
        let inserted = sqlx::query(
            "INSERT INTO notification_reads (notification_id, user_id, read_at) VALUES ($1, $2, $3) \
             ON CONFLICT (notification_id, user_id) DO NOTHING",
        )
        .bind(id)
        .bind(user_id)
        .bind(&at)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            let change = Change::new("acknowledge", "notification", id).set("read_at", &at);
            self.audit(tx, study, by, &[change]).await?;
        }
        Ok(())
    }

    /// The e-mail outbox of a study, oldest first.
    pub(crate) async fn outbox_read(&self, study: &str) -> Result<Vec<OutboxMessage>> {
        Ok(sqlx::query_as::<_, OutboxMessage>(
            "SELECT id, study_id, recipient_user_id, recipient, subject, body, created_at, sent_at \
             FROM outbox WHERE study_id = $1 ORDER BY id",
        )
        .bind(study)
        .fetch_all(&self.pool)
        .await?)
    }
}

//! Safety, the DSMB's part: the stopping rules that fired (recorded on the adverse events'
//! saves by `crate::gate`), the DSMB's signed decisions on them, the safety tables by arm,
//! dose level or pooled, and the DLT candidates of a Phase I participant. The rules are
//! `trial::safety`; this file loads, persists and audits.

use trial::safety::{
    dlt_candidates, safety_tables, AdverseEvent, DltCandidate, DsmbOutcome, SafetyTables,
};
use trial::{escalation, SignedRecord, Study};

use crate::db::Store;
use crate::events::{participant_events, study_events};
use crate::gate::{self, DsmbDecisionRecord, StoppingRuleFiring};
use crate::grouping::participant_groups;
pub use crate::grouping::{TableGrouping, UNASSIGNED};
use crate::model::{now, participant_in, Actor, Scope, User};
use crate::{not_found, Change, Result, StoreError};

/// A DSMB decision to record; the caller has checked the signer's password.
#[derive(Clone, Debug)]
pub struct NewDsmbDecision<'a> {
    /// The rule decided on (its latest firing is what is reviewed).
    pub rule_id: &'a str,
    /// What the DSMB decided.
    pub outcome: DsmbOutcome,
    /// Why.
    pub rationale: &'a str,
    /// The DSMB member signing.
    pub signer: &'a User,
}

/// The audit entity of a decision.
const DECISION_ENTITY: &str = "dsmb-decision";

impl Store {
    /// The stopping rules that fired in a study, oldest first. The messages name rules, event
    /// ids and counts, never an arm.
    pub async fn stopping_rule_firings(&self, study: &str) -> Result<Vec<StoppingRuleFiring>> {
        gate::firings(&mut *self.pool.acquire().await?, study).await
    }

    /// The DSMB's decisions in a study, oldest first.
    pub async fn dsmb_decisions(&self, study: &str) -> Result<Vec<DsmbDecisionRecord>> {
        gate::decisions(&mut *self.pool.acquire().await?, study).await
    }

    /// The fired rules that hold dosing and enrolment now (latest firing of each rule without a
    /// signed decision that resumes), as `(rule, message)`.
    pub async fn stopping_rules_holding(&self, study: &str) -> Result<Vec<(String, String)>> {
        let mut conn = self.pool.acquire().await?;
        let fired = gate::latest(&gate::firings(&mut conn, study).await?);
        let decided = gate::gate_decisions(&gate::decisions(&mut conn, study).await?);
        Ok(fired
            .into_iter()
            .filter(|rule| {
                trial::safety::check_gate(
                    trial::safety::Gated::Enrolment,
                    std::slice::from_ref(rule),
                    &decided,
                )
                .is_err()
            })
            .map(|rule| (rule.rule_id, rule.message))
            .collect())
    }

    /// Records a DSMB member's signed decision on the latest firing of a rule: the events
    /// reviewed are the firing's. A rule that has not fired is refused naming the fired ones.
    pub async fn record_dsmb_decision(
        &self,
        study: &str,
        decision: &NewDsmbDecision<'_>,
        by: &Actor,
    ) -> Result<DsmbDecisionRecord> {
        let (study, by, signer) = (study.to_string(), by.clone(), decision.signer.clone());
        let (rule_id, rationale) = (
            decision.rule_id.to_string(),
            decision.rationale.trim().to_string(),
        );
        let outcome = decision.outcome;
        self.write("record_dsmb_decision", move |mut tx| {
            Box::pin(async move {
                tx.lock_study(&study).await?;
                if rationale.is_empty() {
                    return Err(StoreError::Invalid {
                        field: "rationale".into(),
                        message: "is required: why the DSMB decided so".into(),
                    });
                }
                let firings = gate::firings(tx.conn(), &study).await?;
                let Some(firing) = firings.iter().rev().find(|f| f.rule_id == rule_id) else {
                    let mut fired: Vec<&str> = firings.iter().map(|f| f.rule_id.as_str()).collect();
                    fired.dedup();
                    return Err(trial::Refusal::not_allowed("rule_id", &rule_id, &fired).into());
                };
                let at = now();
                let sql = tx.sql(
                    "INSERT INTO dsmb_decisions (study_id, firing_id, rule_id, ae_ids, outcome, \
                     rationale, signer_user_id, signer_name, signed_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::timestamptz) RETURNING id",
                );
                let (id,): (i64,) = sqlx::query_as(&sql)
                    .bind(&study)
                    .bind(firing.id)
                    .bind(&rule_id)
                    .bind(&firing.ae_ids)
                    .bind(outcome.as_str())
                    .bind(&rationale)
                    .bind(signer.id)
                    .bind(&signer.full_name)
                    .bind(&at)
                    .fetch_one(tx.conn())
                    .await?;
                let record = format!("{rule_id}/{id}");
                let c = || Change::new("sign", DECISION_ENTITY, &record);
                let changes = [
                    c().set("firing", firing.id),
                    c().set("ae_ids", &firing.ae_ids),
                    c().set("outcome", outcome.as_str()).because(&rationale),
                    c().set("signer_name", &signer.full_name),
                    c().set("meaning", "DSMB decision on a stopping rule"),
                ];
                tx.audit(&study, &by, &changes).await?;
                gate::decisions(tx.conn(), &study)
                    .await?
                    .into_iter()
                    .find(|d| d.id == id)
                    .ok_or_else(|| not_found("DSMB decision", id))
            })
        })
        .await
    }

    /// Records a DSMB decision's signature refused for a wrong password (no participant: the
    /// row names the rule).
    pub async fn dsmb_signature_refused(
        &self,
        study: &str,
        what: &SignedRecord,
        by: &Actor,
    ) -> Result<()> {
        let (study, change, by) = (study.to_string(), what.refused(0), by.clone());
        self.write("dsmb_signature_refused", move |mut tx| {
            Box::pin(async move { tx.audit(&study, &by, &[change]).await })
        })
        .await
    }

    /// The safety tables of the participants in scope (enrolled, or ended after enrolment),
    /// grouped as asked.
    pub async fn safety_tables(
        &self,
        scope: &Scope,
        study: &Study,
        grouping: TableGrouping,
    ) -> Result<SafetyTables> {
        let mut conn = self.pool.acquire().await?;
        let groups = participant_groups(&mut conn, scope, study, grouping).await?;
        let events = study_events(&mut conn, &study.id).await?;
        let events: Vec<(i64, &AdverseEvent)> = events
            .iter()
            .map(|e| (e.participant_id, &e.event))
            .collect();
        let groups: Vec<(i64, &str)> = groups.iter().map(|(p, g)| (*p, g.as_str())).collect();
        Ok(safety_tables(&groups, &events))
    }

    /// The DLT candidates of a Phase I participant in scope: the events the study's DLT
    /// criteria propose within the DLT window (none before a dose level).
    pub async fn dlt_candidates(
        &self,
        scope: &Scope,
        study: &Study,
        participant_id: i64,
    ) -> Result<Vec<DltCandidate>> {
        let mut conn = self.pool.acquire().await?;
        let p = participant_in(&mut conn, scope, participant_id).await?;
        let level: Option<(String,)> =
            sqlx::query_as("SELECT level_id FROM dose_assignments WHERE participant_id = $1")
                .bind(participant_id)
                .fetch_optional(&mut *conn)
                .await?;
        let Some((level,)) = level else {
            return Ok(Vec::new());
        };
        let given = crate::model::dose_dates(&mut conn, participant_id).await?;
        let window = escalation::dlt_window_given(study, &level, p.anchor_date.as_deref(), &given)?;
        let events = participant_events(&mut conn, participant_id).await?;
        let events: Vec<(i64, &AdverseEvent)> = events.iter().map(|e| (e.id, &e.event)).collect();
        Ok(dlt_candidates(study.safety.dlt_criteria, window, &events))
    }
}

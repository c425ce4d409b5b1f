//! The stopping rules' gate, below the features: the safety feature evaluates the study's
//! stopping rules on every adverse event's save (inside that write) and records what fires;
//! enrolment and dose assignment check the gate inside their own writes. The rules are
//! `trial::safety::{evaluate_stopping_rules, check_gate}`; this module reads and records.

use serde::Serialize;
use sqlx::AnyConnection;
use trial::safety::{
    check_gate, evaluate_stopping_rules, firings_to_record, latest_firings, Causality,
    DsmbDecision, DsmbOutcome, FiredRule, Gated, StudyEvent,
};
use trial::{Role, Study};

use crate::db::Tx;
use crate::dialect::{dialect_of, render};
use crate::events::study_events;
use crate::model::{now, Actor};
use crate::{Change, Result, StoreError};

/// The roles told when a stopping rule fires (never an arm: the message names the rule, the
/// events' ids and counts).
pub const STOPPING_RULE_NOTIFIED: [Role; 4] = [
    Role::SponsorAdmin,
    Role::DsmbMember,
    Role::DsmbStatistician,
    Role::SafetyPhysician,
];

/// The audit entity of a firing.
const FIRING_ENTITY: &str = "stopping-rule";

/// A stopping rule that fired, as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct StoppingRuleFiring {
    /// Its id.
    pub id: i64,
    /// The study.
    pub study_id: String,
    /// The rule's id in the study definition.
    pub rule_id: String,
    /// The adverse events that fired it, comma-separated in id order.
    pub ae_ids: String,
    /// What happened, naming the rule.
    pub message: String,
    /// When (UTC).
    #[schema(format = DateTime)]
    pub fired_at: String,
    /// Whose save of an adverse event fired it.
    pub fired_by: String,
}

/// A DSMB decision, as recorded and signed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct DsmbDecisionRecord {
    /// Its id.
    pub id: i64,
    /// The study.
    pub study_id: String,
    /// The firing decided on.
    pub firing_id: i64,
    /// The rule.
    pub rule_id: String,
    /// The adverse events reviewed (the firing's), comma-separated in id order.
    pub ae_ids: String,
    /// `continue`, `continue-with-changes`, `pause` or `terminate`.
    pub outcome: String,
    /// Why, in the DSMB's words.
    pub rationale: String,
    /// The signer's printed name.
    pub signer_name: String,
    /// When signed (UTC).
    #[schema(format = DateTime)]
    pub signed_at: String,
}

/// Event ids as stored: comma-separated, in order.
pub(crate) fn ids_text(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// Event ids from their stored text (a word that is not a number is skipped: the store writes
/// only numbers).
pub(crate) fn ids_of(text: &str) -> Vec<i64> {
    text.split(',').filter_map(|w| w.parse().ok()).collect()
}

/// A study's definition as loaded (`None` for a study not loaded).
pub(crate) async fn study_definition(
    conn: &mut AnyConnection,
    study: &str,
) -> Result<Option<Study>> {
    let text: Option<(String,)> = sqlx::query_as("SELECT definition FROM studies WHERE id = $1")
        .bind(study)
        .fetch_optional(&mut *conn)
        .await?;
    text.map(|(t,)| {
        Study::from_toml(&t).map_err(|e| StoreError::Invalid {
            field: "definition".into(),
            message: format!("the stored definition of {study} no longer reads: {e}"),
        })
    })
    .transpose()
}

/// Every firing of a study's rules, oldest first.
pub(crate) async fn firings(
    conn: &mut AnyConnection,
    study: &str,
) -> Result<Vec<StoppingRuleFiring>> {
    let sql = render(
        dialect_of(conn),
        "SELECT id, study_id, rule_id, ae_ids, message, fired_at::instant, fired_by \
         FROM stopping_rule_firings WHERE study_id = $1 ORDER BY id",
    );
    Ok(sqlx::query_as(&sql)
        .bind(study)
        .fetch_all(&mut *conn)
        .await?)
}

/// Every DSMB decision of a study, oldest first.
pub(crate) async fn decisions(
    conn: &mut AnyConnection,
    study: &str,
) -> Result<Vec<DsmbDecisionRecord>> {
    let sql = render(
        dialect_of(conn),
        "SELECT id, study_id, firing_id, rule_id, ae_ids, outcome, rationale, signer_name, \
         signed_at::instant FROM dsmb_decisions WHERE study_id = $1 ORDER BY id",
    );
    Ok(sqlx::query_as(&sql)
        .bind(study)
        .fetch_all(&mut *conn)
        .await?)
}

/// The latest firing of each rule that fired, as the gate reads it, in order of first firing.
pub(crate) fn latest(firings: &[StoppingRuleFiring]) -> Vec<FiredRule> {
    latest_firings(firings.iter().map(|f| FiredRule {
        rule_id: f.rule_id.clone(),
        message: f.message.clone(),
        ae_ids: ids_of(&f.ae_ids),
    }))
}

/// The decisions as the gate reads them (each stored decision carries its signature).
pub(crate) fn gate_decisions(decisions: &[DsmbDecisionRecord]) -> Vec<DsmbDecision> {
    decisions
        .iter()
        .filter_map(|d| {
            Some(DsmbDecision {
                rule_id: d.rule_id.clone(),
                ae_ids: ids_of(&d.ae_ids),
                outcome: DsmbOutcome::parse(&d.outcome)?,
                signed: true,
            })
        })
        .collect()
}

/// Refuses `action` (inside its write) while a fired stopping rule of the study has no signed
/// DSMB decision letting the study resume; the refusal names the rule.
pub(crate) async fn check(tx: &mut Tx<'_>, study: &str, action: Gated) -> Result<()> {
    let fired = latest(&firings(tx.conn(), study).await?);
    if fired.is_empty() {
        return Ok(());
    }
    let decided = gate_decisions(&decisions(tx.conn(), study).await?);
    Ok(check_gate(action, &fired, &decided)?)
}

/// The study's participants in dosing order: dose level assigned (Phase I) or randomised
/// (Phase II), earliest first.
async fn dosing_order(conn: &mut AnyConnection, study: &str) -> Result<Vec<i64>> {
    let sql = render(
        dialect_of(conn),
        "SELECT participant_id, assigned_at::instant AS at FROM dose_assignments WHERE study_id = $1 \
         UNION ALL SELECT participant_id, randomised_at::instant AS at FROM allocations \
         WHERE study_id = $1 ORDER BY at, participant_id",
    );
    let rows: Vec<(i64, String)> = sqlx::query_as(&sql)
        .bind(study)
        .fetch_all(&mut *conn)
        .await?;
    let mut order: Vec<i64> = Vec::with_capacity(rows.len());
    for (p, _) in rows {
        if !order.contains(&p) {
            order.push(p);
        }
    }
    Ok(order)
}

/// Evaluates the study's stopping rules after an adverse event's save, inside that write: a
/// rule that fires on an event its latest firing did not name is recorded (audited on the
/// study's chain) and the roles of [`STOPPING_RULE_NOTIFIED`] are notified. The study's row is
/// taken first (PostgreSQL), so saves of one study are evaluated one after another and each
/// sees the events of the saves committed before it: no firing is lost.
pub(crate) async fn evaluate_after_event_save(
    tx: &mut Tx<'_>,
    study: &str,
    by: &Actor,
) -> Result<Vec<StoppingRuleFiring>> {
    tx.lock_study(study).await?;
    let Some(definition) = study_definition(tx.conn(), study).await? else {
        return Ok(Vec::new());
    };
    let rules = &definition.safety.stopping_rules;
    if rules.is_empty() {
        return Ok(Vec::new());
    }
    let events = study_events(tx.conn(), study).await?;
    let order = dosing_order(tx.conn(), study).await?;
    let sponsor = sponsor_causalities(tx.conn(), study).await?;
    let study_events: Vec<StudyEvent<'_>> = events
        .iter()
        .map(|e| StudyEvent {
            ae_id: e.id,
            participant_id: e.participant_id,
            event: &e.event,
            sponsor_causality: sponsor.get(&e.id).copied(),
        })
        .collect();
    let fired = evaluate_stopping_rules(rules, &order, &study_events);
    let known = latest(&firings(tx.conn(), study).await?);
    let mut recorded = Vec::new();
    for rule in firings_to_record(fired, &known) {
        recorded.push(record_firing(tx, study, &rule, by).await?);
    }
    Ok(recorded)
}

/// The sponsor's causality of each assessed event of the study (a related assessment by the
/// sponsor counts for the stopping rules as the investigator's does).
async fn sponsor_causalities(
    conn: &mut AnyConnection,
    study: &str,
) -> Result<std::collections::HashMap<i64, Causality>> {
    let sql = render(
        dialect_of(conn),
        "SELECT c.ae_id, c.sponsor_causality FROM safety_cases c \
         JOIN adverse_events e ON e.id = c.ae_id \
         JOIN participants p ON p.id = e.participant_id \
         WHERE p.study_id = $1 AND c.sponsor_causality IS NOT NULL",
    );
    let rows: Vec<(i64, String)> = sqlx::query_as(&sql)
        .bind(study)
        .fetch_all(&mut *conn)
        .await?;
    rows.into_iter()
        .map(|(id, text)| {
            Causality::parse(&text)
                .map(|c| (id, c))
                .ok_or_else(|| StoreError::Invalid {
                    field: "sponsor_causality".into(),
                    message: format!("adverse event {id}: {text:?} is not a stored value"),
                })
        })
        .collect()
}

/// Records one firing, audits it and notifies.
async fn record_firing(
    tx: &mut Tx<'_>,
    study: &str,
    rule: &FiredRule,
    by: &Actor,
) -> Result<StoppingRuleFiring> {
    let at = now();
    let ids = ids_text(&rule.ae_ids);
    let sql = tx.sql(
        "INSERT INTO stopping_rule_firings (study_id, rule_id, ae_ids, message, fired_at, fired_by) \
         VALUES ($1, $2, $3, $4, $5::timestamptz, $6) RETURNING id",
    );
    let (id,): (i64,) = sqlx::query_as(&sql)
        .bind(study)
        .bind(&rule.rule_id)
        .bind(&ids)
        .bind(&rule.message)
        .bind(&at)
        .bind(&by.username)
        .fetch_one(tx.conn())
        .await?;
    let record = format!("{}/{id}", rule.rule_id);
    let changes = [
        Change::new("fire", FIRING_ENTITY, &record).set("ae_ids", &ids),
        Change::new("fire", FIRING_ENTITY, &record).set("message", &rule.message),
    ];
    tx.audit(study, by, &changes).await?;
    for role in STOPPING_RULE_NOTIFIED {
        sqlx::query(&tx.sql(
            "INSERT INTO notifications (study_id, role, kind, participant_id, message, created_at) \
             VALUES ($1, $2, $3, NULL, $4, $5::timestamptz)",
        ))
        .bind(study)
        .bind(role.as_str())
        .bind("stopping-rule")
        .bind(format!(
            "{} Dosing and enrolment are paused until the DSMB records a signed decision.",
            rule.message
        ))
        .bind(&at)
        .execute(tx.conn())
        .await?;
    }
    Ok(StoppingRuleFiring {
        id,
        study_id: study.to_string(),
        rule_id: rule.rule_id.clone(),
        ae_ids: ids,
        message: rule.message.clone(),
        fired_at: at,
        fired_by: by.username.clone(),
    })
}

//! The expedited reports of SUSAR cases as E2B(R3) cases: everything the message needs (the
//! event, the participant, the site, the reporting investigator, the sponsor's assessment, the
//! reports recorded and the actual treatment), loaded in one write because reading the arm
//! for the report is an unblinded read: each case exported is audited on the study's unblinded
//! chain, with the treatment shown. The message and the narratives are
//! `trial::safety::{icsr_xml, narrative_html}`'s.

use sqlx::AnyConnection;
use time::OffsetDateTime;
use trial::safety::{report_cases, Case, CaseFacts, Sender};
use trial::{Sex, Study};

use super::cases::{case_ids, load, Loaded};
use crate::allocation::unblinded_chain;
use crate::db::Store;
use crate::model::{parse_date, parse_instant, Actor};
use crate::{Change, Result, Scope, StoreError};

/// The audit action of an export.
pub const E2B_EXPORT: &str = "export-e2b";

impl Store {
    /// The E2B(R3) cases of the study's SUSARs in `scope` (or of event `ae` only): for each
    /// authority every recorded report version, or the initial report dated now when none is
    /// recorded. A case with reports that is no longer a SUSAR keeps them (its follow-ups
    /// report the downgrade). Each case exported is audited on the unblinded chain (the
    /// treatment shown, the versions written). For one event, one that is not a SUSAR and has
    /// no report is refused (naming `case`), one out of scope is not found. The caller decides
    /// who may: pharmacovigilance, and the operator's command.
    pub async fn e2b_cases(
        &self,
        study: &Study,
        scope: &Scope,
        ae: Option<i64>,
        sender: &Sender,
        by: &Actor,
    ) -> Result<Vec<Case>> {
        let (study, scope, sender, by) = (study.clone(), scope.clone(), sender.clone(), by.clone());
        self.write("e2b_cases", move |mut tx| {
            Box::pin(async move {
                let now = OffsetDateTime::now_utc();
                let ids = match ae {
                    Some(id) => vec![id],
                    None => case_ids(tx.conn(), &scope).await?,
                };
                let mut cases = Vec::new();
                for id in ids {
                    let loaded = load(tx.conn(), &scope, id).await?;
                    let classification = loaded.classification(&study);
                    if !classification.susar && loaded.reports.is_empty() {
                        if ae.is_some() {
                            return Err(StoreError::Conflict {
                                field: "case".into(),
                                message: "is not a SUSAR (serious, related by the investigator \
                                          or the sponsor, and unexpected): it has no expedited \
                                          report"
                                    .into(),
                            });
                        }
                        continue;
                    }
                    let Some(first_knowledge) = loaded.state.first_knowledge else {
                        if ae.is_some() {
                            return Err(StoreError::Conflict {
                                field: "first_knowledge".into(),
                                message: "the sponsor has no first knowledge of the case yet: \
                                          the site reports it, or the safety physician records \
                                          when the sponsor learnt of it"
                                    .into(),
                            });
                        }
                        continue;
                    };
                    let treatment = treatment(tx.conn(), loaded.participant.id).await?;
                    let reporter = reporter(tx.conn(), &loaded).await?;
                    let mut reports = Vec::new();
                    for r in &loaded.reports {
                        let at =
                            parse_instant(&r.submitted_at).ok_or_else(|| StoreError::Invalid {
                                field: "submitted_at".into(),
                                message: format!("{:?} is not a stored instant", r.submitted_at),
                            })?;
                        reports.push((r.authority, r.version, at));
                    }
                    let participant = &loaded.participant;
                    let label = loaded.label();
                    let made = report_cases(CaseFacts {
                        study: &study,
                        sender: &sender,
                        event_id: loaded.event.id,
                        event: &loaded.event.event,
                        subject_id: &label,
                        site_id: &participant.site_id,
                        sex: Sex::parse(&participant.sex),
                        date_of_birth: parse_date(&participant.date_of_birth),
                        reporter: reporter.as_deref(),
                        treatment: treatment.as_deref(),
                        first_dose: participant.anchor_date.as_deref().and_then(parse_date),
                        sponsor: loaded.sponsor.as_ref().map(|s| s.0),
                        classification: &classification,
                        first_knowledge,
                        reports: &reports,
                        now,
                    });
                    let versions: Vec<String> = made.iter().map(Case::message_id).collect();
                    let record = loaded.record();
                    let changes = [
                        Change::new(E2B_EXPORT, "safety-case", &record)
                            .set("treatment", treatment.as_deref().unwrap_or("none"))
                            .because("expedited report of a SUSAR"),
                        Change::new(E2B_EXPORT, "safety-case", &record)
                            .set("versions", versions.join(","))
                            .because("expedited report of a SUSAR"),
                    ];
                    tx.audit(&unblinded_chain(scope.study()), &by, &changes)
                        .await?;
                    cases.extend(made);
                }
                Ok(cases)
            })
        })
        .await
    }
}

/// The arm (randomised) or dose level (dose escalation) the participant was given.
async fn treatment(conn: &mut AnyConnection, participant_id: i64) -> Result<Option<String>> {
    let arm: Option<(String,)> =
        sqlx::query_as("SELECT arm_id FROM allocations WHERE participant_id = $1")
            .bind(participant_id)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some((arm,)) = arm {
        return Ok(Some(arm));
    }
    let level: Option<(String,)> =
        sqlx::query_as("SELECT level_id FROM dose_assignments WHERE participant_id = $1")
            .bind(participant_id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(level.map(|(l,)| l))
}

/// The reporting investigator's name: who reported the case to the sponsor, else who recorded
/// the event; their full name when they have an account.
async fn reporter(conn: &mut AnyConnection, loaded: &Loaded) -> Result<Option<String>> {
    let username = loaded
        .reported_by
        .clone()
        .unwrap_or_else(|| loaded.event.recorded_by.clone());
    let name: Option<(String,)> = sqlx::query_as("SELECT full_name FROM users WHERE username = $1")
        .bind(&username)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(Some(name.map_or(username, |(n,)| n)))
}

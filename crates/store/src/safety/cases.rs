//! Serious adverse events as cases: the site's awareness (kept when an event is first saved
//! serious) and its report to the sponsor, the safety physician's assessment beside the
//! investigator's, the expedited reports pharmacovigilance records, the arm of a SUSAR shown
//! to pharmacovigilance (each view audited on the unblinded chain), and the open clocks. The
//! rules are `trial::safety`'s; the notices about the clocks are in `notices.rs`.

use serde::Serialize;
use sqlx::AnyConnection;
use time::OffsetDateTime;
use trial::safety::{
    assessment_first_knowledge, check_assessable, classify, decide_expedited_report,
    decide_site_report, decide_sponsor_assessment, event_record, open_clocks, site_awareness,
    site_awareness_change, Authority, CaseState, Causality, Classification, ClockKind,
    Expectedness, OpenClock, ReportContext, ReportKind, ReportSent, SponsorAssessment,
};
use trial::Study;

use super::{event_in, AdverseEventRecord};
use crate::allocation::unblinded_chain;
use crate::db::{Store, Tx};
use crate::dialect::{dialect_of, render};
use crate::model::{instant, parse_instant, participant_in, scope_filter, Actor, Participant};
use crate::{not_found, Change, Result, Scope, StoreError};

/// A serious adverse event as a case: the event with the investigator's assessment, the
/// sponsor's beside it, the classification, the open clocks and the expedited reports. It
/// carries no arm.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SafetyCase {
    /// The event's id.
    pub ae_id: i64,
    /// The participant's id.
    pub participant_id: i64,
    /// The participant as people name them: the subject id, else the screening number.
    pub participant: String,
    /// The participant's site.
    pub site_id: String,
    /// The event, with the investigator's assessment.
    pub event: AdverseEventRecord,
    /// When the site became aware that the event is serious (UTC).
    #[schema(format = DateTime)]
    pub site_aware_at: Option<String>,
    /// When the site reported it to the sponsor (UTC).
    #[schema(format = DateTime)]
    pub site_reported_at: Option<String>,
    /// Who reported it.
    pub site_reported_by: Option<String>,
    /// The sponsor's first knowledge: day 0 of the SUSAR clocks (UTC).
    #[schema(format = DateTime)]
    pub first_knowledge: Option<String>,
    /// The safety physician's assessment, once recorded.
    pub sponsor: Option<SponsorAssessmentRecord>,
    /// What the event is for expedited reporting.
    pub classification: Classification,
    /// The clocks still open, overdue first, then the soonest due.
    pub clocks: Vec<ClockRecord>,
    /// The expedited reports recorded, in order.
    pub reports: Vec<ExpeditedReport>,
}

/// The safety physician's assessment as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SponsorAssessmentRecord {
    /// Causality to the product, by the sponsor.
    pub causality: Causality,
    /// Expectedness, by the sponsor.
    pub expectedness: Expectedness,
    /// Who assessed.
    pub assessed_by: String,
    /// When it was last recorded (UTC).
    #[schema(format = DateTime)]
    pub assessed_at: String,
}

/// An expedited report submitted to an authority.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ExpeditedReport {
    /// Its id.
    pub id: i64,
    /// The event.
    pub ae_id: i64,
    /// To whom.
    pub authority: Authority,
    /// Initial or follow-up.
    pub kind: ReportKind,
    /// Its version for the authority (1: the initial report).
    pub version: i64,
    /// The clock it closed, if any.
    pub answers: Option<ClockKind>,
    /// When it was submitted (UTC).
    #[schema(format = DateTime)]
    pub submitted_at: String,
    /// Who recorded it.
    pub recorded_by: String,
    /// When it was recorded (UTC).
    #[schema(format = DateTime)]
    pub recorded_at: String,
}

/// An open clock of a case, as the safety page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ClockRecord {
    /// The event.
    pub ae_id: i64,
    /// The participant's id.
    pub participant_id: i64,
    /// The participant: the subject id, else the screening number.
    pub participant: String,
    /// The participant's site.
    pub site_id: String,
    /// The event's term.
    pub term: String,
    /// What the clock counts down to.
    pub kind: ClockKind,
    /// When it started (UTC).
    #[schema(format = DateTime)]
    pub started: String,
    /// The last day to report.
    #[schema(format = Date)]
    pub due: String,
    /// When it is overdue from (UTC).
    #[schema(format = DateTime)]
    pub deadline: String,
    /// Calendar days from today to the due date (negative once overdue).
    pub days_left: i64,
    /// Whether it is overdue now.
    pub overdue: bool,
    /// The authorities a SUSAR clock still awaits a report to.
    pub awaiting: Vec<Authority>,
}

/// The safety physician's assessment as entered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SponsorInput {
    /// Causality to the product.
    pub causality: Causality,
    /// Expectedness against the reference safety information.
    pub expectedness: Expectedness,
    /// When the sponsor first knew, if earlier than the site's report (first assessment only).
    pub first_knowledge: Option<OffsetDateTime>,
    /// Why a recorded assessment changes.
    pub reason: Option<String>,
}

/// A case as loaded, with what the rules read.
pub(super) struct Loaded {
    pub(super) participant: Participant,
    pub(super) event: AdverseEventRecord,
    pub(super) state: CaseState,
    pub(super) reported_by: Option<String>,
    pub(super) sponsor: Option<(SponsorAssessment, String, String)>,
    pub(super) reports: Vec<ExpeditedReport>,
}

impl Loaded {
    pub(super) fn record(&self) -> String {
        event_record(self.participant.id, self.event.id)
    }

    pub(super) fn label(&self) -> String {
        self.participant
            .subject_id
            .clone()
            .unwrap_or_else(|| self.participant.screening_number.clone())
    }

    pub(super) fn classification(&self, study: &Study) -> Classification {
        classify(
            &self.event.event,
            self.sponsor.as_ref().map(|s| &s.0),
            study.safety.expectedness(&self.event.event.term),
        )
    }

    fn sent(&self) -> Vec<ReportSent> {
        self.reports
            .iter()
            .map(|r| ReportSent {
                authority: r.authority,
                kind: r.kind,
            })
            .collect()
    }

    /// The open clocks, given the classification.
    pub(super) fn open(&self, classification: &Classification) -> Vec<OpenClock> {
        open_clocks(&self.event.event, classification, &self.state, &self.sent())
    }

    fn clock_records(&self, study: &Study, now: OffsetDateTime) -> Vec<ClockRecord> {
        self.open(&self.classification(study))
            .into_iter()
            .map(|o| ClockRecord {
                ae_id: self.event.id,
                participant_id: self.participant.id,
                participant: self.label(),
                site_id: self.participant.site_id.clone(),
                term: self.event.event.term.clone(),
                kind: o.clock.kind,
                started: instant(o.clock.started),
                due: crate::model::date(o.clock.due),
                deadline: instant(o.clock.deadline),
                days_left: o.clock.days_left(now.date()),
                overdue: o.clock.is_overdue(now),
                awaiting: o.awaiting,
            })
            .collect()
    }

    fn case(self, study: &Study, now: OffsetDateTime) -> SafetyCase {
        let classification = self.classification(study);
        let clocks = self.clock_records(study, now);
        let at = |t: Option<OffsetDateTime>| t.map(instant);
        SafetyCase {
            ae_id: self.event.id,
            participant_id: self.participant.id,
            participant: self.label(),
            site_id: self.participant.site_id.clone(),
            site_aware_at: at(self.state.site_aware),
            site_reported_at: at(self.state.site_reported),
            site_reported_by: self.reported_by,
            first_knowledge: at(self.state.first_knowledge),
            sponsor: self.sponsor.map(|(s, by, at)| SponsorAssessmentRecord {
                causality: s.causality,
                expectedness: s.expectedness,
                assessed_by: by,
                assessed_at: at,
            }),
            classification,
            clocks,
            reports: self.reports,
            event: self.event,
        }
    }
}

#[derive(sqlx::FromRow)]
struct CaseRow {
    site_aware_at: Option<String>,
    site_reported_at: Option<String>,
    site_reported_by: Option<String>,
    first_known_at: Option<String>,
    sponsor_causality: Option<String>,
    sponsor_expectedness: Option<String>,
    assessed_by: Option<String>,
    assessed_at: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ReportRow {
    id: i64,
    ae_id: i64,
    authority: String,
    kind: String,
    version: i64,
    answers: Option<String>,
    submitted_at: String,
    recorded_by: String,
    recorded_at: String,
}

/// A value the store did not write: an error naming the column.
fn bad(column: &str, value: &str) -> StoreError {
    StoreError::Invalid {
        field: column.to_string(),
        message: format!("{value:?} is not a stored value"),
    }
}

fn when(column: &str, text: Option<&str>) -> Result<Option<OffsetDateTime>> {
    text.map(|t| parse_instant(t).ok_or_else(|| bad(column, t)))
        .transpose()
}

/// The participant of an event, if the event exists.
async fn participant_of(conn: &mut AnyConnection, ae_id: i64) -> Result<i64> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT participant_id FROM adverse_events WHERE id = $1")
            .bind(ae_id)
            .fetch_optional(&mut *conn)
            .await?;
    row.map(|(p,)| p)
        .ok_or_else(|| not_found("adverse event", ae_id))
}

/// Loads a case: the event in scope (else not found), its state, assessment and reports.
pub(super) async fn load(conn: &mut AnyConnection, scope: &Scope, ae_id: i64) -> Result<Loaded> {
    let participant_id = participant_of(conn, ae_id).await?;
    // An event out of scope is not found as such: the error names no participant.
    let participant = participant_in(conn, scope, participant_id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound { .. } => not_found("adverse event", ae_id),
            e => e,
        })?;
    let event = event_in(conn, scope, participant_id, ae_id).await?;
    let dialect = dialect_of(conn);
    let row: Option<CaseRow> = sqlx::query_as(&render(
        dialect,
        "SELECT site_aware_at::instant, site_reported_at::instant, site_reported_by, \
         first_known_at::instant, sponsor_causality, sponsor_expectedness, assessed_by, \
         assessed_at::instant FROM safety_cases WHERE ae_id = $1",
    ))
    .bind(ae_id)
    .fetch_optional(&mut *conn)
    .await?;
    let mut state = CaseState::default();
    let mut sponsor = None;
    let mut reported_by = None;
    if let Some(r) = row {
        state.site_aware = when("site_aware_at", r.site_aware_at.as_deref())?;
        state.site_reported = when("site_reported_at", r.site_reported_at.as_deref())?;
        state.first_knowledge = when("first_known_at", r.first_known_at.as_deref())?;
        reported_by = r.site_reported_by;
        if let (Some(c), Some(e), Some(by), Some(at), Some(known)) = (
            r.sponsor_causality,
            r.sponsor_expectedness,
            r.assessed_by,
            r.assessed_at,
            state.first_knowledge,
        ) {
            let assessment = SponsorAssessment {
                causality: Causality::parse(&c).ok_or_else(|| bad("sponsor_causality", &c))?,
                expectedness: Expectedness::parse(&e)
                    .ok_or_else(|| bad("sponsor_expectedness", &e))?,
                first_knowledge: known,
            };
            sponsor = Some((assessment, by, at));
        }
    }
    let rows: Vec<ReportRow> = sqlx::query_as(&render(
        dialect,
        "SELECT id, ae_id, authority, kind, version, answers, submitted_at::instant, \
         recorded_by, recorded_at::instant FROM expedited_reports WHERE ae_id = $1 ORDER BY id",
    ))
    .bind(ae_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut reports = Vec::new();
    for r in rows {
        reports.push(ExpeditedReport {
            authority: Authority::parse(&r.authority)
                .ok_or_else(|| bad("authority", &r.authority))?,
            kind: ReportKind::parse(&r.kind).ok_or_else(|| bad("kind", &r.kind))?,
            answers: r
                .answers
                .as_deref()
                .map(|a| ClockKind::parse(a).ok_or_else(|| bad("answers", a)))
                .transpose()?,
            id: r.id,
            ae_id: r.ae_id,
            version: r.version,
            submitted_at: r.submitted_at,
            recorded_by: r.recorded_by,
            recorded_at: r.recorded_at,
        });
    }
    Ok(Loaded {
        participant,
        event,
        state,
        reported_by,
        sponsor,
        reports,
    })
}

/// Makes sure the case has its row.
async fn ensure_row(tx: &mut Tx<'_>, ae_id: i64) -> Result<()> {
    sqlx::query("INSERT INTO safety_cases (ae_id) VALUES ($1) ON CONFLICT (ae_id) DO NOTHING")
        .bind(ae_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Takes the case's row for the rest of the write (PostgreSQL; SQLite has one writer), so that
/// two writes of one case do not both decide from the same state; the event must exist.
async fn lock_case(tx: &mut Tx<'_>, ae_id: i64) -> Result<()> {
    participant_of(tx.conn(), ae_id).await?;
    ensure_row(tx, ae_id).await?;
    let lock = tx.for_update();
    sqlx::query(&format!(
        "SELECT ae_id FROM safety_cases WHERE ae_id = $1{lock}"
    ))
    .bind(ae_id)
    .fetch_optional(tx.conn())
    .await?;
    Ok(())
}

/// After an event's save (inside its write): when it is serious and the site was not aware
/// yet, keeps the instant (the site's 24-hour clock starts), audits it, and sends the clock's
/// notice.
pub(super) async fn event_saved(
    tx: &mut Tx<'_>,
    scope: &Scope,
    ae_id: i64,
    by: &Actor,
) -> Result<()> {
    let loaded = load(tx.conn(), scope, ae_id).await?;
    let now = OffsetDateTime::now_utc();
    let Some(at) = site_awareness(&loaded.event.event, loaded.state.site_aware, now) else {
        return Ok(());
    };
    ensure_row(tx, ae_id).await?;
    sqlx::query(
        &tx.sql("UPDATE safety_cases SET site_aware_at = $1::timestamptz WHERE ae_id = $2"),
    )
    .bind(instant(at))
    .bind(ae_id)
    .execute(tx.conn())
    .await?;
    tx.audit(
        scope.study(),
        by,
        &[site_awareness_change(&loaded.record(), at)],
    )
    .await?;
    // Without the study's reference safety information only the site's clock is known here;
    // the SUSAR clocks' notices go out with the case's own writes and the sweep.
    let loaded = load(tx.conn(), scope, ae_id).await?;
    let site_only = classify(&loaded.event.event, None, Expectedness::Expected);
    super::notices::notify(tx, &loaded, &loaded.open(&site_only), now, by).await?;
    Ok(())
}

impl Store {
    /// A case of the study in scope, with its open clocks at `now`.
    pub async fn safety_case(
        &self,
        study: &Study,
        scope: &Scope,
        ae_id: i64,
        now: OffsetDateTime,
    ) -> Result<SafetyCase> {
        let mut conn = self.pool.acquire().await?;
        Ok(load(&mut conn, scope, ae_id).await?.case(study, now))
    }

    /// The site reports a serious event of a participant in scope to the sponsor: the site's
    /// clock stops and the sponsor's first knowledge is fixed (unless an earlier one was
    /// recorded). Refused for an event that is not serious, or reported already.
    pub async fn report_sae(
        &self,
        study: &Study,
        scope: &Scope,
        participant_id: i64,
        ae_id: i64,
        by: &Actor,
    ) -> Result<SafetyCase> {
        let (study, scope, by) = (study.clone(), scope.clone(), by.clone());
        self.write("report_sae", move |mut tx| {
            Box::pin(async move {
                lock_case(&mut tx, ae_id).await?;
                let loaded = load(tx.conn(), &scope, ae_id).await?;
                if loaded.participant.id != participant_id {
                    return Err(not_found("adverse event", ae_id));
                }
                let now = OffsetDateTime::now_utc();
                let report =
                    decide_site_report(&loaded.record(), &loaded.event.event, &loaded.state, now)?;
                ensure_row(&mut tx, ae_id).await?;
                sqlx::query(&tx.sql(
                    "UPDATE safety_cases SET site_reported_at = $1::timestamptz, \
                     site_reported_by = $2, first_known_at = $3::timestamptz WHERE ae_id = $4",
                ))
                .bind(instant(now))
                .bind(&by.username)
                .bind(instant(report.first_knowledge))
                .bind(ae_id)
                .execute(tx.conn())
                .await?;
                tx.audit(scope.study(), &by, &report.changes).await?;
                finish(&mut tx, &study, &scope, ae_id, now, &by).await
            })
        })
        .await
    }

    /// The safety physician records (or, with a reason, changes) the sponsor's causality and
    /// expectedness of a serious event; the investigator's stay as they are. Audited field by
    /// field on the study's chain.
    pub async fn assess_case(
        &self,
        study: &Study,
        scope: &Scope,
        ae_id: i64,
        input: &SponsorInput,
        by: &Actor,
    ) -> Result<SafetyCase> {
        let (study, scope, input, by) = (study.clone(), scope.clone(), input.clone(), by.clone());
        self.write("assess_case", move |mut tx| {
            Box::pin(async move {
                lock_case(&mut tx, ae_id).await?;
                let loaded = load(tx.conn(), &scope, ae_id).await?;
                check_assessable(&loaded.event.event)?;
                let now = OffsetDateTime::now_utc();
                let before = loaded.sponsor.as_ref().map(|s| s.0);
                let first_knowledge = assessment_first_knowledge(
                    &loaded.state,
                    before.map(|b| b.first_knowledge),
                    input.first_knowledge,
                    now,
                )?;
                let after = SponsorAssessment {
                    causality: input.causality,
                    expectedness: input.expectedness,
                    first_knowledge,
                };
                let changes = decide_sponsor_assessment(
                    &loaded.record(),
                    before.as_ref(),
                    &after,
                    input.reason.as_deref(),
                )?;
                ensure_row(&mut tx, ae_id).await?;
                sqlx::query(&tx.sql(
                    "UPDATE safety_cases SET sponsor_causality = $1, sponsor_expectedness = $2, \
                     first_known_at = $3::timestamptz, assessed_by = $4, \
                     assessed_at = $5::timestamptz WHERE ae_id = $6",
                ))
                .bind(after.causality.as_str())
                .bind(after.expectedness.as_str())
                .bind(instant(first_knowledge))
                .bind(&by.username)
                .bind(instant(now))
                .bind(ae_id)
                .execute(tx.conn())
                .await?;
                tx.audit(scope.study(), &by, &changes).await?;
                // The sponsor's causality counts for the stopping rules too.
                crate::gate::evaluate_after_event_save(&mut tx, scope.study(), &by).await?;
                finish(&mut tx, &study, &scope, ae_id, now, &by).await
            })
        })
        .await
    }

    /// Pharmacovigilance records an expedited report of a case submitted to an authority
    /// (`submitted`: now when not given); it closes the clock it answers.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_expedited_report(
        &self,
        study: &Study,
        scope: &Scope,
        ae_id: i64,
        authority: Authority,
        kind: ReportKind,
        submitted: Option<OffsetDateTime>,
        by: &Actor,
    ) -> Result<ExpeditedReport> {
        let (study, scope, by) = (study.clone(), scope.clone(), by.clone());
        self.write("record_expedited_report", move |mut tx| {
            Box::pin(async move {
                lock_case(&mut tx, ae_id).await?;
                let loaded = load(tx.conn(), &scope, ae_id).await?;
                let now = OffsetDateTime::now_utc();
                let classification = loaded.classification(&study);
                let sent = loaded.sent();
                let record = loaded.record();
                let report = decide_expedited_report(
                    ReportContext {
                        record: &record,
                        event: &loaded.event.event,
                        classification: &classification,
                        state: &loaded.state,
                        earlier: &sent,
                        now,
                    },
                    authority,
                    kind,
                    submitted.unwrap_or(now),
                )?;
                sqlx::query(&tx.sql(
                    "INSERT INTO expedited_reports (ae_id, authority, kind, version, answers, \
                     submitted_at, recorded_by, recorded_at) \
                     VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $7, $8::timestamptz)",
                ))
                .bind(ae_id)
                .bind(authority.as_str())
                .bind(kind.as_str())
                .bind(report.version)
                .bind(report.answers.map(|a| a.as_str()))
                .bind(instant(submitted.unwrap_or(now)))
                .bind(&by.username)
                .bind(instant(now))
                .execute(tx.conn())
                .await
                .map_err(crate::conflict(
                    "version",
                    "another report of this case to this authority was recorded at the same time",
                ))?;
                tx.audit(scope.study(), &by, &report.changes).await?;
                let case = finish(&mut tx, &study, &scope, ae_id, now, &by).await?;
                case.reports
                    .into_iter()
                    .find(|r| r.authority == authority && r.version == report.version)
                    .ok_or_else(|| not_found("expedited report", ae_id))
            })
        })
        .await
    }

    /// The arm of a SUSAR case's participant, for its expedited report: the view is audited
    /// on the study's unblinded chain (who, which case, the arm shown). `None` when the
    /// participant has no allocation; refused for a case that is not a SUSAR. The caller
    /// decides who may see it (`trial::safety::case_shows_arm`).
    pub async fn reveal_case_arm(
        &self,
        study: &Study,
        scope: &Scope,
        ae_id: i64,
        by: &Actor,
    ) -> Result<Option<String>> {
        let (study, scope, by) = (study.clone(), scope.clone(), by.clone());
        self.write("reveal_case_arm", move |mut tx| {
            Box::pin(async move {
                let loaded = load(tx.conn(), &scope, ae_id).await?;
                if !loaded.classification(&study).susar {
                    return Err(StoreError::Conflict {
                        field: "case".into(),
                        message: "is not a SUSAR: its arm stays concealed".into(),
                    });
                }
                let arm: Option<(String,)> =
                    sqlx::query_as("SELECT arm_id FROM allocations WHERE participant_id = $1")
                        .bind(loaded.participant.id)
                        .fetch_optional(tx.conn())
                        .await?;
                let Some((arm,)) = arm else {
                    return Ok(None);
                };
                let change = Change::new("show-arm", "safety-case", loaded.record())
                    .set("arm_id", &arm)
                    .because("expedited report of a SUSAR");
                tx.audit(&unblinded_chain(scope.study()), &by, &[change])
                    .await?;
                Ok(Some(arm))
            })
        })
        .await
    }

    /// The open clocks of the study's cases in scope at `now`, overdue first, then the
    /// soonest due; with `site_only`, only the sites' 24-hour clocks.
    pub async fn safety_clocks(
        &self,
        study: &Study,
        scope: &Scope,
        site_only: bool,
        now: OffsetDateTime,
    ) -> Result<Vec<ClockRecord>> {
        let mut conn = self.pool.acquire().await?;
        let mut clocks = Vec::new();
        for ae_id in case_ids(&mut conn, scope).await? {
            let loaded = load(&mut conn, scope, ae_id).await?;
            clocks.extend(
                loaded
                    .clock_records(study, now)
                    .into_iter()
                    .filter(|c| !site_only || c.kind == ClockKind::SiteReport),
            );
        }
        clocks.sort_by(|a, b| {
            (&a.deadline, rank(a.kind), &a.started, a.ae_id).cmp(&(
                &b.deadline,
                rank(b.kind),
                &b.started,
                b.ae_id,
            ))
        });
        Ok(clocks)
    }
}

/// A clock kind's place, as `trial::safety::Clock` orders kinds.
fn rank(kind: ClockKind) -> usize {
    ClockKind::ALL.iter().position(|k| *k == kind).unwrap_or(0)
}

/// The events with a case row whose participants are in scope, in order of id.
pub(super) async fn case_ids(conn: &mut AnyConnection, scope: &Scope) -> Result<Vec<i64>> {
    let (filter, values) = scope_filter(scope, 1);
    let sql = render(
        dialect_of(conn),
        &format!(
            "SELECT c.ae_id FROM safety_cases c JOIN adverse_events a ON a.id = c.ae_id \
             WHERE a.participant_id IN (SELECT id FROM participants WHERE {filter}) \
             ORDER BY c.ae_id"
        ),
    );
    let mut q = sqlx::query_as::<_, (i64,)>(&sql);
    for v in &values {
        q = q.bind(v);
    }
    Ok(q.fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|(id,)| id)
        .collect())
}

/// After a case's write: the notices its open clocks now need, and the case as it stands.
async fn finish(
    tx: &mut Tx<'_>,
    study: &Study,
    scope: &Scope,
    ae_id: i64,
    now: OffsetDateTime,
    by: &Actor,
) -> Result<SafetyCase> {
    let loaded = load(tx.conn(), scope, ae_id).await?;
    let open = loaded.open(&loaded.classification(study));
    super::notices::notify(tx, &loaded, &open, now, by).await?;
    Ok(loaded.case(study, now))
}

//! Participants: screening (with the screening exam and eligibility), enrolment with the visit
//! plan, the end of participation, corrections with a reason, visits done, ISNCSCI exams. The
//! rules are `trial::participants`; this file loads, persists and audits.

use serde::Serialize;
use trial::participants::{self as rules, CorrectableField};
use trial::safety::Gated;
use trial::{ParticipantStatus, Study};

use crate::db::Store;
use crate::dialect::{dialect_of, render};
use crate::model::{
    now, participant_in, scope_filter, Actor, Participant, ParticipantRow, Scope,
    PARTICIPANT_COLUMNS,
};
use crate::{conflict, not_found};
use crate::{Change, Result};

/// A screening: the participant's data, the screening exam and the eligibility found.
#[derive(Clone, Debug)]
pub struct NewScreening {
    /// The site.
    pub site_id: String,
    /// The screening number.
    pub screening_number: String,
    /// `male`, `female` or `other`.
    pub sex: String,
    /// Date of birth.
    pub date_of_birth: String,
    /// Date of injury.
    pub injury_date: String,
    /// Date of consent.
    pub consent_date: String,
    /// Date of screening.
    pub screening_date: String,
    /// Whether the criteria are met.
    pub eligible: bool,
    /// Why not, when not.
    pub eligibility_reasons: Vec<String>,
    /// The screening visit's id.
    pub exam_visit: String,
    /// The exam as entered (flat layout, JSON).
    pub exam_raw: String,
    /// The classification the engine computed (JSON of the 25 results).
    pub classification: String,
}

/// An enrolment.
#[derive(Clone, Debug)]
pub struct Enrolment {
    /// The participant.
    pub participant_id: i64,
    /// The subject id given.
    pub subject_id: String,
    /// Date of enrolment.
    pub enrolled_on: String,
    /// The date visits are scheduled from.
    pub anchor_date: String,
    /// The visits planned: id, name, target, earliest, latest.
    pub visits: Vec<PlannedVisit>,
}

/// A visit as planned at enrolment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlannedVisit {
    /// The visit's id in the study definition.
    pub visit_id: String,
    /// Its name.
    pub name: String,
    /// Target date.
    pub target: String,
    /// First day of the window.
    pub earliest: String,
    /// Last day of the window.
    pub latest: String,
}

/// The end of a participation.
#[derive(Clone, Debug)]
pub struct Ending {
    /// The participant.
    pub participant_id: i64,
    /// `withdrawn` or `completed`.
    pub status: String,
    /// The date.
    pub on: String,
    /// Why.
    pub reason: String,
}

/// A change to a saved field, with its reason.
#[derive(Clone, Debug)]
pub struct Correction {
    /// The participant.
    pub participant_id: i64,
    /// One of `trial::participants::CorrectableField`.
    pub field: String,
    /// The new value.
    pub value: String,
    /// Why it changes (required).
    pub reason: String,
}

/// A visit of a participant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Visit {
    /// The participant.
    pub participant_id: i64,
    /// The visit's id in the study definition.
    pub visit_id: String,
    /// Its name.
    pub name: String,
    /// Target date.
    #[schema(format = Date)]
    pub target: String,
    /// First day of the window.
    #[schema(format = Date)]
    pub earliest: String,
    /// Last day of the window.
    #[schema(format = Date)]
    pub latest: String,
    /// When it took place.
    #[schema(format = Date)]
    pub done_on: Option<String>,
}

/// A stored ISNCSCI exam.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExamRecord {
    /// Its id.
    pub id: i64,
    /// The participant.
    pub participant_id: i64,
    /// The visit.
    pub visit_id: String,
    /// Date of the exam.
    pub examined_on: String,
    /// The exam as entered (flat layout, JSON).
    pub raw: String,
    /// The classification the engine computed (JSON).
    pub classification: String,
    /// When it was saved.
    pub created_at: String,
}

/// An ISNCSCI exam to save.
#[derive(Clone, Debug)]
pub struct NewExam {
    /// The participant.
    pub participant_id: i64,
    /// The visit.
    pub visit_id: String,
    /// Date of the exam.
    pub examined_on: String,
    /// The exam as entered (flat layout, JSON).
    pub raw: String,
    /// The classification the engine computed (JSON).
    pub classification: String,
}

impl Store {
    /// Screens a new participant with the screening exam.
    pub async fn screen(&self, scope: &Scope, s: &NewScreening, by: &Actor) -> Result<Participant> {
        if !scope.includes_site(&s.site_id) {
            return Err(not_found("site", &s.site_id));
        }
        let (scope, s, by) = (scope.clone(), s.clone(), by.clone());
        self.write("screen", move |mut tx| {
            Box::pin(async move {
                let id = insert_screening(tx.conn(), &scope, &s).await?;
                tx.audit(scope.study(), &by, &screening_changes(id.0, id.1, &s))
                    .await?;
                participant_in(tx.conn(), &scope, id.0).await
            })
        })
        .await
    }

    /// The participants in scope.
    pub async fn participants(&self, scope: &Scope) -> Result<Vec<Participant>> {
        let (filter, values) = scope_filter(scope, 1);
        let sql = self.sql(&format!(
            "SELECT {PARTICIPANT_COLUMNS} FROM participants WHERE {filter} ORDER BY id"
        ));
        let mut q = sqlx::query_as::<_, ParticipantRow>(&sql);
        for v in &values {
            q = q.bind(v);
        }
        Ok(q.fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(Participant::from)
            .collect())
    }

    /// One participant, if in scope.
    pub async fn participant(&self, scope: &Scope, id: i64) -> Result<Participant> {
        participant_in(&mut *self.pool.acquire().await?, scope, id).await
    }

    /// Enrols an eligible participant in screening, with the visits planned for them; in a
    /// randomised study, only once its list exists.
    pub async fn enrol(
        &self,
        scope: &Scope,
        study: &Study,
        e: &Enrolment,
        by: &Actor,
    ) -> Result<Participant> {
        let (scope, study, e, by) = (scope.clone(), study.clone(), e.clone(), by.clone());
        self.write("enrol", move |mut tx| {
            Box::pin(async move {
                // Not while the randomisation list is being generated (it must come first).
                tx.lock_study(scope.study()).await?;
                crate::gate::check(&mut tx, scope.study(), Gated::Enrolment).await?;
                let id = e.participant_id;
                let before = participant_in(tx.conn(), &scope, id).await?;
                rules::check_enrolment(before.status, before.eligible)?;
                let lists: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM randomisation_lists WHERE study_id = $1",
                )
                .bind(scope.study())
                .fetch_one(tx.conn())
                .await?;
                rules::check_list_ready(&study, lists > 0)?;
                sqlx::query(&tx.sql(
                    "UPDATE participants SET status = $1, subject_id = $2, enrolled_on = $3::date, \
                     anchor_date = $4::date, updated_at = $5::timestamptz WHERE id = $6 AND status = $7",
                ))
                .bind(ParticipantStatus::Enrolled.as_str())
                .bind(&e.subject_id)
                .bind(&e.enrolled_on)
                .bind(&e.anchor_date)
                .bind(now())
                .bind(id)
                .bind(ParticipantStatus::Screening.as_str())
                .execute(tx.conn())
                .await
                .map_err(conflict("subject_id", "is already used in this study"))?;
                for v in &e.visits {
                    sqlx::query(&tx.sql(
                        "INSERT INTO visits (participant_id, visit_id, name, target, earliest, latest) \
                         VALUES ($1, $2, $3, $4::date, $5::date, $6::date)",
                    ))
                    .bind(id)
                    .bind(&v.visit_id)
                    .bind(&v.name)
                    .bind(&v.target)
                    .bind(&v.earliest)
                    .bind(&v.latest)
                    .execute(tx.conn())
                    .await?;
                }
                let changes = rules::enrolment_changes(
                    id,
                    before.status,
                    &e.subject_id,
                    &e.enrolled_on,
                    &e.anchor_date,
                    e.visits.iter().map(|v| (v.visit_id.as_str(), v.target.as_str())),
                );
                tx.audit(scope.study(), &by, &changes).await?;
                participant_in(tx.conn(), &scope, id).await
            })
        })
        .await
    }

    /// Ends an enrolled participant's participation (withdrawn or completed), with a reason.
    pub async fn end_participation(
        &self,
        scope: &Scope,
        e: &Ending,
        by: &Actor,
    ) -> Result<Participant> {
        let to = rules::check_ending_request(&e.status, &e.on, &e.reason)?;
        let (scope, e, by) = (scope.clone(), e.clone(), by.clone());
        self.write("end_participation", move |mut tx| {
            Box::pin(async move {
                let id = e.participant_id;
                let before = participant_in(tx.conn(), &scope, id).await?;
                let changes = rules::end_participation(id, before.status, to, &e.on, &e.reason)?;
                sqlx::query(&tx.sql(
                    "UPDATE participants SET status = $1, ended_on = $2::date, end_reason = $3, \
                     updated_at = $4::timestamptz WHERE id = $5",
                ))
                .bind(to.as_str())
                .bind(&e.on)
                .bind(&e.reason)
                .bind(now())
                .bind(id)
                .execute(tx.conn())
                .await?;
                tx.audit(scope.study(), &by, &changes).await?;
                participant_in(tx.conn(), &scope, id).await
            })
        })
        .await
    }

    /// Changes a saved field of a participant: the reason is required.
    pub async fn correct_participant(
        &self,
        scope: &Scope,
        c: &Correction,
        by: &Actor,
    ) -> Result<Participant> {
        let field = rules::check_correction(&c.field, &c.value, &c.reason)?;
        let (scope, c, by) = (scope.clone(), c.clone(), by.clone());
        self.write("correct_participant", move |mut tx| {
            Box::pin(async move {
                let id = c.participant_id;
                let before = participant_in(tx.conn(), &scope, id).await?;
                let old = match field {
                    CorrectableField::Sex => before.sex,
                    CorrectableField::DateOfBirth => before.date_of_birth,
                    CorrectableField::InjuryDate => before.injury_date,
                    CorrectableField::ConsentDate => before.consent_date,
                    CorrectableField::ScreeningDate => before.screening_date,
                };
                // The column is one of the fixed names of `CorrectableField`, never user text.
                let column = field.as_str();
                let kind = match field {
                    CorrectableField::Sex => "text",
                    _ => "date",
                };
                sqlx::query(&tx.sql(&format!(
                    "UPDATE participants SET {column} = $1::{kind}, updated_at = $2::timestamptz \
                     WHERE id = $3"
                )))
                .bind(&c.value)
                .bind(now())
                .bind(id)
                .execute(tx.conn())
                .await?;
                let change = Change::new("update", "participant", id)
                    .set(column, &c.value)
                    .was(old)
                    .because(&c.reason);
                tx.audit(scope.study(), &by, &[change]).await?;
                participant_in(tx.conn(), &scope, id).await
            })
        })
        .await
    }

    /// A participant's visits, in schedule order.
    pub async fn visits(&self, scope: &Scope, participant_id: i64) -> Result<Vec<Visit>> {
        self.participant(scope, participant_id).await?;
        let rows: Vec<(String, String, String, String, String, Option<String>)> =
            sqlx::query_as(&self.sql(
                "SELECT visit_id, name, target::text, earliest::text, latest::text, done_on::text \
             FROM visits WHERE participant_id = $1 ORDER BY target, visit_id",
            ))
            .bind(participant_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(
                |(visit_id, name, target, earliest, latest, done_on)| Visit {
                    participant_id,
                    visit_id,
                    name,
                    target,
                    earliest,
                    latest,
                    done_on,
                },
            )
            .collect())
    }

    /// Records the date a visit took place (once; a later change is a correction).
    pub async fn record_visit(
        &self,
        scope: &Scope,
        participant_id: i64,
        visit_id: &str,
        on: &str,
        by: &Actor,
    ) -> Result<Visit> {
        rules::check_visit_date(
            on,
            rules::latest_date_anywhere(time::OffsetDateTime::now_utc()),
        )?;
        let record = format!("{participant_id}/{visit_id}");
        let (s, v, on, by, r) = (
            scope.clone(),
            visit_id.to_string(),
            on.to_string(),
            by.clone(),
            record.clone(),
        );
        self.write("record_visit", move |mut tx| {
            Box::pin(async move {
                participant_in(tx.conn(), &s, participant_id).await?;
                let before: Option<(Option<String>,)> = sqlx::query_as(&tx.sql(
                    "SELECT done_on::text FROM visits WHERE participant_id = $1 AND visit_id = $2",
                ))
                .bind(participant_id)
                .bind(&v)
                .fetch_optional(tx.conn())
                .await?;
                let Some((old,)) = before else {
                    return Err(not_found("visit", &r));
                };
                rules::check_visit_not_done(old.as_deref())?;
                sqlx::query(&tx.sql(
                    "UPDATE visits SET done_on = $1::date WHERE participant_id = $2 AND visit_id = $3",
                ))
                .bind(&on)
                .bind(participant_id)
                .bind(&v)
                .execute(tx.conn())
                .await?;
                let change = Change::new("update", "visit", &r).set("done_on", &on);
                tx.audit(s.study(), &by, &[change]).await
            })
        })
        .await?;
        self.visits(scope, participant_id)
            .await?
            .into_iter()
            .find(|v| v.visit_id == visit_id)
            .ok_or_else(|| not_found("visit", record))
    }

    /// A participant's ISNCSCI exams.
    pub async fn exams(&self, scope: &Scope, participant_id: i64) -> Result<Vec<ExamRecord>> {
        self.participant(scope, participant_id).await?;
        let rows: Vec<(i64, String, String, String, String, String)> = sqlx::query_as(&self.sql(
            "SELECT id, visit_id, examined_on::text, raw::text, classification::text, \
             created_at::instant FROM exams WHERE participant_id = $1 ORDER BY id",
        ))
        .bind(participant_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, visit_id, examined_on, raw, classification, created_at)| ExamRecord {
                    id,
                    participant_id,
                    visit_id,
                    examined_on,
                    raw,
                    classification,
                    created_at,
                },
            )
            .collect())
    }

    /// Saves an ISNCSCI exam of a visit: the exam as entered and the engine's classification.
    pub async fn add_exam(&self, scope: &Scope, e: &NewExam, by: &Actor) -> Result<ExamRecord> {
        let (scope, e, by) = (scope.clone(), e.clone(), by.clone());
        self.write("add_exam", move |mut tx| {
            Box::pin(async move {
                participant_in(tx.conn(), &scope, e.participant_id).await?;
                let at = now();
                let id = insert_exam(
                    tx.conn(),
                    e.participant_id,
                    &e.visit_id,
                    &e.examined_on,
                    &e.raw,
                    &e.classification,
                    &at,
                )
                .await?;
                let c = || Change::new("create", "exam", id);
                let changes = [
                    c().set("participant", e.participant_id),
                    c().set("visit", &e.visit_id),
                    c().set("raw", &e.raw),
                    c().set("classification", &e.classification),
                ];
                tx.audit(scope.study(), &by, &changes).await?;
                Ok(ExamRecord {
                    id,
                    participant_id: e.participant_id,
                    visit_id: e.visit_id,
                    examined_on: e.examined_on,
                    raw: e.raw,
                    classification: e.classification,
                    created_at: at,
                })
            })
        })
        .await
    }
}

/// Inserts a screened participant and the screening exam: their ids.
async fn insert_screening(
    conn: &mut sqlx::AnyConnection,
    scope: &Scope,
    s: &NewScreening,
) -> Result<(i64, i64)> {
    let at = now();
    let reasons = serde_json::to_string(&s.eligibility_reasons).unwrap_or_else(|_| "[]".into());
    let sql = render(
        dialect_of(conn),
        "INSERT INTO participants (study_id, site_id, screening_number, status, sex, date_of_birth, \
         injury_date, consent_date, screening_date, eligible, eligibility_reasons, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6::date, $7::date, $8::date, $9::date, $10, \
         $11::jsonb, $12::timestamptz, $13::timestamptz) RETURNING id",
    );
    let id: i64 = sqlx::query_scalar(&sql)
        .bind(scope.study())
        .bind(&s.site_id)
        .bind(&s.screening_number)
        .bind(ParticipantStatus::after_screening(s.eligible).as_str())
        .bind(&s.sex)
        .bind(&s.date_of_birth)
        .bind(&s.injury_date)
        .bind(&s.consent_date)
        .bind(&s.screening_date)
        .bind(s.eligible)
        .bind(&reasons)
        .bind(&at)
        .bind(&at)
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                not_found("site", &s.site_id)
            }
            _ => conflict("screening_number", "is already used in this study")(e),
        })?;
    let exam = insert_exam(
        conn,
        id,
        &s.exam_visit,
        &s.screening_date,
        &s.exam_raw,
        &s.classification,
        &at,
    )
    .await?;
    Ok((id, exam))
}

/// Inserts an ISNCSCI exam: its id.
async fn insert_exam(
    conn: &mut sqlx::AnyConnection,
    participant_id: i64,
    visit_id: &str,
    examined_on: &str,
    raw: &str,
    classification: &str,
    at: &str,
) -> Result<i64> {
    let sql = render(
        dialect_of(conn),
        "INSERT INTO exams (participant_id, visit_id, examined_on, raw, classification, created_at) \
         VALUES ($1, $2, $3::date, $4::jsonb, $5::jsonb, $6::timestamptz) RETURNING id",
    );
    Ok(sqlx::query_scalar(&sql)
        .bind(participant_id)
        .bind(visit_id)
        .bind(examined_on)
        .bind(raw)
        .bind(classification)
        .bind(at)
        .fetch_one(&mut *conn)
        .await?)
}

/// What a screening records: every field of the participant, and the screening exam.
fn screening_changes(id: i64, exam_id: i64, s: &NewScreening) -> Vec<Change> {
    let reasons = serde_json::to_string(&s.eligibility_reasons).unwrap_or_else(|_| "[]".into());
    let p = |field: &str, value: &str| Change::new("create", "participant", id).set(field, value);
    vec![
        p("site_id", &s.site_id),
        p("screening_number", &s.screening_number),
        p(
            "status",
            ParticipantStatus::after_screening(s.eligible).as_str(),
        ),
        p("sex", &s.sex),
        p("date_of_birth", &s.date_of_birth),
        p("injury_date", &s.injury_date),
        p("consent_date", &s.consent_date),
        p("screening_date", &s.screening_date),
        p("eligible", &s.eligible.to_string()),
        p("eligibility_reasons", &reasons),
        Change::new("create", "exam", exam_id).set("raw", &s.exam_raw),
        Change::new("create", "exam", exam_id).set("classification", &s.classification),
    ]
}

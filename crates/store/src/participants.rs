//! Participants: screening (with the screening exam and eligibility), enrolment with the visit
//! plan, the end of participation, corrections with a reason, visits done, and the ISNCSCI
//! exams as read from the visits' ISNCSCI forms. The screening exam has one home: the screening
//! visit's ISNCSCI form, written by the screening in the same transaction as the participant
//! (with the screening visit, done on the screening date). The rules are `trial::participants`;
//! this file loads, persists and audits.

use serde::Serialize;
use trial::participants::{self as rules, CorrectableField};
use trial::safety::Gated;
use trial::{ParticipantStatus, Study};

use crate::db::Store;
use crate::dialect::{dialect_of, render};
use crate::model::{
    now, participant_in, record_eligibility, scope_filter, Actor, Participant, ParticipantRow,
    Scope, PARTICIPANT_COLUMNS,
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
    /// The screening visit's name.
    pub exam_visit_name: String,
    /// The screening visit's ISNCSCI form, where the exam is kept.
    pub exam_form: String,
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
    /// The eligibility the corrected data give with the screening exam (none when no screening
    /// exam is kept): recorded as a save of the screening exam records it, and a correction
    /// that would make an enrolled participant ineligible is refused.
    pub eligibility: Option<trial::screening_exam::Found>,
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

/// An ISNCSCI exam: a visit's ISNCSCI form as saved, read as an exam.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExamRecord {
    /// The participant.
    pub participant_id: i64,
    /// The visit.
    pub visit_id: String,
    /// The ISNCSCI form of the visit.
    pub form_id: String,
    /// Date of the exam: the visit's date (the screening date for a screening not yet dated).
    pub examined_on: String,
    /// The exam as entered (flat layout, JSON).
    pub raw: String,
    /// The classification the engine computed (JSON).
    pub classification: String,
    /// When the form last changed.
    pub updated_at: String,
}

impl Store {
    /// Screens a new participant with the screening exam.
    pub async fn screen(&self, scope: &Scope, s: &NewScreening, by: &Actor) -> Result<Participant> {
        if !scope.includes_site(&s.site_id) {
            return Err(not_found("site", &s.site_id));
        }
        let study = scope.study();
        let (scope, s, by) = (scope.clone(), s.clone(), by.clone());
        self.write_in(study, "screen", move |mut tx| {
            Box::pin(async move {
                let (id, exam) = insert_screening(tx.conn(), &scope, &s).await?;
                let mut changes = screening_changes(id, &s);
                changes.extend(exam);
                tx.audit(scope.study(), &by, &changes).await?;
                participant_in(tx.conn(), &scope, id).await
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
                // The screening visit, recorded at screening, is kept as it was.
                for v in &e.visits {
                    insert_visit(tx.conn(), id, v, None).await?;
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
                let mut changes = vec![Change::new("update", "participant", id)
                    .set(column, &c.value)
                    .was(old)
                    .because(&c.reason)];
                if let Some(found) = &c.eligibility {
                    changes.extend(record_eligibility(&mut tx, id, found, Some(&c.reason)).await?);
                }
                tx.audit(scope.study(), &by, &changes).await?;
                participant_in(tx.conn(), &scope, id).await
            })
        })
        .await
    }

    /// A participant's visits, in schedule order.
    pub async fn visits(&self, scope: &Scope, participant_id: i64) -> Result<Vec<Visit>> {
        self.participant(scope, participant_id).await?;
        let rows: Vec<VisitRow> = sqlx::query_as(&self.sql(&format!(
            "SELECT {VISIT_COLUMNS} FROM visits v WHERE v.participant_id = $1 \
             ORDER BY v.target, v.visit_id"
        )))
        .bind(participant_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(visit).collect())
    }

    /// The visits of every participant in scope whose status is `status`, in one read (the
    /// dashboard's visits due and overdue): ordered by participant, then as [`Store::visits`]
    /// orders one participant's.
    pub async fn visits_in(&self, scope: &Scope, status: ParticipantStatus) -> Result<Vec<Visit>> {
        let (filter, values) = scope_filter(scope, 2);
        let sql = self.sql(&format!(
            "SELECT {VISIT_COLUMNS} \
             FROM visits v JOIN participants p ON p.id = v.participant_id \
             WHERE p.status = $1 AND p.{filter} \
             ORDER BY v.participant_id, v.target, v.visit_id"
        ));
        let mut q = sqlx::query_as::<_, VisitRow>(&sql).bind(status.as_str());
        for v in &values {
            q = q.bind(v);
        }
        Ok(q.fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(visit)
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

    /// A participant's ISNCSCI exams: the saved forms among `isncsci_forms` (the study's
    /// ISNCSCI forms) that hold a classification, in date order.
    pub async fn exams(
        &self,
        scope: &Scope,
        participant_id: i64,
        isncsci_forms: &[String],
    ) -> Result<Vec<ExamRecord>> {
        self.participant(scope, participant_id).await?;
        let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(&self.sql(
            "SELECT f.visit_id, f.form_id, COALESCE(v.done_on, p.screening_date)::text, \
             f.data::text, f.updated_at::instant FROM form_entries f \
             JOIN participants p ON p.id = f.participant_id \
             LEFT JOIN visits v ON v.participant_id = f.participant_id AND v.visit_id = f.visit_id \
             WHERE f.participant_id = $1 ORDER BY 3, f.visit_id",
        ))
        .bind(participant_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter(|(_, form, ..)| isncsci_forms.contains(form))
            .filter_map(|(visit_id, form_id, examined_on, data, updated_at)| {
                let data: serde_json::Value = serde_json::from_str(&data).ok()?;
                let classification = data.get("classification")?.to_string();
                Some(ExamRecord {
                    participant_id,
                    visit_id,
                    form_id,
                    examined_on,
                    raw: data.get("exam").map_or("{}".into(), |e| e.to_string()),
                    classification,
                    updated_at,
                })
            })
            .collect())
    }
}

/// Inserts a screened participant, the screening visit (done on the screening date) and the
/// screening exam as the visit's ISNCSCI form: the participant's id and the form's audit rows.
async fn insert_screening(
    conn: &mut sqlx::AnyConnection,
    scope: &Scope,
    s: &NewScreening,
) -> Result<(i64, Vec<Change>)> {
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
    let visit = PlannedVisit {
        visit_id: s.exam_visit.clone(),
        name: s.exam_visit_name.clone(),
        target: s.screening_date.clone(),
        earliest: s.screening_date.clone(),
        latest: s.screening_date.clone(),
    };
    insert_visit(conn, id, &visit, Some(&s.screening_date)).await?;
    let data = crate::model::exam_form_data(&s.exam_raw, &s.classification);
    let record = format!("{id}/{}/{}", s.exam_visit, s.exam_form);
    let outcome = trial::ecrf::decide_save(
        None,
        trial::ecrf::FormSaveRequest {
            record: &record,
            form_id: &s.exam_form,
            data: &data,
            status: trial::FormStatus::Complete,
            reason: None,
        },
    )?;
    insert_form(conn, id, &s.exam_visit, &s.exam_form, &data, &at).await?;
    let mut changes = vec![
        Change::new("update", "visit", format!("{id}/{}", s.exam_visit))
            .set("done_on", &s.screening_date),
    ];
    changes.extend(outcome.changes);
    Ok((id, changes))
}

/// Inserts a planned visit (and its date, when it took place).
async fn insert_visit(
    conn: &mut sqlx::AnyConnection,
    participant_id: i64,
    v: &PlannedVisit,
    done_on: Option<&str>,
) -> Result<()> {
    let sql = render(
        dialect_of(conn),
        "INSERT INTO visits (participant_id, visit_id, name, target, earliest, latest, done_on) \
         VALUES ($1, $2, $3, $4::date, $5::date, $6::date, $7::date) \
         ON CONFLICT (participant_id, visit_id) DO NOTHING",
    );
    sqlx::query(&sql)
        .bind(participant_id)
        .bind(&v.visit_id)
        .bind(&v.name)
        .bind(&v.target)
        .bind(&v.earliest)
        .bind(&v.latest)
        .bind(done_on)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Inserts a form saved complete for the first time.
async fn insert_form(
    conn: &mut sqlx::AnyConnection,
    participant_id: i64,
    visit_id: &str,
    form_id: &str,
    data: &serde_json::Map<String, serde_json::Value>,
    at: &str,
) -> Result<()> {
    let sql = render(
        dialect_of(conn),
        "INSERT INTO form_entries (participant_id, visit_id, form_id, data, status, version, \
         updated_at) VALUES ($1, $2, $3, $4::json, $5, 1, $6::timestamptz)",
    );
    sqlx::query(&sql)
        .bind(participant_id)
        .bind(visit_id)
        .bind(form_id)
        .bind(serde_json::Value::Object(data.clone()).to_string())
        .bind(trial::FormStatus::Complete.as_str())
        .bind(at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// What a screening records of the participant (the screening visit and exam come after).
fn screening_changes(id: i64, s: &NewScreening) -> Vec<Change> {
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
    ]
}

/// The columns of a visit, as [`VisitRow`] reads them (the table aliased `v`).
const VISIT_COLUMNS: &str = "v.participant_id, v.visit_id, v.name, v.target::text, \
    v.earliest::text, v.latest::text, v.done_on::text";

/// A visit's row: participant, visit, name, target, earliest, latest, done on.
type VisitRow = (i64, String, String, String, String, String, Option<String>);

fn visit((participant_id, visit_id, name, target, earliest, latest, done_on): VisitRow) -> Visit {
    Visit {
        participant_id,
        visit_id,
        name,
        target,
        earliest,
        latest,
        done_on,
    }
}

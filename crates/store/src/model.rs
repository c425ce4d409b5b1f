//! What every feature of the store shares: who acts ([`Actor`]), which participants a caller
//! may see ([`Scope`], filtered in SQL), the participant record every feature hangs off, and
//! the text forms of instants and dates. Instants are UTC text (`2026-11-22T01:29:02.000000Z`),
//! dates are `YYYY-MM-DD`: see [`instant`] and [`date`].

use serde::Serialize;
use sqlx::AnyConnection;
use time::format_description::FormatItem;
use time::macros::format_description;
use time::{Date, OffsetDateTime, UtcOffset};
use trial::ParticipantStatus;

use crate::db::Tx;
use crate::dialect::{dialect_of, render, Flag};
use crate::not_found;
use crate::Result;

const INSTANT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
const DATE: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// An instant as the store writes it: UTC, microseconds, `Z`.
pub fn instant(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(INSTANT)
        .unwrap_or_default()
}

/// An instant given in microseconds since 1970 (UTC), as the store writes instants (empty
/// when out of range).
pub(crate) fn instant_from_unix_micros(micros: i128) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(micros * 1000)
        .map(instant)
        .unwrap_or_default()
}

/// Now, as the store writes it.
pub fn now() -> String {
    instant(OffsetDateTime::now_utc())
}

/// A date as the store writes it.
pub fn date(d: Date) -> String {
    d.format(DATE).unwrap_or_default()
}

/// Parses a `YYYY-MM-DD` date.
pub fn parse_date(text: &str) -> Option<Date> {
    Date::parse(text, DATE).ok()
}

/// Parses an instant as the store writes it.
pub fn parse_instant(text: &str) -> Option<OffsetDateTime> {
    time::PrimitiveDateTime::parse(text, INSTANT)
        .ok()
        .map(|t| t.assume_utc())
}

/// Who does something: recorded in the audit trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// The user's id, or `None` for the system itself.
    pub user_id: Option<i64>,
    /// The user's name (`system` for the system).
    pub username: String,
}

impl Actor {
    /// The system itself (command-line set-up, the demo's seeding).
    pub fn system() -> Actor {
        Actor {
            user_id: None,
            username: "system".into(),
        }
    }

    /// A signed-in user.
    pub fn user(user: &User) -> Actor {
        Actor {
            user_id: Some(user.id),
            username: user.username.clone(),
        }
    }
}

/// A user account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct User {
    /// Its id.
    pub id: i64,
    /// The login name.
    pub username: String,
    /// The printed name.
    pub full_name: String,
    /// The password hash (never sent to clients).
    #[serde(skip)]
    pub password_hash: String,
    /// Whether the account may sign in.
    pub active: bool,
    /// Failed logins since the last success.
    pub failed_logins: i64,
    /// Locked until this instant, after too many failed logins.
    #[schema(format = DateTime)]
    pub locked_until: Option<String>,
    /// `en` or `zh`.
    pub language: String,
    /// When it was created.
    #[schema(format = DateTime)]
    pub created_at: String,
}

/// Which participants a caller may see: the whole study, or some of its sites.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every site of the study.
    Study(String),
    /// Only these sites of the study.
    Sites {
        /// The study.
        study: String,
        /// The sites.
        sites: Vec<String>,
    },
}

impl Scope {
    /// The study in scope.
    pub fn study(&self) -> &str {
        match self {
            Scope::Study(s) | Scope::Sites { study: s, .. } => s,
        }
    }

    /// Whether a site is in scope.
    pub fn includes_site(&self, site: &str) -> bool {
        match self {
            Scope::Study(_) => true,
            Scope::Sites { sites, .. } => sites.iter().any(|s| s == site),
        }
    }
}

/// `study_id = $first [AND site_id IN (…)]` and its values: the caller's scope in SQL.
pub(crate) fn scope_filter(scope: &Scope, first: usize) -> (String, Vec<String>) {
    match scope {
        Scope::Study(study) => (format!("study_id = ${first}"), vec![study.clone()]),
        Scope::Sites { study, sites } if sites.is_empty() => (
            format!("study_id = ${first} AND 1 = 0"),
            vec![study.clone()],
        ),
        Scope::Sites { study, sites } => {
            let marks: Vec<String> = (0..sites.len())
                .map(|i| format!("${}", first + 1 + i))
                .collect();
            let mut values = vec![study.clone()];
            values.extend(sites.iter().cloned());
            (
                format!("study_id = ${first} AND site_id IN ({})", marks.join(", ")),
                values,
            )
        }
    }
}

/// A participant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Participant {
    /// Its id.
    pub id: i64,
    /// The study.
    pub study_id: String,
    /// The site.
    pub site_id: String,
    /// The screening number.
    pub screening_number: String,
    /// The subject id, once enrolled.
    pub subject_id: Option<String>,
    /// Where the participant is on the path.
    pub status: ParticipantStatus,
    /// `male`, `female` or `other`.
    pub sex: String,
    /// Date of birth.
    #[schema(format = Date)]
    pub date_of_birth: String,
    /// Date of injury.
    #[schema(format = Date)]
    pub injury_date: String,
    /// Date of consent.
    #[schema(format = Date)]
    pub consent_date: String,
    /// Date of screening.
    #[schema(format = Date)]
    pub screening_date: String,
    /// Whether the eligibility criteria were met at screening.
    pub eligible: bool,
    /// Why not, when not.
    pub eligibility_reasons: Vec<String>,
    /// Date of enrolment.
    #[schema(format = Date)]
    pub enrolled_on: Option<String>,
    /// The date visits are scheduled from.
    #[schema(format = Date)]
    pub anchor_date: Option<String>,
    /// Date of withdrawal or completion.
    #[schema(format = Date)]
    pub ended_on: Option<String>,
    /// Why it ended.
    pub end_reason: Option<String>,
    /// When the record was created.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it last changed.
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// The participant's columns, in portable form (see [`crate::dialect::render`]).
pub(crate) const PARTICIPANT_COLUMNS: &str =
    "id, study_id, site_id, screening_number, subject_id, status, sex, \
    date_of_birth::text, injury_date::text, consent_date::text, screening_date::text, eligible, \
    eligibility_reasons::text, enrolled_on::text, anchor_date::text, ended_on::text, end_reason, \
    created_at::instant, updated_at::instant";

#[derive(sqlx::FromRow)]
pub(crate) struct ParticipantRow {
    id: i64,
    study_id: String,
    site_id: String,
    screening_number: String,
    subject_id: Option<String>,
    status: String,
    sex: String,
    date_of_birth: String,
    injury_date: String,
    consent_date: String,
    screening_date: String,
    #[sqlx(try_from = "Flag")]
    eligible: bool,
    eligibility_reasons: String,
    enrolled_on: Option<String>,
    anchor_date: Option<String>,
    ended_on: Option<String>,
    end_reason: Option<String>,
    created_at: String,
    updated_at: String,
}

impl From<ParticipantRow> for Participant {
    fn from(r: ParticipantRow) -> Participant {
        Participant {
            id: r.id,
            study_id: r.study_id,
            site_id: r.site_id,
            screening_number: r.screening_number,
            subject_id: r.subject_id,
            // Written only from `ParticipantStatus`; an unknown word reads as screening.
            status: ParticipantStatus::parse(&r.status).unwrap_or(ParticipantStatus::Screening),
            sex: r.sex,
            date_of_birth: r.date_of_birth,
            injury_date: r.injury_date,
            consent_date: r.consent_date,
            screening_date: r.screening_date,
            eligible: r.eligible,
            eligibility_reasons: serde_json::from_str(&r.eligibility_reasons).unwrap_or_default(),
            enrolled_on: r.enrolled_on,
            anchor_date: r.anchor_date,
            ended_on: r.ended_on,
            end_reason: r.end_reason,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// One participant, if in the caller's scope (else not found), on any connection: a write's
/// transaction or a pooled read.
pub(crate) async fn participant_in(
    conn: &mut AnyConnection,
    scope: &Scope,
    id: i64,
) -> Result<Participant> {
    let (filter, values) = scope_filter(scope, 2);
    let sql = render(
        dialect_of(conn),
        &format!("SELECT {PARTICIPANT_COLUMNS} FROM participants WHERE id = $1 AND {filter}"),
    );
    let mut q = sqlx::query_as::<_, ParticipantRow>(&sql).bind(id);
    for v in &values {
        q = q.bind(v);
    }
    q.fetch_optional(&mut *conn)
        .await?
        .map(Participant::from)
        .ok_or_else(|| not_found("participant", id))
}

/// An ISNCSCI form's values from the exam as entered and its classification (both JSON).
pub(crate) fn exam_form_data(
    raw: &str,
    classification: &str,
) -> serde_json::Map<String, serde_json::Value> {
    let parse = |text: &str| {
        serde_json::from_str::<serde_json::Value>(text)
            .unwrap_or_else(|_| serde_json::Value::Object(serde_json::Map::new()))
    };
    serde_json::Map::from_iter([
        ("exam".to_string(), parse(raw)),
        ("classification".to_string(), parse(classification)),
    ])
}

/// Records on the participant the eligibility a save of the screening exam, or a correction
/// of the screening data, gives (or refuses the write, before anything is written): the audit
/// rows, with the write's reason.
pub(crate) async fn record_eligibility(
    tx: &mut Tx<'_>,
    participant_id: i64,
    found: &trial::screening_exam::Found,
    reason: Option<&str>,
) -> Result<Vec<trial::Change>> {
    let (status, eligible, reasons): (String, Flag, String) =
        sqlx::query_as(&tx.sql(
            "SELECT status, eligible, eligibility_reasons::text FROM participants WHERE id = $1",
        ))
        .bind(participant_id)
        .fetch_one(tx.conn())
        .await?;
    let before = trial::screening_exam::Recorded {
        participant_id,
        status: trial::ParticipantStatus::parse(&status)
            .unwrap_or(trial::ParticipantStatus::Screening),
        eligible: eligible.into(),
        reasons_json: &reasons,
    };
    let outcome = trial::screening_exam::after_screening_exam(&before, found)?;
    if !outcome.changes.is_empty() {
        sqlx::query(&tx.sql(
            "UPDATE participants SET status = $1, eligible = $2, eligibility_reasons = $3::jsonb, \
             updated_at = $4::timestamptz WHERE id = $5",
        ))
        .bind(outcome.status.as_str())
        .bind(outcome.eligible)
        .bind(&outcome.reasons_json)
        .bind(now())
        .bind(participant_id)
        .execute(tx.conn())
        .await?;
    }
    Ok(outcome
        .changes
        .into_iter()
        .map(|c| c.because_of(reason))
        .collect())
}

/// The dates of the doses a participant was given at the bedside (the product's
/// administrations), in order: the date at the site, or for a record kept before it was
/// stored, the date of the injection (UTC).
pub(crate) async fn dose_dates(conn: &mut AnyConnection, participant: i64) -> Result<Vec<Date>> {
    let sql = render(
        dialect_of(conn),
        "SELECT dosed_on::text, injected_at::instant FROM product_administrations \
         WHERE participant_id = $1 ORDER BY injected_at, id",
    );
    let rows: Vec<(Option<String>, String)> = sqlx::query_as(&sql)
        .bind(participant)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .iter()
        .filter_map(|(on, at)| {
            on.as_deref()
                .and_then(parse_date)
                .or_else(|| at.get(..10).and_then(parse_date))
        })
        .collect())
}

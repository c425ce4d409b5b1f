//! The records the store keeps. Instants are UTC text (`2026-11-22T01:29:02.000000Z`), dates
//! are `YYYY-MM-DD`: see [`instant`] and [`date`].

use serde::Serialize;
use time::format_description::FormatItem;
use time::macros::format_description;
use time::{Date, OffsetDateTime, UtcOffset};

const INSTANT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
const DATE: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// An instant as the store writes it: UTC, microseconds, `Z`.
pub fn instant(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(INSTANT)
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

/// A study as loaded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StudyRecord {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// The TOML definition as loaded.
    pub definition: String,
    /// When it was loaded.
    pub loaded_at: String,
}

/// A new user account.
#[derive(Clone, Debug)]
pub struct NewUser {
    /// The login name.
    pub username: String,
    /// The printed name (shown with signatures).
    pub full_name: String,
    /// The argon2id hash of the password (see [`crate::password`]).
    pub password_hash: String,
    /// `en` or `zh`.
    pub language: String,
}

/// A user account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
    pub locked_until: Option<String>,
    /// `en` or `zh`.
    pub language: String,
    /// When it was created.
    pub created_at: String,
}

/// A role in a study, at a site for site roles.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RoleAssignment {
    /// The user.
    pub user_id: i64,
    /// The study.
    pub study_id: String,
    /// The role.
    pub role: trial::Role,
    /// The site, for site roles.
    pub site_id: Option<String>,
}

/// A login attempt.
#[derive(Clone, Debug)]
pub struct LoginAttempt {
    /// The name given.
    pub username: String,
    /// The user, when the name is known.
    pub user_id: Option<i64>,
    /// Whether it succeeded.
    pub success: bool,
    /// When.
    pub at: String,
    /// When a failure locks the account, until when.
    pub lock_until: Option<String>,
}

/// A signed-in session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 of the cookie's token (the token itself is never stored).
    pub token_hash: String,
    /// The user.
    pub user_id: i64,
    /// The token a state-changing request must echo.
    pub csrf_token: String,
    /// When it was opened.
    pub created_at: String,
    /// When it was last used.
    pub last_seen: String,
}

/// A session with its user and the user's roles, as one request needs them.
#[derive(Clone, Debug)]
pub struct SignedIn {
    /// The session.
    pub session: Session,
    /// Its user.
    pub user: User,
    /// The user's roles.
    pub roles: Vec<RoleAssignment>,
}

/// A participant's state.
pub mod status {
    /// Screened, not (yet) enrolled.
    pub const SCREENING: &str = "screening";
    /// Screened and not eligible.
    pub const SCREEN_FAILED: &str = "screen-failed";
    /// Enrolled.
    pub const ENROLLED: &str = "enrolled";
    /// Withdrawn before the end.
    pub const WITHDRAWN: &str = "withdrawn";
    /// Completed the study.
    pub const COMPLETED: &str = "completed";
}

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

/// A participant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
    /// See [`status`].
    pub status: String,
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
    /// Whether the eligibility criteria were met at screening.
    pub eligible: bool,
    /// Why not, when not.
    pub eligibility_reasons: Vec<String>,
    /// Date of enrolment.
    pub enrolled_on: Option<String>,
    /// The date visits are scheduled from.
    pub anchor_date: Option<String>,
    /// Date of withdrawal or completion.
    pub ended_on: Option<String>,
    /// Why it ended.
    pub end_reason: Option<String>,
    /// When the record was created.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
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
    /// [`status::WITHDRAWN`] or [`status::COMPLETED`].
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
    /// One of [`Correction::FIELDS`].
    pub field: String,
    /// The new value.
    pub value: String,
    /// Why it changes (required).
    pub reason: String,
}

impl Correction {
    /// The participant fields that can be corrected.
    pub const FIELDS: [&'static str; 5] = [
        "sex",
        "date_of_birth",
        "injury_date",
        "consent_date",
        "screening_date",
    ];
}

/// A visit of a participant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Visit {
    /// The participant.
    pub participant_id: i64,
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
    /// When it took place.
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

/// A form's values to save for a visit.
#[derive(Clone, Debug)]
pub struct FormSave {
    /// The participant.
    pub participant_id: i64,
    /// The visit.
    pub visit_id: String,
    /// The form.
    pub form_id: String,
    /// The values as validated and normalised: a JSON object, field id to value.
    pub data: serde_json::Map<String, serde_json::Value>,
    /// `in-progress` or `complete`.
    pub status: String,
    /// Why saved data changes (required when the form was saved before).
    pub reason: Option<String>,
}

/// A form as saved.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FormEntry {
    /// The participant.
    pub participant_id: i64,
    /// The visit.
    pub visit_id: String,
    /// The form.
    pub form_id: String,
    /// The values.
    pub data: serde_json::Value,
    /// `in-progress` or `complete`, as saved.
    pub status: String,
    /// The state shown: `locked`, else `signed` (a valid signature covers its visit), else
    /// `source-verified`, else the saved status. See [`form_state`].
    pub state: String,
    /// Who source-verified it (cleared by a later change).
    pub verified_by: Option<String>,
    /// When.
    pub verified_at: Option<String>,
    /// Whether a data manager locked it (a locked form refuses changes).
    pub locked: bool,
    /// 1 when first saved, then one more at each change.
    pub version: i64,
    /// When it last changed.
    pub updated_at: String,
}

/// The states a form entry can be saved in.
pub const FORM_STATUSES: [&str; 2] = ["in-progress", "complete"];

/// The states a form is shown in, from first to last.
pub mod form_state {
    /// Nothing saved yet.
    pub const NOT_STARTED: &str = "not-started";
    /// Saved, not complete.
    pub const IN_PROGRESS: &str = "in-progress";
    /// Saved complete.
    pub const COMPLETE: &str = "complete";
    /// Complete and checked against the source by a monitor.
    pub const SOURCE_VERIFIED: &str = "source-verified";
    /// Its visit carries a valid electronic signature.
    pub const SIGNED: &str = "signed";
    /// Locked by a data manager.
    pub const LOCKED: &str = "locked";
}

/// What a signature means (21 CFR 11.50(a)(3)).
pub const SIGNATURE_MEANINGS: [&str; 3] = ["authored", "reviewed", "approved"];

/// A signing of a visit by its signer (whose password the caller has checked).
#[derive(Clone, Debug)]
pub struct Signing<'a> {
    /// The participant.
    pub participant_id: i64,
    /// The visit signed, or `None` for the whole casebook (every saved form of every visit).
    pub visit_id: Option<String>,
    /// One of [`SIGNATURE_MEANINGS`].
    pub meaning: String,
    /// The signer.
    pub signer: &'a User,
}

/// An electronic signature of a visit, as shown with the record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Signature {
    /// Its id.
    pub id: i64,
    /// The participant.
    pub participant_id: i64,
    /// Whether it signs the whole casebook (then `visit_id` is empty) rather than one visit.
    pub casebook: bool,
    /// The visit signed (empty for a casebook signature).
    pub visit_id: String,
    /// One of [`SIGNATURE_MEANINGS`].
    pub meaning: String,
    /// The signer's account.
    pub signer_user_id: i64,
    /// The signer's printed name.
    pub signer_name: String,
    /// When (UTC).
    pub signed_at: String,
    /// SHA-256 of exactly the data signed: see [`signed_data_hash`].
    pub data_hash: String,
    /// When a change voided it.
    pub void_at: Option<String>,
    /// The change that voided it.
    pub void_reason: Option<String>,
    /// Not void, and the visit's data still hashes to `data_hash`.
    pub valid: bool,
}

/// SHA-256 (hex) of a visit's saved forms as signed: the canonical JSON (keys sorted, no
/// spaces) of `[{"form_id": …, "data": …}, …]`, forms sorted by id. Used when signing and when
/// checking a signature.
pub fn signed_data_hash<'a>(
    forms: impl IntoIterator<Item = (&'a str, &'a serde_json::Value)>,
) -> String {
    use sha2::{Digest, Sha256};
    let mut forms: Vec<(&str, &serde_json::Value)> = forms.into_iter().collect();
    forms.sort_by(|a, b| a.0.cmp(b.0));
    let mut text = String::from("[");
    for (i, (form_id, data)) in forms.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str("{\"form_id\":");
        canonical(&serde_json::Value::String(form_id.to_string()), &mut text);
        text.push_str(",\"data\":");
        canonical(data, &mut text);
        text.push('}');
    }
    text.push(']');
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Canonical JSON: object keys sorted, no whitespace.
fn canonical(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match value {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                canonical(&map[key], out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// A query's states.
pub mod query_status {
    /// Waiting for the site.
    pub const OPEN: &str = "open";
    /// The site answered; waiting for whoever raised it.
    pub const ANSWERED: &str = "answered";
    /// Settled.
    pub const CLOSED: &str = "closed";
}

/// A query to raise on a field of a visit's form.
#[derive(Clone, Debug)]
pub struct NewQuery {
    /// The participant.
    pub participant_id: i64,
    /// The visit.
    pub visit_id: String,
    /// The form.
    pub form_id: String,
    /// The field.
    pub field: String,
    /// The question.
    pub text: String,
}

/// A data query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Query {
    /// Its id.
    pub id: i64,
    /// The participant.
    pub participant_id: i64,
    /// The visit.
    pub visit_id: String,
    /// The form.
    pub form_id: String,
    /// The field.
    pub field: String,
    /// See [`query_status`].
    pub status: String,
    /// The question (the latest, when re-opened).
    pub text: String,
    /// Who raised it.
    pub raised_by: String,
    /// Who raised it, by id.
    pub raised_by_id: Option<i64>,
    /// When.
    pub raised_at: String,
    /// The site's answer.
    pub answer: Option<String>,
    /// Who answered.
    pub answered_by: Option<String>,
    /// When.
    pub answered_at: Option<String>,
    /// When it last changed.
    pub updated_at: String,
}

//! [`SqlStore`]: the [`Store`] over SQLite or PostgreSQL.

use std::str::FromStr;

use async_trait::async_trait;
use futures::future::BoxFuture;
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyConnection, AnyPool, Executor, Transaction};

use crate::audit::{hash_row, AuditReport, AuditRow, ChainCheck, Change, GENESIS};
use crate::group;
use crate::model::*;
use crate::{Dialect, Result, Store, StoreError};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// The store over a database reached with sqlx's `Any` driver.
#[derive(Clone, Debug)]
pub struct SqlStore {
    pub(crate) dialect: Dialect,
    /// Reads.
    pub(crate) pool: AnyPool,
    /// Writes: for SQLite a single connection, since SQLite has one writer at a time.
    pub(crate) writer: AnyPool,
    /// SQLite: the queue of the group-committing writer task (see [`group`]).
    group: Option<tokio::sync::mpsc::UnboundedSender<group::Job>>,
    /// What the group-committing writer has done.
    group_counts: std::sync::Arc<group::Counts>,
}

const QUERY_COLUMNS: &str =
    "id, participant_id, visit_id, form_id, field, status, text, raised_by, \
    raised_by_id, raised_at, answer, answered_by, answered_at, updated_at";

/// What a query step changes: the new status, the answer, the new question, the audit rows.
type QueryStep = (&'static str, Option<String>, Option<String>, Vec<Change>);

const PARTICIPANT_COLUMNS: &str =
    "id, study_id, site_id, screening_number, subject_id, status, sex, \
    date_of_birth, injury_date, consent_date, screening_date, eligible, eligibility_reasons, \
    enrolled_on, anchor_date, ended_on, end_reason, created_at, updated_at";

/// How the audit trail names a whole casebook where it would name a visit.
const CASEBOOK: &str = "casebook";

const AUDIT_COLUMNS: &str = "id, chain, seq, at, user_id, username, action, entity, record_id, \
    field, old_value, new_value, reason, prev_hash, hash";

/// Every audit row, chain by chain in order (the columns of [`AUDIT_COLUMNS`]).
const AUDIT_ALL: &str = "SELECT id, chain, seq, at, user_id, username, action, entity, record_id, \
    field, old_value, new_value, reason, prev_hash, hash FROM audit ORDER BY chain, seq";

#[derive(sqlx::FromRow)]
struct ParticipantRow {
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
    eligible: i64,
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
            status: r.status,
            sex: r.sex,
            date_of_birth: r.date_of_birth,
            injury_date: r.injury_date,
            consent_date: r.consent_date,
            screening_date: r.screening_date,
            eligible: r.eligible != 0,
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

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
    full_name: String,
    password_hash: String,
    active: i64,
    failed_logins: i64,
    locked_until: Option<String>,
    language: String,
    created_at: String,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> User {
        User {
            id: r.id,
            username: r.username,
            full_name: r.full_name,
            password_hash: r.password_hash,
            active: r.active != 0,
            failed_logins: r.failed_logins,
            locked_until: r.locked_until,
            language: r.language,
            created_at: r.created_at,
        }
    }
}

const USER_COLUMNS: &str =
    "id, username, full_name, password_hash, active, failed_logins, locked_until, language, created_at";

/// Maps a unique-key violation to a conflict on `field`.
pub(crate) fn conflict(field: &str, message: &str) -> impl FnOnce(sqlx::Error) -> StoreError {
    let (field, message) = (field.to_string(), message.to_string());
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict { field, message }
        }
        _ => StoreError::Database(e),
    }
}

pub(crate) fn not_found(entity: &'static str, id: impl ToString) -> StoreError {
    StoreError::NotFound {
        entity,
        id: id.to_string(),
    }
}

/// `study_id = $1 [AND site_id IN ($2, …)]` and its values.
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

impl SqlStore {
    /// Opens the database at `url` and applies the migrations: `sqlite:PATH` (the file is
    /// created if missing) or `postgres://…`.
    pub async fn open(url: &str) -> Result<SqlStore> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Dialect::Postgres
        } else {
            return Err(StoreError::Invalid {
                field: "database url".into(),
                message: format!("{url:?} is neither sqlite:PATH nor postgres://…"),
            });
        };
        let url = match dialect {
            Dialect::Sqlite if !url.contains('?') => format!("{url}?mode=rwc"),
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pools = |max: u32| {
            AnyPoolOptions::new()
                .max_connections(max)
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        if dialect == Dialect::Sqlite {
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute("PRAGMA synchronous = FULL").await?;
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                            conn.execute("PRAGMA busy_timeout = 10000").await?;
                        }
                        Ok(())
                    })
                })
                .connect_with(options.clone())
        };
        let (pool, writer) = match dialect {
            Dialect::Sqlite => {
                let writer = pools(1).await?;
                (pools(4).await?, writer)
            }
            Dialect::Postgres => {
                let pool = pools(16).await?;
                (pool.clone(), pool)
            }
        };
        let migrator = match dialect {
            Dialect::Sqlite => &SQLITE_MIGRATIONS,
            Dialect::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&writer).await?;
        let group_counts = std::sync::Arc::new(group::Counts::default());
        let group = (dialect == Dialect::Sqlite).then(|| {
            let (queue, jobs) = tokio::sync::mpsc::unbounded_channel();
            group::spawn(writer.clone(), jobs, group_counts.clone());
            queue
        });
        Ok(SqlStore {
            dialect,
            pool,
            writer,
            group,
            group_counts,
        })
    }

    /// On SQLite, the group commits so far: transactions committed by the writer task and the
    /// writes they held (`None` on PostgreSQL, where each write commits on its own).
    pub fn group_commits(&self) -> Option<(u64, u64)> {
        self.group.as_ref().map(|_| self.group_counts.get())
    }

    /// Runs a write in a transaction and answers once it is committed. On SQLite the writes
    /// that arrive together share one transaction and one commit (see [`group`]); on
    /// PostgreSQL each has its own transaction (the server groups the commits itself).
    async fn write<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T>> + Send + 'static,
    {
        match &self.group {
            Some(queue) => {
                let (job, answer) = group::job(work);
                if queue.send(job).is_err() {
                    return Err(StoreError::Database(sqlx::Error::PoolClosed));
                }
                group::answer(answer).await
            }
            None => {
                let mut tx = self.writer.begin().await?;
                let out = work(&mut tx).await?;
                tx.commit().await?;
                Ok(out)
            }
        }
    }

    /// The pool, for tests and tools that need to reach the tables directly.
    pub fn raw_pool(&self) -> &AnyPool {
        &self.writer
    }

    /// Appends audit rows to a chain, inside the transaction of the change they record.
    pub(crate) async fn audit(
        &self,
        tx: &mut AnyConnection,
        chain: &str,
        by: &Actor,
        changes: &[Change],
    ) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        // The chain's head, created at its first row. On PostgreSQL the upsert also locks the
        // head's row, so writers of the same chain queue here; SQLite has one writer.
        let (mut seq, mut prev): (i64, String) = sqlx::query_as(
            "INSERT INTO audit_heads (chain, seq, hash) VALUES ($1, 0, $2) \
             ON CONFLICT (chain) DO UPDATE SET seq = audit_heads.seq RETURNING seq, hash",
        )
        .bind(chain)
        .bind(GENESIS)
        .fetch_one(&mut *tx)
        .await?;
        let at = now();
        // The rows are hashed in order, then written a few dozen to a statement.
        let mut rows = Vec::with_capacity(changes.len());
        for change in changes {
            seq += 1;
            let hash = hash_row(chain, seq, &at, by.user_id, &by.username, change, &prev);
            rows.push((seq, change, prev.clone(), hash.clone()));
            prev = hash;
        }
        const COLUMNS: usize = 14;
        const PER_STATEMENT: usize = 64;
        for part in rows.chunks(PER_STATEMENT) {
            let mut sql = String::from(
                "INSERT INTO audit (chain, seq, at, user_id, username, action, entity, record_id, \
                 field, old_value, new_value, reason, prev_hash, hash) VALUES ",
            );
            for i in 0..part.len() {
                sql.push_str(if i == 0 { "(" } else { ", (" });
                for c in 1..=COLUMNS {
                    let n = i * COLUMNS + c;
                    sql.push_str(&if c == 1 {
                        format!("${n}")
                    } else {
                        format!(", ${n}")
                    });
                }
                sql.push(')');
            }
            let mut q = sqlx::query(&sql);
            for (seq, change, prev_hash, hash) in part {
                q = q
                    .bind(chain)
                    .bind(*seq)
                    .bind(&at)
                    .bind(by.user_id)
                    .bind(&by.username)
                    .bind(&change.action)
                    .bind(&change.entity)
                    .bind(&change.record_id)
                    .bind(&change.field)
                    .bind(&change.old_value)
                    .bind(&change.new_value)
                    .bind(&change.reason)
                    .bind(prev_hash)
                    .bind(hash);
            }
            q.execute(&mut *tx).await?;
        }
        sqlx::query("UPDATE audit_heads SET seq = $1, hash = $2 WHERE chain = $3")
            .bind(seq)
            .bind(&prev)
            .bind(chain)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }

    /// Takes a study's row for the rest of the transaction on PostgreSQL (SQLite has one
    /// writer): the study-wide steps that must not interleave (enrolment, generating the
    /// randomisation list, assigning a dose level) take it before they check anything.
    pub(crate) async fn lock_study(&self, tx: &mut AnyConnection, study: &str) -> Result<()> {
        let lock = self.for_update();
        sqlx::query(&format!("SELECT id FROM studies WHERE id = $1{lock}"))
            .bind(study)
            .fetch_optional(&mut *tx)
            .await?;
        Ok(())
    }

    pub(crate) async fn participant_in(
        &self,
        tx: &mut AnyConnection,
        scope: &Scope,
        id: i64,
    ) -> Result<Participant> {
        let (filter, values) = scope_filter(scope, 2);
        let sql =
            format!("SELECT {PARTICIPANT_COLUMNS} FROM participants WHERE id = $1 AND {filter}");
        let mut q = sqlx::query_as::<_, ParticipantRow>(&sql).bind(id);
        for v in &values {
            q = q.bind(v);
        }
        q.fetch_optional(&mut *tx)
            .await?
            .map(Participant::from)
            .ok_or_else(|| not_found("participant", id))
    }
}

#[async_trait]
impl Store for SqlStore {
    fn dialect(&self) -> Dialect {
        self.dialect
    }

    async fn load_study(&self, study: &trial::Study, source: &str, by: &Actor) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let previous: Option<(String,)> =
            sqlx::query_as("SELECT definition FROM studies WHERE id = $1")
                .bind(&study.id)
                .fetch_optional(&mut *tx)
                .await?;
        if previous.as_ref().is_some_and(|(d,)| d == source) {
            return Ok(());
        }
        let at = now();
        sqlx::query(
            "INSERT INTO studies (id, title, definition, loaded_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO UPDATE SET title = excluded.title, definition = excluded.definition, \
             loaded_at = excluded.loaded_at",
        )
        .bind(&study.id)
        .bind(&study.title)
        .bind(source)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        for site in &study.sites {
            sqlx::query(
                "INSERT INTO sites (study_id, id, name, time_zone) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (study_id, id) DO UPDATE SET name = excluded.name, time_zone = excluded.time_zone",
            )
            .bind(&study.id)
            .bind(&site.id)
            .bind(&site.name)
            .bind(&site.time_zone)
            .execute(&mut *tx)
            .await?;
        }
        let digest = |text: &str| {
            use sha2::Digest;
            format!(
                "sha256:{}",
                hex::encode(sha2::Sha256::digest(text.as_bytes()))
            )
        };
        let mut change = Change::new(
            if previous.is_some() {
                "update"
            } else {
                "create"
            },
            "study",
            &study.id,
        )
        .set("definition", digest(source));
        if let Some((old,)) = &previous {
            change = change.was(digest(old));
        }
        self.audit(&mut tx, &study.id, by, &[change]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn studies(&self) -> Result<Vec<StudyRecord>> {
        let rows: Vec<(String, String, String, String)> =
            sqlx::query_as("SELECT id, title, definition, loaded_at FROM studies ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(id, title, definition, loaded_at)| StudyRecord {
                id,
                title,
                definition,
                loaded_at,
            })
            .collect())
    }

    async fn create_user(&self, user: &NewUser, by: &Actor) -> Result<User> {
        let mut tx = self.writer.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (username, full_name, password_hash, language, created_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(&user.username)
        .bind(&user.full_name)
        .bind(&user.password_hash)
        .bind(&user.language)
        .bind(now())
        .fetch_one(&mut *tx)
        .await
        .map_err(conflict("username", "is already taken"))?;
        let changes = [
            Change::new("create", "user", id).set("username", &user.username),
            Change::new("create", "user", id).set("full_name", &user.full_name),
            Change::new("create", "user", id).set("password", "(set)"),
        ];
        self.audit(&mut tx, "system", by, &changes).await?;
        tx.commit().await?;
        self.user(id).await?.ok_or_else(|| not_found("user", id))
    }

    async fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
        Ok(sqlx::query_as::<_, UserRow>(&sql)
            .bind(username)
            .fetch_optional(&self.pool)
            .await?
            .map(User::from))
    }

    async fn user(&self, id: i64) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        Ok(sqlx::query_as::<_, UserRow>(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(User::from))
    }

    async fn users(&self) -> Result<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY id");
        Ok(sqlx::query_as::<_, UserRow>(&sql)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(User::from)
            .collect())
    }

    async fn assign_role(&self, a: &RoleAssignment, by: &Actor) -> Result<()> {
        let site = a.site_id.clone().unwrap_or_default();
        let mut tx = self.writer.begin().await?;
        sqlx::query("INSERT INTO role_assignments (user_id, study_id, role, site_id) VALUES ($1, $2, $3, $4)")
            .bind(a.user_id)
            .bind(&a.study_id)
            .bind(a.role.as_str())
            .bind(&site)
            .execute(&mut *tx)
            .await
            .map_err(conflict("role", "is already assigned"))?;
        let what = if site.is_empty() {
            a.role.to_string()
        } else {
            format!("{}@{site}", a.role)
        };
        self.audit(
            &mut tx,
            &a.study_id,
            by,
            &[Change::new("create", "role", a.user_id).set("role", what)],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn roles(&self, user_id: i64) -> Result<Vec<RoleAssignment>> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT study_id, role, site_id FROM role_assignments WHERE user_id = $1 ORDER BY id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(study_id, role, site)| {
                Some(RoleAssignment {
                    user_id,
                    study_id,
                    role: trial::Role::parse(&role)?,
                    site_id: (!site.is_empty()).then_some(site),
                })
            })
            .collect())
    }

    async fn remove_role(&self, a: &RoleAssignment, reason: &str, by: &Actor) -> Result<()> {
        if reason.trim().is_empty() {
            return Err(StoreError::Invalid {
                field: "reason".into(),
                message: "is required to take a role away".into(),
            });
        }
        let site = a.site_id.clone().unwrap_or_default();
        let mut tx = self.writer.begin().await?;
        let removed = sqlx::query("DELETE FROM role_assignments WHERE user_id = $1 AND study_id = $2 AND role = $3 AND site_id = $4")
            .bind(a.user_id)
            .bind(&a.study_id)
            .bind(a.role.as_str())
            .bind(&site)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let what = if site.is_empty() {
            a.role.to_string()
        } else {
            format!("{}@{site}", a.role)
        };
        if removed == 0 {
            return Err(not_found("role", what));
        }
        let change = Change::new("delete", "role", a.user_id)
            .was(what)
            .because(reason);
        let change = Change {
            field: Some("role".into()),
            ..change
        };
        self.audit(&mut tx, &a.study_id, by, &[change]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_active(
        &self,
        user_id: i64,
        active: bool,
        reason: &str,
        by: &Actor,
    ) -> Result<User> {
        if reason.trim().is_empty() {
            return Err(StoreError::Invalid {
                field: "reason".into(),
                message: "is required to change an account".into(),
            });
        }
        let mut tx = self.writer.begin().await?;
        let before: Option<(i64,)> = sqlx::query_as("SELECT active FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some((was,)) = before else {
            return Err(not_found("user", user_id));
        };
        sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
            .bind(i64::from(active))
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if !active {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        let change = Change::new("update", "user", user_id)
            .set("active", active)
            .was(was != 0)
            .because(reason);
        self.audit(&mut tx, "system", by, &[change]).await?;
        tx.commit().await?;
        self.user(user_id)
            .await?
            .ok_or_else(|| not_found("user", user_id))
    }

    async fn record_login(&self, attempt: &LoginAttempt) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let record = attempt
            .user_id
            .map_or_else(|| attempt.username.clone(), |id| id.to_string());
        let mut changes = Vec::new();
        match (attempt.user_id, attempt.success) {
            (Some(id), true) => {
                sqlx::query(
                    "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1",
                )
                .bind(id)
                .execute(&mut *tx)
                .await?;
                changes.push(Change::new("login", "user", &record));
            }
            (Some(id), false) => {
                sqlx::query("UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                changes.push(Change::new("login-failed", "user", &record));
                if let Some(until) = &attempt.lock_until {
                    sqlx::query("UPDATE users SET locked_until = $1 WHERE id = $2")
                        .bind(until)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    changes.push(Change::new("lock", "user", &record).set("locked_until", until));
                }
            }
            (None, _) => changes.push(
                Change::new("login-failed", "user", &record).set("username", &attempt.username),
            ),
        }
        let actor = Actor {
            user_id: attempt.user_id,
            username: attempt.username.clone(),
        };
        self.audit(&mut tx, "system", &actor, &changes).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_session(&self, s: &Session) -> Result<()> {
        sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen) VALUES ($1, $2, $3, $4, $5)")
            .bind(&s.token_hash)
            .bind(s.user_id)
            .bind(&s.csrf_token)
            .bind(&s.created_at)
            .bind(&s.last_seen)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn signed_in(&self, token_hash: &str) -> Result<Option<SignedIn>> {
        type Row = (
            i64,
            String,
            String,
            String,
            String,
            String,
            String,
            i64,
            i64,
            Option<String>,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT u.id, u.username, u.full_name, u.password_hash, \
             s.csrf_token, s.created_at, s.last_seen, \
             u.active, u.failed_logins, u.locked_until, u.language, u.created_at, \
             r.study_id, r.role, r.site_id \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             LEFT JOIN role_assignments r ON r.user_id = u.id \
             WHERE s.token_hash = $1 ORDER BY r.id",
        )
        .bind(token_hash)
        .fetch_all(&self.pool)
        .await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let user = User {
            id: first.0,
            username: first.1.clone(),
            full_name: first.2.clone(),
            password_hash: first.3.clone(),
            active: first.7 != 0,
            failed_logins: first.8,
            locked_until: first.9.clone(),
            language: first.10.clone(),
            created_at: first.11.clone(),
        };
        let session = Session {
            token_hash: token_hash.to_string(),
            user_id: user.id,
            csrf_token: first.4.clone(),
            created_at: first.5.clone(),
            last_seen: first.6.clone(),
        };
        let roles = rows
            .into_iter()
            .filter_map(|r| {
                Some(RoleAssignment {
                    user_id: user.id,
                    study_id: r.12?,
                    role: trial::Role::parse(&r.13?)?,
                    site_id: r.14.filter(|site| !site.is_empty()),
                })
            })
            .collect();
        Ok(Some(SignedIn {
            session,
            user,
            roles,
        }))
    }

    async fn session(&self, token_hash: &str) -> Result<Option<Session>> {
        let row: Option<(String, i64, String, String, String)> = sqlx::query_as(
            "SELECT token_hash, user_id, csrf_token, created_at, last_seen FROM sessions WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(
            |(token_hash, user_id, csrf_token, created_at, last_seen)| Session {
                token_hash,
                user_id,
                csrf_token,
                created_at,
                last_seen,
            },
        ))
    }

    async fn touch_session(&self, token_hash: &str, at: &str) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen = $1 WHERE token_hash = $2")
            .bind(at)
            .bind(token_hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn screen(&self, scope: &Scope, s: &NewScreening, by: &Actor) -> Result<Participant> {
        if !scope.includes_site(&s.site_id) {
            return Err(not_found("site", &s.site_id));
        }
        let (this, scope, s, by) = (self.clone(), scope.clone(), s.clone(), by.clone());
        self.write(move |tx| Box::pin(async move { this.screen_in(tx, &scope, &s, &by).await }))
            .await
    }

    async fn participants(&self, scope: &Scope) -> Result<Vec<Participant>> {
        let (filter, values) = scope_filter(scope, 1);
        let sql =
            format!("SELECT {PARTICIPANT_COLUMNS} FROM participants WHERE {filter} ORDER BY id");
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

    async fn participant(&self, scope: &Scope, id: i64) -> Result<Participant> {
        let (filter, values) = scope_filter(scope, 2);
        let sql =
            format!("SELECT {PARTICIPANT_COLUMNS} FROM participants WHERE id = $1 AND {filter}");
        let mut q = sqlx::query_as::<_, ParticipantRow>(&sql).bind(id);
        for v in &values {
            q = q.bind(v);
        }
        q.fetch_optional(&self.pool)
            .await?
            .map(Participant::from)
            .ok_or_else(|| not_found("participant", id))
    }

    async fn enrol(&self, scope: &Scope, e: &Enrolment, by: &Actor) -> Result<Participant> {
        let mut tx = self.writer.begin().await?;
        // Not while the randomisation list is being generated (it must come first).
        self.lock_study(&mut tx, scope.study()).await?;
        let before = self
            .participant_in(&mut tx, scope, e.participant_id)
            .await?;
        if before.status != status::SCREENING || !before.eligible {
            return Err(StoreError::Conflict {
                field: "status".into(),
                message: format!(
                    "only an eligible participant in screening can be enrolled; this one is {}{}",
                    before.status,
                    if before.eligible {
                        ""
                    } else {
                        " (not eligible)"
                    }
                ),
            });
        }
        let at = now();
        sqlx::query(
            "UPDATE participants SET status = $1, subject_id = $2, enrolled_on = $3, anchor_date = $4, \
             updated_at = $5 WHERE id = $6 AND status = $7",
        )
        .bind(status::ENROLLED)
        .bind(&e.subject_id)
        .bind(&e.enrolled_on)
        .bind(&e.anchor_date)
        .bind(&at)
        .bind(e.participant_id)
        .bind(status::SCREENING)
        .execute(&mut *tx)
        .await
        .map_err(conflict("subject_id", "is already used in this study"))?;
        let id = e.participant_id;
        let mut changes = vec![
            Change::new("update", "participant", id)
                .set("status", status::ENROLLED)
                .was(&before.status),
            Change::new("update", "participant", id).set("subject_id", &e.subject_id),
            Change::new("update", "participant", id).set("enrolled_on", &e.enrolled_on),
            Change::new("update", "participant", id).set("anchor_date", &e.anchor_date),
        ];
        for v in &e.visits {
            sqlx::query(
                "INSERT INTO visits (participant_id, visit_id, name, target, earliest, latest) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(&v.visit_id)
            .bind(&v.name)
            .bind(&v.target)
            .bind(&v.earliest)
            .bind(&v.latest)
            .execute(&mut *tx)
            .await?;
            let record = format!("{id}/{}", v.visit_id);
            changes.push(Change::new("create", "visit", &record).set("target", &v.target));
        }
        self.audit(&mut tx, scope.study(), by, &changes).await?;
        let after = self.participant_in(&mut tx, scope, id).await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn end_participation(
        &self,
        scope: &Scope,
        e: &Ending,
        by: &Actor,
    ) -> Result<Participant> {
        if e.status != status::WITHDRAWN && e.status != status::COMPLETED {
            return Err(StoreError::Invalid {
                field: "status".into(),
                message: format!(
                    "{:?} is not allowed (allowed: withdrawn, completed)",
                    e.status
                ),
            });
        }
        if e.reason.trim().is_empty() {
            return Err(StoreError::Invalid {
                field: "reason".into(),
                message: "is required".into(),
            });
        }
        let mut tx = self.writer.begin().await?;
        let before = self
            .participant_in(&mut tx, scope, e.participant_id)
            .await?;
        if before.status != status::ENROLLED {
            return Err(StoreError::Conflict {
                field: "status".into(),
                message: format!(
                    "only an enrolled participant can be {}; this one is {}",
                    e.status, before.status
                ),
            });
        }
        sqlx::query("UPDATE participants SET status = $1, ended_on = $2, end_reason = $3, updated_at = $4 WHERE id = $5")
            .bind(&e.status)
            .bind(&e.on)
            .bind(&e.reason)
            .bind(now())
            .bind(e.participant_id)
            .execute(&mut *tx)
            .await?;
        let id = e.participant_id;
        let changes = [
            Change::new("update", "participant", id)
                .set("status", &e.status)
                .was(&before.status)
                .because(&e.reason),
            Change::new("update", "participant", id)
                .set("ended_on", &e.on)
                .because(&e.reason),
        ];
        self.audit(&mut tx, scope.study(), by, &changes).await?;
        let after = self.participant_in(&mut tx, scope, id).await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn correct_participant(
        &self,
        scope: &Scope,
        c: &Correction,
        by: &Actor,
    ) -> Result<Participant> {
        let field = Correction::FIELDS
            .iter()
            .find(|f| **f == c.field)
            .ok_or_else(|| StoreError::Invalid {
                field: "field".into(),
                message: format!(
                    "{:?} cannot be corrected (allowed: {})",
                    c.field,
                    Correction::FIELDS.join(", ")
                ),
            })?;
        if c.reason.trim().is_empty() {
            return Err(StoreError::Invalid {
                field: "reason".into(),
                message: "is required to change saved data".into(),
            });
        }
        let valid = match *field {
            "sex" => ["male", "female", "other"].contains(&c.value.as_str()),
            _ => parse_date(&c.value).is_some(),
        };
        if !valid {
            let allowed = if *field == "sex" {
                "male, female, other"
            } else {
                "a date YYYY-MM-DD"
            };
            return Err(StoreError::Invalid {
                field: field.to_string(),
                message: format!("{:?} is not allowed (allowed: {allowed})", c.value),
            });
        }
        let mut tx = self.writer.begin().await?;
        let before = self
            .participant_in(&mut tx, scope, c.participant_id)
            .await?;
        let old = match *field {
            "sex" => before.sex.clone(),
            "date_of_birth" => before.date_of_birth.clone(),
            "injury_date" => before.injury_date.clone(),
            "consent_date" => before.consent_date.clone(),
            _ => before.screening_date.clone(),
        };
        // `field` is one of the fixed column names above, never user text.
        sqlx::query(&format!(
            "UPDATE participants SET {field} = $1, updated_at = $2 WHERE id = $3"
        ))
        .bind(&c.value)
        .bind(now())
        .bind(c.participant_id)
        .execute(&mut *tx)
        .await?;
        let change = Change::new("update", "participant", c.participant_id)
            .set(field, &c.value)
            .was(old)
            .because(&c.reason);
        self.audit(&mut tx, scope.study(), by, &[change]).await?;
        let after = self
            .participant_in(&mut tx, scope, c.participant_id)
            .await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn visits(&self, scope: &Scope, participant_id: i64) -> Result<Vec<Visit>> {
        self.participant(scope, participant_id).await?;
        let rows: Vec<(String, String, String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT visit_id, name, target, earliest, latest, done_on FROM visits WHERE participant_id = $1 ORDER BY target, visit_id",
        )
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

    async fn record_visit(
        &self,
        scope: &Scope,
        participant_id: i64,
        visit_id: &str,
        on: &str,
        by: &Actor,
    ) -> Result<Visit> {
        if parse_date(on).is_none() {
            return Err(StoreError::Invalid {
                field: "done_on".into(),
                message: format!("{on:?} is not a date YYYY-MM-DD"),
            });
        }
        let mut tx = self.writer.begin().await?;
        self.participant_in(&mut tx, scope, participant_id).await?;
        let before: Option<(Option<String>,)> = sqlx::query_as(
            "SELECT done_on FROM visits WHERE participant_id = $1 AND visit_id = $2",
        )
        .bind(participant_id)
        .bind(visit_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((old,)) = before else {
            return Err(not_found("visit", format!("{participant_id}/{visit_id}")));
        };
        if old.is_some() {
            return Err(StoreError::Conflict {
                field: "done_on".into(),
                message: "is already recorded; correct it with a reason".into(),
            });
        }
        sqlx::query("UPDATE visits SET done_on = $1 WHERE participant_id = $2 AND visit_id = $3")
            .bind(on)
            .bind(participant_id)
            .bind(visit_id)
            .execute(&mut *tx)
            .await?;
        let record = format!("{participant_id}/{visit_id}");
        self.audit(
            &mut tx,
            scope.study(),
            by,
            &[Change::new("update", "visit", &record).set("done_on", on)],
        )
        .await?;
        tx.commit().await?;
        self.visits(scope, participant_id)
            .await?
            .into_iter()
            .find(|v| v.visit_id == visit_id)
            .ok_or_else(|| not_found("visit", record))
    }

    async fn exams(&self, scope: &Scope, participant_id: i64) -> Result<Vec<ExamRecord>> {
        self.participant(scope, participant_id).await?;
        let rows: Vec<(i64, String, String, String, String, String)> = sqlx::query_as(
            "SELECT id, visit_id, examined_on, raw, classification, created_at FROM exams WHERE participant_id = $1 ORDER BY id",
        )
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

    async fn add_exam(&self, scope: &Scope, e: &NewExam, by: &Actor) -> Result<ExamRecord> {
        let mut tx = self.writer.begin().await?;
        self.participant_in(&mut tx, scope, e.participant_id)
            .await?;
        let at = now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO exams (participant_id, visit_id, examined_on, raw, classification, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(e.participant_id)
        .bind(&e.visit_id)
        .bind(&e.examined_on)
        .bind(&e.raw)
        .bind(&e.classification)
        .bind(&at)
        .fetch_one(&mut *tx)
        .await?;
        let changes = [
            Change::new("create", "exam", id).set("participant", e.participant_id),
            Change::new("create", "exam", id).set("visit", &e.visit_id),
            Change::new("create", "exam", id).set("raw", &e.raw),
            Change::new("create", "exam", id).set("classification", &e.classification),
        ];
        self.audit(&mut tx, scope.study(), by, &changes).await?;
        tx.commit().await?;
        Ok(ExamRecord {
            id,
            participant_id: e.participant_id,
            visit_id: e.visit_id.clone(),
            examined_on: e.examined_on.clone(),
            raw: e.raw.clone(),
            classification: e.classification.clone(),
            created_at: at,
        })
    }

    async fn save_form(&self, scope: &Scope, f: &FormSave, by: &Actor) -> Result<FormEntry> {
        if !FORM_STATUSES.contains(&f.status.as_str()) {
            return Err(StoreError::Invalid {
                field: "status".into(),
                message: format!(
                    "{:?} is not allowed (allowed: {})",
                    f.status,
                    FORM_STATUSES.join(", ")
                ),
            });
        }
        let (this, scope, form, actor) = (self.clone(), scope.clone(), f.clone(), by.clone());
        self.write(move |tx| {
            Box::pin(async move { this.save_form_in(tx, &scope, &form, &actor).await })
        })
        .await
    }

    async fn forms(&self, scope: &Scope, participant_id: i64) -> Result<Vec<FormEntry>> {
        self.participant(scope, participant_id).await?;
        Ok(self.forms_and_signatures(participant_id).await?.0)
    }

    async fn verify_form(
        &self,
        scope: &Scope,
        participant_id: i64,
        visit_id: &str,
        form_id: &str,
        by: &Actor,
    ) -> Result<FormEntry> {
        let mut tx = self.writer.begin().await?;
        self.participant_in(&mut tx, scope, participant_id).await?;
        let (status, verified_by, locked) = self
            .form_flags(&mut tx, participant_id, visit_id, form_id)
            .await?;
        if locked {
            return Err(locked_conflict(form_id));
        }
        if status != form_state::COMPLETE {
            return Err(StoreError::Conflict {
                field: "status".into(),
                message: format!("only a complete form can be source-verified (it is {status})"),
            });
        }
        if let Some(verifier) = verified_by {
            return Err(StoreError::Conflict {
                field: "verified_by".into(),
                message: format!("form {form_id} is already source-verified by {verifier}"),
            });
        }
        let at = now();
        sqlx::query(
            "UPDATE form_entries SET verified_by = $1, verified_at = $2 \
             WHERE participant_id = $3 AND visit_id = $4 AND form_id = $5",
        )
        .bind(&by.username)
        .bind(&at)
        .bind(participant_id)
        .bind(visit_id)
        .bind(form_id)
        .execute(&mut *tx)
        .await?;
        let record = format!("{participant_id}/{visit_id}/{form_id}");
        self.audit(
            &mut tx,
            scope.study(),
            by,
            &[Change::new("verify", "form", &record).set("verified_by", &by.username)],
        )
        .await?;
        tx.commit().await?;
        self.form_entry(participant_id, visit_id, form_id).await
    }

    async fn sign_visit(
        &self,
        scope: &Scope,
        signing: &Signing<'_>,
        by: &Actor,
    ) -> Result<Signature> {
        if !SIGNATURE_MEANINGS.contains(&signing.meaning.as_str()) {
            return Err(StoreError::Invalid {
                field: "meaning".into(),
                message: format!(
                    "{:?} is not allowed (allowed: {})",
                    signing.meaning,
                    SIGNATURE_MEANINGS.join(", ")
                ),
            });
        }
        let (participant_id, visit) = (signing.participant_id, signing.visit_id.as_deref());
        let what = visit.map_or_else(|| "the casebook".to_string(), |v| format!("visit {v}"));
        let lock = self.for_update();
        let mut tx = self.writer.begin().await?;
        self.participant_in(&mut tx, scope, participant_id).await?;
        // Saves of the visits signed queue behind this signing on PostgreSQL (row locks).
        let visits: Vec<(String,)> = sqlx::query_as(&format!(
            "SELECT visit_id FROM visits WHERE participant_id = $1 AND (visit_id = $2 OR $3 = 1) \
             ORDER BY visit_id{lock}"
        ))
        .bind(participant_id)
        .bind(visit.unwrap_or_default())
        .bind(i64::from(visit.is_none()))
        .fetch_all(&mut *tx)
        .await?;
        if let (Some(visit_id), true) = (visit, visits.is_empty()) {
            return Err(not_found("visit", format!("{participant_id}/{visit_id}")));
        }
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(&format!(
            "SELECT visit_id, form_id, data, status FROM form_entries \
             WHERE participant_id = $1 AND (visit_id = $2 OR $3 = 1) \
             ORDER BY visit_id, form_id{lock}"
        ))
        .bind(participant_id)
        .bind(visit.unwrap_or_default())
        .bind(i64::from(visit.is_none()))
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            return Err(StoreError::Conflict {
                field: "forms".into(),
                message: format!("{what} has no saved form to sign"),
            });
        }
        // A visit's forms are named by form; a casebook's by visit and form.
        let name = |r: &(String, String, String, String)| match visit {
            Some(_) => r.1.clone(),
            None => format!("{}/{}", r.0, r.1),
        };
        let incomplete: Vec<String> = rows
            .iter()
            .filter(|r| r.3 != form_state::COMPLETE)
            .map(name)
            .collect();
        if !incomplete.is_empty() {
            return Err(StoreError::Conflict {
                field: "status".into(),
                message: format!(
                    "every saved form must be complete to sign {what} (not complete: {})",
                    incomplete.join(", ")
                ),
            });
        }
        let data: Vec<(String, serde_json::Value)> = rows
            .iter()
            .map(|r| (name(r), serde_json::from_str(&r.2).unwrap_or_default()))
            .collect();
        let data_hash = signed_data_hash(data.iter().map(|(id, d)| (id.as_str(), d)));
        let at = now();
        let signer = signing.signer;
        let visit_id = visit.unwrap_or_default().to_string();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO signatures (participant_id, visit_id, meaning, signer_user_id, signer_name, signed_at, data_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(participant_id)
        .bind(&visit_id)
        .bind(&signing.meaning)
        .bind(signer.id)
        .bind(&signer.full_name)
        .bind(&at)
        .bind(&data_hash)
        .fetch_one(&mut *tx)
        .await?;
        let record = format!("{participant_id}/{}/{id}", visit.unwrap_or(CASEBOOK));
        let changes = [
            Change::new("sign", "signature", &record).set("signed", &what),
            Change::new("sign", "signature", &record).set("meaning", &signing.meaning),
            Change::new("sign", "signature", &record).set("signer_user_id", signer.id),
            Change::new("sign", "signature", &record).set("signer_name", &signer.full_name),
            Change::new("sign", "signature", &record).set("signed_at", &at),
            Change::new("sign", "signature", &record).set("data_hash", &data_hash),
        ];
        self.audit(&mut tx, scope.study(), by, &changes).await?;
        tx.commit().await?;
        Ok(Signature {
            id,
            participant_id,
            casebook: visit.is_none(),
            visit_id,
            meaning: signing.meaning.clone(),
            signer_user_id: signer.id,
            signer_name: signer.full_name.clone(),
            signed_at: at,
            data_hash,
            void_at: None,
            void_reason: None,
            valid: true,
        })
    }

    async fn sign_failed(
        &self,
        scope: &Scope,
        participant_id: i64,
        visit_id: Option<&str>,
        by: &Actor,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        self.participant_in(&mut tx, scope, participant_id).await?;
        let record = format!("{participant_id}/{}", visit_id.unwrap_or(CASEBOOK));
        let entity = if visit_id.is_some() {
            "visit"
        } else {
            "casebook"
        };
        let change = Change::new("sign-failed", entity, &record).set("signature", "wrong password");
        self.audit(&mut tx, scope.study(), by, &[change]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn signatures(&self, scope: &Scope, participant_id: i64) -> Result<Vec<Signature>> {
        self.participant(scope, participant_id).await?;
        Ok(self.forms_and_signatures(participant_id).await?.1)
    }

    async fn lock_form(
        &self,
        scope: &Scope,
        participant_id: i64,
        visit_id: &str,
        form_id: &str,
        by: &Actor,
    ) -> Result<FormEntry> {
        self.set_locked(scope, participant_id, visit_id, form_id, None, by)
            .await
    }

    async fn unlock_form(
        &self,
        scope: &Scope,
        participant_id: i64,
        visit_id: &str,
        form_id: &str,
        reason: &str,
        by: &Actor,
    ) -> Result<FormEntry> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StoreError::Invalid {
                field: "reason".into(),
                message: "is required to unlock a form".into(),
            });
        }
        self.set_locked(scope, participant_id, visit_id, form_id, Some(reason), by)
            .await
    }

    async fn raise_query(&self, scope: &Scope, q: &NewQuery, by: &Actor) -> Result<Query> {
        let text = q.text.trim();
        if text.is_empty() || text.len() > 2000 {
            return Err(StoreError::Invalid {
                field: "text".into(),
                message: "is required (up to 2,000 characters)".into(),
            });
        }
        if q.field.trim().is_empty() {
            return Err(StoreError::Invalid {
                field: "field".into(),
                message: "is required: the field the query is about".into(),
            });
        }
        let mut tx = self.writer.begin().await?;
        self.participant_in(&mut tx, scope, q.participant_id)
            .await?;
        let at = now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO queries (participant_id, visit_id, form_id, field, status, text, raised_by, raised_by_id, raised_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(q.participant_id)
        .bind(&q.visit_id)
        .bind(&q.form_id)
        .bind(&q.field)
        .bind(query_status::OPEN)
        .bind(text)
        .bind(&by.username)
        .bind(by.user_id)
        .bind(&at)
        .bind(&at)
        .fetch_one(&mut *tx)
        .await?;
        let about = format!(
            "{}/{}/{}/{}",
            q.participant_id, q.visit_id, q.form_id, q.field
        );
        let changes = [
            Change::new("create", "query", id).set("about", about),
            Change::new("create", "query", id).set("text", text),
        ];
        self.audit(&mut tx, scope.study(), by, &changes).await?;
        let query = self.query_in(&mut tx, scope, id).await?;
        tx.commit().await?;
        Ok(query)
    }

    async fn answer_query(
        &self,
        scope: &Scope,
        id: i64,
        answer: &str,
        by: &Actor,
    ) -> Result<Query> {
        let answer = answer.trim();
        if answer.is_empty() {
            return Err(StoreError::Invalid {
                field: "answer".into(),
                message: "is required".into(),
            });
        }
        self.query_step(scope, id, &[query_status::OPEN], by, |q| {
            (
                query_status::ANSWERED,
                Some(answer.to_string()),
                None,
                vec![Change::new("update", "query", q.id)
                    .set("answer", answer)
                    .was(&q.status)],
            )
        })
        .await
    }

    async fn close_query(&self, scope: &Scope, id: i64, by: &Actor) -> Result<Query> {
        self.query_step(
            scope,
            id,
            &[query_status::OPEN, query_status::ANSWERED],
            by,
            |q| {
                (
                    query_status::CLOSED,
                    q.answer.clone(),
                    None,
                    vec![Change::new("update", "query", q.id)
                        .set("status", query_status::CLOSED)
                        .was(&q.status)],
                )
            },
        )
        .await
    }

    async fn reopen_query(&self, scope: &Scope, id: i64, text: &str, by: &Actor) -> Result<Query> {
        let text = text.trim();
        if text.is_empty() {
            return Err(StoreError::Invalid {
                field: "text".into(),
                message: "is required to re-open a query".into(),
            });
        }
        self.query_step(
            scope,
            id,
            &[query_status::ANSWERED, query_status::CLOSED],
            by,
            |q| {
                let change = Change::new("update", "query", q.id)
                    .set("status", query_status::OPEN)
                    .was(&q.status)
                    .because(text);
                (
                    query_status::OPEN,
                    q.answer.clone(),
                    Some(text.to_string()),
                    vec![change],
                )
            },
        )
        .await
    }

    async fn queries(
        &self,
        scope: &Scope,
        participant_id: Option<i64>,
        status: Option<&str>,
    ) -> Result<Vec<Query>> {
        let (filter, values) = scope_filter(scope, 1);
        let mut sql = format!(
            "SELECT {QUERY_COLUMNS} FROM queries WHERE participant_id IN (SELECT id FROM participants WHERE {filter})"
        );
        let mut n = values.len();
        if participant_id.is_some() {
            n += 1;
            sql.push_str(&format!(" AND participant_id = ${n}"));
        }
        if status.is_some() {
            n += 1;
            sql.push_str(&format!(" AND status = ${n}"));
        }
        sql.push_str(" ORDER BY id");
        let mut q = sqlx::query_as::<_, Query>(&sql);
        for v in &values {
            q = q.bind(v);
        }
        if let Some(p) = participant_id {
            q = q.bind(p);
        }
        if let Some(s) = status {
            q = q.bind(s);
        }
        Ok(q.fetch_all(&self.pool).await?)
    }

    async fn audit_of(&self, entity: &str, record_id: &str) -> Result<Vec<AuditRow>> {
        let sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM audit WHERE entity = $1 AND record_id = $2 ORDER BY id"
        );
        Ok(sqlx::query_as::<_, AuditRow>(&sql)
            .bind(entity)
            .bind(record_id)
            .fetch_all(&self.pool)
            .await?)
    }

    fn audit_all(&self) -> BoxStream<'_, Result<AuditRow>> {
        sqlx::query_as::<_, AuditRow>(AUDIT_ALL)
            .fetch(&self.pool)
            .map_err(StoreError::from)
            .boxed()
    }

    async fn record_export(&self, chain: &str, what: &str, by: &Actor) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        self.audit(&mut tx, chain, by, &[Change::new("export", what, chain)])
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn verify_audit(&self) -> Result<AuditReport> {
        let heads: Vec<(String, i64, String)> =
            sqlx::query_as("SELECT chain, seq, hash FROM audit_heads ORDER BY chain")
                .fetch_all(&self.pool)
                .await?;
        let mut stream = self.audit_all();
        let (mut rows, mut chains) = (0u64, 0u64);
        let mut current: Option<ChainCheck> = None;
        let finish = |check: &ChainCheck| {
            let head = heads.iter().find(|(c, _, _)| *c == check.chain);
            match head {
                Some((_, seq, hash)) => check.end(*seq, hash),
                None => check.end(0, GENESIS),
            }
        };
        while let Some(row) = stream.next().await {
            let row = row?;
            if current.as_ref().is_none_or(|c| c.chain != row.chain) {
                if let Some(done) = current.take() {
                    if let Some(report) = finish(&done) {
                        return Ok(report);
                    }
                    rows += done.rows;
                    chains += 1;
                }
                current = Some(ChainCheck::new(&row.chain));
            }
            if let Some(report) = current.as_mut().and_then(|c| c.next(&row)) {
                return Ok(report);
            }
        }
        if let Some(done) = current.take() {
            if let Some(report) = finish(&done) {
                return Ok(report);
            }
            rows += done.rows;
            chains += 1;
        }
        // A chain whose rows are all gone.
        for (chain, seq, hash) in &heads {
            if *seq > 0 && !self.audit_has_chain(chain).await? {
                let check = ChainCheck::new(chain);
                if let Some(report) = check.end(*seq, hash) {
                    return Ok(report);
                }
            }
        }
        Ok(AuditReport::Intact { rows, chains })
    }

    // --- Allocation and dose escalation: crates/store/src/allocation.rs, escalation.rs ---

    async fn generate_randomisation(
        &self,
        study: &trial::Study,
        seed: u64,
        per_stratum: usize,
        kits: usize,
        by: &Actor,
    ) -> Result<crate::RandomisationList> {
        self.generate_list(study, seed, per_stratum, kits, by).await
    }

    async fn randomisation_list(&self, study: &str) -> Result<Option<crate::RandomisationList>> {
        self.randomisation_list_read(study).await
    }

    async fn randomise(
        &self,
        scope: &Scope,
        study: &trial::Study,
        participant_id: i64,
        covariates: &trial::Covariates,
        by: &Actor,
    ) -> Result<crate::Allocation> {
        self.randomise_write(scope, study, participant_id, covariates, by)
            .await
    }

    async fn allocation(
        &self,
        scope: &Scope,
        participant_id: i64,
    ) -> Result<Option<crate::Allocation>> {
        self.allocation_read(scope, participant_id).await
    }

    async fn allocations(&self, scope: &Scope) -> Result<Vec<crate::Allocation>> {
        self.allocations_read(scope).await
    }

    async fn dispense_kit(
        &self,
        scope: &Scope,
        participant_id: i64,
        kit_number: &str,
        by: &Actor,
    ) -> Result<crate::Allocation> {
        self.dispense_write(scope, participant_id, kit_number, by)
            .await
    }

    async fn emergency_unblind(
        &self,
        scope: &Scope,
        participant_id: i64,
        reason: &str,
        by: &Actor,
    ) -> Result<crate::Allocation> {
        self.unblind_write(scope, participant_id, reason, by).await
    }

    async fn unblind_failed(&self, scope: &Scope, participant_id: i64, by: &Actor) -> Result<()> {
        self.unblind_failed_write(scope, participant_id, by).await
    }

    async fn notifications(
        &self,
        study: &str,
        roles: &[trial::Role],
        reader: &Actor,
    ) -> Result<Vec<crate::Notification>> {
        self.notifications_read(study, roles, reader, None).await
    }

    async fn acknowledge_notification(
        &self,
        study: &str,
        roles: &[trial::Role],
        id: i64,
        by: &Actor,
    ) -> Result<crate::Notification> {
        let mut tx = self.writer.begin().await?;
        self.acknowledge_notification_tx(&mut tx, study, roles, id, by)
            .await?;
        tx.commit().await?;
        self.notifications_read(study, roles, by, Some(id))
            .await?
            .pop()
            .ok_or_else(|| not_found("notification", id))
    }

    async fn outbox(&self, study: &str) -> Result<Vec<crate::OutboxMessage>> {
        self.outbox_read(study).await
    }

    async fn check_randomisation(&self, study: &trial::Study) -> Result<Option<crate::ListCheck>> {
        self.check_list_read(study).await
    }

    async fn cohort_counts(&self, study: &trial::Study) -> Result<Vec<trial::LevelCount>> {
        self.cohort_counts_read(study).await
    }

    async fn assign_dose_level(
        &self,
        scope: &Scope,
        study: &trial::Study,
        participant_id: i64,
        level_id: Option<&str>,
        sponsor_override: Option<crate::DoseOverride<'_>>,
        by: &Actor,
    ) -> Result<crate::DoseAssignment> {
        self.assign_dose_write(
            scope,
            study,
            crate::escalation::DoseRequest {
                participant_id,
                level_id,
                sponsor_override,
            },
            by,
        )
        .await
    }

    async fn doses(
        &self,
        scope: &Scope,
    ) -> Result<Vec<(crate::DoseAssignment, Option<crate::DltAssessment>)>> {
        self.doses_read(scope).await
    }

    async fn dose(
        &self,
        scope: &Scope,
        participant_id: i64,
    ) -> Result<(Option<crate::DoseAssignment>, Option<crate::DltAssessment>)> {
        self.dose_read(scope, participant_id).await
    }

    async fn record_dlt(
        &self,
        scope: &Scope,
        study: &trial::Study,
        dlt: &crate::NewDlt<'_>,
        by: &Actor,
    ) -> Result<crate::DltAssessment> {
        self.record_dlt_write(scope, study, dlt, by).await
    }

    async fn signature_refused(
        &self,
        scope: &Scope,
        participant_id: i64,
        what: &str,
        by: &Actor,
    ) -> Result<()> {
        self.signature_refused_write(scope, participant_id, what, by)
            .await
    }
}

/// The fields whose values differ between two saves of a form, in order of name: a field
/// holding an object on both sides (the ISNCSCI exam, its classification) is compared member by
/// member, named `field.member`, so that the audit trail names each value that changed.
fn changed_fields<'a>(
    prefix: &str,
    old: &'a serde_json::Map<String, serde_json::Value>,
    new: &'a serde_json::Map<String, serde_json::Value>,
    out: &mut Vec<(
        String,
        Option<&'a serde_json::Value>,
        Option<&'a serde_json::Value>,
    )>,
) {
    let mut names: Vec<&String> = old.keys().chain(new.keys()).collect();
    names.sort();
    names.dedup();
    for name in names {
        let (was, now) = (old.get(name), new.get(name));
        if was == now {
            continue;
        }
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        match (was, now) {
            (Some(serde_json::Value::Object(a)), Some(serde_json::Value::Object(b))) => {
                changed_fields(&path, a, b, out)
            }
            _ => out.push((path, was, now)),
        }
    }
}

fn locked_conflict(form_id: &str) -> StoreError {
    StoreError::Conflict {
        field: "status".into(),
        message: format!(
            "form {form_id} is locked: it cannot change until a data manager unlocks it"
        ),
    }
}

/// A saved form's row as read: visit, form, data, status, version, updated_at, verified_by,
/// verified_at, locked.
type FormRow = (
    String,
    String,
    String,
    String,
    i64,
    String,
    Option<String>,
    Option<String>,
    i64,
);

/// A signature's row as read: id, visit, meaning, signer id, signer name, signed_at, hash,
/// void_at, void_reason.
type SignatureRow = (
    i64,
    String,
    String,
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

impl SqlStore {
    /// The write of [`Store::screen`], inside the caller's transaction.
    async fn screen_in(
        &self,
        tx: &mut AnyConnection,
        scope: &Scope,
        s: &NewScreening,
        by: &Actor,
    ) -> Result<Participant> {
        let study = scope.study();
        let at = now();
        let status = if s.eligible {
            status::SCREENING
        } else {
            status::SCREEN_FAILED
        };
        let reasons = serde_json::to_string(&s.eligibility_reasons).unwrap_or_else(|_| "[]".into());
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO participants (study_id, site_id, screening_number, status, sex, date_of_birth, \
             injury_date, consent_date, screening_date, eligible, eligibility_reasons, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
        )
        .bind(study)
        .bind(&s.site_id)
        .bind(&s.screening_number)
        .bind(status)
        .bind(&s.sex)
        .bind(&s.date_of_birth)
        .bind(&s.injury_date)
        .bind(&s.consent_date)
        .bind(&s.screening_date)
        .bind(i64::from(s.eligible))
        .bind(&reasons)
        .bind(&at)
        .bind(&at)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => not_found("site", &s.site_id),
            _ => conflict("screening_number", "is already used in this study")(e),
        })?;
        let exam_id: i64 = sqlx::query_scalar(
            "INSERT INTO exams (participant_id, visit_id, examined_on, raw, classification, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(id)
        .bind(&s.exam_visit)
        .bind(&s.screening_date)
        .bind(&s.exam_raw)
        .bind(&s.classification)
        .bind(&at)
        .fetch_one(&mut *tx)
        .await?;
        let p =
            |field: &str, value: &str| Change::new("create", "participant", id).set(field, value);
        let changes = vec![
            p("site_id", &s.site_id),
            p("screening_number", &s.screening_number),
            p("status", status),
            p("sex", &s.sex),
            p("date_of_birth", &s.date_of_birth),
            p("injury_date", &s.injury_date),
            p("consent_date", &s.consent_date),
            p("screening_date", &s.screening_date),
            p("eligible", &s.eligible.to_string()),
            p("eligibility_reasons", &reasons),
            Change::new("create", "exam", exam_id).set("raw", &s.exam_raw),
            Change::new("create", "exam", exam_id).set("classification", &s.classification),
        ];
        self.audit(&mut *tx, study, by, &changes).await?;
        self.participant_in(&mut *tx, scope, id).await
    }

    /// The write of [`Store::save_form`], inside the caller's transaction; returns the form as
    /// saved (unverified, unlocked, and with its visit's signatures void, so shown in its saved
    /// status).
    async fn save_form_in(
        &self,
        tx: &mut AnyConnection,
        scope: &Scope,
        f: &FormSave,
        by: &Actor,
    ) -> Result<FormEntry> {
        // The participant (in scope), the visit, the form as saved and whether the visit holds
        // signatures, in one statement. On PostgreSQL the visit's row is locked: saves and
        // signings of one visit queue here, so that a signature never misses a change made
        // while it was being recorded.
        type Before = (String, String, i64, Option<String>, i64);
        let (filter, values) = scope_filter(scope, 4);
        let lock = match self.dialect {
            Dialect::Postgres => " FOR UPDATE OF v",
            Dialect::Sqlite => "",
        };
        let sql = format!(
            "SELECT f.data, f.status, f.version, f.verified_by, f.locked, \
             (SELECT COUNT(*) FROM signatures s WHERE s.participant_id = v.participant_id \
              AND s.visit_id IN (v.visit_id, '') AND s.void_at IS NULL) \
             FROM participants p \
             JOIN visits v ON v.participant_id = p.id AND v.visit_id = $2 \
             LEFT JOIN form_entries f ON f.participant_id = v.participant_id \
              AND f.visit_id = v.visit_id AND f.form_id = $3 \
             WHERE p.id = $1 AND {filter}{lock}"
        );
        let mut q = sqlx::query_as::<
            _,
            (
                Option<String>,
                Option<String>,
                Option<i64>,
                Option<String>,
                Option<i64>,
                i64,
            ),
        >(&sql)
        .bind(f.participant_id)
        .bind(&f.visit_id)
        .bind(&f.form_id);
        for v in &values {
            q = q.bind(v);
        }
        let Some((data, status, version, verified_by, locked, signed)) =
            q.fetch_optional(&mut *tx).await?
        else {
            // Which is missing: the participant (or not in scope), or the visit.
            self.participant_in(&mut *tx, scope, f.participant_id)
                .await?;
            return Err(not_found(
                "visit",
                format!("{}/{}", f.participant_id, f.visit_id),
            ));
        };
        let mut before: Option<Before> = match (data, status, version, locked) {
            (Some(data), Some(status), Some(version), Some(locked)) => {
                Some((data, status, version, verified_by, locked))
            }
            _ => None,
        };
        if before.is_some() && self.dialect == Dialect::Postgres {
            // The saved form's row too, read again under its lock.
            before = sqlx::query_as(
                "SELECT data, status, version, verified_by, locked FROM form_entries \
                 WHERE participant_id = $1 AND visit_id = $2 AND form_id = $3 FOR UPDATE",
            )
            .bind(f.participant_id)
            .bind(&f.visit_id)
            .bind(&f.form_id)
            .fetch_optional(&mut *tx)
            .await?;
        }
        if before.as_ref().is_some_and(|b| b.4 != 0) {
            return Err(locked_conflict(&f.form_id));
        }
        let reason = f.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
        if before.is_some() && reason.is_none() {
            return Err(StoreError::Invalid {
                field: "reason".into(),
                message: "is required to change saved data".into(),
            });
        }
        let at = now();
        let data = serde_json::Value::Object(f.data.clone()).to_string();
        let record = format!("{}/{}/{}", f.participant_id, f.visit_id, f.form_id);
        let text = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let mut changes = Vec::new();
        // What voids the visit's signatures, in words.
        let what_changed = match &before {
            None => {
                sqlx::query(
                    "INSERT INTO form_entries (participant_id, visit_id, form_id, data, status, version, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, 1, $6)",
                )
                .bind(f.participant_id)
                .bind(&f.visit_id)
                .bind(&f.form_id)
                .bind(&data)
                .bind(&f.status)
                .bind(&at)
                .execute(&mut *tx)
                .await?;
                for (field, value) in &f.data {
                    changes.push(Change::new("create", "form", &record).set(field, text(value)));
                }
                changes.push(Change::new("create", "form", &record).set("status", &f.status));
                format!("form {} added to the visit", f.form_id)
            }
            Some((old_data, old_status, version, verified_by, _)) => {
                let old: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_str(old_data).unwrap_or_default();
                let mut differences = Vec::new();
                changed_fields("", &old, &f.data, &mut differences);
                let mut described = Vec::new();
                for (field, was, now_) in differences {
                    {
                        let mut c = Change::new("update", "form", &record);
                        c.field = Some(field.clone());
                        c.old_value = was.map(text);
                        c.new_value = now_.map(text);
                        c.reason = reason.map(String::from);
                        described.push(format!(
                            "{field} {} → {}",
                            c.old_value.as_deref().unwrap_or("(empty)"),
                            c.new_value.as_deref().unwrap_or("(empty)")
                        ));
                        changes.push(c);
                    }
                }
                if *old_status != f.status {
                    described.push(format!("status {old_status} → {}", f.status));
                    changes.push(
                        Change::new("update", "form", &record)
                            .set("status", &f.status)
                            .was(old_status)
                            .because(reason.unwrap_or_default()),
                    );
                }
                if changes.is_empty() {
                    return Err(StoreError::Conflict {
                        field: "values".into(),
                        message: "nothing changed".into(),
                    });
                }
                sqlx::query(
                    "UPDATE form_entries SET data = $1, status = $2, version = $3, updated_at = $4, \
                     verified_by = NULL, verified_at = NULL \
                     WHERE participant_id = $5 AND visit_id = $6 AND form_id = $7",
                )
                .bind(&data)
                .bind(&f.status)
                .bind(version + 1)
                .bind(&at)
                .bind(f.participant_id)
                .bind(&f.visit_id)
                .bind(&f.form_id)
                .execute(&mut *tx)
                .await?;
                if let Some(verifier) = verified_by {
                    let mut c = Change::new("verification-cleared", "form", &record);
                    c.field = Some("verified_by".into());
                    c.old_value = Some(verifier.clone());
                    c.reason = reason.map(String::from);
                    changes.push(c);
                }
                format!(
                    "form {} changed: {} ({})",
                    f.form_id,
                    described.join(", "),
                    reason.unwrap_or_default()
                )
            }
        };
        // Every signature of the visit that is not yet void is void now, with the change.
        if signed > 0 {
            // The visit's signatures, and the casebook's (visit_id '').
            let voided: Vec<(i64, String)> = sqlx::query_as(
                "UPDATE signatures SET void_at = $1, void_reason = $2 \
                 WHERE participant_id = $3 AND visit_id IN ($4, '') AND void_at IS NULL \
                 RETURNING id, visit_id",
            )
            .bind(&at)
            .bind(&what_changed)
            .bind(f.participant_id)
            .bind(&f.visit_id)
            .fetch_all(&mut *tx)
            .await?;
            let mut voided = voided;
            voided.sort_unstable();
            for (id, visit_id) in voided {
                let signed = if visit_id.is_empty() {
                    CASEBOOK
                } else {
                    &visit_id
                };
                let sig_record = format!("{}/{signed}/{id}", f.participant_id);
                let mut c =
                    Change::new("void", "signature", &sig_record).set("void_reason", &what_changed);
                c.reason = reason.map(String::from);
                changes.push(c);
            }
        }
        self.audit(&mut *tx, scope.study(), by, &changes).await?;
        Ok(FormEntry {
            participant_id: f.participant_id,
            visit_id: f.visit_id.clone(),
            form_id: f.form_id.clone(),
            data: serde_json::Value::Object(f.data.clone()),
            status: f.status.clone(),
            state: f.status.clone(),
            verified_by: None,
            verified_at: None,
            locked: false,
            version: before.as_ref().map_or(1, |b| b.2 + 1),
            updated_at: at,
        })
    }

    /// ` FOR UPDATE` on PostgreSQL (SQLite has one writer).
    pub(crate) fn for_update(&self) -> &'static str {
        if self.dialect == Dialect::Postgres {
            " FOR UPDATE"
        } else {
            ""
        }
    }

    /// A saved form's status, verifier and lock, read for a change (row-locked on PostgreSQL).
    async fn form_flags(
        &self,
        tx: &mut Transaction<'static, Any>,
        participant_id: i64,
        visit_id: &str,
        form_id: &str,
    ) -> Result<(String, Option<String>, bool)> {
        let lock = self.for_update();
        let row: Option<(String, Option<String>, i64)> = sqlx::query_as(&format!(
            "SELECT status, verified_by, locked FROM form_entries \
             WHERE participant_id = $1 AND visit_id = $2 AND form_id = $3{lock}"
        ))
        .bind(participant_id)
        .bind(visit_id)
        .bind(form_id)
        .fetch_optional(&mut **tx)
        .await?;
        let (status, verified_by, locked) =
            row.ok_or_else(|| not_found("form", format!("{participant_id}/{visit_id}/{form_id}")))?;
        Ok((status, verified_by, locked != 0))
    }

    /// Locks (no reason) or unlocks (with the reason) a saved form.
    async fn set_locked(
        &self,
        scope: &Scope,
        participant_id: i64,
        visit_id: &str,
        form_id: &str,
        unlock_reason: Option<&str>,
        by: &Actor,
    ) -> Result<FormEntry> {
        let lock = unlock_reason.is_none();
        let mut tx = self.writer.begin().await?;
        self.participant_in(&mut tx, scope, participant_id).await?;
        let (_, _, locked) = self
            .form_flags(&mut tx, participant_id, visit_id, form_id)
            .await?;
        if locked == lock {
            return Err(StoreError::Conflict {
                field: "locked".into(),
                message: format!(
                    "form {form_id} is already {}",
                    if lock { "locked" } else { "unlocked" }
                ),
            });
        }
        sqlx::query(
            "UPDATE form_entries SET locked = $1 \
             WHERE participant_id = $2 AND visit_id = $3 AND form_id = $4",
        )
        .bind(i64::from(lock))
        .bind(participant_id)
        .bind(visit_id)
        .bind(form_id)
        .execute(&mut *tx)
        .await?;
        let record = format!("{participant_id}/{visit_id}/{form_id}");
        let mut change = Change::new(if lock { "lock" } else { "unlock" }, "form", &record)
            .set("locked", lock)
            .was(!lock);
        change.reason = unlock_reason.map(String::from);
        self.audit(&mut tx, scope.study(), by, &[change]).await?;
        tx.commit().await?;
        self.form_entry(participant_id, visit_id, form_id).await
    }

    /// One saved form, with its shown state.
    async fn form_entry(
        &self,
        participant_id: i64,
        visit_id: &str,
        form_id: &str,
    ) -> Result<FormEntry> {
        self.forms_and_signatures(participant_id)
            .await?
            .0
            .into_iter()
            .find(|f| f.visit_id == visit_id && f.form_id == form_id)
            .ok_or_else(|| not_found("form", format!("{participant_id}/{visit_id}/{form_id}")))
    }

    /// A participant's forms with their shown states, and signatures with their validity.
    async fn forms_and_signatures(
        &self,
        participant_id: i64,
    ) -> Result<(Vec<FormEntry>, Vec<Signature>)> {
        let rows: Vec<FormRow> = sqlx::query_as(
            "SELECT visit_id, form_id, data, status, version, updated_at, verified_by, verified_at, locked \
             FROM form_entries WHERE participant_id = $1 ORDER BY visit_id, form_id",
        )
        .bind(participant_id)
        .fetch_all(&self.pool)
        .await?;
        let sigs: Vec<SignatureRow> = sqlx::query_as(
            "SELECT id, visit_id, meaning, signer_user_id, signer_name, signed_at, data_hash, void_at, void_reason \
             FROM signatures WHERE participant_id = $1 ORDER BY id",
        )
        .bind(participant_id)
        .fetch_all(&self.pool)
        .await?;
        let mut forms: Vec<FormEntry> = rows
            .into_iter()
            .map(
                |(
                    visit_id,
                    form_id,
                    data,
                    status,
                    version,
                    updated_at,
                    verified_by,
                    verified_at,
                    locked,
                )| {
                    FormEntry {
                        participant_id,
                        visit_id,
                        form_id,
                        data: serde_json::from_str(&data).unwrap_or_default(),
                        state: status.clone(),
                        status,
                        verified_by,
                        verified_at,
                        locked: locked != 0,
                        version,
                        updated_at,
                    }
                },
            )
            .collect();
        // What a signature covers hashes as when it was signed: a visit's forms named by form,
        // the whole casebook's (visit_id '') by visit and form.
        let visit_hash = |visit: &str| {
            if visit.is_empty() {
                let named: Vec<(String, &serde_json::Value)> = forms
                    .iter()
                    .map(|f| (format!("{}/{}", f.visit_id, f.form_id), &f.data))
                    .collect();
                signed_data_hash(named.iter().map(|(n, d)| (n.as_str(), *d)))
            } else {
                signed_data_hash(
                    forms
                        .iter()
                        .filter(|f| f.visit_id == visit)
                        .map(|f| (f.form_id.as_str(), &f.data)),
                )
            }
        };
        let signatures: Vec<Signature> = sigs
            .into_iter()
            .map(
                |(
                    id,
                    visit_id,
                    meaning,
                    signer_user_id,
                    signer_name,
                    signed_at,
                    data_hash,
                    void_at,
                    void_reason,
                )| {
                    let valid = void_at.is_none() && visit_hash(&visit_id) == data_hash;
                    Signature {
                        id,
                        participant_id,
                        casebook: visit_id.is_empty(),
                        visit_id,
                        meaning,
                        signer_user_id,
                        signer_name,
                        signed_at,
                        data_hash,
                        void_at,
                        void_reason,
                        valid,
                    }
                },
            )
            .collect();
        for f in &mut forms {
            f.state = if f.locked {
                form_state::LOCKED.into()
            } else if signatures
                .iter()
                .any(|s| s.valid && (s.casebook || s.visit_id == f.visit_id))
            {
                form_state::SIGNED.into()
            } else if f.verified_by.is_some() {
                form_state::SOURCE_VERIFIED.into()
            } else {
                f.status.clone()
            };
        }
        Ok((forms, signatures))
    }

    async fn query_in(
        &self,
        tx: &mut Transaction<'static, Any>,
        scope: &Scope,
        id: i64,
    ) -> Result<Query> {
        let (filter, values) = scope_filter(scope, 2);
        let sql = format!(
            "SELECT {QUERY_COLUMNS} FROM queries WHERE id = $1 AND participant_id IN (SELECT id FROM participants WHERE {filter})"
        );
        let mut q = sqlx::query_as::<_, Query>(&sql).bind(id);
        for v in &values {
            q = q.bind(v);
        }
        q.fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| not_found("query", id))
    }

    /// Moves a query from one of `from` to the state `step` gives, with its audit rows.
    async fn query_step(
        &self,
        scope: &Scope,
        id: i64,
        from: &[&str],
        by: &Actor,
        step: impl FnOnce(&Query) -> QueryStep,
    ) -> Result<Query> {
        let mut tx = self.writer.begin().await?;
        let before = self.query_in(&mut tx, scope, id).await?;
        if !from.contains(&before.status.as_str()) {
            return Err(StoreError::Conflict {
                field: "status".into(),
                message: format!(
                    "the query is {}; this needs it {}",
                    before.status,
                    from.join(" or ")
                ),
            });
        }
        let (status, answer, text, changes) = step(&before);
        let at = now();
        let answered = answer != before.answer;
        sqlx::query(
            "UPDATE queries SET status = $1, answer = $2, answered_by = $3, answered_at = $4, text = $5, updated_at = $6 WHERE id = $7",
        )
        .bind(status)
        .bind(&answer)
        .bind(if answered { Some(by.username.clone()) } else { before.answered_by.clone() })
        .bind(if answered { Some(at.clone()) } else { before.answered_at.clone() })
        .bind(text.as_deref().unwrap_or(&before.text))
        .bind(&at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        self.audit(&mut tx, scope.study(), by, &changes).await?;
        let after = self.query_in(&mut tx, scope, id).await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn audit_has_chain(&self, chain: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit WHERE chain = $1")
            .bind(chain)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }
}

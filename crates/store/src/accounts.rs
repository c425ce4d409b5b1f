//! Accounts: users, their roles per study (and site), logins with the lock after failures,
//! and sessions. Accounts are never deleted (the audit trail names them); every change to an
//! account or a role, and every login, is in the `system` chain or the study's.

use serde::Serialize;

use crate::db::Store;
use crate::dialect::Flag;
use crate::model::{now, Actor, User};
use crate::{conflict, not_found};
use crate::{Change, Result};

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

/// A role in a study, at a site for site roles.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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
    /// The account's name, or, for a name that is no account's, what the audit trail may keep
    /// of it (`trial::accounts::audit_name`: a bounded, escaped prefix).
    pub username: String,
    /// The user, when the name is known.
    pub user_id: Option<i64>,
    /// Whether it succeeded.
    pub success: bool,
    /// When.
    pub at: String,
    /// The client address it came from (told to the owner when it locks the account).
    pub from: String,
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

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
    full_name: String,
    password_hash: String,
    #[sqlx(try_from = "Flag")]
    active: bool,
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
            active: r.active,
            failed_logins: r.failed_logins,
            locked_until: r.locked_until,
            language: r.language,
            created_at: r.created_at,
        }
    }
}

const USER_COLUMNS: &str = "id, username, full_name, password_hash, active, failed_logins, \
    locked_until::instant, language, created_at::instant";

/// How the audit trail names a role: `investigator`, or `investigator@SITE`.
fn role_name(a: &RoleAssignment) -> String {
    match &a.site_id {
        Some(site) if !site.is_empty() => format!("{}@{site}", a.role),
        _ => a.role.to_string(),
    }
}

impl Store {
    /// Creates a user account.
    pub async fn create_user(&self, user: &NewUser, by: &Actor) -> Result<User> {
        let (user, by) = (user.clone(), by.clone());
        let id = self
            .write("create_user", move |mut tx| {
                Box::pin(async move {
                    let id: i64 = sqlx::query_scalar(&tx.sql(
                        "INSERT INTO users (username, full_name, password_hash, language, created_at) \
                         VALUES ($1, $2, $3, $4, $5::timestamptz) RETURNING id",
                    ))
                    .bind(&user.username)
                    .bind(&user.full_name)
                    .bind(&user.password_hash)
                    .bind(&user.language)
                    .bind(now())
                    .fetch_one(tx.conn())
                    .await
                    .map_err(conflict("username", "is already taken"))?;
                    let c = || Change::new("create", "user", id);
                    let changes = [
                        c().set("username", &user.username),
                        c().set("full_name", &user.full_name),
                        c().set("password", "(set)"),
                    ];
                    tx.audit("system", &by, &changes).await?;
                    Ok(id)
                })
            })
            .await?;
        self.user(id).await?.ok_or_else(|| not_found("user", id))
    }

    /// Sets (or, with an empty text, clears) a user's e-mail address, where notices are sent;
    /// audited in the `system` chain.
    pub async fn set_user_email(&self, user_id: i64, email: &str, by: &Actor) -> Result<()> {
        let (email, by) = (email.trim().to_string(), by.clone());
        self.account_write("set_user_email", move |mut tx| {
            Box::pin(async move {
                let changed = sqlx::query("UPDATE users SET email = $1 WHERE id = $2")
                    .bind((!email.is_empty()).then_some(email.as_str()))
                    .bind(user_id)
                    .execute(tx.conn())
                    .await?
                    .rows_affected();
                if changed == 0 {
                    return Err(not_found("user", user_id));
                }
                let change = Change::new("update", "user", user_id).set("email", &email);
                tx.audit("system", &by, &[change]).await
            })
        })
        .await
    }

    /// A user by name.
    pub async fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        let sql = self.sql(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE username = $1"
        ));
        Ok(sqlx::query_as::<_, UserRow>(&sql)
            .bind(username)
            .fetch_optional(&self.pool)
            .await?
            .map(User::from))
    }

    /// A user by id.
    pub async fn user(&self, id: i64) -> Result<Option<User>> {
        let sql = self.sql(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"));
        Ok(sqlx::query_as::<_, UserRow>(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(User::from))
    }

    /// Every user.
    pub async fn users(&self) -> Result<Vec<User>> {
        let sql = self.sql(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"));
        Ok(sqlx::query_as::<_, UserRow>(&sql)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(User::from)
            .collect())
    }

    /// Gives a user a role in a study, at a site for site roles.
    pub async fn assign_role(&self, a: &RoleAssignment, by: &Actor) -> Result<()> {
        let (a, by) = (a.clone(), by.clone());
        self.account_write("assign_role", move |mut tx| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO role_assignments (user_id, study_id, role, site_id) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(a.user_id)
                .bind(&a.study_id)
                .bind(a.role.as_str())
                .bind(a.site_id.clone().unwrap_or_default())
                .execute(tx.conn())
                .await
                .map_err(conflict("role", "is already assigned"))?;
                let change = Change::new("create", "role", a.user_id).set("role", role_name(&a));
                tx.audit(&a.study_id, &by, &[change]).await
            })
        })
        .await
    }

    /// A user's roles.
    pub async fn roles(&self, user_id: i64) -> Result<Vec<RoleAssignment>> {
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

    /// Takes a role away; the reason is required.
    pub async fn remove_role(&self, a: &RoleAssignment, reason: &str, by: &Actor) -> Result<()> {
        let reason = trial::required_reason(Some(reason), "to take a role away")?.to_string();
        let (a, by) = (a.clone(), by.clone());
        self.account_write("remove_role", move |mut tx| {
            Box::pin(async move {
                let removed = sqlx::query(
                    "DELETE FROM role_assignments \
                     WHERE user_id = $1 AND study_id = $2 AND role = $3 AND site_id = $4",
                )
                .bind(a.user_id)
                .bind(&a.study_id)
                .bind(a.role.as_str())
                .bind(a.site_id.clone().unwrap_or_default())
                .execute(tx.conn())
                .await?
                .rows_affected();
                let what = role_name(&a);
                if removed == 0 {
                    return Err(not_found("role", what));
                }
                let change = Change {
                    field: Some("role".into()),
                    ..Change::new("delete", "role", a.user_id)
                        .was(what)
                        .because(&reason)
                };
                tx.audit(&a.study_id, &by, &[change]).await
            })
        })
        .await
    }

    /// Deactivates or reactivates an account (the reason is required); deactivation also ends
    /// its sessions.
    pub async fn set_active(
        &self,
        user_id: i64,
        active: bool,
        reason: &str,
        by: &Actor,
    ) -> Result<User> {
        let reason = trial::required_reason(Some(reason), "to change an account")?.to_string();
        let by = by.clone();
        self.account_write("set_active", move |mut tx| {
            Box::pin(async move {
                let before: Option<(Flag,)> =
                    sqlx::query_as("SELECT active FROM users WHERE id = $1")
                        .bind(user_id)
                        .fetch_optional(tx.conn())
                        .await?;
                let Some((was,)) = before else {
                    return Err(not_found("user", user_id));
                };
                sqlx::query("UPDATE users SET active = $1 WHERE id = $2")
                    .bind(active)
                    .bind(user_id)
                    .execute(tx.conn())
                    .await?;
                if !active {
                    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                        .bind(user_id)
                        .execute(tx.conn())
                        .await?;
                }
                let change = Change::new("update", "user", user_id)
                    .set("active", active)
                    .was(was.0)
                    .because(&reason);
                tx.audit("system", &by, &[change]).await
            })
        })
        .await?;
        self.user(user_id)
            .await?
            .ok_or_else(|| not_found("user", user_id))
    }

    /// Records a login attempt (audited, both outcomes): a success clears the count of
    /// failures; a failure counts towards the lock, and the one that sets it (as
    /// `trial::accounts::lock_on_failure` decides from the count in the same transaction) also
    /// queues an e-mail to the account's owner in the outbox saying until when and from where.
    pub async fn record_login(&self, attempt: &LoginAttempt) -> Result<()> {
        let attempt = attempt.clone();
        self.account_write("record_login", move |mut tx| {
            Box::pin(async move {
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
                        .execute(tx.conn())
                        .await?;
                        changes.push(Change::new("login", "user", &record));
                    }
                    (Some(id), false) => {
                        changes.push(Change::new("login-failed", "user", &record));
                        if let Some(until) = count_failure(&mut tx, id, &attempt).await? {
                            changes.push(
                                Change::new("lock", "user", &record).set("locked_until", &until),
                            );
                        }
                    }
                    (None, _) => changes.push(Change::new("login-failed", "user", &record)),
                }
                let actor = Actor {
                    user_id: attempt.user_id,
                    username: attempt.username.clone(),
                };
                tx.audit("system", &actor, &changes).await
            })
        })
        .await
    }

    /// The outbox of the accounts: the e-mails that tell owners of a lock (they belong to no
    /// study), oldest first.
    pub async fn account_outbox(&self) -> Result<Vec<crate::OutboxMessage>> {
        self.outbox(ACCOUNTS_OUTBOX).await
    }

    /// Opens a session.
    pub async fn create_session(&self, session: &Session) -> Result<()> {
        let s = session.clone();
        self.write("create_session", move |mut tx| {
            Box::pin(async move {
                sqlx::query(&tx.sql(
                    "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen) \
                     VALUES ($1, $2, $3, $4::timestamptz, $5::timestamptz)",
                ))
                .bind(&s.token_hash)
                .bind(s.user_id)
                .bind(&s.csrf_token)
                .bind(&s.created_at)
                .bind(&s.last_seen)
                .execute(tx.conn())
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// A session by the hash of its token.
    pub async fn session(&self, token_hash: &str) -> Result<Option<Session>> {
        let row: Option<(String, i64, String, String, String)> = sqlx::query_as(&self.sql(
            "SELECT token_hash, user_id, csrf_token, created_at::instant, last_seen::instant \
             FROM sessions WHERE token_hash = $1",
        ))
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

    /// A session by the hash of its token, with its user and the user's roles (one read).
    pub async fn signed_in(&self, token_hash: &str) -> Result<Option<SignedIn>> {
        if let Some(recent) = self.recent.get(token_hash) {
            return Ok(Some(recent));
        }
        let generation = self.recent.generation();
        let found = self.read_signed_in(token_hash).await?;
        if let Some(found) = &found {
            self.recent.keep(generation, found);
        }
        Ok(found)
    }

    /// [`Store::signed_in`] from the database.
    async fn read_signed_in(&self, token_hash: &str) -> Result<Option<SignedIn>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            user: UserRow,
            csrf_token: String,
            session_created_at: String,
            last_seen: String,
            study_id: Option<String>,
            role: Option<String>,
            site_id: Option<String>,
        }
        let rows: Vec<Row> = sqlx::query_as(&self.sql(
            "SELECT u.id, u.username, u.full_name, u.password_hash, u.active, u.failed_logins, \
             u.locked_until::instant, u.language, u.created_at::instant, \
             s.csrf_token, s.created_at::instant AS session_created_at, s.last_seen::instant, \
             r.study_id, r.role, r.site_id \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             LEFT JOIN role_assignments r ON r.user_id = u.id \
             WHERE s.token_hash = $1 ORDER BY r.id",
        ))
        .bind(token_hash)
        .fetch_all(&self.pool)
        .await?;
        let mut rows = rows.into_iter();
        let Some(first) = rows.next() else {
            return Ok(None);
        };
        let session = Session {
            token_hash: token_hash.to_string(),
            user_id: first.user.id,
            csrf_token: first.csrf_token,
            created_at: first.session_created_at,
            last_seen: first.last_seen,
        };
        let user = User::from(first.user);
        let role = |study_id: Option<String>, role: Option<String>, site_id: Option<String>| {
            Some(RoleAssignment {
                user_id: user.id,
                study_id: study_id?,
                role: trial::Role::parse(&role?)?,
                site_id: site_id.filter(|site| !site.is_empty()),
            })
        };
        let mut roles: Vec<RoleAssignment> = role(first.study_id, first.role, first.site_id)
            .into_iter()
            .collect();
        roles.extend(rows.filter_map(|r| role(r.study_id, r.role, r.site_id)));
        Ok(Some(SignedIn {
            session,
            user,
            roles,
        }))
    }

    /// Marks a session as used at `at`.
    pub async fn touch_session(&self, token_hash: &str, at: &str) -> Result<()> {
        self.recent.touched(token_hash, at);
        let (token_hash, at) = (token_hash.to_string(), at.to_string());
        self.write("touch_session", move |mut tx| {
            Box::pin(async move {
                sqlx::query(
                    &tx.sql(
                        "UPDATE sessions SET last_seen = $1::timestamptz WHERE token_hash = $2",
                    ),
                )
                .bind(&at)
                .bind(&token_hash)
                .execute(tx.conn())
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// Ends a session.
    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        let token_hash = token_hash.to_string();
        self.account_write("delete_session", move |mut tx| {
            Box::pin(async move {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                    .bind(&token_hash)
                    .execute(tx.conn())
                    .await?;
                Ok(())
            })
        })
        .await
    }
}

impl Store {
    /// A write to accounts, roles or sessions: no session read before it is used after it
    /// (see [`crate::signed_in`]), whether it succeeded or not.
    pub(crate) async fn account_write<T: Send + 'static>(
        &self,
        op: &'static str,
        work: impl crate::db::Work<T>,
    ) -> Result<T> {
        let out = self.write(op, work).await;
        self.recent.forget();
        out
    }
}

/// The study of the outbox rows that concern an account rather than a study.
const ACCOUNTS_OUTBOX: &str = "";

/// Counts a failed login of an account; when it is the one that locks the account, sets the
/// lock and queues the e-mail to its owner, and returns the end of the lock.
async fn count_failure(
    tx: &mut crate::db::Tx<'_>,
    id: i64,
    attempt: &LoginAttempt,
) -> Result<Option<String>> {
    let (failed, locked_until): (i64, Option<String>) = sqlx::query_as(&tx.sql(
        "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 \
         RETURNING failed_logins, locked_until::instant",
    ))
    .bind(id)
    .fetch_one(tx.conn())
    .await?;
    let at = crate::parse_instant(&attempt.at).unwrap_or_else(time::OffsetDateTime::now_utc);
    let locked_until = locked_until.as_deref().and_then(crate::parse_instant);
    let Some(until) = trial::accounts::lock_on_failure(failed - 1, locked_until, at) else {
        return Ok(None);
    };
    let until = crate::instant(until);
    sqlx::query(&tx.sql("UPDATE users SET locked_until = $1::timestamptz WHERE id = $2"))
        .bind(&until)
        .bind(id)
        .execute(tx.conn())
        .await?;
    let (subject, body) = trial::accounts::lock_notice(&attempt.username, &until, &attempt.from);
    sqlx::query(&tx.sql(
        "INSERT INTO outbox (study_id, recipient_user_id, recipient, subject, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6::timestamptz)",
    ))
    .bind(ACCOUNTS_OUTBOX)
    .bind(id)
    .bind(&attempt.username)
    .bind(&subject)
    .bind(&body)
    .bind(&attempt.at)
    .execute(tx.conn())
    .await?;
    Ok(Some(until))
}

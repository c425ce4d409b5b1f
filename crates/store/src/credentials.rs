//! Passwords: a user changing their own, and a reset by e-mail — a single-use token that
//! expires, kept only as its SHA-256, whose link goes to the account's owner through the
//! outbox. Each change is audited on the `system` chain and ends the account's other sessions.

use sha2::{Digest, Sha256};

use crate::db::Store;
use crate::model::{now, Actor};
use crate::{Change, Result, StoreError, User};

/// The SHA-256 of a reset token, in hex: what the store keeps of it.
pub fn reset_token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A reset asked for: the account's name, the token's hash, until when it holds, and the
/// message that carries the link (built by the caller, who knows the server's address).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResetRequest {
    /// The account's username.
    pub username: String,
    /// [`reset_token_hash`] of the token in the link.
    pub token_hash: String,
    /// Until when the token holds (an instant as the store writes it).
    pub expires_at: String,
    /// The e-mail's subject.
    pub subject: String,
    /// The e-mail's text, with the link.
    pub body: String,
}

/// The outbox of the accounts (messages that belong to no study).
const ACCOUNTS_OUTBOX: &str = "";

impl Store {
    /// Every account's e-mail address, by account id (accounts without one left out).
    pub async fn user_emails(&self) -> Result<std::collections::BTreeMap<i64, String>> {
        let rows: Vec<(i64, Option<String>)> =
            sqlx::query_as("SELECT id, email FROM users ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, email)| Some((id, email?)))
            .collect())
    }

    /// Sets a user's password hash (checked and hashed by the caller) and ends the account's
    /// sessions but `keep` (the session of a user changing their own password).
    pub async fn set_password(
        &self,
        user_id: i64,
        password_hash: &str,
        keep: Option<&str>,
        by: &Actor,
    ) -> Result<()> {
        let (hash, keep, by) = (
            password_hash.to_string(),
            keep.unwrap_or_default().to_string(),
            by.clone(),
        );
        self.account_write("set_password", move |mut tx| {
            Box::pin(async move {
                let changed = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                    .bind(&hash)
                    .bind(user_id)
                    .execute(tx.conn())
                    .await?
                    .rows_affected();
                if changed == 0 {
                    return Err(crate::not_found("user", user_id));
                }
                sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
                    .bind(user_id)
                    .bind(&keep)
                    .execute(tx.conn())
                    .await?;
                let change = Change::new("update", "user", user_id).set("password", "(changed)");
                tx.audit("system", &by, &[change]).await
            })
        })
        .await
    }

    /// Records a password reset for an active account and queues its e-mail (to the account's
    /// address, or its username when it has none), using up the account's earlier tokens; one
    /// write. `Ok(false)`, with nothing written, for an unknown or deactivated account (the
    /// caller answers the same either way).
    pub async fn request_password_reset(&self, request: &ResetRequest) -> Result<bool> {
        let r = request.clone();
        self.write("request_password_reset", move |mut tx| {
            Box::pin(async move {
                let found: Option<(i64, Option<String>, crate::dialect::Flag)> =
                    sqlx::query_as("SELECT id, email, active FROM users WHERE username = $1")
                        .bind(&r.username)
                        .fetch_optional(tx.conn())
                        .await?;
                let Some((id, email, active)) = found else {
                    return Ok(false);
                };
                if !active.0 {
                    return Ok(false);
                }
                let at = now();
                sqlx::query(&tx.sql(
                    "UPDATE password_resets SET used_at = $1::timestamptz \
                     WHERE user_id = $2 AND used_at IS NULL",
                ))
                .bind(&at)
                .bind(id)
                .execute(tx.conn())
                .await?;
                sqlx::query(&tx.sql(
                    "INSERT INTO password_resets (user_id, token_hash, created_at, expires_at) \
                     VALUES ($1, $2, $3::timestamptz, $4::timestamptz)",
                ))
                .bind(id)
                .bind(&r.token_hash)
                .bind(&at)
                .bind(&r.expires_at)
                .execute(tx.conn())
                .await?;
                sqlx::query(&tx.sql(
                    "INSERT INTO outbox (study_id, recipient_user_id, recipient, subject, body, \
                     created_at) VALUES ($1, $2, $3, $4, $5, $6::timestamptz)",
                ))
                .bind(ACCOUNTS_OUTBOX)
                .bind(id)
                .bind(email.unwrap_or_else(|| r.username.clone()))
                .bind(&r.subject)
                .bind(&r.body)
                .bind(&at)
                .execute(tx.conn())
                .await?;
                let change = Change::new("password-reset-requested", "user", id)
                    .set("expires_at", &r.expires_at);
                let actor = Actor {
                    user_id: Some(id),
                    username: r.username.clone(),
                };
                tx.audit("system", &actor, &[change]).await?;
                Ok(true)
            })
        })
        .await
    }

    /// Sets a new password with a reset token (its hash): the token must be unused and not
    /// expired, and is used up; the account's sessions end and a lock is lifted. An unknown,
    /// used or expired token is refused on the field `token`.
    pub async fn reset_password(&self, token_hash: &str, password_hash: &str) -> Result<User> {
        let (token, hash) = (token_hash.to_string(), password_hash.to_string());
        let id = self
            .account_write("reset_password", move |mut tx| {
                Box::pin(async move {
                    let at = now();
                    let found: Option<(i64, i64, String)> = sqlx::query_as(&tx.sql(
                        "SELECT r.id, r.user_id, u.username FROM password_resets r \
                         JOIN users u ON u.id = r.user_id \
                         WHERE r.token_hash = $1 AND r.used_at IS NULL \
                         AND r.expires_at > $2::timestamptz",
                    ))
                    .bind(&token)
                    .bind(&at)
                    .fetch_optional(tx.conn())
                    .await?;
                    let Some((reset, id, username)) = found else {
                        return Err(StoreError::Invalid {
                            field: "token".into(),
                            message: "the reset link is unknown, used or expired: ask for a \
                                      new one"
                                .into(),
                        });
                    };
                    sqlx::query(
                        &tx.sql(
                            "UPDATE password_resets SET used_at = $1::timestamptz WHERE id = $2",
                        ),
                    )
                    .bind(&at)
                    .bind(reset)
                    .execute(tx.conn())
                    .await?;
                    sqlx::query(
                        "UPDATE users SET password_hash = $1, failed_logins = 0, \
                         locked_until = NULL WHERE id = $2",
                    )
                    .bind(&hash)
                    .bind(id)
                    .execute(tx.conn())
                    .await?;
                    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                        .bind(id)
                        .execute(tx.conn())
                        .await?;
                    let change =
                        Change::new("password-reset", "user", id).set("password", "(changed)");
                    let actor = Actor {
                        user_id: Some(id),
                        username,
                    };
                    tx.audit("system", &actor, &[change]).await?;
                    Ok(id)
                })
            })
            .await?;
        self.user(id)
            .await?
            .ok_or_else(|| crate::not_found("user", id))
    }
}

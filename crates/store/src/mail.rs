//! Sending the outbox: the messages due for an attempt, and what each attempt leaves behind
//! (sent, pending with its error and next attempt, or failed for good; `trial::mail` decides),
//! one audited write per attempt. The SMTP conversation itself is the caller's.

use time::OffsetDateTime;
use trial::mail::{Delivery, MailState, RetryPolicy};

use crate::db::Store;
use crate::model::{instant, Actor};
use crate::{not_found, Result};

/// A message due for an attempt, with the address it goes to now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailToSend {
    /// The outbox row.
    pub id: i64,
    /// Its study (`""` for a message of no study).
    pub study_id: String,
    /// The address to send to, or why there is none (`trial::mail::address`).
    pub to: std::result::Result<String, String>,
    /// Subject line.
    pub subject: String,
    /// Body.
    pub body: String,
    /// Attempts made before this one.
    pub attempts: u32,
}

/// An outbox row as the sender reads it.
#[derive(sqlx::FromRow)]
struct Due {
    id: i64,
    study_id: String,
    recipient_user_id: Option<i64>,
    recipient: String,
    email: Option<String>,
    subject: String,
    body: String,
    attempts: i64,
}

/// The state of one row, read inside the write that records an attempt.
#[derive(sqlx::FromRow)]
struct Row {
    study_id: String,
    sent_at: Option<String>,
    failed_at: Option<String>,
    attempts: i64,
}

impl Store {
    /// The pending messages whose attempt is due at `now` (never tried, or their next attempt
    /// has come), oldest first, at most `limit`.
    pub async fn mail_due(&self, now: OffsetDateTime, limit: i64) -> Result<Vec<MailToSend>> {
        let rows = sqlx::query_as::<_, Due>(&self.sql(
            "SELECT o.id, o.study_id, o.recipient_user_id, o.recipient, u.email, o.subject, \
             o.body, o.attempts FROM outbox o LEFT JOIN users u ON u.id = o.recipient_user_id \
             WHERE o.sent_at IS NULL AND o.failed_at IS NULL \
             AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= $1::timestamptz) \
             ORDER BY o.id LIMIT $2",
        ))
        .bind(instant(now))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| MailToSend {
                to: trial::mail::address(r.recipient_user_id, r.email.as_deref(), &r.recipient)
                    .map_err(|e| e.to_string()),
                id: r.id,
                study_id: r.study_id,
                subject: r.subject,
                body: r.body,
                attempts: u32::try_from(r.attempts).unwrap_or(u32::MAX),
            })
            .collect())
    }

    /// Records one attempt to send message `id` at `now` (`Err` with the server's or the
    /// connection's error when it failed): sent, pending until the next attempt, or failed for
    /// good after the policy's last; audited in the message's study chain (`system` for a
    /// message of no study). A message no longer pending is refused.
    pub async fn record_mail_attempt(
        &self,
        id: i64,
        outcome: std::result::Result<(), String>,
        now: OffsetDateTime,
        policy: RetryPolicy,
    ) -> Result<Delivery> {
        self.write("record_mail_attempt", move |mut tx| {
            Box::pin(async move {
                let row: Option<Row> = sqlx::query_as(&tx.sql(
                    "SELECT study_id, sent_at::instant, failed_at::instant, attempts FROM outbox \
                     WHERE id = $1",
                ))
                .bind(id)
                .fetch_optional(tx.conn())
                .await?;
                let row = row.ok_or_else(|| not_found("outbox", id))?;
                let delivery = trial::mail::after_attempt(
                    &policy,
                    MailState::of(row.sent_at.is_some(), row.failed_at.is_some()),
                    u32::try_from(row.attempts).unwrap_or(u32::MAX),
                    outcome.as_ref().map(|_| ()).map_err(String::as_str),
                    now,
                )?;
                let (attempts, sent_at, error, next_at, failed_at) = match &delivery {
                    Delivery::Sent { attempts, at } => (attempts, Some(at), None, None, None),
                    Delivery::Retry {
                        attempts,
                        error,
                        next_at,
                    } => (attempts, None, Some(error), Some(next_at), None),
                    Delivery::Failed {
                        attempts,
                        error,
                        at,
                    } => (attempts, None, Some(error), None, Some(at)),
                };
                sqlx::query(&tx.sql(
                    "UPDATE outbox SET attempts = $1, sent_at = $2::timestamptz, \
                     last_error = COALESCE($3, last_error), next_attempt_at = $4::timestamptz, \
                     failed_at = $5::timestamptz WHERE id = $6",
                ))
                .bind(i64::from(*attempts))
                .bind(sent_at.map(|t| instant(*t)))
                .bind(error)
                .bind(next_at.map(|t| instant(*t)))
                .bind(failed_at.map(|t| instant(*t)))
                .bind(id)
                .execute(tx.conn())
                .await?;
                let chain = if row.study_id.is_empty() {
                    "system"
                } else {
                    row.study_id.as_str()
                };
                let changes = trial::mail::changes(id, &delivery, instant);
                tx.audit(chain, &Actor::system(), &changes).await?;
                Ok(delivery)
            })
        })
        .await
    }
}

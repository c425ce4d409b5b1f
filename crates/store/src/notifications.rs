//! Notifications in the application (addressed to a role of a study; each reader acknowledges
//! them, audited once) and the e-mail outbox.

use trial::Role;

use crate::db::{Store, Tx};
use crate::model::{now, participant_in, scope_filter, Actor, Scope};
use crate::not_found;
use crate::{Change, Result, StoreError};

/// A notification in the application, addressed to a role of a study.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Notification {
    /// Its id.
    pub id: i64,
    /// The study.
    pub study_id: String,
    /// The role it is for.
    pub role: String,
    /// `emergency-unblinding`.
    pub kind: String,
    /// The participant concerned.
    pub participant_id: Option<i64>,
    /// The text (never an arm).
    pub message: String,
    /// When (UTC).
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When the reader it was fetched for acknowledged it (UTC), if they have.
    #[schema(format = DateTime)]
    pub read_at: Option<String>,
}

/// An e-mail waiting in the outbox.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct OutboxMessage {
    /// Its id.
    pub id: i64,
    /// The study (empty for a message of no study, such as an audit checkpoint).
    pub study_id: String,
    /// The recipient's account (none for a plain address).
    pub recipient_user_id: Option<i64>,
    /// The recipient's user name, or the plain address.
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// Body (never an arm).
    pub body: String,
    /// When queued (UTC).
    pub created_at: String,
    /// When sent, once sent.
    pub sent_at: Option<String>,
    /// Attempts to send it so far.
    pub attempts: i64,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
    /// When it is tried again, after a failed attempt (UTC).
    pub next_attempt_at: Option<String>,
    /// When it was given up after the last allowed attempt (UTC).
    pub failed_at: Option<String>,
}

impl Store {
    /// A study's notifications for any of these roles, newest first, each with when `reader`
    /// acknowledged it.
    pub async fn notifications(
        &self,
        study: &str,
        roles: &[Role],
        reader: &Actor,
    ) -> Result<Vec<Notification>> {
        self.notifications_in(&Scope::Study(study.to_string()), roles, reader)
            .await
    }

    /// As [`Store::notifications`], for a reader whose scope is some sites: a notification
    /// about a participant shows only when the participant is in scope.
    pub async fn notifications_in(
        &self,
        scope: &Scope,
        roles: &[Role],
        reader: &Actor,
    ) -> Result<Vec<Notification>> {
        self.notifications_read(scope, roles, reader, None).await
    }

    /// Records that `by`, holding one of `roles`, has read one of the study's notifications
    /// addressed to one of them (audited the first time; reading again changes nothing).
    pub async fn acknowledge_notification(
        &self,
        study: &str,
        roles: &[Role],
        id: i64,
        by: &Actor,
    ) -> Result<Notification> {
        self.acknowledge_notification_in(&Scope::Study(study.to_string()), roles, id, by)
            .await
    }

    /// As [`Store::acknowledge_notification`], for a reader whose scope is some sites: a
    /// notification about a participant out of scope is not found.
    pub async fn acknowledge_notification_in(
        &self,
        scope: &Scope,
        roles: &[Role],
        id: i64,
        by: &Actor,
    ) -> Result<Notification> {
        let (s, r, b) = (scope.clone(), roles.to_vec(), by.clone());
        self.write("acknowledge_notification", move |mut tx| {
            Box::pin(async move { acknowledge(&mut tx, &s, &r, id, &b).await })
        })
        .await?;
        self.notifications_read(scope, roles, by, Some(id))
            .await?
            .pop()
            .ok_or_else(|| not_found("notification", id))
    }

    /// The notifications of a study for any of these roles, newest first.
    async fn notifications_read(
        &self,
        scope: &Scope,
        roles: &[Role],
        reader: &Actor,
        only: Option<i64>,
    ) -> Result<Vec<Notification>> {
        if roles.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (0..roles.len()).map(|i| format!("${}", i + 4)).collect();
        let (sites, values) = match scope {
            Scope::Study(_) => (String::new(), Vec::new()),
            Scope::Sites { .. } => {
                let (filter, values) = scope_filter(scope, 4 + roles.len());
                (
                    format!(
                        " AND (n.participant_id IS NULL OR n.participant_id IN \
                         (SELECT id FROM participants WHERE {filter}))"
                    ),
                    values,
                )
            }
        };
        let sql = format!(
            "SELECT n.id, n.study_id, n.role, n.kind, n.participant_id, n.message, \
             n.created_at::instant, r.read_at::instant FROM notifications n \
             LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.user_id = $2 \
             WHERE n.study_id = $1 AND ($3 < 0 OR n.id = $3) AND n.role IN ({}){sites} \
             ORDER BY n.id DESC",
            marks.join(", ")
        );
        let sql = self.sql(&sql);
        let mut q = sqlx::query_as::<_, Notification>(&sql)
            .bind(scope.study())
            .bind(reader.user_id.unwrap_or(-1))
            .bind(only.unwrap_or(-1));
        for r in roles {
            q = q.bind(r.as_str());
        }
        for v in &values {
            q = q.bind(v);
        }
        Ok(q.fetch_all(&self.pool).await?)
    }

    /// The e-mail outbox of a study (`""`: the messages of no study), oldest first.
    pub async fn outbox(&self, study: &str) -> Result<Vec<OutboxMessage>> {
        Ok(sqlx::query_as::<_, OutboxMessage>(&self.sql(
            "SELECT id, study_id, recipient_user_id, recipient, subject, body, \
             created_at::instant, sent_at::instant, attempts, last_error, \
             next_attempt_at::instant, failed_at::instant FROM outbox WHERE study_id = $1 \
             ORDER BY id",
        ))
        .bind(study)
        .fetch_all(&self.pool)
        .await?)
    }
}

/// Records that `by` has read a notification addressed to one of `roles`; audited once.
async fn acknowledge(
    tx: &mut Tx<'_>,
    scope: &Scope,
    roles: &[Role],
    id: i64,
    by: &Actor,
) -> Result<()> {
    let study = scope.study();
    let Some(user_id) = by.user_id else {
        return Err(StoreError::Invalid {
            field: "reader".into(),
            message: "only a user reads notifications".into(),
        });
    };
    let addressed = roles.iter().map(|r| r.as_str()).collect::<Vec<_>>();
    let role: Option<(String, Option<i64>)> = sqlx::query_as(
        "SELECT role, participant_id FROM notifications WHERE id = $1 AND study_id = $2",
    )
    .bind(id)
    .bind(study)
    .fetch_optional(tx.conn())
    .await?;
    match role {
        Some((role, about)) if addressed.contains(&role.as_str()) => {
            if let (Some(p), Scope::Sites { .. }) = (about, scope) {
                participant_in(tx.conn(), scope, p)
                    .await
                    .map_err(|_| not_found("notification", id))?;
            }
        }
        _ => return Err(not_found("notification", id)),
    }
    let at = now();
    let inserted = sqlx::query(&tx.sql(
        "INSERT INTO notification_reads (notification_id, user_id, read_at) \
         VALUES ($1, $2, $3::timestamptz) ON CONFLICT (notification_id, user_id) DO NOTHING",
    ))
    .bind(id)
    .bind(user_id)
    .bind(&at)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if inserted == 1 {
        let change = Change::new("acknowledge", "notification", id).set("read_at", &at);
        tx.audit(study, by, &[change]).await?;
    }
    Ok(())
}

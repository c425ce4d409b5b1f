//! The audit trail as its readers see it: the rows of one record, the whole trail as a stream
//! (for the CSV export), exports recorded, and every chain verified (see [`crate::chain`] for
//! the chain itself).

use std::collections::BTreeMap;

use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use trial::audit::{ChainHead, ChainNow};

mod read;
mod walk;

use crate::chain::{AuditReport, AuditRow};
use crate::db::Store;
use crate::dialect::render;
use crate::model::{now, Actor};
use crate::{Change, Dialect, Result, StoreError};

/// The audit row's columns, in portable form: `at` reads back as exactly the text hashed.
const AUDIT_COLUMNS: &str = "id, chain, seq, at::instant, user_id, username, action, entity, \
    record_id, field, old_value, new_value, reason, prev_hash, hash";

/// Every audit row, chain by chain in order, for each database (the stream outlives a call).
static AUDIT_ALL: std::sync::LazyLock<[String; 2]> = std::sync::LazyLock::new(|| {
    let all = format!("SELECT {AUDIT_COLUMNS} FROM audit ORDER BY chain, seq");
    [
        render(Dialect::Sqlite, &all),
        render(Dialect::Postgres, &all),
    ]
});

impl Store {
    /// The audit rows of one record, oldest first.
    pub async fn audit_of(&self, entity: &str, record_id: &str) -> Result<Vec<AuditRow>> {
        let sql = self.sql(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audit WHERE entity = $1 AND record_id = $2 ORDER BY id"
        ));
        Ok(sqlx::query_as::<_, AuditRow>(&sql)
            .bind(entity)
            .bind(record_id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Every audit row, chain by chain in order, streamed.
    pub fn audit_all(&self) -> BoxStream<'_, Result<AuditRow>> {
        sqlx::query_as::<_, AuditRow>(self.audit_all_sql())
            .fetch(&self.pool)
            .map_err(StoreError::from)
            .boxed()
    }

    fn audit_all_sql(&self) -> &'static str {
        match self.dialect {
            Dialect::Sqlite => &AUDIT_ALL[0],
            Dialect::Postgres => &AUDIT_ALL[1],
        }
    }

    /// Records that someone exported data (the audit trail or a dataset).
    pub async fn record_export(&self, chain: &str, what: &str, by: &Actor) -> Result<()> {
        let (chain, change, by) = (
            chain.to_string(),
            Change::new("export", what, chain),
            by.clone(),
        );
        self.write("record_export", move |mut tx| {
            Box::pin(async move { tx.audit(&chain, &by, &[change]).await })
        })
        .await
    }

    /// Records, on the `system` chain, a checkpoint written outside the database (its file, its
    /// key, how many chains it signs and the SHA-256 of its text), and queues it as an e-mail
    /// to `mail_to` (a plain address, the sponsor's QA mailbox) when there is one. One write:
    /// the row and the message together.
    pub async fn record_checkpoint(&self, checkpoint: &CheckpointRecord) -> Result<()> {
        let c = checkpoint.clone();
        self.write("record_checkpoint", move |mut tx| {
            Box::pin(async move {
                let at = now();
                let row = || Change::new("checkpoint-signed", "audit-checkpoint", &c.file);
                let changes = [
                    row().set("key_id", &c.key_id),
                    row().set("chains", c.chains),
                    row().set("sha256", &c.sha256),
                ];
                if let Some(to) = &c.mail_to {
                    let subject = format!(
                        "scitrial audit checkpoint {} (key {}, {} chains)",
                        c.file, c.key_id, c.chains
                    );
                    let body = format!(
                        "A signed checkpoint of the audit trail. Keep this message: \
                         `scitrial audit verify --checkpoints DIR --public-key FILE` checks the \
                         trail against it once it is saved as {} in DIR.\n\n{}",
                        c.file, c.text
                    );
                    sqlx::query(&tx.sql(
                        "INSERT INTO outbox (study_id, recipient_user_id, recipient, subject, \
                         body, created_at) VALUES ('', NULL, $1, $2, $3, $4::timestamptz)",
                    ))
                    .bind(to)
                    .bind(&subject)
                    .bind(&body)
                    .bind(&at)
                    .execute(tx.conn())
                    .await?;
                }
                tx.audit("system", &Actor::system(), &changes).await
            })
        })
        .await
    }
}

/// A checkpoint written outside the database, as [`Store::record_checkpoint`] records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckpointRecord {
    /// The file's name.
    pub file: String,
    /// The id of the key that signed it.
    pub key_id: String,
    /// How many chains it signs.
    pub chains: usize,
    /// SHA-256 of the file's text, in hex.
    pub sha256: String,
    /// The file's text (sent with the e-mail).
    pub text: String,
    /// Where to send it (the sponsor's QA address), if anywhere.
    pub mail_to: Option<String>,
}

/// The outcome of [`Store::audit_walk`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditWalk {
    /// Whether every chain verifies, or the first row that does not.
    pub report: AuditReport,
    /// Each chain's head as recorded in the database (chains with rows).
    pub heads: Vec<ChainHead>,
    /// Each chain as found.
    pub chains: BTreeMap<String, ChainNow>,
}

/// What a page of the audit trail is filtered by (each filter is optional, all are applied in
/// SQL): the chains to read, one participant's records (the participant, its visits, forms,
/// signatures, allocation, adverse events and exams), a username, an action, a range of days
/// (UTC, both ends included), and words that a row's entity or field must not contain (what a
/// blinded reader must not see).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// The chains to read (none: no rows).
    pub chains: Vec<String>,
    /// One participant's records.
    pub participant: Option<i64>,
    /// Rows by this username.
    pub username: Option<String>,
    /// Rows of this action.
    pub action: Option<String>,
    /// From this day (UTC) on.
    pub from: Option<time::Date>,
    /// Up to this day (UTC), included.
    pub to: Option<time::Date>,
    /// Words (lower case) that the entity and field of a row shown must not contain.
    pub hide_containing: Vec<String>,
}

/// A page of the filtered audit trail, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditPage {
    /// The rows of this page.
    pub rows: Vec<AuditRow>,
    /// How many rows match in all.
    pub total: i64,
}

/// The entities whose record id starts with the participant's id (`ID` or `ID/…`).
const PARTICIPANT_ENTITIES: &str =
    "'participant', 'visit', 'form', 'signature', 'allocation', 'adverse-event', 'dose-level', 'dose-override', 'dlt'";

/// A day's first instant, as the store writes instants.
fn day_start(day: time::Date) -> String {
    format!(
        "{:04}-{:02}-{:02}T00:00:00.000000Z",
        day.year(),
        u8::from(day.month()),
        day.day()
    )
}

impl AuditFilter {
    /// The `WHERE` clause and its text parameters, in order.
    fn clause(&self) -> (String, Vec<String>) {
        let mut params: Vec<String> = Vec::new();
        let mut param = |value: String| {
            params.push(value);
            format!("${}", params.len())
        };
        let mut parts: Vec<String> = Vec::new();
        if self.chains.is_empty() {
            parts.push("1 = 0".into());
        } else {
            let list: Vec<String> = self.chains.iter().map(|c| param(c.clone())).collect();
            parts.push(format!("chain IN ({})", list.join(", ")));
        }
        if let Some(p) = self.participant {
            let (id, prefix) = (param(p.to_string()), param(format!("{p}/%")));
            let exam = param(p.to_string());
            parts.push(format!(
                "((entity IN ({PARTICIPANT_ENTITIES}) AND (record_id = {id} OR record_id LIKE \
                 {prefix})) OR (entity = 'exam' AND record_id IN (SELECT CAST(id AS TEXT) FROM \
                 exams WHERE CAST(participant_id AS TEXT) = {exam})))"
            ));
        }
        if let Some(u) = &self.username {
            parts.push(format!("username = {}", param(u.clone())));
        }
        if let Some(a) = &self.action {
            parts.push(format!("action = {}", param(a.clone())));
        }
        if let Some(from) = self.from {
            parts.push(format!("at >= {}::timestamptz", param(day_start(from))));
        }
        if let Some(to) = self.to.and_then(|d| d.next_day()) {
            parts.push(format!("at < {}::timestamptz", param(day_start(to))));
        }
        for word in &self.hide_containing {
            let like = param(format!("%{}%", word.to_lowercase()));
            parts.push(format!(
                "LOWER(entity) NOT LIKE {like} AND LOWER(COALESCE(field, '')) NOT LIKE {like}"
            ));
        }
        (parts.join(" AND "), params)
    }
}

impl Store {
    /// A page of the audit trail as filtered, newest first: `limit` rows from `offset`, and how
    /// many match in all.
    pub async fn audit_page(
        &self,
        filter: &AuditFilter,
        offset: i64,
        limit: i64,
    ) -> Result<AuditPage> {
        let (clause, params) = filter.clause();
        let n = params.len();
        let rows_sql = self.sql(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audit WHERE {clause} ORDER BY id DESC LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        ));
        let mut rows = sqlx::query_as::<_, AuditRow>(&rows_sql);
        for p in &params {
            rows = rows.bind(p);
        }
        let rows = rows
            .bind(limit.max(0))
            .bind(offset.max(0))
            .fetch_all(&self.pool)
            .await?;
        let count_sql = self.sql(&format!("SELECT COUNT(*) FROM audit WHERE {clause}"));
        let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
        for p in &params {
            count = count.bind(p);
        }
        let total = count.fetch_one(&self.pool).await?;
        Ok(AuditPage { rows, total })
    }

    /// Every row of the audit trail as filtered, newest first (for a CSV download).
    pub async fn audit_filtered(&self, filter: &AuditFilter) -> Result<Vec<AuditRow>> {
        Ok(self.audit_page(filter, 0, i64::MAX).await?.rows)
    }
}

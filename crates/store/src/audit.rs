//! The audit trail as its readers see it: the rows of one record, the whole trail as a stream
//! (for the CSV export), exports recorded, and every chain verified (see [`crate::chain`] for
//! the chain itself).

use futures::stream::{BoxStream, StreamExt, TryStreamExt};

use crate::chain::{AuditReport, AuditRow, ChainCheck, GENESIS};
use crate::db::Store;
use crate::dialect::render;
use crate::model::Actor;
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
        let all = match self.dialect {
            Dialect::Sqlite => &AUDIT_ALL[0],
            Dialect::Postgres => &AUDIT_ALL[1],
        };
        sqlx::query_as::<_, AuditRow>(all)
            .fetch(&self.pool)
            .map_err(StoreError::from)
            .boxed()
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

    /// Walks every chain and reports the first row that does not verify.
    pub async fn verify_audit(&self) -> Result<AuditReport> {
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
                if let Some(report) = ChainCheck::new(chain).end(*seq, hash) {
                    return Ok(report);
                }
            }
        }
        Ok(AuditReport::Intact { rows, chains })
    }

    async fn audit_has_chain(&self, chain: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit WHERE chain = $1")
            .bind(chain)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }
}

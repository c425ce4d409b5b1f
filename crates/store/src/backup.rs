//! Backups taken while the database is written. SQLite: `VACUUM INTO`, SQLite's own
//! consistent copy, made in one read transaction (every write committed before it began is in
//! the copy, none committed after it; writers go on meanwhile, WAL readers do not block them).
//! The C backup API is reachable through sqlx only by a raw handle, which needs `unsafe`.
//! PostgreSQL's backups are `pg_dump`'s (one snapshot), run by the program; here is only the
//! check that a database to restore into is empty.

use std::path::Path;
use std::str::FromStr;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use crate::{Result, StoreError};

/// Copies the SQLite database at `url` into a new file `output` (which must not exist), in one
/// read transaction, while it may be written.
pub async fn backup_sqlite(url: &str, output: &Path) -> Result<()> {
    if output.exists() {
        return Err(StoreError::Invalid {
            field: "output".into(),
            message: format!(
                "{} exists; a backup is written to a new file",
                output.display()
            ),
        });
    }
    let Some(target) = output.to_str() else {
        return Err(StoreError::Invalid {
            field: "output".into(),
            message: format!("{} is not a UTF-8 path", output.display()),
        });
    };
    let mut conn = SqliteConnectOptions::from_str(url)?
        .create_if_missing(false)
        .connect()
        .await?;
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(())
}

/// Whether the PostgreSQL database at `url` has no tables of its own (a restore goes only into
/// an empty database).
pub async fn postgres_is_empty(url: &str) -> Result<bool> {
    let mut conn = match crate::failover::parse(url)? {
        Some(hosts) => {
            hosts.select().await?;
            sqlx::PgConnection::connect(hosts.current_url()).await?
        }
        None => sqlx::PgConnection::connect(url).await?,
    };
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_catalog.pg_tables \
         WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
    )
    .fetch_one(&mut conn)
    .await?;
    conn.close().await?;
    Ok(tables == 0)
}

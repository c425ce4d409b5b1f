//! Scratch databases and the database's own speed limit, for tests and the load test.

use std::str::FromStr;
use std::time::{Duration, Instant};

use sqlx::any::AnyConnectOptions;
use sqlx::{ConnectOptions, Connection, Executor};

use crate::{Result, StoreError};

fn admin_base(admin: &str) -> Result<&str> {
    admin
        .rsplit_once('/')
        .map(|(base, _)| base)
        .ok_or_else(|| StoreError::Invalid {
            field: "database url".into(),
            message: format!("{admin:?} must end in /DATABASE"),
        })
}

fn check_name(name: &str) -> Result<()> {
    let fine = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if fine {
        Ok(())
    } else {
        Err(StoreError::Invalid {
            field: "database name".into(),
            message: format!("{name:?} may hold only a-z, 0-9 and _"),
        })
    }
}

/// Creates an empty PostgreSQL database `name` on the server of `admin` (a
/// `postgres://USER@HOST/DB` URL of an existing database) and returns its URL.
pub async fn create_database(admin: &str, name: &str) -> Result<String> {
    check_name(name)?;
    let base = admin_base(admin)?;
    let mut conn = sqlx::PgConnection::connect(admin).await?;
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await?;
    conn.close().await?;
    Ok(format!("{base}/{name}"))
}

/// Creates the PostgreSQL database `name` on the server of `admin` as a copy of the database
/// at `template` (its `TEMPLATE`), after ending every session still connected to `template`
/// (PostgreSQL copies only a database nobody is connected to), and returns its URL.
pub async fn copy_database(admin: &str, template: &str, name: &str) -> Result<String> {
    check_name(name)?;
    let (_, source) = template
        .rsplit_once('/')
        .ok_or_else(|| StoreError::Invalid {
            field: "database url".into(),
            message: format!("{template:?} must end in /DATABASE"),
        })?;
    check_name(source)?;
    let base = admin_base(admin)?;
    let mut conn = sqlx::PgConnection::connect(admin).await?;
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = $1 AND pid <> pg_backend_pid()",
    )
    .bind(source)
    .execute(&mut conn)
    .await?;
    conn.execute(format!("CREATE DATABASE {name} TEMPLATE {source}").as_str())
        .await?;
    conn.close().await?;
    Ok(format!("{base}/{name}"))
}

/// Drops the PostgreSQL database `name` on the server of `admin`.
pub async fn drop_database(admin: &str, name: &str) -> Result<()> {
    check_name(name)?;
    let mut conn = sqlx::PgConnection::connect(admin).await?;
    conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
        .await?;
    conn.close().await?;
    Ok(())
}

/// The database's own limit: single-row durable commits per second from one connection, each
/// its own transaction, for `time` (SQLite in WAL mode with `synchronous=FULL`, as the store
/// runs it; PostgreSQL as configured). For SQLite the file at `url` is created and should be a
/// scratch file on the disk to measure.
pub async fn probe_commit_rate(url: &str, time: Duration) -> Result<f64> {
    sqlx::any::install_default_drivers();
    let url = if url.starts_with("sqlite:") && !url.contains('?') {
        format!("{url}?mode=rwc")
    } else {
        url.to_string()
    };
    let mut conn = AnyConnectOptions::from_str(&url)?.connect().await?;
    if url.starts_with("sqlite:") {
        conn.execute("PRAGMA journal_mode = WAL").await?;
        conn.execute("PRAGMA synchronous = FULL").await?;
    }
    conn.execute("DROP TABLE IF EXISTS commit_probe").await?;
    conn.execute("CREATE TABLE commit_probe (n BIGINT NOT NULL, at TEXT NOT NULL)")
        .await?;
    let began = Instant::now();
    let mut n: i64 = 0;
    while began.elapsed() < time {
        n += 1;
        sqlx::query("INSERT INTO commit_probe (n, at) VALUES ($1, $2)")
            .bind(n)
            .bind(format!("{:?}", began.elapsed()))
            .execute(&mut conn)
            .await?;
    }
    let rate = n as f64 / began.elapsed().as_secs_f64();
    conn.execute("DROP TABLE commit_probe").await?;
    conn.close().await?;
    Ok(rate)
}

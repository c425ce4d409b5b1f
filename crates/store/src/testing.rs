//! Fresh databases for tests: a new SQLite file, and a new PostgreSQL database when
//! `TEST_DATABASE_URL` names a server (each call creates its own). Without it the PostgreSQL
//! half is skipped with a message, unless `SCITRIAL_REQUIRE_POSTGRES` is set (as CI sets it),
//! in which case its absence is an error.

use std::sync::atomic::{AtomicU32, Ordering};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A name no other test of this machine uses.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{prefix}_{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000,
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// URLs of fresh, empty databases to run one test on.
pub async fn fresh_databases(prefix: &str) -> Result<Vec<String>, String> {
    let dir = std::env::temp_dir().join(unique(prefix));
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let mut out = vec![format!("sqlite:{}", dir.join("test.db").display())];
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin) => {
            let name = unique(prefix);
            let url = crate::create_database(&admin, &name)
                .await
                .map_err(|e| format!("TEST_DATABASE_URL {admin}: {e}"))?;
            out.push(url);
        }
        Err(_) if std::env::var_os("SCITRIAL_REQUIRE_POSTGRES").is_some() => {
            return Err(
                "TEST_DATABASE_URL is required here (SCITRIAL_REQUIRE_POSTGRES is set)".into(),
            )
        }
        Err(_) => eprintln!("SKIPPED: PostgreSQL half (set TEST_DATABASE_URL to run it)"),
    }
    Ok(out)
}

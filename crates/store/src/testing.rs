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

/// A store under test that names its database when a test fails while it is in use.
pub struct Backend {
    store: crate::Store,
    name: String,
}

impl Backend {
    /// Opens a store at `url` for a test.
    pub async fn open(url: &str) -> Result<Backend, String> {
        let store = crate::open(url).await.map_err(|e| format!("{url}: {e}"))?;
        let name = match store.dialect() {
            crate::Dialect::Sqlite => format!("SQLite ({url})"),
            crate::Dialect::Postgres => format!("PostgreSQL ({url})"),
        };
        Ok(Backend { store, name })
    }

    /// The database, in words.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The store itself.
    pub fn store(&self) -> &crate::Store {
        &self.store
    }
}

impl std::ops::Deref for Backend {
    type Target = crate::Store;

    fn deref(&self) -> &crate::Store {
        &self.store
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("^ this failure happened on {}", self.name);
        }
    }
}

/// Fresh stores to run one test on: SQLite, and PostgreSQL when available (see
/// [`fresh_databases`]).
pub async fn backends(prefix: &str) -> Result<Vec<Backend>, String> {
    let mut out = Vec::new();
    for url in fresh_databases(prefix).await? {
        out.push(Backend::open(&url).await?);
    }
    Ok(out)
}

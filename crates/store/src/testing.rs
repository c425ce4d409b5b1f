//! Fresh databases for tests: a new SQLite file, and a new PostgreSQL database when
//! `TEST_DATABASE_URL` names a server (each call creates its own). Without it the PostgreSQL
//! half is skipped with a message, unless `SCITRIAL_REQUIRE_POSTGRES` is set (as CI sets it),
//! in which case its absence is an error.
//!
//! Each test process records what it creates (a file per process in the temporary directory's
//! `scitrial-test-scratch`), and the first fresh database a later process asks for drops what
//! ended processes left: their PostgreSQL databases and SQLite directories (on Linux, where
//! `/proc` tells which processes still run).

use std::io::Write;
use std::path::{Path, PathBuf};
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

/// Where test processes record what they create: a file per process, named by its id.
fn ledger() -> PathBuf {
    std::env::temp_dir().join("scitrial-test-scratch")
}

/// Records a scratch database (`pg ADMIN_URL NAME`) or directory (`dir PATH`) of this process.
fn record(line: &str) {
    let dir = ledger();
    let _ = std::fs::create_dir_all(&dir);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(std::process::id().to_string()));
    if let Ok(mut file) = file {
        let _ = writeln!(file, "{line}");
    }
}

/// Drops what ended test processes left, once a process.
async fn sweep_once() {
    static SWEPT: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    SWEPT.get_or_init(|| sweep(ledger())).await;
}

/// Drops the databases and directories recorded in `ledger` by processes that have ended, and
/// their records. Nothing is done where `/proc` does not tell which processes run.
async fn sweep(ledger: PathBuf) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(&ledger) else {
        return;
    };
    for entry in entries.flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if pid.parse::<u32>().is_err() || Path::new("/proc").join(&pid).exists() {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        for line in text.lines() {
            match line.split(' ').collect::<Vec<_>>()[..] {
                ["pg", admin, name] => {
                    let _ = crate::scratch::drop_database(admin, name).await;
                }
                ["dir", path] if path.contains("scitrial") => {
                    let _ = std::fs::remove_dir_all(path);
                }
                _ => {}
            }
        }
        let _ = std::fs::remove_file(entry.path());
    }
}

/// URLs of fresh, empty databases to run one test on.
pub async fn fresh_databases(prefix: &str) -> Result<Vec<String>, String> {
    sweep_once().await;
    let mut out = vec![fresh_sqlite(prefix)?];
    out.extend(fresh_postgres(prefix).await?);
    Ok(out)
}

/// The URL of a new SQLite file in a directory of its own (created when first opened).
fn fresh_sqlite(prefix: &str) -> Result<String, String> {
    let dir = std::env::temp_dir().join(unique(prefix));
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    record(&format!("dir {}", dir.display()));
    Ok(format!("sqlite:{}", dir.join("test.db").display()))
}

/// A new, empty PostgreSQL database on the server of `TEST_DATABASE_URL`; `None` (with a
/// message) without it, an error when `SCITRIAL_REQUIRE_POSTGRES` is set.
async fn fresh_postgres(prefix: &str) -> Result<Option<String>, String> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin) => {
            let name = unique(prefix);
            let url = crate::create_database(&admin, &name)
                .await
                .map_err(|e| format!("TEST_DATABASE_URL {admin}: {e}"))?;
            record(&format!("pg {admin} {name}"));
            Ok(Some(url))
        }
        Err(_) if std::env::var_os("SCITRIAL_REQUIRE_POSTGRES").is_some() => {
            Err("TEST_DATABASE_URL is required here (SCITRIAL_REQUIRE_POSTGRES is set)".into())
        }
        Err(_) => {
            eprintln!("SKIPPED: PostgreSQL half (set TEST_DATABASE_URL to run it)");
            Ok(None)
        }
    }
}

/// A copy of the database at `url` for one test: a SQLite file copied with `VACUUM INTO`
/// into a directory of its own, or a PostgreSQL database created with the original as its
/// `TEMPLATE` (the sessions still connected to the original are ended first: PostgreSQL copies
/// only a database nobody is connected to). The original must not be written meanwhile.
pub async fn copy_database(url: &str, prefix: &str) -> Result<String, String> {
    if url.starts_with("sqlite:") {
        let dir = std::env::temp_dir().join(unique(prefix));
        std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        record(&format!("dir {}", dir.display()));
        let file = dir.join("test.db");
        crate::backup_sqlite(url, &file)
            .await
            .map_err(|e| format!("copying {url}: {e}"))?;
        return Ok(format!("sqlite:{}", file.display()));
    }
    let admin = std::env::var("TEST_DATABASE_URL")
        .map_err(|_| format!("copying {url}: TEST_DATABASE_URL names no server"))?;
    let name = unique(prefix);
    let copy = crate::scratch::copy_database(&admin, url, &name)
        .await
        .map_err(|e| format!("copying {url} to {name}: {e}"))?;
    record(&format!("pg {admin} {name}"));
    Ok(copy)
}

/// Databases seeded once per test process and copied for each test that starts from them
/// (seeding the demo takes seconds; a copy, a fraction of one). Each key has a SQLite template
/// and, as [`fresh_databases`] has it, a PostgreSQL one, each seeded the first time a test
/// asks for it; concurrent tests wait for that one seeding.
pub struct Templates {
    made: std::sync::Mutex<Vec<(String, Template)>>,
}

type Template = std::sync::Arc<tokio::sync::OnceCell<Option<String>>>;

impl Templates {
    /// No template yet (for a `static`).
    pub const fn new() -> Templates {
        Templates {
            made: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// The template of `key` on one kind of database (`postgres`: `None` when skipped), seeded
    /// by `seed` on its URL the first time.
    async fn template<F, Fut>(
        &self,
        key: &str,
        postgres: bool,
        seed: &F,
    ) -> Result<Option<String>, String>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = Result<(), String>>,
    {
        let name = format!("{} {key}", if postgres { "postgres" } else { "sqlite" });
        let cell = {
            let mut made = self.made.lock().unwrap_or_else(|e| e.into_inner());
            match made.iter().find(|(k, _)| *k == name) {
                Some((_, cell)) => cell.clone(),
                None => {
                    let cell = Template::default();
                    made.push((name, cell.clone()));
                    cell
                }
            }
        };
        let url = cell
            .get_or_try_init(|| async {
                let url = if postgres {
                    fresh_postgres("scitrial_template").await?
                } else {
                    Some(fresh_sqlite("scitrial_template")?)
                };
                if let Some(url) = &url {
                    seed(url.clone()).await?;
                }
                Ok::<_, String>(url)
            })
            .await?;
        Ok(url.clone())
    }

    /// Like [`databases`], but each database a copy of the template of `key`, which `seed`
    /// fills (given its URL) the first time any test of this process asks for it.
    pub async fn databases<F, Fut>(
        &self,
        key: &str,
        prefix: &str,
        seed: F,
    ) -> Result<Databases, String>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = Result<(), String>>,
    {
        let mut out = vec![self.sqlite(key, prefix, &seed).await?];
        if let Some(template) = self.template(key, true, &seed).await? {
            out.push(copy_database(&template, prefix).await?);
        }
        Ok(Databases(out.into_iter()))
    }

    /// A SQLite copy of the template of `key` alone, as [`Templates::databases`] makes it.
    pub async fn sqlite<F, Fut>(&self, key: &str, prefix: &str, seed: &F) -> Result<String, String>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = Result<(), String>>,
    {
        let template = self.template(key, false, seed).await?;
        let template = template.ok_or("no SQLite template")?;
        copy_database(&template, prefix).await
    }
}

impl Default for Templates {
    fn default() -> Templates {
        Templates::new()
    }
}

/// A database a test runs on, by URL. When the test fails while it is in use, the failure is
/// followed by `^ this failure happened on SQLite (…)` or `… PostgreSQL (…)`.
pub struct Database {
    url: String,
}

impl Database {
    /// The database at `url`.
    pub fn new(url: String) -> Database {
        Database { url }
    }

    /// Its URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// What it is, in words.
    pub fn name(&self) -> String {
        let kind = if self.url.starts_with("sqlite") {
            "SQLite"
        } else if self.url.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "the database"
        };
        format!("{kind} ({})", self.url)
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("^ this failure happened on {}", self.name());
        }
    }
}

/// The databases of one test, each made a [`Database`] only when its turn comes, so that a
/// failure names the one it happened on alone.
pub struct Databases(std::vec::IntoIter<String>);

impl Iterator for Databases {
    type Item = Database;

    fn next(&mut self) -> Option<Database> {
        self.0.next().map(Database::new)
    }
}

/// Fresh databases to run one test on, one at a time (see [`fresh_databases`]).
pub async fn databases(prefix: &str) -> Result<Databases, String> {
    Ok(Databases(fresh_databases(prefix).await?.into_iter()))
}

/// A store under test, opened on a [`Database`] (so a failure while it is in use names it).
pub struct Backend {
    store: crate::Store,
    database: Database,
}

impl Backend {
    /// Opens a store on a database for a test.
    pub async fn open(database: Database) -> Result<Backend, String> {
        let store = crate::open(database.url())
            .await
            .map_err(|e| format!("{}: {e}", database.url()))?;
        Ok(Backend { store, database })
    }

    /// [`Backend::open`] with `lanes` lanes per route on PostgreSQL (see [`crate::Store::open_with_lanes`]).
    pub async fn open_with_lanes(database: Database, lanes: usize) -> Result<Backend, String> {
        let store = crate::Store::open_with_lanes(database.url(), lanes)
            .await
            .map_err(|e| format!("{}: {e}", database.url()))?;
        Ok(Backend { store, database })
    }

    /// The database.
    pub fn database(&self) -> &Database {
        &self.database
    }
}

impl std::ops::Deref for Backend {
    type Target = crate::Store;

    fn deref(&self) -> &crate::Store {
        &self.store
    }
}

/// Marks a screened participant enrolled directly in the database, bypassing every rule and
/// the audit: the state an older version could leave a randomised study in (participants
/// enrolled before its list existed), for tests of the way out of it.
pub async fn enrol_bypassing_rules(
    store: &crate::Store,
    participant_id: i64,
    subject_id: &str,
    on: &str,
) -> crate::Result<()> {
    let sql = store.sql(
        "UPDATE participants SET status = 'enrolled', subject_id = $1, enrolled_on = $2::date, \
         anchor_date = $2::date WHERE id = $3",
    );
    sqlx::query(&sql)
        .bind(subject_id)
        .bind(on)
        .bind(participant_id)
        .execute(store.raw_pool())
        .await?;
    Ok(())
}

/// Runs SQL behind the application's back, with the audit table's append-only triggers out of
/// the way: for tests of tampering.
pub async fn tamper(store: &crate::Store, sql: &str) -> Result<(), String> {
    use sqlx::Executor;
    let pool = store.raw_pool();
    let on = match store.dialect() {
        crate::Dialect::Sqlite => "",
        crate::Dialect::Postgres => " ON audit",
    };
    for trigger in ["audit_no_update", "audit_no_delete"] {
        pool.execute(format!("DROP TRIGGER IF EXISTS {trigger}{on}").as_str())
            .await
            .map_err(|e| e.to_string())?;
    }
    pool.execute(sql).await.map_err(|e| format!("{sql}: {e}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What an ended process recorded is dropped (its directory, and its database when there is
    /// a server), with its record; what a running process recorded is kept.
    #[tokio::test]
    async fn a_sweep_drops_what_ended_processes_left() {
        if !Path::new("/proc/self").exists() {
            eprintln!("SKIPPED: no /proc here to tell which processes run");
            return;
        }
        let ledger = std::env::temp_dir().join(unique("scitrial_ledger"));
        std::fs::create_dir_all(&ledger).unwrap();
        let left = std::env::temp_dir().join(unique("scitrial_left"));
        let kept = std::env::temp_dir().join(unique("scitrial_kept"));
        std::fs::create_dir_all(&left).unwrap();
        std::fs::create_dir_all(&kept).unwrap();
        let mut ended = format!("dir {}\n", left.display());
        let admin = std::env::var("TEST_DATABASE_URL").ok();
        let database = match &admin {
            Some(admin) => {
                let name = unique("scitrial_left");
                crate::create_database(admin, &name).await.unwrap();
                ended.push_str(&format!("pg {admin} {name}\n"));
                Some((admin.clone(), name))
            }
            None => None,
        };
        // No process has this id (above Linux's largest).
        let gone = ledger.join("4294967295");
        std::fs::write(&gone, ended).unwrap();
        let running = ledger.join(std::process::id().to_string());
        std::fs::write(&running, format!("dir {}\n", kept.display())).unwrap();
        sweep(ledger.clone()).await;
        assert!(!left.exists() && !gone.exists());
        assert!(kept.exists() && running.exists());
        if let Some((admin, name)) = database {
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
                .await
                .unwrap();
            let found: Option<(i32,)> =
                sqlx::query_as("SELECT 1 FROM pg_database WHERE datname = $1")
                    .bind(&name)
                    .fetch_optional(&mut conn)
                    .await
                    .unwrap();
            assert!(found.is_none(), "{name} was not dropped");
        }
        std::fs::remove_dir_all(&kept).unwrap();
        std::fs::remove_dir_all(&ledger).unwrap();
    }
}

//! What the program's tests share: the built binary, the shipped study definitions, and
//! databases that name themselves when a test fails on them.

use std::process::Command;

/// The built `scitrial` binary, ready to be given arguments.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_scitrial"))
}

/// The path of a shipped study definition (a file of `studies/`).
pub fn study(file: &str) -> String {
    format!("{}/../../studies/{file}", env!("CARGO_MANIFEST_DIR"))
}

/// The path of the Phase II study definition.
pub const PHASE2: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../studies/xs228-phase2.toml"
);

/// A database a test runs on: its URL (or the program's name for it, such as `sqlite`), and
/// what it is in words. When the test fails while this is alive, the failure is followed by
/// `^ this failure happened on SQLite (…)` or `… PostgreSQL (…)`.
pub struct Database {
    url: String,
    name: String,
}

impl Database {
    pub fn new(url: String) -> Database {
        let kind = if url.starts_with("sqlite") {
            "SQLite"
        } else if url.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "the database"
        };
        let name = format!("{kind} ({url})");
        Database { url, name }
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("^ this failure happened on {}", self.name);
        }
    }
}

/// The databases of one test, each made a [`Database`] only when its turn comes, so that a
/// failure on the first names the first alone.
pub struct Databases(std::vec::IntoIter<String>);

impl Iterator for Databases {
    type Item = Database;

    fn next(&mut self) -> Option<Database> {
        self.0.next().map(Database::new)
    }
}

/// A fresh SQLite file and, from `TEST_DATABASE_URL`, a fresh PostgreSQL database (see
/// `store::testing::fresh_databases`).
pub async fn databases(prefix: &str) -> Databases {
    Databases(
        store::testing::fresh_databases(prefix)
            .await
            .unwrap()
            .into_iter(),
    )
}

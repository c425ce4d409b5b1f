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

pub use store::testing::{Database, Databases};

/// A fresh SQLite file and, from `TEST_DATABASE_URL`, a fresh PostgreSQL database, one at a
/// time, each naming itself when a test fails on it (see `store::testing::databases`).
pub async fn databases(prefix: &str) -> Databases {
    store::testing::databases(prefix).await.unwrap()
}

//! What the trial tests share: the shipped study definitions.

use trial::Study;

pub const PHASE1: &str = include_str!("../../../../studies/xs228-phase1.toml");
pub const PHASE2: &str = include_str!("../../../../studies/xs228-phase2.toml");

pub fn phase1() -> Study {
    Study::from_toml(PHASE1).unwrap()
}

pub fn phase2() -> Study {
    Study::from_toml(PHASE2).unwrap()
}

/// A study definition of `studies/`, read from the file (a failure names it).
pub fn load(name: &str) -> Study {
    let path = format!("{}/../../studies/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    Study::from_toml(&text).unwrap_or_else(|e| panic!("{path}:\n{e}"))
}

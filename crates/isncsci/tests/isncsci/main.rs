//! The classification's integration tests, one binary: the conformance file (conformance), our
//! own cases per rule (rules), the differential test against the reference implementation
//! (reference), the property tests and fuzz targets (properties), and any writer's layout of
//! JSON exams read as a `serde_json` reference reads it (layouts).
//!
//! proptest keeps the failures it found of a module `X.rs` of this binary in
//! `tests/proptest-regressions/X.txt` (beside the folder holding `main.rs`) and replays them first.

mod conformance;
mod layouts;
mod properties;
mod reference;
mod rules;

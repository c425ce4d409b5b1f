//! The classification's integration tests, one binary: the conformance file (conformance), our
//! own cases per rule (rules), the differential test against the reference implementation
//! (reference), and the property tests and fuzz targets (properties).
//!
//! proptest keeps the failures it found of a module `X.rs` of this binary in
//! `tests/proptest-regressions/X.txt` (beside the folder holding `main.rs`) and replays them first.

mod conformance;
mod properties;
mod reference;
mod rules;

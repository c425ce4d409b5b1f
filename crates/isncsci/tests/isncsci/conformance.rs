//! The 128 cases of the ISNCSCI conformance file, every one of their 25 results.
//!
//! The file lives in `../shared/isncsci/2019.json` beside the project. When it is absent the test
//! says so and passes, unless `SCITRIAL_REQUIRE_REFERENCE` is set (as CI sets it).

use std::path::PathBuf;

use isncsci::flat::json::{read_all, Id};
use isncsci::Classification;

fn conformance_file() -> Option<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/isncsci/2019.json");
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            assert!(
                std::env::var_os("SCITRIAL_REQUIRE_REFERENCE").is_none(),
                "conformance file {} is required here: {e}",
                path.display()
            );
            eprintln!(
                "SKIPPED: conformance file {} not found ({e})",
                path.display()
            );
            None
        }
    }
}

#[test]
fn all_128_cases_match_every_field() {
    let Some(bytes) = conformance_file() else {
        return;
    };
    let records = read_all(&bytes).expect("the conformance file is valid JSON");
    let expected: Vec<serde_json::Value> = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(records.len(), 128);
    let mut failures = Vec::new();
    let mut checked = 0;
    for (record, case) in records.iter().zip(&expected) {
        let id = record.id.as_ref().map(Id::to_string).unwrap_or_default();
        let exam = record
            .exam
            .as_ref()
            .unwrap_or_else(|e| panic!("case {id}: {e}"));
        let result = exam.classify();
        let totals = &case["totals"];
        for (key, value) in Classification::KEYS.iter().zip(result.values()) {
            let want = totals[key]
                .as_str()
                .unwrap_or_else(|| panic!("case {id} has no {key}"));
            checked += 1;
            if value.to_string() != want {
                failures.push(format!("case {id} {key}: got {value}, expected {want}"));
            }
        }
    }
    assert_eq!(checked, 128 * 25);
    assert!(
        failures.is_empty(),
        "{} of {checked} fields differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

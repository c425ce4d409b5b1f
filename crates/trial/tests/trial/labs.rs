//! The lab files' readers fuzzed: no input makes them panic, and a refusal names a line of the
//! text (or the file) and a column.

use proptest::prelude::*;
use time::macros::datetime;
use trial::labs::import::{read_results, IMPORT_COLUMNS};
use trial::labs::ranges::RANGE_COLUMNS;
use trial::labs::read_ranges;

use crate::common::{phase2, PHASE2};
use crate::validation::{edit, rejects};

fn line_named(path: &str, lines: usize) -> bool {
    if path == "file" {
        return true;
    }
    let Some(rest) = path.strip_prefix("line ") else {
        return false;
    };
    let number: String = rest.chars().take_while(char::is_ascii_digit).collect();
    number
        .parse::<usize>()
        .is_ok_and(|n| n >= 1 && n <= lines.max(1))
}

const PIECES: &[&str] = &[
    "XS-001",
    "screening",
    "baseline",
    "2026-03-02T08:30:00Z",
    "2026-13-02T08:30:00Z",
    "NEUT",
    "HGB",
    "ALT",
    "0.8",
    "-1",
    "1e9",
    "99999",
    "10*9/L",
    "g/L",
    "/uL",
    "2.0-7.5",
    "*",
    "any",
    "male",
    "18",
    "200",
    "2026-01-01",
    "",
    "\"",
    "\"a,b\"",
    "\u{feff}",
    "é",
    "\r",
];

fn row_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..9).prop_map(|p| p.join(","))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256)
    ))]

    #[test]
    fn lab_file_readers_never_panic(
        rows in prop::collection::vec(row_strategy(), 0..8),
        noise in proptest::string::string_regex("[\\x00-\\x7f,\"\\r\\n\u{feff}é]{0,120}").unwrap(),
        header in 0u8..3,
    ) {
        let study = phase2();
        let visits: Vec<&str> = study.visits.iter().map(|v| v.id.as_str()).collect();
        let mut text = match header {
            0 => format!("{}\n", IMPORT_COLUMNS.join(",")),
            1 => format!("{}\n", RANGE_COLUMNS.join(",")),
            _ => String::new(),
        };
        text.push_str(&rows.join("\n"));
        text.push_str(&noise);
        let lines = text.split('\n').count();
        let now = datetime!(2026-06-01 00:00 UTC);
        if let Err(problems) = read_results(&text, &study.labs, &visits, now) {
            prop_assert!(!problems.is_empty());
            for p in &problems {
                prop_assert!(line_named(&p.path, lines), "{}", p.path);
            }
        }
        let codes = study.labs.test_codes();
        if let Err(problems) = read_ranges(&text, &["BJ01"], &codes) {
            prop_assert!(!problems.is_empty());
            for p in &problems {
                prop_assert!(line_named(&p.path, lines), "{}", p.path);
            }
        }
    }
}

/// Phase II gives tacrolimus after the dose: its trough is a test of the immunology panel with
/// the protocol's target range; a target of a test the study does not measure, or upside
/// down, is refused naming its key.
#[test]
fn the_target_ranges_of_drug_levels_are_read_and_checked() {
    let study = phase2();
    assert_eq!(study.labs.targets.len(), 1);
    let t = &study.labs.targets[0];
    assert_eq!((t.test.as_str(), t.low, t.high), ("TACRO", 5.0, 10.0));
    assert!(study.labs.test_codes().contains(&"TACRO"));
    let target = "[[labs.targets]]\ntest = \"TACRO\"\nlow = 5\nhigh = 10";
    rejects(
        &edit(PHASE2, target, "[[labs.targets]]\ntest = \"GFAP\"\nlow = 5\nhigh = 10\n\n[[labs.targets]]\ntest = \"NOPE\"\nlow = 5\nhigh = 10"),
        "labs.targets[1].test",
        &["\"NOPE\" is not a test of the study's panels", "TACRO"],
    );
    rejects(
        &edit(
            PHASE2,
            target,
            "[[labs.targets]]\ntest = \"TACRO\"\nlow = 10\nhigh = 5",
        ),
        "labs.targets[0].high",
        &["0 <= low < high"],
    );
}

//! The rules of lab values: assessment, proposals, the results file.

use time::macros::datetime;

use super::import::read_results;
use super::*;

fn labs() -> LabsDefinition {
    LabsDefinition {
        ae_threshold: 3,
        panels: vec![
            PanelDef {
                panel: Panel::Haematology,
                tests: vec!["NEUT".into(), "HGB".into()],
                visits: vec!["screening".into()],
            },
            PanelDef {
                panel: Panel::Chemistry,
                tests: vec!["ALT".into()],
                visits: vec!["screening".into(), "week-4".into()],
            },
        ],
        targets: Vec::new(),
    }
}

fn neut() -> &'static TestDef {
    catalogue::test("NEUT").unwrap()
}

const NEUT_RANGE: Limits = Limits { lln: 2.0, uln: 7.5 };

#[test]
fn a_value_is_converted_flagged_and_graded() {
    let a = assess(
        neut(),
        Entered {
            value: "800",
            unit: "/uL",
        },
        Some(NEUT_RANGE),
        None,
    )
    .unwrap();
    assert!((a.value - 0.8).abs() < 1e-9);
    assert_eq!(a.flag, Flag::Low);
    assert_eq!(a.grade, Some(3));
    assert_eq!(a.term, Some("Neutrophil count decreased"));
    assert!(proposes_event(&a, 3));
    assert!(!proposes_event(&a, 4));
    let critical = assess(
        neut(),
        Entered {
            value: "0.3",
            unit: "10*9/L",
        },
        Some(NEUT_RANGE),
        None,
    )
    .unwrap();
    assert_eq!(
        (critical.flag, critical.grade),
        (Flag::CriticalLow, Some(4))
    );
    let normal = assess(
        neut(),
        Entered {
            value: "4",
            unit: "10*3/uL",
        },
        Some(NEUT_RANGE),
        None,
    )
    .unwrap();
    assert_eq!((normal.flag, normal.grade), (Flag::Normal, None));
    let no_range = assess(
        neut(),
        Entered {
            value: "1.0",
            unit: "10*9/L",
        },
        None,
        None,
    )
    .unwrap();
    assert_eq!((no_range.flag, no_range.grade), (Flag::NoRange, None));
    assert_eq!(Flag::CriticalHigh.shift_class(), Some("high"));
}

#[test]
fn implausible_values_and_units_are_refused_naming_the_test() {
    let e = assess(
        neut(),
        Entered {
            value: "450",
            unit: "10*9/L",
        },
        None,
        None,
    )
    .unwrap_err();
    assert!(e
        .to_string()
        .starts_with("value: 450 10*9/L is not a plausible value of NEUT"));
    let e = assess(
        neut(),
        Entered {
            value: "4",
            unit: "g/L",
        },
        None,
        None,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "unit: \"g/L\" is not a unit of NEUT (allowed: 10*9/L, 10*3/uL, /uL, /mm3)"
    );
    let e = assess(
        neut(),
        Entered {
            value: "four",
            unit: "10*9/L",
        },
        None,
        None,
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "value: \"four\" is not a number (NEUT)");
    let e = labs().test("test", "PLT").unwrap_err();
    assert_eq!(
        e.to_string(),
        "test: \"PLT\" is not allowed (allowed: NEUT, HGB, ALT)"
    );
    assert_eq!(labs().test("test", "alt").unwrap().code, "ALT");
    assert_eq!(labs().panels_at("week-4").len(), 1);
}

fn proposal(state: ProposalState) -> Proposal {
    Proposal {
        id: 7,
        term: "Neutrophil count decreased".into(),
        grade: 3,
        state,
    }
}

fn event(term: &str, grade: u8, serious: bool) -> EventSummary<'_> {
    EventSummary {
        term,
        grade,
        serious,
    }
}

#[test]
fn a_proposal_is_accepted_as_graded_or_dismissed_with_a_reason() {
    let open = proposal(ProposalState::Open);
    let changes = decide_accept(&open, event("neutrophil count decreased", 3, false), 42).unwrap();
    assert_eq!(changes[0].action, "accept");
    assert_eq!(changes[0].new_value.as_deref(), Some("accepted"));
    assert_eq!(changes[0].reason.as_deref(), Some("adverse event 42"));
    let e = decide_accept(&open, event("Neutrophil count decreased", 2, false), 42).unwrap_err();
    assert_eq!(e.to_string(), "grade: \"2\" is not allowed (allowed: 3)");
    let e = decide_accept(&open, event("Anemia", 3, false), 42).unwrap_err();
    assert!(e.to_string().starts_with("term: "));
    let e = decide_accept(&open, event("Neutrophil count decreased", 3, true), 42).unwrap_err();
    assert!(e.to_string().starts_with("seriousness: "));
    let e = decide_dismiss(&open, Some("  ")).unwrap_err();
    assert!(e.to_string().starts_with("reason: is required"));
    let changes = decide_dismiss(&open, Some("lab error, repeated normal")).unwrap();
    assert_eq!(changes[0].new_value.as_deref(), Some("dismissed"));
    for state in [ProposalState::Accepted, ProposalState::Dismissed] {
        let e = decide_dismiss(&proposal(state), Some("x")).unwrap_err();
        assert!(matches!(e, Refusal::Conflict { .. }));
        assert!(decide_accept(
            &proposal(state),
            event("Neutrophil count decreased", 3, false),
            1
        )
        .is_err());
    }
}

const NOW: time::OffsetDateTime = datetime!(2026-06-01 00:00 UTC);

#[test]
fn a_results_file_is_read_whole() {
    let text = "participant,visit,collected_at,test,value,unit,lab_range\n\
                XS-001,screening,2026-03-02T08:30:00+08:00,NEUT,0.8,10*9/L,2.0-7.5\n\
                \"XS-001\",screening,2026-03-02T08:30:00+08:00,ALT,35,U/L,\"7-40\"\n";
    let rows = read_results(text, &labs(), &["screening", "week-4"], NOW).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].line, 2);
    assert_eq!(rows[1].test.code, "ALT");
    assert_eq!(rows[1].lab_range, "7-40");
    assert_eq!(rows[0].collected_at, datetime!(2026-03-02 00:30 UTC));
}

#[test]
fn a_bad_row_refuses_the_file_naming_line_and_field() {
    let text = "participant,visit,collected_at,test,value,unit,lab_range\n\
                XS-001,screening,2026-03-02T08:30:00Z,NEUT,0.8,10*9/L,\n\
                XS-001,day-9,2026-03-02T08:30:00Z,NEUT,0.8,10*9/L,\n\
                ,screening,yesterday,PLT,x,,\n\
                XS-001,screening,2026-03-02T08:30:00Z,NEUT,0.9,10*9/L,\n\
                XS-001,screening,2027-03-02T08:30:00Z,HGB,99,g/dL,\n";
    let problems = read_results(text, &labs(), &["screening"], NOW).unwrap_err();
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "line 3: visit",
            "line 4: participant",
            "line 4: collected_at",
            "line 4: test",
            "line 5: test",
            "line 6: collected_at",
            "line 6: value",
        ]
    );
    assert!(problems[4].message.contains("repeats line 2"));
    assert!(read_results("", &labs(), &[], NOW).is_err());
    let header_only = "participant,visit,collected_at,test,value,unit,lab_range\n";
    assert!(read_results(header_only, &labs(), &[], NOW).is_err());
    let missing = "participant,visit\nA,B\n";
    assert_eq!(
        read_results(missing, &labs(), &[], NOW).unwrap_err()[0].path,
        "line 1: collected_at"
    );
    assert_eq!(import::digest("a").len(), 64);
}

#[test]
fn the_xs228_definitions_schedule_their_panels() {
    // Phase II gives tacrolimus after the dose: its trough is a sixth panel.
    for (text, panels) in [
        (include_str!("../../../../studies/xs228-phase1.toml"), 5),
        (include_str!("../../../../studies/xs228-phase2.toml"), 6),
    ] {
        let study = crate::Study::from_toml(text).unwrap();
        assert_eq!(study.labs.ae_threshold, 3);
        assert_eq!(study.labs.panels.len(), panels);
        assert!(study.labs.test_codes().contains(&"NEUT"));
        assert!(!study.labs.panels_at("screening").is_empty());
    }
}

#[test]
fn a_bad_labs_table_names_each_key() {
    let base = include_str!("../../../../studies/xs228-phase2.toml");
    let cut = base.find("\n[labs]\n").unwrap() + 1;
    let text = format!(
        "{}[labs]\nae_threshold = 6\n[[labs.panels]]\npanel = \"csf\"\n\
         tests = [\"NEUT\", \"XX\", \"NEUT\"]\nvisits = [\"day-99\"]\n",
        &base[..cut]
    );
    let problems = crate::Study::from_toml(&text)
        .unwrap_err()
        .problems()
        .to_vec();
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "labs.ae_threshold",
            "labs.panels[0].tests[0]",
            "labs.panels[0].tests[1]",
            "labs.panels[0].tests[2]",
            "labs.panels[0].tests[2]",
            "labs.panels[0].visits[0]",
        ]
    );
}

#[test]
fn a_drug_level_is_flagged_against_its_target_range() {
    let mut labs = labs();
    assert_eq!(labs.target_flag("TACRO", 7.0), None, "no target set");
    labs.targets.push(TargetRange {
        test: "TACRO".into(),
        low: 5.0,
        high: 10.0,
    });
    let flag = |v: f64| labs.target_flag("TACRO", v);
    assert_eq!(flag(4.9), Some(TargetFlag::Below));
    assert_eq!(flag(5.0), Some(TargetFlag::Within));
    assert_eq!(flag(10.0), Some(TargetFlag::Within));
    assert_eq!(flag(10.1), Some(TargetFlag::Above));
    assert_eq!(flag(f64::NAN), None);
    assert_eq!(labs.target_flag("NEUT", 7.0), None);
}

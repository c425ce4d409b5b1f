//! Safety scenarios: adverse events checked as a whole, SUSAR clocks, stopping rules, DLT
//! candidates and the DSMB's tables, on the shipped study definitions.

use proptest::prelude::*;
use time::macros::{date, datetime};
use time::Date;
use trial::escalation::dlt_window;
use trial::safety::terms::{
    parse_ctcae_csv, parse_meddra_hierarchy, parse_meddra_llt, parse_meddra_pt, parse_meddra_soc,
    read_csv,
};
use trial::safety::*;
use trial::{Change, Refusal};

use crate::common::{phase1, phase2};

/// A few illustrative terms in the layout of the CTCAE v5.0 CSV export.
const TERMS: &str = "MedDRA Code,MedDRA SOC,CTCAE Term,Grade 1,Grade 2,Grade 3,Grade 4,Grade 5,Definition\n\
10019211,Nervous system disorders,Headache,Mild pain,Moderate pain,Severe pain,-,-,Pain in the head.\n\
10003988,Musculoskeletal and connective tissue disorders,Back pain,Mild pain,Moderate pain,Severe pain,-,-,\n\
10016558,General disorders and administration site conditions,Fever,38.0 - 39.0 C,39.0 - 40.0 C,>40.0 C <=24 hrs,>40.0 C >24 hrs,Death,\n\
10028813,Nervous system disorders,Meningitis,-,-,IV antibiotics indicated,Life-threatening,Death,\n";

fn table() -> TermTable {
    TermTable::new(parse_ctcae_csv(TERMS).unwrap())
}

const CONSENT: Date = date!(2026 - 03 - 01);

fn form() -> AdverseEventForm {
    AdverseEventForm {
        verbatim: "bad headache after the puncture".into(),
        term: "Headache".into(),
        onset: "2026-03-05".into(),
        end: Some("2026-03-07".into()),
        grade: Some(2),
        seriousness: vec![],
        causality_product: "unlikely".into(),
        causality_procedure: "probable".into(),
        action: "not-applicable".into(),
        outcome: "recovered".into(),
    }
}

fn read(form: &AdverseEventForm) -> Result<AdverseEvent, Vec<(String, String)>> {
    let terms = table();
    form.read(EventContext {
        terms: &terms,
        consent: CONSENT,
        today: date!(2026 - 06 - 30),
    })
    .map_err(|problems| problems.into_iter().map(|p| (p.path, p.message)).collect())
}

fn fields(problems: &[(String, String)]) -> Vec<&str> {
    let mut fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
    fields.dedup();
    fields
}

#[test]
fn a_complete_event_is_coded_from_the_terms_table() {
    let event = read(&form()).unwrap();
    assert_eq!(event.term, "Headache");
    assert_eq!(
        (event.meddra_code.as_str(), event.soc.as_str()),
        ("10019211", "Nervous system disorders")
    );
    assert!(!event.is_serious());
    assert_eq!(event.end.unwrap().to_string(), "2026-03-07");
    // The term is matched ignoring case and is recorded as the table names it.
    let lower = AdverseEventForm {
        term: " headache ".into(),
        ..form()
    };
    assert_eq!(read(&lower).unwrap().term, "Headache");
}

#[test]
fn grade_5_with_outcome_recovered_is_refused_naming_both_fields() {
    let bad = AdverseEventForm {
        term: "Fever".into(),
        grade: Some(5),
        ..form()
    };
    let problems = read(&bad).unwrap_err();
    assert_eq!(
        fields(&problems),
        ["grade", "outcome", "grade", "seriousness"]
    );
    assert!(problems[0]
        .1
        .contains("grade 5 contradicts outcome recovered"));
    // Fatal, death and grade 5 together are accepted.
    let fatal = AdverseEventForm {
        term: "Fever".into(),
        grade: Some(5),
        seriousness: vec!["death".into()],
        outcome: "fatal".into(),
        ..form()
    };
    let event = read(&fatal).unwrap();
    assert!(event.is_serious() && event.is_fatal_or_life_threatening());
    // Death without grade 5: the criterion and the grade are named.
    let death = AdverseEventForm {
        seriousness: vec!["death".into()],
        ..form()
    };
    assert_eq!(fields(&read(&death).unwrap_err()), ["grade", "seriousness"]);
}

#[test]
fn every_problem_is_reported_at_once_each_naming_its_field() {
    let bad = AdverseEventForm {
        verbatim: " ".into(),
        term: "Headache".into(),
        onset: "2026-02".into(),
        end: Some("2026-01-31".into()),
        grade: Some(4),
        seriousness: vec!["hospitalisation".into(), "bored".into()],
        causality_product: "maybe".into(),
        causality_procedure: "possible".into(),
        action: "none".into(),
        outcome: "recovering".into(),
    };
    let problems = read(&bad).unwrap_err();
    assert_eq!(
        fields(&problems),
        [
            "verbatim",
            "seriousness[1]",
            "causality_product",
            "action",
            "grade",
            "onset",
            "end"
        ]
    );
    let text: Vec<String> = problems.iter().map(|(f, m)| format!("{f}: {m}")).collect();
    assert!(text.contains(&"grade: Headache does not define grade 4 (allowed: 1, 2, 3)".into()));
    assert!(text.contains(&"end: 2026-01-31 is before the onset 2026-02".into()));
    assert!(text.contains(&"end: must be empty while the outcome is recovering".into()));
    assert!(text
        .iter()
        .any(|t| t.starts_with("onset: 2026-02 is before consent on 2026-03-01")));
    assert!(text.iter().any(|t| t.starts_with(
        "causality_product: \"maybe\" is not allowed (allowed: not-related, unlikely, possible"
    )));
}

#[test]
fn partial_dates_refuse_only_what_is_certainly_wrong() {
    // Onset in the month of consent: not known to be before it.
    let march = AdverseEventForm {
        onset: "2026-03".into(),
        end: Some("2026-03-02".into()),
        ..form()
    };
    assert!(read(&march).is_ok());
    let year = AdverseEventForm {
        onset: "2026".into(),
        end: Some("2026".into()),
        ..form()
    };
    assert!(read(&year).is_ok());
    let unknown_term = AdverseEventForm {
        term: "Headache, bad".into(),
        onset: "5 March".into(),
        end: None,
        grade: None,
        ..form()
    };
    assert_eq!(
        read(&unknown_term).unwrap_err(),
        vec![
            (
                "term".to_string(),
                "\"Headache, bad\" is not a term of the loaded terms".to_string()
            ),
            (
                "onset".into(),
                "\"5 March\" is not a date (allowed: YYYY, YYYY-MM or YYYY-MM-DD)".into()
            ),
            ("grade".into(), "is required (allowed: 1 to 5)".into()),
            (
                "end".into(),
                "is required when the outcome is recovered".into()
            ),
        ]
    );
}

#[test]
fn a_change_needs_a_reason_and_is_audited_field_by_field() {
    let before = read(&form()).unwrap();
    assert_eq!(event_record(7, 3), "7/ae/3");
    let first = decide_event_save("7/ae/3", None, &before, None).unwrap();
    assert!(first.changes.iter().all(|c| c.action == "create"));
    assert!(
        first
            .changes
            .iter()
            .all(|c| c.field.as_deref() != Some("end")
                || c.new_value.as_deref() == Some("2026-03-07"))
    );
    let after = read(&AdverseEventForm {
        grade: Some(3),
        seriousness: vec!["hospitalisation".into()],
        ..form()
    })
    .unwrap();
    assert_eq!(
        decide_event_save("7/ae/3", Some(&before), &after, Some("")).unwrap_err(),
        Refusal::invalid("reason", "is required to change a recorded adverse event")
    );
    assert_eq!(
        decide_event_save("7/ae/3", Some(&before), &before, Some("x")).unwrap_err(),
        Refusal::conflict("values", "nothing changed")
    );
    let save = decide_event_save("7/ae/3", Some(&before), &after, Some(" admitted ")).unwrap();
    let changed: Vec<(&str, &str, &str)> = save
        .changes
        .iter()
        .map(|c| {
            (
                c.field.as_deref().unwrap(),
                c.old_value.as_deref().unwrap(),
                c.new_value.as_deref().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        changed,
        [
            ("grade", "2", "3"),
            ("serious", "false", "true"),
            ("seriousness", "", "hospitalisation")
        ]
    );
    assert!(save
        .changes
        .iter()
        .all(|c| c.reason.as_deref() == Some("admitted")));
    // The signature of the assessment no longer matches, and is voided.
    assert_ne!(before.signed_hash(), after.signed_hash());
    assert_eq!(before.signed_hash(), read(&form()).unwrap().signed_hash());
    let voids = void_signature_changes(
        "7/ae/3",
        vec![12, 4],
        &save.what_changed,
        save.reason.as_deref(),
    );
    assert_eq!(
        voids
            .iter()
            .map(|c| c.record_id.as_str())
            .collect::<Vec<_>>(),
        ["7/ae/3/4", "7/ae/3/12"]
    );
    assert!(voids[0]
        .new_value
        .as_deref()
        .unwrap()
        .contains("grade 2 → 3"));
}

fn serious(outcome: &str, criteria: &[&str], product: &str) -> AdverseEvent {
    let fatal = outcome == "fatal";
    read(&AdverseEventForm {
        term: "Meningitis".into(),
        grade: Some(if fatal { 5 } else { 4 }),
        seriousness: criteria.iter().map(|c| c.to_string()).collect(),
        causality_product: product.into(),
        outcome: outcome.into(),
        end: if outcome == "not-recovered" {
            None
        } else {
            Some("2026-03-09".into())
        },
        ..form()
    })
    .unwrap()
}

#[test]
fn a_fatal_susar_has_a_7_day_clock_and_a_follow_up_8_days_later() {
    let study = phase2();
    let event = serious("fatal", &["death", "hospitalisation"], "possible");
    let reference = reference_expectedness(&study.safety.expected_terms, &event.term);
    assert_eq!(reference, Expectedness::Unexpected);
    let c = classify(&event, None, reference);
    assert!(c.susar && c.related_by_investigator);
    assert_eq!(
        c.expectedness_source,
        ExpectednessSource::ReferenceSafetyInformation
    );

    let aware = datetime!(2026 - 03 - 09 22:30 UTC);
    let site = site_clock(&event, aware).unwrap();
    assert_eq!(site.deadline, datetime!(2026 - 03 - 10 22:30 UTC));
    assert_eq!(site.kind, ClockKind::SiteReport);

    let day0 = datetime!(2026 - 03 - 10 09:00 UTC);
    let clocks = susar_clocks(&event, day0);
    let due: Vec<(ClockKind, Date)> = clocks.iter().map(|c| (c.kind, c.due)).collect();
    assert_eq!(
        due,
        [
            (ClockKind::Susar7Day, date!(2026 - 03 - 17)),
            (ClockKind::SusarFollowUp, date!(2026 - 03 - 25)),
        ]
    );
    let seven = clocks[0];
    assert_eq!(seven.days_left(date!(2026 - 03 - 15)), 2);
    assert_eq!(seven.remind_at(), Some(datetime!(2026 - 03 - 15 00:00 UTC)));
    assert!(!seven.is_overdue(datetime!(2026 - 03 - 17 23:59:59 UTC)));
    assert!(seven.is_overdue(datetime!(2026 - 03 - 18 00:00 UTC)));
    assert_eq!(seven.days_left(date!(2026 - 03 - 19)), -2);

    // Not fatal or life-threatening: one 15-day clock.
    let other = serious("not-recovered", &["hospitalisation"], "probable");
    let clocks = susar_clocks(&other, day0);
    assert_eq!(clocks.len(), 1);
    assert_eq!(
        (clocks[0].kind, clocks[0].due),
        (ClockKind::Susar15Day, date!(2026 - 03 - 25))
    );
    // A day-0 instant in another offset counts from its UTC date.
    let shanghai = datetime!(2026 - 03 - 10 07:00 +08:00);
    assert_eq!(susar_clocks(&other, shanghai)[0].due, date!(2026 - 03 - 24));
}

#[test]
fn the_sponsor_assessment_sits_beside_the_investigators() {
    let event = serious("not-recovered", &["hospitalisation"], "unlikely");
    let reference = Expectedness::Unexpected;
    assert!(!classify(&event, None, reference).susar);
    let sponsor = SponsorAssessment {
        causality: Causality::Probable,
        expectedness: Expectedness::Unexpected,
        first_knowledge: datetime!(2026 - 03 - 10 09:00 UTC),
    };
    let c = classify(&event, Some(&sponsor), reference);
    assert!(c.susar && !c.related_by_investigator && c.related_by_sponsor == Some(true));
    assert_eq!(
        event.causality_product,
        Causality::Unlikely,
        "kept as the investigator said"
    );
    // The sponsor's expectedness wins over the reference safety information.
    let expected = SponsorAssessment {
        expectedness: Expectedness::Expected,
        ..sponsor
    };
    let c = classify(&event, Some(&expected), reference);
    assert!(!c.susar);
    assert_eq!(c.expectedness_source, ExpectednessSource::Sponsor);
    // Not serious: never a SUSAR, and no site clock.
    let mild = read(&form()).unwrap();
    assert!(!classify(&mild, Some(&sponsor), reference).susar);
    assert_eq!(site_clock(&mild, sponsor.first_knowledge), None);

    let first = decide_sponsor_assessment("7/ae/3", None, &sponsor, None).unwrap();
    assert_eq!(first.len(), 3);
    assert!(first.iter().all(|c| c.entity == SPONSOR_ENTITY));
    let changed =
        decide_sponsor_assessment("7/ae/3", Some(&sponsor), &expected, Some("IB v4")).unwrap();
    assert_eq!(
        changed,
        [Change::new("update", SPONSOR_ENTITY, "7/ae/3")
            .set("expectedness", "expected")
            .was("unexpected")
            .because("IB v4")]
    );
    let moved = SponsorAssessment {
        first_knowledge: datetime!(2026 - 03 - 11 09:00 UTC),
        ..sponsor
    };
    assert_eq!(
        decide_sponsor_assessment("7/ae/3", Some(&sponsor), &moved, Some("r"))
            .unwrap_err()
            .to_string(),
        "first_knowledge: is fixed once recorded (2026-03-10T09:00:00Z): the SUSAR clock runs from it"
    );
}

#[test]
fn open_clocks_list_overdue_first_then_soonest_due() {
    let at = |d: Date| d.midnight().assume_utc();
    let overdue = Clock::calendar_days(ClockKind::Susar7Day, at(date!(2026 - 03 - 01)), 7);
    let soon = Clock::hours(ClockKind::SiteReport, at(date!(2026 - 03 - 10)), 24);
    let later = Clock::calendar_days(ClockKind::Susar15Day, at(date!(2026 - 03 - 05)), 15);
    let most_overdue = Clock::calendar_days(ClockKind::Susar15Day, at(date!(2026 - 02 - 01)), 15);
    let mut clocks = vec![later, soon, overdue, most_overdue];
    clocks.sort();
    assert_eq!(clocks, [most_overdue, overdue, soon, later]);
    let now = at(date!(2026 - 03 - 10));
    let flags: Vec<bool> = clocks.iter().map(|c| c.is_overdue(now)).collect();
    assert_eq!(flags, [true, true, false, false]);
}

#[test]
fn a_stopping_rule_fires_on_the_second_related_sae_among_the_first_six() {
    let study = phase1();
    let rules = &study.safety.stopping_rules;
    assert_eq!(rules.len(), 2);
    let sae = serious("not-recovered", &["hospitalisation"], "possible");
    let unrelated = serious("not-recovered", &["hospitalisation"], "not-related");
    let mild = read(&form()).unwrap();
    let dosing_order = [11, 12, 13, 14, 15, 16, 17];
    let ev = |ae_id, participant_id, event| StudyEvent {
        ae_id,
        participant_id,
        event,
        sponsor_causality: None,
    };
    let mut events = vec![ev(1, 12, &sae), ev(2, 13, &unrelated), ev(3, 14, &mild)];
    // A related SAE of the 7th participant does not count.
    events.push(ev(4, 17, &sae));
    // One related SAE of grade 4 fires the grade rule only.
    let fired = evaluate_stopping_rules(rules, &dosing_order, &events);
    assert_eq!(
        fired.iter().map(|f| f.rule_id.as_str()).collect::<Vec<_>>(),
        ["related-grade-4"]
    );
    // A second participant among the first six: the related SAE rule fires.
    events.push(ev(5, 16, &sae));
    let fired = evaluate_stopping_rules(rules, &dosing_order, &events);
    let rule = &fired[1];
    assert_eq!(rule.rule_id, "related-sae-first-6");
    assert_eq!(rule.ae_ids, [1, 5]);
    assert_eq!(
        rule.message,
        "stopping rule related-sae-first-6 (2 or more of the first 6 participants dosed with a \
         related serious adverse event) fired: 2 of the first 6 participants dosed had a related \
         serious adverse event"
    );
    // The sponsor's causality counts too.
    let by_sponsor = [StudyEvent {
        sponsor_causality: Some(Causality::Definite),
        ..ev(2, 13, &unrelated)
    }];
    assert_eq!(
        evaluate_stopping_rules(rules, &dosing_order, &by_sponsor).len(),
        1
    );

    // The gate: refused with the rule named until a signed decision to continue covers it.
    let err = check_gate(Gated::Dosing, &fired, &[]).unwrap_err();
    assert!(matches!(&err, Refusal::Conflict { field, .. } if field == "stopping_rule"));
    assert!(err.to_string().contains(
        "dosing is refused until the DSMB records a signed decision: stopping rule related-grade-4"
    ));
    let decide = |rule: &FiredRule, outcome, signed| DsmbDecision {
        rule_id: rule.rule_id.clone(),
        ae_ids: rule.ae_ids.clone(),
        outcome,
        signed,
    };
    let mut decisions = vec![
        decide(&fired[0], DsmbOutcome::Continue, true),
        decide(&fired[1], DsmbOutcome::Continue, false),
    ];
    assert!(check_gate(Gated::Enrolment, &fired, &decisions)
        .unwrap_err()
        .to_string()
        .contains("related-sae-first-6"));
    decisions.push(decide(&fired[1], DsmbOutcome::Pause, true));
    assert_eq!(
        check_gate(Gated::Enrolment, &fired, &decisions).unwrap_err().to_string(),
        "stopping_rule: enrolment is refused: the DSMB decided to pause under stopping rule related-sae-first-6"
    );
    decisions.push(decide(&fired[1], DsmbOutcome::ContinueWithChanges, true));
    assert_eq!(check_gate(Gated::Dosing, &fired, &decisions), Ok(()));
    // A new event fires the rule again: the earlier decision does not cover it.
    events.push(ev(6, 11, &sae));
    let fired = evaluate_stopping_rules(rules, &dosing_order, &events);
    assert!(check_gate(Gated::Dosing, &fired, &decisions).is_err());
}

#[test]
fn dlt_candidates_follow_the_escalation_window() {
    let study = phase1();
    let criteria = study.safety.dlt_criteria;
    assert_eq!(
        (criteria.min_grade, criteria.min_causality),
        (3, Causality::Possible)
    );
    // Single dose on 2026-03-02 (day 1): the window runs to day 29, 28 days after the dose.
    let window = dlt_window(&study, "sad-1", Some("2026-03-02")).unwrap();
    assert_eq!(window, (date!(2026 - 03 - 02), date!(2026 - 03 - 30)));
    let at = |onset: &str, grade: i64, product: &str| {
        read(&AdverseEventForm {
            term: "Fever".into(),
            onset: onset.into(),
            end: None,
            grade: Some(grade),
            causality_product: product.into(),
            outcome: "not-recovered".into(),
            ..form()
        })
        .unwrap()
    };
    let day28 = at("2026-03-30", 3, "possible");
    let day29 = at("2026-03-31", 3, "possible");
    let grade2 = at("2026-03-10", 2, "definite");
    let unlikely = at("2026-03-10", 4, "unlikely");
    let month = at("2026-03", 3, "probable");
    let events = [
        (1, &day28),
        (2, &day29),
        (3, &grade2),
        (4, &unlikely),
        (5, &month),
    ];
    let candidates = dlt_candidates(criteria, window, &events);
    let found: Vec<(i64, bool)> = candidates
        .iter()
        .map(|c| (c.ae_id, c.onset_uncertain))
        .collect();
    assert_eq!(found, [(1, false), (5, true)]);

    // A DLT assessment points at its events.
    assert_eq!(check_dlt_events(true, &[1], &events, window), Ok(()));
    assert!(check_dlt_events(true, &[], &events, window).is_err());
    assert!(check_dlt_events(false, &[1], &events, window).is_err());
    assert!(check_dlt_events(true, &[1, 1], &events, window).is_err());
    assert_eq!(
        check_dlt_events(true, &[9], &events, window).unwrap_err(),
        Refusal::invalid("ae_ids", "\"9\" is not allowed (allowed: 1, 2, 3, 4, 5)")
    );
    assert!(check_dlt_events(true, &[2], &events, window)
        .unwrap_err()
        .to_string()
        .contains("outside the DLT window (2026-03-02 to 2026-03-30)"));
    assert_eq!(
        dlt_event_change(7, &[1, 5]).new_value.as_deref(),
        Some("1,5")
    );

    // Multiple doses: the window runs 28 days from the 4th dose (day 43).
    let mad = dlt_window(&study, "mad-1", Some("2026-03-02")).unwrap();
    assert_eq!(mad.1, date!(2026 - 05 - 11));
}

#[test]
fn safety_tables_by_arm_and_pooled_for_blinded_readers() {
    let headache2 = read(&form()).unwrap();
    let headache3 = read(&AdverseEventForm {
        grade: Some(3),
        ..form()
    })
    .unwrap();
    let withdrawn = read(&AdverseEventForm {
        term: "Back pain".into(),
        action: "drug-withdrawn".into(),
        ..form()
    })
    .unwrap();
    let death = serious("fatal", &["death"], "possible");
    let groups = [
        (1, "xs228"),
        (2, "xs228"),
        (3, "placebo"),
        (4, "xs228"),
        (5, "placebo"),
    ];
    let events = [
        (1, &headache2),
        (1, &headache3),
        (2, &headache2),
        (2, &withdrawn),
        (3, &death),
        (9, &death), // not in any group: left out
    ];
    let tables = safety_tables(&groups, &events);
    let summary: Vec<(&str, u32, u32, u32, u32, u32)> = tables
        .groups
        .iter()
        .map(|g| {
            (
                g.group.as_str(),
                g.participants,
                g.with_any_ae,
                g.with_sae,
                g.deaths,
                g.discontinued_for_ae,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [("xs228", 3, 2, 0, 0, 1), ("placebo", 2, 1, 1, 1, 0)]
    );
    let terms: Vec<(&str, &str)> = tables
        .terms
        .iter()
        .map(|t| (t.soc.as_str(), t.term.as_str()))
        .collect();
    assert_eq!(
        terms,
        [
            (
                "Musculoskeletal and connective tissue disorders",
                "Back pain"
            ),
            ("Nervous system disorders", "Headache"),
            ("Nervous system disorders", "Meningitis"),
        ]
    );
    // Participant 1's worst headache is grade 3: counted once, there.
    assert_eq!(
        tables.terms[1].by_worst_grade,
        [[0, 1, 1, 0, 0], [0, 0, 0, 0, 0]]
    );
    assert_eq!(tables.terms[1].any_grade, [2, 0]);

    // Blinded readers: one pooled group, the same totals, no arm.
    let pooled_groups = pooled(&[1, 2, 3, 4, 5]);
    let blinded = safety_tables(&pooled_groups, &events);
    assert_eq!(blinded.groups.len(), 1);
    let all = &blinded.groups[0];
    assert_eq!(
        (
            all.group.as_str(),
            all.participants,
            all.with_any_ae,
            all.with_sae,
            all.deaths
        ),
        (POOLED, 5, 3, 1, 1)
    );
    assert_eq!(blinded.terms[1].by_worst_grade, [[0, 1, 1, 0, 0]]);
    let json = serde_json::to_string(&blinded).unwrap();
    assert!(!json.contains("xs228") && !json.contains("placebo"));
    // Deterministic: the same input, the same tables.
    assert_eq!(safety_tables(&groups, &events), tables);
}

#[test]
fn the_shipped_definitions_carry_their_safety_parts() {
    let p2 = phase2();
    assert!(p2.safety.expected_terms.iter().any(|t| t == "Headache"));
    assert_eq!(
        reference_expectedness(&p2.safety.expected_terms, "headache"),
        Expectedness::Expected
    );
    let p1 = phase1();
    assert_eq!(
        p1.safety.stopping_rules[0].kind,
        StoppingKind::RelatedAeGrade { min_grade: 4 }
    );
    assert_eq!(
        p1.safety.stopping_rules[1].name,
        "2 or more of the first 6 participants dosed with a related serious adverse event"
    );
}

#[test]
fn safety_definition_problems_name_their_keys() {
    let text = format!(
        "{}\n[safety]\nexpected_terms = [\"Fever\", \"fever\"]\nrsi = 1\ndlt_criteria = {{ min_grade = 6, min_causality = \"maybe\" }}\n\n\
[[safety.stopping_rules]]\nid = \"a\"\nkind = \"related-sae-among-first\"\ncount = 7\nfirst = 6\nmin_grade = 3\n\n\
[[safety.stopping_rules]]\nid = \"a\"\nkind = \"whenever\"\n",
        crate::common::PHASE2.split("\n[safety]").next().unwrap()
    );
    let err = trial::Study::from_toml(&text).unwrap_err();
    let problems: Vec<String> = err.problems().iter().map(|p| p.to_string()).collect();
    assert_eq!(
        problems,
        [
            "safety.rsi: unknown key (allowed here: expected_terms, dlt_criteria, stopping_rules)",
            "safety.expected_terms[1]: duplicate term \"fever\" (first at safety.expected_terms[0])",
            "safety.dlt_criteria.min_grade: must be from 1 to 5, found 6",
            "safety.dlt_criteria.min_causality: must be one of \"not-related\", \"unlikely\", \"possible\", \"probable\", \"definite\", found the string \"maybe\"",
            "safety.stopping_rules[0].min_grade: only allowed with kind = \"related-ae-grade\"",
            "safety.stopping_rules[0].count: must be at most first (6), found 7",
            "safety.stopping_rules[1].kind: must be one of \"related-ae-grade\", \"related-sae-among-first\", found the string \"whenever\"",
            "safety.stopping_rules[1].id: duplicate id \"a\" (first used at safety.stopping_rules[0].id)",
        ]
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256)
    ))]

    /// No input makes the term file readers panic, and errors name a line and column within
    /// the text.
    #[test]
    fn term_file_readers_never_panic(
        text in proptest::string::string_regex("[\\x00-\\x7f,\"$\\r\\n\u{feff}–a-zA-Z0-9 -]{0,300}").unwrap(),
        header in any::<bool>(),
    ) {
        let text = if header {
            format!("MedDRA Code,MedDRA SOC,CTCAE Term,Grade 1,Grade 2,Grade 3,Grade 4,Grade 5\n{text}")
        } else {
            text
        };
        // A lone carriage return ends a CSV line too.
        let lines = text.replace("\r\n", "\n").split(['\n', '\r']).count();
        let results = [
            parse_ctcae_csv(&text).err(),
            read_csv(&text).err(),
            parse_meddra_soc(&text).err(),
            parse_meddra_pt(&text).err(),
            parse_meddra_llt(&text).err(),
            parse_meddra_hierarchy(&text).err(),
        ];
        for e in results.into_iter().flatten() {
            prop_assert!(e.line >= 1 && e.line <= lines, "{e}");
            prop_assert!(e.column >= 1, "{e}");
        }
        // The same text as every file of a MedDRA release: an error names one of them.
        let files = trial::safety::terms::MeddraFiles { soc: &text, pt: &text, llt: &text, mdhier: &text };
        if let Err(e) = trial::safety::terms::meddra_distribution(files) {
            prop_assert!(["soc.asc", "pt.asc", "llt.asc", "mdhier.asc"].contains(&e.file), "{e}");
            prop_assert!(e.error.line >= 1 && e.error.line <= lines, "{e}");
        }
    }

    /// Partial dates read back what they write, and compare consistently.
    #[test]
    fn partial_dates_round_trip(text in "[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?|[0-9-]{0,12}") {
        if let Some(d) = PartialDate::parse(&text) {
            prop_assert_eq!(d.to_string(), text);
            prop_assert!(d.earliest() <= d.latest());
            prop_assert!(!d.is_before(d));
        }
    }
}

use time::macros::datetime;

use super::*;
use crate::safety::{
    classify, ActionTaken, Causality, Expectedness, Outcome, PartialDate, Seriousness,
};

fn event(seriousness: &[Seriousness], causality: Causality) -> AdverseEvent {
    AdverseEvent {
        verbatim: "fever".into(),
        term: "Fever".into(),
        meddra_code: "10016558".into(),
        soc: "General disorders".into(),
        onset: PartialDate::parse("2026-03-01").unwrap(),
        end: None,
        grade: 3,
        seriousness: seriousness.to_vec(),
        causality_product: causality,
        causality_procedure: Causality::NotRelated,
        action: ActionTaken::DoseNotChanged,
        outcome: Outcome::Recovering,
    }
}

const NOW: OffsetDateTime = datetime!(2026 - 03 - 10 12:00 UTC);

fn susar(e: &AdverseEvent) -> Classification {
    classify(e, None, Expectedness::Unexpected)
}

#[test]
fn awareness_starts_when_first_serious_and_stays() {
    let serious = event(&[Seriousness::Hospitalisation], Causality::Possible);
    let mild = event(&[], Causality::Possible);
    assert_eq!(site_awareness(&mild, None, NOW), None);
    assert_eq!(site_awareness(&serious, None, NOW), Some(NOW));
    let earlier = datetime!(2026 - 03 - 01 00:00 UTC);
    assert_eq!(site_awareness(&serious, Some(earlier), NOW), None);
    let c = site_awareness_change("1/ae/2", NOW);
    assert_eq!(
        (
            c.entity.as_str(),
            c.field.as_deref(),
            c.new_value.as_deref()
        ),
        (
            CASE_ENTITY,
            Some("site_aware_at"),
            Some("2026-03-10T12:00:00Z")
        )
    );
}

#[test]
fn the_site_reports_a_serious_event_once_and_fixes_first_knowledge() {
    let mild = event(&[], Causality::Possible);
    let e = decide_site_report("1/ae/2", &mild, &CaseState::default(), NOW).unwrap_err();
    assert!(
        matches!(&e, Refusal::Conflict { field, .. } if field == "seriousness"),
        "{e}"
    );
    let serious = event(&[Seriousness::Hospitalisation], Causality::Possible);
    let report = decide_site_report("1/ae/2", &serious, &CaseState::default(), NOW).unwrap();
    assert_eq!(report.first_knowledge, NOW);
    let fields: Vec<_> = report
        .changes
        .iter()
        .map(|c| c.field.clone().unwrap())
        .collect();
    assert_eq!(fields, ["site_reported_at", "first_knowledge"]);
    // An earlier first knowledge recorded by the safety physician stays.
    let earlier = datetime!(2026 - 03 - 08 09:00 UTC);
    let state = CaseState {
        first_knowledge: Some(earlier),
        ..CaseState::default()
    };
    let report = decide_site_report("1/ae/2", &serious, &state, NOW).unwrap();
    assert_eq!((report.first_knowledge, report.changes.len()), (earlier, 1));
    // Once reported, again is refused.
    let state = CaseState {
        site_reported: Some(NOW),
        first_knowledge: Some(NOW),
        ..CaseState::default()
    };
    let e = decide_site_report("1/ae/2", &serious, &state, NOW).unwrap_err();
    assert!(
        matches!(&e, Refusal::Conflict { field, .. } if field == "site_report"),
        "{e}"
    );
}

#[test]
fn the_first_assessment_may_record_an_earlier_first_knowledge_only() {
    let reported = CaseState {
        site_reported: Some(NOW),
        first_knowledge: Some(NOW),
        ..CaseState::default()
    };
    let earlier = datetime!(2026 - 03 - 09 08:00 UTC);
    let later = datetime!(2026 - 03 - 10 13:00 UTC);
    assert_eq!(
        assessment_first_knowledge(&reported, None, None, later),
        Ok(NOW)
    );
    assert_eq!(
        assessment_first_knowledge(&reported, None, Some(earlier), later),
        Ok(earlier)
    );
    let e = assessment_first_knowledge(&reported, None, Some(later), later).unwrap_err();
    assert!(matches!(&e, Refusal::Invalid { field, .. } if field == "first_knowledge"));
    let e = assessment_first_knowledge(&CaseState::default(), None, Some(later), NOW).unwrap_err();
    assert!(e.to_string().contains("future"), "{e}");
    // Not reported yet: the physician's instant, or now.
    assert_eq!(
        assessment_first_knowledge(&CaseState::default(), None, None, NOW),
        Ok(NOW)
    );
    // After the first assessment, the fixed one (a different one is refused elsewhere).
    assert_eq!(
        assessment_first_knowledge(&reported, Some(earlier), None, later),
        Ok(earlier)
    );
    assert!(check_assessable(&event(&[], Causality::Definite)).is_err());
    assert!(check_assessable(&event(&[Seriousness::Disability], Causality::NotRelated)).is_ok());
}

#[test]
fn expedited_reports_initial_then_follow_ups_per_authority() {
    let e = event(&[Seriousness::LifeThreatening], Causality::Probable);
    let class = susar(&e);
    let state = CaseState {
        first_knowledge: Some(datetime!(2026 - 03 - 05 00:00 UTC)),
        ..CaseState::default()
    };
    let ctx = |earlier: &'static [ReportSent]| ReportContext {
        record: "1/ae/2",
        event: &e,
        classification: &class,
        state: &state,
        earlier,
        now: NOW,
    };
    let first =
        decide_expedited_report(ctx(&[]), Authority::Fda, ReportKind::Initial, NOW).unwrap();
    assert_eq!(
        (first.version, first.answers),
        (1, Some(ClockKind::Susar7Day))
    );
    assert_eq!(first.changes[0].record_id, "1/ae/2/fda/1");
    let e1 =
        decide_expedited_report(ctx(&[]), Authority::Fda, ReportKind::FollowUp, NOW).unwrap_err();
    assert!(
        matches!(&e1, Refusal::Conflict { field, .. } if field == "kind"),
        "{e1}"
    );
    const SENT: &[ReportSent] = &[ReportSent {
        authority: Authority::Fda,
        kind: ReportKind::Initial,
    }];
    let again =
        decide_expedited_report(ctx(SENT), Authority::Fda, ReportKind::Initial, NOW).unwrap_err();
    assert!(again.to_string().contains("follow-up"), "{again}");
    let follow =
        decide_expedited_report(ctx(SENT), Authority::Fda, ReportKind::FollowUp, NOW).unwrap();
    assert_eq!(
        (follow.version, follow.answers),
        (2, Some(ClockKind::SusarFollowUp))
    );
    // The CDE's initial report is its own version 1.
    let cde = decide_expedited_report(ctx(SENT), Authority::Cde, ReportKind::Initial, NOW).unwrap();
    assert_eq!(cde.version, 1);
    // Not in the future, not before the first knowledge.
    let future = datetime!(2026 - 03 - 11 00:00 UTC);
    let err =
        decide_expedited_report(ctx(&[]), Authority::Fda, ReportKind::Initial, future).unwrap_err();
    assert!(matches!(&err, Refusal::Invalid { field, .. } if field == "submitted_at"));
    let past = datetime!(2026 - 03 - 01 00:00 UTC);
    assert!(decide_expedited_report(ctx(&[]), Authority::Fda, ReportKind::Initial, past).is_err());
}

#[test]
fn only_a_susar_with_first_knowledge_is_reported() {
    let e = event(&[Seriousness::Hospitalisation], Causality::NotRelated);
    let class = susar(&e);
    assert!(!class.susar);
    let known = CaseState {
        first_knowledge: Some(datetime!(2026 - 03 - 05 00:00 UTC)),
        ..CaseState::default()
    };
    let ctx = ReportContext {
        record: "r",
        event: &e,
        classification: &class,
        state: &known,
        earlier: &[],
        now: NOW,
    };
    let err = decide_expedited_report(ctx, Authority::Cde, ReportKind::Initial, NOW).unwrap_err();
    assert!(
        matches!(&err, Refusal::Conflict { field, .. } if field == "case"),
        "{err}"
    );
    // A follow-up of a case already reported stays allowed after a downgrade.
    let sent = [ReportSent {
        authority: Authority::Cde,
        kind: ReportKind::Initial,
    }];
    let ctx = ReportContext {
        earlier: &sent,
        ..ctx
    };
    let ok = decide_expedited_report(ctx, Authority::Cde, ReportKind::FollowUp, NOW).unwrap();
    assert_eq!((ok.version, ok.answers), (2, None));
    let related = event(&[Seriousness::Hospitalisation], Causality::Possible);
    let class = susar(&related);
    let ctx = ReportContext {
        event: &related,
        classification: &class,
        state: &CaseState::default(),
        earlier: &[],
        ..ctx
    };
    let err = decide_expedited_report(ctx, Authority::Cde, ReportKind::Initial, NOW).unwrap_err();
    assert!(matches!(&err, Refusal::Conflict { field, .. } if field == "first_knowledge"));
}

#[test]
fn open_clocks_close_by_site_report_and_by_reports_to_every_authority() {
    let e = event(&[Seriousness::LifeThreatening], Causality::Possible);
    let class = susar(&e);
    let aware = datetime!(2026 - 03 - 09 10:00 UTC);
    let state = CaseState {
        site_aware: Some(aware),
        ..CaseState::default()
    };
    let open = open_clocks(&e, &class, &state, &[]);
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].clock.kind, ClockKind::SiteReport);
    let state = CaseState {
        site_aware: Some(aware),
        site_reported: Some(NOW),
        first_knowledge: Some(NOW),
    };
    let kinds = |open: &[OpenClock]| open.iter().map(|o| o.clock.kind).collect::<Vec<_>>();
    let open = open_clocks(&e, &class, &state, &[]);
    assert_eq!(
        kinds(&open),
        [ClockKind::Susar7Day, ClockKind::SusarFollowUp]
    );
    assert_eq!(open[0].awaiting, [Authority::Fda, Authority::Cde]);
    let fda = ReportSent {
        authority: Authority::Fda,
        kind: ReportKind::Initial,
    };
    let open = open_clocks(&e, &class, &state, &[fda]);
    assert_eq!(open[0].awaiting, [Authority::Cde]);
    let cde = ReportSent {
        authority: Authority::Cde,
        ..fda
    };
    assert_eq!(
        kinds(&open_clocks(&e, &class, &state, &[fda, cde])),
        [ClockKind::SusarFollowUp]
    );
    // Expected by the sponsor: not a SUSAR, no SUSAR clock.
    let expected = classify(&e, None, Expectedness::Expected);
    assert!(open_clocks(&e, &expected, &state, &[]).is_empty());
}

#[test]
fn notices_start_once_and_remind_once_before_the_deadline() {
    let clock = Clock::calendar_days(
        ClockKind::Susar15Day,
        datetime!(2026 - 03 - 01 09:00 UTC),
        15,
    );
    let remind = clock.remind_at().unwrap();
    assert_eq!(notices_due(&clock, &[], NOW), [Notice::Started]);
    assert_eq!(
        notices_due(&clock, &[Notice::Started], NOW),
        Vec::<Notice>::new()
    );
    assert_eq!(
        notices_due(&clock, &[Notice::Started], remind),
        [Notice::Reminder]
    );
    assert_eq!(
        notices_due(&clock, &[Notice::Started, Notice::Reminder], remind),
        Vec::<Notice>::new()
    );
    assert_eq!(
        notices_due(&clock, &[Notice::Started], clock.deadline),
        Vec::<Notice>::new()
    );
    let (subject, body) = notice_text(Notice::Reminder, &clock, "XS-001", "site-a", "Fever");
    assert!(subject.starts_with("2 days left: Fever"), "{subject}");
    assert!(body.contains("due 2026-03-16"), "{body}");
}

#[test]
fn only_pharmacovigilance_sees_the_arm_of_a_susar_case() {
    let study = Study::from_toml(include_str!("../../../../../studies/xs228-phase2.toml")).unwrap();
    let pv = [Role::Pharmacovigilance];
    assert!(case_shows_arm(&study, &pv, true));
    assert!(!case_shows_arm(&study, &pv, false));
    assert!(!case_shows_arm(&study, &[Role::SafetyPhysician], true));
    assert!(!case_shows_arm(
        &study,
        &[Role::Pharmacovigilance, Role::Investigator],
        true
    ));
    assert!(case_shows_arm(
        &study,
        &[Role::Pharmacovigilance, Role::DsmbMember],
        true
    ));
}

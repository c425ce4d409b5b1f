//! Serious adverse events as cases in the system of record, on SQLite and PostgreSQL: the
//! site's 24-hour clock from its awareness and its report to the sponsor, the sponsor's
//! assessment beside the investigator's, SUSAR clocks closed by expedited reports, the clock
//! notices (once each, by the sweep too), and the arm of a SUSAR shown only through an audited
//! view on the unblinded chain.

use isncsci::{Grade, Level};
use store::*;
use time::{Duration, OffsetDateTime};
use trial::safety::{
    AdverseEvent, AdverseEventForm, Authority, Causality, ClockKind, EventContext, Expectedness,
    ReportKind, Term, TermTable,
};
use trial::{Covariates, Role, Study};

use crate::common::*;
use crate::story::screening;

const PHASE2: &str = include_str!("../../../../studies/xs228-phase2.toml");

fn terms() -> Vec<Term> {
    let term = |code: &str, name: &str| Term {
        code: code.into(),
        name: name.into(),
        soc: "General disorders".into(),
        grades: [1, 2, 3, 4, 5].map(|g| Some(format!("{name} grade {g}"))),
        definition: None,
    };
    // Fever is in the study's reference safety information; Seizure is not.
    vec![term("10016558", "Fever"), term("10039906", "Seizure")]
}

/// An event of `term` with these seriousness criteria and causality to the product.
fn event(table: &TermTable, term: &str, seriousness: &[&str], causality: &str) -> AdverseEvent {
    AdverseEventForm {
        verbatim: format!("{term} after dosing"),
        term: term.into(),
        onset: "2026-11-02".into(),
        end: None,
        grade: Some(3),
        seriousness: seriousness.iter().map(|s| s.to_string()).collect(),
        causality_product: causality.into(),
        causality_procedure: "not-related".into(),
        action: "dose-delayed".into(),
        outcome: "recovering".into(),
    }
    .read(EventContext {
        terms: table,
        consent: time::macros::date!(2026 - 10 - 20),
        today: time::macros::date!(2030 - 12 - 31),
    })
    .unwrap()
}

struct Setup {
    study: Study,
    table: TermTable,
    scope: Scope,
    crc: Actor,
    sp: Actor,
    pv: Actor,
}

/// The Phase II study with its list and terms, a coordinator, and the safety physician and
/// pharmacovigilance with e-mail addresses (and a second pharmacovigilance user without one).
async fn setup(store: &Store) -> Setup {
    let study = Study::from_toml(PHASE2).unwrap();
    let system = Actor::system();
    store.load_study(&study, PHASE2, &system).await.unwrap();
    store
        .generate_randomisation(&study, &ListRequest::new(7, 12, 40), &system)
        .await
        .unwrap();
    store.load_terms(&terms(), &system).await.unwrap();
    let mut actors: Vec<Actor> = Vec::new();
    for (name, role, email) in [
        ("sp", Role::SafetyPhysician, "sp@example.org"),
        ("pv", Role::Pharmacovigilance, "pv@example.org"),
        ("pv2", Role::Pharmacovigilance, ""),
    ] {
        let u = user(store, name).await;
        store
            .assign_role(
                &RoleAssignment {
                    user_id: u.id,
                    study_id: study.id.clone(),
                    role,
                    site_id: None,
                },
                &system,
            )
            .await
            .unwrap();
        store.set_user_email(u.id, email, &system).await.unwrap();
        actors.push(Actor::user(&u));
    }
    let crc = Actor::user(&user(store, "crc").await);
    Setup {
        scope: Scope::Study(study.id.clone()),
        table: store.terms().await.unwrap(),
        study,
        crc,
        sp: actors[0].clone(),
        pv: actors[1].clone(),
    }
}

/// An enrolled participant of site A.
async fn participant(store: &Store, s: &Setup, n: &str) -> i64 {
    let site = &s.study.sites[0].id;
    let p = store
        .screen(&s.scope, &screening(site, &format!("S-{n}"), true), &s.crc)
        .await
        .unwrap();
    store
        .enrol(
            &s.scope,
            &s.study,
            &Enrolment {
                participant_id: p.id,
                subject_id: format!("XS-{n}"),
                enrolled_on: "2026-10-25".into(),
                anchor_date: "2026-11-01".into(),
                visits: vec![],
            },
            &s.crc,
        )
        .await
        .unwrap();
    p.id
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn kinds(clocks: &[ClockRecord]) -> Vec<(i64, ClockKind)> {
    clocks.iter().map(|c| (c.ae_id, c.kind)).collect()
}

#[tokio::test]
async fn a_serious_event_starts_the_site_clock_and_its_report_starts_the_susar_clock() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let s = setup(&store).await;
        let p = participant(&store, &s, "1").await;
        // Not serious: no clock, and it cannot be reported to the sponsor.
        let mild = event(&s.table, "Seizure", &[], "possible");
        let ae = store
            .record_adverse_event(&s.scope, p, &mild, &s.crc)
            .await
            .unwrap()
            .id;
        assert!(store
            .safety_clocks(&s.study, &s.scope, false, now())
            .await
            .unwrap()
            .is_empty());
        let e = store
            .report_sae(&s.study, &s.scope, p, ae, &s.crc)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Conflict { field, .. } if field == "seriousness"),
            "{e}"
        );
        // Changed to serious: the site's 24-hour clock starts, and the safety roles are told.
        let serious = event(&s.table, "Seizure", &["hospitalisation"], "possible");
        store
            .change_adverse_event(&s.scope, p, ae, &serious, Some("admitted"), &s.crc)
            .await
            .unwrap();
        let clocks = store
            .safety_clocks(&s.study, &s.scope, false, now())
            .await
            .unwrap();
        assert_eq!(kinds(&clocks), [(ae, ClockKind::SiteReport)]);
        assert_eq!(
            (clocks[0].participant.as_str(), clocks[0].overdue),
            ("XS-1", false)
        );
        let case = store
            .safety_case(&s.study, &s.scope, ae, now())
            .await
            .unwrap();
        assert!(case.site_aware_at.is_some() && case.first_knowledge.is_none());
        assert!(case.classification.susar, "{case:?}");
        let record = format!("{p}/ae/{ae}");
        let aware = store.audit_of("safety-case", &record).await.unwrap();
        assert_eq!(aware.len(), 1);
        assert_eq!(aware[0].field.as_deref(), Some("site_aware_at"));
        let notes = store
            .notifications(&s.study.id, &[Role::SafetyPhysician], &s.sp)
            .await
            .unwrap();
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].kind, CLOCK_NOTIFICATION);
        assert!(notes[0].message.contains("24-hour"), "{}", notes[0].message);
        let outbox = store.outbox(&s.study.id).await.unwrap();
        let to: Vec<&str> = outbox.iter().map(|m| m.recipient.as_str()).collect();
        assert_eq!(
            to,
            ["sp@example.org", "pv@example.org"],
            "no address, no e-mail"
        );
        // The site reports it: its clock stops, the sponsor's first knowledge is fixed, and
        // the SUSAR's 15-day clock starts (Seizure is unexpected, related by the investigator).
        let case = store
            .report_sae(&s.study, &s.scope, p, ae, &s.crc)
            .await
            .unwrap();
        assert_eq!(case.site_reported_by.as_deref(), Some("crc"));
        assert_eq!(case.first_knowledge, case.site_reported_at);
        assert_eq!(
            kinds(&case.clocks),
            [(ae, ClockKind::Susar15Day)],
            "{case:?}"
        );
        assert_eq!(case.clocks[0].days_left, 15);
        assert_eq!(case.clocks[0].awaiting, [Authority::Fda, Authority::Cde]);
        let e = store
            .report_sae(&s.study, &s.scope, p, ae, &s.crc)
            .await
            .unwrap_err();
        assert!(matches!(&e, StoreError::Conflict { field, .. } if field == "site_report"));
        // A site user sees only the sites' clocks (none open now); the study sees the SUSAR's.
        let site_only = store
            .safety_clocks(&s.study, &s.scope, true, now())
            .await
            .unwrap();
        assert!(site_only.is_empty(), "{site_only:?}");
        assert_eq!(store.outbox(&s.study.id).await.unwrap().len(), 4);
        // Another site's scope does not find the case, and learns no participant from it.
        let site_b = Scope::Sites {
            study: s.study.id.clone(),
            sites: vec![s.study.sites[1].id.clone()],
        };
        let e = store
            .safety_case(&s.study, &site_b, ae, now())
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::NotFound { entity, .. } if *entity == "adverse event"),
            "{e}"
        );
        assert!(store
            .safety_clocks(&s.study, &site_b, false, now())
            .await
            .unwrap()
            .is_empty());
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditReport::Intact { .. }
        ));
    }
}

#[tokio::test]
async fn the_sponsors_assessment_stands_beside_the_investigators() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let s = setup(&store).await;
        let p = participant(&store, &s, "2").await;
        // Fever is expected by the reference safety information: not a SUSAR for the site.
        let fever = event(&s.table, "Fever", &["hospitalisation"], "not-related");
        let ae = store
            .record_adverse_event(&s.scope, p, &fever, &s.crc)
            .await
            .unwrap()
            .id;
        store
            .report_sae(&s.study, &s.scope, p, ae, &s.crc)
            .await
            .unwrap();
        let case = store
            .safety_case(&s.study, &s.scope, ae, now())
            .await
            .unwrap();
        assert!(!case.classification.susar);
        // The physician's first knowledge may be earlier than the site's report, not later.
        let later = SponsorInput {
            causality: Causality::Probable,
            expectedness: Expectedness::Unexpected,
            first_knowledge: Some(now() + Duration::hours(1)),
            reason: None,
        };
        let e = store
            .assess_case(&s.study, &s.scope, ae, &later, &s.sp)
            .await
            .unwrap_err();
        assert!(matches!(&e, StoreError::Invalid { field, .. } if field == "first_knowledge"));
        let earlier = now() - Duration::days(3);
        let input = SponsorInput {
            first_knowledge: Some(earlier),
            ..later.clone()
        };
        let case = store
            .assess_case(&s.study, &s.scope, ae, &input, &s.sp)
            .await
            .unwrap();
        // Related and unexpected by the sponsor: a SUSAR, day 0 three days ago.
        assert!(case.classification.susar);
        assert_eq!(case.event.event.causality_product, Causality::NotRelated);
        let sponsor = case.sponsor.clone().unwrap();
        assert_eq!(
            (
                sponsor.causality,
                sponsor.expectedness,
                sponsor.assessed_by.as_str()
            ),
            (Causality::Probable, Expectedness::Unexpected, "sp")
        );
        assert_eq!(case.clocks.len(), 1);
        assert_eq!(case.clocks[0].days_left, 12);
        // A change needs a reason, and is audited field by field.
        let change = SponsorInput {
            causality: Causality::Possible,
            first_knowledge: None,
            ..input.clone()
        };
        let e = store
            .assess_case(&s.study, &s.scope, ae, &change, &s.sp)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Invalid { field, .. } if field == "reason"),
            "{e}"
        );
        let with_reason = SponsorInput {
            reason: Some("narrative read again".into()),
            ..change
        };
        store
            .assess_case(&s.study, &s.scope, ae, &with_reason, &s.sp)
            .await
            .unwrap();
        let rows = store
            .audit_of("sponsor-assessment", &format!("{p}/ae/{ae}"))
            .await
            .unwrap();
        let updates: Vec<_> = rows
            .iter()
            .filter(|r| r.action == "update")
            .map(|r| {
                (
                    r.field.as_deref(),
                    r.old_value.as_deref(),
                    r.new_value.as_deref(),
                    r.reason.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            updates,
            [(
                Some("causality"),
                Some("probable"),
                Some("possible"),
                Some("narrative read again")
            )]
        );
        // A non-serious event is not the sponsor's to assess.
        let mild = event(&s.table, "Fever", &[], "possible");
        let other = store
            .record_adverse_event(&s.scope, p, &mild, &s.crc)
            .await
            .unwrap()
            .id;
        let e = store
            .assess_case(&s.study, &s.scope, other, &input, &s.sp)
            .await
            .unwrap_err();
        assert!(matches!(&e, StoreError::Conflict { field, .. } if field == "seriousness"));
    }
}

#[tokio::test]
async fn expedited_reports_close_the_clocks_and_overdue_clocks_come_first() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let s = setup(&store).await;
        let p = participant(&store, &s, "3").await;
        // A life-threatening SUSAR known 20 days ago: its 7-day and follow-up clocks are overdue.
        let grave = event(&s.table, "Seizure", &["life-threatening"], "probable");
        let old = store
            .record_adverse_event(&s.scope, p, &grave, &s.crc)
            .await
            .unwrap()
            .id;
        let input = SponsorInput {
            causality: Causality::Probable,
            expectedness: Expectedness::Unexpected,
            first_knowledge: Some(now() - Duration::days(20)),
            reason: None,
        };
        store
            .assess_case(&s.study, &s.scope, old, &input, &s.sp)
            .await
            .unwrap();
        store
            .report_sae(&s.study, &s.scope, p, old, &s.crc)
            .await
            .unwrap();
        // A fresh SUSAR reported today: 15 days.
        let fresh = event(&s.table, "Seizure", &["hospitalisation"], "possible");
        let new = store
            .record_adverse_event(&s.scope, p, &fresh, &s.crc)
            .await
            .unwrap()
            .id;
        store
            .report_sae(&s.study, &s.scope, p, new, &s.crc)
            .await
            .unwrap();
        let clocks = store
            .safety_clocks(&s.study, &s.scope, false, now())
            .await
            .unwrap();
        assert_eq!(
            kinds(&clocks),
            [
                (old, ClockKind::Susar7Day),
                (old, ClockKind::SusarFollowUp),
                (new, ClockKind::Susar15Day)
            ]
        );
        assert!(clocks[0].overdue && clocks[1].overdue && !clocks[2].overdue);
        assert_eq!(clocks[0].days_left, -13);
        // A follow-up before the initial report is refused; the initial to the FDA, then the
        // CDE, closes the 7-day clock.
        let e = store
            .record_expedited_report(
                &s.study,
                &s.scope,
                old,
                Authority::Fda,
                ReportKind::FollowUp,
                None,
                &s.pv,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Conflict { field, .. } if field == "kind"),
            "{e}"
        );
        let r = store
            .record_expedited_report(
                &s.study,
                &s.scope,
                old,
                Authority::Fda,
                ReportKind::Initial,
                None,
                &s.pv,
            )
            .await
            .unwrap();
        assert_eq!(
            (r.version, r.answers, r.recorded_by.as_str()),
            (1, Some(ClockKind::Susar7Day), "pv")
        );
        let case = store
            .safety_case(&s.study, &s.scope, old, now())
            .await
            .unwrap();
        assert_eq!(case.clocks[0].awaiting, [Authority::Cde]);
        store
            .record_expedited_report(
                &s.study,
                &s.scope,
                old,
                Authority::Cde,
                ReportKind::Initial,
                None,
                &s.pv,
            )
            .await
            .unwrap();
        for authority in [Authority::Fda, Authority::Cde] {
            let r = store
                .record_expedited_report(
                    &s.study,
                    &s.scope,
                    old,
                    authority,
                    ReportKind::FollowUp,
                    None,
                    &s.pv,
                )
                .await
                .unwrap();
            assert_eq!(r.version, 2);
        }
        // A further follow-up is a new version, any time.
        let r = store
            .record_expedited_report(
                &s.study,
                &s.scope,
                old,
                Authority::Fda,
                ReportKind::FollowUp,
                None,
                &s.pv,
            )
            .await
            .unwrap();
        assert_eq!((r.version, r.answers), (3, Some(ClockKind::SusarFollowUp)));
        let clocks = store
            .safety_clocks(&s.study, &s.scope, false, now())
            .await
            .unwrap();
        assert_eq!(kinds(&clocks), [(new, ClockKind::Susar15Day)]);
        let rows = store
            .audit_of("expedited-report", &format!("{p}/ae/{old}/fda/3"))
            .await
            .unwrap();
        assert_eq!(rows.len(), 2);
        // A report submitted in the future is refused.
        let e = store
            .record_expedited_report(
                &s.study,
                &s.scope,
                new,
                Authority::Fda,
                ReportKind::Initial,
                Some(now() + Duration::days(1)),
                &s.pv,
            )
            .await
            .unwrap_err();
        assert!(matches!(&e, StoreError::Invalid { field, .. } if field == "submitted_at"));
    }
}

#[tokio::test]
async fn the_sweep_sends_each_notice_once() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let s = setup(&store).await;
        let p = participant(&store, &s, "4").await;
        let susar = event(&s.table, "Seizure", &["hospitalisation"], "possible");
        let ae = store
            .record_adverse_event(&s.scope, p, &susar, &s.crc)
            .await
            .unwrap()
            .id;
        let case = store
            .report_sae(&s.study, &s.scope, p, ae, &s.crc)
            .await
            .unwrap();
        let started = store.outbox(&s.study.id).await.unwrap().len();
        // Site clock started + SUSAR clock started, to two addresses each.
        assert_eq!(started, 4);
        // Nothing is due yet; a second sweep at the same instant sends nothing either.
        assert_eq!(store.send_safety_notices(&s.study, now()).await.unwrap(), 0);
        // On the day two days remain, one reminder, once.
        let due = store::parse_date(&case.clocks[0].due).unwrap();
        let remind = (due - Duration::days(2)).midnight().assume_utc() + Duration::hours(1);
        assert_eq!(
            store.send_safety_notices(&s.study, remind).await.unwrap(),
            1
        );
        assert_eq!(
            store.send_safety_notices(&s.study, remind).await.unwrap(),
            0
        );
        let outbox = store.outbox(&s.study.id).await.unwrap();
        assert_eq!(outbox.len(), started + 2);
        let last = outbox.last().unwrap();
        assert!(
            last.subject.starts_with("2 days left: Seizure"),
            "{}",
            last.subject
        );
        let notes = store
            .notifications(&s.study.id, &[Role::Pharmacovigilance], &s.pv)
            .await
            .unwrap();
        assert_eq!(notes.len(), 3);
        // Never an arm.
        for text in outbox
            .iter()
            .map(|m| &m.body)
            .chain(notes.iter().map(|n| &n.message))
        {
            for arm in &s.study.arms {
                assert!(!text.contains(&format!(" {} ", arm.name)), "{text}");
            }
        }
    }
}

#[tokio::test]
async fn the_arm_of_a_susar_is_revealed_only_through_an_audited_view() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let s = setup(&store).await;
        let p = participant(&store, &s, "5").await;
        let site = s.study.sites[0].id.clone();
        let covariates = Covariates::new(&s.study, Grade::B, Level::C6, &site).unwrap();
        let allocation = store
            .randomise(&s.scope, &s.study, p, &covariates, &s.crc)
            .await
            .unwrap();
        let expected = event(&s.table, "Fever", &["hospitalisation"], "possible");
        let not_susar = store
            .record_adverse_event(&s.scope, p, &expected, &s.crc)
            .await
            .unwrap()
            .id;
        let e = store
            .reveal_case_arm(&s.study, &s.scope, not_susar, &s.pv)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Conflict { field, .. } if field == "case"),
            "{e}"
        );
        let unexpected = event(&s.table, "Seizure", &["hospitalisation"], "possible");
        let ae = store
            .record_adverse_event(&s.scope, p, &unexpected, &s.crc)
            .await
            .unwrap()
            .id;
        let arm = store
            .reveal_case_arm(&s.study, &s.scope, ae, &s.pv)
            .await
            .unwrap();
        assert_eq!(arm.as_deref(), Some(allocation.arm_id.as_str()));
        let rows = store
            .audit_of("safety-case", &format!("{p}/ae/{ae}"))
            .await
            .unwrap();
        let shown: Vec<_> = rows.iter().filter(|r| r.action == "show-arm").collect();
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].chain, unblinded_chain(&s.study.id));
        assert_eq!(shown[0].username, "pv");
        assert_eq!(
            shown[0].new_value.as_deref(),
            Some(allocation.arm_id.as_str())
        );
        // Nothing of the arm on the study's own chain.
        assert!(rows
            .iter()
            .filter(|r| r.chain == s.study.id)
            .all(|r| r.new_value.as_deref() != Some(allocation.arm_id.as_str())));
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditReport::Intact { .. }
        ));
    }
}

#[tokio::test]
async fn a_case_is_reported_once_under_concurrent_requests() {
    for db in stores().await {
        let store = std::sync::Arc::new(Backend::open(db).await.unwrap());
        let s = std::sync::Arc::new(setup(&store).await);
        let p = participant(&store, &s, "6").await;
        let serious = event(&s.table, "Seizure", &["hospitalisation"], "possible");
        let ae = store
            .record_adverse_event(&s.scope, p, &serious, &s.crc)
            .await
            .unwrap()
            .id;
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (store, s) = (store.clone(), s.clone());
            tasks.push(tokio::spawn(async move {
                store.report_sae(&s.study, &s.scope, p, ae, &s.crc).await
            }));
        }
        let mut ok = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => ok += 1,
                Err(StoreError::Conflict { field, .. }) if field == "site_report" => {}
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(ok, 1);
        let rows = store
            .audit_of("safety-case", &format!("{p}/ae/{ae}"))
            .await
            .unwrap();
        let reported = rows
            .iter()
            .filter(|r| r.field.as_deref() == Some("site_reported_at"))
            .count();
        assert_eq!(reported, 1);
    }
}

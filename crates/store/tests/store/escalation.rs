//! Phase I dose escalation in the system of record, on SQLite and PostgreSQL: dose levels by
//! the 3+3 rule, signed DLT assessments in their window, sponsor overrides.

use std::sync::Arc;

use store::*;

use crate::common::*;

pub(crate) const PHASE1: &str = include_str!("../../../../studies/xs228-phase1.toml");

pub(crate) async fn enrolled(store: &Store, study: &trial::Study, i: usize, by: &Actor) -> i64 {
    let scope = Scope::Study(study.id.clone());
    let p = store
        .screen(
            &scope,
            &NewScreening {
                site_id: study.sites[0].id.clone(),
                screening_number: format!("S-{i:03}"),
                sex: "female".into(),
                date_of_birth: "1980-01-01".into(),
                injury_date: "2026-10-01".into(),
                consent_date: "2026-10-20".into(),
                screening_date: "2026-10-21".into(),
                eligible: true,
                eligibility_reasons: vec![],
                exam_visit: "screening".into(),
                exam_visit_name: "Screening".into(),
                exam_form: "isncsci".into(),
                exam_raw: "{}".into(),
                classification: "{}".into(),
            },
            by,
        )
        .await
        .unwrap();
    store
        .enrol(
            &scope,
            study,
            &Enrolment {
                participant_id: p.id,
                subject_id: format!("P1-{i:03}"),
                enrolled_on: "2026-10-25".into(),
                anchor_date: "2026-11-01".into(),
                visits: vec![],
            },
            by,
        )
        .await
        .unwrap();
    p.id
}

fn no_dlt<'a>(id: i64, signer: &'a User, on: &str) -> NewDlt<'a> {
    NewDlt {
        participant_id: id,
        dlt: false,
        onset_on: None,
        description: "no dose-limiting toxicity in the window".into(),
        assessed_on: on.into(),
        ae_ids: vec![],
        signer,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_plus_three_from_the_first_cohort_to_the_next_level() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let study = trial::Study::from_toml(PHASE1).unwrap();
        store
            .load_study(&study, PHASE1, &Actor::system())
            .await
            .unwrap();
        let inv_user = user(&store, "inv").await;
        let inv = Actor::user(&inv_user);
        let sponsor_user = user(&store, "sponsor").await;
        let sponsor = Actor::user(&sponsor_user);
        let scope = Scope::Study(study.id.clone());
        let mut ids = Vec::new();
        for i in 0..8 {
            ids.push(enrolled(&store, &study, i, &inv).await);
        }
        // Eight at once for a cohort of three: exactly three get sad-1.
        let store = Arc::new(store);
        let mut tasks = Vec::new();
        for id in &ids {
            let (store, study, scope, inv, id) = (
                store.clone(),
                study.clone(),
                scope.clone(),
                inv.clone(),
                *id,
            );
            tasks.push(tokio::spawn(async move {
                store
                    .assign_dose_level(&scope, &study, id, None, None, &inv)
                    .await
            }));
        }
        let mut first = Vec::new();
        for (t, id) in tasks.into_iter().zip(&ids) {
            match t.await.unwrap() {
                Ok(a) => {
                    assert_eq!(a.level_id, "sad-1");
                    first.push(*id);
                }
                Err(StoreError::Conflict { field, message }) => {
                    assert_eq!(field, "level_id");
                    assert!(message.contains("is full (3 of 3"), "{message}");
                }
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(first.len(), 3);
        let waiting: Vec<i64> = ids.iter().copied().filter(|i| !first.contains(i)).collect();
        // A level the rule does not allow is refused, naming the allowed one.
        let e = store
            .assign_dose_level(&scope, &study, waiting[0], Some("sad-2"), None, &inv)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Conflict { field, message } if field == "level_id" && message.contains("allowed: sad-1")),
            "{e}"
        );
        // Before the window ends (day 29 = 2026-11-29), no DLT cannot be recorded yet.
        let e = store
            .record_dlt(
                &scope,
                &study,
                &no_dlt(first[0], &inv_user, "2026-11-28"),
                &inv,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Conflict { field, message } if field == "assessed_on" && message.contains("2026-11-29")),
            "{e}"
        );
        // A DLT outside the window is refused with the window.
        let late = NewDlt {
            dlt: true,
            onset_on: Some("2026-12-15".into()),
            description: "grade 3 headache".into(),
            ..no_dlt(first[0], &inv_user, "2026-12-16")
        };
        let e = store
            .record_dlt(&scope, &study, &late, &inv)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Invalid { field, message } if field == "onset_on" && message.contains("2026-11-01 to 2026-11-29")),
            "{e}"
        );
        for id in &first {
            let a = store
                .record_dlt(&scope, &study, &no_dlt(*id, &inv_user, "2026-11-29"), &inv)
                .await
                .unwrap();
            assert_eq!(a.signer_name, "Dr inv");
        }
        let e = store
            .record_dlt(
                &scope,
                &study,
                &no_dlt(first[0], &inv_user, "2026-11-30"),
                &inv,
            )
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::Conflict { .. }), "{e}");
        // 0/3: escalate to sad-2.
        let counts = store.cohort_counts(&study).await.unwrap();
        assert_eq!(
            trial::opening(&counts),
            trial::Opening {
                level: Some(1),
                target: 3,
                open: true
            }
        );
        let a = store
            .assign_dose_level(&scope, &study, waiting[0], None, None, &inv)
            .await
            .unwrap();
        assert_eq!(a.level_id, "sad-2");
        // A DLT at sad-2, in its window, from the participant's grade 3 adverse event.
        store
            .load_terms(&crate::dsmb::terms(), &Actor::system())
            .await
            .unwrap();
        let table = store.terms().await.unwrap();
        let event = crate::dsmb::ae(&table, "Aseptic meningitis", 3, false, "2026-11-10");
        let event = store
            .record_adverse_event(&scope, waiting[0], &event, &inv)
            .await
            .unwrap();
        let dlt = NewDlt {
            dlt: true,
            onset_on: Some("2026-11-10".into()),
            description: "grade 3 aseptic meningitis".into(),
            ae_ids: vec![event.id],
            ..no_dlt(waiting[0], &inv_user, "2026-11-11")
        };
        assert!(
            store
                .record_dlt(&scope, &study, &dlt, &inv)
                .await
                .unwrap()
                .dlt
        );
        // The sponsor overrides the rule with a reason and a signature: audited.
        let o = DoseOverride {
            reason: "DSMB recommended opening MAD at the lowest dose",
            signer: &sponsor_user,
        };
        let e = store
            .assign_dose_level(
                &scope,
                &study,
                waiting[1],
                Some("mad-1"),
                Some(DoseOverride { reason: " ", ..o }),
                &sponsor,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Invalid { field, .. } if field == "reason"),
            "{e}"
        );
        let a = store
            .assign_dose_level(&scope, &study, waiting[1], Some("mad-1"), Some(o), &sponsor)
            .await
            .unwrap();
        assert_eq!(
            (a.level_id.as_str(), a.override_signer.as_deref()),
            ("mad-1", Some("Dr sponsor"))
        );
        let trail = store
            .audit_of("dose-override", &waiting[1].to_string())
            .await
            .unwrap();
        assert!(trail.iter().all(
            |r| r.reason.as_deref() == Some(o.reason) || r.field.as_deref() == Some("meaning")
        ));
        assert_eq!(trail.len(), 2);
        // MAD: four doses (days 1, 15, 29, 43), so the window runs to day 71 (2027-01-10):
        // a DLT on day 60 counts; no DLT cannot be signed on day 70.
        let e = store
            .record_dlt(
                &scope,
                &study,
                &no_dlt(waiting[1], &inv_user, "2027-01-09"),
                &inv,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Conflict { message, .. } if message.contains("2027-01-10")),
            "{e}"
        );
        let event = crate::dsmb::ae(&table, "Fever", 3, false, "2026-12-30");
        let event = store
            .record_adverse_event(&scope, waiting[1], &event, &inv)
            .await
            .unwrap();
        let mad = NewDlt {
            dlt: true,
            onset_on: Some("2026-12-30".into()),
            description: "grade 3 fever".into(),
            ae_ids: vec![event.id],
            ..no_dlt(waiting[1], &inv_user, "2026-12-31")
        };
        assert!(
            store
                .record_dlt(&scope, &study, &mad, &inv)
                .await
                .unwrap()
                .dlt
        );
        let (dose, dlt) = store.dose(&scope, waiting[0]).await.unwrap();
        assert_eq!(dose.unwrap().level_id, "sad-2");
        assert_eq!(dlt.unwrap().onset_on.as_deref(), Some("2026-11-10"));
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditReport::Intact { .. }
        ));
    }
}

/// A participant planned every visit at enrolment keeps, once given a level, only the visits of
/// its dose schedule: a single-dose participant loses the multiple-dose visits (audited), a
/// multiple-dose participant keeps them all.
#[tokio::test]
async fn a_dose_level_keeps_the_visits_of_its_schedule() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let study = trial::Study::from_toml(PHASE1).unwrap();
        store
            .load_study(&study, PHASE1, &Actor::system())
            .await
            .unwrap();
        let inv_user = user(&store, "inv").await;
        let inv = Actor::user(&inv_user);
        let scope = Scope::Study(study.id.clone());
        let anchor = time::macros::date!(2026 - 11 - 01);
        let plan: Vec<PlannedVisit> = trial::plan_visits(&study, anchor)
            .into_iter()
            .map(|v| PlannedVisit {
                visit_id: v.visit_id,
                name: v.name,
                target: store::date(v.target),
                earliest: store::date(v.earliest),
                latest: store::date(v.latest),
            })
            .collect();
        let mut ids = Vec::new();
        for (i, level) in [(0, "sad-1"), (1, "mad-1")] {
            let p = store
                .screen(
                    &scope,
                    &NewScreening {
                        site_id: study.sites[0].id.clone(),
                        screening_number: format!("V-{i}"),
                        sex: "male".into(),
                        date_of_birth: "1980-01-01".into(),
                        injury_date: "2026-10-01".into(),
                        consent_date: "2026-10-20".into(),
                        screening_date: "2026-10-21".into(),
                        eligible: true,
                        eligibility_reasons: vec![],
                        exam_visit: "screening".into(),
                        exam_visit_name: "Screening".into(),
                        exam_form: "isncsci".into(),
                        exam_raw: "{}".into(),
                        classification: "{}".into(),
                    },
                    &inv,
                )
                .await
                .unwrap();
            store
                .enrol(
                    &scope,
                    &study,
                    &Enrolment {
                        participant_id: p.id,
                        subject_id: format!("V1-{i}"),
                        enrolled_on: "2026-10-25".into(),
                        anchor_date: "2026-11-01".into(),
                        visits: plan.clone(),
                    },
                    &inv,
                )
                .await
                .unwrap();
            let o = (i == 1).then_some(DoseOverride {
                reason: "the sponsor opens the multiple-dose schedule for this test",
                signer: &inv_user,
            });
            store
                .assign_dose_level(&scope, &study, p.id, Some(level), o, &inv)
                .await
                .unwrap();
            ids.push(p.id);
        }
        let visits_of = |id| {
            let (store, scope) = (&store, &scope);
            async move {
                store
                    .visits(scope, id)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|v| v.visit_id)
                    .collect::<Vec<_>>()
            }
        };
        let all: Vec<&str> = study.visits.iter().map(|v| v.id.as_str()).collect();
        let single: Vec<&str> = all
            .iter()
            .copied()
            .filter(|v| !["day-15", "day-43", "day-71"].contains(v))
            .collect();
        assert_eq!(visits_of(ids[0]).await, single);
        assert_eq!(visits_of(ids[1]).await, all);
        let trail = store
            .audit_of("visit", &format!("{}/day-43", ids[0]))
            .await
            .unwrap();
        let unplanned: Vec<(&str, Option<&str>)> = trail
            .iter()
            .filter(|r| r.action == "unplan")
            .map(|r| (r.action.as_str(), r.new_value.as_deref()))
            .collect();
        assert_eq!(unplanned, [("unplan", Some("single"))], "{trail:?}");
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditReport::Intact { .. }
        ));
    }
}

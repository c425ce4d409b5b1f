//! Allocation in the system of record, on a fresh SQLite file and a fresh PostgreSQL database:
//! the concealed list, randomisation exactly once under 200 concurrent requests, kits,
//! dispensing, emergency unblinding and its notifications.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use isncsci::{Grade, Level};
use store::*;

use crate::common::*;
use trial::{Covariates, Study};

const PHASE2: &str = include_str!("../../../../studies/xs228-phase2.toml");

/// The Phase II definition, or the same study randomised by minimisation.
fn definition(minimisation: bool) -> String {
    if !minimisation {
        return PHASE2.to_string();
    }
    let old = "method = \"permuted-blocks\"\nblock_sizes = [3, 6]\nstrata = [\"ais\", \"level\", \"site\"]";
    assert!(PHASE2.contains(old));
    PHASE2.replace(
        old,
        "method = \"minimisation\"\nfactors = [{ factor = \"ais\", weight = 1.0 }, { factor = \"level\" }, { factor = \"site\", weight = 0.5 }]\nprobability = 0.8",
    )
}

async fn with_study(store: &Store, minimisation: bool) -> Study {
    let source = definition(minimisation);
    let study = Study::from_toml(&source).unwrap();
    store
        .load_study(&study, &source, &Actor::system())
        .await
        .unwrap();
    study
}

fn screening(site: &str, number: &str) -> NewScreening {
    NewScreening {
        site_id: site.into(),
        screening_number: number.into(),
        sex: "male".into(),
        date_of_birth: "1985-01-02".into(),
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
    }
}

/// Screens and (when `enrol`) enrols participant `i`, with covariates that vary with `i`.
async fn participant(
    store: &Store,
    study: &Study,
    i: usize,
    enrol: bool,
    by: &Actor,
) -> (i64, Covariates) {
    let scope = Scope::Study(study.id.clone());
    let site = &study.sites[i % study.sites.len()].id;
    let p = store
        .screen(&scope, &screening(site, &format!("S-{i:03}")), by)
        .await
        .unwrap();
    if enrol {
        store
            .enrol(
                &scope,
                study,
                &Enrolment {
                    participant_id: p.id,
                    subject_id: format!("P-{i:03}"),
                    enrolled_on: "2026-10-22".into(),
                    anchor_date: "2026-10-23".into(),
                    visits: vec![],
                },
                by,
            )
            .await
            .unwrap();
    }
    let ais = [Grade::A, Grade::B, Grade::C][(i / 3) % 3];
    let nli = if (i / 2).is_multiple_of(2) {
        Level::C6
    } else {
        Level::T10
    };
    (p.id, Covariates::new(study, ais, nli, site).unwrap())
}

fn arm_ids(study: &Study) -> Vec<String> {
    study.arms.iter().map(|a| a.id.clone()).collect()
}

/// 120 participants, 200 concurrent requests (each participant once, 80 of them twice more or
/// less at the same time): no participant twice, no slot skipped or used twice, every kit once.
async fn concurrent_randomisation(minimisation: bool) {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let study = with_study(&store, minimisation).await;
        let stat = Actor::user(&user(&store, "stat").await);
        let crc = Actor::user(&user(&store, "crc").await);
        let scope = Scope::Study(study.id.clone());
        let list = store
            .generate_randomisation(&study, &store::ListRequest::new(42, 60, 400), &stat)
            .await
            .unwrap();
        assert_eq!(list.allocated, 0);
        assert_eq!(list.kits, 402);
        let mut people = Vec::new();
        for i in 0..120 {
            people.push(participant(&store, &study, i, true, &crc).await);
        }
        let store = Arc::new(store);
        let mut tasks = Vec::new();
        for (n, (id, covariates)) in people.iter().chain(people[..80].iter()).enumerate() {
            let (store, study, scope, crc) =
                (store.clone(), study.clone(), scope.clone(), crc.clone());
            let (id, covariates) = (*id, *covariates);
            tasks.push(tokio::spawn(async move {
                if n.is_multiple_of(2) {
                    tokio::task::yield_now().await;
                }
                store.randomise(&scope, &study, id, &covariates, &crc).await
            }));
        }
        assert_eq!(tasks.len(), 200);
        let (mut ok, mut refused) = (0, 0);
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => ok += 1,
                Err(StoreError::Conflict { field, .. }) if field == "participant" => refused += 1,
                Err(e) => panic!("{:?}: unexpected {e}", store.dialect()),
            }
        }
        assert_eq!((ok, refused), (120, 80), "{:?}", store.dialect());
        let all = store.allocations(&scope).await.unwrap();
        assert_eq!(all.len(), 120);
        let sequences: Vec<i64> = all.iter().map(|a| a.sequence).collect();
        assert_eq!(sequences, (1..=120).collect::<Vec<i64>>());
        let kits: BTreeSet<&str> = all.iter().map(|a| a.kit_number.as_str()).collect();
        assert_eq!(kits.len(), 120);
        let participants: BTreeSet<i64> = all.iter().map(|a| a.participant_id).collect();
        assert_eq!(participants.len(), 120);
        // Each kit holds the allocated arm.
        let kit_arms: Vec<(String, String, Option<i64>)> = sqlx::query_as(
            "SELECT kit_number, arm_id, participant_id FROM kits WHERE participant_id IS NOT NULL",
        )
        .fetch_all(store.raw_pool())
        .await
        .unwrap();
        assert_eq!(kit_arms.len(), 120);
        for (kit, arm, p) in &kit_arms {
            let a = all.iter().find(|a| Some(a.participant_id) == *p).unwrap();
            assert_eq!((&a.kit_number, &a.arm_id), (kit, arm));
        }
        let covariates: BTreeMap<i64, Covariates> = people.iter().copied().collect();
        if minimisation {
            // Replaying the allocations in sequence order from the seed gives the same arms.
            let mut m = trial::Minimiser::new(&study).unwrap();
            for a in &all {
                let c = covariates[&a.participant_id];
                let mut rng = store::minimisation_rng(42, a.sequence);
                let arm = m.allocate(&c, &mut rng).unwrap();
                assert_eq!(study.arms[arm].id, a.arm_id, "sequence {}", a.sequence);
            }
        } else {
            // Per stratum: positions 0, 1, 2, … without a gap, each the list's arm there.
            let blocks = trial::BlockList::generate(&study, 42, 60).unwrap();
            let mut by_stratum: BTreeMap<i64, Vec<&Allocation>> = BTreeMap::new();
            for a in &all {
                by_stratum.entry(a.stratum).or_default().push(a);
            }
            assert!(by_stratum.len() > 5);
            for (stratum, mut allocated) in by_stratum {
                allocated.sort_by_key(|a| a.position);
                let positions: Vec<i64> = allocated.iter().map(|a| a.position).collect();
                assert_eq!(positions, (0..allocated.len() as i64).collect::<Vec<i64>>());
                let sequence = blocks.sequence(stratum as usize).unwrap().allocations();
                for a in allocated {
                    let expected = &study.arms[sequence[a.position as usize]].id;
                    assert_eq!(&a.arm_id, expected);
                    let c = covariates[&a.participant_id];
                    assert_eq!(blocks.strata().index(&c).unwrap() as i64, stratum);
                }
            }
            let used: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM allocation_slots WHERE participant_id IS NOT NULL",
            )
            .fetch_one(store.raw_pool())
            .await
            .unwrap();
            assert_eq!(used, 120);
        }
        let list = store.randomisation_list(&study.id).await.unwrap().unwrap();
        assert_eq!(list.allocated, 120);
        // The stored list, kits and allocations reproduce from the seed; a changed arm does not.
        let check = store.check_randomisation(&study).await.unwrap().unwrap();
        assert_eq!((check.allocations, check.kits), (120, 402));
        assert!(check.problems.is_empty(), "{:?}", check.problems);
        let (table, key) = if minimisation {
            ("allocations", "sequence = 5")
        } else {
            ("allocation_slots", "stratum = 0 AND position = 0")
        };
        sqlx::query(&format!(
            "UPDATE {table} SET arm_id = CASE WHEN arm_id = 'xs228' THEN 'placebo' ELSE 'xs228' END WHERE {key}"
        ))
        .execute(store.raw_pool())
        .await
        .unwrap();
        let check = store.check_randomisation(&study).await.unwrap().unwrap();
        let expected = if minimisation {
            "allocation 5 is not the one the seed gives"
        } else {
            "slot 0/0 is not the one the seed gives"
        };
        assert!(
            check.problems.iter().any(|p| p == expected),
            "{:?}",
            check.problems
        );
        for p in &check.problems {
            assert!(!p.contains("xs228") && !p.contains("placebo"), "{p}");
        }
        // A list made before generators were recorded is not replayed, and said so.
        sqlx::query("UPDATE randomisation_lists SET generator = NULL WHERE study_id = $1")
            .bind(&study.id)
            .execute(store.raw_pool())
            .await
            .unwrap();
        let check = store.check_randomisation(&study).await.unwrap().unwrap();
        assert_eq!(check.problems.len(), 1, "{:?}", check.problems);
        assert!(check.problems[0].contains("an earlier version (no generator recorded)"));
        // No arm in the study's own audit chain; every arm on the unblinded chain.
        let arms = arm_ids(&study);
        let mut concealed = 0;
        let rows: Vec<AuditRow> = {
            use futures::TryStreamExt;
            store.audit_all().try_collect().await.unwrap()
        };
        for row in &rows {
            let shows_arm = row
                .new_value
                .as_deref()
                .is_some_and(|v| arms.iter().any(|a| a == v));
            if row.chain == study.id {
                assert!(!shows_arm, "{row:?}");
                assert_ne!(row.field.as_deref(), Some("seed"));
            }
            if row.chain == unblinded_chain(&study.id) && row.field.as_deref() == Some("arm_id") {
                concealed += 1;
            }
        }
        assert_eq!(concealed, 120);
        assert!(
            matches!(
                store.verify_audit().await.unwrap(),
                AuditReport::Intact { .. }
            ),
            "{:?}",
            store.dialect()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn permuted_blocks_under_200_concurrent_requests() {
    concurrent_randomisation(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn minimisation_under_200_concurrent_requests() {
    concurrent_randomisation(true).await;
}

#[tokio::test]
async fn the_list_comes_first_once_and_only_enrolled_participants_are_randomised() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let study = with_study(&store, false).await;
        let stat = Actor::user(&user(&store, "stat").await);
        let crc = Actor::user(&user(&store, "crc").await);
        let scope = Scope::Study(study.id.clone());
        let (screened, c) = participant(&store, &study, 0, false, &crc).await;
        // Bad sizes are refused with the allowed values.
        let e = store
            .generate_randomisation(&study, &store::ListRequest::new(1, 0, 10), &stat)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Invalid { field, message } if field == "per_stratum" && message.contains("1 to 10000")),
            "{e}"
        );
        store
            .generate_randomisation(&study, &store::ListRequest::new(1, 12, 50), &stat)
            .await
            .unwrap();
        let again = store
            .generate_randomisation(&study, &store::ListRequest::new(2, 12, 50), &stat)
            .await
            .unwrap_err();
        assert!(matches!(again, StoreError::Conflict { .. }), "{again}");
        // Screened but not enrolled: refused.
        let e = store
            .randomise(&scope, &study, screened, &c, &crc)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Conflict { field, message } if field == "status" && message.contains("screening")),
            "{e}"
        );
        // Another site's participant does not exist for a site user.
        let (enrolled, c) = participant(&store, &study, 1, true, &crc).await;
        let other_site = Scope::Sites {
            study: study.id.clone(),
            sites: vec![study.sites[2].id.clone()],
        };
        let e = store
            .randomise(&other_site, &study, enrolled, &c, &crc)
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::NotFound { .. }), "{e}");
        let a = store
            .randomise(&scope, &study, enrolled, &c, &crc)
            .await
            .unwrap();
        assert_eq!((a.sequence, a.position), (1, 0));
        assert!(a.kit_number.starts_with('K'));
        // At least 12 slots in each of the 24 strata (whole blocks of 3 or 6).
        let list = store.randomisation_list(&study.id).await.unwrap().unwrap();
        assert!((12 * 24..=17 * 24).contains(&list.slots), "{}", list.slots);
        // The seed is recorded with the list.
        let seed: String =
            sqlx::query_scalar("SELECT seed FROM randomisation_lists WHERE study_id = $1")
                .bind(&study.id)
                .fetch_one(store.raw_pool())
                .await
                .unwrap();
        assert_eq!(seed, "1");
    }
}

/// Two statisticians generating at once: one list, the other refused (never a database error).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn generating_twice_at_once_keeps_one_list() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let study = with_study(&store, false).await;
        let stat = Actor::user(&user(&store, "stat").await);
        let store = Arc::new(store);
        let tasks: Vec<_> = (0..4u64)
            .map(|seed| {
                let (store, study, stat) = (store.clone(), study.clone(), stat.clone());
                tokio::spawn(async move {
                    store
                        .generate_randomisation(
                            &study,
                            &store::ListRequest::new(seed, 12, 30),
                            &stat,
                        )
                        .await
                })
            })
            .collect();
        let mut made = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => made += 1,
                Err(StoreError::Conflict { field, .. }) if field == "randomisation" => {}
                Err(e) => panic!("{:?}: {e}", store.dialect()),
            }
        }
        assert_eq!(made, 1);
        let check = store.check_randomisation(&study).await.unwrap().unwrap();
        assert!(check.problems.is_empty(), "{:?}", check.problems);
    }
}

/// Enrolments while the list is generated: the list is always made, and an enrolment is
/// refused unless it commits after the list, in the order the audit trail records commits.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn enrolments_racing_the_list_are_refused_until_it_exists() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let store = Arc::new(store);
        let stat = Actor::user(&user(&store, "stat").await);
        let crc = Actor::user(&user(&store, "crc").await);
        for round in 0..8 {
            let source = PHASE2.replace("id = \"XS228-P2\"", &format!("id = \"XS228-R{round}\""));
            let study = Study::from_toml(&source).unwrap();
            store
                .load_study(&study, &source, &Actor::system())
                .await
                .unwrap();
            let scope = Scope::Study(study.id.clone());
            let mut screened = Vec::new();
            for i in 0..4 {
                let site = &study.sites[i % study.sites.len()].id;
                let p = store
                    .screen(&scope, &screening(site, &format!("S-{i:03}")), &crc)
                    .await
                    .unwrap();
                screened.push(p.id);
            }
            let generate = {
                let (store, study, stat) = (store.clone(), study.clone(), stat.clone());
                tokio::spawn(async move {
                    let request = store::ListRequest::new(7, 12, 30);
                    store.generate_randomisation(&study, &request, &stat).await
                })
            };
            let enrolments: Vec<_> = screened
                .iter()
                .enumerate()
                .map(|(i, &id)| {
                    let (store, scope, crc) = (store.clone(), scope.clone(), crc.clone());
                    let study = study.clone();
                    tokio::spawn(async move {
                        let enrolment = Enrolment {
                            participant_id: id,
                            subject_id: format!("P-{i:03}"),
                            enrolled_on: "2026-10-22".into(),
                            anchor_date: "2026-10-23".into(),
                            visits: vec![],
                        };
                        match store.enrol(&scope, &study, &enrolment, &crc).await {
                            Ok(_) => true,
                            Err(StoreError::Conflict { field, message })
                                if field == "randomisation"
                                    && message.contains("not been generated yet") =>
                            {
                                false
                            }
                            Err(e) => panic!("{e}"),
                        }
                    })
                })
                .collect();
            let mut made = 0;
            for e in enrolments {
                made += usize::from(e.await.unwrap());
            }
            generate.await.unwrap().unwrap();
            // Positions in the study's chain: the list's, and the enrolments'.
            let mut rows = store.audit_all();
            let (mut list, mut enrolled) = (None, Vec::new());
            while let Some(row) = futures::StreamExt::next(&mut rows).await {
                let row = row.unwrap();
                if row.chain != study.id {
                    continue;
                }
                if row.entity == "randomisation-list" {
                    list.get_or_insert(row.seq);
                }
                if row.entity == "participant" && row.new_value.as_deref() == Some("enrolled") {
                    enrolled.push(row.seq);
                }
            }
            assert_eq!(enrolled.len(), made, "{:?}", store.dialect());
            let list = list.unwrap();
            assert!(
                enrolled.iter().all(|&e| e > list),
                "{:?}, round {round}: enrolments at {enrolled:?}, the list at {list}",
                store.dialect()
            );
        }
    }
}

/// Before enrolment waited for the list, a randomised study could enrol first and then refuse
/// both the list and randomisation. Enrolment now waits; a study already stuck generates its
/// list with a reason, which the audit keeps.
#[tokio::test]
async fn enrolment_waits_for_the_list_and_a_stuck_study_has_a_way_out() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let study = with_study(&store, false).await;
        let stat = Actor::user(&user(&store, "stat").await);
        let crc = Actor::user(&user(&store, "crc").await);
        let (id, c) = participant(&store, &study, 0, false, &crc).await;
        let scope = Scope::Study(study.id.clone());
        let enrolment = Enrolment {
            participant_id: id,
            subject_id: "P-000".into(),
            enrolled_on: "2026-10-22".into(),
            anchor_date: "2026-10-23".into(),
            visits: vec![],
        };
        let e = store
            .enrol(&scope, &study, &enrolment, &crc)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Conflict { field, message } if field == "randomisation" && message.contains("the DSMB statistician generates it")),
            "{e}"
        );
        assert_eq!(
            store.participant(&scope, id).await.unwrap().status,
            trial::ParticipantStatus::Screening
        );
        // A study stuck by the old order: the participant enrolled before any list.
        store::testing::enrol_bypassing_rules(&store, id, "P-000", "2026-10-22")
            .await
            .unwrap();
        let e = store
            .randomise(&scope, &study, id, &c, &crc)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Conflict { field, message } if field == "randomisation" && message.contains("not been generated")),
            "{e}"
        );
        let e = store
            .generate_randomisation(&study, &store::ListRequest::new(1, 12, 50), &stat)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Conflict { field, message } if field == "late_reason" && message.contains("1 participants of XS228-P2 are enrolled")),
            "{e}"
        );
        // The way out: the list with a reason; then randomisation works.
        let late = store::ListRequest {
            late_reason: Some("enrolled under protocol v1.0, before the list".into()),
            ..store::ListRequest::new(1, 12, 50)
        };
        store
            .generate_randomisation(&study, &late, &stat)
            .await
            .unwrap();
        let audit = store
            .audit_of("randomisation-list", &study.id)
            .await
            .unwrap();
        let row = audit
            .iter()
            .find(|r| r.field.as_deref() == Some("enrolled_before_list"))
            .expect("the late list is audited");
        assert_eq!(row.new_value.as_deref(), Some("1"));
        assert_eq!(
            row.reason.as_deref(),
            Some("enrolled under protocol v1.0, before the list")
        );
        assert_eq!(row.username, "stat");
        store.randomise(&scope, &study, id, &c, &crc).await.unwrap();
    }
}

#[tokio::test]
async fn kits_are_dispensed_and_an_emergency_unblinding_is_recorded_and_notified() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let study = with_study(&store, false).await;
        let stat_user = user(&store, "stat").await;
        let stat = Actor::user(&stat_user);
        let crc = Actor::user(&user(&store, "crc").await);
        let inv = Actor::user(&user(&store, "inv").await);
        let pharm = Actor::user(&user(&store, "pharm").await);
        let admin = user(&store, "admin").await;
        for (u, role) in [
            (&admin, trial::Role::SponsorAdmin),
            (&stat_user, trial::Role::DsmbStatistician),
        ] {
            store
                .assign_role(
                    &RoleAssignment {
                        user_id: u.id,
                        study_id: study.id.clone(),
                        role,
                        site_id: None,
                    },
                    &Actor::system(),
                )
                .await
                .unwrap();
        }
        let scope = Scope::Study(study.id.clone());
        store
            .generate_randomisation(&study, &store::ListRequest::new(9, 12, 50), &stat)
            .await
            .unwrap();
        let (id, c) = participant(&store, &study, 0, true, &crc).await;
        let a = store.randomise(&scope, &study, id, &c, &crc).await.unwrap();
        // Dispensing: only the allocated kit, once.
        let e = store
            .dispense_kit(&scope, id, "K000000", &pharm)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Invalid { field, message } if field == "kit_number" && message.contains(&a.kit_number)),
            "{e}"
        );
        let d = store
            .dispense_kit(&scope, id, &a.kit_number, &pharm)
            .await
            .unwrap();
        assert_eq!(d.dispensed_by.as_deref(), Some("pharm"));
        let e = store
            .dispense_kit(&scope, id, &a.kit_number, &pharm)
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::Conflict { .. }), "{e}");
        // Unblinding needs a reason.
        let e = store
            .emergency_unblind(&scope, id, "  ", &inv)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Invalid { field, .. } if field == "reason"),
            "{e}"
        );
        store
            .signature_refused(&scope, id, &trial::SignedRecord::Unblinding, &inv)
            .await
            .unwrap();
        let u = store
            .emergency_unblind(
                &scope,
                id,
                "anaphylaxis: treating physician must know",
                &inv,
            )
            .await
            .unwrap();
        assert_eq!(u.unblinded_by.as_deref(), Some("inv"));
        assert_eq!(u.arm_id, a.arm_id);
        // Once per participant: a second unblinding is refused naming the participant, and
        // nothing is written or notified again (the counts and the trail below are the first's).
        let e = store
            .emergency_unblind(&scope, id, "asked again", &inv)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Conflict { field, message } if field == "participant" && message.contains(&id.to_string())),
            "{e}"
        );
        for arm in arm_ids(&study) {
            assert!(!e.to_string().contains(&arm), "{e}");
        }
        let again = store.allocation(&scope, id).await.unwrap().unwrap();
        assert_eq!(again.unblinded_at, u.unblinded_at);
        let list = store.randomisation_list(&study.id).await.unwrap().unwrap();
        assert_eq!((list.allocated, list.dispensed, list.unblinded), (1, 1, 1));
        let sponsor = [trial::Role::SponsorAdmin];
        let admin_actor = Actor::user(&admin);
        let notes = store
            .notifications(&study.id, &sponsor, &admin_actor)
            .await
            .unwrap();
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].kind, "emergency-unblinding");
        assert!(notes[0].message.contains("P-000") && notes[0].message.contains("anaphylaxis"));
        assert_eq!(notes[0].read_at, None);
        // Acknowledged by the sponsor's user, once in the trail however often; not for others.
        let note = notes[0].id;
        let read = store
            .acknowledge_notification(&study.id, &sponsor, note, &admin_actor)
            .await
            .unwrap();
        assert!(read.read_at.is_some());
        let again = store
            .acknowledge_notification(&study.id, &sponsor, note, &admin_actor)
            .await
            .unwrap();
        assert_eq!(again.read_at, read.read_at);
        let acknowledged = store
            .audit_of("notification", &note.to_string())
            .await
            .unwrap();
        assert_eq!(acknowledged.len(), 1, "{acknowledged:?}");
        assert_eq!(acknowledged[0].action, "acknowledge");
        let for_stat = store
            .notifications(&study.id, &sponsor, &stat)
            .await
            .unwrap();
        assert_eq!(for_stat[0].read_at, None);
        // Not addressed to the caller's roles, or of another study: not found.
        for (study_id, roles) in [
            (study.id.as_str(), &[trial::Role::Crc][..]),
            ("other", &sponsor[..]),
        ] {
            let e = store
                .acknowledge_notification(study_id, roles, note, &crc)
                .await
                .unwrap_err();
            assert!(matches!(e, StoreError::NotFound { .. }), "{e}");
        }
        let outbox = store.outbox(&study.id).await.unwrap();
        let recipients: Vec<&str> = outbox.iter().map(|m| m.recipient.as_str()).collect();
        assert_eq!(recipients, ["stat", "admin"]);
        for text in notes
            .iter()
            .map(|n| &n.message)
            .chain(outbox.iter().map(|m| &m.body))
        {
            for arm in arm_ids(&study) {
                assert!(!text.contains(&arm), "{text}");
            }
        }
        let trail = store.audit_of("allocation", &id.to_string()).await.unwrap();
        let actions: Vec<(&str, &str)> = trail
            .iter()
            .filter(|r| r.chain == study.id)
            .map(|r| (r.action.as_str(), r.field.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(
            actions,
            [
                ("randomise", "sequence"),
                ("randomise", "stratum"),
                ("randomise", "kit_number"),
                ("dispense", "kit_number"),
                ("sign-failed", "signature"),
                ("unblind", "unblinded_at"),
            ]
        );
        let unblind = trail.iter().find(|r| r.action == "unblind").unwrap();
        assert_eq!(
            unblind.reason.as_deref(),
            Some("anaphylaxis: treating physician must know")
        );
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditReport::Intact { .. }
        ));
    }
}

/// In the randomised study a fired stopping rule holds randomisation and dispensing (both lead
/// to a dose) as it holds enrolment, naming the rule.
#[tokio::test]
async fn a_fired_stopping_rule_holds_randomisation_and_dispensing() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let study = with_study(&store, false).await;
        let stat = Actor::user(&user(&store, "stat").await);
        let crc = Actor::user(&user(&store, "crc").await);
        let pharm = Actor::user(&user(&store, "pharm").await);
        store
            .load_terms(&crate::dsmb::terms(), &Actor::system())
            .await
            .unwrap();
        let table = store.terms().await.unwrap();
        let scope = Scope::Study(study.id.clone());
        store
            .generate_randomisation(&study, &store::ListRequest::new(9, 12, 50), &stat)
            .await
            .unwrap();
        let (first, c0) = participant(&store, &study, 0, true, &crc).await;
        let (second, c1) = participant(&store, &study, 1, true, &crc).await;
        let a = store
            .randomise(&scope, &study, first, &c0, &crc)
            .await
            .unwrap();
        let event = crate::dsmb::ae(&table, "Aseptic meningitis", 4, true, "2026-10-25");
        store
            .record_adverse_event(&scope, first, &event, &crc)
            .await
            .unwrap();
        let held = |e: &StoreError| {
            matches!(e, StoreError::Conflict { field, message }
                if field == "stopping_rule" && message.contains("dosing is refused"))
        };
        let e = store
            .randomise(&scope, &study, second, &c1, &crc)
            .await
            .unwrap_err();
        assert!(held(&e), "{e}");
        let e = store
            .dispense_kit(&scope, first, &a.kit_number, &pharm)
            .await
            .unwrap_err();
        assert!(held(&e), "{e}");
    }
}

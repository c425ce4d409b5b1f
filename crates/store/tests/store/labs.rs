//! Laboratory results in the system of record, on SQLite and PostgreSQL: normal ranges loaded
//! in one audited write; values assessed against the range of the participant's site, sex and
//! age on the collection date, graded against the baseline, refused when implausible or
//! repeated (nothing written); a grade at the threshold proposes an adverse event, which the
//! investigator accepts (the event recorded in the same write) or dismisses with a reason; a
//! central lab's file previewed, refused whole naming line and column, imported once.

use store::*;
use time::macros::datetime;
use trial::labs::import::{digest, read_results};
use trial::labs::{read_ranges, Flag, ProposalState};
use trial::safety::{AdverseEventForm, EventContext, Term};

use crate::common::*;
use crate::story::screening;

const PHASE2: &str = include_str!("../../../../studies/xs228-phase2.toml");

const RANGES: &str = "test,site,sex,age_min,age_max,low,high,unit,valid_from,valid_to\n\
    NEUT,*,any,,,2.0,7.5,10*9/L,2026-01-01,\n\
    NEUT,SYSU3,female,18,65,1.8,6.3,10*9/L,2026-01-01,2026-11-30\n\
    NEUT,SYSU3,female,18,65,2.0,7.0,10*9/L,2026-12-01,\n\
    ALT,*,any,,,7,40,U/L,2026-01-01,\n";

async fn phase2(store: &Store) -> trial::Study {
    let study = trial::Study::from_toml(PHASE2).unwrap();
    let system = Actor::system();
    store.load_study(&study, PHASE2, &system).await.unwrap();
    store
        .generate_randomisation(&study, &ListRequest::new(7, 12, 40), &system)
        .await
        .unwrap();
    let term = |code: &str, name: &str| Term {
        code: code.into(),
        name: name.into(),
        soc: "Investigations".into(),
        grades: [1, 2, 3, 4, 5].map(|g| (g < 5).then(|| format!("{name} grade {g}"))),
        definition: None,
    };
    store
        .load_terms(
            &[
                term("10029366", "Neutrophil count decreased"),
                term("10001551", "Alanine aminotransferase increased"),
            ],
            &system,
        )
        .await
        .unwrap();
    study
}

pub(crate) async fn participant(store: &Store, study: &trial::Study, site: usize, n: &str) -> i64 {
    let scope = Scope::Study(study.id.clone());
    let by = Actor::system();
    let p = store
        .screen(
            &scope,
            &screening(&study.sites[site].id, &format!("S-{n}"), true),
            &by,
        )
        .await
        .unwrap();
    store
        .enrol(
            &scope,
            study,
            &Enrolment {
                participant_id: p.id,
                subject_id: format!("XS-{n}"),
                enrolled_on: "2026-10-25".into(),
                anchor_date: "2026-11-01".into(),
                visits: vec![],
            },
            &by,
        )
        .await
        .unwrap();
    p.id
}

fn value(test: &str, at: time::OffsetDateTime, value: &str, unit: &str) -> NewLabResult {
    NewLabResult {
        visit_id: "week-2".into(),
        test: test.into(),
        collected_at: at,
        value: value.into(),
        unit: unit.into(),
        lab_range: None,
    }
}

async fn loaded(store: &Store, study: &trial::Study, by: &Actor) {
    let sites: Vec<&str> = study.sites.iter().map(|s| s.id.as_str()).collect();
    let ranges = read_ranges(RANGES, &sites, &study.labs.test_codes()).unwrap();
    let n = store
        .load_lab_ranges(&study.id, &ranges, &digest(RANGES), by)
        .await
        .unwrap();
    assert_eq!(n, 4);
}

#[tokio::test]
async fn values_are_flagged_graded_and_propose_events() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let study = phase2(&store).await;
        assert_eq!(
            study.sites[0].id, "SYSU3",
            "the ranges file names the first site"
        );
        let dm = Actor::user(&user(&store, "dm").await);
        let crc = Actor::user(&user(&store, "crc").await);
        loaded(&store, &study, &dm).await;
        assert_eq!(store.lab_ranges(&study.id).await.unwrap().len(), 4);
        let audit = store.audit_of("lab-ranges", &study.id).await.unwrap();
        assert_eq!(audit.len(), 1);
        assert!(audit[0]
            .new_value
            .as_deref()
            .unwrap()
            .starts_with("4 ranges, sha256 "));

        let site_a = Scope::Sites {
            study: study.id.clone(),
            sites: vec![study.sites[0].id.clone()],
        };
        let site_b = Scope::Sites {
            study: study.id.clone(),
            sites: vec![study.sites[1].id.clone()],
        };
        let p = participant(&store, &study, 0, "1").await;
        // 1.9 is normal by the site's female range until November, low from December.
        let nov = store
            .record_lab_result(
                &study,
                &site_a,
                p,
                &value("NEUT", datetime!(2026-11-15 08:00 UTC), "1.9", "10*9/L"),
                &crc,
            )
            .await
            .unwrap();
        assert_eq!(
            (nov.flag, nov.range_low, nov.grade),
            (Flag::Normal, Some(1.8), None)
        );
        let dec = store
            .record_lab_result(
                &study,
                &site_a,
                p,
                &value("NEUT", datetime!(2026-12-01 08:00 UTC), "1900", "/uL"),
                &crc,
            )
            .await
            .unwrap();
        assert_eq!(
            (dec.flag, dec.grade, dec.proposal.is_none()),
            (Flag::Low, Some(1), true)
        );
        assert!((dec.value - 1.9).abs() < 1e-9);
        let low = store
            .record_lab_result(
                &study,
                &site_a,
                p,
                &value("NEUT", datetime!(2026-12-02 08:00 UTC), "0.8", "10*9/L"),
                &crc,
            )
            .await
            .unwrap();
        assert_eq!(low.term.as_deref(), Some("Neutrophil count decreased"));
        assert_eq!(low.grade, Some(3));
        let proposal = low.proposal.clone().unwrap();
        assert_eq!((proposal.grade, proposal.state), (3, ProposalState::Open));
        let rows = store
            .audit_of("lab-result", &low.id.to_string())
            .await
            .unwrap();
        let fields: Vec<&str> = rows.iter().filter_map(|r| r.field.as_deref()).collect();
        assert_eq!(
            fields,
            [
                "participant",
                "visit",
                "test",
                "value",
                "collected_at",
                "flag",
                "grade"
            ]
        );
        assert_eq!(
            store
                .audit_of("lab-ae-proposal", &proposal.id.to_string())
                .await
                .unwrap()
                .len(),
            1
        );

        // Refusals name the field and write nothing.
        let e = store
            .record_lab_result(
                &study,
                &site_a,
                p,
                &value("NEUT", datetime!(2026-12-03 08:00 UTC), "450", "10*9/L"),
                &crc,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Invalid { field, message } if field == "value" && message.contains("NEUT")),
            "{e}"
        );
        let e = store
            .record_lab_result(
                &study,
                &site_a,
                p,
                &value("NEUT", datetime!(2026-12-02 08:00 UTC), "1.0", "10*9/L"),
                &crc,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Conflict { field, .. } if field == "collected_at"),
            "{e}"
        );
        let e = store
            .record_lab_result(
                &study,
                &site_a,
                p,
                &value("PLTX", datetime!(2026-12-03 08:00 UTC), "1", "10*9/L"),
                &crc,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Invalid { field, .. } if field == "test"),
            "{e}"
        );
        assert_eq!(store.lab_results_of(&site_a, p).await.unwrap().len(), 3);
        // Another site's user cannot see or write the participant's values.
        assert!(matches!(
            store.lab_results_of(&site_b, p).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            store
                .record_lab_result(
                    &study,
                    &site_b,
                    p,
                    &value("ALT", datetime!(2026-12-03 08:00 UTC), "30", "U/L"),
                    &crc
                )
                .await,
            Err(StoreError::NotFound { .. })
        ));

        // ALT against an abnormal baseline: 100 after a first value of 80 is 1.25 × baseline.
        store
            .record_lab_result(
                &study,
                &site_a,
                p,
                &value("ALT", datetime!(2026-11-10 08:00 UTC), "80", "U/L"),
                &crc,
            )
            .await
            .unwrap();
        let alt = store
            .record_lab_result(
                &study,
                &site_a,
                p,
                &value("ALT", datetime!(2026-12-05 08:00 UTC), "100", "U/L"),
                &crc,
            )
            .await
            .unwrap();
        assert_eq!((alt.flag, alt.grade), (Flag::High, None));
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditReport::Intact { .. }
        ));
    }
}

fn ae_form(term: &str, grade: i64, serious: bool) -> AdverseEventForm {
    AdverseEventForm {
        verbatim: "low neutrophils on the week-2 count".into(),
        term: term.into(),
        onset: "2026-12-02".into(),
        end: None,
        grade: Some(grade),
        seriousness: if serious {
            vec!["medically-important".into()]
        } else {
            vec![]
        },
        causality_product: "possible".into(),
        causality_procedure: "not-related".into(),
        action: "not-applicable".into(),
        outcome: "recovering".into(),
    }
}

#[tokio::test]
async fn the_investigator_accepts_or_dismisses_a_proposal() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let study = phase2(&store).await;
        let inv = Actor::user(&user(&store, "inv").await);
        loaded(&store, &study, &inv).await;
        let scope = Scope::Study(study.id.clone());
        let p = participant(&store, &study, 0, "1").await;
        let terms = store.terms().await.unwrap();
        let read = |form: AdverseEventForm| {
            form.read(EventContext {
                terms: &terms,
                consent: time::macros::date!(2026 - 10 - 20),
                today: time::macros::date!(2026 - 12 - 31),
            })
            .unwrap()
        };
        let mut proposals = Vec::new();
        for (day, v) in [(2, "0.8"), (3, "0.4")] {
            let at = datetime!(2026-12-01 08:00 UTC) + time::Duration::days(day);
            let r = store
                .record_lab_result(&study, &scope, p, &value("NEUT", at, v, "10*9/L"), &inv)
                .await
                .unwrap();
            proposals.push(r.proposal.unwrap());
        }
        let (first, second) = (&proposals[0], &proposals[1]);
        // The grade is the value's, never another; a serious event is refused here.
        let e = store
            .accept_lab_proposal(
                &scope,
                p,
                first.id,
                &read(ae_form("Neutrophil count decreased", 2, false)),
                &inv,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Invalid { field, .. } if field == "grade"),
            "{e}"
        );
        let e = store
            .accept_lab_proposal(
                &scope,
                p,
                first.id,
                &read(ae_form("Neutrophil count decreased", 3, true)),
                &inv,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Invalid { field, .. } if field == "seriousness"),
            "{e}"
        );
        assert!(store.adverse_events_of(&scope, p).await.unwrap().is_empty());

        let accepted = store
            .accept_lab_proposal(
                &scope,
                p,
                first.id,
                &read(ae_form("Neutrophil count decreased", 3, false)),
                &inv,
            )
            .await
            .unwrap();
        assert_eq!(accepted.state, ProposalState::Accepted);
        let events = store.adverse_events_of(&scope, p).await.unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(
            (events[0].event.grade, events[0].id),
            (3, accepted.adverse_event_id.unwrap())
        );
        let audit = store
            .audit_of("lab-ae-proposal", &first.id.to_string())
            .await
            .unwrap();
        assert_eq!(audit.last().unwrap().action, "accept");
        // Decided once.
        let e = store
            .dismiss_lab_proposal(&scope, p, first.id, Some("repeat"), &inv)
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::Conflict { .. }), "{e}");

        let e = store
            .dismiss_lab_proposal(&scope, p, second.id, None, &inv)
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Invalid { field, .. } if field == "reason"),
            "{e}"
        );
        let dismissed = store
            .dismiss_lab_proposal(
                &scope,
                p,
                second.id,
                Some("haemolysed sample; repeat normal"),
                &inv,
            )
            .await
            .unwrap();
        assert_eq!(dismissed.state, ProposalState::Dismissed);
        assert_eq!(
            dismissed.reason.as_deref(),
            Some("haemolysed sample; repeat normal")
        );
        assert_eq!(store.adverse_events_of(&scope, p).await.unwrap().len(), 1);
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditReport::Intact { .. }
        ));
    }
}

const FILE: &str = "participant,visit,collected_at,test,value,unit,lab_range\n\
    XS-1,week-2,2026-12-02T08:00:00+08:00,NEUT,0.8,10*9/L,2.0-7.5\n\
    XS-1,week-2,2026-12-02T08:00:00+08:00,ALT,35,U/L,7-40\n\
    XS-2,week-2,2026-12-02T09:00:00+08:00,NEUT,4.1,10*9/L,2.0-7.5\n";

#[tokio::test]
async fn a_lab_file_is_previewed_refused_whole_and_imported_once() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let study = phase2(&store).await;
        let dm = Actor::user(&user(&store, "dm").await);
        loaded(&store, &study, &dm).await;
        let scope = Scope::Study(study.id.clone());
        let p1 = participant(&store, &study, 0, "1").await;
        let visits: Vec<&str> = study.visits.iter().map(|v| v.id.as_str()).collect();
        let now = datetime!(2027-01-01 00:00 UTC);
        let rows = read_results(FILE, &study.labs, &visits, now).unwrap();

        // XS-2 does not exist yet: the preview names line 4, the import writes nothing.
        let problems = store
            .preview_lab_import(&study, &scope, rows.clone())
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path, "line 4: participant");
        let refused = store
            .import_lab_results(&study, &scope, rows.clone(), &digest(FILE), &dm)
            .await
            .unwrap();
        assert!(refused.is_err());
        assert!(store.lab_results_of(&scope, p1).await.unwrap().is_empty());

        let p2 = participant(&store, &study, 1, "2").await;
        // A site's user imports only their sites' participants.
        let site_a = Scope::Sites {
            study: study.id.clone(),
            sites: vec![study.sites[0].id.clone()],
        };
        let problems = store
            .preview_lab_import(&study, &site_a, rows.clone())
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(problems[0].path, "line 4: participant");
        let preview = store
            .preview_lab_import(&study, &scope, rows.clone())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(preview.len(), 3);
        assert_eq!(
            (preview[0].flag, preview[0].grade, preview[0].proposes_event),
            (Flag::Low, Some(3), true)
        );
        assert_eq!(preview[0].collected_at, "2026-12-02T00:00:00.000000Z");
        assert!(
            store.lab_results_of(&scope, p1).await.unwrap().is_empty(),
            "a preview writes nothing"
        );

        let done = store
            .import_lab_results(&study, &scope, rows.clone(), &digest(FILE), &dm)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((done.already, done.results, done.proposals), (false, 3, 1));
        let mine = store.lab_results_of(&scope, p1).await.unwrap();
        assert_eq!(mine.len(), 2);
        assert!(mine.iter().all(|r| r.import_id == Some(done.import_id)));
        assert_eq!(mine[0].test, "ALT", "by collection time, then test");
        assert_eq!(mine[1].lab_range.as_deref(), Some("2.0-7.5"));
        assert_eq!(store.lab_results_of(&scope, p2).await.unwrap().len(), 1);
        let audit = store
            .audit_of("lab-import", &done.import_id.to_string())
            .await
            .unwrap();
        assert_eq!(audit.len(), 1);
        assert!(audit[0]
            .new_value
            .as_deref()
            .unwrap()
            .starts_with("3 results, sha256 "));

        // The same file again changes nothing.
        let again = store
            .import_lab_results(&study, &scope, rows.clone(), &digest(FILE), &dm)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((again.already, again.import_id), (true, done.import_id));
        assert_eq!(store.lab_results_of(&scope, p1).await.unwrap().len(), 2);
        assert_eq!(
            store
                .audit_of("lab-import", &done.import_id.to_string())
                .await
                .unwrap()
                .len(),
            1
        );
        // Another file repeating a recorded value is refused whole, naming the line.
        let other = format!("{FILE}XS-2,week-4,2026-12-20T09:00:00Z,NEUT,4.0,10*9/L,\n");
        let rows = read_results(&other, &study.labs, &visits, now).unwrap();
        let problems = store
            .import_lab_results(&study, &scope, rows, &digest(&other), &dm)
            .await
            .unwrap()
            .unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "line 2: collected_at",
                "line 3: collected_at",
                "line 4: collected_at"
            ]
        );
        assert_eq!(store.lab_results_of(&scope, p2).await.unwrap().len(), 1);
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditReport::Intact { .. }
        ));
    }
}

/// The DSMB's laboratory tables: two randomised participants, one whose neutrophils fall from
/// normal to a grade 3 low and one who stays normal, a third enrolled but not randomised; by
/// arm each shift and grade is in its participant's arm, pooled all are in one group, and a
/// site's scope counts only its participants.
#[tokio::test]
async fn safety_tables_shift_and_worst_grade_by_arm_or_pooled() {
    use isncsci::{Grade, Level};
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let study = phase2(&store).await;
        let dm = Actor::user(&user(&store, "dm").await);
        let crc = Actor::user(&user(&store, "crc").await);
        loaded(&store, &study, &dm).await;
        let scope = Scope::Study(study.id.clone());
        let mut arms = Vec::new();
        for (n, site) in [("1", 0), ("2", 1)] {
            let p = participant(&store, &study, site, n).await;
            let covariates =
                trial::Covariates::new(&study, Grade::A, Level::C6, &study.sites[site].id).unwrap();
            let a = store
                .randomise(&scope, &study, p, &covariates, &crc)
                .await
                .unwrap();
            arms.push((p, a.arm_id));
        }
        let unassigned = participant(&store, &study, 0, "3").await;
        let record = |p: i64, at: time::OffsetDateTime, v: &'static str| {
            let (store, study, scope, crc) = (&store, &study, &scope, &crc);
            async move {
                store
                    .record_lab_result(study, scope, p, &value("NEUT", at, v, "10*9/L"), crc)
                    .await
                    .unwrap()
            }
        };
        let (p1, p2) = (arms[0].0, arms[1].0);
        record(p1, datetime!(2026-11-01 08:00 UTC), "4.0").await;
        let low = record(p1, datetime!(2026-11-15 08:00 UTC), "0.8").await;
        assert_eq!((low.flag, low.grade), (Flag::Low, Some(3)));
        record(p1, datetime!(2026-11-29 08:00 UTC), "3.5").await;
        record(p2, datetime!(2026-11-01 08:00 UTC), "4.0").await;
        record(p2, datetime!(2026-11-15 08:00 UTC), "3.0").await;
        record(unassigned, datetime!(2026-11-01 08:00 UTC), "5.0").await;

        let by_arm = store
            .lab_safety_tables(&scope, &study, TableGrouping::Arm)
            .await
            .unwrap();
        let group_of = |p: i64| {
            let arm = &arms.iter().find(|(id, _)| *id == p).unwrap().1;
            by_arm.groups.iter().position(|g| &g.group == arm).unwrap()
        };
        let (g1, g2) = (group_of(p1), group_of(p2));
        let total: u32 = by_arm.groups.iter().map(|g| g.participants).sum();
        assert_eq!(total, 3, "{:?}", by_arm.groups);
        assert_eq!(by_arm.groups.last().unwrap().group, UNASSIGNED);
        assert_eq!(by_arm.shifts.len(), 1);
        assert_eq!(by_arm.shifts[0].test, "NEUT");
        let neut = &by_arm.shifts[0].shifts;
        assert_eq!(neut[g1][1], [1, 0, 0], "normal to low in {}", arms[0].1);
        if g1 == g2 {
            assert_eq!(neut[g2][1], [1, 1, 0]);
        } else {
            assert_eq!(neut[g2][1], [0, 1, 0]);
        }
        assert_eq!(by_arm.grades.len(), 1);
        assert_eq!(by_arm.grades[0].term, "Neutrophil count decreased");
        assert_eq!(by_arm.grades[0].by_worst_grade[g1], [0, 0, 1, 0]);
        assert_eq!(by_arm.groups[g1].by_worst_grade[3], 1);

        let pooled = store
            .lab_safety_tables(&scope, &study, TableGrouping::Pooled)
            .await
            .unwrap();
        assert_eq!(pooled.groups.len(), 1);
        assert_eq!(pooled.groups[0].participants, 3);
        assert_eq!(pooled.groups[0].by_worst_grade, [2, 0, 0, 1, 0]);
        assert_eq!(pooled.shifts[0].shifts[0][1], [1, 1, 0]);

        // A site's scope: the second site's participant only.
        let site_b = Scope::Sites {
            study: study.id.clone(),
            sites: vec![study.sites[1].id.clone()],
        };
        let theirs = store
            .lab_safety_tables(&site_b, &study, TableGrouping::Pooled)
            .await
            .unwrap();
        assert_eq!(theirs.groups[0].participants, 1);
        assert!(theirs.grades.is_empty());
        assert_eq!(theirs.shifts[0].shifts[0][1], [0, 1, 0]);
    }
}

//! Loading the analysis on a fresh SQLite file and a fresh PostgreSQL database: every enrolled
//! participant with the stratification, the kit dispensed, the visits and the values of the
//! complete forms; the arms only in an unblinded run, each run audited on its chain (no record,
//! no results), read outside the writes so that a run never waits for the study's saves.

use isncsci::synth::{injury_exam, Rng};
use isncsci::{Grade, Level};
use store::*;
use trial::analysis::{analyse, derive, Assignment, Param};
use trial::participants::classification_json;
use trial::{plan_visits, Covariates, FormStatus, Study};

use crate::common::*;

const PHASE2: &str = include_str!("../../../../studies/xs228-phase2.toml");

/// An ISNCSCI form's data as the worksheet saves it, and the exam's UEMS + LEMS.
fn exam_form(seed: u64) -> (serde_json::Map<String, serde_json::Value>, Option<f64>) {
    let c = injury_exam(&mut Rng::new(seed)).classify();
    let tms = c
        .totals
        .upper_motor
        .0
        .zip(c.totals.lower_motor.0)
        .map(|(u, l)| f64::from(u + l));
    let data = serde_json::json!({ "exam": {}, "classification": classification_json(&c) });
    (data.as_object().unwrap().clone(), tms)
}

fn audit_filter(chain: String, action: &str) -> AuditFilter {
    AuditFilter {
        chains: vec![chain],
        action: Some(action.into()),
        ..AuditFilter::default()
    }
}

#[tokio::test]
async fn the_analysis_reads_arms_only_when_unblinded_and_audits_each_run() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let study = Study::from_toml(PHASE2).unwrap();
        store
            .load_study(&study, PHASE2, &Actor::system())
            .await
            .unwrap();
        let stat = Actor::user(&user(&store, "stat").await);
        let crc = Actor::user(&user(&store, "crc").await);
        let pharm = Actor::user(&user(&store, "pharm").await);
        let scope = Scope::Study(study.id.clone());
        store
            .generate_randomisation(&study, &ListRequest::new(18, 12, 40), &stat)
            .await
            .unwrap();
        let anchor = time::macros::date!(2026 - 01 - 05);
        let plan = plan_visits(&study, anchor);
        let mut expected = Vec::new();
        for i in 0..7u64 {
            let site = study.sites[i as usize % study.sites.len()].id.clone();
            let (screening_exam, tms0) = exam_form(100 + i);
            let p = store
                .screen(
                    &scope,
                    &NewScreening {
                        site_id: site.clone(),
                        screening_number: format!("S-{i}"),
                        sex: "female".into(),
                        date_of_birth: "1984-02-03".into(),
                        injury_date: "2025-11-20".into(),
                        consent_date: "2025-12-21".into(),
                        screening_date: "2025-12-22".into(),
                        eligible: true,
                        eligibility_reasons: vec![],
                        exam_visit: "screening".into(),
                        exam_visit_name: "Screening".into(),
                        exam_form: "isncsci".into(),
                        exam_raw: "{}".into(),
                        classification: screening_exam["classification"].to_string(),
                    },
                    &crc,
                )
                .await
                .unwrap();
            if i == 6 {
                continue; // screened, never enrolled: not in the analysis
            }
            let visits = plan
                .iter()
                .filter(|v| v.visit_id != "screening")
                .map(|v| PlannedVisit {
                    visit_id: v.visit_id.clone(),
                    name: v.name.clone(),
                    target: date(v.target),
                    earliest: date(v.earliest),
                    latest: date(v.latest),
                })
                .collect();
            store
                .enrol(
                    &scope,
                    &study,
                    &Enrolment {
                        participant_id: p.id,
                        subject_id: format!("XS228-{i:03}"),
                        enrolled_on: "2025-12-29".into(),
                        anchor_date: date(anchor),
                        visits,
                    },
                    &crc,
                )
                .await
                .unwrap();
            let grade = [Grade::A, Grade::B, Grade::C][i as usize % 3];
            let level = if i < 3 { Level::C6 } else { Level::T10 };
            let covariates = Covariates::new(&study, grade, level, &site).unwrap();
            let a = store
                .randomise(&scope, &study, p.id, &covariates, &crc)
                .await
                .unwrap();
            if i % 2 == 0 {
                store
                    .dispense_kit(&scope, p.id, &a.kit_number, &pharm)
                    .await
                    .unwrap();
            }
            let week24 = plan.iter().find(|v| v.visit_id == "week-24").unwrap();
            store
                .record_visit(&scope, p.id, "week-24", &date(week24.target), &crc)
                .await
                .unwrap();
            let (later, tms24) = exam_form(200 + i);
            for (visit, form, data, status) in [
                ("week-24", "isncsci", later, FormStatus::Complete),
                (
                    "week-12",
                    "isncsci",
                    exam_form(300).0,
                    FormStatus::InProgress,
                ),
            ] {
                store
                    .save_form(
                        &scope,
                        &FormSave {
                            participant_id: p.id,
                            visit_id: visit.into(),
                            form_id: form.into(),
                            data,
                            status,
                            reason: None,
                            eligibility: None,
                        },
                        &crc,
                    )
                    .await
                    .unwrap();
            }
            let level_name = if i < 3 { "cervical" } else { "thoracolumbar" };
            let strata = vec![grade.letter().to_owned(), level_name.to_owned(), site];
            expected.push((
                format!("XS228-{i:03}"),
                a.arm_id,
                strata,
                i % 2 == 0,
                tms0,
                tms24,
            ));
        }

        let blinded = store
            .analysis_subjects(&study, false, "blinded review", &stat)
            .await
            .unwrap();
        let unblinded = store
            .analysis_subjects(&study, true, "DSMB closed report", &stat)
            .await
            .unwrap();
        assert_eq!(blinded.len(), 6, "{}", store.database().name());
        for (subjects, shown) in [(&blinded, false), (&unblinded, true)] {
            for (s, (id, arm, strata, treated, tms0, tms24)) in subjects.iter().zip(&expected) {
                assert_eq!(&s.subject_id, id);
                let want = if shown {
                    Assignment::Shown(arm.clone())
                } else {
                    Assignment::Hidden
                };
                assert_eq!(s.assignment, want, "{}", store.database().name());
                assert_eq!(&s.strata, strata);
                assert_eq!(s.treated, *treated);
                assert_eq!(s.anchor_date, Some(anchor));
                let tms = |visit: &str| {
                    s.measurements
                        .iter()
                        .find(|m| m.param == Param::Tms && m.visit_id == visit)
                        .map(|m| m.value)
                };
                assert_eq!(tms("screening"), Some(*tms0));
                assert_eq!(tms("week-24"), Some(*tms24));
                assert_eq!(tms("week-12"), None, "an in-progress form is not analysed");
                let w24 = s.visits.iter().find(|v| v.visit_id == "week-24").unwrap();
                assert!(w24.done_on.is_some());
            }
        }
        // The datasets from what was loaded: one record a participant, the week-24 total motor
        // score flagged for analysis wherever both exams have one.
        let data = derive(&study, &unblinded);
        assert_eq!(data.adsl.len(), 6);
        let flagged = data
            .adisn
            .iter()
            .filter(|r| r.anl01fl && r.param == Param::Tms)
            .count();
        let both = expected
            .iter()
            .filter(|e| e.4.is_some() && e.5.is_some())
            .count();
        assert_eq!(flagged, both);
        assert_eq!(analyse(&study, &data).populations.safety, 3);
        // Each run audited: the unblinded one on the unblinded chain only.
        let page = |chain: String, action: &str| {
            let filter = audit_filter(chain, action);
            let store = &store;
            async move { store.audit_page(&filter, 0, 10).await.unwrap().rows }
        };
        let rows = page(unblinded_chain(&study.id), ANALYSIS_UNBLINDED).await;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].reason.as_deref(), Some("DSMB closed report"));
        assert_eq!(rows[0].username, "stat");
        assert_eq!(rows[0].new_value.as_deref(), Some("6"));
        assert!(page(study.id.clone(), ANALYSIS_UNBLINDED).await.is_empty());
        assert!(page(reads_chain(&study.id), ANALYSIS_UNBLINDED)
            .await
            .is_empty());
        // The pooled run on the study's chain of reads, not on the study's own chain.
        let rows = page(reads_chain(&study.id), ANALYSIS_POOLED).await;
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].reason.as_deref(), Some("blinded review"));
        assert_eq!(rows[0].new_value.as_deref(), Some("6"));
        assert!(page(study.id.clone(), ANALYSIS_POOLED).await.is_empty());
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditReport::Intact { .. }
        ));
    }
}

/// A study loaded, with one participant screened (so that the study's chain has a head), and
/// the data manager.
async fn loaded(store: &Store) -> (Study, Actor) {
    let study = Study::from_toml(PHASE2).unwrap();
    store
        .load_study(&study, PHASE2, &Actor::system())
        .await
        .unwrap();
    let dm = Actor::user(&user(store, "dm").await);
    let scope = Scope::Study(study.id.clone());
    store
        .screen(&scope, &screening(&study.sites[0].id, "S-1"), &dm)
        .await
        .unwrap();
    (study, dm)
}

async fn audit_count(store: &Store) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit")
        .fetch_one(store.raw_pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_run_whose_record_fails_gives_no_results() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let name = store.database().name();
        let (study, dm) = loaded(&store).await;
        // The records of runs refused by the database itself, behind the store's back.
        let refuse = match store.dialect() {
            Dialect::Sqlite => vec![
                "CREATE TRIGGER audit_refuse_runs BEFORE INSERT ON audit \
                 WHEN NEW.chain LIKE '%/reads' OR NEW.chain LIKE '%/unblinded' \
                 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
            ],
            Dialect::Postgres => vec![
                "CREATE FUNCTION audit_refuse_runs() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$",
                "CREATE TRIGGER audit_refuse_runs BEFORE INSERT ON audit FOR EACH ROW \
                 WHEN (NEW.chain LIKE '%/reads' OR NEW.chain LIKE '%/unblinded') \
                 EXECUTE FUNCTION audit_refuse_runs()",
            ],
        };
        for sql in refuse {
            sqlx::query(sql).execute(store.raw_pool()).await.unwrap();
        }
        let before = audit_count(&store).await;
        for by_arm in [false, true] {
            let run = store
                .analysis(&study, |_| by_arm, |_| "the report".into(), &dm)
                .await;
            assert!(
                matches!(&run, Err(e) if e.to_string().contains("refused by the test")),
                "{name}, by arm {by_arm}: {run:?}"
            );
            let subjects = store
                .analysis_subjects(&study, by_arm, "the report", &dm)
                .await;
            assert!(subjects.is_err(), "{name}, by arm {by_arm}: {subjects:?}");
        }
        assert_eq!(audit_count(&store).await, before, "{name}");
        // Recorded, the same runs give their results.
        let drop = match store.dialect() {
            Dialect::Sqlite => "DROP TRIGGER audit_refuse_runs",
            Dialect::Postgres => "DROP TRIGGER audit_refuse_runs ON audit",
        };
        sqlx::query(drop).execute(store.raw_pool()).await.unwrap();
        for by_arm in [false, true] {
            let run = store
                .analysis(&study, |_| by_arm, |_| "the report".into(), &dm)
                .await
                .unwrap();
            assert_eq!(run.data.adsl.len(), 0, "{name}");
        }
        assert_eq!(audit_count(&store).await, before + 2, "{name}");
        assert!(
            matches!(
                store.verify_audit().await.unwrap(),
                AuditReport::Intact { .. }
            ),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_run_does_not_wait_for_the_writes_holding_the_study_chain() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let name = store.database().name();
        if store.dialect() == Dialect::Sqlite {
            // One writer: a write held open holds every other write, the record's too.
            continue;
        }
        let (study, dm) = loaded(&store).await;
        let store = std::sync::Arc::new(store);
        // Someone holds the head of the study's chain, as a save does from its audit to its
        // commit.
        let mut holder = store.raw_pool().begin().await.unwrap();
        sqlx::query("SELECT seq FROM audit_heads WHERE chain = $1 FOR UPDATE")
            .bind(&study.id)
            .fetch_one(&mut *holder)
            .await
            .unwrap();
        // A save waits for it...
        let save = tokio::spawn({
            let (store, scope, site) = (
                store.clone(),
                Scope::Study(study.id.clone()),
                study.sites[0].id.clone(),
            );
            let dm = dm.clone();
            async move { store.screen(&scope, &screening(&site, "S-2"), &dm).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(!save.is_finished(), "{name}: the save did not wait");
        // ...the runs do not, pooled or by arm, and each is recorded.
        for by_arm in [false, true] {
            let run = tokio::time::timeout(
                std::time::Duration::from_secs(10),
                store.analysis(&study, |_| by_arm, |_| "the report".into(), &dm),
            )
            .await;
            assert!(matches!(run, Ok(Ok(_))), "{name}, by arm {by_arm}: {run:?}");
        }
        assert!(!save.is_finished(), "{name}");
        holder.rollback().await.unwrap();
        save.await.unwrap().unwrap();
        for chain in [reads_chain(&study.id), unblinded_chain(&study.id)] {
            let filter = AuditFilter {
                chains: vec![chain.clone()],
                ..AuditFilter::default()
            };
            let rows = store.audit_page(&filter, 0, 10).await.unwrap().rows;
            assert_eq!(rows.len(), 1, "{name}: {chain}");
        }
        assert!(
            matches!(
                store.verify_audit().await.unwrap(),
                AuditReport::Intact { .. }
            ),
            "{name}"
        );
    }
}

//! Loading the analysis on a fresh SQLite file and a fresh PostgreSQL database: every enrolled
//! participant with the stratification, the kit dispensed, the visits and the values of the
//! complete forms; the arms only in an unblinded run, each run audited on its chain.

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
        assert_eq!(page(study.id.clone(), ANALYSIS_POOLED).await.len(), 1);
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditReport::Intact { .. }
        ));
    }
}

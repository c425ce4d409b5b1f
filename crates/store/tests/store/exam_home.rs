//! One home for the screening exam, on both databases: the screening records the exam as the
//! screening visit's ISNCSCI form (the visit done on the screening date); a save of that form
//! records eligibility again before enrolment and refuses, with nothing written, a change that
//! would make an enrolled participant ineligible; and a database made before, with exams kept
//! in their own table, has them moved into the forms on load, audited, once (the old rows
//! marked with the form they went to, their audit rows still the participant's).

use store::*;
use trial::{FormStatus, ParticipantStatus};

use crate::common::*;
use crate::story::{screening, with_study, PHASE2};

fn forms() -> Vec<String> {
    vec!["isncsci".to_string()]
}

/// A screening whose exam is `exam` (flat layout) with the classification `c`.
fn screening_with(site: &str, number: &str, exam: &str, c: &str) -> NewScreening {
    NewScreening {
        exam_raw: exam.into(),
        classification: c.into(),
        ..screening(site, number, true)
    }
}

/// A save of the screening exam with the eligibility it gives.
fn exam_save(id: i64, c5: &str, eligible: bool, reason: &str) -> FormSave {
    let data = serde_json::json!({
        "exam": { "c5RightMotor": c5 },
        "classification": { "asiaImpairmentScale": if eligible { "A" } else { "E" } },
    });
    FormSave {
        participant_id: id,
        visit_id: "screening".into(),
        form_id: "isncsci".into(),
        data: data.as_object().unwrap().clone(),
        status: FormStatus::Complete,
        reason: Some(reason.into()),
        eligibility: Some(trial::screening_exam::Found {
            eligible,
            reasons: if eligible {
                vec![]
            } else {
                vec!["AIS grade E is not allowed".into()]
            },
        }),
    }
}

async fn audit_rows(
    store: &Store,
    entity: &str,
    record: &str,
) -> Vec<(String, Option<String>, Option<String>)> {
    sqlx::query_as(
        "SELECT action, field, reason FROM audit WHERE entity = $1 AND record_id = $2 ORDER BY id",
    )
    .bind(entity)
    .bind(record)
    .fetch_all(store.raw_pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn the_screening_exam_is_the_screening_visits_isncsci_form() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let study = with_study(&store).await;
        let scope = Scope::Study(study.id.clone());
        let site = study.sites[0].id.clone();
        let p = store
            .screen(
                &scope,
                &screening_with(
                    &site,
                    "H-1",
                    r#"{"c5RightMotor":"3"}"#,
                    r#"{"asiaImpairmentScale":"A"}"#,
                ),
                &Actor::system(),
            )
            .await
            .unwrap();
        // The visit, done on the screening date, and its form, complete, hold the exam.
        let visits = store.visits(&scope, p.id).await.unwrap();
        assert_eq!(visits.len(), 1, "{visits:?}");
        assert_eq!(visits[0].visit_id, "screening");
        assert_eq!(visits[0].done_on.as_deref(), Some("2026-10-21"));
        let saved = store.forms(&scope, p.id).await.unwrap();
        assert_eq!(saved.len(), 1);
        assert_eq!(
            (saved[0].visit_id.as_str(), saved[0].form_id.as_str()),
            ("screening", "isncsci")
        );
        assert_eq!(saved[0].status, Some(FormStatus::Complete));
        assert_eq!(saved[0].data["exam"]["c5RightMotor"], "3");
        assert_eq!(saved[0].data["classification"]["asiaImpairmentScale"], "A");
        let exams = store.exams(&scope, p.id, &forms()).await.unwrap();
        assert_eq!(exams.len(), 1);
        assert_eq!(exams[0].examined_on, "2026-10-21");
        assert_eq!(exams[0].raw, r#"{"c5RightMotor":"3"}"#);
        // Nothing is kept beside the form.
        let beside: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM exams")
            .fetch_one(store.raw_pool())
            .await
            .unwrap();
        assert_eq!(beside, 0);
        let rows = audit_rows(&store, "form", &format!("{}/screening/isncsci", p.id)).await;
        assert!(
            rows.iter().any(|r| r.1.as_deref() == Some("exam")),
            "{rows:?}"
        );

        // Corrected before enrolment: not eligible, then eligible again, each with the reason.
        store
            .save_form(
                &scope,
                &exam_save(p.id, "5", false, "transcription: C5 is 5"),
                &Actor::system(),
            )
            .await
            .unwrap();
        let failed = store.participant(&scope, p.id).await.unwrap();
        assert_eq!(failed.status, ParticipantStatus::ScreenFailed);
        assert!(!failed.eligible);
        assert_eq!(failed.eligibility_reasons, ["AIS grade E is not allowed"]);
        let rows = audit_rows(&store, "participant", &p.id.to_string()).await;
        let status = rows
            .iter()
            .rfind(|r| r.1.as_deref() == Some("status"))
            .unwrap();
        assert_eq!(status.2.as_deref(), Some("transcription: C5 is 5"));
        store
            .save_form(
                &scope,
                &exam_save(p.id, "3", true, "back to the source"),
                &Actor::system(),
            )
            .await
            .unwrap();
        let back = store.participant(&scope, p.id).await.unwrap();
        assert_eq!(
            (back.status, back.eligible),
            (ParticipantStatus::Screening, true)
        );

        // Enrolled: the plan adds its visits beside the screening visit, kept as recorded.
        let planned = |id: &str| PlannedVisit {
            visit_id: id.into(),
            name: id.into(),
            target: "2027-01-15".into(),
            earliest: "2027-01-08".into(),
            latest: "2027-01-22".into(),
        };
        store
            .enrol(
                &scope,
                &study,
                &Enrolment {
                    participant_id: p.id,
                    subject_id: "H-001".into(),
                    enrolled_on: "2026-10-22".into(),
                    anchor_date: "2026-10-23".into(),
                    visits: vec![planned("week-12")],
                },
                &Actor::system(),
            )
            .await
            .unwrap();
        let visits = store.visits(&scope, p.id).await.unwrap();
        assert_eq!(visits.len(), 2);
        assert_eq!(visits[0].done_on.as_deref(), Some("2026-10-21"));

        // After enrolment a correction keeping eligibility is saved; one that would make the
        // participant ineligible is refused naming the exam, and nothing is written.
        store
            .save_form(
                &scope,
                &exam_save(p.id, "4", true, "source says 4"),
                &Actor::system(),
            )
            .await
            .unwrap();
        let before = store.forms(&scope, p.id).await.unwrap();
        let audit_before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit")
            .fetch_one(store.raw_pool())
            .await
            .unwrap();
        let refused = store
            .save_form(
                &scope,
                &exam_save(p.id, "5", false, "source says 5"),
                &Actor::system(),
            )
            .await
            .unwrap_err();
        let text = refused.to_string();
        assert!(
            text.contains("exam") && text.contains("protocol deviation"),
            "{text}"
        );
        assert_eq!(store.forms(&scope, p.id).await.unwrap(), before);
        let audit_after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit")
            .fetch_one(store.raw_pool())
            .await
            .unwrap();
        assert_eq!(audit_after, audit_before);
        let still = store.participant(&scope, p.id).await.unwrap();
        assert_eq!(
            (still.status, still.eligible),
            (ParticipantStatus::Enrolled, true)
        );
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditReport::Intact { .. }
        ));
    }
}

#[tokio::test]
async fn exams_kept_outside_the_forms_move_into_them_on_load() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let study = with_study(&store).await;
        let scope = Scope::Study(study.id.clone());
        let site = study.sites[0].id.clone();
        // Three participants as a database made before kept them: one in screening (no visit
        // yet), one enrolled whose screening visit exists, one enrolled whose screening form was
        // saved since (the form wins); and a week-2 exam.
        let mut ids = Vec::new();
        for n in 0..3 {
            let p = store
                .screen(
                    &scope,
                    &screening(&site, &format!("L-{n}"), true),
                    &Actor::system(),
                )
                .await
                .unwrap();
            ids.push(p.id);
        }
        for sql in [
            "DELETE FROM form_entries".to_string(),
            format!("DELETE FROM visits WHERE participant_id = {}", ids[0]),
            format!(
                "INSERT INTO visits (participant_id, visit_id, name, target, earliest, latest, done_on) \
                 VALUES ({0}, 'week-2', 'Week 2', '2026-11-05', '2026-11-02', '2026-11-08', '2026-11-04')",
                ids[1]
            ),
            format!(
                "INSERT INTO form_entries (participant_id, visit_id, form_id, data, status, version, updated_at) \
                 VALUES ({}, 'screening', 'isncsci', '{{\"exam\":{{\"c5RightMotor\":\"1\"}},\"classification\":{{}}}}', \
                 'complete', 2, '2026-10-22T00:00:00.000000Z')",
                ids[2]
            ),
        ] {
            store::testing::tamper(&store, &sql).await.unwrap();
        }
        for (n, (id, visit)) in [
            (ids[0], "screening"),
            (ids[1], "screening"),
            (ids[1], "week-2"),
            (ids[2], "screening"),
        ]
        .into_iter()
        .enumerate()
        {
            store::testing::tamper(
                &store,
                &format!(
                    "INSERT INTO exams (participant_id, visit_id, examined_on, raw, classification, created_at) \
                     VALUES ({id}, '{visit}', '2026-10-21', '{{\"c5RightMotor\":\"{n}\"}}', \
                     '{{\"asiaImpairmentScale\":\"A\"}}', '2026-10-21T00:00:00.000000Z')"
                ),
            )
            .await
            .unwrap();
        }

        // Loading the study (at every start) moves them.
        let system = Actor::system();
        let load = || store.load_study(&study, PHASE2, &system);
        load().await.unwrap();
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM exams WHERE moved_to IS NULL")
            .fetch_one(store.raw_pool())
            .await
            .unwrap();
        assert_eq!(left, 0);
        let exam_of = |exams: &[ExamRecord], visit: &str| {
            exams
                .iter()
                .find(|e| e.visit_id == visit)
                .map(|e| e.raw.clone())
        };
        let e0 = store.exams(&scope, ids[0], &forms()).await.unwrap();
        assert_eq!(
            exam_of(&e0, "screening").as_deref(),
            Some(r#"{"c5RightMotor":"0"}"#)
        );
        let v0 = store.visits(&scope, ids[0]).await.unwrap();
        assert_eq!(v0[0].done_on.as_deref(), Some("2026-10-21"));
        let e1 = store.exams(&scope, ids[1], &forms()).await.unwrap();
        assert_eq!(
            exam_of(&e1, "screening").as_deref(),
            Some(r#"{"c5RightMotor":"1"}"#)
        );
        assert_eq!(
            exam_of(&e1, "week-2").as_deref(),
            Some(r#"{"c5RightMotor":"2"}"#)
        );
        let f1 = store.forms(&scope, ids[1]).await.unwrap();
        assert!(f1
            .iter()
            .all(|f| f.status == Some(FormStatus::Complete) && f.version == 1));
        // The form saved since is kept as it was.
        let f2 = store.forms(&scope, ids[2]).await.unwrap();
        assert_eq!(
            (f2[0].version, f2[0].data["exam"]["c5RightMotor"].as_str()),
            (2, Some("1"))
        );
        // Audited with the reason, and the trail still verifies.
        let moved = audit_rows(&store, "form", &format!("{}/week-2/isncsci", ids[1])).await;
        assert!(!moved.is_empty());
        assert!(
            moved
                .iter()
                .all(|r| r.0 == "create" && r.2.as_deref().is_some_and(|w| w.contains("one home"))),
            "{moved:?}"
        );
        let deleted: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit WHERE entity = 'exam' AND field = 'moved_to'",
        )
        .fetch_one(store.raw_pool())
        .await
        .unwrap();
        assert_eq!(deleted, 4);
        // A second load finds nothing to move and records nothing.
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit")
            .fetch_one(store.raw_pool())
            .await
            .unwrap();
        load().await.unwrap();
        let again: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit")
            .fetch_one(store.raw_pool())
            .await
            .unwrap();
        assert_eq!(again, rows);
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditReport::Intact { .. }
        ));
    }
}

//! One story of the system of record, run on a fresh SQLite file and on a fresh PostgreSQL
//! database.
//!
//! PostgreSQL comes from `TEST_DATABASE_URL` (CI: `postgres://postgres@127.0.0.1:5432/test`);
//! each run creates its own database there. Without it the PostgreSQL half says it was
//! skipped, unless `SCITRIAL_REQUIRE_POSTGRES` is set, as CI sets it.

use store::*;

use crate::common::*;
use trial::{FormState, FormStatus, ParticipantStatus, QueryStatus};

pub(crate) const PHASE2: &str = include_str!("../../../../studies/xs228-phase2.toml");

/// The Phase II study, loaded, with its randomisation list (enrolment waits for it).
pub(crate) async fn with_study(store: &Store) -> trial::Study {
    let study = phase2();
    store
        .load_study(&study, PHASE2, &Actor::system())
        .await
        .unwrap();
    store
        .generate_randomisation(&study, &ListRequest::new(1, 12, 30), &Actor::system())
        .await
        .unwrap();
    study
}

fn phase2() -> trial::Study {
    trial::Study::from_toml(PHASE2).unwrap()
}

pub(crate) fn screening(site: &str, number: &str, eligible: bool) -> NewScreening {
    NewScreening {
        site_id: site.into(),
        screening_number: number.into(),
        sex: "female".into(),
        date_of_birth: "1990-04-02".into(),
        injury_date: "2026-10-01".into(),
        consent_date: "2026-10-20".into(),
        screening_date: "2026-10-21".into(),
        eligible,
        eligibility_reasons: if eligible {
            vec![]
        } else {
            vec!["age 17 years is outside 18–65".into()]
        },
        exam_visit: "screening".into(),
        exam_visit_name: "Screening".into(),
        exam_form: "isncsci".into(),
        exam_raw: "{}".into(),
        classification: "{}".into(),
    }
}

/// Screens and enrols a participant at `site` with two visits, week-12 and week-24.
pub(crate) async fn enrolled(
    store: &Store,
    scope: &Scope,
    site: &str,
    number: &str,
    subject: &str,
) -> Participant {
    let p = store
        .screen(scope, &screening(site, number, true), &Actor::system())
        .await
        .unwrap();
    let planned = |id: &str| PlannedVisit {
        visit_id: id.into(),
        name: id.into(),
        target: "2027-01-15".into(),
        earliest: "2027-01-08".into(),
        latest: "2027-01-22".into(),
    };
    store
        .enrol(
            scope,
            &phase2(),
            &Enrolment {
                participant_id: p.id,
                subject_id: subject.into(),
                enrolled_on: "2026-10-22".into(),
                anchor_date: "2026-10-23".into(),
                visits: vec![planned("week-12"), planned("week-24")],
            },
            &Actor::system(),
        )
        .await
        .unwrap()
}

async fn audit_count(store: &Store) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit")
        .fetch_one(store.raw_pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_participant_from_screening_to_completion() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let study = with_study(&store).await;
        let site = study.sites[0].id.clone();
        let scope = Scope::Study(study.id.clone());
        let crc = store
            .create_user(
                &NewUser {
                    username: "crc1".into(),
                    full_name: "Li Wei".into(),
                    password_hash: password::hash("pw"),
                    language: "zh".into(),
                },
                &Actor::system(),
            )
            .await
            .unwrap();
        let by = Actor::user(&crc);
        let p = store
            .screen(&scope, &screening(&site, "S-001", true), &by)
            .await
            .unwrap();
        assert_eq!(p.status, ParticipantStatus::Screening);
        let failed = store
            .screen(&scope, &screening(&site, "S-002", false), &by)
            .await
            .unwrap();
        assert_eq!(failed.status, ParticipantStatus::ScreenFailed);
        assert_eq!(
            failed.eligibility_reasons,
            ["age 17 years is outside 18–65"]
        );
        // The screening number is unique within the study.
        let again = store
            .screen(&scope, &screening(&site, "S-001", true), &by)
            .await
            .unwrap_err();
        assert!(
            matches!(again, StoreError::Conflict { ref field, .. } if field == "screening_number"),
            "{again}"
        );
        // Not eligible: not enrolled.
        let refused = store
            .enrol(
                &scope,
                &phase2(),
                &Enrolment {
                    participant_id: failed.id,
                    subject_id: "X".into(),
                    enrolled_on: "2026-10-22".into(),
                    anchor_date: "2026-10-23".into(),
                    visits: vec![],
                },
                &by,
            )
            .await
            .unwrap_err();
        assert!(matches!(refused, StoreError::Conflict { .. }), "{refused}");
        let visits = vec![
            PlannedVisit {
                visit_id: "day1".into(),
                name: "Dosing".into(),
                target: "2026-10-23".into(),
                earliest: "2026-10-23".into(),
                latest: "2026-10-23".into(),
            },
            PlannedVisit {
                visit_id: "w12".into(),
                name: "Week 12".into(),
                target: "2027-01-15".into(),
                earliest: "2027-01-08".into(),
                latest: "2027-01-22".into(),
            },
        ];
        let enrolled = store
            .enrol(
                &scope,
                &phase2(),
                &Enrolment {
                    participant_id: p.id,
                    subject_id: "XS-001".into(),
                    enrolled_on: "2026-10-22".into(),
                    anchor_date: "2026-10-23".into(),
                    visits,
                },
                &by,
            )
            .await
            .unwrap();
        assert_eq!(
            (enrolled.status, enrolled.subject_id.as_deref()),
            (ParticipantStatus::Enrolled, Some("XS-001"))
        );
        let v = store
            .record_visit(&scope, p.id, "day1", "2026-10-23", &by)
            .await
            .unwrap();
        assert_eq!(v.done_on.as_deref(), Some("2026-10-23"));
        // The screening visit, recorded at screening, and the two planned at enrolment.
        assert_eq!(store.visits(&scope, p.id).await.unwrap().len(), 3);
        // A change to saved data needs a reason; without one nothing is written.
        let before = audit_count(&store).await;
        let no_reason = Correction {
            participant_id: p.id,
            field: "date_of_birth".into(),
            value: "1990-04-03".into(),
            reason: " ".into(),
            eligibility: None,
        };
        let e = store
            .correct_participant(&scope, &no_reason, &by)
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "reason: is required to change saved data");
        assert_eq!(audit_count(&store).await, before);
        assert_eq!(
            store.participant(&scope, p.id).await.unwrap().date_of_birth,
            "1990-04-02"
        );
        let fixed = store
            .correct_participant(
                &scope,
                &Correction {
                    reason: "transcription error".into(),
                    ..no_reason
                },
                &by,
            )
            .await
            .unwrap();
        assert_eq!(fixed.date_of_birth, "1990-04-03");
        // A correction that makes an enrolled participant ineligible is refused whole: a
        // protocol deviation for the sponsor, not a data change.
        let before = audit_count(&store).await;
        let e = store
            .correct_participant(
                &scope,
                &Correction {
                    participant_id: p.id,
                    field: "date_of_birth".into(),
                    value: "2015-04-03".into(),
                    reason: "transcription error".into(),
                    eligibility: Some(trial::screening_exam::Found {
                        eligible: false,
                        reasons: vec!["age 11 is outside 18..=70".into()],
                    }),
                },
                &by,
            )
            .await
            .unwrap_err();
        assert!(e.to_string().contains("protocol deviation"), "{e}");
        assert_eq!(audit_count(&store).await, before);
        assert_eq!(
            store.participant(&scope, p.id).await.unwrap().date_of_birth,
            "1990-04-03"
        );
        let trail = store
            .audit_of("participant", &p.id.to_string())
            .await
            .unwrap();
        let last = trail.last().unwrap();
        assert_eq!(
            (
                last.field.as_deref(),
                last.old_value.as_deref(),
                last.new_value.as_deref(),
                last.reason.as_deref(),
                last.username.as_str()
            ),
            (
                Some("date_of_birth"),
                Some("1990-04-02"),
                Some("1990-04-03"),
                Some("transcription error"),
                "crc1"
            )
        );
        let done = store
            .end_participation(
                &scope,
                &Ending {
                    participant_id: p.id,
                    status: "completed".into(),
                    on: "2027-10-23".into(),
                    reason: "completed follow-up".into(),
                },
                &by,
            )
            .await
            .unwrap();
        assert_eq!(done.status, ParticipantStatus::Completed);
        assert!(
            matches!(store.verify_audit().await.unwrap(), AuditReport::Intact { rows, .. } if rows > 20)
        );
    }
}

#[tokio::test]
async fn site_users_see_only_their_sites_participants() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let study = with_study(&store).await;
        let (a, b) = (study.sites[0].id.clone(), study.sites[1].id.clone());
        let all = Scope::Study(study.id.clone());
        let only_a = Scope::Sites {
            study: study.id.clone(),
            sites: vec![a.clone()],
        };
        let pa = store
            .screen(&all, &screening(&a, "A-1", true), &Actor::system())
            .await
            .unwrap();
        let pb = store
            .screen(&all, &screening(&b, "B-1", true), &Actor::system())
            .await
            .unwrap();
        let seen: Vec<i64> = store
            .participants(&only_a)
            .await
            .unwrap()
            .iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(seen, [pa.id]);
        assert_eq!(store.participants(&all).await.unwrap().len(), 2);
        assert!(matches!(
            store.participant(&only_a, pb.id).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            store.visits(&only_a, pb.id).await,
            Err(StoreError::NotFound { .. })
        ));
        let corr = Correction {
            participant_id: pb.id,
            field: "sex".into(),
            value: "male".into(),
            reason: "r".into(),
            eligibility: None,
        };
        assert!(matches!(
            store
                .correct_participant(&only_a, &corr, &Actor::system())
                .await,
            Err(StoreError::NotFound { .. })
        ));
        // Screening at a site out of scope is refused too.
        assert!(store
            .screen(&only_a, &screening(&b, "B-2", true), &Actor::system())
            .await
            .is_err());
        let none = Scope::Sites {
            study: study.id.clone(),
            sites: vec![],
        };
        assert!(store.participants(&none).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn logins_and_roles_are_audited() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let study = with_study(&store).await;
        let u = store
            .create_user(
                &NewUser {
                    username: "inv".into(),
                    full_name: "Dr Chen".into(),
                    password_hash: password::hash("x"),
                    language: "en".into(),
                },
                &Actor::system(),
            )
            .await
            .unwrap();
        let dup = store
            .create_user(
                &NewUser {
                    username: "inv".into(),
                    full_name: "Other".into(),
                    password_hash: "h".into(),
                    language: "en".into(),
                },
                &Actor::system(),
            )
            .await
            .unwrap_err();
        assert_eq!(dup.to_string(), "username: is already taken");
        let role = RoleAssignment {
            user_id: u.id,
            study_id: study.id.clone(),
            role: trial::Role::Investigator,
            site_id: Some(study.sites[0].id.clone()),
        };
        store.assign_role(&role, &Actor::system()).await.unwrap();
        assert_eq!(store.roles(u.id).await.unwrap(), [role]);
        let attempt = |success| LoginAttempt {
            username: "inv".into(),
            user_id: Some(u.id),
            success,
            at: "2026-12-06T10:00:00.000000Z".into(),
            from: "192.0.2.7".into(),
        };
        for _ in 0..4 {
            store.record_login(&attempt(false)).await.unwrap();
        }
        assert_eq!(store.user(u.id).await.unwrap().unwrap().locked_until, None);
        // The fifth failure in a row locks the account and queues one e-mail to its owner;
        // another failure during the lock neither lengthens it nor writes again.
        store.record_login(&attempt(false)).await.unwrap();
        store.record_login(&attempt(false)).await.unwrap();
        let locked = store.user(u.id).await.unwrap().unwrap();
        assert_eq!(
            (locked.failed_logins, locked.locked_until.as_deref()),
            (6, Some("2026-12-06T10:15:00.000000Z"))
        );
        let mail = store.account_outbox().await.unwrap();
        assert_eq!(mail.len(), 1, "{mail:?}");
        assert_eq!(
            (mail[0].recipient_user_id, mail[0].recipient.as_str()),
            (Some(u.id), "inv")
        );
        assert!(mail[0].subject.contains("2026-12-06T10:15:00.000000Z"));
        assert!(mail[0].body.contains("192.0.2.7"), "{}", mail[0].body);
        store.record_login(&attempt(true)).await.unwrap();
        let open = store.user(u.id).await.unwrap().unwrap();
        assert_eq!((open.failed_logins, open.locked_until), (0, None));
        store
            .record_login(&LoginAttempt {
                username: "nobody".into(),
                user_id: None,
                success: false,
                at: now(),
                from: "192.0.2.7".into(),
            })
            .await
            .unwrap();
        let actions: Vec<String> = store
            .audit_of("user", &u.id.to_string())
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.action)
            .collect();
        assert_eq!(
            actions,
            [
                "create",
                "create",
                "create",
                "login-failed",
                "login-failed",
                "login-failed",
                "login-failed",
                "login-failed",
                "lock",
                "login-failed",
                "login"
            ]
        );
        assert_eq!(
            store.audit_of("user", "nobody").await.unwrap()[0].action,
            "login-failed"
        );
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditReport::Intact { .. }
        ));
    }
}

#[tokio::test]
async fn a_saved_form_changes_only_with_a_reason_field_by_field() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let study = with_study(&store).await;
        let (a, b) = (study.sites[0].id.clone(), study.sites[1].id.clone());
        let scope = Scope::Study(study.id.clone());
        let p = store
            .screen(&scope, &screening(&a, "F-1", true), &Actor::system())
            .await
            .unwrap();
        let visits = vec![PlannedVisit {
            visit_id: "week-12".into(),
            name: "Week 12".into(),
            target: "2027-01-15".into(),
            earliest: "2027-01-08".into(),
            latest: "2027-01-22".into(),
        }];
        store
            .enrol(
                &scope,
                &phase2(),
                &Enrolment {
                    participant_id: p.id,
                    subject_id: "XS-F1".into(),
                    enrolled_on: "2026-10-22".into(),
                    anchor_date: "2026-10-23".into(),
                    visits,
                },
                &Actor::system(),
            )
            .await
            .unwrap();
        let values = |sbp: i64, dbp: i64| {
            let mut m = serde_json::Map::new();
            m.insert("systolic".into(), serde_json::json!(sbp));
            m.insert("diastolic".into(), serde_json::json!(dbp));
            m
        };
        let save = |data, reason: Option<&str>, status: &str| FormSave {
            participant_id: p.id,
            visit_id: "week-12".into(),
            form_id: "vital-signs".into(),
            data,
            status: FormStatus::parse(status).unwrap(),
            reason: reason.map(String::from),
            eligibility: None,
        };
        let first = store
            .save_form(
                &scope,
                &save(values(120, 80), None, "in-progress"),
                &Actor::system(),
            )
            .await
            .unwrap();
        assert_eq!(first.version, 1);
        let rows_before = audit_count(&store).await;
        let e = store
            .save_form(
                &scope,
                &save(values(125, 80), None, "complete"),
                &Actor::system(),
            )
            .await
            .unwrap_err();
        assert_eq!(e.to_string(), "reason: is required to change saved data");
        assert_eq!(audit_count(&store).await, rows_before);
        let second = store
            .save_form(
                &scope,
                &save(values(125, 80), Some("re-measured"), "complete"),
                &Actor::system(),
            )
            .await
            .unwrap();
        assert_eq!(
            (second.version, second.status),
            (2, Some(FormStatus::Complete))
        );
        let record = format!("{}/week-12/vital-signs", p.id);
        let trail = store.audit_of("form", &record).await.unwrap();
        let changed: Vec<(Option<&str>, Option<&str>, Option<&str>)> = trail
            .iter()
            .filter(|r| r.action == "update")
            .map(|r| {
                (
                    r.field.as_deref(),
                    r.old_value.as_deref(),
                    r.new_value.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            changed,
            [
                (Some("systolic"), Some("120"), Some("125")),
                (Some("status"), Some("in-progress"), Some("complete"))
            ]
        );
        assert!(trail
            .iter()
            .filter(|r| r.action == "update")
            .all(|r| r.reason.as_deref() == Some("re-measured")));
        let saved: Vec<FormEntry> = store.forms(&scope, p.id).await.unwrap();
        // Beside the screening exam, the screening visit's ISNCSCI form.
        assert_eq!(saved[1..], [second]);
        assert_eq!(saved[0].visit_id, "screening");
        // Unknown visit, other site, bad status.
        let mut unknown = save(values(1, 0), None, "complete");
        unknown.visit_id = "week-99".into();
        assert!(matches!(
            store.save_form(&scope, &unknown, &Actor::system()).await,
            Err(StoreError::NotFound { .. })
        ));
        let only_b = Scope::Sites {
            study: study.id.clone(),
            sites: vec![b.clone()],
        };
        assert!(matches!(
            store
                .save_form(
                    &only_b,
                    &save(values(1, 0), Some("x"), "complete"),
                    &Actor::system()
                )
                .await,
            Err(StoreError::NotFound { .. })
        ));
        // A status the form cannot be saved as cannot reach the store: it is refused where it
        // is read, naming the allowed ones.
        let bad = FormStatus::parse_field("status", "done").unwrap_err();
        assert!(
            bad.to_string().contains("allowed: in-progress, complete"),
            "{bad}"
        );
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditReport::Intact { .. }
        ));
    }
}

/// Source data verification, electronic signatures and locking: save → complete → verify →
/// sign → change (verification cleared, signature void with the change) → re-sign; a locked
/// form refuses changes until unlocked with a reason.
#[tokio::test]
async fn a_visit_is_verified_signed_voided_by_a_change_and_locked() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let study = with_study(&store).await;
        let (a, b) = (study.sites[0].id.clone(), study.sites[1].id.clone());
        let scope = Scope::Study(study.id.clone());
        let person = |name: &str, full: &str| NewUser {
            username: name.into(),
            full_name: full.into(),
            password_hash: password::hash("pw"),
            language: "en".into(),
        };
        let inv = store
            .create_user(&person("inv1", "Dr Zhang Min"), &Actor::system())
            .await
            .unwrap();
        let mon = store
            .create_user(&person("mon1", "Chen Jing"), &Actor::system())
            .await
            .unwrap();
        let dm = store
            .create_user(&person("dm1", "Wang Fang"), &Actor::system())
            .await
            .unwrap();
        let crc = Actor::system();
        let p = enrolled(&store, &scope, &a, "SIG-1", "XS-SIG1").await;
        let values = |sbp: i64| {
            let mut m = serde_json::Map::new();
            m.insert("systolic_bp".into(), serde_json::json!(sbp));
            m.insert("diastolic_bp".into(), serde_json::json!(80));
            m
        };
        let save = |sbp: i64, status: &str, reason: Option<&str>| FormSave {
            participant_id: p.id,
            visit_id: "week-12".into(),
            form_id: "vital-signs".into(),
            data: values(sbp),
            status: FormStatus::parse(status).unwrap(),
            reason: reason.map(String::from),
            eligibility: None,
        };
        let signing = |meaning: &str| Signing {
            participant_id: p.id,
            visit_id: Some("week-12".into()),
            meaning: meaning.into(),
            signer: &inv,
        };
        let (by_inv, by_mon, by_dm) = (Actor::user(&inv), Actor::user(&mon), Actor::user(&dm));
        let saved = store
            .save_form(&scope, &save(120, "in-progress", None), &crc)
            .await
            .unwrap();
        assert_eq!(saved.state, FormState::InProgress);
        // Only a complete form is verified; only a visit whose forms are all complete is signed.
        let e = store
            .verify_form(&scope, p.id, "week-12", "vital-signs", &by_mon)
            .await
            .unwrap_err();
        assert!(
            matches!(e, StoreError::Conflict { ref field, .. } if field == "status"),
            "{e}"
        );
        let e = store
            .sign_visit(&scope, &signing("approved"), &by_inv)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("not complete: vital-signs"), "{e}");
        let e = store
            .sign_visit(
                &scope,
                &Signing {
                    visit_id: Some("week-24".into()),
                    ..signing("approved")
                },
                &by_inv,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(e, StoreError::Conflict { ref field, .. } if field == "forms"),
            "{e}"
        );
        let complete = store
            .save_form(&scope, &save(120, "complete", Some("all measured")), &crc)
            .await
            .unwrap();
        assert_eq!(complete.state, FormState::Complete);
        let verified = store
            .verify_form(&scope, p.id, "week-12", "vital-signs", &by_mon)
            .await
            .unwrap();
        assert_eq!(
            (verified.state, verified.verified_by.as_deref()),
            (FormState::SourceVerified, Some("mon1"))
        );
        assert!(verified.verified_at.is_some());
        assert!(matches!(
            store
                .verify_form(&scope, p.id, "week-12", "vital-signs", &by_mon)
                .await,
            Err(StoreError::Conflict { .. })
        ));
        // Signing: a meaning from the list; printed name, UTC time, hash of the data signed.
        let e = store
            .sign_visit(&scope, &signing("signed"), &by_inv)
            .await
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("allowed: authored, reviewed, approved"),
            "{e}"
        );
        let only_b = Scope::Sites {
            study: study.id.clone(),
            sites: vec![b.clone()],
        };
        assert!(matches!(
            store
                .sign_visit(&only_b, &signing("approved"), &by_inv)
                .await,
            Err(StoreError::NotFound { .. })
        ));
        let sig = store
            .sign_visit(&scope, &signing("approved"), &by_inv)
            .await
            .unwrap();
        let data = serde_json::Value::Object(values(120));
        assert_eq!(
            (
                sig.meaning.as_str(),
                sig.signer_name.as_str(),
                sig.signer_user_id,
                sig.valid,
                sig.data_hash.clone()
            ),
            (
                "approved",
                "Dr Zhang Min",
                inv.id,
                true,
                trial::ecrf::signed_data_hash([("vital-signs", &data)])
            )
        );
        assert!(sig.signed_at.ends_with('Z') && parse_instant(&sig.signed_at).is_some());
        assert_eq!(
            store.signatures(&scope, p.id).await.unwrap(),
            std::slice::from_ref(&sig)
        );
        assert_eq!(
            store.forms(&scope, p.id).await.unwrap()[1].state,
            FormState::Signed
        );
        // A value changes: the verification is cleared and the signature void, with the change.
        let changed = store
            .save_form(&scope, &save(125, "complete", Some("re-measured")), &crc)
            .await
            .unwrap();
        assert_eq!(
            (
                changed.state,
                changed.verified_by.as_deref(),
                changed.verified_at.as_deref()
            ),
            (FormState::Complete, None, None)
        );
        let sigs = store.signatures(&scope, p.id).await.unwrap();
        assert!(!sigs[0].valid && sigs[0].void_at.is_some());
        assert_eq!(
            sigs[0].void_reason.as_deref(),
            Some("form vital-signs changed: systolic_bp 120 → 125 (re-measured)")
        );
        let record = format!("{}/week-12/vital-signs", p.id);
        let trail = store.audit_of("form", &record).await.unwrap();
        let cleared = trail
            .iter()
            .find(|r| r.action == "verification-cleared")
            .expect("the verification's clearing is in the trail");
        assert_eq!(
            (cleared.old_value.as_deref(), cleared.reason.as_deref()),
            (Some("mon1"), Some("re-measured"))
        );
        assert!(trail
            .iter()
            .any(|r| r.action == "verify" && r.username == "mon1"));
        let sig_trail: Vec<(String, Option<String>)> = store
            .audit_of("signature", &format!("{}/week-12/{}", p.id, sig.id))
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.action, r.field))
            .collect();
        assert!(sig_trail.contains(&("sign".into(), Some("meaning".into()))));
        assert!(sig_trail.contains(&("sign".into(), Some("data_hash".into()))));
        assert!(sig_trail.contains(&("void".into(), Some("void_reason".into()))));
        // Re-signing binds the new data.
        let again = store
            .sign_visit(&scope, &signing("reviewed"), &by_inv)
            .await
            .unwrap();
        let data = serde_json::Value::Object(values(125));
        assert_eq!(
            again.data_hash,
            trial::ecrf::signed_data_hash([("vital-signs", &data)])
        );
        let sigs = store.signatures(&scope, p.id).await.unwrap();
        assert_eq!(
            sigs.iter().map(|s| s.valid).collect::<Vec<_>>(),
            [false, true]
        );
        // A change behind the application's back breaks the binding, though nothing voided it.
        let tampered = serde_json::json!({ "systolic_bp": 180, "diastolic_bp": 80 }).to_string();
        sqlx::query(
            &store.sql("UPDATE form_entries SET data = $1::jsonb WHERE participant_id = $2"),
        )
        .bind(&tampered)
        .bind(p.id)
        .execute(store.raw_pool())
        .await
        .unwrap();
        let sigs = store.signatures(&scope, p.id).await.unwrap();
        assert!(!sigs[1].valid && sigs[1].void_at.is_none());
        assert_eq!(
            store.forms(&scope, p.id).await.unwrap()[0].state,
            FormState::Complete
        );
        sqlx::query(
            &store.sql("UPDATE form_entries SET data = $1::jsonb WHERE participant_id = $2"),
        )
        .bind(data.to_string())
        .bind(p.id)
        .execute(store.raw_pool())
        .await
        .unwrap();
        assert!(store.signatures(&scope, p.id).await.unwrap()[1].valid);
        // A failed signing (wrong password, checked by the caller) is recorded.
        store
            .signature_refused(
                &scope,
                p.id,
                &trial::SignedRecord::Visit("week-12".into()),
                &by_inv,
            )
            .await
            .unwrap();
        let visit_trail = store
            .audit_of("visit", &format!("{}/week-12", p.id))
            .await
            .unwrap();
        assert!(visit_trail
            .iter()
            .any(|r| r.action == "sign-failed" && r.username == "inv1"));
        // Locked: every change refused, nothing written, until unlocked with a reason.
        let locked = store
            .lock_form(&scope, p.id, "week-12", "vital-signs", &by_dm)
            .await
            .unwrap();
        assert_eq!((locked.state, locked.locked), (FormState::Locked, true));
        assert!(matches!(
            store
                .lock_form(&scope, p.id, "week-12", "vital-signs", &by_dm)
                .await,
            Err(StoreError::Conflict { .. })
        ));
        let rows_before = audit_count(&store).await;
        let e = store
            .save_form(&scope, &save(130, "complete", Some("typo")), &crc)
            .await
            .unwrap_err();
        assert!(
            matches!(e, StoreError::Conflict { ref field, ref message } if field == "status" && message.contains("locked") && message.contains("data manager unlocks")),
            "{e}"
        );
        assert!(matches!(
            store
                .verify_form(&scope, p.id, "week-12", "vital-signs", &by_mon)
                .await,
            Err(StoreError::Conflict { .. })
        ));
        let e = store
            .unlock_form(&scope, p.id, "week-12", "vital-signs", "  ", &by_dm)
            .await
            .unwrap_err();
        assert!(
            matches!(e, StoreError::Invalid { ref field, .. } if field == "reason"),
            "{e}"
        );
        assert_eq!(audit_count(&store).await, rows_before);
        assert!(store.signatures(&scope, p.id).await.unwrap()[1].valid);
        let unlocked = store
            .unlock_form(
                &scope,
                p.id,
                "week-12",
                "vital-signs",
                "query answered",
                &by_dm,
            )
            .await
            .unwrap();
        assert_eq!(
            (unlocked.state, unlocked.locked),
            (FormState::Signed, false)
        );
        let unlock_row = store
            .audit_of("form", &record)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.action == "unlock")
            .unwrap();
        assert_eq!(
            (
                unlock_row.old_value.as_deref(),
                unlock_row.new_value.as_deref(),
                unlock_row.reason.as_deref()
            ),
            (Some("true"), Some("false"), Some("query answered"))
        );
        let after = store
            .save_form(&scope, &save(130, "complete", Some("typo")), &crc)
            .await
            .unwrap();
        assert_eq!((after.version, after.state), (4, FormState::Complete));
        assert!(store
            .signatures(&scope, p.id)
            .await
            .unwrap()
            .iter()
            .all(|s| !s.valid));
        // Not saved: nothing to verify or lock.
        assert!(matches!(
            store
                .lock_form(&scope, p.id, "week-24", "vital-signs", &by_dm)
                .await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditReport::Intact { .. }
        ));
    }
}

#[tokio::test]
async fn a_query_is_raised_answered_closed_and_reopened_within_scope() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let study = with_study(&store).await;
        let (a, b) = (study.sites[0].id.clone(), study.sites[1].id.clone());
        let all = Scope::Study(study.id.clone());
        let only_a = Scope::Sites {
            study: study.id.clone(),
            sites: vec![a.clone()],
        };
        let only_b = Scope::Sites {
            study: study.id.clone(),
            sites: vec![b.clone()],
        };
        let pa = store
            .screen(&all, &screening(&a, "Q-A", true), &Actor::system())
            .await
            .unwrap();
        let pb = store
            .screen(&all, &screening(&b, "Q-B", true), &Actor::system())
            .await
            .unwrap();
        let monitor = Actor {
            user_id: Some(7),
            username: "mon".into(),
        };
        let new = |p: i64| NewQuery {
            participant_id: p,
            visit_id: "screening".into(),
            form_id: "isncsci".into(),
            field: "c5RightMotor".into(),
            text: "Grade 5 on the right but 3 on the left?".into(),
        };
        let q = store
            .raise_query(&all, &new(pa.id), &monitor)
            .await
            .unwrap();
        store
            .raise_query(&all, &new(pb.id), &monitor)
            .await
            .unwrap();
        assert_eq!(
            (q.status, q.raised_by.as_str(), q.raised_by_id),
            (QueryStatus::Open, "mon", Some(7))
        );
        // Each site sees only its own queries.
        assert_eq!(
            store
                .queries(&only_a, None, Some(QueryStatus::Open))
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            store
                .queries(&all, None, Some(QueryStatus::Open))
                .await
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            store.queries(&all, Some(pb.id), None).await.unwrap().len(),
            1
        );
        assert!(matches!(
            store
                .answer_query(&only_b, q.id, "x", &Actor::system())
                .await,
            Err(StoreError::NotFound { .. })
        ));
        let crc = Actor {
            user_id: Some(3),
            username: "crc".into(),
        };
        let answered = store
            .answer_query(
                &only_a,
                q.id,
                "Confirmed against the source: left is 3.",
                &crc,
            )
            .await
            .unwrap();
        assert_eq!(
            (answered.status, answered.answered_by.as_deref()),
            (QueryStatus::Answered, Some("crc"))
        );
        let again = store
            .answer_query(&only_a, q.id, "again", &crc)
            .await
            .unwrap_err();
        assert!(matches!(again, StoreError::Conflict { .. }), "{again}");
        let closed = store.close_query(&all, q.id, &monitor).await.unwrap();
        assert_eq!(closed.status, QueryStatus::Closed);
        assert!(store.reopen_query(&all, q.id, " ", &monitor).await.is_err());
        let reopened = store
            .reopen_query(&all, q.id, "Please attach the source page.", &monitor)
            .await
            .unwrap();
        assert_eq!(
            (reopened.status, reopened.text.as_str()),
            (QueryStatus::Open, "Please attach the source page.")
        );
        let actions: Vec<String> = store
            .audit_of("query", &q.id.to_string())
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.action)
            .collect();
        assert_eq!(actions, ["create", "create", "update", "update", "update"]);
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditReport::Intact { .. }
        ));
    }
}

/// A casebook signature covers every saved form of every visit: it needs them all complete,
/// a change to any of them voids it (and the visit's own signature), and it then shows invalid
/// with the change. A change inside an object value (the ISNCSCI exam) is audited member by
/// member.
#[tokio::test]
async fn a_casebook_signature_covers_every_visit_and_any_change_voids_it() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let study = with_study(&store).await;
        let a = study.sites[0].id.clone();
        let scope = Scope::Study(study.id.clone());
        let inv = store
            .create_user(
                &NewUser {
                    username: "inv-cb".into(),
                    full_name: "Dr Li Wei".into(),
                    password_hash: password::hash("pw"),
                    language: "en".into(),
                },
                &Actor::system(),
            )
            .await
            .unwrap();
        let by_inv = Actor::user(&inv);
        let crc = Actor::system();
        let p = enrolled(&store, &scope, &a, "CB-1", "XS-CB1").await;
        let exam = |c5: &str| {
            let mut m = serde_json::Map::new();
            m.insert(
                "exam".into(),
                serde_json::json!({ "c5RightMotor": c5, "c6RightMotor": "2" }),
            );
            m.insert(
                "classification".into(),
                serde_json::json!({ "uemsTotal": "7" }),
            );
            m
        };
        let save = |visit: &str, c5: &str, status: &str, reason: Option<&str>| FormSave {
            participant_id: p.id,
            visit_id: visit.into(),
            form_id: "isncsci".into(),
            data: exam(c5),
            status: FormStatus::parse(status).unwrap(),
            reason: reason.map(String::from),
            eligibility: None,
        };
        let casebook = Signing {
            participant_id: p.id,
            visit_id: None,
            meaning: "approved".into(),
            signer: &inv,
        };
        store
            .save_form(&scope, &save("week-12", "3", "complete", None), &crc)
            .await
            .unwrap();
        store
            .save_form(&scope, &save("week-24", "3", "in-progress", None), &crc)
            .await
            .unwrap();
        // One form of one visit is not complete: refused, naming it.
        let e = store
            .sign_visit(&scope, &casebook, &by_inv)
            .await
            .unwrap_err();
        assert!(
            matches!(e, StoreError::Conflict { ref message, .. } if message.contains("week-24/isncsci")),
            "{e}"
        );
        store
            .save_form(
                &scope,
                &save("week-24", "3", "complete", Some("exam finished")),
                &crc,
            )
            .await
            .unwrap();
        let visit_sig = store
            .sign_visit(
                &scope,
                &Signing {
                    visit_id: Some("week-12".into()),
                    meaning: "reviewed".into(),
                    ..casebook
                },
                &by_inv,
            )
            .await
            .unwrap();
        let book = store.sign_visit(&scope, &casebook, &by_inv).await.unwrap();
        assert!(book.casebook && book.valid && book.visit_id.is_empty());
        assert!(!visit_sig.casebook);
        let forms = store.forms(&scope, p.id).await.unwrap();
        assert!(
            forms.iter().all(|f| f.state == FormState::Signed),
            "{forms:?}"
        );
        // A change to week-24 voids the casebook signature but not week-12's.
        store
            .save_form(
                &scope,
                &save("week-24", "4", "complete", Some("re-tested C5")),
                &crc,
            )
            .await
            .unwrap();
        let sigs = store.signatures(&scope, p.id).await.unwrap();
        let (v, b) = (&sigs[0], &sigs[1]);
        assert!(v.valid, "{v:?}");
        assert!(!b.valid && b.void_at.is_some(), "{b:?}");
        assert!(
            b.void_reason
                .as_deref()
                .is_some_and(|r| r.contains("exam.c5RightMotor 3 → 4")),
            "{b:?}"
        );
        // The exam's change is audited by member, with the reason.
        let rows = store
            .audit_of("form", &format!("{}/week-24/isncsci", p.id))
            .await
            .unwrap();
        let changed: Vec<_> = rows
            .iter()
            .filter(|r| r.reason.as_deref() == Some("re-tested C5"))
            .map(|r| {
                (
                    r.field.clone().unwrap_or_default(),
                    r.old_value.clone(),
                    r.new_value.clone(),
                )
            })
            .collect();
        assert_eq!(
            changed,
            vec![(
                "exam.c5RightMotor".to_string(),
                Some("3".to_string()),
                Some("4".to_string())
            )]
        );
        let void_rows = store
            .audit_of("signature", &format!("{}/casebook/{}", p.id, book.id))
            .await
            .unwrap();
        assert_eq!(
            void_rows
                .iter()
                .map(|r| r.action.as_str())
                .collect::<Vec<_>>(),
            ["sign", "sign", "sign", "sign", "sign", "sign", "void"]
        );
        // A wrong password on a casebook signing is recorded against the casebook.
        store
            .signature_refused(&scope, p.id, &trial::SignedRecord::Casebook, &by_inv)
            .await
            .unwrap();
        let failed = store
            .audit_of("casebook", &format!("{}/casebook", p.id))
            .await
            .unwrap();
        assert_eq!(failed.len(), 1);
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditReport::Intact { .. }
        ));
    }
}

/// Concurrent writes: those that arrive together share a transaction (group commit: SQLite's
/// writer, PostgreSQL's lanes);
/// a write that fails inside the group (here a screening number used twice) is refused alone,
/// with its own error, and leaves nothing behind, while the others in the group are kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_commit_together_and_a_failing_one_is_refused_alone() {
    for db in stores().await {
        // PostgreSQL with its lanes (the default; opened with them whatever the environment says).
        let store = Backend::open_with_lanes(db, 4).await.unwrap();
        let store = std::sync::Arc::new(store);
        let study = with_study(&store).await;
        let site = study.sites[0].id.clone();
        let scope = Scope::Study(study.id.clone());
        let before = store.group_commits();
        let audit_before = audit_count(&store).await;
        let mut tasks = Vec::new();
        // 60 screenings at once: 50 numbers, ten of them sent twice.
        for n in 0..60 {
            let (store, scope, site) = (store.clone(), scope.clone(), site.clone());
            tasks.push(tokio::spawn(async move {
                let number = format!("G-{}", n % 50);
                let result = store
                    .screen(&scope, &screening(&site, &number, true), &Actor::system())
                    .await;
                (number, result)
            }));
        }
        let mut kept = std::collections::BTreeMap::new();
        let mut refused = Vec::new();
        for task in tasks {
            let (number, result) = task.await.unwrap();
            match result {
                Ok(p) => {
                    assert_eq!(p.screening_number, number);
                    assert!(kept.insert(number, p.id).is_none(), "a number kept twice");
                }
                Err(StoreError::Conflict { field, .. }) if field == "screening_number" => {
                    refused.push(number)
                }
                Err(e) => panic!("{number}: {e}"),
            }
        }
        assert_eq!((kept.len(), refused.len()), (50, 10));
        let listed = store.participants(&scope).await.unwrap();
        assert_eq!(listed.len(), 50);
        assert!(listed
            .iter()
            .all(|p| kept.get(&p.screening_number) == Some(&p.id)));
        // Each kept screening wrote its 14 audit rows (10 of the participant, the screening
        // visit's date, the exam's form: exam, classification, status); the refused ones none.
        assert_eq!(audit_count(&store).await - audit_before, 50 * 14);
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditReport::Intact { .. }
        ));
        // On both databases every write went through the group-committing writer (SQLite's
        // writer, PostgreSQL's lanes), and writes arriving together shared commits.
        match (before, store.group_commits()) {
            (Some((c0, w0)), Some((c1, w1))) => {
                assert_eq!(w1 - w0, 60, "every write went through the writer");
                assert!(c1 - c0 < 60, "{} commits for 60 writes", c1 - c0);
            }
            other => panic!("{other:?}"),
        }
    }
}

//! The database lock and the study's unblinding on a fresh SQLite file and a fresh PostgreSQL
//! database: what blocks the lock is listed (each unsigned form, each query not closed, within
//! the caller's scope), the lock is refused while anything blocks it, signed and bound to the
//! audit chain's head once nothing does, and from then on every kind of write to the study is
//! refused with nothing written, while the analysis still runs; the unblinding only after the
//! lock, once.

use store::*;
use trial::lock::Blocker;
use trial::Study;

use crate::common::*;

const PHASE2: &str = include_str!("../../../../studies/xs228-phase2.toml");
const PRODUCT: &str = include_str!("../../../../studies/xs228-product.toml");

/// The refusal of a write to a locked study: a conflict on `study` that says it is locked.
fn assert_locked<T: std::fmt::Debug>(what: &str, result: Result<T, StoreError>, db: &str) {
    match result {
        Err(StoreError::Conflict { field, message }) => {
            assert_eq!(field, "study", "{what} on {db}: {message}");
            assert!(message.contains("is locked"), "{what} on {db}: {message}");
        }
        other => panic!("{what} on {db}: not refused as locked: {other:?}"),
    }
}

async fn audit_rows(store: &Store) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit")
        .fetch_one(store.raw_pool())
        .await
        .unwrap();
    n
}

#[tokio::test]
async fn a_study_locks_once_nothing_blocks_it_and_then_refuses_every_write() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let name = format!("{:?}", store.dialect());
        let study = Study::from_toml(PHASE2).unwrap();
        store
            .load_study(&study, PHASE2, &Actor::system())
            .await
            .unwrap();
        let dm_user = user(&store, "dm").await;
        let dm = Actor::user(&dm_user);
        let inv_user = user(&store, "inv").await;
        let inv = Actor::user(&inv_user);
        let admin_user = user(&store, "admin").await;
        let admin = Actor::user(&admin_user);
        let scope = Scope::Study(study.id.clone());
        let (site_a, site_b) = (study.sites[0].id.clone(), study.sites[1].id.clone());
        let a = store
            .screen(&scope, &screening(&site_a, "S-1"), &inv)
            .await
            .unwrap();
        let b = store
            .screen(&scope, &screening(&site_b, "S-2"), &inv)
            .await
            .unwrap();
        let query = store
            .raise_query(
                &scope,
                &NewQuery {
                    participant_id: b.id,
                    visit_id: "screening".into(),
                    form_id: "isncsci".into(),
                    field: "exam".into(),
                    text: "Please check the exam".into(),
                },
                &dm,
            )
            .await
            .unwrap();

        // What blocks the lock: both screening exams unsigned, the query open.
        let blockers = store.lock_blockers(&scope).await.unwrap();
        assert_eq!(blockers.len(), 3, "{name}: {blockers:?}");
        let unsigned: Vec<i64> = blockers
            .iter()
            .filter_map(|b| match b {
                Blocker::UnsignedForm {
                    participant_id,
                    form_id,
                    visit_id,
                    ..
                } => {
                    assert_eq!(
                        (visit_id.as_str(), form_id.as_str()),
                        ("screening", "isncsci")
                    );
                    Some(*participant_id)
                }
                Blocker::OpenQuery { .. } => None,
            })
            .collect();
        assert_eq!(unsigned, [a.id, b.id], "{name}");
        assert!(
            matches!(&blockers[2], Blocker::OpenQuery { query_id, status, .. }
                if *query_id == query.id && status == "open"),
            "{name}: {blockers:?}"
        );
        // A site user sees their own site's blockers only.
        let site_a_scope = Scope::Sites {
            study: study.id.clone(),
            sites: vec![site_a.clone()],
        };
        let theirs = store.lock_blockers(&site_a_scope).await.unwrap();
        assert_eq!(theirs.len(), 1, "{name}: {theirs:?}");
        assert_eq!(theirs[0].site_id(), site_a);

        // Refused while anything blocks it; nothing written.
        let before = audit_rows(&store).await;
        let refused = store.lock_database(&study.id, &dm_user, &dm).await;
        match refused {
            Err(StoreError::Conflict { field, message }) => {
                assert_eq!(field, "lock", "{name}");
                assert!(message.contains("3 thing(s)"), "{name}: {message}");
                assert!(message.contains("S-1"), "{name}: {message}");
            }
            other => panic!("{name}: {other:?}"),
        }
        assert_eq!(store.study_lock(&study.id).await.unwrap(), None, "{name}");
        assert_eq!(audit_rows(&store).await, before, "{name}");
        // The unblinding comes only after the lock.
        let early = store
            .unblind_study(&study, &admin_user, "final analysis", &admin)
            .await;
        assert!(
            matches!(&early, Err(StoreError::Conflict { message, .. }) if message.contains("not locked")),
            "{name}: {early:?}"
        );

        // The investigator signs both casebooks; the query is closed.
        for p in [a.id, b.id] {
            store
                .sign_visit(
                    &scope,
                    &Signing {
                        participant_id: p,
                        visit_id: None,
                        meaning: "approved".into(),
                        signer: &inv_user,
                    },
                    &inv,
                )
                .await
                .unwrap();
        }
        assert_eq!(
            store.lock_blockers(&scope).await.unwrap().len(),
            1,
            "{name}"
        );
        store.close_query(&scope, query.id, &dm).await.unwrap();
        assert_eq!(store.lock_blockers(&scope).await.unwrap(), [], "{name}");

        // Locked, bound to the head of the study's chain as it was when signed.
        let head: (i64, String) =
            sqlx::query_as("SELECT seq, hash FROM audit_heads WHERE chain = $1")
                .bind(&study.id)
                .fetch_one(store.raw_pool())
                .await
                .unwrap();
        let lock = store.lock_database(&study.id, &dm_user, &dm).await.unwrap();
        assert_eq!(lock.locker_name, "Dr dm", "{name}");
        assert_eq!(
            (lock.audit_seq, lock.audit_hash.as_str()),
            (head.0, head.1.as_str()),
            "{name}"
        );
        assert_eq!(lock.unblinded_at, None);
        assert_eq!(
            store.study_lock(&study.id).await.unwrap().as_ref(),
            Some(&lock)
        );
        let again = store.lock_database(&study.id, &dm_user, &dm).await;
        assert!(
            matches!(&again, Err(StoreError::Conflict { message, .. }) if message.contains("locked already")),
            "{name}: {again:?}"
        );
        let audited = store
            .audit_page(
                &AuditFilter {
                    chains: vec![study.id.clone()],
                    action: Some(trial::lock::LOCK_ACTION.into()),
                    ..AuditFilter::default()
                },
                0,
                10,
            )
            .await
            .unwrap();
        assert_eq!(audited.total, 1, "{name}");
        assert_eq!(
            audited.rows[0].new_value.as_deref(),
            Some(format!("{}:{}", head.0, head.1).as_str())
        );

        // Every kind of write to the study is refused, and writes nothing.
        let before = audit_rows(&store).await;
        let form = FormSave {
            participant_id: a.id,
            visit_id: "screening".into(),
            form_id: "isncsci".into(),
            data: serde_json::json!({ "exam": {}, "classification": {} })
                .as_object()
                .unwrap()
                .clone(),
            status: trial::FormStatus::InProgress,
            reason: Some("late correction".into()),
            eligibility: None,
        };
        assert_locked(
            "a form's change",
            store.save_form(&scope, &form, &inv).await,
            &name,
        );
        assert_locked(
            "a new participant",
            store.screen(&scope, &screening(&site_a, "S-3"), &inv).await,
            &name,
        );
        assert_locked(
            "a query",
            store
                .raise_query(
                    &scope,
                    &NewQuery {
                        participant_id: a.id,
                        visit_id: "screening".into(),
                        form_id: "isncsci".into(),
                        field: "exam".into(),
                        text: "One more question".into(),
                    },
                    &dm,
                )
                .await,
            &name,
        );
        assert_locked(
            "a query re-opened",
            store.reopen_query(&scope, query.id, "again", &dm).await,
            &name,
        );
        assert_locked(
            "a form lock",
            store
                .lock_form(&scope, a.id, "screening", "isncsci", &dm)
                .await,
            &name,
        );
        assert_locked(
            "the randomisation list",
            store
                .generate_randomisation(&study, &ListRequest::new(18, 12, 40), &dm)
                .await,
            &name,
        );
        assert_locked(
            "the product's definition",
            store.load_product_definition(&study.id, PRODUCT, &dm).await,
            &name,
        );
        assert_locked(
            "a cell bank",
            store
                .create_bank(
                    &study.id,
                    &NewBank {
                        code: "MCB-9".into(),
                        donor: "D-9".into(),
                        hla_typing: "A*02:01".into(),
                    },
                    &dm,
                )
                .await,
            &name,
        );
        assert_eq!(audit_rows(&store).await, before, "{name}: nothing written");
        let (participants,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM participants")
            .fetch_one(store.raw_pool())
            .await
            .unwrap();
        assert_eq!(participants, 2, "{name}");

        // The records of reading still are written: the analysis runs, and is audited.
        store
            .analysis_subjects(&study, false, "final analysis, pooled", &dm)
            .await
            .unwrap();
        assert_eq!(audit_rows(&store).await, before + 1, "{name}");

        // The unblinding: a reason, once.
        let no_reason = store.unblind_study(&study, &admin_user, " ", &admin).await;
        assert!(
            matches!(&no_reason, Err(StoreError::Invalid { field, .. }) if field == "reason"),
            "{name}: {no_reason:?}"
        );
        let unblinded = store
            .unblind_study(&study, &admin_user, "final analysis", &admin)
            .await
            .unwrap();
        assert_eq!(unblinded.unblinder_name.as_deref(), Some("Dr admin"));
        assert_eq!(unblinded.unblind_reason.as_deref(), Some("final analysis"));
        assert!(unblinded.unblinded_at.is_some());
        assert_eq!(unblinded.locked_at, lock.locked_at);
        let twice = store
            .unblind_study(&study, &admin_user, "final analysis", &admin)
            .await;
        assert!(
            matches!(&twice, Err(StoreError::Conflict { message, .. }) if message.contains("unblinded already")),
            "{name}: {twice:?}"
        );
        // Still locked after the unblinding.
        assert_locked(
            "a form's change after the unblinding",
            store.save_form(&scope, &form, &inv).await,
            &name,
        );
        let report = store.verify_audit().await.unwrap();
        assert!(
            matches!(report, AuditReport::Intact { .. }),
            "{name}: {report:?}"
        );
    }
}

//! Writes that meet on PostgreSQL, where several transactions run at once (SQLite has one
//! writer, so these cannot happen there; the SQLite half of each test says so and stops).

use std::time::Duration;

use store::*;
use trial::FormStatus;

use crate::common::{stores, Backend};
use crate::story::{enrolled, with_study};

/// A signing of a visit commits while a save of one of its forms waits for the visit's row:
/// the save, going on once the signing has committed, voids that signature with its change
/// (it read the signatures after the lock, not as they were when it began).
#[tokio::test]
async fn a_save_that_waited_for_a_signing_voids_that_signature() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        if store.dialect() == Dialect::Sqlite {
            eprintln!("SQLite has one writer: a save cannot wait for a signing there");
            continue;
        }
        let study = with_study(&store).await;
        let scope = Scope::Study(study.id.clone());
        let site = study.sites[0].id.clone();
        let p = enrolled(&store, &scope, &site, "RACE-1", "XS-RACE1").await;
        let signer = crate::common::user(&store, "race").await;
        let save = |sbp: i64, reason: Option<&str>| FormSave {
            participant_id: p.id,
            visit_id: "week-12".into(),
            form_id: "vital-signs".into(),
            data: serde_json::Map::from_iter([
                ("systolic_bp".to_string(), serde_json::json!(sbp)),
                ("diastolic_bp".to_string(), serde_json::json!(80)),
            ]),
            status: FormStatus::Complete,
            reason: reason.map(String::from),
            eligibility: None,
        };
        store
            .save_form(&scope, &save(120, None), &Actor::system())
            .await
            .unwrap();

        // A signing in flight: the visit's row locked and a signature written, not committed.
        let mut signing = store.raw_pool().begin().await.unwrap();
        sqlx::query(
            "SELECT visit_id FROM visits WHERE participant_id = $1 AND visit_id = 'week-12' \
             FOR UPDATE",
        )
        .bind(p.id)
        .execute(&mut *signing)
        .await
        .unwrap();
        let signature: i64 = sqlx::query_scalar(
            "INSERT INTO signatures (participant_id, visit_id, meaning, signer_user_id, \
             signer_name, signed_at, data_hash) \
             VALUES ($1, 'week-12', 'approved', $2, 'Dr race', now(), 'hash') RETURNING id",
        )
        .bind(p.id)
        .bind(signer.id)
        .fetch_one(&mut *signing)
        .await
        .unwrap();

        let saving = {
            let (store, scope, change) =
                (store.clone(), scope.clone(), save(125, Some("re-measured")));
            tokio::spawn(async move { store.save_form(&scope, &change, &Actor::system()).await })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!saving.is_finished(), "the save waits for the visit's row");
        signing.commit().await.unwrap();
        saving.await.unwrap().unwrap();

        let void: Option<String> =
            sqlx::query_scalar("SELECT void_reason FROM signatures WHERE id = $1")
                .bind(signature)
                .fetch_one(store.raw_pool())
                .await
                .unwrap();
        assert_eq!(
            void.as_deref(),
            Some("form vital-signs changed: systolic_bp 120 → 125 (re-measured)"),
            "the signature committed while the save waited is void with the change"
        );
    }
}

/// A change of a form commits while another save of it waits for the visit's row: the save,
/// going on once that change has committed, writes the next version and records in the audit
/// trail what it changed from the committed values, not from those it would have read before
/// its wait.
#[tokio::test]
async fn a_save_that_waited_for_a_change_saves_over_it() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        if store.dialect() == Dialect::Sqlite {
            eprintln!("SQLite has one writer: a save cannot wait for another there");
            continue;
        }
        let study = with_study(&store).await;
        let scope = Scope::Study(study.id.clone());
        let site = study.sites[0].id.clone();
        let p = enrolled(&store, &scope, &site, "RACE-2", "XS-RACE2").await;
        let save = |sbp: i64, reason: Option<&str>| FormSave {
            participant_id: p.id,
            visit_id: "week-12".into(),
            form_id: "vital-signs".into(),
            data: serde_json::Map::from_iter([
                ("systolic_bp".to_string(), serde_json::json!(sbp)),
                ("diastolic_bp".to_string(), serde_json::json!(80)),
            ]),
            status: FormStatus::Complete,
            reason: reason.map(String::from),
            eligibility: None,
        };
        store
            .save_form(&scope, &save(120, None), &Actor::system())
            .await
            .unwrap();

        // A change in flight, as a save makes it: the visit's row locked, the form's next
        // version written, not committed.
        let mut changing = store.raw_pool().begin().await.unwrap();
        sqlx::query(
            "SELECT visit_id FROM visits WHERE participant_id = $1 AND visit_id = 'week-12' \
             FOR UPDATE",
        )
        .bind(p.id)
        .execute(&mut *changing)
        .await
        .unwrap();
        sqlx::query(
            "UPDATE form_entries SET data = '{\"systolic_bp\": 130, \"diastolic_bp\": 80}', \
             version = 2 WHERE participant_id = $1 AND visit_id = 'week-12' \
             AND form_id = 'vital-signs'",
        )
        .bind(p.id)
        .execute(&mut *changing)
        .await
        .unwrap();

        let saving = {
            let (store, scope, change) =
                (store.clone(), scope.clone(), save(125, Some("re-measured")));
            tokio::spawn(async move { store.save_form(&scope, &change, &Actor::system()).await })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!saving.is_finished(), "the save waits for the visit's row");
        changing.commit().await.unwrap();
        let saved = saving.await.unwrap().unwrap();
        assert_eq!(
            saved.version, 3,
            "the save comes after the committed version 2"
        );

        let trail = store
            .audit_of("form", &format!("{}/week-12/vital-signs", p.id))
            .await
            .unwrap();
        let sbp = trail
            .iter()
            .rfind(|row| row.field.as_deref() == Some("systolic_bp"))
            .unwrap();
        assert_eq!(
            (sbp.old_value.as_deref(), sbp.new_value.as_deref()),
            (Some("130"), Some("125")),
            "the change is recorded from the value committed while the save waited"
        );
    }
}

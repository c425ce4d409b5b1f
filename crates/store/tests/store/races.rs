//! Writes that meet on PostgreSQL, where several transactions run at once (SQLite has one
//! writer, so these cannot happen there; the SQLite half of each test says so and stops).

use std::time::Duration;

use store::*;
use trial::FormStatus;

use crate::common::{stores, Backend};
use crate::story::{enrolled, with_study};

/// A signing of a visit commits while a save of one of its forms waits for the visit's row:
/// the save, going on once the signing has committed, voids that signature with its change
/// (its write, begun once it held the lock, finds a signature it had not read, and the save
/// reads the form again and is decided anew).
#[tokio::test]
async fn a_save_that_waited_for_a_signing_voids_that_signature() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        if store.dialect() == Dialect::Sqlite {
            eprintln!("SQLite has one writer: a save cannot wait for a signing there");
            continue;
        }
        let (scope, p) = saved_vitals(&store, "RACE-1", "XS-RACE1").await;
        let signer = crate::common::user(&store, "race").await;

        // A signing in flight: the visit's row locked and a signature written, not committed.
        let mut signing = holding_the_visit(&store, p).await;
        let signature: i64 = sqlx::query_scalar(
            "INSERT INTO signatures (participant_id, visit_id, meaning, signer_user_id, \
             signer_name, signed_at, data_hash) \
             VALUES ($1, 'week-12', 'approved', $2, 'Dr race', now(), 'hash') RETURNING id",
        )
        .bind(p)
        .bind(signer.id)
        .fetch_one(&mut *signing)
        .await
        .unwrap();

        let saving = a_waiting_change(&store, &scope, p).await;
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
        let (scope, p) = saved_vitals(&store, "RACE-2", "XS-RACE2").await;

        // A change in flight, as a save makes it: the visit's row locked, the form's next
        // version written, not committed.
        let mut changing = holding_the_visit(&store, p).await;
        sqlx::query(
            "UPDATE form_entries SET data = '{\"systolic_bp\": 130, \"diastolic_bp\": 80}', \
             version = 2 WHERE participant_id = $1 AND visit_id = 'week-12' \
             AND form_id = 'vital-signs'",
        )
        .bind(p)
        .execute(&mut *changing)
        .await
        .unwrap();

        let saving = a_waiting_change(&store, &scope, p).await;
        changing.commit().await.unwrap();
        let saved = saving.await.unwrap().unwrap();
        assert_eq!(
            saved.version, 3,
            "the save comes after the committed version 2"
        );

        let trail = store
            .audit_of("form", &format!("{p}/week-12/vital-signs"))
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

/// A participant of a fresh study on `store` whose week-12 vital signs are saved (systolic
/// 120): the store's scope and the participant's id.
async fn saved_vitals(store: &Store, screening: &str, subject: &str) -> (Scope, i64) {
    let study = with_study(store).await;
    let scope = Scope::Study(study.id.clone());
    let site = study.sites[0].id.clone();
    let p = enrolled(store, &scope, &site, screening, subject).await;
    store
        .save_form(&scope, &vitals(p.id, 120, None), &Actor::system())
        .await
        .unwrap();
    (scope, p.id)
}

/// A save of a participant's week-12 vital signs.
fn vitals(participant_id: i64, sbp: i64, reason: Option<&str>) -> FormSave {
    FormSave {
        participant_id,
        visit_id: "week-12".into(),
        form_id: "vital-signs".into(),
        data: serde_json::Map::from_iter([
            ("systolic_bp".to_string(), serde_json::json!(sbp)),
            ("diastolic_bp".to_string(), serde_json::json!(80)),
        ]),
        status: FormStatus::Complete,
        reason: reason.map(String::from),
        eligibility: None,
    }
}

/// Begins a transaction that holds the visit's row, as a save or a signing does.
async fn holding_the_visit(
    store: &Store,
    participant_id: i64,
) -> sqlx::Transaction<'static, sqlx::Any> {
    let mut tx = store.raw_pool().begin().await.unwrap();
    sqlx::query(
        "SELECT visit_id FROM visits WHERE participant_id = $1 AND visit_id = 'week-12' \
         FOR UPDATE",
    )
    .bind(participant_id)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx
}

/// Saves systolic 125 with a reason, in a task of its own: it must wait for the visit's row.
async fn a_waiting_change(
    store: &Store,
    scope: &Scope,
    participant_id: i64,
) -> tokio::task::JoinHandle<Result<FormEntry>> {
    let saving = {
        let (store, scope) = (store.clone(), scope.clone());
        let change = vitals(participant_id, 125, Some("re-measured"));
        tokio::spawn(async move { store.save_form(&scope, &change, &Actor::system()).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!saving.is_finished(), "the save waits for the visit's row");
    saving
}

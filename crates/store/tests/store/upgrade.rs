//! A database made by the migrations before native types (0001–0006), with rows in it, keeps
//! them when the store opens it and applies the rest (on PostgreSQL, 0007 turns instants,
//! dates, flags and JSON into its own types): every value reads back as it was written, and
//! the audit trail, whose hashes cover `at` as written, still verifies.

use std::path::PathBuf;

use sqlx::any::AnyPoolOptions;
use sqlx::Executor;
use store::testing::{fresh_databases, unique, Backend, Database};
use store::{Actor, AuditReport, AuditRow, Dialect, Scope, GENESIS};

/// The migrations of a database up to 0006, in a folder of their own.
fn migrations_before_native_types(dialect: Dialect) -> PathBuf {
    let name = match dialect {
        Dialect::Sqlite => "sqlite",
        Dialect::Postgres => "postgres",
    };
    let from = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(name);
    let to = std::env::temp_dir().join(unique("scitrial_old_migrations"));
    std::fs::create_dir_all(&to).unwrap();
    for entry in std::fs::read_dir(&from).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        if file.as_str() < "0007" {
            std::fs::copy(&path, to.join(&file)).unwrap();
        }
    }
    to
}

/// Rows as the store wrote them before: instants and dates as text, flags 0/1, JSON as text.
const OLD_ROWS: &[&str] = &[
    "INSERT INTO studies (id, title, definition, loaded_at) \
     VALUES ('old', 'Old study', 'id = \"old\"', '2025-01-02T03:04:05.000006Z')",
    "INSERT INTO sites (study_id, id, name, time_zone) VALUES ('old', 's1', 'Site 1', 'UTC')",
    "INSERT INTO users (id, username, full_name, password_hash, active, failed_logins, \
     locked_until, language, created_at) VALUES (7, 'ann', 'Dr Ann', 'h', 1, 2, \
     '2025-01-03T00:00:00.500000Z', 'en', '2024-12-31T23:59:59.999999Z')",
    "INSERT INTO users (id, username, full_name, password_hash, active, failed_logins, \
     locked_until, language, created_at) VALUES (8, 'bob', 'Dr Bob', 'h', 0, 0, NULL, 'zh', \
     '2025-01-01T00:00:00.000000Z')",
    "INSERT INTO role_assignments (user_id, study_id, role, site_id) \
     VALUES (7, 'old', 'monitor', '')",
    "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen) \
     VALUES ('tok', 7, 'csrf', '2025-01-04T10:00:00.000001Z', '2025-01-04T11:30:00.123456Z')",
    "INSERT INTO participants (id, study_id, site_id, screening_number, subject_id, status, sex, \
     date_of_birth, injury_date, consent_date, screening_date, eligible, eligibility_reasons, \
     enrolled_on, anchor_date, ended_on, end_reason, created_at, updated_at) \
     VALUES (3, 'old', 's1', 'S-1', 'OLD-001', 'enrolled', 'female', '1980-02-29', \
     '2024-12-01', '2024-12-10', '2024-12-11', 1, '[\"none\",\"at all\"]', '2024-12-12', \
     '2024-12-01', NULL, NULL, '2024-12-11T08:00:00.000000Z', '2024-12-12T09:00:00.000000Z')",
    "INSERT INTO visits (participant_id, visit_id, name, target, earliest, latest, done_on) \
     VALUES (3, 'w2', 'Week 2', '2024-12-15', '2024-12-13', '2024-12-17', '2024-12-16')",
    "INSERT INTO exams (id, participant_id, visit_id, examined_on, raw, classification, \
     created_at) VALUES (4, 3, 'screening', '2024-12-11', '{\"c5_lt\":\"2\",\"vac\":true}', \
     '{\"ais\":\"A\",\"nli\":\"C4\"}', '2024-12-11T08:00:00.000000Z')",
    "INSERT INTO form_entries (participant_id, visit_id, form_id, data, status, version, \
     updated_at, verified_by, verified_at, locked) VALUES (3, 'w2', 'vitals', \
     '{\"diastolic_bp\":80,\"note\":\"é\",\"systolic_bp\":120.5}', 'complete', 2, \
     '2024-12-16T12:00:00.000000Z', 'ann', '2024-12-17T12:00:00.000000Z', 1)",
    "INSERT INTO signatures (id, participant_id, visit_id, meaning, signer_user_id, signer_name, \
     signed_at, data_hash, void_at, void_reason) VALUES (5, 3, 'w2', 'authored', 7, 'Dr Ann', \
     '2024-12-16T13:00:00.000000Z', 'abc', '2024-12-16T14:00:00.000000Z', 'changed')",
    "INSERT INTO queries (id, participant_id, visit_id, form_id, field, status, text, raised_by, \
     raised_by_id, raised_at, answer, answered_by, answered_at, updated_at) VALUES (6, 3, 'w2', \
     'vitals', 'systolic_bp', 'answered', 'Sure?', 'ann', 7, '2024-12-18T00:00:00.000000Z', \
     'Yes', 'bob', '2024-12-19T00:00:00.000000Z', '2024-12-19T00:00:00.000000Z')",
    "INSERT INTO dose_assignments (participant_id, study_id, level_id, assigned_at, assigned_by, \
     override_reason, override_signer, override_signed_at) VALUES (3, 'old', 'L2', \
     '2024-12-12T10:00:00.000000Z', 'ann', 'DSMB', 'Dr Ann', '2024-12-12T10:00:00.000000Z')",
    "INSERT INTO dlt_assessments (participant_id, study_id, dlt, onset_on, description, \
     assessed_on, signer_user_id, signer_name, signed_at) VALUES (3, 'old', 1, '2024-12-20', \
     'rash', '2024-12-21', 7, 'Dr Ann', '2024-12-21T10:00:00.000000Z')",
    "INSERT INTO notifications (id, study_id, role, kind, participant_id, message, created_at) \
     VALUES (9, 'old', 'monitor', 'note', 3, 'hello', '2024-12-22T00:00:00.000000Z')",
    "INSERT INTO notification_reads (notification_id, user_id, read_at) \
     VALUES (9, 7, '2024-12-23T00:00:00.000000Z')",
    "INSERT INTO outbox (study_id, recipient_user_id, recipient, subject, body, created_at, \
     sent_at) VALUES ('old', 7, 'ann', 'Hi', 'Body', '2024-12-22T00:00:00.000000Z', NULL)",
];

/// An audit chain of three rows hashed over `at` as the store wrote it (ids 1 to 3, as the
/// database gives them).
fn old_audit() -> Vec<AuditRow> {
    let mut prev = GENESIS.to_string();
    (1..=3)
        .map(|seq| {
            let mut row = AuditRow {
                id: seq,
                chain: "old".into(),
                seq,
                at: format!("2024-12-1{seq}T08:00:00.00000{seq}Z"),
                user_id: Some(7),
                username: "ann".into(),
                action: "update".into(),
                entity: "participant".into(),
                record_id: "3".into(),
                field: Some("sex".into()),
                old_value: None,
                new_value: Some(format!("value {seq}")),
                reason: (seq == 2).then(|| "typo".into()),
                prev_hash: prev.clone(),
                hash: String::new(),
            };
            row.hash = row.expected_hash();
            prev = row.hash.clone();
            row
        })
        .collect()
}

#[tokio::test]
async fn a_database_from_before_native_types_keeps_its_rows() {
    sqlx::any::install_default_drivers();
    for url in fresh_databases("scitrial_upgrade").await.unwrap() {
        let dialect = if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else {
            Dialect::Postgres
        };
        let old_url = match dialect {
            Dialect::Sqlite => format!("{url}?mode=rwc"),
            Dialect::Postgres => url.clone(),
        };
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .connect(&old_url)
            .await
            .unwrap();
        let old = sqlx::migrate::Migrator::new(migrations_before_native_types(dialect))
            .await
            .unwrap();
        assert_eq!(old.iter().count(), 6);
        old.run(&pool).await.unwrap();
        for sql in OLD_ROWS {
            pool.execute(*sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        let audit = old_audit();
        for r in &audit {
            sqlx::query(
                "INSERT INTO audit (chain, seq, at, user_id, username, action, entity, \
                 record_id, field, old_value, new_value, reason, prev_hash, hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            )
            .bind(&r.chain)
            .bind(r.seq)
            .bind(&r.at)
            .bind(r.user_id)
            .bind(&r.username)
            .bind(&r.action)
            .bind(&r.entity)
            .bind(&r.record_id)
            .bind(&r.field)
            .bind(&r.old_value)
            .bind(&r.new_value)
            .bind(&r.reason)
            .bind(&r.prev_hash)
            .bind(&r.hash)
            .execute(&pool)
            .await
            .unwrap();
        }
        sqlx::query("INSERT INTO audit_heads (chain, seq, hash) VALUES ('old', 3, $1)")
            .bind(&audit[2].hash)
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;

        // The store applies the rest of its migrations and reads the rows back as written.
        let store = Backend::open(Database::new(url.clone())).await.unwrap();
        assert_eq!(store.dialect(), dialect);
        check_rows(&store, &audit).await;
        // And keeps writing to the same chain.
        store
            .record_export("old", "audit", &Actor::system())
            .await
            .unwrap();
        assert_eq!(
            store.verify_audit().await.unwrap(),
            AuditReport::Intact { rows: 4, chains: 1 }
        );
    }
}

async fn check_rows(store: &Backend, audit: &[AuditRow]) {
    let studies = store.studies().await.unwrap();
    assert_eq!(studies[0].loaded_at, "2025-01-02T03:04:05.000006Z");
    assert_eq!(studies[0].definition, "id = \"old\"");

    let ann = store.user_by_name("ann").await.unwrap().unwrap();
    assert!(ann.active);
    assert_eq!(ann.failed_logins, 2);
    assert_eq!(
        ann.locked_until.as_deref(),
        Some("2025-01-03T00:00:00.500000Z")
    );
    assert_eq!(ann.created_at, "2024-12-31T23:59:59.999999Z");
    let bob = store.user(8).await.unwrap().unwrap();
    assert!(!bob.active && bob.locked_until.is_none());
    let signed_in = store.signed_in("tok").await.unwrap().unwrap();
    assert_eq!(signed_in.session.created_at, "2025-01-04T10:00:00.000001Z");
    assert_eq!(signed_in.session.last_seen, "2025-01-04T11:30:00.123456Z");
    assert_eq!(signed_in.roles.len(), 1);

    let scope = Scope::Study("old".into());
    let p = store.participant(&scope, 3).await.unwrap();
    assert_eq!(
        (
            p.date_of_birth.as_str(),
            p.injury_date.as_str(),
            p.consent_date.as_str(),
            p.screening_date.as_str()
        ),
        ("1980-02-29", "2024-12-01", "2024-12-10", "2024-12-11")
    );
    assert!(p.eligible);
    assert_eq!(p.eligibility_reasons, ["none", "at all"]);
    assert_eq!(p.enrolled_on.as_deref(), Some("2024-12-12"));
    assert_eq!(p.anchor_date.as_deref(), Some("2024-12-01"));
    assert_eq!(p.ended_on, None);
    assert_eq!(p.created_at, "2024-12-11T08:00:00.000000Z");
    assert_eq!(p.updated_at, "2024-12-12T09:00:00.000000Z");

    let v = &store.visits(&scope, 3).await.unwrap()[0];
    assert_eq!(
        (v.target.as_str(), v.earliest.as_str(), v.latest.as_str()),
        ("2024-12-15", "2024-12-13", "2024-12-17")
    );
    assert_eq!(v.done_on.as_deref(), Some("2024-12-16"));

    let f = &store.forms(&scope, 3).await.unwrap()[0];
    assert_eq!(
        f.data,
        serde_json::json!({ "diastolic_bp": 80, "note": "é", "systolic_bp": 120.5 })
    );
    assert!(f.locked);
    assert_eq!(f.updated_at.as_deref(), Some("2024-12-16T12:00:00.000000Z"));
    assert_eq!(
        f.verified_at.as_deref(),
        Some("2024-12-17T12:00:00.000000Z")
    );
    let s = &store.signatures(&scope, 3).await.unwrap()[0];
    assert_eq!(s.signed_at, "2024-12-16T13:00:00.000000Z");
    assert_eq!(s.void_at.as_deref(), Some("2024-12-16T14:00:00.000000Z"));

    let q = &store.queries(&scope, Some(3), None).await.unwrap()[0];
    assert_eq!(q.raised_at, "2024-12-18T00:00:00.000000Z");
    assert_eq!(
        q.answered_at.as_deref(),
        Some("2024-12-19T00:00:00.000000Z")
    );

    let (dose, dlt) = store.dose(&scope, 3).await.unwrap();
    let (dose, dlt) = (dose.unwrap(), dlt.unwrap());
    assert_eq!(dose.assigned_at, "2024-12-12T10:00:00.000000Z");
    assert_eq!(
        dose.override_signed_at.as_deref(),
        Some("2024-12-12T10:00:00.000000Z")
    );
    assert!(dlt.dlt);
    assert_eq!(dlt.onset_on.as_deref(), Some("2024-12-20"));
    assert_eq!(dlt.assessed_on, "2024-12-21");
    assert_eq!(dlt.signed_at, "2024-12-21T10:00:00.000000Z");

    let ann_actor = Actor::user(&ann);
    let n = &store
        .notifications("old", &[trial::Role::Monitor], &ann_actor)
        .await
        .unwrap()[0];
    assert_eq!(n.created_at, "2024-12-22T00:00:00.000000Z");
    assert_eq!(n.read_at.as_deref(), Some("2024-12-23T00:00:00.000000Z"));
    let o = &store.outbox("old").await.unwrap()[0];
    assert_eq!(
        (o.created_at.as_str(), o.sent_at.as_deref()),
        ("2024-12-22T00:00:00.000000Z", None)
    );

    assert_eq!(store.audit_of("participant", "3").await.unwrap(), audit);
    assert_eq!(
        store.verify_audit().await.unwrap(),
        AuditReport::Intact { rows: 3, chains: 1 }
    );
}

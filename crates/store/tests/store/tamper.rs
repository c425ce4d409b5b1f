//! Tampering with the audit trail behind the application's back, on both databases: what the
//! hash chains catch alone, and what only a signed checkpoint catches (rows cut off a chain's
//! end with its head rewritten, a chain deleted with its head, a row rewritten with every later
//! hash recomputed).

use std::ops::ControlFlow;

use futures::TryStreamExt;
use sqlx::Executor;
use store::*;
use trial::audit::{self, Departure, SecretKey};

use crate::common::*;
use crate::story::{screening, with_study};

/// Runs SQL behind the application's back.
async fn tamper(store: &Store, sql: &str) {
    store::testing::tamper(store, sql).await.unwrap();
}

/// A study with three participants screened, and a row on its unblinded chain.
async fn seeded(store: &Store) -> String {
    let study = with_study(store).await;
    let scope = Scope::Study(study.id.clone());
    for n in 0..3 {
        store
            .screen(
                &scope,
                &screening(&study.sites[0].id, &format!("T-{n}"), true),
                &Actor::system(),
            )
            .await
            .unwrap();
    }
    store
        .record_export(&unblinded_chain(&study.id), "list", &Actor::system())
        .await
        .unwrap();
    study.id
}

#[tokio::test]
async fn the_audit_trail_refuses_update_and_delete() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        seeded(&store).await;
        let update = store
            .raw_pool()
            .execute("UPDATE audit SET username = 'x'")
            .await
            .unwrap_err();
        assert!(update.to_string().contains("append-only"), "{update}");
        let delete = store
            .raw_pool()
            .execute("DELETE FROM audit")
            .await
            .unwrap_err();
        assert!(delete.to_string().contains("append-only"), "{delete}");
    }
}

/// The ways of tampering, each applied alone to a fresh trail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Case {
    Changed,
    Deleted,
    Inserted,
    Reordered,
    /// The last row removed, the head left as it was.
    Truncated,
    /// Rows cut off the end, the head rewritten to the new last row.
    TruncatedWithHead,
    /// A whole chain (the unblinded one) deleted with its head.
    ChainDeleted,
    /// A row rewritten, every later hash and the head recomputed.
    Recomputed,
}

impl Case {
    const ALL: [Case; 8] = [
        Case::Changed,
        Case::Deleted,
        Case::Inserted,
        Case::Reordered,
        Case::Truncated,
        Case::TruncatedWithHead,
        Case::ChainDeleted,
        Case::Recomputed,
    ];

    /// What the chains alone say (`None`: nothing, the trail passes as intact).
    fn without_checkpoints(self) -> Option<AuditProblem> {
        match self {
            Case::Changed => Some(AuditProblem::Changed),
            Case::Deleted | Case::Inserted | Case::Reordered => Some(AuditProblem::Broken),
            Case::Truncated => Some(AuditProblem::Truncated),
            Case::TruncatedWithHead | Case::ChainDeleted | Case::Recomputed => None,
        }
    }

    /// The chain it tampers with.
    fn chain(self, study: &str) -> String {
        match self {
            Case::ChainDeleted => unblinded_chain(study),
            _ => study.to_string(),
        }
    }

    /// The statements, for a chain signed with `signed` rows.
    async fn statements(self, store: &Store, c: &str, signed: i64) -> Vec<String> {
        let cut = signed - 2;
        match self {
            Case::Changed => vec![format!(
                "UPDATE audit SET new_value = 'forged' WHERE chain = '{c}' AND seq = 5"
            )],
            Case::Deleted => vec![format!("DELETE FROM audit WHERE chain = '{c}' AND seq = 5")],
            Case::Inserted => vec![format!(
                "INSERT INTO audit (chain, seq, at, username, action, entity, record_id, prev_hash, hash) \
                 SELECT chain, seq + 1000, at, username, action, entity, record_id, prev_hash, hash \
                 FROM audit WHERE chain = '{c}' AND seq = 4"
            )],
            // A unique (chain, seq) would refuse the swap in one statement on some databases:
            // one row is moved out of the way first.
            Case::Reordered => vec![
                format!("UPDATE audit SET seq = -5 WHERE chain = '{c}' AND seq = 5"),
                format!("UPDATE audit SET seq = 5 WHERE chain = '{c}' AND seq = 6"),
                format!("UPDATE audit SET seq = 6 WHERE chain = '{c}' AND seq = -5"),
            ],
            Case::Truncated => vec![format!(
                "DELETE FROM audit WHERE chain = '{c}' AND seq = (SELECT MAX(seq) FROM audit WHERE chain = '{c}')"
            )],
            Case::TruncatedWithHead => vec![
                format!("DELETE FROM audit WHERE chain = '{c}' AND seq > {cut}"),
                format!(
                    "UPDATE audit_heads SET seq = {cut}, hash = (SELECT hash FROM audit \
                     WHERE chain = '{c}' AND seq = {cut}) WHERE chain = '{c}'"
                ),
            ],
            Case::ChainDeleted => vec![
                format!("DELETE FROM audit WHERE chain = '{c}'"),
                format!("DELETE FROM audit_heads WHERE chain = '{c}'"),
            ],
            Case::Recomputed => {
                let mut rows: Vec<AuditRow> = store
                    .audit_all()
                    .try_filter(|r| std::future::ready(r.chain == c))
                    .try_collect()
                    .await
                    .unwrap();
                rows[1].new_value = Some("forged".into());
                let mut out = Vec::new();
                for i in 1..rows.len() {
                    rows[i].prev_hash = rows[i - 1].hash.clone();
                    rows[i].hash = rows[i].expected_hash();
                    let r = &rows[i];
                    out.push(format!(
                        "UPDATE audit SET new_value = {}, prev_hash = '{}', hash = '{}' WHERE id = {}",
                        r.new_value
                            .as_deref()
                            .map(|v| format!("'{}'", v.replace('\'', "''")))
                            .unwrap_or("NULL".into()),
                        r.prev_hash,
                        r.hash,
                        r.id
                    ));
                }
                let last = rows.last().unwrap();
                out.push(format!(
                    "UPDATE audit_heads SET hash = '{}' WHERE chain = '{c}'",
                    last.hash
                ));
                out
            }
        }
    }

    /// How the trail departs from the checkpoint, for the cases the chains alone miss.
    fn departure(self, signed: i64) -> Option<Departure> {
        match self {
            Case::TruncatedWithHead => Some(Departure::Shorter { rows: signed - 2 }),
            Case::ChainDeleted => Some(Departure::Missing),
            Case::Recomputed => Some(Departure::Differs {
                seq: signed,
                now: None,
            }),
            _ => None,
        }
    }
}

/// Signs a checkpoint of the trail as it is, as `scitrial audit checkpoint` does.
async fn checkpoint(store: &Store, key: &SecretKey) -> audit::Checkpoint {
    let walk = store.audit_walk(&Default::default()).await.unwrap();
    assert!(matches!(walk.report, AuditReport::Intact { .. }));
    let (body, text) = audit::sign(key, &now(), &walk.heads);
    assert_eq!(audit::open(&text, &key.public()).unwrap(), body);
    body
}

/// The chains' verdict and the checkpoint's findings.
async fn check(store: &Store, signed: &audit::Checkpoint) -> (AuditReport, Vec<audit::Finding>) {
    let walk = store.audit_walk(&audit::positions([signed])).await.unwrap();
    let findings = audit::compare(signed, &walk.chains);
    (walk.report, findings)
}

#[tokio::test]
async fn tampering_behind_the_application_is_detected_with_checkpoints_even_when_the_chains_miss_it(
) {
    let key = SecretKey::from_seed([42; 32]);
    for case in Case::ALL {
        for db in stores().await {
            let store = Backend::open(db).await.unwrap();
            let study = seeded(&store).await;
            let signed = checkpoint(&store, &key).await;
            // Rows appended after the checkpoint verify against it.
            store
                .screen(
                    &Scope::Study(study.clone()),
                    &screening("SYSU3", "T-after", true),
                    &Actor::system(),
                )
                .await
                .unwrap();
            let (report, findings) = check(&store, &signed).await;
            assert!(matches!(report, AuditReport::Intact { .. }), "{report:?}");
            assert_eq!(findings, [], "{case:?}: rows appended since");

            let chain = case.chain(&study);
            let rows = signed
                .chains
                .iter()
                .find(|c| c.chain == chain)
                .map(|c| c.rows)
                .unwrap();
            assert!(
                rows >= 6 || case == Case::ChainDeleted,
                "{chain} has {rows} rows"
            );
            for sql in case.statements(&store, &chain, rows).await {
                tamper(&store, &sql).await;
            }
            let (report, findings) = check(&store, &signed).await;
            // The chains alone: as before checkpoints.
            match (case.without_checkpoints(), &report) {
                (None, AuditReport::Intact { .. }) => {}
                (
                    Some(problem),
                    AuditReport::Tampered {
                        chain: c,
                        problem: p,
                        ..
                    },
                ) => {
                    assert_eq!((c, p), (&chain, &problem), "{case:?}")
                }
                (expected, report) => panic!("{case:?}: expected {expected:?}, got {report:?}"),
            }
            // With the checkpoint, every case is caught, naming the chain.
            let intact = matches!(report, AuditReport::Intact { .. });
            assert!(
                !intact || !findings.is_empty(),
                "{case:?} not detected with the checkpoint"
            );
            if let Some(expected) = case.departure(rows) {
                let found: Vec<_> = findings.iter().filter(|f| f.chain == chain).collect();
                assert_eq!(found.len(), 1, "{case:?}: {findings:?}");
                match (&found[0].departure, &expected) {
                    (Departure::Differs { seq, now }, Departure::Differs { seq: s, .. }) => {
                        assert_eq!(seq, s);
                        assert!(now.is_some(), "{case:?}: the row is there, rewritten");
                    }
                    (got, expected) => assert_eq!(got, expected, "{case:?}"),
                }
            }
        }
    }
}

#[tokio::test]
async fn a_checkpoint_is_recorded_on_the_system_chain_and_queued_to_a_plain_address() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        seeded(&store).await;
        let record = CheckpointRecord {
            file: "checkpoint-20261206T040000Z-1.json".into(),
            key_id: "0011223344556677".into(),
            chains: 3,
            sha256: "ab".repeat(32),
            text: "{\"checkpoint\":{}}\n".into(),
            mail_to: Some("qa@sponsor.example".into()),
        };
        store.record_checkpoint(&record).await.unwrap();
        let rows = store
            .audit_of("audit-checkpoint", &record.file)
            .await
            .unwrap();
        let fields: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| {
                (
                    r.field.as_deref().unwrap_or(""),
                    r.new_value.as_deref().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            fields,
            [
                ("key_id", "0011223344556677"),
                ("chains", "3"),
                ("sha256", record.sha256.as_str())
            ]
        );
        assert!(rows.iter().all(|r| r.chain == "system"));
        let mail = store.outbox("").await.unwrap();
        assert_eq!(mail.len(), 1);
        assert_eq!(mail[0].recipient, "qa@sponsor.example");
        assert_eq!(mail[0].recipient_user_id, None);
        assert!(mail[0].body.contains(&record.text), "{}", mail[0].body);
        assert!(mail[0].subject.contains("0011223344556677"));
        // Without an address, only the record.
        let quiet = CheckpointRecord {
            mail_to: None,
            file: "checkpoint-20261206T050000Z-1.json".into(),
            ..record
        };
        store.record_checkpoint(&quiet).await.unwrap();
        assert_eq!(store.outbox("").await.unwrap().len(), 1);
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditReport::Intact { .. }
        ));
    }
}

#[tokio::test]
async fn the_streamed_rows_are_the_stored_rows_and_a_value_of_another_type_is_reported() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let study = seeded(&store).await;
        // Every row lent by the fast reader (rusqlite on SQLite, binary COPY on PostgreSQL) is
        // the row the store's ordinary query reads, in the same order.
        let stored: Vec<AuditRow> = store.audit_all().try_collect().await.unwrap();
        let lent = store
            .audit_each(Vec::new(), |rows: &mut Vec<AuditRow>, row| {
                rows.push(row.to_row());
                ControlFlow::Continue(())
            })
            .await
            .unwrap();
        assert!(stored.len() > 10, "{} rows", stored.len());
        assert_eq!(lent, stored);
        // The visitor stops the read when it breaks, and its state comes back.
        let first = store
            .audit_each(0usize, |n: &mut usize, _| {
                *n += 1;
                if *n == 3 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            })
            .await
            .unwrap();
        assert_eq!(first, 3);
        if store.dialect() == Dialect::Sqlite {
            // SQLite keeps whatever type is written behind the application's back: a
            // position that is no integer, or a text column holding a number, is reported as
            // tampered with at its row, and the walk does not stop there.
            tamper(
                &store,
                &format!("UPDATE audit SET seq = 'five' WHERE chain = '{study}' AND seq = 5"),
            )
            .await;
            match store.verify_audit().await.unwrap() {
                AuditReport::Tampered { chain, .. } => assert_eq!(chain, study),
                other => panic!("a position that is no integer verified: {other:?}"),
            }
            tamper(
                &store,
                &format!("UPDATE audit SET seq = 5 WHERE chain = '{study}' AND seq = 'five'"),
            )
            .await;
            assert!(matches!(
                store.verify_audit().await.unwrap(),
                AuditReport::Intact { .. }
            ));
            tamper(
                &store,
                &format!("UPDATE audit SET username = 42 WHERE chain = '{study}' AND seq = 3"),
            )
            .await;
            match store.verify_audit().await.unwrap() {
                AuditReport::Tampered { chain, seq, .. } => {
                    assert_eq!((chain.as_str(), seq), (study.as_str(), 3));
                }
                other => panic!("a number where a name was written verified: {other:?}"),
            }
        }
    }
}

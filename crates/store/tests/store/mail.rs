//! Sending the outbox, as the store keeps it: which messages are due, where each goes, and the
//! state each attempt leaves (sent; pending with its error and a later attempt; failed for good
//! after the last), each attempt audited. The SMTP side is tested in `web` against a real server.

use std::time::Duration;

use store::*;
use time::macros::datetime;
use time::OffsetDateTime;
use trial::mail::{Delivery, RetryPolicy};

use crate::common::*;

const NOW: OffsetDateTime = datetime!(2026-12-06 10:00 UTC);

fn policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        first_delay: Duration::from_secs(60),
        max_delay: Duration::from_secs(3600),
    }
}

/// Locks `name`'s account (five failed logins), which queues one e-mail to its owner.
async fn lock(store: &Store, u: &User) {
    for _ in 0..5 {
        let attempt = LoginAttempt {
            username: u.username.clone(),
            user_id: Some(u.id),
            success: false,
            at: "2026-12-06T09:00:00.000000Z".into(),
            from: "192.0.2.7".into(),
        };
        store.record_login(&attempt).await.unwrap();
    }
}

async fn checkpoint(store: &Store, to: &str) {
    let record = CheckpointRecord {
        file: format!("checkpoint-{to}.json"),
        key_id: "0011223344556677".into(),
        chains: 1,
        sha256: "ab".repeat(32),
        text: "{}\n".into(),
        mail_to: Some(to.into()),
    };
    store.record_checkpoint(&record).await.unwrap();
}

#[tokio::test]
async fn the_outbox_is_sent_retried_with_doubling_waits_then_failed_for_good() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let with = user(&store, "with-mail").await;
        let without = user(&store, "no-mail").await;
        store
            .set_user_email(with.id, "with@site.example", &Actor::system())
            .await
            .unwrap();
        lock(&store, &with).await;
        lock(&store, &without).await;
        checkpoint(&store, "qa@sponsor.example").await;

        // Each goes to the account's address, or the plain one; an account with none says so.
        let due = store.mail_due(NOW, 100).await.unwrap();
        let to: Vec<_> = due.iter().map(|m| m.to.clone()).collect();
        assert_eq!(due.len(), 3, "{due:?}");
        assert_eq!(to[0], Ok("with@site.example".to_string()));
        assert!(to[1].as_ref().unwrap_err().contains("no e-mail address"));
        assert_eq!(to[2], Ok("qa@sponsor.example".to_string()));
        assert!(due.iter().all(|m| m.attempts == 0));
        assert_eq!(store.mail_due(NOW, 1).await.unwrap().len(), 1);

        // Sent: no longer due, its state recorded and audited; a second record is refused.
        let sent = store
            .record_mail_attempt(due[0].id, Ok(()), NOW, policy())
            .await
            .unwrap();
        assert_eq!(
            sent,
            Delivery::Sent {
                attempts: 1,
                at: NOW
            }
        );
        let again = store
            .record_mail_attempt(due[0].id, Ok(()), NOW, policy())
            .await
            .unwrap_err();
        assert!(matches!(again, StoreError::Conflict { ref field, .. } if field == "state"));
        let row = &store.account_outbox().await.unwrap()[0];
        assert_eq!(
            (
                row.sent_at.as_deref(),
                row.attempts,
                row.failed_at.as_deref()
            ),
            (Some("2026-12-06T10:00:00.000000Z"), 1, None)
        );

        // A failure leaves it pending with the error, due again only after the wait, which
        // doubles; the last allowed attempt fails it for good.
        let id = due[2].id;
        let mut at = NOW;
        for (n, wait) in [(1u32, 60i64), (2, 120)] {
            let d = store
                .record_mail_attempt(id, Err("550 no such user".into()), at, policy())
                .await
                .unwrap();
            assert!(
                matches!(d, Delivery::Retry { attempts, .. } if attempts == n),
                "{d:?}"
            );
            let row = store.outbox("").await.unwrap().pop().unwrap();
            let next = parse_instant(row.next_attempt_at.as_deref().unwrap()).unwrap();
            assert_eq!(next, at + time::Duration::seconds(wait));
            assert_eq!(row.last_error.as_deref(), Some("550 no such user"));
            assert_eq!((row.sent_at, row.failed_at), (None, None));
            let ids = |m: Vec<MailToSend>| m.iter().map(|m| m.id).collect::<Vec<_>>();
            assert!(!ids(store
                .mail_due(next - Duration::from_secs(1), 9)
                .await
                .unwrap())
            .contains(&id));
            assert!(ids(store.mail_due(next, 9).await.unwrap()).contains(&id));
            at = next;
        }
        let last = store
            .record_mail_attempt(id, Err("connection refused".into()), at, policy())
            .await
            .unwrap();
        assert!(
            matches!(last, Delivery::Failed { attempts: 3, .. }),
            "{last:?}"
        );
        let row = store.outbox("").await.unwrap().pop().unwrap();
        assert_eq!(row.attempts, 3);
        assert_eq!(row.last_error.as_deref(), Some("connection refused"));
        assert!(row.failed_at.is_some() && row.next_attempt_at.is_none());
        let far = at + Duration::from_secs(86_400 * 365);
        let left: Vec<i64> = store
            .mail_due(far, 9)
            .await
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(left, [due[1].id]);

        // Every attempt is in the audit trail: the checkpoint's on the system chain.
        let trail = store.audit_of("outbox", &id.to_string()).await.unwrap();
        let states: Vec<&str> = trail
            .iter()
            .filter(|r| r.field.as_deref() == Some("state"))
            .map(|r| r.new_value.as_deref().unwrap_or(""))
            .collect();
        assert_eq!(states, ["pending", "pending", "failed"]);
        assert!(trail.iter().all(|r| r.chain == "system"));
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditReport::Intact { .. }
        ));
    }
}

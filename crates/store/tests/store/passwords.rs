//! Passwords: changed by their owner (other sessions end), reset by e-mail with a
//! single-use, expiring token kept only as its hash, on both databases.

use store::*;

use crate::common::*;

fn request(username: &str, token: &str, expires_at: &str) -> ResetRequest {
    ResetRequest {
        username: username.into(),
        token_hash: reset_token_hash(token),
        expires_at: expires_at.into(),
        subject: "Reset your password".into(),
        body: format!("Open /password-reset/confirm?token={token}"),
    }
}

async fn session(store: &Store, user: &User, token: &str) {
    let at = store::now();
    store
        .create_session(&Session {
            token_hash: token.into(),
            user_id: user.id,
            csrf_token: "c".into(),
            created_at: at.clone(),
            last_seen: at,
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_password_is_changed_and_reset_once_by_a_token_that_expires() {
    for db in stores().await {
        let store = Backend::open(db).await.unwrap();
        let ann = user(&store, "ann").await;
        store
            .set_user_email(ann.id, "ann@example.org", &Actor::system())
            .await
            .unwrap();
        session(&store, &ann, "s1").await;
        session(&store, &ann, "s2").await;

        // Changed by the owner: the other sessions end, this one stays.
        store
            .set_password(
                ann.id,
                &password::hash("new one"),
                Some("s1"),
                &Actor::user(&ann),
            )
            .await
            .unwrap();
        let ann = store.user(ann.id).await.unwrap().unwrap();
        assert!(password::verify("new one", &ann.password_hash));
        assert!(store.session("s1").await.unwrap().is_some());
        assert!(store.session("s2").await.unwrap().is_none());

        // Unknown accounts get nothing, and nothing is written.
        let later = store::instant(time::OffsetDateTime::now_utc() + time::Duration::hours(1));
        assert!(!store
            .request_password_reset(&request("nobody", "t0", &later))
            .await
            .unwrap());
        // A reset: the link goes to the address; only the hash is kept.
        assert!(store
            .request_password_reset(&request("ann", "t1", &later))
            .await
            .unwrap());
        let outbox = store.account_outbox().await.unwrap();
        let mail = outbox.last().unwrap();
        assert_eq!(mail.recipient, "ann@example.org");
        assert!(mail.body.contains("token=t1"));
        let (kept,): (String,) = sqlx::query_as("SELECT token_hash FROM password_resets")
            .fetch_one(store.raw_pool())
            .await
            .unwrap();
        assert_eq!(kept, reset_token_hash("t1"));
        assert_ne!(kept, "t1");

        // A wrong token is refused; the right one works once and ends every session.
        let refused = store
            .reset_password(&reset_token_hash("wrong"), &password::hash("x"))
            .await
            .unwrap_err();
        assert!(matches!(refused, StoreError::Invalid { ref field, .. } if field == "token"));
        let reset = store
            .reset_password(&reset_token_hash("t1"), &password::hash("reset one"))
            .await
            .unwrap();
        assert!(password::verify("reset one", &reset.password_hash));
        assert!(store.session("s1").await.unwrap().is_none());
        let again = store
            .reset_password(&reset_token_hash("t1"), &password::hash("again"))
            .await
            .unwrap_err();
        assert!(matches!(again, StoreError::Invalid { .. }), "{again}");

        // A newer request uses up the older token; an expired token is refused.
        store
            .request_password_reset(&request("ann", "t2", &later))
            .await
            .unwrap();
        store
            .request_password_reset(&request("ann", "t3", &later))
            .await
            .unwrap();
        assert!(store
            .reset_password(&reset_token_hash("t2"), &password::hash("x"))
            .await
            .is_err());
        let past = store::instant(time::OffsetDateTime::now_utc() - time::Duration::minutes(1));
        store
            .request_password_reset(&request("ann", "t4", &past))
            .await
            .unwrap();
        assert!(store
            .reset_password(&reset_token_hash("t4"), &password::hash("x"))
            .await
            .is_err());

        // A deactivated account gets no reset.
        store
            .set_active(ann.id, false, "left the study", &Actor::system())
            .await
            .unwrap();
        assert!(!store
            .request_password_reset(&request("ann", "t5", &later))
            .await
            .unwrap());

        // Every step is on the audit trail, and the trail verifies.
        let trail = store.audit_of("user", &ann.id.to_string()).await.unwrap();
        for action in ["password-reset-requested", "password-reset"] {
            assert!(trail.iter().any(|r| r.action == action), "{action}");
        }
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditReport::Intact { .. }
        ));
    }
}

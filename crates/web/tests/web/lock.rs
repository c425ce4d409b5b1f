//! The database lock, the study's unblinding and the results over HTTP, on both databases:
//! what blocks the lock is listed per site, the lock is signed (a wrong password refused and
//! recorded), after it every kind of write answers 409 naming the lock, the results are pooled
//! for the blinded roles and by arm for the DSMB, and after the signed unblinding by arm for
//! every role that reads them.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::api::{enrolled, login, screening, spawn};
use crate::common::{databases as fresh, PASSWORD};

/// The 409 of a write to a locked study: the field `study`, a message saying it is locked.
fn assert_locked(what: &str, status: StatusCode, body: &Value) {
    assert_eq!(status, StatusCode::CONFLICT, "{what}: {body}");
    assert_eq!(
        body["error"]["fields"][0]["field"], "study",
        "{what}: {body}"
    );
    assert!(
        body["error"]["fields"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("is locked")),
        "{what}: {body}"
    );
}

#[tokio::test]
async fn lock_unblind_and_the_results_over_http() {
    for db in fresh("scitrial_web_lock").await {
        let app = spawn(db.url()).await;
        let sid = app.study.id.clone();
        let site_a = app.study.sites[0].id.clone();
        let crc = login(&app, "crc").await;
        let inv = login(&app, "inv").await;
        let dm = login(&app, "dm").await;
        let admin = login(&app, "admin").await;
        let dsmb = login(&app, "dsmb").await;
        let crcb = login(&app, "crcb").await;
        let mut ids = Vec::new();
        for i in 0..3 {
            let id = enrolled(
                &crc,
                &sid,
                &site_a,
                &format!("A-{i}"),
                &format!("XS228-00{i}"),
            )
            .await;
            let (status, body) = crc
                .post(
                    &format!("/api/studies/{sid}/participants/{id}/randomisation"),
                    &json!({}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            ids.push(id);
        }
        let lock_path = format!("/api/studies/{sid}/lock");

        // Open: each saved form unsigned blocks; site B's coordinator sees none of site A's.
        let (status, view) = dm.get(&lock_path).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        assert_eq!(view["state"], "open");
        let blockers = view["blockers"].as_array().unwrap();
        assert_eq!(blockers.len(), 3, "{view}");
        assert!(blockers.iter().all(|b| b["kind"] == "unsigned-form"));
        let (_, theirs) = crcb.get(&lock_path).await;
        assert_eq!(theirs["blockers"], json!([]), "{theirs}");
        // Only the data manager locks; a wrong password is refused; blockers refuse it.
        let (status, _) = crc.post(&lock_path, &json!({ "password": PASSWORD })).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, body) = dm.post(&lock_path, &json!({ "password": "wrong" })).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        let (status, body) = dm.post(&lock_path, &json!({})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let (status, body) = dm.post(&lock_path, &json!({ "password": PASSWORD })).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["error"]["fields"][0]["field"], "lock", "{body}");
        assert!(body["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("3 thing(s)"));
        // Before the lock the unblinding is refused.
        let unblinding = format!("/api/studies/{sid}/unblinding");
        let reason = json!({ "reason": "final analysis after the lock", "password": PASSWORD });
        let (status, body) = admin.post(&unblinding, &reason).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");

        // The investigator signs each casebook; then the lock.
        for id in &ids {
            let (status, body) = inv
                .post(
                    &format!("/api/studies/{sid}/participants/{id}/signature"),
                    &json!({ "password": PASSWORD, "meaning": "approved" }),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
        let (status, lock) = dm.post(&lock_path, &json!({ "password": PASSWORD })).await;
        assert_eq!(status, StatusCode::CREATED, "{lock}");
        assert_eq!(lock["locker_name"], "Test dm");
        let (_, view) = inv.get(&lock_path).await;
        assert_eq!(view["state"], "locked", "{view}");

        // Every kind of write is refused.
        let (status, body) = crc
            .post(
                &format!("/api/studies/{sid}/participants"),
                &screening(&site_a, "A-9"),
            )
            .await;
        assert_locked("a screening", status, &body);
        let (status, body) = dm
            .post(
                &format!("/api/studies/{sid}/participants/{}/queries", ids[0]),
                &json!({ "visit_id": "screening", "form_id": "isncsci", "field": "c5RightMotor", "text": "check" }),
            )
            .await;
        assert_locked("a query", status, &body);
        let (status, body) = inv
            .post(
                &format!("/api/studies/{sid}/participants/{}/end", ids[1]),
                &json!({ "status": "withdrawn", "on": "2026-11-01", "reason": "moved away" }),
            )
            .await;
        assert_locked("the end of participation", status, &body);
        let (status, body) = dm
            .post(
                &format!(
                    "/api/studies/{sid}/participants/{}/visits/screening/forms/isncsci/lock",
                    ids[0]
                ),
                &json!({}),
            )
            .await;
        assert_locked("a form's lock", status, &body);
        let (status, body) = dm.post(&lock_path, &json!({ "password": PASSWORD })).await;
        assert_eq!(status, StatusCode::CONFLICT, "a second lock: {body}");

        // The results: pooled for the blinded sponsor, by arm for the DSMB.
        let results = format!("/api/studies/{sid}/results");
        let (status, pooled) = admin.get(&results).await;
        assert_eq!(status, StatusCode::OK, "{pooled}");
        assert_eq!(pooled["by_arm"], false, "{pooled}");
        assert_eq!(pooled["locked"], true);
        let text = pooled.to_string();
        for arm in &app.study.arms {
            assert!(
                !text.contains(&format!("\"{}\"", arm.id)),
                "{}: {text}",
                arm.id
            );
        }
        assert_eq!(pooled["results"]["consort"]["randomised"], 3, "{pooled}");
        assert_eq!(pooled["results"]["consort"]["assessed"], 3, "{pooled}");
        let (status, by_arm) = dsmb.get(&results).await;
        assert_eq!(status, StatusCode::OK, "{by_arm}");
        assert_eq!(by_arm["by_arm"], true, "{by_arm}");
        let (status, _) = crc.get(&results).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // The unblinding: the sponsor administrator's, signed, once.
        let (status, _) = dsmb.post(&unblinding, &reason).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, body) = admin
            .post(
                &unblinding,
                &json!({ "reason": "final", "password": "wrong" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        let (status, body) = admin
            .post(&unblinding, &json!({ "reason": " ", "password": PASSWORD }))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (status, unblinded) = admin.post(&unblinding, &reason).await;
        assert_eq!(status, StatusCode::OK, "{unblinded}");
        assert_eq!(unblinded["unblinder_name"], "Test admin");
        let (status, _) = admin.post(&unblinding, &reason).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (_, after) = admin.get(&results).await;
        assert_eq!(after["by_arm"], true, "{after}");
        assert_eq!(after["unblinded"], true, "{after}");
        let (_, view) = dm.get(&lock_path).await;
        assert_eq!(view["state"], "unblinded", "{view}");
        // Still locked.
        let (status, body) = crc
            .post(
                &format!("/api/studies/{sid}/participants"),
                &screening(&site_a, "A-10"),
            )
            .await;
        assert_locked("a screening after the unblinding", status, &body);
    }
}

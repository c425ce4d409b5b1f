//! The DSMB's part of safety through the API, on both databases (Phase I): DLT candidates and a
//! DLT that names its adverse events; a related grade 4 event fires a stopping rule that holds
//! enrolment and dosing (409 naming the rule) and notifies the sponsor, the DSMB and the
//! safety physician; only a DSMB member's signed decision resumes; the tables by dose level.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::allocation::{enrolled, enrolment, screened, spawn_with};
use crate::common::{self, login, PASSWORD, PHASE1};

/// An adverse event at `grade`, possibly related to the product, beginning on `onset`.
fn event(term: &str, grade: i64, onset: &str) -> Value {
    json!({
        "verbatim": term.to_lowercase(), "term": term, "onset": onset, "grade": grade,
        "causality_product": "possible", "causality_procedure": "not-related",
        "action": "not-applicable", "outcome": "recovering"
    })
}

fn held(status: StatusCode, e: &Value, rule: &str) -> bool {
    status == StatusCode::CONFLICT
        && e["error"]["fields"][0]["field"] == "stopping_rule"
        && e["error"]["message"].as_str().unwrap_or("").contains(rule)
}

#[tokio::test]
async fn a_stopping_rule_holds_dosing_and_enrolment_until_the_dsmb_signs_a_decision() {
    for db in common::databases("scitrial_dsmb_api").await {
        let app = spawn_with(db.url(), PHASE1).await;
        app.store
            .load_terms(&web::demo::demo_terms(), &store::Actor::system())
            .await
            .unwrap();
        let sid = app.study.id.clone();
        let crc = login(&app, "crc").await;
        let inv = login(&app, "inv").await;
        let member = login(&app, "dsmbm").await;
        let p0 = enrolled(&app, &crc, 0, "D0", false).await;
        let p1 = enrolled(&app, &crc, 0, "D1", false).await;
        let dose = |id: i64| format!("/api/studies/{sid}/participants/{id}/dose-level");
        let (status, body) = crc.post(&dose(p0), &json!({})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let events = |id: i64| format!("/api/studies/{sid}/participants/{id}/adverse-events");

        // A grade 3 related event in the window is a DLT candidate; the DLT names it.
        let (status, grade3) = crc
            .post(&events(p0), &event("Meningitis", 3, "2026-10-28"))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{grade3}");
        let (status, candidates) = inv
            .get(&format!(
                "/api/studies/{sid}/participants/{p0}/dlt-candidates"
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "{candidates}");
        assert_eq!(candidates.as_array().unwrap().len(), 1, "{candidates}");
        assert_eq!(candidates[0]["ae_id"], grade3["id"]);
        let dlt = format!("/api/studies/{sid}/participants/{p0}/dlt");
        let body = |ae_ids: Value| {
            json!({ "dlt": true, "onset_on": "2026-10-28", "description": "grade 3 meningitis",
                    "assessed_on": "2026-10-29", "ae_ids": ae_ids, "password": PASSWORD })
        };
        let (status, e) = inv.post(&dlt, &body(json!([]))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["fields"][0]["field"], "ae_ids", "{e}");
        let (status, a) = inv.post(&dlt, &body(json!([grade3["id"]]))).await;
        assert_eq!(status, StatusCode::CREATED, "{a}");
        assert_eq!(a["ae_ids"], json!([grade3["id"]]));
        let (_, cohorts) = crc.get(&format!("/api/studies/{sid}/cohorts")).await;
        assert_eq!(cohorts["levels"][0]["dlts"], 1, "{cohorts}");

        // A related grade 4 event fires the rule in its save.
        let (status, body) = crc
            .post(&events(p0), &event("Fever", 4, "2026-10-30"))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, rules) = crc
            .get(&format!("/api/studies/{sid}/safety/stopping-rules"))
            .await;
        assert_eq!(status, StatusCode::OK, "{rules}");
        assert_eq!(rules["holding"][0]["rule_id"], "related-grade-4", "{rules}");
        for name in ["admin", "sp", "dsmbm", "dsmb"] {
            let (status, notes) = login(&app, name)
                .await
                .get(&format!("/api/studies/{sid}/notifications"))
                .await;
            assert_eq!(status, StatusCode::OK, "{name}: {notes}");
            assert!(
                notes
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|n| n["kind"] == "stopping-rule"),
                "{name}: {notes}"
            );
        }
        let (status, e) = crc.post(&dose(p1), &json!({})).await;
        assert!(held(status, &e, "related-grade-4"), "{status} {e}");
        let fresh = screened(&app, &crc, 0, "D9", false).await;
        let enrol = format!("/api/studies/{sid}/participants/{fresh}/enrolment");
        let (status, e) = crc.post(&enrol, &enrolment("D9")).await;
        assert!(held(status, &e, "related-grade-4"), "{status} {e}");

        // The dashboard says why.
        let (_, page) = crc
            .text("get", &format!("/studies/{sid}"), &Value::Null)
            .await;
        assert!(page.contains("data-holding=\"related-grade-4\""), "{page}");

        // Only a DSMB member decides, with the password; a wrong one is refused and recorded.
        let decisions = format!("/api/studies/{sid}/safety/dsmb-decisions");
        let decision = |outcome: &str, password: &str| {
            json!({ "rule_id": "related-grade-4", "outcome": outcome,
                    "rationale": "reviewed the listings by dose level", "password": password })
        };
        let (status, _) = login(&app, "admin")
            .await
            .post(&decisions, &decision("continue", PASSWORD))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = member
            .post(&decisions, &decision("continue", "wrong"))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            app.store
                .audit_of("dsmb-decision", "related-grade-4")
                .await
                .unwrap()
                .len(),
            1
        );
        let (status, e) = member.post(&decisions, &decision("resume", PASSWORD)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["fields"][0]["field"], "outcome", "{e}");
        let (status, d) = member
            .post(&decisions, &decision("continue", PASSWORD))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{d}");
        assert_eq!(d["signer_name"], "Test dsmbm");
        let (status, listed) = crc.get(&decisions).await;
        assert_eq!(status, StatusCode::OK, "{listed}");
        assert_eq!(listed[0]["outcome"], "continue");

        // Resumed.
        let (status, body) = crc.post(&dose(p1), &json!({})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, body) = crc.post(&enrol, &enrolment("D9")).await;
        assert_eq!(status, StatusCode::OK, "{body}");

        // Open-label: the tables by dose level for everyone who may read them.
        let (status, tables) = crc.get(&format!("/api/studies/{sid}/safety/tables")).await;
        assert_eq!(status, StatusCode::OK, "{tables}");
        assert_eq!(tables["grouping"], "dose-level");
        assert_eq!(tables["groups"][0]["group"], "sad-1", "{tables}");
        assert_eq!(tables["groups"][0]["with_any_ae"], 1, "{tables}");
        assert!(matches!(
            app.store.verify_audit().await.unwrap(),
            store::AuditReport::Intact { .. }
        ));
    }
}

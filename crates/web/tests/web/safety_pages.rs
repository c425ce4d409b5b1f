//! The adverse event pages through the real server, on both databases: the participant's list
//! of events and the link to record one, the event's form in both languages with every key
//! translated and every input labelled, the Sign form offered only to the site's investigator
//! while the event is unsigned, read-only for the monitor, and nothing for those who may not.

use reqwest::StatusCode;
use serde_json::json;

use crate::api::{enrolled, login, spawn};
use crate::common::{self, Client, PASSWORD};

/// The page's text, asserting the status.
async fn page(client: &Client, path: &str, expected: StatusCode) -> String {
    let (status, body) = client.text("get", path, &serde_json::Value::Null).await;
    assert_eq!(status, expected, "{path}: {body}");
    body
}

/// No message key shows as itself (a missing translation renders the key).
fn translated(body: &str) {
    for prefix in ["ae.", "status.", "js.ae_", "p.sign"] {
        let shown = body
            .split('>')
            .any(|piece| piece.trim_start().starts_with(prefix));
        assert!(!shown, "a {prefix}* key shows untranslated: {body}");
    }
}

/// Every input, select and textarea with an id has a label naming it.
fn labelled(body: &str) {
    for piece in body.split("<input").chain(body.split("<select")).skip(1) {
        let tag = piece.split('>').next().unwrap_or_default();
        if tag.contains("type=\"hidden\"") || tag.contains("type=\"checkbox\"") {
            continue;
        }
        if let Some(id) = tag.split("id=\"").nth(1).and_then(|s| s.split('"').next()) {
            assert!(
                body.contains(&format!("<label for=\"{id}\">")),
                "{id} has no label"
            );
        }
    }
}

#[tokio::test]
async fn the_adverse_event_pages_in_both_languages_for_each_role() {
    for db in common::databases("scitrial_safety_pages").await {
        let app = spawn(db.url()).await;
        app.store
            .load_terms(&web::demo::demo_terms(), &store::Actor::system())
            .await
            .unwrap();
        let (sid, site) = (app.study.id.clone(), app.study.sites[0].id.clone());
        let crc = login(&app, "crc").await;
        let id = enrolled(&crc, &sid, &site, "S-1", "XS-1").await;
        let participant = format!("/studies/{sid}/participants/{id}");
        let new = format!("{participant}/adverse-events/new");

        // No event yet: the list says so, and offers the coordinator to record one.
        let body = page(&crc, &participant, StatusCode::OK).await;
        assert!(body.contains("id=\"adverse-events\""), "{body}");
        assert!(body.contains("No adverse event has been recorded."));
        assert!(body.contains(&format!("href=\"{new}\"")), "{body}");

        // The form, in English: the API it saves to, the terms search, every field labelled.
        let body = page(&crc, &new, StatusCode::OK).await;
        assert!(
            body.contains(&format!(
                "data-api=\"/api/studies/{sid}/participants/{id}/adverse-events\""
            )),
            "{body}"
        );
        assert!(body.contains(&format!("data-terms=\"/api/studies/{sid}/terms\"")));
        assert!(body.contains("Causality to the procedure (lumbar puncture)"));
        assert!(body.contains("Required or prolonged hospitalisation"));
        assert!(body.contains("adverse_event.js"));
        assert!(!body.contains("id=\"ae-reason\""), "no reason to record");
        assert!(!body.contains("id=\"ae-sign\""), "nothing to sign yet");
        translated(&body);
        labelled(&body);
        // The script is served.
        let script = body
            .split("src=\"")
            .find_map(|s| {
                s.split('"')
                    .next()
                    .filter(|u| u.ends_with("adverse_event.js"))
            })
            .unwrap()
            .to_string();
        let (status, js) = crc.text("get", &script, &serde_json::Value::Null).await;
        assert_eq!(status, StatusCode::OK);
        assert!(js.contains("data-error-for") || js.contains("showError"));

        // An event recorded (as the page's script does), listed unsigned.
        let (status, ae) = crc
            .post(
                &format!("/api{participant}/adverse-events"),
                &json!({
                    "verbatim": "headache after the puncture", "term": "Headache post lumbar puncture",
                    "onset": "2026-10-25", "grade": 2, "seriousness": [],
                    "causality_product": "unlikely", "causality_procedure": "probable",
                    "action": "dose-not-changed", "outcome": "recovering"
                }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{ae}");
        let ae = ae["id"].as_i64().unwrap();
        let event = format!("{participant}/adverse-events/{ae}");
        let sign = format!("data-post=\"/api{participant}/adverse-events/{ae}/signature\"");
        let body = page(&crc, &participant, StatusCode::OK).await;
        assert!(body.contains(&format!("href=\"{event}\"")), "{body}");
        assert!(body.contains("Not signed") && body.contains("Recovering"));

        // The coordinator edits it (a reason asked), without a Sign form.
        let body = page(&crc, &event, StatusCode::OK).await;
        assert!(
            body.contains("id=\"ae-reason\"") && !body.contains(&sign),
            "{body}"
        );
        assert!(body.contains("value=\"headache after the puncture\""));
        assert!(
            body.contains("<option value=\"probable\" selected>"),
            "{body}"
        );
        // The grade definitions of the chosen term go to the script, and the expectedness is
        // the reference safety information's.
        assert!(body.contains("data-term=\"{"), "{body}");
        assert!(body.contains("Expected: listed in the reference safety information"));
        labelled(&body);

        // The investigator of the site is offered the Sign form, labelled.
        let inv = login(&app, "inv").await;
        let body = page(&inv, &event, StatusCode::OK).await;
        assert!(body.contains(&sign), "{body}");
        assert!(body.contains("<label for=\"ae-password\">"));
        // In Chinese, every key translated.
        inv.text(
            "get",
            &format!("/language/zh?next={event}"),
            &serde_json::Value::Null,
        )
        .await;
        let body = page(&inv, &event, StatusCode::OK).await;
        assert!(body.contains("lang=\"zh-Hans\""), "{body}");
        assert!(body.contains("与操作（腰椎穿刺）的相关性") && body.contains("签署此评估"));
        translated(&body);
        let body = page(&inv, &participant, StatusCode::OK).await;
        assert!(
            body.contains("不良事件") && body.contains("未签名"),
            "{body}"
        );
        translated(&body);

        // Signed: shown, and no Sign form any more.
        let (status, signed) = inv
            .post(
                &format!("/api{participant}/adverse-events/{ae}/signature"),
                &json!({ "password": PASSWORD, "meaning": "approved" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{signed}");
        let body = page(&inv, &event, StatusCode::OK).await;
        assert!(
            !body.contains(&sign) && body.contains("data-ae-signed=\"1\""),
            "{body}"
        );
        let body = page(&crc, &participant, StatusCode::OK).await;
        assert!(body.contains("Signed"), "{body}");

        // The monitor reads it without changing it; no record link for them.
        let mon = login(&app, "mon").await;
        let body = page(&mon, &event, StatusCode::OK).await;
        assert!(body.contains("<fieldset disabled>"), "{body}");
        assert!(!body.contains(&sign));
        let body = page(&mon, &participant, StatusCode::OK).await;
        assert!(!body.contains(&format!("href=\"{new}\"")));
        page(&mon, &new, StatusCode::FORBIDDEN).await;
        // The unblinded pharmacist sees no adverse events; site B does not see the participant.
        let pharm = login(&app, "pharm").await;
        let body = page(&pharm, &participant, StatusCode::OK).await;
        assert!(!body.contains("id=\"adverse-events\""));
        page(&pharm, &event, StatusCode::FORBIDDEN).await;
        let crcb = login(&app, "crcb").await;
        page(&crcb, &event, StatusCode::NOT_FOUND).await;
        page(
            &crc,
            &format!("{participant}/adverse-events/999999"),
            StatusCode::NOT_FOUND,
        )
        .await;
    }
}

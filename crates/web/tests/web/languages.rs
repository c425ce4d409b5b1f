//! The API's refusals in the page's language, on both databases: a page's script sends
//! `X-Scitrial-Lang: zh` and gets the same JSON error shape (status, fields) with Chinese
//! messages; without the header, or with `en`, the answer is the English one, byte for byte;
//! what is not an error is never touched.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::api::{enrolled, login, spawn};
use crate::common::{self, Client};

fn han(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// A POST of `body` with the language header when given: the status and the answer's text.
async fn post(
    client: &Client,
    path: &str,
    body: &Value,
    lang: Option<&str>,
) -> (StatusCode, String) {
    let mut request = client
        .http
        .post(format!("{}{path}", client.base))
        .header("x-csrf-token", &client.csrf)
        .json(body);
    if let Some(lang) = lang {
        request = request.header("x-scitrial-lang", lang);
    }
    let r = request.send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

#[tokio::test]
async fn a_refusal_comes_back_in_the_language_the_page_asks_for() {
    for db in common::databases("scitrial_languages").await {
        let app = spawn(db.url()).await;
        let (sid, site) = (app.study.id.clone(), app.study.sites[0].id.clone());
        let crc = login(&app, "crc").await;
        let id = enrolled(&crc, &sid, &site, "L-1", "XS-L1").await;
        let path = format!("/api/studies/{sid}/participants/{id}/visits/week-12/forms/vital-signs");
        let bad =
            json!({ "values": { "systolic_bp": 400, "diastolic_bp": 80 }, "status": "complete" });

        let (status, english) = post(&crc, &path, &bad, None).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}: {english}",
            db.name()
        );
        let (same, as_en) = post(&crc, &path, &bad, Some("en")).await;
        assert_eq!((same, &as_en), (status, &english), "{}", db.name());

        let (zh_status, chinese) = post(&crc, &path, &bad, Some("zh")).await;
        assert_eq!(zh_status, status, "{}", db.name());
        let en: Value = serde_json::from_str(&english).unwrap();
        let zh: Value = serde_json::from_str(&chinese).unwrap();
        // The same shape: status and the fields at fault, in the same order.
        assert_eq!(zh["error"]["status"], en["error"]["status"]);
        let fields = |v: &Value| -> Vec<Value> {
            v["error"]["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["field"].clone())
                .collect()
        };
        assert_eq!(fields(&zh), fields(&en), "{}", db.name());
        assert!(fields(&en).contains(&json!("values.systolic_bp")));
        // Every message in Chinese, the range and unit kept; the English names them in words.
        for (e, z) in en["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .zip(zh["error"]["fields"].as_array().unwrap())
        {
            let (e, z) = (
                e["message"].as_str().unwrap(),
                z["message"].as_str().unwrap(),
            );
            assert!(!han(e), "{}: {e}", db.name());
            assert!(han(z), "{}: {z} (for {e})", db.name());
        }
        let systolic = zh["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == "values.systolic_bp")
            .unwrap();
        assert_eq!(
            systolic["message"],
            "应为50 至 250 mmHg，实际为 400 mmHg",
            "{}",
            db.name()
        );
        assert!(han(zh["error"]["message"].as_str().unwrap()));

        // Nothing was written by any of the three.
        let (_, forms) = crc
            .get(&format!("/api/studies/{sid}/participants/{id}/forms"))
            .await;
        let vitals = forms
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["visit_id"] == "week-12" && f["form_id"] == "vital-signs")
            .unwrap();
        assert_eq!(vitals["version"], 0, "{}: {vitals}", db.name());
        // A save that is accepted is the same answer whatever the header says.
        let good = json!({ "values": { "systolic_bp": 120, "diastolic_bp": 80, "heart_rate": 70,
            "respiratory_rate": 14, "temperature": "36.6", "spo2": 98 }, "status": "complete" });
        let (status, saved) = post(&crc, &path, &good, Some("zh")).await;
        assert_eq!(status, StatusCode::OK, "{}: {saved}", db.name());
        assert!(!han(&saved), "{}: {saved}", db.name());
    }
}

/// Latin words left in a message (runs of letters with a lower-case one).
fn english_words(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.chars().any(|c| c.is_ascii_lowercase()))
        .collect()
}

#[tokio::test]
async fn the_rules_and_the_store_refuse_in_chinese_to_a_chinese_page() {
    for db in common::databases("scitrial_languages_rules").await {
        let app = spawn(db.url()).await;
        let (sid, site) = (app.study.id.clone(), app.study.sites[0].id.clone());
        let crc = login(&app, "crc").await;
        let id = enrolled(&crc, &sid, &site, "L-2", "XS-L2").await;
        let again = json!({ "subject_id": "XS-L2b", "enrolled_on": "2026-10-21",
            "anchor_date": "2026-10-24" });
        // A rule of `trial` (a second enrolment) and the store's unknown participant.
        for (path, status, expected) in [
            (
                format!("/api/studies/{sid}/participants/{id}/enrolment"),
                StatusCode::CONFLICT,
                "只有筛选中且符合入选条件的受试者才能入组；该受试者当前为已入组",
            ),
            (
                format!("/api/studies/{sid}/participants/987654/enrolment"),
                StatusCode::NOT_FOUND,
                "未找到受试者 987654",
            ),
        ] {
            let (en_status, english) = post(&crc, &path, &again, None).await;
            let (zh_status, chinese) = post(&crc, &path, &again, Some("zh")).await;
            assert_eq!(
                (en_status, zh_status),
                (status, status),
                "{}: {english}",
                db.name()
            );
            let en: Value = serde_json::from_str(&english).unwrap();
            let zh: Value = serde_json::from_str(&chinese).unwrap();
            assert!(!han(&english), "{}: {english}", db.name());
            let mut messages = vec![zh["error"]["message"].as_str().unwrap().to_string()];
            for f in zh["error"]["fields"].as_array().into_iter().flatten() {
                messages.push(f["message"].as_str().unwrap().to_string());
            }
            assert!(
                messages.iter().any(|m| m == expected),
                "{}: {chinese} (English: {english})",
                db.name()
            );
            for m in &messages {
                assert!(han(m), "{}: {m}", db.name());
                assert!(english_words(m).is_empty(), "{}: {m}", db.name());
            }
            assert_eq!(zh["error"]["status"], en["error"]["status"]);
        }
        // Nothing changed: the participant keeps the subject id of its enrolment.
        let (_, p) = crc
            .get(&format!("/api/studies/{sid}/participants/{id}"))
            .await;
        assert_eq!(p["subject_id"], "XS-L2", "{}: {p}", db.name());
    }
}

//! The defects found walking the demo as a new user (issue 16), each through the real server on
//! both databases: a visit date in the future, non-key muscles left "Not entered" stored as `0`,
//! a second emergency unblinding, the randomisation summary naming its study twice, GET
//! operations answering a missing or malformed query parameter outside the JSON error shape,
//! and the missing favicon.

use reqwest::header::CONTENT_TYPE;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::allocation::{enrolled, spawn_with};
use crate::common::{self, login, with_list, Client, Databases, PASSWORD, PHASE2};

async fn databases() -> Databases {
    common::databases("scitrial_defects").await
}

#[tokio::test]
async fn a_visit_date_in_the_future_is_refused_naming_the_field() {
    for db in databases().await {
        let app = with_list(spawn_with(db.url(), PHASE2).await).await;
        let crc = login(&app, "crc").await;
        let id = enrolled(&app, &crc, 0, "F-1", false).await;
        let sid = &app.study.id;
        let visit = format!("/api/studies/{sid}/participants/{id}/visits/week-2");
        let next_year = time::OffsetDateTime::now_utc().date() + time::Duration::days(365);
        let (status, e) = crc
            .post(&visit, &json!({ "done_on": store::date(next_year) }))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["fields"][0]["field"], "done_on", "{e}");
        assert!(
            e["error"]["fields"][0]["message"]
                .as_str()
                .unwrap()
                .contains("future"),
            "{e}"
        );
        // Nothing written: the visit is still to be done, and a past date is taken.
        let (_, p) = crc
            .get(&format!("/api/studies/{sid}/participants/{id}"))
            .await;
        let week2 = p["visits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["visit_id"] == "week-2")
            .unwrap_or_else(|| panic!("{p}"));
        assert!(week2["done_on"].is_null(), "{week2}");
        let (status, p) = crc.post(&visit, &json!({ "done_on": "2026-11-06" })).await;
        assert_eq!(status, StatusCode::OK, "{p}");
    }
}

#[tokio::test]
async fn non_key_muscles_not_entered_are_stored_as_absent() {
    for db in databases().await {
        let app = with_list(spawn_with(db.url(), PHASE2).await).await;
        let crc = login(&app, "crc").await;
        let id = enrolled(&app, &crc, 0, "N-1", false).await;
        let sid = &app.study.id;
        let mut values = crate::allocation::exam(false);
        const RIGHT: &str = "rightLowestNonKeyMuscleWithMotorFunction";
        const LEFT: &str = "leftLowestNonKeyMuscleWithMotorFunction";
        // The worksheet sends no value for a box left at "Not entered".
        values.remove(RIGHT);
        values.remove(LEFT);
        let form = format!("/api/studies/{sid}/participants/{id}/visits/week-12/forms/isncsci");
        let (status, saved) = crc
            .post(&form, &json!({ "values": values, "status": "complete" }))
            .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        let exam = &saved["data"]["exam"];
        assert!(exam.get(RIGHT).is_none(), "{exam}");
        assert!(exam.get(LEFT).is_none(), "{exam}");
        assert_eq!(exam["c5RightMotor"], "5", "{exam}");
        // "None" (0) and a level are kept as entered; an empty value is not entered.
        values.insert(RIGHT.into(), json!("0"));
        values.insert(LEFT.into(), json!("C8"));
        let (status, saved) = crc
            .post(
                &form,
                &json!({ "values": values, "status": "complete", "reason": "non-key muscles examined" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        assert_eq!(saved["data"]["exam"][RIGHT], "0", "{saved}");
        assert_eq!(saved["data"]["exam"][LEFT], "C8", "{saved}");
        values.insert(LEFT.into(), json!(""));
        let (status, saved) = crc
            .post(
                &form,
                &json!({ "values": values, "status": "complete", "reason": "left not examined" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        assert!(saved["data"]["exam"].get(LEFT).is_none(), "{saved}");
        // As listed among the participant's forms too.
        let (_, forms) = crc
            .get(&format!("/api/studies/{sid}/participants/{id}/forms"))
            .await;
        let listed = forms
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["visit_id"] == "week-12" && f["form_id"] == "isncsci")
            .unwrap();
        assert_eq!(listed["data"]["exam"][RIGHT], "0", "{listed}");
        assert!(listed["data"]["exam"].get(LEFT).is_none(), "{listed}");
    }
}

#[tokio::test]
async fn a_second_emergency_unblinding_is_refused_and_notifies_no_one() {
    for db in databases().await {
        let app = with_list(spawn_with(db.url(), PHASE2).await).await;
        let crc = login(&app, "crc").await;
        let id = enrolled(&app, &crc, 0, "U-1", false).await;
        let sid = &app.study.id;
        let (status, a) = crc
            .post(
                &format!("/api/studies/{sid}/participants/{id}/randomisation"),
                &json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{a}");
        let inv = login(&app, "inv").await;
        let path = format!("/api/studies/{sid}/participants/{id}/unblinding");
        let body = json!({ "reason": "anaphylaxis: the treating physician must know", "password": PASSWORD });
        let (status, first) = inv.post(&path, &body).await;
        assert_eq!(status, StatusCode::OK, "{first}");
        let admin = login(&app, "admin").await;
        let notes = format!("/api/studies/{sid}/notifications");
        assert_eq!(admin.get(&notes).await.1.as_array().unwrap().len(), 1);
        let trail_before = allocation_trail(&admin, sid, id).await;
        let outbox_before = app.store.outbox(sid).await.unwrap().len();

        let (status, e) = inv.post(&path, &body).await;
        assert_eq!(status, StatusCode::CONFLICT, "{e}");
        assert_eq!(e["error"]["fields"][0]["field"], "participant", "{e}");
        assert!(
            e["error"]["message"]
                .as_str()
                .unwrap()
                .contains(&format!("participant {id}")),
            "{e}"
        );
        assert!(
            e.get("arm_id").is_none() && !e.to_string().contains("arm"),
            "{e}"
        );
        assert_eq!(admin.get(&notes).await.1.as_array().unwrap().len(), 1);
        assert_eq!(app.store.outbox(sid).await.unwrap().len(), outbox_before);
        assert_eq!(allocation_trail(&admin, sid, id).await, trail_before);
        let (_, list) = admin
            .get(&format!("/api/studies/{sid}/randomisation"))
            .await;
        assert_eq!(list["unblinded"], 1, "{list}");
    }
}

/// The audit rows of a participant's allocation, as the API gives them.
async fn allocation_trail(client: &Client, study: &str, id: i64) -> Value {
    let (status, rows) = client
        .get(&format!(
            "/api/studies/{study}/audit?entity=allocation&record={id}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{rows}");
    rows
}

#[tokio::test]
async fn the_randomisation_summary_names_its_study_once() {
    for db in databases().await {
        let app = spawn_with(db.url(), PHASE2).await;
        let sid = app.study.id.clone();
        let path = format!("/api/studies/{sid}/randomisation");
        for who in ["crc", "dsmb"] {
            let client = login(&app, who).await;
            let (status, text) = client.text("get", &path, &Value::Null).await;
            assert_eq!(status, StatusCode::OK, "{text}");
            assert_eq!(text.matches("\"study_id\"").count(), 1, "{text}");
        }
        let app = with_list(app).await;
        for who in ["crc", "dsmb"] {
            let client = login(&app, who).await;
            let (status, text) = client.text("get", &path, &Value::Null).await;
            assert_eq!(status, StatusCode::OK, "{text}");
            assert_eq!(text.matches("\"study_id\"").count(), 1, "{text}");
            let summary: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(summary["study_id"], sid.as_str());
            assert_eq!(summary["generated"], true);
            assert_eq!(summary["method"], "permuted-blocks", "{summary}");
        }
        // The document describes the summary without a second study.
        let crc = login(&app, "crc").await;
        let doc = crc.get("/api/openapi.json").await.1;
        let text = doc["components"]["schemas"].to_string();
        assert!(text.contains("ListView"), "{text}");
        let fields = &doc["components"]["schemas"]["ListFields"]["properties"];
        assert!(fields.get("study_id").is_none(), "{fields}");
        assert!(fields.get("method").is_some(), "{fields}");
    }
}

/// Asserts that an answer is the JSON error shape with a 4xx status; gives the error.
async fn json_error(what: &str, r: reqwest::Response) -> Value {
    let status = r.status();
    let content_type = r
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = r.text().await.unwrap();
    assert!(status.is_client_error(), "{what}: {status} {text}");
    assert!(
        content_type.starts_with("application/json"),
        "{what}: {content_type} {text}"
    );
    let e: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{what}: {text}"));
    assert_eq!(e["error"]["status"], status.as_u16(), "{what}: {e}");
    assert!(e["error"]["message"].is_string(), "{what}: {e}");
    assert!(e["error"]["fields"].is_array(), "{what}: {e}");
    e
}

/// The fields an error names.
fn named(e: &Value) -> Vec<String> {
    e["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["field"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn every_get_operation_answers_a_bad_query_string_in_the_json_error_shape() {
    for db in databases().await {
        let app = with_list(spawn_with(db.url(), PHASE2).await).await;
        let sid = app.study.id.clone();
        let admin = login(&app, "admin").await;
        let crc = login(&app, "crc").await;
        let id = enrolled(&app, &crc, 0, "Q-1", false).await;
        let doc = admin.get("/api/openapi.json").await.1;
        let mut checked = 0;
        for (path, methods) in doc["paths"].as_object().unwrap() {
            let Some(op) = methods.get("get") else {
                continue;
            };
            let url = format!(
                "{}{}",
                app.base,
                path.replace("{study}", &sid)
                    .replace("{id}", &id.to_string())
                    .replace("{visit}", "week-12")
                    .replace("{form}", "isncsci")
                    .replace("{query}", "1")
                    .replace("{ae}", "1")
            );
            let params: Vec<&Value> = op["parameters"]
                .as_array()
                .map(|p| p.iter().filter(|p| p["in"] == "query").collect())
                .unwrap_or_default();
            if params.is_empty() {
                continue;
            }
            let what = format!("GET {path}");
            // Every required parameter missing: 400 naming one of them.
            let required: Vec<String> = params
                .iter()
                .filter(|p| p["required"] == true)
                .map(|p| p["name"].as_str().unwrap().to_string())
                .collect();
            if !required.is_empty() {
                let e = json_error(&what, admin.http.get(&url).send().await.unwrap()).await;
                assert_eq!(e["error"]["status"], 400, "{what}: {e}");
                assert!(
                    named(&e).iter().any(|f| required.contains(f)),
                    "{what} names none of {required:?}: {e}"
                );
                checked += 1;
            }
            // Each parameter with a value of the wrong type, or cut with a NUL character: a
            // 4xx naming it.
            for p in &params {
                let name = p["name"].as_str().unwrap();
                let kind = p["schema"]["type"].as_str().unwrap_or("string");
                let bad = match kind {
                    "integer" | "number" | "boolean" => "not-a-value",
                    _ => "x%00y",
                };
                let mut query: Vec<String> = required
                    .iter()
                    .filter(|r| r.as_str() != name)
                    .map(|r| format!("{r}=participant"))
                    .collect();
                query.push(format!("{name}={bad}"));
                let r = admin
                    .http
                    .get(format!("{url}?{}", query.join("&")))
                    .send()
                    .await
                    .unwrap();
                let e = json_error(&format!("{what} ?{name}={bad}"), r).await;
                assert!(
                    named(&e).iter().any(|f| f == name),
                    "{what} ?{name}={bad} does not name {name}: {e}"
                );
                checked += 1;
            }
            // An unknown parameter: the JSON shape if refused.
            let r = admin
                .http
                .get(format!("{url}?no_such_parameter=1"))
                .send()
                .await
                .unwrap();
            if !r.status().is_success() {
                json_error(&format!("{what} ?no_such_parameter"), r).await;
            }
        }
        assert!(checked >= 5, "only {checked} checks");
        // The audit trail without its parameters, the case found on the walk.
        let r = admin
            .http
            .get(format!("{}/api/studies/{sid}/audit", app.base))
            .send()
            .await
            .unwrap();
        let e = json_error("GET audit", r).await;
        assert_eq!(named(&e), ["entity"], "{e}");
    }
}

#[tokio::test]
async fn every_page_links_a_favicon_that_is_served() {
    for db in databases().await {
        let app = spawn_with(db.url(), PHASE2).await;
        let http = reqwest::Client::new();
        let r = http
            .get(format!("{}/favicon.ico", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[CONTENT_TYPE], "image/svg+xml");
        let icon = r.text().await.unwrap();
        assert!(icon.starts_with("<svg"), "{icon}");
        // Signed out (the login page) and signed in (the dashboard, a participant list).
        let crc = login(&app, "crc").await;
        let sid = &app.study.id;
        let login_page = http
            .get(format!("{}/login", app.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let (_, dashboard) = crc.text("get", "/dashboard", &Value::Null).await;
        let (_, list) = crc
            .text("get", &format!("/studies/{sid}/participants"), &Value::Null)
            .await;
        for page in [login_page, dashboard, list] {
            let link = page
                .split("<link rel=\"icon\"")
                .nth(1)
                .unwrap_or_else(|| panic!("no icon link: {page}"));
            let href = link
                .split("href=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            let r = http
                .get(format!("{}{href}", app.base))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{href}");
            assert_eq!(r.headers()[CONTENT_TYPE], "image/svg+xml");
            assert_eq!(r.text().await.unwrap(), icon);
        }
    }
}

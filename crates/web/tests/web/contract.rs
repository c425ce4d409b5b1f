//! The API's contract: every rejection is the JSON error shape, naming the field at fault (a
//! body too large, a query string missing or of the wrong type, a body that is not JSON, a value
//! of the wrong type, a missing field, a word not allowed, a body not declared JSON, an unknown
//! route, a method the path does not have); and the OpenAPI document says what the server does
//! (schemas for every body and answer, the public operations public). On both databases.

use reqwest::header::{ALLOW, CONTENT_TYPE};
use reqwest::StatusCode;
use serde_json::{json, Value};
use trial::Role;

use crate::common::{self, login, plain_name, Client, Databases, TestApp, PHASE2};

async fn databases() -> Databases {
    common::databases("scitrial_contract").await
}

const PEOPLE: &[common::Person] = &[("crc", Role::Crc, Some(0)), ("mon", Role::Monitor, Some(0))];

async fn spawn(url: &str) -> TestApp {
    common::spawn_with(url, PHASE2, PEOPLE, plain_name).await
}

/// Sends a request; asserts that the answer is the JSON error shape with `status`; gives the
/// error and the answer's headers.
async fn error_of(
    request: reqwest::RequestBuilder,
    status: StatusCode,
) -> (Value, reqwest::header::HeaderMap) {
    let r = request.send().await.unwrap();
    assert_eq!(r.status(), status);
    let headers = r.headers().clone();
    let content_type = headers
        .get(CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string());
    let text = r.text().await.unwrap();
    assert_eq!(
        content_type.as_deref(),
        Some("application/json"),
        "not JSON: {text}"
    );
    let error: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(error["error"]["status"], status.as_u16(), "{error}");
    assert!(error["error"]["message"].is_string(), "{error}");
    assert!(error["error"]["fields"].is_array(), "{error}");
    (error, headers)
}

/// The fields an error names.
fn fields(error: &Value) -> Vec<String> {
    error["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect()
}

fn post_json(crc: &Client, path: &str, body: impl Into<reqwest::Body>) -> reqwest::RequestBuilder {
    crc.http
        .post(format!("{}{path}", crc.base))
        .header("x-csrf-token", &crc.csrf)
        .header(CONTENT_TYPE, "application/json")
        .body(body)
}

#[tokio::test]
async fn every_rejection_is_the_json_error_shape_naming_the_field() {
    for db in databases().await {
        let app = spawn(db.url()).await;
        let sid = app.study.id.clone();
        let crc = login(&app, "crc").await;
        let screen = format!("/api/studies/{sid}/participants");

        // A body over the limit: 413, not a text/plain answer.
        let big = vec![b' '; 20 * 1024 * 1024];
        let (e, _) = error_of(post_json(&crc, &screen, big), StatusCode::PAYLOAD_TOO_LARGE).await;
        assert!(
            e["error"]["message"]
                .as_str()
                .unwrap()
                .contains("too large"),
            "{e}"
        );

        // Not JSON at all: 400 naming the body.
        let (e, _) = error_of(
            post_json(&crc, &screen, "{not json"),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(fields(&e), ["body"], "{e}");

        // A wrong type at the top level names the member.
        let (e, _) = error_of(
            post_json(&crc, &screen, json!({ "sex": 5 }).to_string()),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(fields(&e), ["sex"], "{e}");
        assert!(
            e["error"]["fields"][0]["message"]
                .as_str()
                .unwrap()
                .contains("expected a string"),
            "{e}"
        );

        // A wrong type one level down, and a value no variant of the seed takes.
        let (e, _) = error_of(
            post_json(
                &crc,
                &screen,
                json!({ "site_id": "A", "screening_number": "S-1", "sex": "male",
                        "date_of_birth": "1980-01-01", "injury_date": "2026-10-01",
                        "consent_date": "2026-10-02", "screening_date": "2026-10-03",
                        "exam": ["c5RightMotor"] })
                .to_string(),
            ),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(fields(&e), ["exam"], "{e}");

        // A missing member is named beneath the object that lacks it.
        let (e, _) = error_of(
            post_json(&crc, &screen, json!({ "site_id": "A" }).to_string()),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(fields(&e), ["screening_number"], "{e}");

        // An unknown member is named.
        let (e, _) = error_of(
            post_json(&crc, &screen, json!({ "colour": "blue" }).to_string()),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(fields(&e), ["colour"], "{e}");

        // A body not declared JSON: 415.
        let r = crc
            .http
            .post(format!("{}{screen}", crc.base))
            .header("x-csrf-token", &crc.csrf)
            .header(CONTENT_TYPE, "text/plain")
            .body(json!({ "sex": "male" }).to_string());
        error_of(r, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;

        // A query string without a required parameter, or with one of the wrong type: 400
        // naming the parameter.
        let audit = format!("{}/api/studies/{sid}/audit", crc.base);
        let (e, _) = error_of(crc.http.get(&audit), StatusCode::BAD_REQUEST).await;
        assert_eq!(fields(&e), ["entity"], "{e}");
        let (e, _) = error_of(
            crc.http.get(format!("{audit}?entity=participant")),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(fields(&e), ["record"], "{e}");
        let queries = format!("{}/api/studies/{sid}/queries", crc.base);
        let (e, _) = error_of(
            crc.http.get(format!("{queries}?participant=abc")),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(fields(&e), ["participant"], "{e}");

        // A word not allowed names the allowed ones.
        let (e, _) = error_of(
            crc.http.get(format!("{queries}?status=pending")),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(fields(&e), ["status"], "{e}");
        let message = e["error"]["fields"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("open") && message.contains("answered") && message.contains("closed"),
            "{e}"
        );

        // An unknown route under /api, a method the path does not have.
        error_of(
            crc.http.get(format!("{}/api/nowhere", crc.base)),
            StatusCode::NOT_FOUND,
        )
        .await;
        let (e, headers) = error_of(
            crc.http
                .delete(format!("{}/api/studies", crc.base))
                .header("x-csrf-token", &crc.csrf),
            StatusCode::METHOD_NOT_ALLOWED,
        )
        .await;
        assert!(headers.get(ALLOW).is_some(), "{e}");
        assert!(
            e["error"]["message"].as_str().unwrap().contains("GET"),
            "{e}"
        );
        // A NUL character, which PostgreSQL does not store in text: refused naming the field,
        // in a body, a query string, the login; a path with one names nothing. Never a 500.
        let (e, _) = error_of(
            post_json(
                &crc,
                &screen,
                json!({ "site_id": "A", "screening_number": "S\u{0}1", "sex": "male",
                        "date_of_birth": "1980-01-01", "injury_date": "2026-10-01",
                        "consent_date": "2026-10-02", "screening_date": "2026-10-03",
                        "exam": {} })
                .to_string(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(fields(&e), ["screening_number"], "{e}");
        let (e, _) = error_of(
            crc.http.get(format!(
                "{audit}?entity=participant%00&record=999999999999999999999"
            )),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(fields(&e), ["entity"], "{e}");
        let (e, _) = error_of(
            crc.http
                .post(format!("{}/api/login", crc.base))
                .json(&json!({ "username": "crc\u{0}", "password": "x" })),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(fields(&e), ["username"], "{e}");
        error_of(
            crc.http
                .post(format!(
                    "{}{screen}/1/visits/base%00line/forms/isncsci/verification",
                    crc.base
                ))
                .header("x-csrf-token", &crc.csrf),
            StatusCode::NOT_FOUND,
        )
        .await;
        // A participant path that is not a participant's stays a JSON 404.
        error_of(
            crc.http.get(format!("{}{screen}/abc/forms", crc.base)),
            StatusCode::NOT_FOUND,
        )
        .await;
    }
}

/// A schema by `$ref`, or the schema itself.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
        None => schema,
    }
}

#[tokio::test]
async fn the_document_gives_every_body_and_answer_its_schema_and_the_public_operations_none() {
    let Some(db) = databases().await.next() else {
        return;
    };
    let app = spawn(db.url()).await;
    // Read without a session: the document is public.
    let doc: Value = reqwest::get(format!("{}/api/openapi.json", app.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for (path, methods) in doc["paths"].as_object().unwrap() {
        for (method, op) in methods.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap();
            if let Some(body) = op.get("requestBody") {
                let schema = resolve(&doc, &body["content"]["application/json"]["schema"]);
                assert!(
                    schema["properties"].is_object() || schema["additionalProperties"] == false,
                    "{method} {path}: a body without its fields: {schema}"
                );
            }
            let ok = op["responses"]
                .as_object()
                .unwrap()
                .iter()
                .find(|(status, _)| status.starts_with('2'))
                .unwrap_or_else(|| panic!("{id}: no success answer"));
            assert!(ok.1["content"].is_object(), "{id}: no schema of its answer");
            for range in ["4XX", "5XX"] {
                assert_eq!(
                    op["responses"][range]["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody",
                    "{id}"
                );
            }
            let security = &op["security"];
            match id {
                "healthz" | "openapi" | "login" | "requestPasswordReset" | "resetPassword" => {
                    assert_eq!(security, &json!([]), "{id}")
                }
                _ if method == "get" => assert_eq!(security, &json!([{ "session": [] }]), "{id}"),
                _ => assert_eq!(security, &json!([{ "session": [], "csrf": [] }]), "{id}"),
            }
            for p in op["parameters"].as_array().unwrap() {
                if p["in"] == "path" && ["id", "query"].contains(&p["name"].as_str().unwrap()) {
                    assert_eq!(p["schema"]["type"], "integer", "{id}");
                }
            }
        }
    }
    // The state words are string enums; dates and instants have their formats.
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["ParticipantStatus"]["enum"]
            .as_array()
            .unwrap()
            .len(),
        trial::ParticipantStatus::ALL.len()
    );
    assert_eq!(schemas["Role"]["type"], "string");
    assert!(schemas["Role"]["enum"]
        .as_array()
        .unwrap()
        .contains(&json!("unblinded_pharmacist")));
    assert_eq!(
        schemas["Participant"]["properties"]["date_of_birth"]["format"],
        "date"
    );
    assert_eq!(
        schemas["Participant"]["properties"]["created_at"]["format"],
        "date-time"
    );
    assert!(schemas["ScreeningInput"]["required"]
        .as_array()
        .unwrap()
        .contains(&json!("exam")));
    assert!(schemas["FlatExam"]["properties"]["c5RightMotor"]["enum"]
        .as_array()
        .unwrap()
        .contains(&json!("4**")));
    // `/healthz` answers without a session.
    let r = reqwest::get(format!("{}/healthz", app.base)).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

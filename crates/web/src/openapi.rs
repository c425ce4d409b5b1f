//! The OpenAPI 3 document of the API, written by hand next to the router: every operation has
//! an `operationId`. A test walks the document and calls every operation.

use axum::Json;
use serde_json::{json, Value};

/// One operation: method, path, operationId, summary, whether it takes a JSON body.
pub const OPERATIONS: &[(&str, &str, &str, &str, bool)] = &[
    (
        "get",
        "/healthz",
        "healthz",
        "Whether the server and its database answer",
        false,
    ),
    (
        "get",
        "/api/openapi.json",
        "openapi",
        "This document",
        false,
    ),
    (
        "post",
        "/api/login",
        "login",
        "Sign in; sets the session cookie and returns the CSRF token",
        true,
    ),
    ("post", "/api/logout", "logout", "Sign out", false),
    (
        "get",
        "/api/me",
        "me",
        "The signed-in user, roles and CSRF token",
        false,
    ),
    (
        "get",
        "/api/studies",
        "listStudies",
        "The studies the caller has a role in",
        false,
    ),
    (
        "post",
        "/api/isncsci/classify",
        "classifyExam",
        "Classify an ISNCSCI exam in the flat layout (c5RightMotor, …); nothing is saved",
        true,
    ),
    (
        "get",
        "/api/studies/{study}/participants",
        "listParticipants",
        "Participants in the caller's scope",
        false,
    ),
    (
        "post",
        "/api/studies/{study}/participants",
        "screenParticipant",
        "Screen a participant with the screening ISNCSCI exam; eligibility is computed",
        true,
    ),
    (
        "get",
        "/api/studies/{study}/participants/{id}",
        "getParticipant",
        "A participant with visits (window status) and exams",
        false,
    ),
    (
        "post",
        "/api/studies/{study}/participants/{id}/enrolment",
        "enrolParticipant",
        "Enrol an eligible participant and plan the visits",
        true,
    ),
    (
        "post",
        "/api/studies/{study}/participants/{id}/end",
        "endParticipation",
        "Withdraw or complete a participant, with the reason",
        true,
    ),
    (
        "post",
        "/api/studies/{study}/participants/{id}/corrections",
        "correctParticipant",
        "Change saved data, with the reason",
        true,
    ),
    (
        "post",
        "/api/studies/{study}/participants/{id}/visits/{visit}",
        "recordVisit",
        "Record the date a visit took place",
        true,
    ),
    (
        "post",
        "/api/studies/{study}/participants/{id}/visits/{visit}/forms/{form}",
        "saveForm",
        "Save a visit's form (eCRF), validated and scored; a change needs a reason",
        true,
    ),
    (
        "get",
        "/api/studies/{study}/participants/{id}/forms",
        "listForms",
        "Every form of a participant's visit plan, each with its state (not-started, in-progress, complete, source-verified, signed, locked)",
        false,
    ),
    (
        "post",
        "/api/studies/{study}/participants/{id}/visits/{visit}/forms/{form}/verification",
        "verifyForm",
        "Source-verify a complete form (monitor); a later change clears it",
        false,
    ),
    (
        "post",
        "/api/studies/{study}/participants/{id}/visits/{visit}/signature",
        "signVisit",
        "Sign a visit (investigator): re-enter the password and give the meaning (authored, reviewed, approved)",
        true,
    ),
    (
        "post",
        "/api/studies/{study}/participants/{id}/signature",
        "signCasebook",
        "Sign the whole casebook (investigator): every saved form of every visit, complete; re-enter the password and give the meaning. Any later change voids it",
        true,
    ),
    (
        "get",
        "/api/studies/{study}/participants/{id}/signatures",
        "listSignatures",
        "A participant's signatures: printed name, UTC time, meaning, hash of the data signed, and whether still valid (void with the change that voided it)",
        false,
    ),
    (
        "post",
        "/api/studies/{study}/participants/{id}/visits/{visit}/forms/{form}/lock",
        "lockForm",
        "Lock a form (data manager): it refuses changes until unlocked",
        false,
    ),
    (
        "post",
        "/api/studies/{study}/participants/{id}/visits/{visit}/forms/{form}/unlock",
        "unlockForm",
        "Unlock a form (data manager), with the reason",
        true,
    ),
    (
        "post",
        "/api/studies/{study}/participants/{id}/queries",
        "raiseQuery",
        "Raise a query on a field of a visit's form (monitor, data manager)",
        true,
    ),
    (
        "get",
        "/api/studies/{study}/queries",
        "listQueries",
        "The queries of the caller's sites (query: status, participant)",
        false,
    ),
    (
        "post",
        "/api/studies/{study}/queries/{query}/answer",
        "answerQuery",
        "The site answers a query",
        true,
    ),
    (
        "post",
        "/api/studies/{study}/queries/{query}/close",
        "closeQuery",
        "Close a query (whoever raised it)",
        false,
    ),
    (
        "post",
        "/api/studies/{study}/queries/{query}/reopen",
        "reopenQuery",
        "Re-open a query with a new question (whoever raised it)",
        true,
    ),
    (
        "get",
        "/api/studies/{study}/audit",
        "getAuditTrail",
        "The audit trail of one record (query: entity, record)",
        false,
    ),
    (
        "get",
        "/api/audit.csv",
        "exportAuditTrail",
        "The whole audit trail as CSV, streamed",
        false,
    ),
    (
        "get",
        "/api/users",
        "listUsers",
        "Accounts (sponsor administrator)",
        false,
    ),
    (
        "post",
        "/api/users",
        "createUser",
        "Create an account (sponsor administrator)",
        true,
    ),
    (
        "post",
        "/api/users/{id}/roles",
        "assignRole",
        "Give a role in a study, at a site for site roles",
        true,
    ),
    (
        "post",
        "/api/users/{id}/roles/removal",
        "removeRole",
        "Take a role away, with the reason",
        true,
    ),
    (
        "post",
        "/api/users/{id}/state",
        "setAccountState",
        "Deactivate or reactivate an account, with the reason",
        true,
    ),
    // Allocation (crates/web/src/allocation.rs).
    (
        "get",
        "/api/studies/{study}/randomisation",
        "getRandomisation",
        "Whether the list exists; randomised, dispensed, unblinded counts (per arm for unblinded roles)",
        false,
    ),
    (
        "post",
        "/api/studies/{study}/randomisation",
        "generateRandomisation",
        "Generate the concealed list and kit list from a recorded seed, before the first enrolment (unblinded statistician)",
        true,
    ),
    (
        "post",
        "/api/studies/{study}/participants/{id}/randomisation",
        "randomiseParticipant",
        "Randomise an eligible, enrolled participant, exactly once; blinded callers get the kit, not the arm",
        true,
    ),
    (
        "get",
        "/api/studies/{study}/kits",
        "listKits",
        "Kits to prepare: each allocation's kit and arm, and dispensing (unblinded pharmacist)",
        false,
    ),
    (
        "post",
        "/api/studies/{study}/participants/{id}/dispensing",
        "dispenseKit",
        "Record that the participant's kit was dispensed (unblinded pharmacist)",
        true,
    ),
    (
        "post",
        "/api/studies/{study}/participants/{id}/unblinding",
        "emergencyUnblind",
        "Emergency unblinding of one participant by an investigator of its site, with reason and password",
        true,
    ),
    (
        "get",
        "/api/studies/{study}/notifications",
        "listNotifications",
        "Notifications for the caller's roles (emergency unblindings for sponsor and DSMB), each with when the caller acknowledged it",
        false,
    ),
    (
        "post",
        "/api/studies/{study}/notifications/{id}/read",
        "acknowledgeNotification",
        "Acknowledges a notification addressed to one of the caller's roles (audited once)",
        false,
    ),
    // Dose escalation (crates/web/src/escalation.rs).
    (
        "get",
        "/api/studies/{study}/cohorts",
        "getCohorts",
        "Dose levels with their participants, DLTs and the 3+3 decision; the level enrolling now; the MTD",
        false,
    ),
    (
        "post",
        "/api/studies/{study}/participants/{id}/dose-level",
        "assignDoseLevel",
        "Give an enrolled participant the dose level the 3+3 rule enrols at now (any other is refused)",
        true,
    ),
    (
        "post",
        "/api/studies/{study}/participants/{id}/dose-level/override",
        "overrideDoseLevel",
        "Sponsor override of the 3+3 rule: level, reason and password (signature); audited",
        true,
    ),
    (
        "post",
        "/api/studies/{study}/participants/{id}/dlt",
        "recordDltAssessment",
        "The investigator's signed DLT assessment (password), within the DLT window",
        true,
    ),
];

/// The document.
pub fn build() -> Value {
    let mut paths = serde_json::Map::new();
    for (method, path, id, summary, body) in OPERATIONS {
        let params: Vec<Value> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        let mut op = json!({
            "operationId": id,
            "summary": summary,
            "parameters": params,
            "responses": {
                "200": { "description": "Success" },
                "4XX": { "description": "A problem with the request", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
            }
        });
        if *body {
            op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": { "type": "object" } } } });
        }
        if *id == "getAuditTrail" {
            if let Some(list) = op["parameters"].as_array_mut() {
                for name in ["entity", "record"] {
                    list.push(json!({ "name": name, "in": "query", "required": true, "schema": { "type": "string" } }));
                }
            }
        }
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = op;
    }
    json!({
        "openapi": "3.0.3",
        "info": { "title": "scitrial", "version": env!("CARGO_PKG_VERSION"),
                  "description": "Clinical trials of cell therapies for spinal cord injury. Sign in with /api/login; send the returned csrf_token as X-CSRF-Token with every other POST." },
        "paths": paths,
        "components": {
            "securitySchemes": { "session": { "type": "apiKey", "in": "cookie", "name": crate::auth::COOKIE_NAME } },
            "schemas": {
                "Error": { "type": "object", "properties": { "error": { "type": "object", "properties": {
                    "status": { "type": "integer" }, "message": { "type": "string" },
                    "fields": { "type": "array", "items": { "type": "object", "properties": {
                        "field": { "type": "string" }, "message": { "type": "string" } } } } } } } }
            }
        },
        "security": [ { "session": [] } ]
    })
}

/// `GET /api/openapi.json`
pub async fn document() -> Json<Value> {
    Json(build())
}

//! The API, through a real server on port 0 over a fresh SQLite file and a fresh PostgreSQL
//! database (from `TEST_DATABASE_URL`; skipped with a message when absent, unless
//! `SCITRIAL_REQUIRE_POSTGRES` is set, as CI sets it).

use reqwest::StatusCode;
use serde_json::{json, Value};
use trial::Role;

use crate::common::{self, plain_name, Client, Databases, TestApp, PASSWORD, PHASE2};

async fn databases() -> Databases {
    common::databases("scitrial_api").await
}

/// Everyone of the test: one user per role at site A (site roles), plus a coordinator at B.
const PEOPLE: &[common::Person] = &[
    ("admin", Role::SponsorAdmin, None),
    ("inv", Role::Investigator, Some(0)),
    ("crc", Role::Crc, Some(0)),
    ("mon", Role::Monitor, Some(0)),
    ("dm", Role::DataManager, None),
    ("pharm", Role::UnblindedPharmacist, Some(0)),
    ("dsmb", Role::DsmbStatistician, None),
    ("aud", Role::Auditor, None),
    ("sp", Role::SafetyPhysician, None),
    ("pv", Role::Pharmacovigilance, None),
    ("dsmbm", Role::DsmbMember, None),
    ("crcb", Role::Crc, Some(1)),
];

pub(crate) async fn spawn(url: &str) -> TestApp {
    common::with_list(common::spawn_with(url, PHASE2, PEOPLE, plain_name).await).await
}

/// A signed-in client whose session cookie is `HttpOnly` and `SameSite=Strict`.
pub(crate) async fn login(app: &TestApp, username: &str) -> Client {
    let (client, cookie) = common::login_with_cookie(app, username).await;
    let cookie = cookie.expect("a session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    client
}

/// A complete C6 injury with sacral sparing: AIS B, NLI C6 — eligible.
fn exam_c6_b() -> serde_json::Map<String, Value> {
    let mut exam = isncsci::Exam::normal();
    exam.anal_contraction = isncsci::Anal::No;
    exam.anal_sensation = isncsci::Anal::Yes;
    for side in [&mut exam.right, &mut exam.left] {
        for m in isncsci::MotorLevel::ALL
            .into_iter()
            .filter(|m| *m > isncsci::MotorLevel::C6)
        {
            side.motor[m.index()] = isncsci::MotorValue::parse("0").unwrap();
        }
        for l in isncsci::Level::DERMATOMES
            .into_iter()
            .filter(|l| *l > isncsci::Level::C6 && *l < isncsci::Level::S4_5)
        {
            side.set_touch(l, isncsci::SensoryValue::parse("0").unwrap());
            side.set_prick(l, isncsci::SensoryValue::parse("0").unwrap());
        }
    }
    isncsci::flat::fields(&exam)
        .map(|(k, v)| (k, Value::String(v.into())))
        .collect()
}

pub(crate) fn screening(site: &str, number: &str) -> Value {
    json!({
        "site_id": site, "screening_number": number, "sex": "male",
        "date_of_birth": "1985-06-01", "injury_date": "2026-10-01", "consent_date": "2026-10-19",
        "screening_date": "2026-10-20", "exam": exam_c6_b()
    })
}

/// Screens and enrols a participant through the API; returns its id.
pub(crate) async fn enrolled(
    crc: &Client,
    sid: &str,
    site: &str,
    number: &str,
    subject: &str,
) -> i64 {
    let (status, screened) = crc
        .post(
            &format!("/api/studies/{sid}/participants"),
            &screening(site, number),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{screened}");
    let id = screened["id"].as_i64().unwrap();
    let (status, body) = crc
        .post(
            &format!("/api/studies/{sid}/participants/{id}/enrolment"),
            &json!({ "subject_id": subject, "enrolled_on": "2026-10-21", "anchor_date": "2026-10-24" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    id
}

#[tokio::test]
async fn a_participant_journey_from_screening_to_completion() {
    for db in databases().await {
        let app = spawn(db.url()).await;
        let (sid, site) = (app.study.id.clone(), app.study.sites[0].id.clone());
        let crc = login(&app, "crc").await;
        let (status, p) = crc
            .post(
                &format!("/api/studies/{sid}/participants"),
                &screening(&site, "S-1"),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{p}");
        assert_eq!(
            (p["status"].as_str(), p["eligible"].as_bool()),
            (Some("screening"), Some(true)),
            "{p}"
        );
        let id = p["id"].as_i64().unwrap();
        let (_, view) = crc
            .get(&format!("/api/studies/{sid}/participants/{id}"))
            .await;
        let c = &view["exams"][0]["classification"];
        assert_eq!(
            (
                c["neurologicalLevelOfInjury"].as_str(),
                c["asiaImpairmentScale"].as_str()
            ),
            (Some("C6"), Some("B"))
        );
        let (status, view) = crc
            .post(&format!("/api/studies/{sid}/participants/{id}/enrolment"), &json!({ "subject_id": "XS-1", "enrolled_on": "2026-10-21", "anchor_date": "2026-10-24" }))
            .await;
        assert_eq!(status, StatusCode::OK, "{view}");
        let visits = view["visits"].as_array().unwrap();
        assert!(visits.len() >= 5, "{view}");
        let first = visits
            .iter()
            .find(|v| v["target"] == "2026-10-24")
            .expect("a visit on the anchor day");
        let visit_id = first["visit_id"].as_str().unwrap();
        let (status, _) = crc
            .post(
                &format!("/api/studies/{sid}/participants/{id}/visits/{visit_id}"),
                &json!({ "done_on": "2026-10-24" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        // A change to saved data without a reason: refused, nothing written.
        let trail = format!("/api/studies/{sid}/audit?entity=participant&record={id}");
        let inv = login(&app, "inv").await;
        let (_, before) = inv.get(&trail).await;
        let (status, err) = crc
            .post(
                &format!("/api/studies/{sid}/participants/{id}/corrections"),
                &json!({ "field": "date_of_birth", "value": "1985-06-02", "reason": "" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(err["error"]["fields"][0]["field"], "reason");
        let (_, after) = inv.get(&trail).await;
        assert_eq!(before, after);
        let (status, _) = crc
            .post(&format!("/api/studies/{sid}/participants/{id}/corrections"), &json!({ "field": "date_of_birth", "value": "1985-06-02", "reason": "typo in the CRF" }))
            .await;
        assert_eq!(status, StatusCode::OK);
        let (_, trail_rows) = inv.get(&trail).await;
        let last = trail_rows.as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (
                last["old_value"].as_str(),
                last["new_value"].as_str(),
                last["reason"].as_str(),
                last["username"].as_str()
            ),
            (
                Some("1985-06-01"),
                Some("1985-06-02"),
                Some("typo in the CRF"),
                Some("crc")
            )
        );
        // A corrected date is checked against the criteria again with the screening exam:
        // one that makes this enrolled participant ineligible (injury 4 days before
        // screening, 14 to 60 allowed) is refused whole, naming the reason.
        let (_, before) = inv.get(&trail).await;
        let (status, err) = crc
            .post(&format!("/api/studies/{sid}/participants/{id}/corrections"), &json!({ "field": "injury_date", "value": "2026-10-16", "reason": "date from the ED record" }))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        let message = err["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("protocol deviation") && message.contains("injury"),
            "{err}"
        );
        assert_eq!(inv.get(&trail).await.1, before);
        // Before enrolment the status follows: screen-failed with the reason, then back.
        let (_, other) = crc
            .post(
                &format!("/api/studies/{sid}/participants"),
                &screening(&site, "S-2"),
            )
            .await;
        let other_id = other["id"].as_i64().unwrap();
        let correct = |value: &str| json!({ "field": "injury_date", "value": value, "reason": "date from the ED record" });
        let (status, failed) = crc
            .post(
                &format!("/api/studies/{sid}/participants/{other_id}/corrections"),
                &correct("2026-10-16"),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{failed}");
        assert_eq!(
            (failed["status"].as_str(), failed["eligible"].as_bool()),
            (Some("screen-failed"), Some(false)),
            "{failed}"
        );
        assert_eq!(
            failed["eligibility_reasons"].as_array().map(Vec::len),
            Some(1)
        );
        let (status, back) = crc
            .post(
                &format!("/api/studies/{sid}/participants/{other_id}/corrections"),
                &correct("2026-10-01"),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{back}");
        assert_eq!(
            (back["status"].as_str(), back["eligible"].as_bool()),
            (Some("screening"), Some(true)),
            "{back}"
        );
        let other_trail = format!("/api/studies/{sid}/audit?entity=participant&record={other_id}");
        let (_, rows) = inv.get(&other_trail).await;
        let fields: Vec<&str> = rows
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["field"].as_str())
            .collect();
        assert!(
            fields.iter().filter(|f| **f == "status").count() >= 2
                && fields.contains(&"injury_date"),
            "{rows}"
        );
        // Only the investigator ends a participation.
        let end =
            json!({ "status": "completed", "on": "2027-10-24", "reason": "completed follow-up" });
        assert_eq!(
            crc.post(&format!("/api/studies/{sid}/participants/{id}/end"), &end)
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        let (status, done) = inv
            .post(&format!("/api/studies/{sid}/participants/{id}/end"), &end)
            .await;
        assert_eq!(
            (status, done["status"].as_str()),
            (StatusCode::OK, Some("completed"))
        );
        // The whole trail, streamed as CSV, by the auditor; then it still verifies.
        let aud = login(&app, "aud").await;
        let csv = aud
            .http
            .get(format!("{}/api/audit.csv", app.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            csv.starts_with("id,chain,seq,") && csv.contains("typo in the CRF"),
            "{csv}"
        );
        assert!(matches!(
            app.store.verify_audit().await.unwrap(),
            store::AuditReport::Intact { .. }
        ));
        let (status, _) = crc.post("/api/logout", &json!({})).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(crc.get("/api/me").await.0, StatusCode::UNAUTHORIZED);
        let _ = &app.url;
    }
}

#[tokio::test]
async fn bad_input_gets_field_level_4xx_never_500() {
    for db in databases().await {
        let app = spawn(db.url()).await;
        let (sid, site) = (app.study.id.clone(), app.study.sites[0].id.clone());
        let crc = login(&app, "crc").await;
        let path = format!("/api/studies/{sid}/participants");
        let mut bad = screening(&site, "S-9");
        bad["sex"] = json!("m");
        bad["date_of_birth"] = json!("1985-13-01");
        bad["exam"]["c5RightMotor"] = json!("7");
        bad["exam"].as_object_mut().unwrap().remove("t4LeftPrick");
        let (status, err) = crc.post(&path, &bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        let fields: Vec<&str> = err["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        for f in [
            "sex",
            "date_of_birth",
            "exam.c5RightMotor",
            "exam.t4LeftPrick",
        ] {
            assert!(fields.contains(&f), "{f} not named in {err}");
        }
        assert!(
            err.to_string()
                .contains("0-5, 0*-4*, 0**-4**, NT, NT*, NT**"),
            "{err}"
        );
        let raw = crc
            .http
            .post(format!("{}{path}", app.base))
            .header("x-csrf-token", &crc.csrf)
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(raw.status(), StatusCode::BAD_REQUEST);
        let (status, _) = crc.post(&path, &json!({ "site_id": site })).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _) = crc.post(&path, &json!({ "unknown": 1 })).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        for p in [
            "/api/studies/NOPE/participants",
            &format!("{path}/abc"),
            &format!("{path}/999999"),
            "/api/nowhere",
        ] {
            assert_eq!(crc.get(p).await.0, StatusCode::NOT_FOUND, "{p}");
        }
        // Without the CSRF header a state-changing request is refused.
        let r = crc
            .http
            .post(format!("{}{path}", app.base))
            .json(&screening(&site, "S-10"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        // A duplicate screening number is a conflict naming the field.
        assert_eq!(
            crc.post(&path, &screening(&site, "S-11")).await.0,
            StatusCode::CREATED
        );
        let (status, err) = crc.post(&path, &screening(&site, "S-11")).await;
        assert_eq!(
            (status, err["error"]["fields"][0]["field"].as_str()),
            (StatusCode::CONFLICT, Some("screening_number"))
        );
    }
}

#[tokio::test]
async fn five_failed_logins_lock_the_account() {
    for db in databases().await {
        let app = spawn(db.url()).await;
        let http = reqwest::Client::new();
        let attempt = |password: &str| {
            http.post(format!("{}/api/login", app.base))
                .json(&json!({ "username": "mon", "password": password }))
                .send()
        };
        for _ in 0..5 {
            assert_eq!(
                attempt("wrong").await.unwrap().status(),
                StatusCode::UNAUTHORIZED
            );
        }
        // The lock is told to the owner, not to the caller: the same answer as a wrong name.
        let r = attempt(PASSWORD).await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        let locked = r.text().await.unwrap();
        let unknown = http
            .post(format!("{}/api/login", app.base))
            .json(&json!({ "username": "ghost", "password": "x" }))
            .send()
            .await
            .unwrap();
        assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(locked, unknown.text().await.unwrap());
        let user = app.store.user_by_name("mon").await.unwrap().unwrap();
        let actions: Vec<String> = app
            .store
            .audit_of("user", &user.id.to_string())
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.action)
            .collect();
        assert_eq!(actions.iter().filter(|a| *a == "login-failed").count(), 6);
        assert_eq!(actions.iter().filter(|a| *a == "lock").count(), 1);
    }
}

/// Every operation of the OpenAPI document, as every role, on a participant of their own site
/// and of another: the answer matches the access rules.
#[tokio::test]
async fn the_access_matrix() {
    for db in databases().await {
        let app = spawn(db.url()).await;
        let sid = app.study.id.clone();
        let (site_a, site_b) = (app.study.sites[0].id.clone(), app.study.sites[1].id.clone());
        let crc = login(&app, "crc").await;
        let crcb = login(&app, "crcb").await;
        let own = crc
            .post(
                &format!("/api/studies/{sid}/participants"),
                &screening(&site_a, "A-1"),
            )
            .await
            .1["id"]
            .as_i64()
            .unwrap();
        let other = crcb
            .post(
                &format!("/api/studies/{sid}/participants"),
                &screening(&site_b, "B-1"),
            )
            .await
            .1["id"]
            .as_i64()
            .unwrap();
        // The product's definition, so that reading it answers.
        app.store
            .load_product_definition(&sid, crate::product::PRODUCT, &store::Actor::system())
            .await
            .unwrap();
        let doc = crc.get("/api/openapi.json").await.1;
        let mut operations = Vec::new();
        for (path, methods) in doc["paths"].as_object().unwrap() {
            for (method, op) in methods.as_object().unwrap() {
                assert!(
                    op["operationId"].is_string(),
                    "{method} {path} has no operationId"
                );
                operations.push((
                    method.clone(),
                    path.clone(),
                    op["operationId"].as_str().unwrap().to_string(),
                ));
            }
        }
        assert_eq!(operations.len(), web::api::OPERATIONS.len());
        for (name, role, site) in PEOPLE {
            let client = login(&app, name).await;
            for (target, target_site, whose) in [(own, 0, "site A's"), (other, 1, "site B's")] {
                for (method, path, op) in &operations {
                    if ["login", "logout"].contains(&op.as_str()) {
                        continue;
                    }
                    let path = path
                        .replace("{study}", &sid)
                        .replace("{id}", &target.to_string())
                        .replace("{visit}", "nope")
                        .replace("{form}", "nope")
                        .replace("{query}", "nope")
                        .replace("{ae}", "nope")
                        .replace("{proposal}", "nope")
                        .replace("{lot}", "nope")
                        .replace("{shipment}", "nope")
                        .replace("{excursion}", "nope")
                        .replace("{kit}", "nope")
                        .replace("{event}", "nope")
                        .replace("{dataset}", "nope");
                    let path = if op == "getAuditTrail" {
                        format!("{path}?entity=participant&record={target}")
                    } else {
                        path
                    };
                    let (status, body) = if method == "get" {
                        client.get(&path).await
                    } else {
                        client.post(&path, &json!({})).await
                    };
                    assert!(
                        status != StatusCode::INTERNAL_SERVER_ERROR,
                        "{op} as {name}: 500 {body}"
                    );
                    let sees = site.is_none_or(|s| s == target_site);
                    let about_participant =
                        path.contains("/participants/") || op == "getAuditTrail";
                    let expected_hidden = about_participant && !sees;
                    let ops = |roles: &[Role]| roles.contains(role);
                    let allowed = match op.as_str() {
                        "healthz" | "openapi" | "me" | "listStudies" | "listParticipants"
                        | "getParticipant" | "classifyExam" | "listForms" | "listSignatures"
                        | "scoreForm" => true,
                        "verifyForm" => ops(web::access::Operation::VerifyData.roles()),
                        "signVisit" | "signCasebook" | "signAdverseEvent" => {
                            ops(web::access::Operation::Sign.roles())
                        }
                        "lockForm" | "unlockForm" => ops(web::access::Operation::Lock.roles()),
                        "screenParticipant" | "enrolParticipant" | "correctParticipant"
                        | "recordVisit" | "saveForm" => {
                            ops(web::access::Operation::EnterData.roles())
                        }
                        "endParticipation" => ops(web::access::Operation::EndParticipation.roles()),
                        "getAuditTrail" => ops(web::access::Operation::ReadAudit.roles()),
                        "exportAuditTrail" | "exportStudyAuditTrail" => {
                            ops(web::access::Operation::ExportAudit.roles())
                        }
                        "raiseQuery" | "closeQuery" | "reopenQuery" => {
                            ops(web::access::Operation::RaiseQuery.roles())
                        }
                        "answerQuery" => ops(web::access::Operation::EnterData.roles()),
                        "listQueries" => true,
                        "getRandomisation" => true,
                        "generateRandomisation" => {
                            ops(web::access::Operation::GenerateRandomisation.roles())
                        }
                        "randomiseParticipant" => ops(web::access::Operation::Randomise.roles()),
                        "listKits" | "dispenseKit" => ops(web::access::Operation::Dispense.roles()),
                        "emergencyUnblind" => ops(web::access::Operation::EmergencyUnblind.roles()),
                        "getCohorts" => true,
                        "assignDoseLevel" => ops(web::access::Operation::AssignDose.roles()),
                        "overrideDoseLevel" => ops(web::access::Operation::OverrideDose.roles()),
                        "recordDltAssessment" => ops(web::access::Operation::Sign.roles()),
                        "listNotifications" | "acknowledgeNotification" => {
                            ops(web::access::Operation::ReadNotifications.roles())
                        }
                        "recordAdverseEvent" | "changeAdverseEvent" => {
                            ops(web::access::Operation::RecordAdverseEvent.roles())
                        }
                        "getSafetyTables" | "listDsmbDecisions" | "getLabSafetyTables" => {
                            ops(web::access::Operation::ReadSafetyTables.roles())
                        }
                        "getStoppingRules" => true,
                        "recordDsmbDecision" => ops(web::access::Operation::DecideDsmb.roles()),
                        "listAdverseEvents" | "getAdverseEvent" | "searchTerms"
                        | "listDltCandidates" => {
                            ops(web::access::Operation::ReadAdverseEvents.roles())
                        }
                        "reportSae" => ops(web::access::Operation::ReportSae.roles()),
                        "listSafetyClocks" => ops(web::access::Operation::ReadSafetyClocks.roles()),
                        "getSafetyCase" => ops(web::access::Operation::ReadSafetyCase.roles()),
                        "assessSafetyCase" => ops(web::access::Operation::AssessSafetyCase.roles()),
                        "recordExpeditedReport" => {
                            ops(web::access::Operation::RecordExpeditedReport.roles())
                        }
                        "exportE2b" | "exportNarrative" => {
                            ops(web::access::Operation::ExportE2b.roles())
                        }
                        "changePassword" | "requestPasswordReset" | "resetPassword" => true,
                        "listUsers" | "createUser" | "assignRole" | "removeRole"
                        | "setAccountState" | "setUserEmail" => {
                            ops(web::access::Operation::ManageUsers.roles())
                        }
                        "listLabTests" | "listLabRanges" | "listLabResults" => true,
                        "recordLabResult" => ops(web::access::Operation::EnterData.roles()),
                        "loadLabRanges" => ops(web::access::Operation::ManageLabRanges.roles()),
                        "importLabResults" => ops(web::access::Operation::ImportLabs.roles()),
                        "acceptLabProposal" | "dismissLabProposal" => {
                            ops(web::access::Operation::DecideLabProposal.roles())
                        }
                        "getProductDefinition"
                        | "listBanks"
                        | "listLots"
                        | "getLot"
                        | "listLotUnits"
                        | "listLocations"
                        | "listShipments"
                        | "getShipment" => ops(web::access::Operation::ReadProduct.roles()),
                        "loadProductDefinition"
                        | "createBank"
                        | "createLot"
                        | "addUnits"
                        | "createLocation"
                        | "createShipment" => ops(web::access::Operation::ManageProduct.roles()),
                        "recordReleaseResult" => {
                            ops(web::access::Operation::EnterReleaseResult.roles())
                        }
                        "decideLot" | "decideExcursion" => {
                            ops(web::access::Operation::ReleaseLot.roles())
                        }
                        "recallLot" => ops(web::access::Operation::RecallLot.roles()),
                        "recordHandover" => ops(web::access::Operation::HandOver.roles()),
                        "importLoggerFile" => ops(web::access::Operation::ImportLogger.roles()),
                        "linkKitUnit" | "administerUnit" => {
                            ops(web::access::Operation::HandleUnits.roles())
                        }
                        "traceLot" | "traceParticipant" | "listExposure" | "listProductEvents"
                        | "getLotRecall" => ops(web::access::Operation::TraceProduct.roles()),
                        "listDoses" => ops(web::access::Operation::ReadParticipants.roles()),
                        "getSupply" => ops(web::access::Operation::ReadProduct.roles()),
                        "closeProductEvent" => {
                            ops(web::access::Operation::FollowProductEvent.roles())
                        }
                        "getDatabaseLock" => ops(web::access::Operation::ReadLock.roles()),
                        "lockDatabase" => ops(web::access::Operation::LockDatabase.roles()),
                        "unblindStudy" => ops(web::access::Operation::UnblindStudy.roles()),
                        "getResults" => ops(web::access::Operation::ReadResults.roles()),
                        "exportOdm" | "exportSdtm" | "exportDefineXml" => {
                            ops(web::access::Operation::ExportSubmission.roles())
                        }
                        other => panic!("operation {other} missing from the matrix"),
                    };
                    if allowed && expected_hidden {
                        // Another site's participant does not exist for a site user.
                        assert_eq!(
                            status,
                            StatusCode::NOT_FOUND,
                            "{op} as {name} on the {whose} site: {body}"
                        );
                    }
                    if !allowed {
                        // Refused either way; neither answer tells whether the record exists.
                        assert!(
                            status == StatusCode::FORBIDDEN
                                || (expected_hidden && status == StatusCode::NOT_FOUND),
                            "{op} as {name} ({whose}): {status} {body}"
                        );
                    }
                    if allowed && !expected_hidden {
                        assert!(
                            status != StatusCode::FORBIDDEN && status != StatusCode::NOT_FOUND
                                || path.contains("/nope")
                                || op == "assignRole"
                                // No notification here has the participant's id.
                                || op == "acknowledgeNotification",
                            "{op} as {name} ({whose}) refused: {status} {body}"
                        );
                    }
                }
            }
        }
        // Listing shows each site user only their site.
        let listed = crcb
            .get(&format!("/api/studies/{sid}/participants"))
            .await
            .1;
        let ids: Vec<i64> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, [other]);
    }
}

#[tokio::test]
async fn accounts_and_roles_change_with_a_reason_and_are_audited() {
    for db in databases().await {
        let app = spawn(db.url()).await;
        let admin = login(&app, "admin").await;
        let mon = app.store.user_by_name("mon").await.unwrap().unwrap();
        let site = app.study.sites[0].id.clone();
        let removal =
            json!({ "study": app.study.id, "role": "monitor", "site": site, "reason": "" });
        let (status, err) = admin
            .post(&format!("/api/users/{}/roles/removal", mon.id), &removal)
            .await;
        assert_eq!(
            (status, err["error"]["fields"][0]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("reason"))
        );
        let removal = json!({ "study": app.study.id, "role": "monitor", "site": site, "reason": "left the CRO" });
        let (status, roles) = admin
            .post(&format!("/api/users/{}/roles/removal", mon.id), &removal)
            .await;
        assert_eq!((status, roles), (StatusCode::OK, json!([])));
        let mon_client = login(&app, "mon").await;
        assert_eq!(
            mon_client
                .get(&format!("/api/studies/{}/participants", app.study.id))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        let (status, user) = admin
            .post(
                &format!("/api/users/{}/state", mon.id),
                &json!({ "active": false, "reason": "left the CRO" }),
            )
            .await;
        assert_eq!(
            (status, user["active"].as_bool()),
            (StatusCode::OK, Some(false))
        );
        // Deactivation ends the sessions at once.
        assert_eq!(mon_client.get("/api/me").await.0, StatusCode::UNAUTHORIZED);
        let trail = app
            .store
            .audit_of("user", &mon.id.to_string())
            .await
            .unwrap();
        let last = trail.last().unwrap();
        assert_eq!(
            (
                last.field.as_deref(),
                last.old_value.as_deref(),
                last.new_value.as_deref(),
                last.reason.as_deref()
            ),
            (
                Some("active"),
                Some("true"),
                Some("false"),
                Some("left the CRO")
            )
        );
        let role_trail = app
            .store
            .audit_of("role", &mon.id.to_string())
            .await
            .unwrap();
        assert_eq!(role_trail.last().unwrap().action, "delete");
    }
}

#[tokio::test]
async fn any_signed_in_user_can_classify_an_exam_without_saving_it() {
    for db in databases().await {
        let app = spawn(db.url()).await;
        let aud = login(&app, "aud").await;
        let exam = Value::Object(exam_c6_b());
        let (status, result) = aud.post("/api/isncsci/classify", &exam).await;
        assert_eq!(status, StatusCode::OK, "{result}");
        assert_eq!(
            (
                result["neurologicalLevelOfInjury"].as_str(),
                result["asiaImpairmentScale"].as_str(),
                result["upperMotorTotal"].as_str()
            ),
            (Some("C6"), Some("B"), Some("20"))
        );
        assert_eq!(result.as_object().unwrap().len(), 25);
        let mut bad = exam_c6_b();
        bad.insert("c5RightMotor".into(), json!("6"));
        bad.insert("bogus".into(), json!("1"));
        let (status, err) = aud.post("/api/isncsci/classify", &Value::Object(bad)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<&str> = err["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert!(
            fields.contains(&"exam.c5RightMotor") && fields.contains(&"exam.bogus"),
            "{err}"
        );
        let anonymous = reqwest::Client::new()
            .post(format!("{}/api/isncsci/classify", app.base))
            .json(&exam)
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn a_visit_form_is_validated_scored_and_changed_only_with_a_reason() {
    for db in databases().await {
        let app = spawn(db.url()).await;
        let (sid, site) = (app.study.id.clone(), app.study.sites[0].id.clone());
        let crc = login(&app, "crc").await;
        let id = enrolled(&crc, &sid, &site, "V-1", "XS-V1").await;
        let form = |visit: &str, form: &str| {
            format!("/api/studies/{sid}/participants/{id}/visits/{visit}/forms/{form}")
        };
        let vitals = |sbp: i64, dbp: i64| json!({ "systolic_bp": sbp, "diastolic_bp": dbp, "heart_rate": 72, "respiratory_rate": 14, "temperature": "36.6", "spo2": 98 });
        // Field-level problems, all at once, naming the allowed range and unit.
        let (status, err) = crc.post(&form("week-12", "vital-signs"), &json!({ "values": { "systolic_bp": 300, "diastolic_bp": 90, "heart_rate": 72, "respiratory_rate": 14, "temperature": "36.6", "spo2": 98, "colour": "red" } })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        let text = err.to_string();
        assert!(
            text.contains("values.systolic_bp")
                && text.contains("mmHg")
                && text.contains("values.colour"),
            "{text}"
        );
        // Cross-field: diastolic below systolic.
        let (status, err) = crc
            .post(
                &form("week-12", "vital-signs"),
                &json!({ "values": vitals(110, 120) }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        // A form the visit does not have.
        let (status, err) = crc
            .post(&form("baseline", "isncsci"), &json!({ "values": {} }))
            .await;
        assert_eq!(
            (status, err["error"]["fields"][0]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("form"))
        );
        let (status, saved) = crc
            .post(
                &form("week-12", "vital-signs"),
                &json!({ "values": vitals(120, 80) }),
            )
            .await;
        assert_eq!(
            (status, saved["version"].as_i64()),
            (StatusCode::OK, Some(1)),
            "{saved}"
        );
        let (status, _) = crc
            .post(
                &form("week-12", "vital-signs"),
                &json!({ "values": vitals(125, 80), "status": "complete" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let (status, saved) = crc.post(&form("week-12", "vital-signs"), &json!({ "values": vitals(125, 80), "status": "complete", "reason": "re-measured" })).await;
        assert_eq!(
            (
                status,
                saved["version"].as_i64(),
                saved["data"]["systolic_bp"].as_i64()
            ),
            (StatusCode::OK, Some(2), Some(125))
        );
        // SCIM III: subscales and total computed, never typed.
        let scim = json!({ "feeding": 3, "bathing_upper_body": 3, "bathing_lower_body": 3, "dressing_upper_body": 4, "dressing_lower_body": 4, "grooming": 3,
            "respiration": 10, "bladder": 15, "bowel": 10, "use_of_toilet": 5, "bed_mobility": 6, "transfer_bed_wheelchair": 2,
            "transfer_wheelchair_toilet_tub": 2, "mobility_indoors": 8, "mobility_moderate_distances": 8, "mobility_outdoors": 8,
            "stair_management": 3, "transfer_wheelchair_car": 2, "transfer_ground_wheelchair": 1 });
        let (status, saved) = crc
            .post(&form("week-12", "scim3"), &json!({ "values": scim }))
            .await;
        assert_eq!(
            (status, saved["data"]["total"].as_i64()),
            (StatusCode::OK, Some(100)),
            "{saved}"
        );
        let mut bad_scim = scim.clone();
        bad_scim["bladder"] = json!(4);
        let (status, err) = crc
            .post(&form("week-24", "scim3"), &json!({ "values": bad_scim }))
            .await;
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY
                && err.to_string().contains("values.bladder"),
            "{status} {err}"
        );
        // The ISNCSCI form keeps the exam and the engine's classification.
        let (status, saved) = crc
            .post(
                &form("week-12", "isncsci"),
                &json!({ "values": exam_c6_b() }),
            )
            .await;
        assert_eq!(
            (
                status,
                saved["data"]["classification"]["asiaImpairmentScale"].as_str()
            ),
            (StatusCode::OK, Some("B")),
            "{saved}"
        );
        let (_, list) = crc
            .get(&format!("/api/studies/{sid}/participants/{id}/forms"))
            .await;
        let saved: Vec<&Value> = list
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["state"] != "not-started")
            .collect();
        // The three saved here, and the screening exam (the screening visit's ISNCSCI form).
        assert_eq!(saved.len(), 4, "{list}");
        let trail = app
            .store
            .audit_of("form", &format!("{id}/week-12/vital-signs"))
            .await
            .unwrap();
        assert!(trail
            .iter()
            .any(|r| r.field.as_deref() == Some("systolic_bp")
                && r.old_value.as_deref() == Some("120")
                && r.reason.as_deref() == Some("re-measured")));
    }
}

#[tokio::test]
async fn a_visit_is_verified_signed_voided_locked_and_unlocked() {
    for db in databases().await {
        let app = spawn(db.url()).await;
        let (sid, site) = (app.study.id.clone(), app.study.sites[0].id.clone());
        let crc = login(&app, "crc").await;
        let id = enrolled(&crc, &sid, &site, "E-1", "XS-E1").await;
        let base = format!("/api/studies/{sid}/participants/{id}");
        let form = format!("{base}/visits/week-12/forms/vital-signs");
        let vitals = |sbp: i64| json!({ "systolic_bp": sbp, "diastolic_bp": 80, "heart_rate": 72, "respiratory_rate": 14, "temperature": "36.6", "spo2": 98 });
        let (status, saved) = crc
            .post(
                &form,
                &json!({ "values": vitals(120), "status": "complete" }),
            )
            .await;
        assert_eq!(
            (status, saved["state"].as_str()),
            (StatusCode::OK, Some("complete")),
            "{saved}"
        );
        // The monitor verifies; nobody else may.
        let (mon, inv, dm) = (
            login(&app, "mon").await,
            login(&app, "inv").await,
            login(&app, "dm").await,
        );
        assert_eq!(
            crc.post(&format!("{form}/verification"), &json!({}))
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        let (status, verified) = mon.post(&format!("{form}/verification"), &json!({})).await;
        assert_eq!(
            (
                status,
                verified["state"].as_str(),
                verified["verified_by"].as_str()
            ),
            (StatusCode::OK, Some("source-verified"), Some("mon")),
            "{verified}"
        );
        // The investigator signs with the password re-entered; a wrong one is refused and kept.
        let sign = format!("{base}/visits/week-12/signature");
        let (status, _) = inv
            .post(
                &sign,
                &json!({ "password": "not it", "meaning": "approved" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let visit_trail = app
            .store
            .audit_of("visit", &format!("{id}/week-12"))
            .await
            .unwrap();
        assert!(visit_trail
            .iter()
            .any(|r| r.action == "sign-failed" && r.username == "inv"));
        assert_eq!(inv.get("/api/me").await.0, StatusCode::OK);
        let (status, err) = inv
            .post(&sign, &json!({ "password": PASSWORD, "meaning": "ok" }))
            .await;
        assert_eq!(
            (status, err["error"]["fields"][0]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("meaning"))
        );
        assert_eq!(
            crc.post(
                &sign,
                &json!({ "password": PASSWORD, "meaning": "approved" })
            )
            .await
            .0,
            StatusCode::FORBIDDEN
        );
        let (status, sig) = inv
            .post(
                &sign,
                &json!({ "password": PASSWORD, "meaning": "approved" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{sig}");
        assert_eq!(
            (
                sig["signer_name"].as_str(),
                sig["meaning"].as_str(),
                sig["valid"].as_bool()
            ),
            (Some("Test inv"), Some("approved"), Some(true))
        );
        assert!(sig["signed_at"].as_str().unwrap().ends_with('Z'));
        assert_eq!(sig["data_hash"].as_str().unwrap().len(), 64);
        let (_, forms) = crc.get(&format!("{base}/forms")).await;
        let vitals_form = forms
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["visit_id"] == "week-12" && f["form_id"] == "vital-signs")
            .unwrap();
        assert_eq!(vitals_form["state"], "signed", "{forms}");
        let (_, view) = crc.get(&base).await;
        assert_eq!(view["signatures"][0]["valid"], true, "{view}");
        // A change voids the signature, visibly, with the change; the verification is cleared.
        let (status, changed) = crc
            .post(
                &form,
                &json!({ "values": vitals(125), "status": "complete", "reason": "re-measured" }),
            )
            .await;
        assert_eq!(
            (status, changed["state"].as_str(), &changed["verified_by"]),
            (StatusCode::OK, Some("complete"), &Value::Null),
            "{changed}"
        );
        let aud = login(&app, "aud").await;
        let (status, sigs) = aud.get(&format!("{base}/signatures")).await;
        assert_eq!(status, StatusCode::OK);
        let void = &sigs[0];
        assert_eq!(void["valid"], false, "{sigs}");
        let reason = void["void_reason"].as_str().unwrap();
        assert!(
            reason.contains("systolic_bp 120 → 125") && reason.contains("re-measured"),
            "{reason}"
        );
        let (status, trail) = mon
            .get(&format!(
                "/api/studies/{sid}/audit?entity=signature&record={id}/week-12/{}",
                sig["id"]
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "{trail}");
        assert!(trail
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["action"] == "void"));
        // Locked by the data manager: the coordinator's change is refused until unlocked.
        assert_eq!(
            crc.post(&format!("{form}/lock"), &json!({})).await.0,
            StatusCode::FORBIDDEN
        );
        let (status, locked) = dm.post(&format!("{form}/lock"), &json!({})).await;
        assert_eq!(
            (status, locked["state"].as_str()),
            (StatusCode::OK, Some("locked")),
            "{locked}"
        );
        let change = json!({ "values": vitals(130), "status": "complete", "reason": "typo" });
        let (status, err) = crc.post(&form, &change).await;
        assert_eq!(
            (status, err["error"]["fields"][0]["field"].as_str()),
            (StatusCode::CONFLICT, Some("status")),
            "{err}"
        );
        assert!(err.to_string().contains("locked"), "{err}");
        let (status, err) = dm
            .post(&format!("{form}/unlock"), &json!({ "reason": "" }))
            .await;
        assert_eq!(
            (status, err["error"]["fields"][0]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("reason"))
        );
        let (status, unlocked) = dm
            .post(
                &format!("{form}/unlock"),
                &json!({ "reason": "query answered" }),
            )
            .await;
        assert_eq!(
            (status, unlocked["state"].as_str()),
            (StatusCode::OK, Some("complete")),
            "{unlocked}"
        );
        let (status, saved) = crc.post(&form, &change).await;
        assert_eq!(
            (status, saved["data"]["systolic_bp"].as_i64()),
            (StatusCode::OK, Some(130)),
            "{saved}"
        );
        assert!(matches!(
            app.store.verify_audit().await.unwrap(),
            store::AuditReport::Intact { .. }
        ));
    }
}

#[tokio::test]
async fn a_query_goes_from_the_monitor_to_the_site_and_back() {
    for db in databases().await {
        let app = spawn(db.url()).await;
        let (sid, site) = (app.study.id.clone(), app.study.sites[0].id.clone());
        let crc = login(&app, "crc").await;
        let id = crc
            .post(
                &format!("/api/studies/{sid}/participants"),
                &screening(&site, "QQ-1"),
            )
            .await
            .1["id"]
            .as_i64()
            .unwrap();
        let mon = login(&app, "mon").await;
        let raise = json!({ "visit_id": "screening", "form_id": "isncsci", "field": "c5RightMotor", "text": "Please confirm the right elbow flexors." });
        assert_eq!(
            crc.post(
                &format!("/api/studies/{sid}/participants/{id}/queries"),
                &raise
            )
            .await
            .0,
            StatusCode::FORBIDDEN
        );
        let (status, q) = mon
            .post(
                &format!("/api/studies/{sid}/participants/{id}/queries"),
                &raise,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{q}");
        let qid = q["id"].as_i64().unwrap();
        // The coordinator of another site does not see it; the site's does.
        let crcb = login(&app, "crcb").await;
        assert_eq!(
            crcb.get(&format!("/api/studies/{sid}/queries?status=open"))
                .await
                .1,
            json!([])
        );
        assert_eq!(
            crcb.post(
                &format!("/api/studies/{sid}/queries/{qid}/answer"),
                &json!({ "answer": "x" })
            )
            .await
            .0,
            StatusCode::NOT_FOUND
        );
        let (_, open) = crc
            .get(&format!(
                "/api/studies/{sid}/queries?status=open&participant={id}"
            ))
            .await;
        assert_eq!(open.as_array().unwrap().len(), 1);
        assert_eq!(
            crc.get(&format!("/api/studies/{sid}/queries?status=pending"))
                .await
                .0,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        let (status, answered) = crc
            .post(
                &format!("/api/studies/{sid}/queries/{qid}/answer"),
                &json!({ "answer": "Confirmed against the source: 5." }),
            )
            .await;
        assert_eq!(
            (status, answered["status"].as_str()),
            (StatusCode::OK, Some("answered"))
        );
        // Only whoever raised it closes it.
        let dm = login(&app, "dm").await;
        assert_eq!(
            dm.post(
                &format!("/api/studies/{sid}/queries/{qid}/close"),
                &json!({})
            )
            .await
            .0,
            StatusCode::FORBIDDEN
        );
        let (status, closed) = mon
            .post(
                &format!("/api/studies/{sid}/queries/{qid}/close"),
                &json!({}),
            )
            .await;
        assert_eq!(
            (status, closed["status"].as_str()),
            (StatusCode::OK, Some("closed"))
        );
        let (status, reopened) = mon
            .post(
                &format!("/api/studies/{sid}/queries/{qid}/reopen"),
                &json!({ "text": "And the left side?" }),
            )
            .await;
        assert_eq!(
            (status, reopened["status"].as_str()),
            (StatusCode::OK, Some("open"))
        );
        let trail = app.store.audit_of("query", &qid.to_string()).await.unwrap();
        assert_eq!(trail.len(), 5);
    }
}

/// The ISNCSCI form through the API: every planned form is listed (`not-started` until saved);
/// a saved exam carries the engine's classification, recomputed when a value changes (with a
/// reason); the audit names the changed value; the investigator signs the whole casebook, and a
/// later change voids that signature.
#[tokio::test]
async fn an_isncsci_form_is_reclassified_on_change_and_the_casebook_signed() {
    for db in databases().await {
        let app = spawn(db.url()).await;
        let (sid, site) = (app.study.id.clone(), app.study.sites[0].id.clone());
        let crc = login(&app, "crc").await;
        let id = enrolled(&crc, &sid, &site, "I-1", "XS-I1").await;
        let base = format!("/api/studies/{sid}/participants/{id}");
        let forms = crc.get(&format!("{base}/forms")).await.1;
        let planned: usize = app
            .study
            .visits
            .iter()
            .filter(|v| !v.screening)
            .map(|v| v.forms.len())
            .sum();
        let listed: Vec<&Value> = forms
            .as_array()
            .unwrap()
            .iter()
            // The screening visit's ISNCSCI form is the screening exam, saved at screening.
            .filter(|f| f["visit_id"] != "screening" || f["form_id"] != "isncsci")
            .collect();
        assert!(listed.len() >= planned, "{forms}");
        assert!(
            listed.iter().all(|f| f["state"] == "not-started"
                && f["status"] == "not-started"
                && f["version"] == 0),
            "{forms}"
        );
        let form = format!("{base}/visits/week-12/forms/isncsci");
        let mut exam = exam_c6_b();
        let (status, saved) = crc
            .post(&form, &json!({ "values": exam, "status": "complete" }))
            .await;
        assert_eq!(status, StatusCode::OK, "{saved}");
        assert_eq!(
            saved["data"]["classification"]["neurologicalLevelOfInjury"],
            "C6"
        );
        assert_eq!(saved["data"]["classification"]["upperMotorTotal"], "20");
        // C7 and C8 recover to 3 on the right: the totals and the right motor level follow.
        exam.insert("c7RightMotor".into(), json!("3"));
        exam.insert("c8RightMotor".into(), json!("3"));
        let (status, err) = crc
            .post(&form, &json!({ "values": exam, "status": "complete" }))
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a change needs a reason: {err}"
        );
        let (status, changed) = crc
            .post(
                &form,
                &json!({ "values": exam, "status": "complete", "reason": "re-examined" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        let expected = {
            let mut builder = isncsci::flat::ExamBuilder::new();
            for (k, v) in &exam {
                builder.set(k, v.as_str().unwrap()).unwrap();
            }
            builder.finish().unwrap().classify()
        };
        for (key, value) in isncsci::Classification::KEYS.iter().zip(expected.values()) {
            assert_eq!(
                changed["data"]["classification"][key],
                value.to_string(),
                "{key}"
            );
        }
        assert_eq!(changed["data"]["classification"]["upperMotorTotal"], "26");
        assert_eq!(changed["version"], 2);
        let forms = crc.get(&format!("{base}/forms")).await.1;
        let week12 = forms
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["visit_id"] == "week-12" && f["form_id"] == "isncsci")
            .unwrap();
        assert_eq!(week12["state"], "complete");
        // The audit trail names each value that changed, with the reason.
        let inv = login(&app, "inv").await;
        let (_, trail) = inv
            .get(&format!(
                "/api/studies/{sid}/audit?entity=form&record={id}/week-12/isncsci"
            ))
            .await;
        let rows = trail.as_array().unwrap();
        for field in ["exam.c7RightMotor", "exam.c8RightMotor"] {
            assert!(
                rows.iter().any(|r| r["field"] == field
                    && r["old_value"] == "0"
                    && r["new_value"] == "3"
                    && r["reason"] == "re-examined"),
                "{field}: {trail}"
            );
        }
        // The casebook: a wrong password is refused and recorded; then signed.
        let sign = format!("{base}/signature");
        let (status, _) = inv
            .post(
                &sign,
                &json!({ "password": "wrong", "meaning": "approved" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            crc.post(
                &sign,
                &json!({ "password": PASSWORD, "meaning": "approved" })
            )
            .await
            .0,
            StatusCode::FORBIDDEN
        );
        let (status, signature) = inv
            .post(
                &sign,
                &json!({ "password": PASSWORD, "meaning": "approved" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{signature}");
        assert_eq!(
            (
                signature["casebook"].as_bool(),
                signature["signer_name"].as_str()
            ),
            (Some(true), Some("Test inv"))
        );
        exam.insert("c7RightMotor".into(), json!("4"));
        let (status, _) = crc
            .post(
                &form,
                &json!({ "values": exam, "status": "complete", "reason": "late entry" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (_, sigs) = inv.get(&format!("{base}/signatures")).await;
        let book = &sigs.as_array().unwrap()[0];
        assert_eq!(book["valid"], false, "{sigs}");
        assert!(
            book["void_reason"]
                .as_str()
                .is_some_and(|r| r.contains("exam.c7RightMotor 3 → 4")),
            "{sigs}"
        );
    }
}

//! Allocation through the API, on a real server on port 0 over a fresh SQLite file and a fresh
//! PostgreSQL database: randomisation under 200 concurrent requests, kits, emergency
//! unblinding, and the blind walk (every operation of the OpenAPI document, as every role,
//! over a study with allocations: blinded roles never see an arm, unblinded roles do).

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{json, Value};
use trial::Role;

use crate::common::{
    self, login, plain_name, Client, Databases, TestApp, PASSWORD, PHASE1, PHASE2,
};

/// One user per role at site A (site roles), plus a coordinator and an investigator at B.
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
    ("invb", Role::Investigator, Some(1)),
    ("qc", Role::Qc, None),
    ("qp", Role::QualifiedPerson, None),
];

async fn spawn(url: &str) -> TestApp {
    spawn_with(url, PHASE2).await
}

pub(crate) async fn spawn_with(url: &str, definition: &str) -> TestApp {
    common::spawn_with(url, definition, PEOPLE, plain_name).await
}

/// A complete C6 injury with sacral sparing: AIS B, NLI C6, eligible; with `thoracic`, the
/// same injury at T8 (AIS B, thoracolumbar).
pub(crate) fn exam(thoracic: bool) -> serde_json::Map<String, Value> {
    let mut exam = isncsci::Exam::normal();
    exam.anal_contraction = isncsci::Anal::No;
    exam.anal_sensation = isncsci::Anal::Yes;
    let (motor, level) = if thoracic {
        (isncsci::MotorLevel::T1, isncsci::Level::T8)
    } else {
        (isncsci::MotorLevel::C6, isncsci::Level::C6)
    };
    for side in [&mut exam.right, &mut exam.left] {
        for m in isncsci::MotorLevel::ALL.into_iter().filter(|m| *m > motor) {
            side.motor[m.index()] = isncsci::MotorValue::parse("0").unwrap();
        }
        for l in isncsci::Level::DERMATOMES
            .into_iter()
            .filter(|l| *l > level && *l < isncsci::Level::S4_5)
        {
            side.set_touch(l, isncsci::SensoryValue::parse("0").unwrap());
            side.set_prick(l, isncsci::SensoryValue::parse("0").unwrap());
        }
    }
    isncsci::flat::fields(&exam)
        .map(|(k, v)| (k, Value::String(v.into())))
        .collect()
}

/// Screens an eligible participant; returns its id.
pub(crate) async fn screened(
    app: &TestApp,
    crc: &Client,
    site: usize,
    number: &str,
    thoracic: bool,
) -> i64 {
    let sid = &app.study.id;
    let (status, p) = crc
        .post(
            &format!("/api/studies/{sid}/participants"),
            &json!({
                "site_id": app.study.sites[site].id, "screening_number": number, "sex": "male",
                "date_of_birth": "1985-06-01", "injury_date": "2026-10-01",
                "consent_date": "2026-10-19", "screening_date": "2026-10-20",
                "exam": exam(thoracic)
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    assert_eq!(p["eligible"], true, "{p}");
    p["id"].as_i64().unwrap()
}

/// The body of an enrolment of participant `number`.
pub(crate) fn enrolment(number: &str) -> Value {
    json!({ "subject_id": format!("XS-{number}"), "enrolled_on": "2026-10-21", "anchor_date": "2026-10-24" })
}

/// Screens and enrols a participant; returns its id.
pub(crate) async fn enrolled(
    app: &TestApp,
    crc: &Client,
    site: usize,
    number: &str,
    thoracic: bool,
) -> i64 {
    let sid = &app.study.id;
    let id = screened(app, crc, site, number, thoracic).await;
    let (status, v) = crc
        .post(
            &format!("/api/studies/{sid}/participants/{id}/enrolment"),
            &enrolment(number),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    id
}

async fn databases() -> Databases {
    common::databases("scitrial_alloc_api").await
}

/// Where an answer names an arm: a key of the allocation's arm, or a string with an arm's id
/// or name (the study's id and title spell the product in capitals and say "placebo" only in
/// running text, so exact ids and names are what is looked for).
fn arm_leaks(value: &Value, study: &trial::Study, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            // The cell product: a unit's placebo flag, and which unit went into which kit or to
            // which participant, reveal the arm as surely as the arm itself.
            if map.contains_key("din") && map.contains_key("kit_number") {
                out.push("a unit with its kit".to_string());
            }
            for (k, v) in map {
                if ["arm", "arm_id", "arm_name", "arms"].contains(&k.as_str())
                    || ["placebo", "unit_id", "unit_label"].contains(&k.as_str())
                {
                    out.push(format!("key {k}"));
                }
                arm_leaks(v, study, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| arm_leaks(v, study, out)),
        Value::String(s) => {
            // An id or name is looked for inside text too, unless the study's own id or title
            // spells it (the title says "versus placebo").
            let public = |word: &str| study.id.contains(word) || study.title.contains(word);
            for arm in &study.arms {
                let zh = arm.name_zh.clone().unwrap_or_else(|| arm.name.clone());
                for word in [&arm.id, &arm.name, &zh] {
                    if s == word || (!public(word) && s.contains(word.as_str())) {
                        out.push(format!("value {s:?}"));
                    }
                }
            }
        }
        _ => {}
    }
}

fn leaks_in_text(text: &str, study: &trial::Study) -> Vec<String> {
    match serde_json::from_str::<Value>(text) {
        Ok(v) => {
            let mut out = Vec::new();
            arm_leaks(&v, study, &mut out);
            out
        }
        // XML or HTML: any element's text that is an arm's id or name.
        Err(_) if text.trim_start().starts_with('<') => text
            .split('>')
            .filter_map(|after| after.split('<').next())
            .map(str::trim)
            .filter(|t| {
                study
                    .arms
                    .iter()
                    .any(|a| *t == a.id || *t == a.name || Some(*t) == a.name_zh.as_deref())
            })
            .map(|t| format!("element text {t:?}"))
            .collect(),
        // CSV: any field that is an arm's id or name, or a row of an unblinded chain.
        Err(_) => text
            .lines()
            .flat_map(|line| line.split(','))
            .map(|f| f.trim_matches('"'))
            .filter(|f| {
                study
                    .arms
                    .iter()
                    .any(|a| *f == a.id || *f == a.name || Some(*f) == a.name_zh.as_deref())
                    || f.ends_with("/unblinded")
            })
            .map(|f| format!("csv field {f:?}"))
            .collect(),
    }
}

/// The Phase II definition randomised by minimisation instead of permuted blocks.
fn phase2_minimisation() -> String {
    let old = "method = \"permuted-blocks\"\nblock_sizes = [3, 6]\nstrata = [\"ais\", \"level\", \"site\"]";
    assert!(PHASE2.contains(old));
    PHASE2.replace(
        old,
        "method = \"minimisation\"\nfactors = [{ factor = \"ais\" }, { factor = \"level\" }, { factor = \"site\", weight = 0.5 }]\nprobability = 0.8",
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_randomisations_assign_each_participant_once() {
    concurrent_over_http(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_minimisations_assign_each_participant_once() {
    concurrent_over_http(true).await;
}

/// 100 enrolled participants, each randomised twice at the same time: 200 requests.
async fn concurrent_over_http(minimisation: bool) {
    let definition = if minimisation {
        phase2_minimisation()
    } else {
        PHASE2.to_string()
    };
    for db in databases().await {
        let app = spawn_with(db.url(), &definition).await;
        let sid = app.study.id.clone();
        let crc = login(&app, "crc").await;
        let dsmb = login(&app, "dsmb").await;
        // A blinded role cannot generate the list; the unblinded statistician can, once.
        let (status, _) = login(&app, "admin")
            .await
            .post(&format!("/api/studies/{sid}/randomisation"), &json!({}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, e) = dsmb
            .post(
                &format!("/api/studies/{sid}/randomisation"),
                &json!({ "seed": "twelve" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["fields"][0]["field"], "seed", "{e}");
        let (status, list) = dsmb
            .post(
                &format!("/api/studies/{sid}/randomisation"),
                &json!({ "seed": "20261122", "per_stratum": 80, "kits": 300 }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{list}");
        assert_eq!(list["seed"], "20261122");
        let mut ids = Vec::new();
        for i in 0..100 {
            ids.push(enrolled(&app, &crc, 0, &format!("C{i:03}"), i % 2 == 1).await);
        }
        let started = std::time::Instant::now();
        let mut tasks = Vec::new();
        for id in ids.iter().chain(ids.iter()) {
            let crc = crc.clone();
            let path = format!("/api/studies/{sid}/participants/{id}/randomisation");
            tasks.push(tokio::spawn(
                async move { crc.post(&path, &json!({})).await },
            ));
        }
        assert_eq!(tasks.len(), 200);
        let (mut created, mut refused) = (Vec::new(), 0);
        for t in tasks {
            let (status, body) = t.await.unwrap();
            match status {
                StatusCode::CREATED => created.push(body),
                StatusCode::CONFLICT => {
                    assert!(
                        body["error"]["message"]
                            .as_str()
                            .unwrap()
                            .contains("already randomised"),
                        "{body}"
                    );
                    refused += 1
                }
                other => panic!("{other}: {body}"),
            }
        }
        assert_eq!((created.len(), refused), (100, 100));
        eprintln!(
            "{}: 200 concurrent randomisation requests answered in {:?}",
            db.url(),
            started.elapsed()
        );
        let mut leaks = Vec::new();
        for body in &created {
            arm_leaks(body, &app.study, &mut leaks);
        }
        assert!(leaks.is_empty(), "the blinded coordinator saw {leaks:?}");
        let sequences: BTreeSet<i64> = created
            .iter()
            .map(|b| b["sequence"].as_i64().unwrap())
            .collect();
        assert_eq!(sequences, (1..=100).collect());
        let kits: BTreeSet<&str> = created
            .iter()
            .map(|b| b["kit_number"].as_str().unwrap())
            .collect();
        assert_eq!(kits.len(), 100);
        // Everything stored is what the seed gives (minimisation replayed in order).
        let check = app
            .store
            .check_randomisation(&app.study)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(check.allocations, 100);
        assert!(check.problems.is_empty(), "{:?}", check.problems);
        if minimisation {
            continue;
        }
        // Two strata (AIS B cervical and thoracolumbar at site A): each used from position 0
        // without a gap, each slot the list's arm from the seed.
        let all = app
            .store
            .allocations(&store::Scope::Study(sid.clone()))
            .await
            .unwrap();
        let blocks = trial::BlockList::generate(&app.study, 20261122, 80).unwrap();
        for stratum in [
            all[0].stratum,
            all.iter()
                .find(|a| a.stratum != all[0].stratum)
                .unwrap()
                .stratum,
        ] {
            let mut mine: Vec<&store::Allocation> =
                all.iter().filter(|a| a.stratum == stratum).collect();
            mine.sort_by_key(|a| a.position);
            assert_eq!(mine.len(), 50);
            for (i, a) in mine.iter().enumerate() {
                assert_eq!(a.position, i as i64);
                let arm = blocks.sequence(stratum as usize).unwrap().allocations()[i];
                assert_eq!(a.arm_id, app.study.arms[arm].id);
            }
        }
        // The statistician sees the split per arm; the coordinator only the counts.
        let (_, summary) = dsmb.get(&format!("/api/studies/{sid}/randomisation")).await;
        let per_arm: i64 = summary["arms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["allocated"].as_i64().unwrap())
            .sum();
        assert_eq!((summary["allocated"].as_i64(), per_arm), (Some(100), 100));
        let (_, summary) = crc.get(&format!("/api/studies/{sid}/randomisation")).await;
        assert_eq!(summary["allocated"], 100);
        assert!(summary.get("arms").is_none(), "{summary}");
    }
}

/// Every operation of the OpenAPI document, as every role, over a study with allocations, a
/// dispensed kit, a lot whose units (active and placebo) were shipped and one given, and an
/// emergency unblinding: no blinded role ever receives an arm, a unit's placebo flag or which
/// unit went into which kit; the unblinded roles do where intended (so that the walk can find
/// a leak).
#[tokio::test]
async fn the_blind_walk() {
    for db in databases().await {
        let app = spawn(db.url()).await;
        let sid = app.study.id.clone();
        let crc = login(&app, "crc").await;
        let crcb = login(&app, "crcb").await;
        let dsmb = login(&app, "dsmb").await;
        let (status, _) = dsmb
            .post(
                &format!("/api/studies/{sid}/randomisation"),
                &json!({ "seed": "7", "per_stratum": 12, "kits": 60 }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let mut randomised = Vec::new();
        for i in 0..4 {
            randomised.push(enrolled(&app, &crc, 0, &format!("A{i}"), i % 2 == 0).await);
        }
        randomised.push(enrolled(&app, &crcb, 1, "B0", false).await);
        for (i, id) in randomised.iter().enumerate() {
            let client = if i < 4 { &crc } else { &crcb };
            let (status, body) = client
                .post(
                    &format!("/api/studies/{sid}/participants/{id}/randomisation"),
                    &json!({}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
        let fresh = enrolled(&app, &crc, 0, "A9", false).await;
        let (unblinded_one, dispensed_one) = (randomised[0], randomised[1]);
        // The pharmacist sees what to prepare, and dispenses.
        let pharm = login(&app, "pharm").await;
        let (status, kits) = pharm.get(&format!("/api/studies/{sid}/kits")).await;
        assert_eq!(status, StatusCode::OK);
        let kits = kits.as_array().unwrap().clone();
        assert_eq!(kits.len(), 4, "site A's allocations only");
        assert!(kits.iter().all(|k| k["arm_id"].is_string()));
        let kit = kits
            .iter()
            .find(|k| k["participant_id"] == dispensed_one)
            .unwrap()["kit_number"]
            .as_str()
            .unwrap()
            .to_string();
        let (status, body) = pharm
            .post(
                &format!("/api/studies/{sid}/participants/{dispensed_one}/dispensing"),
                &json!({ "kit_number": kit }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // The cell product: a lot, its units shipped to site A, and the dispensed kit's unit
        // given (issue 17).
        let product = crate::product::seed(&app, Some((dispensed_one, &kit))).await;
        // Emergency unblinding: site B's investigator may not; site A's may, with reason and
        // password; a wrong password is refused and recorded.
        let path = format!("/api/studies/{sid}/participants/{unblinded_one}/unblinding");
        let invb = login(&app, "invb").await;
        let (status, _) = invb
            .post(&path, &json!({ "reason": "r", "password": PASSWORD }))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let inv = login(&app, "inv").await;
        let (status, body) = inv
            .post(&path, &json!({ "reason": "", "password": PASSWORD }))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let (status, body) = inv
            .post(
                &path,
                &json!({ "reason": "severe reaction", "password": "wrong" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        let (status, revealed) = inv
            .post(
                &path,
                &json!({ "reason": "severe reaction: the treating physician must know", "password": PASSWORD }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{revealed}");
        let truth = kits
            .iter()
            .find(|k| k["participant_id"] == unblinded_one)
            .unwrap()["arm_id"]
            .clone();
        assert_eq!(revealed["arm_id"], truth, "the one answer of an unblinding");
        assert_eq!(revealed["emergency_unblinded"], true);
        // The sponsor and the DSMB are told, in the application and by e-mail (outbox).
        let admin = login(&app, "admin").await;
        let (status, notes) = admin
            .get(&format!("/api/studies/{sid}/notifications"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(notes.as_array().unwrap().len(), 1, "{notes}");
        assert!(notes[0]["message"]
            .as_str()
            .unwrap()
            .contains("severe reaction"));
        assert_eq!(notes[0]["read_at"], Value::Null, "{notes}");
        // The sponsor acknowledges it; the DSMB statistician has not yet.
        let read = format!("/api/studies/{sid}/notifications/{}/read", notes[0]["id"]);
        let (status, acknowledged) = admin.post(&read, &json!({})).await;
        assert_eq!(status, StatusCode::OK, "{acknowledged}");
        assert!(acknowledged["read_at"].is_string(), "{acknowledged}");
        let (_, theirs) = dsmb.get(&format!("/api/studies/{sid}/notifications")).await;
        assert_eq!(theirs[0]["read_at"], Value::Null, "{theirs}");
        // A coordinator is not told, and cannot acknowledge.
        let (status, _) = crc.post(&read, &json!({})).await;
        assert!(
            [StatusCode::FORBIDDEN, StatusCode::NOT_FOUND].contains(&status),
            "{status}"
        );
        let outbox = app.store.outbox(&sid).await.unwrap();
        let to: BTreeSet<&str> = outbox.iter().map(|m| m.recipient.as_str()).collect();
        assert_eq!(to, BTreeSet::from(["admin", "dsmb"]));
        // Sent over SMTP to a real server, what the blinded sponsor receives names no arm.
        if let Some(python) = crate::mail::python() {
            let sink = crate::mail::Sink::start(&python).await;
            for name in ["admin", "dsmb"] {
                let user = app.store.user_by_name(name).await.unwrap().unwrap();
                let email = format!("{name}@sponsor.example");
                let system = store::Actor::system();
                app.store
                    .set_user_email(user.id, &email, &system)
                    .await
                    .unwrap();
            }
            let now = time::OffsetDateTime::now_utc();
            crate::mail::mailer(&sink.url())
                .send_due(&app.store, now)
                .await
                .unwrap();
            let arrived = sink.arrived();
            let to_sponsor: Vec<&Value> = arrived
                .iter()
                .filter(|m| m["rcpt_tos"] == json!(["admin@sponsor.example"]))
                .collect();
            assert_eq!(to_sponsor.len(), 1, "{arrived:?}");
            let text = format!("{}\n{}", to_sponsor[0]["subject"], to_sponsor[0]["body"])
                .replace(&app.study.id, "")
                .to_lowercase();
            assert!(text.contains("severe reaction"), "{text}");
            for arm in &app.study.arms {
                let zh = arm.name_zh.clone().unwrap_or_else(|| arm.name.clone());
                for name in [&arm.id, &arm.name, &zh] {
                    assert!(!text.contains(&name.to_lowercase()), "{name} in {text}");
                }
            }
        }
        // The participant is marked unblinded in the list and the view, for everyone.
        let (_, listed) = admin.get(&format!("/api/studies/{sid}/participants")).await;
        let marked: Vec<i64> = listed
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["emergency_unblinded"] == true)
            .map(|p| p["id"].as_i64().unwrap())
            .collect();
        assert_eq!(marked, [unblinded_one]);
        let (_, view) = crc
            .get(&format!("/api/studies/{sid}/participants/{unblinded_one}"))
            .await;
        assert_eq!(view["allocation"]["emergency_unblinded"], true, "{view}");
        assert!(view["allocation"].get("arm_id").is_none(), "{view}");
        let (_, summary) = admin
            .get(&format!("/api/studies/{sid}/randomisation"))
            .await;
        assert_eq!(
            (
                summary["allocated"].as_i64(),
                summary["unblinded"].as_i64(),
                summary["dispensed"].as_i64()
            ),
            (Some(5), Some(1), Some(1)),
            "{summary}"
        );

        // An adverse event of the unblinded participant: events carry no arm.
        app.store
            .load_terms(&web::demo::demo_terms(), &store::Actor::system())
            .await
            .unwrap();
        let (status, body) = crc
            .post(
                &format!("/api/studies/{sid}/participants/{unblinded_one}/adverse-events"),
                &json!({
                    "verbatim": "headache", "term": "Headache", "onset": "2026-11",
                    "grade": 1, "causality_product": "unlikely",
                    "causality_procedure": "possible", "action": "dose-not-changed",
                    "outcome": "recovering"
                }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        // A SUSAR (serious, related, unexpected) of the same participant, reported by the
        // site: event 2, the one case whose arm pharmacovigilance is shown.
        let (status, body) = crc
            .post(
                &format!("/api/studies/{sid}/participants/{unblinded_one}/adverse-events"),
                &json!({
                    "verbatim": "vomiting", "term": "Vomiting", "onset": "2026-11",
                    "grade": 3, "seriousness": ["hospitalisation"],
                    "causality_product": "possible", "causality_procedure": "not-related",
                    "action": "dose-delayed", "outcome": "recovering"
                }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let susar = body["id"].as_i64().unwrap();
        let (status, body) = crc
            .post(
                &format!(
                    "/api/studies/{sid}/participants/{unblinded_one}/adverse-events/{susar}/sae-report"
                ),
                &json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["classification"]["susar"], true, "{body}");

        // The safety tables: by arm only for the roles that see arms; pooled, one group, for
        // every blinded role (API and page); none for the pharmacist.
        let arm_ids: Vec<&str> = app.study.arms.iter().map(|a| a.id.as_str()).collect();
        for (name, role, _) in PEOPLE {
            let client = login(&app, name).await;
            let (status, tables) = client
                .get(&format!("/api/studies/{sid}/safety/tables"))
                .await;
            if matches!(
                role,
                Role::UnblindedPharmacist | Role::Qc | Role::QualifiedPerson
            ) {
                assert_eq!(status, StatusCode::FORBIDDEN, "{tables}");
                continue;
            }
            assert_eq!(status, StatusCode::OK, "{name}: {tables}");
            let groups: Vec<&str> = tables["groups"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["group"].as_str().unwrap())
                .collect();
            let (_, page) = client
                .text("get", &format!("/studies/{sid}/safety/dsmb"), &json!(null))
                .await;
            if app.study.is_blinded(*role) {
                assert_eq!(tables["grouping"], "pooled", "{name}: {tables}");
                assert_eq!(groups, [trial::safety::POOLED], "{name}");
                assert!(page.contains("data-grouping=\"pooled\""), "{name}");
            } else {
                assert_eq!(tables["grouping"], "arm", "{name}: {tables}");
                assert!(
                    groups
                        .iter()
                        .all(|g| arm_ids.contains(g) || *g == store::UNASSIGNED),
                    "{groups:?}"
                );
                assert!(groups.len() >= 2, "{groups:?}");
                assert!(page.contains("data-grouping=\"arm\""), "{name}");
            }
        }

        // The walk.
        let doc = crc.get("/api/openapi.json").await.1;
        let mut operations = Vec::new();
        for (path, methods) in doc["paths"].as_object().unwrap() {
            for (method, op) in methods.as_object().unwrap() {
                operations.push((
                    method.clone(),
                    path.clone(),
                    op["operationId"].as_str().unwrap().to_string(),
                ));
            }
        }
        let mut targets = randomised.clone();
        targets.push(fresh);
        let study = &app.study;
        for (name, role, _) in PEOPLE {
            let blinded = study.is_blinded(*role);
            let client = login(&app, name).await;
            let mut seen = Vec::new();
            for (method, path, op) in &operations {
                // The document is the same for every caller and holds no data: it names the
                // fields an unblinded caller gets (`arm_id`), which the leak check would flag.
                if ["login", "logout", "openapi"].contains(&op.as_str()) {
                    continue;
                }
                for target in &targets {
                    let mut paths: Vec<String> = ["1".to_string(), susar.to_string()]
                        .iter()
                        .filter(|ae| path.contains("{ae}") || *ae == "1")
                        .map(|ae| {
                            path.replace("{study}", &sid)
                                .replace("{id}", &target.to_string())
                                .replace("{visit}", "baseline")
                                .replace("{form}", "nope")
                                .replace("{query}", "1")
                                .replace("{ae}", ae)
                                .replace("{lot}", &product.lot.to_string())
                                .replace("{shipment}", &product.shipment.to_string())
                                .replace("{excursion}", &product.excursion.to_string())
                                .replace("{kit}", &kit)
                        })
                        .collect();
                    if op == "getAuditTrail" {
                        let base = paths.pop().unwrap();
                        for entity in ["participant", "allocation"] {
                            paths.push(format!("{base}?entity={entity}&record={target}"));
                        }
                        paths.push(format!("{base}?entity=randomisation-list&record={sid}"));
                    }
                    let bodies = match op.as_str() {
                        "dispenseKit" => vec![json!({}), json!({ "kit_number": kit })],
                        "emergencyUnblind" => {
                            vec![json!({}), json!({ "reason": "walk", "password": "wrong" })]
                        }
                        "generateRandomisation" => vec![json!({ "seed": "1" })],
                        _ => vec![json!({})],
                    };
                    for p in &paths {
                        for body in &bodies {
                            let (status, text) = client.text(method, p, body).await;
                            assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{op}: {text}");
                            // define.xml declares the trial design domains (TA's arms of
                            // the design, never who is in which: `export::sdtm` design.rs),
                            // so it names the arms for everyone; a subject's arm is in DM
                            // and EX only, which the exports test checks blinded.
                            if op == "exportDefineXml" {
                                continue;
                            }
                            for leak in leaks_in_text(&text, study) {
                                seen.push(format!("{op} {p} ({status}): {leak}"));
                            }
                        }
                    }
                }
            }
            if *role == Role::Pharmacovigilance {
                // The one exception to blinding: the arm of the SUSAR's case, from its case
                // view and its expedited report's download only (each audited on the
                // unblinded chain).
                assert!(blinded);
                let case = format!("getSafetyCase /api/studies/{sid}/safety/cases/{susar} ");
                let report = format!("exportE2b /api/studies/{sid}/safety/cases/{susar}/e2b ");
                assert!(!seen.is_empty(), "{name} should see the SUSAR's arm");
                assert!(
                    seen.iter()
                        .all(|s| s.starts_with(&case) || s.starts_with(&report)),
                    "{name} saw an arm elsewhere: {seen:#?}"
                );
                assert!(
                    seen.iter().any(|s| s.starts_with(&report)),
                    "{name} should see the arm in the SUSAR's report: {seen:#?}"
                );
            } else if blinded {
                assert!(seen.is_empty(), "{name} (blinded) saw an arm: {seen:#?}");
            } else {
                // The unblinded roles do see arms where intended: QC, which reads no
                // participant, the placebo flags of the units it labelled.
                let expected = match role {
                    Role::UnblindedPharmacist => "listKits",
                    Role::Qc => "listLotUnits",
                    _ => "getRandomisation",
                };
                assert!(
                    seen.iter().any(|s| s.starts_with(expected)),
                    "{name} should see arms in {expected}: {seen:#?}"
                );
                if *role != Role::Qc {
                    assert!(
                        seen.iter().any(|s| s.starts_with("getParticipant")),
                        "{name}: {seen:#?}"
                    );
                }
                if *role == Role::UnblindedPharmacist {
                    for op in ["listLotUnits", "traceLot", "traceParticipant"] {
                        assert!(
                            seen.iter().any(|s| s.starts_with(op)),
                            "{name} should see the units' placebo flags and links in {op}: {seen:#?}"
                        );
                    }
                }
            }
        }
        assert!(matches!(
            app.store.verify_audit().await.unwrap(),
            store::AuditReport::Intact { .. }
        ));
    }
}

/// Phase I through the API: cohorts of three by the 3+3 rule, signed DLT assessments, the
/// cohort view's decision, a level the rule does not allow refused, the sponsor's override.
#[tokio::test]
async fn a_dose_escalation_by_the_three_plus_three_rule() {
    for db in databases().await {
        let app = spawn_with(db.url(), PHASE1).await;
        let sid = app.study.id.clone();
        let crc = login(&app, "crc").await;
        let inv = login(&app, "inv").await;
        let admin = login(&app, "admin").await;
        let mut ids = Vec::new();
        for i in 0..5 {
            ids.push(enrolled(&app, &crc, 0, &format!("D{i}"), false).await);
        }
        let assign = |id: i64| format!("/api/studies/{sid}/participants/{id}/dose-level");
        for id in &ids[..3] {
            let (status, dose) = crc.post(&assign(*id), &json!({})).await;
            assert_eq!(status, StatusCode::CREATED, "{dose}");
            assert_eq!(
                (dose["level_id"].as_str(), dose["cells"].as_f64()),
                (Some("sad-1"), Some(5.0e7))
            );
        }
        let (status, e) = crc.post(&assign(ids[3]), &json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{e}");
        assert!(
            e["error"]["message"].as_str().unwrap().contains("full"),
            "{e}"
        );
        let (_, view) = crc.get(&format!("/api/studies/{sid}/cohorts")).await;
        assert_eq!(view["levels"][0]["assigned"], 3, "{view}");
        assert_eq!(view["levels"][0]["decision"], "need-more");
        assert_eq!(view["open"], false);
        // Signed DLT assessments: a wrong password is refused; then no DLT once the window
        // (28 days after the single dose on 2026-10-24, day 1) is over.
        let dlt = |id: i64| format!("/api/studies/{sid}/participants/{id}/dlt");
        let none = |password: &str| json!({ "dlt": false, "description": "no DLT", "assessed_on": "2026-11-21", "password": password });
        let (status, _) = inv.post(&dlt(ids[0]), &none("wrong")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = crc.post(&dlt(ids[0]), &none(PASSWORD)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "only the investigator signs");
        for id in &ids[..3] {
            let (status, a) = inv.post(&dlt(*id), &none(PASSWORD)).await;
            assert_eq!(status, StatusCode::CREATED, "{a}");
            assert_eq!(a["signer_name"], "Test inv");
        }
        let (_, view) = crc.get(&format!("/api/studies/{sid}/cohorts")).await;
        assert_eq!(view["levels"][0]["decision"], "escalate", "{view}");
        assert_eq!(view["enrolling_level"], "sad-2");
        let members = view["participants"].as_array().unwrap();
        assert_eq!(members.len(), 3, "{view}");
        assert!(members
            .iter()
            .all(|m| m["level_id"] == "sad-1" && m["dlt"] == "no"));
        // A level the rule does not allow: refused, naming the one it allows.
        let (status, e) = crc
            .post(&assign(ids[3]), &json!({ "level_id": "mad-1" }))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{e}");
        assert!(
            e["error"]["message"]
                .as_str()
                .unwrap()
                .contains("allowed: sad-2"),
            "{e}"
        );
        // The sponsor's override: reason and signature, audited.
        let over = format!(
            "/api/studies/{sid}/participants/{}/dose-level/override",
            ids[3]
        );
        let (status, _) = crc
            .post(
                &over,
                &json!({ "level_id": "mad-1", "reason": "r", "password": PASSWORD }),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, e) = admin
            .post(
                &over,
                &json!({ "level_id": "mad-1", "reason": "", "password": PASSWORD }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        let (status, dose) = admin
            .post(&over, &json!({ "level_id": "mad-1", "reason": "safety review board decision", "password": PASSWORD }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{dose}");
        assert_eq!(dose["override_signer"], "Test admin");
        assert_eq!(dose["dose_days"], json!([1, 15, 29, 43]));
        // Open-label: the coordinator sees the dose in the participant view.
        let (_, p) = crc
            .get(&format!("/api/studies/{sid}/participants/{}", ids[3]))
            .await;
        assert_eq!(p["dose"]["level_id"], "mad-1", "{p}");
        let trail = app
            .store
            .audit_of("dose-override", &ids[3].to_string())
            .await
            .unwrap();
        assert!(trail
            .iter()
            .any(|r| r.reason.as_deref() == Some("safety review board decision")));
    }
}

/// The demo seeds both trial shapes: Phase II randomised with kits (some dispensed, one
/// emergency unblinding), Phase I with cohorts and DLT assessments.
#[tokio::test]
async fn the_demo_runs_both_trial_shapes() {
    for db in databases().await {
        let today = time::Date::from_calendar_date(2026, time::Month::November, 22).unwrap();
        let (sql, app, _) = common::demo_app(db.url(), today).await;
        let p2 = store::Scope::Study("XS228-P2".into());
        let enrolled = sql
            .participants(&p2)
            .await
            .unwrap()
            .into_iter()
            .filter(|p| p.enrolled_on.is_some())
            .count();
        let list = sql.randomisation_list("XS228-P2").await.unwrap().unwrap();
        assert!(enrolled > 10);
        assert_eq!(list.allocated as usize, enrolled);
        assert!(list.dispensed > 0);
        assert_eq!(list.unblinded, 1);
        // The demo's own terms, and adverse events of each kind, none with an onset after
        // today.
        assert_eq!(
            sql.terms().await.unwrap().terms(),
            &web::demo::demo_terms()[..]
        );
        let mut events = Vec::new();
        for p in sql.participants(&p2).await.unwrap() {
            events.extend(sql.adverse_events_of(&p2, p.id).await.unwrap());
        }
        let grades: std::collections::BTreeSet<u8> = events.iter().map(|e| e.event.grade).collect();
        assert_eq!(grades, [1, 2, 3].into(), "{events:?}");
        assert!(events.iter().any(|e| e.event.is_serious()));
        let today_partial = trial::safety::PartialDate::from(today);
        assert!(events
            .iter()
            .all(|e| !today_partial.is_before(e.event.onset)));
        // Two SUSARs, each assessed by the sponsor; one overdue, listed first.
        let phase2 = &app.studies["XS228-P2"];
        let clocks = sql
            .safety_clocks(phase2, &p2, false, time::OffsetDateTime::now_utc())
            .await
            .unwrap();
        let susars: BTreeSet<i64> = clocks
            .iter()
            .filter(|c| c.kind != trial::safety::ClockKind::SiteReport)
            .map(|c| c.ae_id)
            .collect();
        assert_eq!(susars.len(), 2, "{clocks:?}");
        assert!(clocks[0].overdue, "{clocks:?}");
        for ae in &susars {
            let case = sql
                .safety_case(phase2, &p2, *ae, time::OffsetDateTime::now_utc())
                .await
                .unwrap();
            assert!(
                case.classification.susar && case.sponsor.is_some(),
                "{case:?}"
            );
        }
        assert!(clocks
            .iter()
            .any(|c| c.awaiting == [trial::safety::Authority::Cde]));
        let study = &app.studies["XS228-P1"];
        let counts = sql.cohort_counts(study).await.unwrap();
        let rule = trial::three_plus_three(
            &counts
                .iter()
                .map(|c| (c.evaluable, c.dlts))
                .collect::<Vec<_>>(),
        );
        assert_eq!(
            rule.decisions,
            [
                trial::Decision::Escalate,
                trial::Decision::Escalate,
                trial::Decision::NeedMore,
                trial::Decision::NeedMore
            ]
        );
        assert_eq!((counts[1].assigned, counts[1].dlts), (6, 1));
        assert_eq!(counts[2].assigned, 1);
        // The DLT names its grade 3 adverse event; the newest participant's related grade 4
        // event fired a stopping rule that awaits the DSMB, and Phase II fired none.
        let p1 = store::Scope::Study("XS228-P1".into());
        let dlts: Vec<store::DltAssessment> = sql
            .doses(&p1)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|(_, a)| a.filter(|a| a.dlt))
            .collect();
        assert_eq!(dlts.len(), 1);
        assert_eq!(dlts[0].ae_ids.len(), 1);
        let linked = sql
            .adverse_event(&p1, dlts[0].participant_id, dlts[0].ae_ids[0])
            .await
            .unwrap();
        assert_eq!(linked.event.grade, 3);
        let holding = sql.stopping_rules_holding("XS228-P1").await.unwrap();
        assert_eq!(holding.len(), 1, "{holding:?}");
        assert_eq!(holding[0].0, "related-grade-4");
        assert!(sql
            .stopping_rules_holding("XS228-P2")
            .await
            .unwrap()
            .is_empty());
        assert!(matches!(
            sql.verify_audit().await.unwrap(),
            store::AuditReport::Intact { .. }
        ));
    }
}

/// Bad input to the allocation and escalation operations: a clear 4xx naming the field and the
/// allowed values, never a 500, and nothing written.
#[tokio::test]
async fn bad_allocation_input_gets_a_clear_4xx() {
    for db in databases().await {
        let app = spawn(db.url()).await;
        let sid = app.study.id.clone();
        let crc = login(&app, "crc").await;
        let dsmb = login(&app, "dsmb").await;
        let inv = login(&app, "inv").await;
        let pharm = login(&app, "pharm").await;
        let gen = format!("/api/studies/{sid}/randomisation");
        for (body, status, field) in [
            (json!({ "per_stratum": 0 }), 422, Some("per_stratum")),
            (json!({ "kits": 1000000 }), 422, Some("kits")),
            (json!({ "seed": "-3" }), 422, Some("seed")),
            (json!({ "seed": 1.5 }), 400, None),
            (json!({ "colour": "blue" }), 400, None),
        ] {
            let (s, e) = dsmb.post(&gen, &body).await;
            assert_eq!(s.as_u16(), status, "{body}: {e}");
            if let Some(field) = field {
                assert_eq!(e["error"]["fields"][0]["field"], field, "{e}");
                assert!(
                    e["error"]["fields"][0]["message"]
                        .as_str()
                        .unwrap()
                        .contains("allowed")
                        || field == "seed",
                    "{e}"
                );
            }
        }
        assert_eq!(dsmb.get(&gen).await.1["generated"], false);
        // No list yet: enrolment waits for it, with a conflict naming the statistician's step.
        let id = screened(&app, &crc, 0, "X1", false).await;
        let enrol = format!("/api/studies/{sid}/participants/{id}/enrolment");
        let (s, e) = crc.post(&enrol, &enrolment("X1")).await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
        assert_eq!(e["error"]["fields"][0]["field"], "randomisation", "{e}");
        assert!(
            e["error"]["message"]
                .as_str()
                .unwrap()
                .contains("the DSMB statistician generates it"),
            "{e}"
        );
        // A study stuck before enrolment waited: the participant was enrolled with no list.
        store::testing::enrol_bypassing_rules(&app.store, id, "XS-X1", "2026-10-21")
            .await
            .unwrap();
        let rand = format!("/api/studies/{sid}/participants/{id}/randomisation");
        let (s, e) = crc.post(&rand, &json!({})).await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
        assert!(
            e["error"]["message"]
                .as_str()
                .unwrap()
                .contains("has not been generated"),
            "{e}"
        );
        // Its way out: the list with a reason.
        let (s, e) = dsmb.post(&gen, &json!({ "seed": 5 })).await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
        assert_eq!(e["error"]["fields"][0]["field"], "late_reason", "{e}");
        let late = json!({ "seed": 5, "late_reason": "enrolled before the list (protocol v1.0)" });
        let (s, e) = dsmb.post(&gen, &late).await;
        assert_eq!(s, StatusCode::CREATED, "{e}");
        let (s, _) = crc.post(&rand, &json!({ "arm": "xs228" })).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let (s, _) = crc
            .post(
                &format!("/api/studies/{sid}/participants/abc/randomisation"),
                &json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, e) = inv
            .post(
                &format!("/api/studies/{sid}/participants/{id}/unblinding"),
                &json!({ "reason": "x" }),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
        let (s, e) = pharm
            .post(
                &format!("/api/studies/{sid}/participants/{id}/dispensing"),
                &json!({ "kit_number": "K1" }),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
        assert!(
            e["error"]["message"]
                .as_str()
                .unwrap()
                .contains("not randomised"),
            "{e}"
        );
        // Phase II has no dose levels: a conflict, not a 500.
        let (s, e) = crc
            .post(
                &format!("/api/studies/{sid}/participants/{id}/dose-level"),
                &json!({ "level_id": "sad-1" }),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
        let (s, e) = inv
            .post(
                &format!("/api/studies/{sid}/participants/{id}/dlt"),
                &json!({ "dlt": "maybe", "description": "", "assessed_on": "x", "password": PASSWORD }),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    }
    // Phase I: an unknown level and a bad date name the field and the allowed values.
    for db in databases().await {
        let app = spawn_with(db.url(), PHASE1).await;
        let sid = app.study.id.clone();
        let crc = login(&app, "crc").await;
        let inv = login(&app, "inv").await;
        let admin = login(&app, "admin").await;
        let id = enrolled(&app, &crc, 0, "Y1", false).await;
        let (s, e) = admin
            .post(
                &format!("/api/studies/{sid}/participants/{id}/dose-level/override"),
                &json!({ "level_id": "sad-9", "reason": "r", "password": PASSWORD }),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["fields"][0]["field"], "level_id");
        assert!(
            e["error"]["fields"][0]["message"]
                .as_str()
                .unwrap()
                .contains("allowed: sad-1, sad-2, mad-1, mad-2"),
            "{e}"
        );
        let (s, _) = crc
            .post(
                &format!("/api/studies/{sid}/participants/{id}/dose-level"),
                &json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, e) = inv
            .post(
                &format!("/api/studies/{sid}/participants/{id}/dlt"),
                &json!({ "dlt": false, "description": "none", "assessed_on": "2026-13-01", "password": PASSWORD }),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["fields"][0]["field"], "assessed_on");
        let (s, e) = inv
            .post(
                &format!("/api/studies/{sid}/participants/{id}/dlt"),
                &json!({ "dlt": true, "description": "headache", "assessed_on": "2026-10-30", "password": PASSWORD }),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["fields"][0]["field"], "onset_on");
    }
}

//! The journey's pages through the real server, on both databases: the screening form (every
//! input of the screening exam named by the flat layout the API reads), a participant's journey
//! page (enrol, visit dates, randomise with its confirmation, emergency unblinding for the
//! site's investigator only, once, end), the pharmacist's kits, the participant list's and page's
//! kit and unblinding marks, and the Phase I cohort page; each for every role in both languages
//! with no untranslated key, each form offered only to the roles the API allows, and no arm
//! shown to a blinded role.

use reqwest::StatusCode;
use serde_json::json;

use crate::allocation::{enrolled, screened, spawn_with};
use crate::common::{self, login, Client, PASSWORD, PHASE1, PHASE2};

/// Every user of `allocation::PEOPLE`, with whether the Phase II study blinds them.
const ROLES: &[(&str, bool)] = &[
    ("admin", true),
    ("inv", true),
    ("crc", true),
    ("mon", true),
    ("dm", true),
    ("pharm", false),
    ("dsmb", false),
    ("aud", true),
    ("sp", true),
    ("pv", true),
    ("dsmbm", false),
    ("crcb", true),
    ("invb", true),
];

/// The page's status and text.
async fn page(client: &Client, path: &str) -> (StatusCode, String) {
    client.text("get", path, &serde_json::Value::Null).await
}

/// Switches the client's pages to `lang`.
async fn language(client: &Client, lang: &str) {
    let r = client
        .http
        .get(format!("{}/language/{lang}", client.base))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success() || r.status().is_redirection());
}

/// No message key shows as itself (a missing translation renders the key).
fn translated(path: &str, body: &str) {
    for prefix in ["j.", "coh.", "kits.", "status.", "dlt.", "p.", "list."] {
        let shown = body
            .split('>')
            .any(|piece| piece.trim_start().starts_with(prefix));
        assert!(!shown, "{path}: a {prefix}* key shows untranslated: {body}");
    }
}

/// Element texts that are an arm's id or name.
fn arms_shown(body: &str, study: &trial::Study) -> Vec<String> {
    body.split('>')
        .filter_map(|after| after.split('<').next())
        .map(str::trim)
        .filter(|t| {
            study
                .arms
                .iter()
                .any(|a| *t == a.id || *t == a.name || Some(*t) == a.name_zh.as_deref())
        })
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn the_journey_pages_for_each_role_in_both_languages() {
    for db in common::databases("scitrial_journey_pages").await {
        let app = common::with_list(spawn_with(db.url(), PHASE2).await).await;
        let sid = app.study.id.clone();
        let crc = login(&app, "crc").await;
        let screened_only = screened(&app, &crc, 0, "J0", false).await;
        let randomised = enrolled(&app, &crc, 0, "J1", false).await;
        let fresh = enrolled(&app, &crc, 0, "J2", false).await;
        let (status, a) = crc
            .post(
                &format!("/api/studies/{sid}/participants/{randomised}/randomisation"),
                &json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{a}");
        let kit = a["kit_number"].as_str().unwrap().to_string();

        let journey = |id: i64| format!("/studies/{sid}/participants/{id}/journey");
        let api = |id: i64| format!("/api/studies/{sid}/participants/{id}");
        for (user, blind) in ROLES {
            let client = login(&app, user).await;
            for lang in ["en", "zh"] {
                language(&client, lang).await;
                let site_a = !["crcb", "invb"].contains(user);
                // The screening form: for those who enter data.
                let path = format!("/studies/{sid}/screening");
                let (status, body) = page(&client, &path).await;
                let enters = ["inv", "crc", "crcb", "invb"].contains(user);
                assert_eq!(status.is_success(), enters, "{user} {path}: {status}");
                if enters {
                    translated(&path, &body);
                    assert!(body.contains(&format!("data-api=\"/api/studies/{sid}/participants\"")));
                }
                // The list: the kit and the links the role may use, never an arm.
                let path = format!("/studies/{sid}/participants");
                let (status, body) = page(&client, &path).await;
                assert_eq!(status, StatusCode::OK, "{user} {path}");
                translated(&path, &body);
                assert_eq!(body.contains(&kit), site_a, "{user}: the kit in the list");
                assert_eq!(
                    body.contains(&format!("href=\"/studies/{sid}/kits\"")),
                    *user == "pharm"
                );
                if *blind {
                    assert!(arms_shown(&body, &app.study).is_empty(), "{user}: {body}");
                }
                // The journey page of the randomised participant.
                let path = journey(randomised);
                let (status, body) = page(&client, &path).await;
                if !site_a {
                    assert_eq!(status, StatusCode::NOT_FOUND, "{user} {path}");
                    continue;
                }
                assert_eq!(status, StatusCode::OK, "{user} {path}: {body}");
                translated(&path, &body);
                assert!(body.contains(&kit), "{user}: the kit is shown");
                assert_eq!(body.contains("data-arm"), !blind, "{user}: the arm");
                if *blind {
                    assert!(arms_shown(&body, &app.study).is_empty(), "{user}: {body}");
                }
                assert_eq!(
                    body.contains(&format!("data-api=\"{}/unblinding\"", api(randomised))),
                    *user == "inv",
                    "{user}: emergency unblinding is for the site's investigator"
                );
                assert_eq!(
                    body.contains(&format!("data-api=\"{}/end\"", api(randomised))),
                    *user == "inv"
                );
                assert!(!body.contains("id=\"randomise-form\""), "randomised once");
                // The screening exam eligibility was computed from, and its form.
                assert!(body.contains("data-screening-exam"), "{body}");
                assert!(body.contains(&format!(
                    "href=\"/studies/{sid}/participants/{randomised}/visits/screening/forms/"
                )));
                // The participant page links to it and shows the kit.
                let path = format!("/studies/{sid}/participants/{randomised}");
                let (_, body) = page(&client, &path).await;
                assert!(body.contains(&format!("href=\"{}\"", journey(randomised))));
                assert!(body.contains(&kit));
                if *blind {
                    assert!(arms_shown(&body, &app.study).is_empty(), "{user}: {body}");
                }
                // An enrolled participant: randomised with a confirmation, by the site.
                let (_, body) = page(&client, &journey(fresh)).await;
                translated(&journey(fresh), &body);
                let randomises = ["inv", "crc"].contains(user);
                assert_eq!(
                    body.contains(&format!("data-api=\"{}/randomisation\"", api(fresh))),
                    randomises,
                    "{user}"
                );
                if randomises {
                    assert!(body.contains("id=\"randomise-confirm\""));
                }
                // A screened participant: enrolled by the site; no visits yet.
                let (_, body) = page(&client, &journey(screened_only)).await;
                translated(&journey(screened_only), &body);
                assert_eq!(
                    body.contains(&format!("data-api=\"{}/enrolment\"", api(screened_only))),
                    randomises,
                    "{user}"
                );
                // The kits: the unblinded pharmacist's, with the arm.
                let path = format!("/studies/{sid}/kits");
                let (status, body) = page(&client, &path).await;
                assert_eq!(status.is_success(), *user == "pharm", "{user} {path}");
                if *user == "pharm" {
                    translated(&path, &body);
                    assert!(!arms_shown(&body, &app.study).is_empty(), "the arm");
                    assert!(body.contains(&format!("data-api=\"{}/dispensing\"", api(randomised))));
                }
            }
        }

        // The visit dates: the page's form for each visit not yet done, never after today
        // (the date input's maximum); once recorded, the date is shown instead. The screening
        // visit was recorded at screening, with its exam.
        assert!(!body_has_form(
            &page(&crc, &journey(randomised)).await.1,
            "screening"
        ));
        let (_, body) = page(&crc, &journey(randomised)).await;
        let visit = body
            .split("data-api=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().to_string())
            .find(|u| u.ends_with("/visits/baseline"))
            .expect("a visit date form");
        let today = time::OffsetDateTime::now_utc().date().to_string();
        assert!(body.contains(&format!(
            "id=\"v-baseline\" name=\"done_on\" max=\"{today}\""
        )));
        let (status, e) = crc.post(&visit, &json!({ "done_on": "2026-10-20" })).await;
        assert_eq!(status, StatusCode::OK, "{e}");
        let (_, body) = page(&crc, &journey(randomised)).await;
        assert!(!body_has_form(&body, "baseline"));
        assert!(body.contains("2026-10-20"));

        // The pharmacist dispenses; the page then says when.
        let pharm = login(&app, "pharm").await;
        let (status, e) = pharm
            .post(
                &format!("{}/dispensing", api(randomised)),
                &json!({ "kit_number": kit }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{e}");
        let (_, body) = page(&pharm, &format!("/studies/{sid}/kits")).await;
        assert!(body.contains("data-dispensed-at"));

        // The investigator unblinds once: afterwards the list and both pages say so, the form
        // is gone, and the arm is still not on the (blinded) investigator's pages.
        let inv = login(&app, "inv").await;
        let (status, e) = inv
            .post(
                &format!("{}/unblinding", api(randomised)),
                &json!({ "reason": "anaphylaxis: treatment must be known", "password": PASSWORD }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{e}");
        let (_, body) = page(&inv, &journey(randomised)).await;
        assert!(body.contains("data-unblinded"));
        assert!(!body.contains("/unblinding\""), "once only");
        assert!(arms_shown(&body, &app.study).is_empty(), "{body}");
        let (_, body) = page(&crc, &format!("/studies/{sid}/participants")).await;
        assert!(body.contains("data-list-unblinded"));
        let (_, body) = page(&crc, &format!("/studies/{sid}/participants/{randomised}")).await;
        assert!(body.contains("data-unblinded"));

        // The end: the form's fields are what the API reads; the page then shows the end date
        // and offers nothing more.
        let (_, body) = page(&inv, &journey(fresh)).await;
        for name in ["status", "on", "reason"] {
            assert!(body.contains(&format!("name=\"{name}\"")), "{name}");
        }
        let today = time::OffsetDateTime::now_utc().date().to_string();
        let (status, e) = inv
            .post(
                &format!("{}/end", api(fresh)),
                &json!({ "status": "withdrawn", "on": today, "reason": "moved abroad" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{e}");
        let (_, body) = page(&inv, &journey(fresh)).await;
        assert!(body.contains("data-status=\"withdrawn\""));
        assert!(!body.contains(&format!("data-api=\"{}/end\"", api(fresh))));
        assert!(!body.contains(&format!("data-api=\"{}/randomisation\"", api(fresh))));
    }
}

#[tokio::test]
async fn the_screening_form_names_every_field_of_the_exam() {
    for db in common::databases("scitrial_journey_screen").await {
        let app = spawn_with(db.url(), PHASE2).await;
        let sid = app.study.id.clone();
        let crc = login(&app, "crc").await;
        let (status, body) = page(&crc, &format!("/studies/{sid}/screening")).await;
        assert_eq!(status, StatusCode::OK);
        let required: Vec<String> = isncsci::flat::Field::all()
            .filter(|f| f.is_required())
            .map(|f| f.name())
            .collect();
        assert_eq!(required.len(), 134);
        for name in &required {
            assert!(
                body.contains(&format!("name=\"{name}\" data-exam")),
                "{name} is not on the form"
            );
        }
        assert_eq!(body.matches(" data-exam").count(), 134);
        for name in [
            "site_id",
            "screening_number",
            "sex",
            "date_of_birth",
            "injury_date",
            "consent_date",
            "screening_date",
        ] {
            assert!(body.contains(&format!("name=\"{name}\"")), "{name}");
            assert!(
                body.contains(&format!("data-error-for=\"{name}\"")),
                "{name}"
            );
        }
        assert!(
            body.contains("href=\"/isncsci\""),
            "the worksheet is linked"
        );
        // Site B's coordinator is offered only site B.
        let crcb = login(&app, "crcb").await;
        let (_, body) = page(&crcb, &format!("/studies/{sid}/screening")).await;
        assert!(body.contains(&format!("value=\"{}\"", app.study.sites[1].id)));
        assert!(!body.contains(&format!("value=\"{}\"", app.study.sites[0].id)));
    }
}

#[tokio::test]
async fn the_cohort_page_shows_levels_windows_dlts_and_the_rule() {
    for db in common::databases("scitrial_journey_cohorts").await {
        let app = spawn_with(db.url(), PHASE1).await;
        let sid = app.study.id.clone();
        let crc = login(&app, "crc").await;
        let inv = login(&app, "inv").await;
        let admin = login(&app, "admin").await;
        let mut ids = Vec::new();
        for i in 0..4 {
            ids.push(enrolled(&app, &crc, 0, &format!("C{i}"), false).await);
        }
        let path = format!("/studies/{sid}/cohorts");
        // Before any dose: everyone waits; the coordinator may give the level, the sponsor may
        // override with a signature.
        let (status, body) = page(&crc, &path).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body.matches("data-waiting=").count(), 4);
        assert!(body.contains(&format!(
            "data-api=\"/api/studies/{sid}/participants/{}/dose-level\"",
            ids[0]
        )));
        assert!(!body.contains("/dose-level/override\""));
        let (_, body) = page(&admin, &path).await;
        assert!(body.contains(&format!(
            "data-api=\"/api/studies/{sid}/participants/{}/dose-level/override\"",
            ids[0]
        )));
        // The override's fields are what the API reads: the sponsor gives the second level to
        // the fourth participant with a reason and the password; the page marks it.
        for name in ["level_id", "reason", "password"] {
            assert!(body.contains(&format!("name=\"{name}\"")), "{name}");
        }
        let (status, e) = admin
            .post(
                &format!(
                    "/api/studies/{sid}/participants/{}/dose-level/override",
                    ids[3]
                ),
                &json!({ "level_id": "sad-2", "reason": "DSMB advice", "password": PASSWORD }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{e}");
        let (_, body) = page(&admin, &path).await;
        assert!(body.contains("data-level=\"sad-2\""));
        assert!(body.contains(&format!("data-member=\"{}\"", ids[3])));
        assert!(body.contains("Sponsor override"));
        // Three are given the first level; its cohort is full.
        for id in &ids[..3] {
            let (status, e) = crc
                .post(
                    &format!("/api/studies/{sid}/participants/{id}/dose-level"),
                    &json!({}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{e}");
        }
        let (_, body) = page(&crc, &path).await;
        assert!(body.contains("data-level=\"sad-1\""), "{body}");
        assert_eq!(body.matches("data-member=").count(), 4);
        assert_eq!(body.matches("data-dlt-state=\"pending\"").count(), 4);
        assert!(body.contains("data-decision=\"need-more\""));
        assert!(body.contains(&format!(
            "href=\"/studies/{sid}/participants/{}/dlt\"",
            ids[0]
        )));
        assert_eq!(body.matches("data-waiting=").count(), 0);
        // The investigator signs "no DLT" from the journey page; the coordinator may not.
        let journey1 = format!("/studies/{sid}/participants/{}/journey", ids[1]);
        let (_, body) = page(&inv, &journey1).await;
        assert!(body.contains("id=\"no-dlt-form\""), "{body}");
        assert!(body.contains(&format!(
            "data-api=\"/api/studies/{sid}/participants/{}/dlt\"",
            ids[1]
        )));
        let (_, body) = page(&crc, &journey1).await;
        assert!(!body.contains("id=\"no-dlt-form\""));
        // A signed assessment shows on the cohort page and the participant's pages.
        let (status, e) = inv
            .post(
                &format!("/api/studies/{sid}/participants/{}/dlt", ids[0]),
                &json!({ "dlt": false, "description": "no DLT", "assessed_on": "2026-11-21", "password": PASSWORD }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{e}");
        for lang in ["en", "zh"] {
            language(&crc, lang).await;
            let (_, body) = page(&crc, &path).await;
            translated(&path, &body);
            assert!(body.contains("data-dlt-state=\"no\""));
            let participant = format!("/studies/{sid}/participants/{}", ids[0]);
            let (_, body) = page(&crc, &participant).await;
            translated(&participant, &body);
            assert!(body.contains("data-dose-level"), "{body}");
            let no_dlt = if lang == "en" {
                "No DLT (signed)"
            } else {
                "无 DLT（已签署）"
            };
            assert!(body.contains(no_dlt), "{body}");
            let journey = format!("{participant}/journey");
            let (_, body) = page(&crc, &journey).await;
            translated(&journey, &body);
            assert!(body.contains("data-dlt-state=\"no\""), "{body}");
            assert!(!body.contains("id=\"no-dlt-form\""), "signed once");
            let (_, body) = page(
                &crc,
                &format!("/studies/{sid}/participants/{}/journey", ids[1]),
            )
            .await;
            assert!(body.contains("data-dlt-state=\"pending\""));
        }
    }
}

/// Whether a journey page offers to record the date of `visit`.
fn body_has_form(body: &str, visit: &str) -> bool {
    body.contains(&format!("id=\"v-{visit}\""))
}

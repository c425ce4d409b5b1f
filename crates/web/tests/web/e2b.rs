//! A SUSAR's expedited report downloaded through the API, on both databases: pharmacovigilance
//! gets the E2B(R3) message and the narratives (with the actual treatment, as attachments);
//! every blinded role, and the unblinded ones that are not pharmacovigilance, get 403 and no
//! arm; the query's problems are named; an event that is not a SUSAR has no report.

use reqwest::StatusCode;
use serde_json::json;
use store::{Actor, Scope, SponsorInput};
use trial::safety::{
    ActionTaken, AdverseEvent, Authority, Causality, Expectedness, Outcome, PartialDate,
    ReportKind, Seriousness,
};

use crate::api::{enrolled, login, spawn};
use crate::common::{self, Client};

/// A GET's status, headers and text.
async fn download(client: &Client, path: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let r = client
        .http
        .get(format!("{}{path}", client.base))
        .send()
        .await
        .unwrap();
    let (status, headers) = (r.status(), r.headers().clone());
    (status, headers, r.text().await.unwrap())
}

fn header(headers: &reqwest::header::HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

fn event(serious: bool) -> AdverseEvent {
    AdverseEvent {
        verbatim: "back pain <after> the injection & fever".into(),
        term: if serious { "Arachnoiditis" } else { "Headache" }.into(),
        meddra_code: if serious { "10003074" } else { "10019211" }.into(),
        soc: "Nervous system disorders".into(),
        onset: PartialDate::parse("2026-10-26").unwrap(),
        end: None,
        grade: if serious { 3 } else { 1 },
        seriousness: if serious {
            vec![Seriousness::Hospitalisation]
        } else {
            vec![]
        },
        causality_product: Causality::Probable,
        causality_procedure: Causality::Unlikely,
        action: ActionTaken::NotApplicable,
        outcome: Outcome::Recovering,
    }
}

#[tokio::test]
async fn pharmacovigilance_downloads_the_report_that_no_one_else_may() {
    for db in common::databases("scitrial_e2b_api").await {
        let app = spawn(db.url()).await;
        let (sid, site) = (app.study.id.clone(), app.study.sites[0].id.clone());
        let crc = login(&app, "crc").await;
        let id = enrolled(&crc, &sid, &site, "S-1", "XS-1").await;
        let (status, body) = crc
            .post(
                &format!("/api/studies/{sid}/participants/{id}/randomisation"),
                &json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let by = Actor::system();
        let scope = Scope::Study(sid.clone());
        let store = &app.store;
        let susar = store
            .record_adverse_event(&scope, id, &event(true), &by)
            .await
            .unwrap();
        let plain = store
            .record_adverse_event(&scope, id, &event(false), &by)
            .await
            .unwrap();
        store
            .report_sae(&app.study, &scope, id, susar.id, &by)
            .await
            .unwrap();
        store
            .assess_case(
                &app.study,
                &scope,
                susar.id,
                &SponsorInput {
                    causality: Causality::Possible,
                    expectedness: Expectedness::Unexpected,
                    first_knowledge: None,
                    reason: None,
                },
                &by,
            )
            .await
            .unwrap();
        store
            .record_expedited_report(
                &app.study,
                &scope,
                susar.id,
                Authority::Cde,
                ReportKind::Initial,
                None,
                &by,
            )
            .await
            .unwrap();
        // The arm, as the unblinded pharmacist sees it.
        let (status, kits) = login(&app, "pharm")
            .await
            .get(&format!("/api/studies/{sid}/kits"))
            .await;
        assert_eq!(status, StatusCode::OK, "{kits}");
        let arm = kits
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["participant_id"] == id)
            .unwrap()["arm_id"]
            .as_str()
            .unwrap()
            .to_string();
        let arm_name = app
            .study
            .arms
            .iter()
            .find(|a| a.id == arm)
            .unwrap()
            .name
            .clone();
        let base = format!("/api/studies/{sid}/safety/cases/{}", susar.id);
        let stem = format!(
            "{}-SCITRIAL-{sid}-AE{}",
            app.study.sites[0].country, susar.id
        );

        let pv = login(&app, "pv").await;
        let (status, headers, xml) = download(&pv, &format!("{base}/e2b?authority=cde")).await;
        assert_eq!(status, StatusCode::OK, "{xml}");
        assert_eq!(
            header(&headers, "content-type"),
            "application/xml; charset=utf-8"
        );
        assert_eq!(
            header(&headers, "content-disposition"),
            format!("attachment; filename=\"{stem}-CDE-V1.xml\"")
        );
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
        assert!(xml.contains(&format!("<name>{}</name>", arm_name.replace('&', "&amp;"))));
        assert!(xml.contains("&lt;after&gt; the injection &amp; fever"));
        assert!(!xml.contains("<after>"));
        // No report to the FDA yet: the initial report, dated now.
        let (status, headers, _) = download(&pv, &format!("{base}/e2b")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            header(&headers, "content-disposition"),
            format!("attachment; filename=\"{stem}-ZZFDA-V1.xml\"")
        );
        for (lang, marker) in [("en", "Actual treatment"), ("zh", "实际治疗")] {
            let (status, headers, html) =
                download(&pv, &format!("{base}/narrative?lang={lang}&authority=cde")).await;
            assert_eq!(status, StatusCode::OK, "{html}");
            assert_eq!(header(&headers, "content-type"), "text/html; charset=utf-8");
            assert_eq!(
                header(&headers, "content-disposition"),
                format!("attachment; filename=\"{stem}-CDE-V1.{lang}.html\"")
            );
            assert!(html.contains(marker) && html.contains(&arm_name), "{html}");
            assert!(!html.contains("<after>"));
        }
        // The case page offers the downloads to pharmacovigilance only.
        let page = format!("/studies/{sid}/safety/cases/{}", susar.id);
        let (status, html) = pv.text("get", &page, &json!({})).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        for link in [
            "e2b?authority=fda",
            "e2b?authority=cde",
            "narrative?lang=en",
            "narrative?lang=zh",
        ] {
            assert!(
                html.contains(&format!("href=\"{base}/{link}\"")),
                "{link}: {html}"
            );
        }
        let (_, html) = login(&app, "sp").await.text("get", &page, &json!({})).await;
        assert!(
            !html.contains("id=\"e2b\"") && !html.contains("/e2b?"),
            "{html}"
        );

        // The query's problems, named.
        let (status, err) = pv.get(&format!("{base}/narrative?lang=fr")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(err["error"]["fields"][0]["field"], "lang", "{err}");
        let (status, err) = pv.get(&format!("{base}/e2b?authority=ema")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(err["error"]["fields"][0]["field"], "authority", "{err}");
        let (status, _) = pv.get(&format!("{base}/e2b?authority=cde&version=2")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // An event that is not a SUSAR has no report; one that does not exist is not found.
        let (status, err) = pv
            .get(&format!("/api/studies/{sid}/safety/cases/{}/e2b", plain.id))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        let (status, _) = pv
            .get(&format!("/api/studies/{sid}/safety/cases/9999/e2b"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Everyone else: 403, and nothing that names the arm.
        for name in [
            "crc", "inv", "mon", "dm", "aud", "sp", "admin", "pharm", "dsmb", "dsmbm",
        ] {
            let client = login(&app, name).await;
            for path in [
                format!("{base}/e2b"),
                format!("{base}/narrative?lang=en"),
                format!("{base}/narrative"),
            ] {
                let (status, _, text) = download(&client, &path).await;
                assert_eq!(status, StatusCode::FORBIDDEN, "{name} {path}: {text}");
                // The JSON error, naming no arm (the study's id spells the product's name,
                // so the arms' ids and the placebo's name are what is looked for).
                let err: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert_eq!(err["error"]["status"], 403, "{name}: {text}");
                let ids = app.study.arms.iter().map(|a| a.id.as_str());
                let placebo = app.study.arms.iter().filter(|a| a.id == "placebo");
                for leak in ids.chain(placebo.map(|a| a.name.as_str())) {
                    assert!(!text.contains(leak), "{name}: {text}");
                }
            }
        }
        // Each download by pharmacovigilance is audited on the unblinded chain.
        let rows = store
            .audit_of("safety-case", &trial::safety::event_record(id, susar.id))
            .await
            .unwrap();
        assert!(
            rows.iter()
                .filter(|r| r.action == "export-e2b")
                .all(|r| r.chain.ends_with("/unblinded") && r.username == "pv"),
            "{rows:#?}"
        );
        assert!(rows.iter().any(|r| r.action == "export-e2b"), "{rows:#?}");
    }
}

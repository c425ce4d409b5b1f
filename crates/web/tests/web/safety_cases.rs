//! Serious adverse events as cases through the API, on both databases: the site reports its
//! serious event and sees its own 24-hour clocks; the safety physician sees every clock and
//! records the sponsor's assessment; pharmacovigilance sees the arm of a SUSAR (audited on the
//! unblinded chain) and records expedited reports; everyone else is refused or sees no arm.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::api::{enrolled, login, spawn};
use crate::common;

/// A grade 3 event of `term`, serious by hospitalisation when `serious`.
fn event(term: &str, serious: bool) -> Value {
    json!({
        "verbatim": format!("{term} on day 3"),
        "term": term,
        "onset": "2026-10-28",
        "grade": 3,
        "seriousness": if serious { vec!["hospitalisation"] } else { vec![] },
        "causality_product": "possible",
        "causality_procedure": "not-related",
        "action": "dose-delayed",
        "outcome": "recovering"
    })
}

fn kinds(clocks: &Value) -> Vec<(i64, String)> {
    clocks
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["ae_id"].as_i64().unwrap(),
                c["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_susar_from_the_sites_report_to_the_expedited_report() {
    for db in common::databases("scitrial_sae").await {
        let app = spawn(db.url()).await;
        app.store
            .load_terms(&web::demo::demo_terms(), &store::Actor::system())
            .await
            .unwrap();
        let (sid, site) = (app.study.id.clone(), app.study.sites[0].id.clone());
        let crc = login(&app, "crc").await;
        let id = enrolled(&crc, &sid, &site, "S-1", "XS-1").await;
        let (status, allocation) = crc
            .post(
                &format!("/api/studies/{sid}/participants/{id}/randomisation"),
                &json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{allocation}");
        let events = format!("/api/studies/{sid}/participants/{id}/adverse-events");
        // Vomiting is not in the reference safety information: unexpected.
        let (status, susar) = crc.post(&events, &event("Vomiting", true)).await;
        assert_eq!(status, StatusCode::CREATED, "{susar}");
        let ae = susar["id"].as_i64().unwrap();
        let (_, mild) = crc.post(&events, &event("Vomiting", false)).await;
        let mild = mild["id"].as_i64().unwrap();
        // Fever is expected: serious, related, but no SUSAR.
        let (_, fever) = crc.post(&events, &event("Fever", true)).await;
        let fever = fever["id"].as_i64().unwrap();

        // The site's 24-hour clocks: its own site sees them, another site's coordinator not;
        // the monitor may not list clocks, the coordinator may not open the case.
        let clocks = format!("/api/studies/{sid}/safety/clocks");
        let (status, list) = crc.get(&clocks).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert_eq!(
            kinds(&list),
            [
                (ae, "site-report-24h".to_string()),
                (fever, "site-report-24h".to_string())
            ]
        );
        assert_eq!(list[0]["participant"], "XS-1");
        let (_, theirs) = login(&app, "crcb").await.get(&clocks).await;
        assert_eq!(theirs, json!([]));
        let (status, _) = login(&app, "mon").await.get(&clocks).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let case = format!("/api/studies/{sid}/safety/cases/{ae}");
        let (status, _) = crc.get(&case).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // The site's page offers the report to the sponsor on its clocks.
        let (status, html) = crc
            .text("get", &format!("/studies/{sid}/safety"), &json!({}))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains(&format!("/adverse-events/{ae}/sae-report\"")),
            "{html}"
        );

        // The site reports: not a non-serious event; the serious one once.
        let report = |ae: i64| format!("{events}/{ae}/sae-report");
        let (status, e) = crc.post(&report(mild), &json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{e}");
        assert!(e.to_string().contains("seriousness"), "{e}");
        let (status, reported) = crc.post(&report(ae), &json!({})).await;
        assert_eq!(status, StatusCode::OK, "{reported}");
        assert_eq!(reported["site_reported_by"], "crc");
        assert!(reported["classification"]["susar"].as_bool().unwrap());
        assert!(reported.get("arm_id").is_none(), "{reported}");
        let (status, _) = login(&app, "mon")
            .await
            .post(&report(fever), &json!({}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (_, _) = crc.post(&report(fever), &json!({})).await;

        // The safety physician sees the SUSAR's 15-day clock, and assesses both.
        let sp = login(&app, "sp").await;
        let (status, list) = sp.get(&clocks).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(kinds(&list), [(ae, "susar-15-day".to_string())]);
        assert_eq!(list[0]["awaiting"], json!(["fda", "cde"]));
        let assess = format!("{case}/assessment");
        let (status, e) = sp
            .post(
                &assess,
                &json!({ "causality": "maybe", "expectedness": "unexpected" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert!(e.to_string().contains("causality"), "{e}");
        let (status, assessed) = sp
            .post(
                &assess,
                &json!({ "causality": "probable", "expectedness": "unexpected" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{assessed}");
        assert_eq!(assessed["sponsor"]["causality"], "probable");
        assert_eq!(assessed["event"]["causality_product"], "possible");
        assert_eq!(assessed["classification"]["expectedness_source"], "sponsor");
        let (status, _) = crc
            .post(
                &assess,
                &json!({ "causality": "probable", "expectedness": "unexpected" }),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // The safety physician and the sponsor's administrator see the case without the arm;
        // pharmacovigilance sees the SUSAR's arm, and only the SUSAR's.
        for name in ["sp", "admin"] {
            let (status, view) = login(&app, name).await.get(&case).await;
            assert_eq!(status, StatusCode::OK, "{view}");
            assert!(view.get("arm_id").is_none() && view.get("arm_name").is_none());
        }
        let pv = login(&app, "pv").await;
        let (status, view) = pv.get(&case).await;
        assert_eq!(status, StatusCode::OK, "{view}");
        let truth = app
            .store
            .audit_of("allocation", &id.to_string())
            .await
            .unwrap();
        assert!(!truth.is_empty());
        let arm = view["arm_id"]
            .as_str()
            .expect("the arm, for pharmacovigilance");
        assert!(app.study.arms.iter().any(|a| a.id == arm), "{view}");
        let (status, other) = pv
            .get(&format!("/api/studies/{sid}/safety/cases/{fever}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{other}");
        assert!(!other["classification"]["susar"].as_bool().unwrap());
        assert!(other.get("arm_id").is_none(), "{other}");
        let rows = app
            .store
            .audit_of("safety-case", &format!("{id}/ae/{ae}"))
            .await
            .unwrap();
        let shown: Vec<_> = rows.iter().filter(|r| r.action == "show-arm").collect();
        assert_eq!(shown.len(), 1);
        assert_eq!(
            (shown[0].chain.as_str(), shown[0].username.as_str()),
            (store::unblinded_chain(&sid).as_str(), "pv")
        );
        // The study's audit trail of the case shows no such row.
        let (_, trail) = login(&app, "admin")
            .await
            .get(&format!(
                "/api/studies/{sid}/audit?entity=safety-case&record={id}/ae/{ae}"
            ))
            .await;
        assert!(!trail.to_string().contains(arm), "{trail}");

        // The pages: the safety physician's clock list links to the case; pharmacovigilance's
        // case page names the arm, the physician's does not; a coordinator cannot open it.
        let (status, html) = sp
            .text("get", &format!("/studies/{sid}/safety"), &json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(
            html.contains(&format!("/studies/{sid}/safety/cases/{ae}\"")),
            "{html}"
        );
        assert!(html.contains("SUSAR, 15 days"), "{html}");
        let page = format!("/studies/{sid}/safety/cases/{ae}");
        let (status, html) = pv.text("get", &page, &json!({})).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("id=\"arm\"") && html.contains(arm), "{html}");
        assert!(html.contains("expedited-report"), "{html}");
        let (_, html) = sp.text("get", &page, &json!({})).await;
        assert!(!html.contains("id=\"arm\"") && !html.contains(arm));
        assert!(html.contains("sponsor-assessment"), "{html}");
        let (status, _) = crc.text("get", &page, &json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, html) = crc
            .text("get", &format!("/studies/{sid}/safety"), &json!({}))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            !html.contains("/safety/cases/"),
            "a site user links to the participant"
        );

        // Pharmacovigilance records the expedited reports; nobody else may.
        let reports = format!("{case}/reports");
        let (status, _) = sp
            .post(&reports, &json!({ "authority": "fda", "kind": "initial" }))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, e) = pv
            .post(&reports, &json!({ "authority": "ema", "kind": "initial" }))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert!(e.to_string().contains("cde"), "{e}");
        for authority in ["fda", "cde"] {
            let (status, r) = pv
                .post(
                    &reports,
                    &json!({ "authority": authority, "kind": "initial" }),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{r}");
            assert_eq!(
                (r["version"].as_i64(), r["answers"].as_str()),
                (Some(1), Some("susar-15-day"))
            );
        }
        let (status, r) = pv
            .post(
                &reports,
                &json!({ "authority": "fda", "kind": "follow-up" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{r}");
        assert_eq!(r["version"], 2);
        let (_, list) = sp.get(&clocks).await;
        assert_eq!(list, json!([]), "every clock answered");

        // The safety roles were told, in the application and by the notifications API.
        let (status, notes) = sp.get(&format!("/api/studies/{sid}/notifications")).await;
        assert_eq!(status, StatusCode::OK, "{notes}");
        assert!(notes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "safety-clock"));
        assert!(!notes.to_string().contains(arm));
    }
}

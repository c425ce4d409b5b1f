//! Adverse events through the API, on both databases: recorded by the coordinator, read by the
//! monitor, refused to a role that may not, every rule's problem named as a field, a change
//! with a reason, the terms searched for the picker, and site scoping.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::api::{enrolled, login, screening, spawn};
use crate::common;

fn event() -> Value {
    json!({
        "verbatim": "felt feverish the night after the injection",
        "term": "fever",
        "onset": "2026-10-25",
        "grade": 2,
        "seriousness": [],
        "causality_product": "possible",
        "causality_procedure": "not-related",
        "action": "dose-not-changed",
        "outcome": "recovering"
    })
}

fn fields(err: &Value) -> Vec<String> {
    err["error"]["fields"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|p| p["field"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_site_records_adverse_events_that_the_monitor_reads() {
    for db in common::databases("scitrial_safety").await {
        let app = spawn(db.url()).await;
        app.store
            .load_terms(&web::demo::demo_terms(), &store::Actor::system())
            .await
            .unwrap();
        let (sid, site) = (app.study.id.clone(), app.study.sites[0].id.clone());
        let crc = login(&app, "crc").await;
        let id = enrolled(&crc, &sid, &site, "S-1", "XS-1").await;
        let events = format!("/api/studies/{sid}/participants/{id}/adverse-events");

        // Recorded by the coordinator: the term coded from the table.
        let (status, recorded) = crc.post(&events, &event()).await;
        assert_eq!(status, StatusCode::CREATED, "{recorded}");
        assert_eq!(
            (
                recorded["term"].as_str(),
                recorded["meddra_code"].as_str(),
                recorded["grade"].as_i64(),
                recorded["end"].clone(),
                recorded["recorded_by"].as_str()
            ),
            (
                Some("Fever"),
                Some("10016558"),
                Some(2),
                Value::Null,
                Some("crc")
            )
        );
        let ae = recorded["id"].as_i64().unwrap();

        // Read by the monitor of the site, in the list and alone.
        let mon = login(&app, "mon").await;
        let (status, list) = mon.get(&events).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!(list[0], recorded);
        let (status, one) = mon.get(&format!("{events}/{ae}")).await;
        assert_eq!((status, &one), (StatusCode::OK, &recorded));

        // The unblinded pharmacist may not read them, nor the monitor record one.
        let pharm = login(&app, "pharm").await;
        assert_eq!(pharm.get(&events).await.0, StatusCode::FORBIDDEN);
        assert_eq!(
            pharm.get(&format!("/api/studies/{sid}/terms?q=f")).await.0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(mon.post(&events, &event()).await.0, StatusCode::FORBIDDEN);
        // Site B's coordinator does not see site A's participant or its events.
        let crcb = login(&app, "crcb").await;
        assert_eq!(crcb.get(&events).await.0, StatusCode::NOT_FOUND);
        assert_eq!(
            crcb.get(&format!("{events}/{ae}")).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(crcb.post(&events, &event()).await.0, StatusCode::NOT_FOUND);

        // Every rule's problem names its field: grade 5 with outcome recovered, an end before
        // the onset, a grade the term does not define, an onset before consent.
        let mut bad = event();
        bad["grade"] = json!(5);
        bad["outcome"] = json!("recovered");
        bad["end"] = json!("2026-10");
        bad["onset"] = json!("2026-11-02");
        let (status, err) = crc.post(&events, &bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        let named = fields(&err);
        for f in ["grade", "outcome", "seriousness", "end"] {
            assert!(named.contains(&f.to_string()), "{f} not named in {err}");
        }
        let mut bad = event();
        bad["term"] = json!("Headache");
        bad["grade"] = json!(4);
        bad["onset"] = json!("2026-10-01");
        bad["causality_product"] = json!("maybe");
        let (status, err) = crc.post(&events, &bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(
            fields(&err),
            ["causality_product", "grade", "onset"],
            "{err}"
        );
        assert!(err.to_string().contains("allowed: 1, 2, 3"), "{err}");
        // A reason is for changes only; a participant in screening has no events.
        let mut with_reason = event();
        with_reason["reason"] = json!("why");
        let (status, err) = crc.post(&events, &with_reason).await;
        assert_eq!(
            (status, fields(&err)),
            (StatusCode::UNPROCESSABLE_ENTITY, vec!["reason".to_string()])
        );
        let (_, screened) = crc
            .post(
                &format!("/api/studies/{sid}/participants"),
                &screening(&site, "S-2"),
            )
            .await;
        let (status, err) = crc
            .post(
                &format!(
                    "/api/studies/{sid}/participants/{}/adverse-events",
                    screened["id"]
                ),
                &event(),
            )
            .await;
        assert_eq!(
            (status, fields(&err)),
            (StatusCode::CONFLICT, vec!["participant".to_string()]),
            "{err}"
        );
        assert_eq!(mon.get(&events).await.1.as_array().unwrap().len(), 1);

        // A change needs a reason; with one, the investigator's change is audited.
        let inv = login(&app, "inv").await;
        let mut resolved = event();
        resolved["outcome"] = json!("recovered");
        resolved["end"] = json!("2026-10-28");
        let (status, err) = inv.post(&format!("{events}/{ae}"), &resolved).await;
        assert_eq!(
            (status, fields(&err)),
            (StatusCode::UNPROCESSABLE_ENTITY, vec!["reason".to_string()]),
            "{err}"
        );
        resolved["reason"] = json!("resolved, per the site's notes");
        let (status, changed) = inv.post(&format!("{events}/{ae}"), &resolved).await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!(
            (changed["outcome"].as_str(), changed["end"].as_str()),
            (Some("recovered"), Some("2026-10-28"))
        );
        let (_, trail) = inv
            .get(&format!(
                "/api/studies/{sid}/audit?entity=adverse-event&record={id}/ae/{ae}"
            ))
            .await;
        let updates: Vec<(&str, &str)> = trail
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["action"] == "update")
            .map(|r| (r["field"].as_str().unwrap(), r["reason"].as_str().unwrap()))
            .collect();
        let why = "resolved, per the site's notes";
        assert_eq!(updates, [("end", why), ("outcome", why)], "{trail}");
        assert_eq!(
            inv.get(&format!("{events}/999999")).await.0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            inv.get(&format!("{events}/x")).await.0,
            StatusCode::NOT_FOUND
        );

        // The terms for the picker: by name or system organ class, with their grades.
        let (status, found) = crc.get(&format!("/api/studies/{sid}/terms?q=MENING")).await;
        assert_eq!(status, StatusCode::OK, "{found}");
        assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
        assert_eq!(found[0]["name"], "Meningitis");
        let grades: Vec<i64> = found[0]["grades"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["grade"].as_i64().unwrap())
            .collect();
        assert_eq!(grades, [3, 4, 5]);
        let (_, gastro) = mon
            .get(&format!("/api/studies/{sid}/terms?q=gastrointestinal"))
            .await;
        let names: Vec<&str> = gastro
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Nausea", "Vomiting"]);
        let (_, every) = mon.get(&format!("/api/studies/{sid}/terms")).await;
        assert_eq!(
            every.as_array().unwrap().len(),
            web::demo::demo_terms().len()
        );
        let (status, _) = mon.get(&format!("/api/studies/{sid}/terms?limit=3")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
}

/// The investigator signs an event (password re-entered): the event shows signed; a wrong
/// password is refused (401) and recorded; the coordinator may not sign; a change with a reason
/// voids the signature and the event shows unsigned again. An onset after today is refused
/// naming the field.
#[tokio::test]
async fn the_investigator_signs_an_adverse_event_and_a_change_voids_it() {
    for db in common::databases("scitrial_safety_sign").await {
        let app = spawn(db.url()).await;
        app.store
            .load_terms(&web::demo::demo_terms(), &store::Actor::system())
            .await
            .unwrap();
        let (sid, site) = (app.study.id.clone(), app.study.sites[0].id.clone());
        let crc = login(&app, "crc").await;
        let id = enrolled(&crc, &sid, &site, "S-1", "XS-1").await;
        let events = format!("/api/studies/{sid}/participants/{id}/adverse-events");

        // An onset after today: refused, naming the field.
        let tomorrow = time::OffsetDateTime::now_utc().date() + time::Duration::days(1);
        let mut future = event();
        future["onset"] = json!(store::date(tomorrow));
        let (status, err) = crc.post(&events, &future).await;
        assert_eq!(
            (status, fields(&err)),
            (StatusCode::UNPROCESSABLE_ENTITY, vec!["onset".to_string()]),
            "{err}"
        );

        let (_, recorded) = crc.post(&events, &event()).await;
        assert_eq!(
            (recorded["signed"].as_bool(), &recorded["signature"]),
            (Some(false), &Value::Null),
            "{recorded}"
        );
        let ae = recorded["id"].as_i64().unwrap();
        let sign = format!("{events}/{ae}/signature");
        let signing = json!({ "password": common::PASSWORD, "meaning": "approved" });

        // The coordinator may not sign; site B's coordinator does not see the participant.
        assert_eq!(crc.post(&sign, &signing).await.0, StatusCode::FORBIDDEN);
        let crcb = login(&app, "crcb").await;
        assert_eq!(crcb.post(&sign, &signing).await.0, StatusCode::NOT_FOUND);

        // A wrong password: 401, recorded against the event, nothing signed.
        let inv = login(&app, "inv").await;
        let (status, err) = inv
            .post(
                &sign,
                &json!({ "password": "wrong", "meaning": "approved" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{err}");
        assert!(
            err.to_string().contains("adverse event was not signed"),
            "{err}"
        );
        let trail = format!("/api/studies/{sid}/audit?entity=adverse-event&record={id}/ae/{ae}");
        let (_, rows) = inv.get(&trail).await;
        assert!(
            rows.as_array()
                .unwrap()
                .iter()
                .any(|r| r["action"] == "sign-failed"),
            "{rows}"
        );
        assert_eq!(inv.get(&format!("{events}/{ae}")).await.1["signed"], false);
        // A meaning that is not one, an event that does not exist.
        let (status, err) = inv
            .post(
                &sign,
                &json!({ "password": common::PASSWORD, "meaning": "ok" }),
            )
            .await;
        assert_eq!(
            (status, fields(&err)),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                vec!["meaning".to_string()]
            )
        );
        assert_eq!(
            inv.post(&format!("{events}/999999/signature"), &signing)
                .await
                .0,
            StatusCode::NOT_FOUND
        );

        // Signed: the event shows it, in the list too; signing again is a conflict.
        let (status, signed) = inv.post(&sign, &signing).await;
        assert_eq!(status, StatusCode::CREATED, "{signed}");
        assert_eq!(signed["signed"], true);
        assert_eq!(signed["signature"]["valid"], true);
        assert_eq!(signed["signature"]["meaning"], "approved");
        let (_, list) = crc.get(&events).await;
        assert_eq!(list[0]["signed"], true);
        let (status, err) = inv.post(&sign, &signing).await;
        assert_eq!(
            (status, fields(&err)),
            (StatusCode::CONFLICT, vec!["signature".to_string()])
        );

        // The coordinator's change, with a reason, voids it.
        let mut worse = event();
        worse["grade"] = json!(3);
        worse["reason"] = json!("grade rechecked against the source");
        let (status, changed) = crc.post(&format!("{events}/{ae}"), &worse).await;
        assert_eq!(status, StatusCode::OK, "{changed}");
        assert_eq!(changed["signed"], false);
        assert_eq!(changed["signature"]["valid"], false);
        assert!(
            changed["signature"]["void_reason"]
                .as_str()
                .unwrap()
                .contains("grade 2 → 3"),
            "{changed}"
        );
        // And the investigator signs the changed event again.
        let (status, again) = inv.post(&sign, &signing).await;
        assert_eq!(
            (status, &again["signed"]),
            (StatusCode::CREATED, &json!(true))
        );
    }
}

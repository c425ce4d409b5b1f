//! Laboratory results through the API, on both databases: the data manager loads normal
//! ranges; the coordinator enters a value that is flagged, graded and proposes an adverse
//! event; an implausible one is refused naming the test; a central lab's file is previewed,
//! refused whole naming line and column, imported once; the investigator accepts one proposal
//! (a graded adverse event) and dismisses another with a reason; site scoping holds.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::api::{enrolled, login, spawn};
use crate::common;

pub(crate) const RANGES: &str = "test,site,sex,age_min,age_max,low,high,unit,valid_from,valid_to\n\
    NEUT,*,any,,,2.0,7.5,10*9/L,2026-01-01,\n\
    ALT,*,any,,,7,40,U/L,2026-01-01,\n\
    HGB,*,male,18,,13.0,17.0,g/dL,2026-01-01,\n";

pub(crate) fn fields(err: &Value) -> Vec<String> {
    err["error"]["fields"]
        .as_array()
        .map(|f| {
            f.iter()
                .map(|p| p["field"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn value(test: &str, at: &str, value: &str, unit: &str) -> Value {
    json!({ "visit_id": "week-2", "test": test, "collected_at": at, "value": value, "unit": unit })
}

#[tokio::test]
async fn lab_values_are_graded_imported_and_turned_into_adverse_events() {
    for db in common::databases("scitrial_labs").await {
        let app = spawn(db.url()).await;
        app.store
            .load_terms(&web::demo::demo_terms(), &store::Actor::system())
            .await
            .unwrap();
        let (sid, site) = (app.study.id.clone(), app.study.sites[0].id.clone());
        let (crc, dm, inv, mon, crcb) = (
            login(&app, "crc").await,
            login(&app, "dm").await,
            login(&app, "inv").await,
            login(&app, "mon").await,
            login(&app, "crcb").await,
        );
        let ranges = format!("/api/studies/{sid}/labs/ranges");
        // The data manager loads the ranges; a bad file is refused naming line and column.
        let (status, err) = dm
            .post(
                &ranges,
                &json!({ "file": format!("{RANGES}NEUT,MARS,any,,,1,2,10*9/L,2026-01-01,\n") }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(fields(&err), ["line 5: site"]);
        assert_eq!(
            crc.post(&ranges, &json!({ "file": RANGES })).await.0,
            StatusCode::FORBIDDEN
        );
        let (status, loaded) = dm.post(&ranges, &json!({ "file": RANGES })).await;
        assert_eq!(
            (status, loaded["loaded"].as_i64()),
            (StatusCode::OK, Some(3)),
            "{loaded}"
        );
        let (_, listed) = mon.get(&ranges).await;
        assert_eq!(listed[2]["sex"], "male");
        let (_, tests) = mon.get(&format!("/api/studies/{sid}/labs/tests")).await;
        let neut = tests
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["code"] == "NEUT")
            .unwrap();
        assert_eq!(
            (neut["loinc"].as_str(), neut["panel"].as_str()),
            (Some("751-8"), Some("haematology"))
        );

        let id = enrolled(&crc, &sid, &site, "S-1", "XS-1").await;
        let labs = format!("/api/studies/{sid}/participants/{id}/labs");
        let (status, low) = crc
            .post(
                &labs,
                &value("NEUT", "2026-11-02T08:00:00+08:00", "800", "/uL"),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{low}");
        assert_eq!(
            (
                low["flag"].as_str(),
                low["grade"].as_i64(),
                low["term"].as_str(),
                low["value"].as_f64()
            ),
            (
                Some("low"),
                Some(3),
                Some("Neutrophil count decreased"),
                Some(0.8)
            )
        );
        assert_eq!(low["proposal"]["state"], "open");
        // Refusals name the field: an implausible value names its test; a unit it does not take.
        let (status, err) = crc
            .post(&labs, &value("HGB", "2026-11-02T08:00:00Z", "45", "g/dL"))
            .await;
        assert_eq!(
            (status, fields(&err)),
            (StatusCode::UNPROCESSABLE_ENTITY, vec!["value".to_string()])
        );
        assert!(err.to_string().contains("HGB"), "{err}");
        let (status, err) = crc
            .post(&labs, &value("HGB", "2026-11-02T08:00:00Z", "14", "mmHg"))
            .await;
        assert_eq!(
            (status, fields(&err)),
            (StatusCode::UNPROCESSABLE_ENTITY, vec!["unit".to_string()])
        );
        let (status, err) = crc
            .post(&labs, &value("HGB", "yesterday", "14", "g/dL"))
            .await;
        assert_eq!(
            (status, fields(&err)),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                vec!["collected_at".to_string()]
            )
        );
        // The monitor reads them; the monitor may not enter; another site sees nothing.
        let (status, list) = mon.get(&labs).await;
        assert_eq!(
            (status, list.as_array().unwrap().len()),
            (StatusCode::OK, 1)
        );
        assert_eq!(
            mon.post(&labs, &value("ALT", "2026-11-02T08:00:00Z", "30", "U/L"))
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(crcb.get(&labs).await.0, StatusCode::NOT_FOUND);

        // A central lab's file: previewed, then imported once.
        let import = format!("/api/studies/{sid}/labs/import");
        let file = "participant,visit,collected_at,test,value,unit,lab_range\n\
                    XS-1,week-4,2026-11-20T08:00:00Z,NEUT,0.4,10*9/L,2.0-7.5\n\
                    XS-1,week-4,2026-11-20T08:00:00Z,HGB,14.1,g/dL,13.0-17.0\n";
        let bad = file.replace("14.1", "141");
        let (status, err) = dm
            .post(&import, &json!({ "file": bad, "preview": true }))
            .await;
        assert_eq!(
            (status, fields(&err)),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                vec!["line 3: value".to_string()]
            )
        );
        let (status, preview) = dm
            .post(&import, &json!({ "file": file, "preview": true }))
            .await;
        assert_eq!(status, StatusCode::OK, "{preview}");
        assert_eq!(preview["outcome"], Value::Null);
        assert_eq!(preview["rows"][0]["grade"], 4);
        assert_eq!(preview["rows"][1]["flag"], "normal");
        assert_eq!(
            mon.get(&labs).await.1.as_array().unwrap().len(),
            1,
            "a preview writes nothing"
        );
        let (status, done) = dm.post(&import, &json!({ "file": file })).await;
        assert_eq!(status, StatusCode::OK, "{done}");
        assert_eq!(
            (
                done["outcome"]["results"].as_i64(),
                done["outcome"]["already"].as_bool()
            ),
            (Some(2), Some(false))
        );
        let (_, again) = dm.post(&import, &json!({ "file": file })).await;
        assert_eq!(again["outcome"]["already"], true);
        assert_eq!(mon.get(&labs).await.1.as_array().unwrap().len(), 3);
        // Site B's coordinator cannot import site A's participant.
        let other = file.replace("2026-11-20", "2026-11-21");
        let (status, err) = crcb.post(&import, &json!({ "file": other })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(fields(&err)[0], "line 2: participant");

        // The investigator accepts the first proposal and dismisses the second.
        let (_, list) = inv.get(&labs).await;
        let proposals: Vec<i64> = list
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["proposal"]["id"].as_i64())
            .collect();
        assert_eq!(proposals.len(), 2);
        let accept = format!("{labs}/proposals/{}/accept", proposals[0]);
        let event = json!({
            "verbatim": "neutropenia on the week-2 count", "onset": "2026-11-02",
            "causality_product": "possible", "causality_procedure": "not-related",
            "action": "not-applicable", "outcome": "recovering"
        });
        assert_eq!(crc.post(&accept, &event).await.0, StatusCode::FORBIDDEN);
        let mut typed = event.clone();
        typed["grade"] = json!(1);
        assert_eq!(
            inv.post(&accept, &typed).await.0,
            StatusCode::BAD_REQUEST,
            "the grade is never typed"
        );
        let (status, accepted) = inv.post(&accept, &event).await;
        assert_eq!(status, StatusCode::OK, "{accepted}");
        assert_eq!(accepted["state"], "accepted");
        let (_, events) = mon
            .get(&format!(
                "/api/studies/{sid}/participants/{id}/adverse-events"
            ))
            .await;
        assert_eq!(
            (events[0]["term"].as_str(), events[0]["grade"].as_i64()),
            (Some("Neutrophil count decreased"), Some(3))
        );
        assert_eq!(inv.post(&accept, &event).await.0, StatusCode::CONFLICT);
        let dismiss = format!("{labs}/proposals/{}/dismiss", proposals[1]);
        let (status, err) = inv.post(&dismiss, &json!({ "reason": " " })).await;
        assert_eq!(
            (status, fields(&err)),
            (StatusCode::UNPROCESSABLE_ENTITY, vec!["reason".to_string()])
        );
        let (status, dismissed) = inv
            .post(
                &dismiss,
                &json!({ "reason": "clotted sample; repeat normal" }),
            )
            .await;
        assert_eq!(
            (status, dismissed["state"].as_str()),
            (StatusCode::OK, Some("dismissed"))
        );
    }
}

/// The DSMB's laboratory tables: two randomised participants (one whose neutrophils fall from
/// normal to grade 3, one normal throughout): by arm for the unblinded DSMB statistician (API
/// and page), one pooled group with no arm for the blinded monitor; the pharmacist may not
/// read them. A drug level is shown against the protocol's target range.
#[tokio::test]
async fn the_dsmb_tables_show_shifts_and_worst_grades_by_arm_or_pooled() {
    for db in common::databases("scitrial_labs_tables").await {
        let app = spawn(db.url()).await;
        let (sid, site) = (app.study.id.clone(), app.study.sites[0].id.clone());
        let (crc, dm, mon, dsmb, pharm) = (
            login(&app, "crc").await,
            login(&app, "dm").await,
            login(&app, "mon").await,
            login(&app, "dsmb").await,
            login(&app, "pharm").await,
        );
        let (status, _) = dm
            .post(
                &format!("/api/studies/{sid}/labs/ranges"),
                &json!({ "file": RANGES }),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let mut ids = Vec::new();
        for n in ["1", "2"] {
            let id = enrolled(&crc, &sid, &site, &format!("S-{n}"), &format!("XS-{n}")).await;
            let (status, body) = crc
                .post(
                    &format!("/api/studies/{sid}/participants/{id}/randomisation"),
                    &json!({}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            ids.push(id);
        }
        let file = "participant,visit,collected_at,test,value,unit,lab_range\n\
                    XS-1,week-2,2026-11-02T08:00:00Z,NEUT,4.1,10*9/L,\n\
                    XS-1,week-4,2026-11-16T08:00:00Z,NEUT,0.8,10*9/L,\n\
                    XS-1,week-4,2026-11-16T08:00:00Z,TACRO,4.2,ng/mL,\n\
                    XS-2,week-2,2026-11-02T08:00:00Z,NEUT,3.9,10*9/L,\n\
                    XS-2,week-4,2026-11-16T08:00:00Z,NEUT,4.4,10*9/L,\n\
                    XS-2,week-4,2026-11-16T08:00:00Z,TACRO,7.5,ng/mL,\n";
        let (status, done) = dm
            .post(
                &format!("/api/studies/{sid}/labs/import"),
                &json!({ "file": file }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{done}");
        // Tacrolimus against the 5 to 10 ng/mL target.
        for (id, target) in [(ids[0], "below"), (ids[1], "within")] {
            let (_, list) = mon
                .get(&format!("/api/studies/{sid}/participants/{id}/labs"))
                .await;
            let tacro = list
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["test"] == "TACRO")
                .unwrap();
            assert_eq!(tacro["target"], target, "{tacro}");
            assert!(list
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["test"] != "TACRO")
                .all(|r| r["target"].is_null()));
        }
        let (_, page) = mon
            .text(
                "get",
                &format!("/studies/{sid}/participants/{}/labs", ids[0]),
                &json!(null),
            )
            .await;
        assert!(page.contains("data-target=\"below\""), "{page}");
        assert!(page.contains("Below the target range 5–10"), "{page}");

        let tables = format!("/api/studies/{sid}/labs/safety-tables");
        let scope = store::Scope::Study(sid.clone());
        let mut arms = Vec::new();
        for id in &ids {
            let a = app.store.allocation(&scope, *id).await.unwrap().unwrap();
            arms.push(a.arm_id);
        }
        let (status, by_arm) = dsmb.get(&tables).await;
        assert_eq!(status, StatusCode::OK, "{by_arm}");
        assert_eq!(by_arm["grouping"], "arm");
        let groups: Vec<&str> = by_arm["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["group"].as_str().unwrap())
            .collect();
        let g1 = groups.iter().position(|g| *g == arms[0]).unwrap();
        assert_eq!(by_arm["grades"][0]["term"], "Neutrophil count decreased");
        assert_eq!(
            by_arm["grades"][0]["by_worst_grade"][g1],
            json!([0, 0, 1, 0])
        );
        assert_eq!(by_arm["groups"][g1]["by_worst_grade"][3], 1);
        let neut = by_arm["shifts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["test"] == "NEUT")
            .unwrap();
        assert_eq!(neut["shifts"][g1][1][0], 1, "normal to low: {neut}");
        let (_, page) = dsmb
            .text("get", &format!("/studies/{sid}/safety/dsmb"), &json!(null))
            .await;
        assert!(page.contains("data-section=\"lab-grades\""), "{page}");
        assert!(page.contains("data-shift=\"NEUT-normal\""), "{page}");
        let name = &app
            .study
            .arms
            .iter()
            .find(|a| a.id == arms[0])
            .unwrap()
            .name;
        assert!(page.contains(name.as_str()), "the arm's column: {page}");

        // The blinded monitor: one pooled group, no arm anywhere.
        let (status, pooled) = mon.get(&tables).await;
        assert_eq!(status, StatusCode::OK, "{pooled}");
        assert_eq!(pooled["grouping"], "pooled");
        assert_eq!(pooled["groups"].as_array().unwrap().len(), 1);
        assert_eq!(pooled["groups"][0]["participants"], 2);
        assert_eq!(
            pooled["groups"][0]["by_worst_grade"],
            json!([1, 0, 0, 1, 0])
        );
        assert_eq!(pooled["shifts"][0]["shifts"][0][1], json!([1, 1, 0]));
        let text = pooled.to_string();
        for arm in &app.study.arms {
            assert!(!text.contains(&format!("\"{}\"", arm.id)), "{text}");
        }
        let (_, page) = mon
            .text("get", &format!("/studies/{sid}/safety/dsmb"), &json!(null))
            .await;
        assert!(page.contains("data-section=\"lab-shifts\""), "{page}");
        for arm in &app.study.arms {
            assert!(!page.contains(&format!(">{}<", arm.name)), "{page}");
        }
        assert_eq!(pharm.get(&tables).await.0, StatusCode::FORBIDDEN);
    }
}

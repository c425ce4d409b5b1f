//! The product's follow-up pages through the real server, on both databases: a participant's
//! doses, the exposure, the sites' supply and the events to follow, over the history of
//! [`crate::product::seed`] with the lot's 14-day sterility failing after its unit was given.
//! Every page for every role in both languages — read by the roles the API allows, refused to
//! the others (403), another site's participant 404 — with no message key untranslated; the
//! blind: a blinded role's page names no treatment, no unit and no lot beside a dose (the
//! doses page shows the participant's kit, the blinded face of the product, and nothing of the
//! unit in it), while the unblinded pharmacist's exposure shows which unit of which lot, product
//! or placebo; the close form only for the investigator of the participant's site and the
//! sponsor, and its round trip. Then Phase I's DLT window on the cohort and journey pages:
//! planned (and said so) until a dose is given, then run from the dose given; and a second dose
//! bringing the site to its minimum, which the sponsor's supply page shows with its notice.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::allocation::{enrolled, spawn_with};
use crate::common::{self, login, PASSWORD, PHASE1, PHASE2};
use crate::product::{dosable, seed};
use crate::product_pages::{language, other_site, page, reads, traces, wanted, ROLES};

/// Who reads participants (everyone but QC and the qualified person).
fn reads_participants(name: &str) -> bool {
    !["qc", "qp"].contains(&name)
}

/// Who may close an event about a site A participant: its investigator and the sponsor.
fn closes(name: &str) -> bool {
    ["inv", "admin"].contains(&name)
}

fn untranslated(body: &str) -> bool {
    body.split('>').any(|p| {
        let p = p.trim_start();
        p.starts_with("pr.") || p.starts_with("pf.") || p.starts_with("coh.")
    })
}

#[tokio::test]
async fn the_doses_exposure_supply_and_events_pages_for_each_role_and_the_blind_holds() {
    for db in common::databases("scitrial_product_follow").await {
        let app = common::with_list(spawn_with(db.url(), PHASE2).await).await;
        let sid = app.study.id.clone();
        let crc = login(&app, "crc").await;
        let (participant, kit) = dosable(&app, &crc).await;
        let seeded = seed(&app, Some((participant, &kit))).await;
        let (given, _) = seeded.given.clone().unwrap();
        let given_din = given["din"].as_str().unwrap().to_string();
        // The 14-day sterility fails after the injection: one event to follow opens.
        let qc = login(&app, "qc").await;
        let (status, lot) = qc
            .post(
                &format!("/api/studies/{sid}/product/lots/{}/results", seeded.lot),
                &json!({ "test_id": "sterility", "value": "positive", "password": PASSWORD }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{lot}");
        let lot_number = lot["lot_number"].as_str().unwrap().to_string();
        let inv = login(&app, "inv").await;
        let (_, events) = inv.get(&format!("/api/studies/{sid}/product/events")).await;
        let event = events[0]["id"].as_i64().unwrap();

        let doses = format!("/studies/{sid}/participants/{participant}/doses");
        let exposure = format!("/studies/{sid}/product/exposure");
        let supply = format!("/studies/{sid}/product/supply");
        let events_page = format!("/studies/{sid}/product/events");
        let product = format!("/studies/{sid}/product");
        let close_form = format!("data-close-event=\"{event}\"");
        for (name, role) in ROLES {
            let blinded = app.study.is_blinded(*role);
            let client = login(&app, name).await;
            for lang in ["en", "zh"] {
                language(&client, lang).await;
                let expected = [
                    (&doses, reads_participants(name), other_site(name)),
                    (&exposure, traces(name), false),
                    (&supply, reads(name), false),
                    (&events_page, traces(name), false),
                ];
                for (path, may, hidden) in expected {
                    let (status, body) = page(&client, path).await;
                    let want = wanted(may, hidden);
                    assert_eq!(status, want, "{} {name} {lang} {path}", db.name());
                    if status != StatusCode::OK {
                        continue;
                    }
                    assert!(!untranslated(&body), "{name} {lang} {path}: a key shows");
                    if lang == "zh" {
                        assert!(body.contains("lang=\"zh-Hans\""), "{path}");
                    }
                    let lower = body.to_lowercase();
                    if blinded {
                        for leak in ["placebo", "安慰剂", "data-treatment", "data-kit"] {
                            assert!(
                                !lower.contains(leak),
                                "{} {name} (blinded) {lang} {path} shows {leak:?}",
                                db.name()
                            );
                        }
                        for u in &seeded.units {
                            let din = u["din"].as_str().unwrap();
                            assert!(!body.contains(din), "{name} {path}: a unit's DIN");
                        }
                    }
                    if *path == doses {
                        // The dose as the dosing visit shows it, with the participant's kit and
                        // nothing of the unit: no label, no lot, for anyone.
                        assert!(body.contains("data-dose=\"1\""), "{name} {lang}: {body}");
                        assert!(
                            body.contains(&format!("data-participant-kit>{kit}<")),
                            "{name}: the kit"
                        );
                        assert!(!body.contains(&given_din), "{name}: the unit on the doses");
                        assert!(!body.contains(&lot_number), "{name}: the lot on the doses");
                        // The trace (lot, bank, donor) is linked for the unblinded who trace.
                        assert_eq!(
                            body.contains("data-trace-link"),
                            !blinded && traces(name),
                            "{name}: the trace link"
                        );
                    }
                    if *path == exposure {
                        assert_eq!(
                            body.contains(&format!("data-exposed=\"{participant}\"")),
                            !other_site(name),
                            "{name} {lang}: the participant's exposure"
                        );
                        if !blinded && !other_site(name) {
                            assert!(body.contains(&given_din), "{name}: the unit given");
                            assert!(body.contains(&lot_number), "{name}: its lot");
                            let placebo = given["placebo"] == true;
                            let word = if placebo { "placebo" } else { "active" };
                            assert!(
                                body.contains(&format!("data-treatment=\"{word}\"")),
                                "{name}: the treatment"
                            );
                        }
                        if blinded {
                            assert!(!body.contains(&lot_number), "{name}: the lot");
                        }
                    }
                    if *path == supply {
                        // Site A's stock for the readers of site A; site B's people only theirs.
                        let site_a = &app.study.sites[0].id;
                        assert_eq!(
                            body.contains(&format!("data-site-stock=\"{site_a}\"")),
                            !other_site(name),
                            "{name} {lang}: site A's stock"
                        );
                        assert!(body.contains("data-minimum>"), "{name}: {body}");
                    }
                    if *path == events_page {
                        assert_eq!(
                            body.contains(&format!("data-event=\"{event}\"")),
                            !other_site(name),
                            "{name} {lang}: the event to follow"
                        );
                        assert_eq!(
                            body.contains(&close_form),
                            closes(name),
                            "{name} {lang}: the close form"
                        );
                    }
                }
                // The product page links the pages for their readers.
                let (status, body) = page(&client, &product).await;
                if status == StatusCode::OK {
                    assert!(body.contains("data-supply-link"), "{name}");
                    assert_eq!(body.contains("data-exposure-link"), traces(name), "{name}");
                    assert_eq!(body.contains("data-events-link"), traces(name), "{name}");
                }
            }
        }

        // The close form's round trip: the form posts its note to the API's call, which the
        // page then shows as the event's documented outcome; closing twice is refused.
        let (_, body) = page(&inv, &events_page).await;
        let action =
            format!("data-product-post=\"/api/studies/{sid}/product/events/{event}/close\"");
        assert!(body.contains(&action), "{body}");
        assert!(body.contains("name=\"note\""), "{body}");
        let call = format!("/api/studies/{sid}/product/events/{event}/close");
        let (status, err) = inv.post(&call, &json!({ "note": "" })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        let outcome = "Called on the day; cultures taken, no fever at day 7";
        let (status, closed) = inv.post(&call, &json!({ "note": outcome })).await;
        assert_eq!(status, StatusCode::OK, "{closed}");
        for lang in ["en", "zh"] {
            language(&inv, lang).await;
            let (_, body) = page(&inv, &events_page).await;
            assert!(!untranslated(&body), "{lang}: {body}");
            assert!(body.contains("data-event-state=\"closed\""), "{body}");
            assert!(body.contains(&format!("data-outcome>{outcome}<")), "{body}");
            assert!(!body.contains(&close_form), "closed: no form");
            let state = if lang == "en" {
                ">Closed<"
            } else {
                ">已关闭<"
            };
            assert!(body.contains(state), "{lang}: {body}");
        }
        let (status, _) = inv.post(&call, &json!({ "note": outcome })).await;
        assert_eq!(status, StatusCode::CONFLICT);
        // The sponsor's resupply notice: the site's stock fell to nothing when the lot was
        // rejected, or stays above the minimum; the page says which for site A.
        let admin = login(&app, "admin").await;
        let (_, api) = admin
            .get(&format!("/api/studies/{sid}/product/supply"))
            .await;
        let (_, body) = page(&admin, &supply).await;
        let due = api["sites"][0]["needs_resupply"] == Value::Bool(true);
        assert_eq!(body.contains("data-resupply"), due, "{api}");
        assert!(
            body.contains(&format!("data-usable>{}<", api["sites"][0]["usable"])),
            "{api}"
        );
    }
}

#[tokio::test]
async fn the_dlt_window_runs_from_the_dose_given_and_the_low_stock_asks_for_a_resupply() {
    for db in common::databases("scitrial_product_window").await {
        let app = spawn_with(db.url(), PHASE1).await;
        let sid = app.study.id.clone();
        let crc = login(&app, "crc").await;
        let p = enrolled(&app, &crc, 0, "W1", false).await;
        let (status, e) = crc
            .post(
                &format!("/api/studies/{sid}/participants/{p}/dose-level"),
                &json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{e}");
        let cohorts = format!("/studies/{sid}/cohorts");
        let journey = format!("/studies/{sid}/participants/{p}/journey");
        // Before any dose: the planned window, said to be planned.
        for lang in ["en", "zh"] {
            language(&crc, lang).await;
            for path in [&cohorts, &journey] {
                let (status, body) = page(&crc, path).await;
                assert_eq!(status, StatusCode::OK, "{path}");
                assert!(!untranslated(&body), "{lang} {path}");
                assert!(
                    body.contains("data-window=\"planned\""),
                    "{lang} {path}: {body}"
                );
                assert!(!body.contains("data-window=\"given\""), "{path}");
                let said = if lang == "en" {
                    "planned: no dose given yet"
                } else {
                    "计划：尚未给药"
                };
                assert!(body.contains(said), "{lang} {path}");
            }
        }
        // The product released and received at site A; the pharmacist gives the level's dose on
        // day 1, scanned against the participant (no kits in the open-label study).
        let seeded = seed(&app, None).await;
        let unit = seeded.units.iter().find(|u| u["placebo"] == false).unwrap();
        let label = format!(
            "{}{}",
            unit["din"].as_str().unwrap(),
            unit["check_character"].as_str().unwrap()
        );
        let pharm = login(&app, "pharm").await;
        let (status, body) = pharm
            .post(
                &format!("/api/studies/{sid}/participants/{p}/administrations"),
                &json!({
                    "unit": label,
                    "thawed_at": "2026-10-24T01:20:00Z", "injected_at": "2026-10-24T01:55:00Z",
                    "dose_cells": 50_000_000, "volume_ml": 5.0, "weight_kg": 70.0,
                    "route": "intrathecal", "puncture_level": "L3-L4"
                }),
            )
            .await;
        assert!(status.is_success(), "{status} {body}");
        let (_, doses) = crc
            .get(&format!("/api/studies/{sid}/participants/{p}/doses"))
            .await;
        let on = doses[0]["dosed_on"].as_str().unwrap().to_string();
        let end = store::parse_date(&on).unwrap() + time::Duration::days(28);
        let window = format!("{on} – {end}");
        for lang in ["en", "zh"] {
            language(&crc, lang).await;
            for path in [&cohorts, &journey] {
                let (_, body) = page(&crc, path).await;
                assert!(!untranslated(&body), "{lang} {path}");
                assert!(
                    body.contains("data-window=\"given\""),
                    "{lang} {path}: {body}"
                );
                assert!(!body.contains("data-window=\"planned\""), "{path}");
                assert!(body.contains(&window), "{lang} {path}: {window} in {body}");
                let said = if lang == "en" {
                    "from the doses given"
                } else {
                    "按实际给药计算"
                };
                assert!(body.contains(said), "{lang} {path}");
            }
            // The journey links the doses page, which shows the dose and its level.
            let (_, body) = page(&crc, &journey).await;
            let doses_page = format!("/studies/{sid}/participants/{p}/doses");
            assert!(body.contains(&format!("href=\"{doses_page}\"")), "{body}");
            let (status, body) = page(&crc, &doses_page).await;
            assert_eq!(status, StatusCode::OK);
            assert!(!untranslated(&body), "{lang}: {body}");
            assert!(body.contains("data-dose=\"1\""), "{body}");
            assert!(body.contains("data-dose-level>"), "{body}");
        }
        // A second participant's dose brings site A's stock to the product's minimum: the
        // sponsor's supply page says a resupply is due and shows the notice, in both languages;
        // the pharmacist, mailed but not told in the application, sees the stock only.
        let p2 = enrolled(&app, &crc, 0, "W2", false).await;
        let (status, e) = crc
            .post(
                &format!("/api/studies/{sid}/participants/{p2}/dose-level"),
                &json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{e}");
        let second = seeded
            .units
            .iter()
            .filter(|u| u["placebo"] == false)
            .nth(1)
            .unwrap();
        let (status, body) = pharm
            .post(
                &format!("/api/studies/{sid}/participants/{p2}/administrations"),
                &json!({
                    "unit": format!("{}{}", second["din"].as_str().unwrap(), second["check_character"].as_str().unwrap()),
                    "thawed_at": "2026-10-24T02:20:00Z", "injected_at": "2026-10-24T02:55:00Z",
                    "dose_cells": 50_000_000, "volume_ml": 5.0, "weight_kg": 64.0,
                    "route": "intrathecal", "puncture_level": "L4-L5"
                }),
            )
            .await;
        assert!(status.is_success(), "{status} {body}");
        let supply = format!("/studies/{sid}/product/supply");
        let site_a = &app.study.sites[0].id;
        let admin = login(&app, "admin").await;
        for (lang, said) in [("en", "ship a resupply"), ("zh", "请补充发运")] {
            language(&admin, lang).await;
            let (status, body) = page(&admin, &supply).await;
            assert_eq!(status, StatusCode::OK);
            assert!(!untranslated(&body), "{lang}: {body}");
            let stock = body
                .split(&format!("data-site-stock=\"{site_a}\""))
                .nth(1)
                .and_then(|rest| rest.split("</section>").next())
                .unwrap_or_default();
            assert!(stock.contains("data-resupply"), "{lang}: {body}");
            assert!(stock.contains("data-usable>2<"), "{lang}: {body}");
            assert!(body.contains("data-notice="), "{lang}: {body}");
            assert!(body.contains(said), "{lang}: {body}");
        }
        let (_, body) = page(&pharm, &supply).await;
        assert!(body.contains("data-resupply"), "{body}");
        assert!(!body.contains("data-notice="), "{body}");
    }
}

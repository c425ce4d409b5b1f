//! A lot's recall through the API, on both databases: only the sponsor and the qualified person
//! recall, with a reason and the password re-entered; the recalled lot's units not given are
//! refused at the bedside naming the recall; whom to contact — sites, participants,
//! investigators — is answered and shown on the lot's page in both languages, to each site
//! its own, and never which unit was placebo; the sponsor, the recipients' investigators and
//! the site's pharmacist are told, by e-mail through a real SMTP server too, and an event to
//! follow is opened for the recipient.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

use crate::allocation::{enrolled, spawn_with};
use crate::common::{self, login, PASSWORD, PHASE2};
use crate::labs::fields;
use crate::product::{dosable, seed};

fn label(u: &Value) -> String {
    format!(
        "{}{}",
        u["din"].as_str().unwrap(),
        u["check_character"].as_str().unwrap()
    )
}

#[tokio::test]
async fn a_recalled_lot_lists_whom_to_contact_and_its_units_are_refused_at_the_bedside() {
    for db in common::databases("scitrial_product_recall").await {
        let app = common::with_list(spawn_with(db.url(), PHASE2).await).await;
        let sid = app.study.id.clone();
        let base = format!("/api/studies/{sid}/product");
        let crc = login(&app, "crc").await;
        let (p, kit) = dosable(&app, &crc).await;
        let seeded = seed(&app, Some((p, &kit))).await;
        let (given, _) = seeded.given.clone().unwrap();
        // A second participant of site A with a kit, to be given a unit after the recall.
        let second = enrolled(&app, &crc, 0, "P2", false).await;
        let (status, a) = crc
            .post(
                &format!("/api/studies/{sid}/participants/{second}/randomisation"),
                &json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{a}");
        let second_kit = a["kit_number"].as_str().unwrap().to_string();
        let pharm = login(&app, "pharm").await;
        let (status, body) = pharm
            .post(
                &format!("/api/studies/{sid}/participants/{second}/dispensing"),
                &json!({ "kit_number": second_kit }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        for (name, email) in [
            ("admin", "admin@sponsor.example"),
            ("inv", "inv@site-a.example"),
            ("invb", "invb@site-b.example"),
            ("pharm", "pharm@site-a.example"),
        ] {
            let user = app.store.user_by_name(name).await.unwrap().unwrap();
            app.store
                .set_user_email(user.id, email, &store::Actor::system())
                .await
                .unwrap();
        }
        let recall = format!("{base}/lots/{}/recall", seeded.lot);
        let (qc, qp, admin, inv, invb) = (
            login(&app, "qc").await,
            login(&app, "qp").await,
            login(&app, "admin").await,
            login(&app, "inv").await,
            login(&app, "invb").await,
        );
        // Not recalled yet: nothing to contact.
        let (status, _) = inv.get(&recall).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // Only the sponsor and the qualified person recall; a reason and the password.
        let reason = "vial labels of the lot misprinted";
        for client in [&qc, &pharm, &inv, &crc] {
            let (status, body) = client
                .post(&recall, &json!({ "reason": reason, "password": PASSWORD }))
                .await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        }
        let (status, err) = qp
            .post(&recall, &json!({ "reason": " ", "password": PASSWORD }))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert_eq!(fields(&err), ["reason"], "{err}");
        let (status, err) = qp
            .post(&recall, &json!({ "reason": reason, "password": "wrong" }))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{err}");
        let (status, err) = qp.post(&recall, &json!({ "reason": reason })).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
        let (_, lot) = qp.get(&format!("{base}/lots/{}", seeded.lot)).await;
        assert_eq!(
            lot["state"], "conditionally_released",
            "nothing written: {lot}"
        );

        // The sponsor (blinded) recalls it.
        let (status, answer) = admin
            .post(&recall, &json!({ "reason": reason, "password": PASSWORD }))
            .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["lot"]["state"], "recalled", "{answer}");
        assert_eq!(answer["lot"]["reason"], reason, "{answer}");
        let decision = answer["lot"]["decisions"]
            .as_array()
            .unwrap()
            .last()
            .unwrap();
        assert_eq!(decision["decision"], "recall", "{answer}");
        assert_eq!(decision["signed_by"], "admin", "{answer}");
        let contacts = &answer["contacts"];
        assert_eq!(contacts["reason"], reason, "{answer}");
        assert_eq!(contacts["units_at_manufacturer"], 0, "{answer}");
        let site_a = &app.study.sites[0].id;
        assert_eq!(contacts["sites"].as_array().unwrap().len(), 1, "{answer}");
        let site = &contacts["sites"][0];
        assert_eq!(site["site_id"], *site_a, "{answer}");
        // Four units shipped to site A, one given: three held, now unusable.
        assert_eq!(site["units_held"], 3, "{answer}");
        assert_eq!(site["participants"][0]["participant_id"], p, "{answer}");
        assert_eq!(site["participants"].as_array().unwrap().len(), 1);
        let investigators: Vec<&str> = site["investigators"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["username"].as_str().unwrap())
            .collect();
        assert_eq!(investigators, ["inv"], "{answer}");
        assert_eq!(site["investigators"][0]["email"], "inv@site-a.example");
        // Blinded-safe: no unit, kit or treatment in what the sponsor reads.
        let text = answer.to_string().to_lowercase();
        assert!(!text.contains("placebo"), "{text}");
        assert!(!text.contains(&kit.to_lowercase()), "{text}");
        for u in &seeded.units {
            assert!(!text.contains(&label(u).to_lowercase()), "{text}");
        }
        // Once only; a rejected lot neither.
        let (status, err) = qp
            .post(&recall, &json!({ "reason": reason, "password": PASSWORD }))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert!(err.to_string().contains("recalled already"), "{err}");

        // The bedside refuses a unit of the recalled lot, naming the recall and its reason.
        let placebo_kit = {
            let (_, kits) = pharm.get(&format!("/api/studies/{sid}/kits")).await;
            let arm = kits
                .as_array()
                .unwrap()
                .iter()
                .find(|k| k["kit_number"] == second_kit.as_str())
                .unwrap()["arm_id"]
                .clone();
            app.study
                .arms
                .iter()
                .any(|a| a.id == arm && a.kind == trial::ArmKind::Placebo)
        };
        let spare = seeded
            .units
            .iter()
            .find(|u| u["placebo"] == placebo_kit && u["id"] != given["id"])
            .unwrap();
        let (status, body) = pharm
            .post(
                &format!("{base}/kits/{second_kit}/unit"),
                &json!({ "unit": label(spare) }),
            )
            .await;
        assert!(status.is_success(), "{status} {body}");
        let now = time::macros::datetime!(2026-10-24 10:00 +08:00);
        let at = |t: OffsetDateTime| {
            t.format(&time::format_description::well_known::Rfc3339)
                .unwrap()
        };
        let (status, err) = pharm
            .post(
                &format!("/api/studies/{sid}/participants/{second}/administrations"),
                &json!({
                    "kit_number": second_kit, "unit": label(spare),
                    "thawed_at": at(now - Duration::minutes(40)),
                    "injected_at": at(now - Duration::minutes(5)),
                    "dose_cells": 10_000_000, "volume_ml": 5.0, "weight_kg": 70.0,
                    "route": "intrathecal", "puncture_level": "L3-L4"
                }),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        let said = err.to_string();
        assert!(
            said.contains("lot was recalled") && said.contains(reason),
            "{said}"
        );
        let (_, doses) = pharm
            .get(&format!("/api/studies/{sid}/participants/{second}/doses"))
            .await;
        assert_eq!(doses, json!([]), "nothing given");

        // Whom to contact, read back: site A's investigator sees site A; site B's sees none.
        let (status, theirs) = inv.get(&recall).await;
        assert_eq!(status, StatusCode::OK, "{theirs}");
        assert_eq!(theirs["sites"], contacts["sites"], "{theirs}");
        let (status, theirs) = invb.get(&recall).await;
        assert_eq!(status, StatusCode::OK, "{theirs}");
        assert_eq!(theirs["sites"], json!([]), "{theirs}");
        assert_eq!(qc.get(&recall).await.0, StatusCode::FORBIDDEN);

        // Told: the sponsor, the recipient's investigator (with an event to follow), not site
        // B's investigator.
        let (_, notes) = admin
            .get(&format!("/api/studies/{sid}/notifications"))
            .await;
        assert!(
            notes
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["kind"] == store::RECALL
                    && n["message"].as_str().unwrap().contains("L-001")),
            "{notes}"
        );
        let (_, notes) = inv.get(&format!("/api/studies/{sid}/notifications")).await;
        assert!(
            notes
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["kind"] == store::RECALL && n["participant_id"] == p),
            "{notes}"
        );
        let (_, notes) = invb.get(&format!("/api/studies/{sid}/notifications")).await;
        assert!(
            !notes
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["kind"] == store::RECALL),
            "{notes}"
        );
        let (_, events) = inv.get(&format!("{base}/events")).await;
        let recalls: Vec<&Value> = events
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == store::RECALL)
            .collect();
        assert_eq!(recalls.len(), 1, "{events}");
        assert_eq!(recalls[0]["participant_id"], p, "{events}");
        assert_eq!(recalls[0]["state"], "open", "{events}");
        let outbox = app.store.outbox(&sid).await.unwrap();
        let mailed: BTreeSet<&str> = outbox
            .iter()
            .filter(|m| m.subject.contains("L-001 is recalled"))
            .map(|m| m.recipient.as_str())
            .collect();
        assert_eq!(
            mailed,
            BTreeSet::from([
                "admin@sponsor.example",
                "inv@site-a.example",
                "pharm@site-a.example"
            ])
        );
        // Sent over SMTP to a real server: the message names the lot and the reason, no
        // treatment.
        if let Some(python) = crate::mail::python() {
            let sink = crate::mail::Sink::start(&python).await;
            crate::mail::mailer(&sink.url())
                .send_due(&app.store, OffsetDateTime::now_utc())
                .await
                .unwrap();
            let arrived = sink.arrived();
            let recalled: Vec<&Value> = arrived
                .iter()
                .filter(|m| {
                    m["subject"]
                        .as_str()
                        .unwrap_or("")
                        .contains("L-001 is recalled")
                })
                .collect();
            let to: BTreeSet<String> = recalled
                .iter()
                .map(|m| m["rcpt_tos"][0].as_str().unwrap().to_string())
                .collect();
            assert_eq!(
                to,
                BTreeSet::from([
                    "admin@sponsor.example".to_string(),
                    "inv@site-a.example".to_string(),
                    "pharm@site-a.example".to_string()
                ]),
                "{arrived:?}"
            );
            for m in recalled {
                let body = m["body"].as_str().unwrap();
                assert!(body.contains(reason), "{body}");
                assert!(!body.to_lowercase().contains("placebo"), "{body}");
            }
        }

        // The lot's page shows whom to contact, in both languages, with no recall form left.
        let page = format!("/studies/{sid}/product/lots/{}", seeded.lot);
        for (lang, heading) in [("en", "Whom to contact"), ("zh", "需联系的对象")] {
            let r = admin
                .http
                .get(format!("{}/language/{lang}", admin.base))
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success() || r.status().is_redirection());
            let (status, body) = admin.text("get", &page, &Value::Null).await;
            assert_eq!(status, StatusCode::OK, "{lang}");
            assert!(body.contains(heading), "{lang}: {body}");
            assert!(body.contains("data-recalled"), "{lang}");
            assert!(
                body.contains(&format!("data-contact-participant=\"{p}\"")),
                "{lang}"
            );
            assert!(
                !body.contains("id=\"lot-recall\""),
                "{lang}: no second recall"
            );
            assert!(!body.to_lowercase().contains("placebo"), "{lang}");
        }
        assert!(matches!(
            app.store.verify_audit().await.unwrap(),
            store::AuditReport::Intact { .. }
        ));
    }
}

/// The recall form is on a lot's page for the sponsor and the qualified person only, while the
/// lot may be recalled.
#[tokio::test]
async fn the_recall_form_is_offered_to_the_sponsor_and_the_qualified_person() {
    for db in common::databases("scitrial_product_recall_form").await {
        let app = common::with_list(spawn_with(db.url(), PHASE2).await).await;
        let sid = app.study.id.clone();
        let seeded = seed(&app, None).await;
        let page = format!("/studies/{sid}/product/lots/{}", seeded.lot);
        for (name, offered) in [("admin", true), ("qp", true), ("qc", false), ("inv", false)] {
            let client = login(&app, name).await;
            let (status, body) = client.text("get", &page, &Value::Null).await;
            assert_eq!(status, StatusCode::OK, "{name}");
            assert_eq!(
                body.contains(&format!(
                    "data-product-post=\"/api/studies/{sid}/product/lots/{}/recall\"",
                    seeded.lot
                )),
                offered,
                "{name}"
            );
        }
    }
}

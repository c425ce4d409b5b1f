//! The cell product's pages through the real server, on both databases, over the product
//! history of [`crate::product::seed`] (a lot released conditionally, four units of which two
//! are placebo, shipped to site A with a logger file, one given at the bedside): every page for
//! every role in both languages — the pages each role may read answered, the others refused
//! (403, or 404 for another site's records), no message key untranslated, each form offered
//! only to the roles the API allows — and the blind: a blinded role's page never names a
//! unit's treatment (not in text, not in an attribute), shows no kit, no unit beside a
//! recipient, and renders a placebo unit's row exactly as an active unit's row, its label
//! aside.

use reqwest::StatusCode;
use serde_json::{json, Value};
use trial::Role;

use crate::allocation::spawn_with;
use crate::common::{self, login, Client, PHASE2};
use crate::product::{dosable, seed};

/// Every user of `allocation::PEOPLE` and their role.
pub(crate) const ROLES: &[(&str, Role)] = &[
    ("admin", Role::SponsorAdmin),
    ("inv", Role::Investigator),
    ("crc", Role::Crc),
    ("mon", Role::Monitor),
    ("dm", Role::DataManager),
    ("pharm", Role::UnblindedPharmacist),
    ("dsmb", Role::DsmbStatistician),
    ("aud", Role::Auditor),
    ("sp", Role::SafetyPhysician),
    ("pv", Role::Pharmacovigilance),
    ("dsmbm", Role::DsmbMember),
    ("crcb", Role::Crc),
    ("invb", Role::Investigator),
    ("qc", Role::Qc),
    ("qp", Role::QualifiedPerson),
];

/// Who reads the product (everyone but the DSMB and pharmacovigilance).
pub(crate) fn reads(name: &str) -> bool {
    !["dsmb", "dsmbm", "pv"].contains(&name)
}

/// Who traces it (the readers but QC, who reads no participant).
pub(crate) fn traces(name: &str) -> bool {
    reads(name) && name != "qc"
}

/// The site B users, who see nothing of site A's shipment and participant.
pub(crate) fn other_site(name: &str) -> bool {
    ["crcb", "invb"].contains(&name)
}

/// The status a page answers: 403 to a role that may not read it, 404 when the record is
/// another site's, else 200.
pub(crate) fn wanted(may: bool, hidden: bool) -> StatusCode {
    match (may, hidden) {
        (false, _) => StatusCode::FORBIDDEN,
        (true, true) => StatusCode::NOT_FOUND,
        (true, false) => StatusCode::OK,
    }
}

pub(crate) async fn page(client: &Client, path: &str) -> (StatusCode, String) {
    client.text("get", path, &Value::Null).await
}

pub(crate) async fn language(client: &Client, lang: &str) {
    let r = client
        .http
        .get(format!("{}/language/{lang}", client.base))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success() || r.status().is_redirection());
}

/// The `<tr data-unit=…>` rows of a page, by unit id.
fn unit_rows(body: &str) -> Vec<(i64, String)> {
    body.split("<tr data-unit=\"")
        .skip(1)
        .map(|piece| {
            let (id, rest) = piece.split_once('"').unwrap();
            let row = rest.split("</tr>").next().unwrap().to_string();
            let id: i64 = id.parse().unwrap();
            (id, row)
        })
        .collect()
}

/// A unit's row with its own label replaced by a placeholder.
fn without_label(row: &str, unit: &Value) -> String {
    let din = unit["din"].as_str().unwrap();
    let check = unit["check_character"].as_str().unwrap();
    row.replace(&format!("{din}{check}"), "LABEL")
        .replace(din, "DIN")
        .replace(
            &format!("<span data-check>{check}</span>"),
            "<span data-check>C</span>",
        )
}

#[tokio::test]
async fn the_product_pages_for_each_role_in_both_languages_and_the_blind_holds() {
    for db in common::databases("scitrial_product_pages").await {
        let app = common::with_list(spawn_with(db.url(), PHASE2).await).await;
        let sid = app.study.id.clone();
        let crc = login(&app, "crc").await;
        let (participant, kit) = dosable(&app, &crc).await;
        let seeded = seed(&app, Some((participant, &kit))).await;
        let (given, _) = seeded.given.clone().unwrap();
        // A second lot, quarantined: the qualified person's decision is offered on it.
        let qc = login(&app, "qc").await;
        let (_, banks) = qc.get(&format!("/api/studies/{sid}/product/banks")).await;
        let (status, second) = qc
            .post(
                &format!("/api/studies/{sid}/product/lots"),
                &json!({
                    "bank_id": banks[0]["id"], "lot_number": "L-002", "manufacturing_site": "Suzhou",
                    "manufactured_on": "2026-11-20", "cell_count": 1_000_000_000_i64,
                    "expires_on": "2027-08-31"
                }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{second}");
        let product = format!("/studies/{sid}/product");
        let lot = format!("{product}/lots/{}", seeded.lot);
        let quarantined = format!("{product}/lots/{}", second["id"]);
        let shipment = format!("{product}/shipments/{}", seeded.shipment);
        let bedside = format!("{product}/bedside");
        let trace = format!("{lot}/trace");
        let recipient = format!("/studies/{sid}/participants/{participant}/product");
        for (name, role) in ROLES {
            let blinded = app.study.is_blinded(*role);
            let client = login(&app, name).await;
            for lang in ["en", "zh"] {
                language(&client, lang).await;
                let expected = [
                    (&product, reads(name), false),
                    (&lot, reads(name), false),
                    (&quarantined, reads(name), false),
                    (&shipment, reads(name), other_site(name)),
                    (&bedside, *name == "pharm", false),
                    (&trace, traces(name), false),
                    (&recipient, traces(name), other_site(name)),
                ];
                for (path, may, hidden) in expected {
                    let (status, body) = page(&client, path).await;
                    let want = wanted(may, hidden);
                    assert_eq!(status, want, "{} {name} {lang} {path}", db.name());
                    if status != StatusCode::OK {
                        continue;
                    }
                    let shown = body.split('>').any(|p| p.trim_start().starts_with("pr."));
                    assert!(!shown, "{name} {lang} {path}: a key shows untranslated");
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
                        assert!(!body.contains(&kit), "{name} {path}: the kit");
                        // No unit beside a recipient.
                        if let Some(recall) = body.split("id=\"recall\"").nth(1) {
                            let recall = recall.split("</section>").next().unwrap();
                            for u in &seeded.units {
                                let din = u["din"].as_str().unwrap();
                                assert!(!recall.contains(din), "{name}: a unit beside a recipient");
                            }
                        }
                        if *path == recipient {
                            let din = given["din"].as_str().unwrap();
                            assert!(!body.contains(din), "{name}: the unit given");
                        }
                    }
                    // Rows alike: a placebo unit's row and an active unit's row in the same
                    // state differ only by their labels, for the blinded.
                    let rows = unit_rows(&body);
                    if blinded && !rows.is_empty() {
                        let normalised: Vec<(bool, String)> = rows
                            .iter()
                            .map(|(id, row)| {
                                let u = seeded.units.iter().find(|u| u["id"] == *id).unwrap();
                                (u["placebo"] == true, without_label(row, u))
                            })
                            .filter(|(_, row)| row.contains("data-unit-status=\"available\""))
                            .collect();
                        let placebo: Vec<&String> = normalised
                            .iter()
                            .filter(|(p, _)| *p)
                            .map(|(_, r)| r)
                            .collect();
                        let active: Vec<&String> = normalised
                            .iter()
                            .filter(|(p, _)| !*p)
                            .map(|(_, r)| r)
                            .collect();
                        assert!(!placebo.is_empty() && !active.is_empty(), "{path}");
                        for p in &placebo {
                            for a in &active {
                                assert_eq!(
                                    p, a,
                                    "{name} {path}: a placebo row differs from an active row"
                                );
                            }
                        }
                    }
                    if !blinded && (*path == lot || *path == trace) {
                        // The unblinded who handle units see each unit's treatment.
                        assert!(
                            body.contains("data-treatment=\"placebo\"")
                                && body.contains("data-treatment=\"active\""),
                            "{name} (unblinded) {path}: the treatments"
                        );
                    }
                    // Each form for its roles only.
                    let forms: &[(&str, &str, &[&str])] = &[
                        (&product, "id=\"product-lot\"", &["qc"]),
                        (&product, "id=\"product-shipment\"", &["qc"]),
                        (&product, "id=\"product-definition\"", &["qc"]),
                        (&product, "data-bedside-link", &["pharm"]),
                        (&lot, "id=\"release-result\"", &["qc"]),
                        (&lot, "id=\"add-unit\"", &["qc"]),
                        // The seeded lot was decided; the quarantined one awaits the QP.
                        (&lot, "id=\"lot-decision\"", &[]),
                        (&quarantined, "id=\"lot-decision\"", &["qp"]),
                        (&shipment, "id=\"logger-import\"", &["qc", "pharm"]),
                        // Received, so no one takes custody again; the excursion is decided.
                        (&shipment, "id=\"handover\"", &[]),
                        (&shipment, "data-excursion-form", &[]),
                        (&bedside, "id=\"administer\"", &["pharm"]),
                        (&bedside, "id=\"link-unit\"", &["pharm"]),
                    ];
                    for (page_path, marker, who) in forms {
                        if *page_path == path {
                            assert_eq!(
                                body.contains(marker),
                                who.contains(name),
                                "{name} {lang} {path}: {marker}"
                            );
                        }
                    }
                }
                // The navigation links the product for its readers only.
                let (_, account) = page(&client, "/account").await;
                assert_eq!(
                    account.contains(&format!("href=\"/studies/{sid}/product\"")),
                    reads(name),
                    "{name}: the navigation's product link"
                );
            }
        }
        // The excursion shows with its start, duration and peak on the shipment's page; the
        // trace lists the participant for the unblinded and the blinded alike.
        let inv = login(&app, "inv").await;
        let (_, body) = page(&inv, &shipment).await;
        assert!(body.contains("data-minutes>"), "{body}");
        assert!(body.contains("data-peak>-141.5<"), "{body}");
        for who in ["inv", "pharm", "qp"] {
            let client = login(&app, who).await;
            let (_, body) = page(&client, &trace).await;
            assert!(
                body.contains(&format!("data-recipient=\"{participant}\"")),
                "{who}: the trace lists the recipient"
            );
        }
    }
}

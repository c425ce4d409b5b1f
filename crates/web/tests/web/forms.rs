//! The eCRF form pages (issue #16 items 2 and 5), on both databases: every form of both studies
//! renders for every role in both languages, each input named by its field id and labelled; a
//! save through the API shows on the page; the scores the page shows live are the study's rules'
//! (`scoreForm`); queries are raised from a field; forms and visits are locked and unlocked; the
//! data manager's table of forms by state, site and visit.

use reqwest::StatusCode;
use serde_json::{json, Map, Value};
use trial::{FormKind, Role, Scim3, Scim3Item};

use crate::api::enrolled;
use crate::common::{self, login, Client, TestApp, PHASE1, PHASE2};

/// One person per role (the site roles at the first site), and a coordinator of the second.
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

async fn spawn(url: &str, definition: &str) -> TestApp {
    common::with_list(common::spawn_with(url, definition, PEOPLE, common::plain_name).await).await
}

/// The input names a form's page must have: the definition's field ids, the SCIM III items,
/// the WISCI II level.
fn field_ids(form: &trial::FormDef) -> Vec<String> {
    match form.kind {
        FormKind::Scim3 => Scim3Item::ALL.iter().map(|i| i.id().to_string()).collect(),
        FormKind::Wisci2 => vec![trial::Wisci2::LEVEL_KEY.to_string()],
        _ => form.fields.iter().map(|f| f.id.clone()).collect(),
    }
}

/// A page's HTML as `who` sees it.
async fn page(client: &Client, path: &str) -> (StatusCode, String) {
    client.text("get", path, &Value::Null).await
}

/// Switches the client's language.
async fn language(client: &Client, code: &str) {
    let (status, _) = client
        .text("get", &format!("/language/{code}?next=/"), &Value::Null)
        .await;
    assert!(status.is_success() || status.is_redirection(), "{status}");
}

#[tokio::test]
async fn every_form_of_both_studies_has_a_page_for_every_role_in_both_languages() {
    for definition in [PHASE1, PHASE2] {
        for db in common::databases("scitrial_forms").await {
            let app = spawn(db.url(), definition).await;
            let (sid, site) = (app.study.id.clone(), app.study.sites[0].id.clone());
            let crc = login(&app, "crc").await;
            let id = enrolled(&crc, &sid, &site, "F-1", "XS-F1").await;
            let mut checked = 0;
            for (name, role, _) in PEOPLE.iter().filter(|(n, _, _)| *n != "crcb") {
                let client = login(&app, name).await;
                for lang in ["en", "zh"] {
                    language(&client, lang).await;
                    for visit in &app.study.visits {
                        for form_id in &visit.forms {
                            let form = app.study.form(form_id).unwrap();
                            let path = format!(
                                "/studies/{sid}/participants/{id}/visits/{}/ecrf/{form_id}",
                                visit.id
                            );
                            let (status, html) = page(&client, &path).await;
                            if form.kind == FormKind::Isncsci {
                                // The exam has its worksheet (the redirect followed).
                                assert_eq!(status, StatusCode::OK, "{path}");
                                assert!(html.contains("id=\"worksheet\""), "{path}");
                                continue;
                            }
                            assert_eq!(status, StatusCode::OK, "{name} {lang} {path}: {html}");
                            for field in field_ids(form) {
                                // A field the platform fills is shown, never sent.
                                let sourced =
                                    form.field(&field).is_some_and(|f| f.source.is_some());
                                let named = format!("name=\"{field}\"");
                                assert_eq!(html.contains(&named), !sourced, "{name} {path}");
                                for needle in [
                                    format!("id=\"f-{field}\""),
                                    format!("<label for=\"f-{field}\">"),
                                ] {
                                    assert!(
                                        html.contains(&needle),
                                        "{name} {lang} {path}: no {needle}"
                                    );
                                }
                            }
                            let enters = [Role::Crc, Role::Investigator].contains(role);
                            assert_eq!(
                                html.contains("data-editable=\"1\""),
                                enters,
                                "{name} {path}"
                            );
                            let queries = [Role::Monitor, Role::DataManager].contains(role);
                            assert_eq!(html.contains("data-query-for="), queries, "{name} {path}");
                            let zh = html.contains("<html lang=\"zh-Hans\">");
                            assert_eq!(zh, lang == "zh", "{name} {path}");
                            if form.kind == FormKind::Scim3 {
                                let (en, cn) = ("Self-care", "自理");
                                assert!(html.contains(if zh { cn } else { en }), "{path}");
                                assert!(!html.contains(if zh { en } else { cn }), "{path}");
                            }
                            if form.kind == FormKind::Wisci2 && zh {
                                assert!(html.contains("平行杠，佩戴支具，两人扶助，不足 10 米"));
                            }
                            checked += 1;
                        }
                    }
                }
            }
            assert!(checked > 100, "only {checked} pages");
            // The timeline links every form; the other kinds' links come here.
            let (_, html) = page(&crc, &format!("/studies/{sid}/participants/{id}")).await;
            for visit in &app.study.visits {
                for form_id in &visit.forms {
                    let link = format!(
                        "/studies/{sid}/participants/{id}/visits/{}/forms/{form_id}",
                        visit.id
                    );
                    assert!(html.contains(&format!("href=\"{link}\"")), "{link}");
                    let (status, html) = page(&crc, &link).await;
                    assert_eq!(status, StatusCode::OK, "{link}");
                    let kind = app.study.form(form_id).unwrap().kind;
                    let own_page = if kind == FormKind::Isncsci {
                        "id=\"worksheet\""
                    } else {
                        "id=\"crf\""
                    };
                    assert!(html.contains(own_page), "{link}");
                }
            }
            // Another site's coordinator does not see the participant.
            if app.study.sites.len() < 2 {
                continue;
            }
            let crcb = login(&app, "crcb").await;
            let (status, _) = page(
                &crcb,
                &format!("/studies/{sid}/participants/{id}/visits/week-12/ecrf/vital-signs"),
            )
            .await;
            assert_eq!(status, StatusCode::NOT_FOUND);
        }
    }
}

/// Random SCIM III scores, each allowed for its item, from a simple generator.
fn scim_values(seed: &mut u64) -> Map<String, Value> {
    Scim3Item::ALL
        .iter()
        .map(|item| {
            *seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let allowed = item.allowed();
            let score = allowed[((*seed >> 33) as usize) % allowed.len()];
            (item.id().to_string(), Value::String(score.to_string()))
        })
        .collect()
}

#[tokio::test]
async fn a_form_saved_scored_queried_and_locked_shows_on_its_page() {
    for db in common::databases("scitrial_forms_save").await {
        let app = spawn(db.url(), PHASE2).await;
        let (sid, site) = (app.study.id.clone(), app.study.sites[0].id.clone());
        let crc = login(&app, "crc").await;
        let id = enrolled(&crc, &sid, &site, "S-1", "XS-S1").await;
        // The live scores are the study's rules': scoring agrees with trial on many inputs.
        let score = format!("/api/studies/{sid}/forms/scim3/score");
        let mut seed = 7;
        for _ in 0..60 {
            let values = scim_values(&mut seed);
            let expected = Scim3::from_json(&values).unwrap();
            let (status, body) = crc.post(&score, &json!({ "values": values })).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(body["values"]["total"], expected.total());
            assert_eq!(
                body["values"]["mobility_subscale"],
                expected.subscales().mobility
            );
        }
        let (status, body) = crc
            .post(&score, &json!({ "values": { "bladder": "14" } }))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.to_string().contains("values.bladder"), "{body}");
        // A bad value is named at its field; a cross-field rule at the field it reports on.
        let (status, body) = crc
            .post(
                &format!("/api/studies/{sid}/forms/vital-signs/score"),
                &json!({ "values": { "systolic_bp": "110", "diastolic_bp": "120" } }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<&str> = body["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["field"].as_str())
            .collect();
        assert!(fields.contains(&"values.diastolic_bp"), "{body}");

        // Saved as the page saves it, the form shows its values and scores.
        let values = scim_values(&mut seed);
        let expected = Scim3::from_json(&values).unwrap();
        let api = format!("/api/studies/{sid}/participants/{id}/visits/week-12/forms/scim3");
        let (status, body) = crc
            .post(&api, &json!({ "values": values, "status": "complete" }))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let path = format!("/studies/{sid}/participants/{id}/visits/week-12/ecrf/scim3");
        let (_, html) = page(&crc, &path).await;
        assert!(
            html.contains(&format!(
                "data-result=\"total\" data-items=\"{}\">{}</dd>",
                Scim3Item::ALL.map(|i| i.id()).join(" "),
                expected.total()
            )),
            "{html}"
        );
        let feeding = values["feeding"].as_str().unwrap();
        let select = html.split("name=\"feeding\"").nth(1).unwrap();
        let select = select.split("</select>").next().unwrap();
        assert!(
            select.contains(&format!("<option value=\"{feeding}\" selected>")),
            "{select}"
        );
        assert!(html.contains("data-version=\"1\""));

        // The investigator may sign the visit from the form (password and meaning labelled);
        // the coordinator may not, nor verify.
        let sign =
            format!("data-post=\"/api/studies/{sid}/participants/{id}/visits/week-12/signature\"");
        let inv = login(&app, "inv").await;
        let (_, html) = page(&inv, &path).await;
        assert!(html.contains(&sign) && html.contains("<label for=\"password-visit\">"));
        let (_, html) = page(&crc, &path).await;
        assert!(!html.contains(&sign) && !html.contains("/verification\""));
        // The monitor raises a query from the field, through the call the page's form makes.
        let mon = login(&app, "mon").await;
        let (_, html) = page(&mon, &path).await;
        let call = html
            .split("data-query-for=\"bladder\"")
            .next()
            .unwrap()
            .rsplit("data-post=\"")
            .next()
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string();
        assert_eq!(
            call,
            format!("/api/studies/{sid}/participants/{id}/queries")
        );
        assert!(html.contains(&format!("data-post=\"{api}/verification\"")));
        let (status, body) = mon
            .post(
                &call,
                &json!({ "visit_id": "week-12", "form_id": "scim3", "field": "bladder",
                         "text": "Bladder score against the nursing notes?" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (_, html) = page(&crc, &path).await;
        assert!(
            html.contains("data-query-at=\"bladder\"")
                && html.contains("Bladder score against the nursing notes?"),
            "{html}"
        );
        // The site answers it at the field; whoever raised it closes it there.
        let post_of = |html: &str, marker: &str| -> String {
            html.split(marker)
                .next()
                .unwrap()
                .rsplit("data-post=\"")
                .next()
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_string()
        };
        let answer = post_of(&html, "\" data-answer-for=\"bladder\"");
        assert!(answer.ends_with("/answer"), "{answer}");
        let (_, mon_html) = page(&mon, &path).await;
        assert!(!mon_html.contains("data-answer-for="));
        let (status, body) = crc
            .post(&answer, &json!({ "answer": "Checked: 11 is right." }))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (_, html) = page(&crc, &path).await;
        assert!(
            html.contains("Checked: 11 is right.") && !html.contains("data-action=\"close-query\"")
        );
        let (_, html) = page(&mon, &path).await;
        let close = post_of(&html, "\" data-action=\"close-query\"");
        assert!(close.ends_with("/close"), "{close}");
        let (status, body) = mon.post(&close, &json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (_, html) = page(&crc, &path).await;
        assert!(
            !html.contains("data-query-at=\"bladder\""),
            "closed, it leaves the field"
        );

        // The data manager locks the visit: every saved form of it.
        let vitals =
            format!("/api/studies/{sid}/participants/{id}/visits/week-12/forms/vital-signs");
        let (status, body) = crc
            .post(
                &vitals,
                &json!({ "values": { "systolic_bp": 120, "diastolic_bp": 80, "heart_rate": 72,
                    "respiratory_rate": 14, "temperature": "36.6", "spo2": 98 },
                    "status": "complete" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let dm = login(&app, "dm").await;
        let (_, html) = page(&dm, &path).await;
        let all = html
            .split("data-post-all=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .replace("&#34;", "\"");
        let urls: Vec<String> = serde_json::from_str(&all).unwrap();
        assert_eq!(
            urls,
            vec![format!("{api}/lock"), format!("{vitals}/lock")],
            "the visit's saved forms"
        );
        for url in &urls {
            let (status, body) = dm.post(url, &json!({})).await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        let (_, html) = page(&crc, &path).await;
        assert!(html.contains("data-locked") && !html.contains("data-editable=\"1\""));
        let (_, html) = page(&dm, &path).await;
        assert!(html.contains(&format!("data-post=\"{api}/unlock\"")));
        assert!(!html.contains("data-action=\"lock-visit\""));
        let all = html
            .split("<form class=\"unlock-visit\" data-post-all=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .replace("&#34;", "\"");
        let unlocks: Vec<String> = serde_json::from_str(&all).unwrap();
        assert_eq!(
            unlocks,
            vec![format!("{api}/unlock"), format!("{vitals}/unlock")]
        );
        // Locked, the save is refused; unlocked with a reason, a change needs its reason.
        let (status, _) = crc
            .post(
                &api,
                &json!({ "values": values, "status": "complete", "reason": "x" }),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, body) = dm
            .post(
                &format!("{api}/unlock"),
                &json!({ "reason": "Query on bladder" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (_, html) = page(&crc, &path).await;
        assert!(html.contains("data-editable=\"1\"") && !html.contains("data-locked"));

        // The data manager's table: forms by state, site and visit.
        let table = format!("/studies/{sid}/forms");
        let (status, html) = page(&dm, &table).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("data-count=\"locked\">1<"), "{html}");
        // Complete: the SCIM III form, and the screening exam (the screening visit's form).
        assert!(html.contains("data-count=\"complete\">2<"), "{html}");
        let (_, html) = page(&dm, &format!("{table}?state=locked")).await;
        assert_eq!(html.matches("<tr data-state=").count(), 1, "{html}");
        assert!(html.contains("/visits/week-12/ecrf/vital-signs"), "{html}");
        let (_, html) = page(&dm, &format!("{table}?visit=week-12")).await;
        assert_eq!(
            html.matches("<tr data-state=").count(),
            app.study.visit("week-12").unwrap().forms.len()
        );
        let other = &app.study.sites[1].id;
        let (_, html) = page(&dm, &format!("{table}?site={other}")).await;
        assert_eq!(html.matches("<tr data-state=").count(), 0);
        // A site's coordinator sees only their site's forms.
        let crcb = login(&app, "crcb").await;
        let (_, html) = page(&crcb, &table).await;
        assert_eq!(html.matches("<tr data-state=").count(), 0, "{html}");

        // The ISNCSCI worksheet: a query from one of its fields, the form locked.
        let exam: Map<String, Value> = isncsci::flat::fields(&isncsci::Exam::normal())
            .filter(|(k, _)| !k.contains("NonKey"))
            .map(|(k, v)| (k, Value::String(v.into())))
            .collect();
        let api = format!("/api/studies/{sid}/participants/{id}/visits/week-4/forms/isncsci");
        let (status, body) = crc
            .post(&api, &json!({ "values": exam, "status": "complete" }))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let sheet = format!("/studies/{sid}/participants/{id}/visits/week-4/forms/isncsci");
        let (_, html) = page(&crc, &sheet).await;
        assert!(!html.contains("data-query-for=") && !html.contains(&format!("{api}/lock")));
        let (_, html) = page(&mon, &sheet).await;
        assert!(
            html.contains("data-query-for=\"exam\"")
                && html.contains("<option value=\"c5RightMotor\">")
        );
        assert!(!html.contains(&format!("{api}/lock")));
        let (status, body) = mon
            .post(
                &call,
                &json!({ "visit_id": "week-4", "form_id": "isncsci", "field": "c5RightMotor",
                         "text": "Elbow flexors 5 on the right, the source says 4?" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (_, html) = page(&crc, &sheet).await;
        assert!(html.contains("data-query-at=\"c5RightMotor\""), "{html}");
        let (_, html) = page(&dm, &sheet).await;
        assert!(
            html.contains(&format!("data-post=\"{api}/lock\"")),
            "{html}"
        );
        let (status, _) = dm.post(&format!("{api}/lock"), &json!({})).await;
        assert_eq!(status, StatusCode::OK);
        let (_, html) = page(&dm, &sheet).await;
        assert!(
            html.contains(&format!("data-post=\"{api}/unlock\"")),
            "{html}"
        );
        let (_, html) = page(&crc, &sheet).await;
        assert!(html.contains("data-editable=\"\""), "{html}");
    }
}

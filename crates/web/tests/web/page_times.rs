//! One date-time style and human labels on the pages, on both databases, over the seeded demo
//! of both studies: every page that each of several accounts reaches by its links (one of each
//! kind) shows no RFC 3339 instant and no 12-hour time in its text; each `<time>` says
//! `YYYY-MM-DD HH:MM (Zone)` with the zone of one of the study's sites (UTC on the audit trail),
//! and is the instant of its `datetime`; the query list names each query's visit, form and field
//! by their names (a definition's field, a SCIM III item, an exam cell), never by their ids.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use store::Scope;

use crate::common::{self, Demo};

/// Accounts of the demo whose pages between them hold every kind of instant.
const ACCOUNTS: [&str; 6] = [
    "sponsor-admin",
    "investigator",
    "monitor",
    "unblinded-pharmacist",
    "pharmacovigilance",
    "auditor",
];

/// The text of a page without its tags (attributes, such as `datetime`, are not shown).
fn shown_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// The first RFC 3339 instant (`2026-12-06T10:19`) in a text.
fn rfc3339_in(text: &str) -> Option<String> {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(15)).find_map(|i| {
        let w = &b[i..i + 16];
        let digits = |r: std::ops::Range<usize>| w[r].iter().all(u8::is_ascii_digit);
        (digits(0..4)
            && w[4] == b'-'
            && digits(5..7)
            && w[7] == b'-'
            && digits(8..10)
            && w[10] == b'T'
            && digits(11..13)
            && w[13] == b':'
            && digits(14..16))
        .then(|| text[i..(i + 30).min(text.len())].to_string())
    })
}

/// `a.m.`/`p.m.` times (`5:58 PM`, `下午5:58`).
fn twelve_hour_in(text: &str) -> Option<String> {
    ["AM", "PM", "a.m.", "p.m.", "上午", "下午"]
        .iter()
        .find_map(|w| {
            text.match_indices(w).find_map(|(i, _)| {
                let before = text[..i].trim_end();
                let after = text[i + w.len()..].trim_start();
                let clock = |s: &str| {
                    let s: String = s
                        .chars()
                        .filter(|c| c.is_ascii_digit() || *c == ':')
                        .collect();
                    s.contains(':') && s.len() >= 4
                };
                let tail: String = before.chars().rev().take(5).collect::<String>();
                let head: String = after.chars().take(5).collect();
                let tail: String = tail.chars().rev().collect();
                (clock(&tail) && tail.ends_with(|c: char| c.is_ascii_digit())
                    || clock(&head) && head.starts_with(|c: char| c.is_ascii_digit()))
                .then(|| text[i.saturating_sub(8)..(i + w.len() + 6).min(text.len())].to_string())
            })
        })
}

/// Every `<time datetime="…">…</time>` of a page: (datetime, text).
fn times(html: &str) -> Vec<(String, String)> {
    html.split("<time datetime=\"")
        .skip(1)
        .filter_map(|rest| {
            let (at, rest) = rest.split_once("\">")?;
            let (text, _) = rest.split_once("</time>")?;
            Some((at.to_string(), text.to_string()))
        })
        .collect()
}

/// The page links of a page (`href="/…"`), without the API, downloads and language switches.
fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split_once('"').map(|(h, _)| h.replace("&amp;", "&")))
        .filter(|h| {
            h.starts_with('/')
                && !h.starts_with("/api/")
                && !h.starts_with("/language/")
                && !h.starts_with("/static/")
                && !h.starts_with("/login")
                && !h.contains(".csv")
        })
        .collect()
}

/// One page of each kind: numbers and a visit's id do not make another kind.
fn kind(path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let mut out = Vec::new();
    let mut after_visits = false;
    for seg in path.split('/') {
        out.push(if after_visits {
            "*"
        } else if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
            "#"
        } else {
            seg
        });
        after_visits = seg == "visits";
    }
    out.join("/")
}

async fn demo_login(base: &str, username: &str) -> (reqwest::Client, String) {
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let r = http
        .post(format!("{base}/api/login"))
        .json(&serde_json::json!({ "username": username, "password": format!("demo-{username}") }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "login {username}");
    let me: serde_json::Value = r.json().await.unwrap();
    (
        http,
        me["csrf_token"].as_str().unwrap_or_default().to_string(),
    )
}

#[tokio::test]
async fn instants_in_one_style_and_places_by_name_on_every_page() {
    let today = time::OffsetDateTime::now_utc().date();
    // Copies of the demo seeded once per run: the seeding below finds it and returns the
    // accounts.
    for db in common::demo_databases("scitrial_page_times", Demo::BothStudies, today).await {
        let (sql, app, _) = common::demo_app(db.url(), today).await;
        let db = db.name();
        let studies = app.studies.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(web::serve(listener, app));

        // The monitor raises queries through the API on fields of forms of three kinds: a field
        // of the definition, a SCIM III item and an ISNCSCI exam cell, at each study's first
        // enrolled participant.
        let (monitor, csrf) = demo_login(&base, "monitor").await;
        for (study_id, study) in &studies {
            let scope = Scope::Study(study_id.clone());
            let participant = sql
                .participants(&scope)
                .await
                .unwrap()
                .into_iter()
                .find(|p| p.enrolled_on.is_some())
                .expect("an enrolled participant");
            let visits = sql.visits(&scope, participant.id).await.unwrap();
            let mut raised = 0;
            for (form, field) in [
                ("vital-signs", "systolic_bp"),
                ("scim3", "feeding"),
                ("isncsci", "c5RightMotor"),
            ] {
                let Some(def) = study.forms.iter().find(|f| f.id == form) else {
                    continue;
                };
                let Some(visit) = visits.iter().find(|v| {
                    study
                        .visit(&v.visit_id)
                        .is_some_and(|d| d.forms.contains(&def.id))
                }) else {
                    continue;
                };
                let r = monitor
                    .post(format!(
                        "{base}/api/studies/{study_id}/participants/{}/queries",
                        participant.id
                    ))
                    .header("x-csrf-token", &csrf)
                    .json(&serde_json::json!({
                        "visit_id": visit.visit_id, "form_id": def.id, "field": field,
                        "text": "Please check against the source."
                    }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::CREATED, "{db} {study_id} {form}");
                raised += 1;
            }
            assert!(raised > 0, "{db} {study_id}: no query raised");
        }

        let mut pages = 0;
        let mut stamps = 0;
        for username in ACCOUNTS {
            let (http, _) = demo_login(&base, username).await;
            let mut seen = BTreeSet::new();
            let mut queue: Vec<String> = ["/studies/XS228-P2", "/studies/XS228-P1", "/studies"]
                .iter()
                .map(|s| s.to_string())
                .collect();
            while let Some(path) = (!queue.is_empty()).then(|| queue.remove(0)) {
                if !seen.insert(kind(&path)) || seen.len() > 70 {
                    continue;
                }
                let r = http.get(format!("{base}{path}")).send().await.unwrap();
                if r.status() != StatusCode::OK {
                    continue;
                }
                let html = r.text().await.unwrap();
                pages += 1;
                let at = format!("{db} {username} {path}");
                let text = shown_text(&html);
                assert_eq!(rfc3339_in(&text), None, "{at}: an RFC 3339 instant shown");
                assert_eq!(twelve_hour_in(&text), None, "{at}: a 12-hour time shown");
                let study = studies.values().find(|s| path.contains(&s.id));
                for (instant, shown) in times(&html) {
                    // A plain date (a clock's due day) stays a plain ISO date.
                    if instant.len() == 10 && store::parse_date(&instant).is_some() {
                        assert_eq!(shown, instant, "{at}");
                        continue;
                    }
                    stamps += 1;
                    let (_, zone) = shown
                        .trim_end_matches(')')
                        .rsplit_once(" (")
                        .unwrap_or_else(|| panic!("{at}: a time without its zone: {shown}"));
                    let allowed = zone == "UTC"
                        || study.is_some_and(|s| s.sites.iter().any(|x| x.time_zone == zone));
                    assert!(allowed, "{at}: {shown} is not in a site's zone");
                    assert_eq!(
                        shown,
                        web::pages::when::instant(&instant, zone),
                        "{at}: the time shown is not its instant"
                    );
                    assert_eq!(shown.len(), 16 + 3 + zone.len(), "{at}: {shown}");
                }
                queue.extend(links(&html));
            }
        }
        assert!(pages > 60, "{db}: only {pages} pages were read");
        assert!(stamps > 40, "{db}: only {stamps} times were shown");

        // Queries are placed by name: visit · form · field.
        for (study_id, study) in &studies {
            let queries = sql
                .queries(&Scope::Study(study_id.clone()), None, None)
                .await
                .unwrap();
            let html = monitor
                .get(format!("{base}/studies/{study_id}/queries"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let labels = web::pages::labels::Labels {
                study,
                t: web::pages::Texts(web::pages::Lang::En),
            };
            assert!(!queries.is_empty(), "{db} {study_id}: no queries");
            for q in &queries {
                let place = labels.place(&q.visit_id, &q.form_id, &q.field);
                assert!(
                    html.contains(&place),
                    "{db} {study_id}: {place} not on the query list"
                );
                let ids = format!("{} / {} / {}", q.visit_id, q.form_id, q.field);
                assert!(!html.contains(&ids), "{db} {study_id}: {ids} shown by ids");
                assert!(
                    !place.ends_with(&format!(" {}", q.field)),
                    "{db}: {place} names the field by its id"
                );
            }
        }
    }
}

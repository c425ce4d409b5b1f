//! The web pages through the real server on port 0, over a fresh SQLite file and a fresh
//! PostgreSQL database: redirects when signed out, the login form and its token, site scoping,
//! the worksheet's contract (input names and result elements), escaping and the languages.

use reqwest::StatusCode;
use serde_json::{json, Value};
use trial::Role;

use crate::common::{self, Databases, TestApp, PASSWORD, PHASE2};

const PEOPLE: &[common::Person] = &[
    ("crc", Role::Crc, Some(0)),
    ("crcb", Role::Crc, Some(1)),
    ("mon", Role::Monitor, Some(0)),
    ("inv", Role::Investigator, Some(0)),
    ("admin", Role::SponsorAdmin, None),
];

/// Printed names with markup in them, which the pages must show as text.
fn marked_up_name(username: &str) -> String {
    format!("Test <b>{username}</b>")
}

async fn spawn(url: &str) -> TestApp {
    common::with_list(common::spawn_with(url, PHASE2, PEOPLE, marked_up_name).await).await
}

/// A client as a browser is one: cookies kept, redirects not followed.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Signs in on a client (a device), returning the session's CSRF token.
async fn sign_in_on(http: &reqwest::Client, app: &TestApp, username: &str) -> String {
    common::sign_in(http, &app.base, username).await.0
}

/// A signed-in client and its CSRF token.
async fn login(app: &TestApp, username: &str) -> (reqwest::Client, String) {
    let http = browser();
    let csrf = sign_in_on(&http, app, username).await;
    (http, csrf)
}

async fn get(
    http: &reqwest::Client,
    url: String,
) -> (StatusCode, String, reqwest::header::HeaderMap) {
    let r = http.get(url).send().await.unwrap();
    let (status, headers) = (r.status(), r.headers().clone());
    (status, r.text().await.unwrap(), headers)
}

fn exam() -> serde_json::Map<String, Value> {
    isncsci::flat::fields(&isncsci::Exam::normal())
        .filter(|(k, _)| !k.contains("NonKey"))
        .map(|(k, v)| (k, Value::String(v.into())))
        .collect()
}

/// A complete injury at C6 (AIS A): eligible for the study.
fn injured_exam() -> serde_json::Map<String, Value> {
    let mut exam = isncsci::Exam::normal();
    exam.anal_contraction = isncsci::Anal::No;
    exam.anal_sensation = isncsci::Anal::No;
    let (absent, paralysed) = (
        isncsci::SensoryValue::parse("0").unwrap(),
        isncsci::MotorValue::parse("0").unwrap(),
    );
    for side in [&mut exam.right, &mut exam.left] {
        // From C7 down (motor from C5, sensory from C2).
        side.motor[2..].fill(paralysed);
        side.light_touch[5..].fill(absent);
        side.pin_prick[5..].fill(absent);
    }
    isncsci::flat::fields(&exam)
        .filter(|(k, _)| !k.contains("NonKey"))
        .map(|(k, v)| (k, Value::String(v.into())))
        .collect()
}

async fn screen(app: &TestApp, who: &str, site: &str, number: &str) -> i64 {
    screen_with(app, who, site, number, exam()).await
}

async fn screen_with(
    app: &TestApp,
    who: &str,
    site: &str,
    number: &str,
    exam: serde_json::Map<String, Value>,
) -> i64 {
    let (http, csrf) = login(app, who).await;
    let r = http
        .post(format!(
            "{}/api/studies/{}/participants",
            app.base, app.study.id
        ))
        .header("x-csrf-token", csrf)
        .json(&json!({
            "site_id": site, "screening_number": number, "sex": "male",
            "date_of_birth": "1985-06-01", "injury_date": "2026-10-01",
            "consent_date": "2026-10-19", "screening_date": "2026-10-20", "exam": exam
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn databases() -> Databases {
    common::databases("scitrial_pages").await
}

/// The login form's double-submit token.
fn form_token(body: &str) -> String {
    body.split(r#"name="token" value=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string()
}

/// Submits the login form.
async fn submit(
    http: &reqwest::Client,
    app: &TestApp,
    username: &str,
    password: &str,
    next: &str,
    token: &str,
) -> reqwest::Response {
    let form = [
        ("username", username),
        ("password", password),
        ("next", next),
        ("token", token),
    ];
    http.post(format!("{}/login", app.base))
        .form(&form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn signed_out_pages_go_to_the_login_whose_form_signs_in() {
    for db in databases().await {
        let app = spawn(db.url()).await;
        let http = browser();
        let page = format!("/studies/{}/participants", app.study.id);
        for path in [page.as_str(), "/isncsci", "/", "/dashboard"] {
            let (status, _, headers) = get(&http, format!("{}{path}", app.base)).await;
            assert_eq!(status, StatusCode::SEE_OTHER, "{path}");
            let to = headers["location"].to_str().unwrap();
            assert!(to.starts_with("/login?next="), "{path} -> {to}");
        }
        let (status, body, headers) = get(&http, format!("{}/login?next={page}", app.base)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains(r#"name="username""#) && body.contains(r#"type="password""#));
        assert!(headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'"));
        // A token that is not the form's cookie's, or a form posted from another site, is a
        // forged login: nothing happens.
        let token = form_token(&body);
        let r = submit(&browser(), &app, "crc", PASSWORD, &page, &token).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let forged = [("username", "crc"), ("password", PASSWORD)];
        for (name, value) in [
            ("origin", "http://evil.example"),
            ("sec-fetch-site", "cross-site"),
        ] {
            let r = browser()
                .post(format!("{}/login", app.base))
                .header(name, value)
                .form(&forged)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{name}: {value}");
        }
        // A program that is not a browser may post the two fields alone.
        let plain = browser();
        let r = plain
            .post(format!("{}/login", app.base))
            .form(&forged)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let (status, _, _) = get(&plain, format!("{}/isncsci", app.base)).await;
        assert_eq!(status, StatusCode::OK);
        // A wrong password: the form again, 401, no session.
        let r = submit(&http, &app, "crc", "nope", &page, &token).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("Wrong username or password"));
        // The right one, with the token of the form shown last.
        let (_, body, _) = get(&http, format!("{}/login?next={page}", app.base)).await;
        let r = submit(&http, &app, "crc", PASSWORD, &page, &form_token(&body)).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()["location"], page.as_str());
        let (status, body, headers) = get(&http, format!("{}{page}", app.base)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["cache-control"], "no-store");
        // The printed name is escaped.
        assert!(body.contains("Test &#60;b&#62;crc&#60;/b&#62;"), "{body}");
        // A foreign next is not followed.
        let (_, body, _) = get(&http, format!("{}/login?next=//evil.example", app.base)).await;
        assert!(body.contains(r#"name="next" value="/""#));
    }
}

#[tokio::test]
async fn pages_show_only_the_sites_of_the_user() {
    for db in databases().await {
        let app = spawn(db.url()).await;
        let (a, b) = (app.study.sites[0].id.clone(), app.study.sites[1].id.clone());
        let mine = screen(&app, "crc", &a, "A-1").await;
        let theirs = screen(&app, "crcb", &b, "<script>alert(1)</script>").await;
        let (crc, _) = login(&app, "crc").await;
        let sid = &app.study.id;
        let (status, body, _) = get(&crc, format!("{}/studies/{sid}/participants", app.base)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("A-1") && !body.contains("alert(1)"), "{body}");
        let (status, body, _) = get(
            &crc,
            format!("{}/studies/{sid}/participants/{theirs}", app.base),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        let (status, body, _) = get(
            &crc,
            format!("{}/studies/{sid}/participants/{mine}", app.base),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        // The charts of the screening exam's scores (a normal exam: UEMS 50, light touch 112).
        assert_eq!(body.matches(r#"<svg viewBox="0 0 640 270""#).count(), 2);
        assert!(body.contains("UEMS (max 50): 50") && body.contains("Light touch (max 112): 112"));
        let (status, body, _) = get(&crc, format!("{}/studies/{sid}", app.base)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains(&format!(">{a}</a>")) && !body.contains(&format!(">{b}</a>")));
        // A study the user has no role in does not exist for them.
        let (status, _, _) = get(&crc, format!("{}/studies/OTHER", app.base)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // The other site's coordinator sees their participant, its number as text.
        let (crcb, _) = login(&app, "crcb").await;
        let (status, body, _) = get(
            &crcb,
            format!("{}/studies/{sid}/participants/{theirs}", app.base),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
        assert!(!body.contains("<script>alert(1)"));
        let (_, body, _) = get(
            &crcb,
            format!("{}/studies/{sid}/participants?q=script", app.base),
        )
        .await;
        assert!(
            body.contains(r#"<span data-count="participants">1</span>"#),
            "{body}"
        );
        // Filters: a status nobody has.
        let (_, body, _) = get(
            &crcb,
            format!("{}/studies/{sid}/participants?status=completed", app.base),
        )
        .await;
        assert!(body.contains(r#"<span data-count="participants">0</span>"#));

        // The audit trail is shown to the investigator, not to the coordinator.
        let (_, body, _) = get(
            &crc,
            format!("{}/studies/{sid}/participants/{mine}", app.base),
        )
        .await;
        assert!(body.contains("does not show the audit trail"));
        assert!(!body.contains("data-audit-link"));
        let (inv, _) = login(&app, "inv").await;
        let (_, body, _) = get(
            &inv,
            format!("{}/studies/{sid}/participants/{mine}", app.base),
        )
        .await;
        // The participant page links to the trail, filtered to them, instead of inlining it.
        let link = format!("/studies/{sid}/audit?participant={mine}");
        assert!(body.contains(&link), "{body}");
        assert!(!body.contains(r#"<td>create</td>"#), "{body}");
        let (_, body, _) = get(&inv, format!("{}{link}", app.base)).await;
        assert!(body.contains(r#"<td>create</td>"#), "{body}");
        // The screening exam's own rows (its form at the screening visit) are in the trail too.
        assert!(body.contains("/screening/isncsci</td>"), "{body}");
    }
}

#[tokio::test]
async fn the_worksheet_names_inputs_and_results_as_the_reference_does() {
    for db in databases().await {
        let app = spawn(db.url()).await;
        let (crc, _) = login(&app, "crc").await;
        let (status, body, _) = get(&crc, format!("{}/isncsci", app.base)).await;
        assert_eq!(status, StatusCode::OK);
        for field in isncsci::flat::Field::all() {
            assert!(
                body.contains(&format!(r#"name="{field}""#)),
                "no input named {field}"
            );
            assert!(
                body.contains(&format!(r#"for="f-{field}""#)),
                "no label for {field}"
            );
        }
        for key in isncsci::Classification::KEYS {
            assert_eq!(
                body.matches(&format!(r#"data-result="{key}""#)).count(),
                1,
                "{key}"
            );
        }
        assert!(
            !body.contains(r#"id="save""#),
            "the calculator saves nothing"
        );

        // A visit's form: the coordinator may save, the monitor only reads.
        let site = app.study.sites[0].id.clone();
        let id = screen(&app, "crc", &site, "W-1").await;
        let sid = &app.study.id;
        let path = format!(
            "{}/studies/{sid}/participants/{id}/visits/screening/forms/isncsci",
            app.base
        );
        let (status, body, _) = get(&crc, path.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains(r#"id="save""#));
        let (mon, _) = login(&app, "mon").await;
        let (status, body, _) = get(&mon, path.clone()).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!body.contains(r#"id="save""#) && body.contains("readonly"));
        // The worksheet's comments are kept with the exam, within a limit (the browser test
        // saves some and reads them back).
        let (crc_api, csrf) = login(&app, "crc").await;
        let save = format!(
            "{}/api/studies/{sid}/participants/{id}/visits/screening/forms/isncsci",
            app.base
        );
        let mut values = exam();
        values.insert("comments".into(), Value::String("x".repeat(4001)));
        let r = crc_api
            .post(&save)
            .header("x-csrf-token", &csrf)
            .json(&json!({ "values": values }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let error: Value = r.json().await.unwrap();
        assert_eq!(
            error["error"]["fields"][0]["field"], "values.comments",
            "{error}"
        );
        let (crcb, _) = login(&app, "crcb").await;
        let (status, _, _) = get(&crcb, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // Every other form has its own page, generated from the study definition.
        let (status, _, headers) = get(
            &crc,
            format!(
                "{}/studies/{sid}/participants/{id}/visits/screening/forms/vital-signs",
                app.base
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            headers["location"],
            format!("/studies/{sid}/participants/{id}/visits/screening/ecrf/vital-signs").as_str()
        );

        // Static files: keyed by content hash, cached for a year; other versions are not served.
        let css = body_asset(&body, "app.css");
        let (status, _, headers) = get(&crc, format!("{}{css}", app.base)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable"));
        let (status, _, _) = get(&crc, format!("{}/static/0000/app.css", app.base)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

fn body_asset(body: &str, name: &str) -> String {
    let end = body.find(&format!("/{name}\"")).unwrap() + name.len() + 1;
    let start = body[..end].rfind("\"/static/").unwrap() + 1;
    body[start..end].to_string()
}

#[tokio::test]
async fn the_language_is_chosen_per_user_and_kept() {
    for db in databases().await {
        let app = spawn(db.url()).await;
        let (crc, _) = login(&app, "crc").await;
        let (_, body, _) = get(&crc, format!("{}/isncsci", app.base)).await;
        assert!(body.contains("Light touch") && body.contains(r#"lang="en""#));
        let r = crc
            .get(format!("{}/language/zh?next=/isncsci", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()["location"], "/isncsci");
        let (_, body, _) = get(&crc, format!("{}/isncsci", app.base)).await;
        assert!(
            body.contains("轻触觉") && body.contains(r#"lang="zh-Hans""#),
            "{body}"
        );
        // Someone else on the same device keeps their own language: their choice, once made,
        // is theirs, whatever the device's last choice.
        sign_in_on(&crc, &app, "mon").await;
        let (_, body, _) = get(&crc, format!("{}/isncsci", app.base)).await;
        assert!(
            body.contains("轻触觉"),
            "the device's choice applies at first"
        );
        crc.get(format!("{}/language/en?next=/isncsci", app.base))
            .send()
            .await
            .unwrap();
        let (_, body, _) = get(&crc, format!("{}/isncsci", app.base)).await;
        assert!(body.contains("Light touch"));
        sign_in_on(&crc, &app, "crc").await;
        let (_, body, _) = get(&crc, format!("{}/isncsci", app.base)).await;
        assert!(
            body.contains("轻触觉"),
            "the coordinator's own choice stays Chinese"
        );
        let (status, body, _) = get(&crc, format!("{}/language/fr", app.base)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("allowed: en, zh"));
    }
}

#[tokio::test]
async fn notifications_are_a_page_for_the_roles_they_are_for() {
    for db in databases().await {
        let app = spawn(db.url()).await;
        let sid = &app.study.id;
        let page = format!("{}/studies/{sid}/notifications", app.base);
        let link = format!("href=\"/studies/{sid}/notifications\"");
        // A coordinator is not told: no link, and the page is refused.
        let (crc, _) = login(&app, "crc").await;
        let (_, dashboard, _) = get(&crc, format!("{}/studies/{sid}", app.base)).await;
        assert!(!dashboard.contains(&link), "{dashboard}");
        let (status, _, _) = get(&crc, page.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // The sponsor is: a link, and the page, in either language.
        let (admin, _) = login(&app, "admin").await;
        let (_, dashboard, _) = get(&admin, format!("{}/studies/{sid}", app.base)).await;
        assert!(dashboard.contains(&link), "{dashboard}");
        let (status, body, _) = get(&admin, page.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("<h1>Notifications</h1>") && body.contains("No notification."));
        let (_, _, _) = get(&admin, format!("{}/language/zh", app.base)).await;
        let (_, body, _) = get(&admin, page).await;
        assert!(body.contains("没有通知。"), "{body}");
    }
}

async fn post_api(http: &reqwest::Client, csrf: &str, url: String, body: Value) -> Value {
    let r = http
        .post(url)
        .header("x-csrf-token", csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert!(status.is_success(), "{status} {body}");
    body
}

#[tokio::test]
async fn queries_are_answered_by_the_site_and_closed_by_whoever_raised_them() {
    for db in databases().await {
        let app = spawn(db.url()).await;
        let sid = &app.study.id;
        let site = &app.study.sites[0].id;
        let id = screen(&app, "crc", site, "Q-1").await;
        let (mon, mon_csrf) = login(&app, "mon").await;
        let query = post_api(
            &mon,
            &mon_csrf,
            format!("{}/api/studies/{sid}/participants/{id}/queries", app.base),
            json!({ "visit_id": "screening", "form_id": "isncsci", "field": "c5RightMotor",
                    "text": "Please check <C5> against the source." }),
        )
        .await;
        let q = query["id"].as_i64().unwrap();
        let page = format!("{}/studies/{sid}/participants/{id}", app.base);
        let answer = format!("data-post=\"/api/studies/{sid}/queries/{q}/answer\"");
        let close = format!("data-post=\"/api/studies/{sid}/queries/{q}/close\"");
        // The coordinator of the site is offered a labelled answer; the monitor is not.
        let (crc, crc_csrf) = login(&app, "crc").await;
        let (_, body, _) = get(&crc, page.clone()).await;
        assert!(body.contains(&answer), "{body}");
        assert!(body.contains(&format!("<label for=\"answer-{q}\">")));
        assert!(body.contains("Please check &#60;C5&#62; against the source."));
        let (_, body, _) = get(&mon, page.clone()).await;
        assert!(!body.contains(&answer) && !body.contains(&close));
        // Answered (as the page's script does), the raiser may close it; no one else.
        post_api(
            &crc,
            &crc_csrf,
            format!("{}/api/studies/{sid}/queries/{q}/answer", app.base),
            json!({ "answer": "Source says 4; corrected." }),
        )
        .await;
        let (_, body, _) = get(&crc, page.clone()).await;
        assert!(!body.contains(&answer) && !body.contains(&close), "{body}");
        assert!(body.contains("Source says 4; corrected."));
        let (_, body, _) = get(&mon, page.clone()).await;
        assert!(body.contains(&close), "{body}");
    }
}

#[tokio::test]
async fn a_complete_form_is_verified_by_the_monitor_and_its_visit_signed_by_the_investigator() {
    for db in databases().await {
        let app = spawn(db.url()).await;
        let sid = &app.study.id;
        let site = &app.study.sites[0].id;
        let id = screen_with(&app, "crc", site, "V-1", injured_exam()).await;
        let (crc, crc_csrf) = login(&app, "crc").await;
        post_api(
            &crc,
            &crc_csrf,
            format!("{}/api/studies/{sid}/participants/{id}/enrolment", app.base),
            json!({ "subject_id": "XS-V1", "enrolled_on": "2026-10-21", "anchor_date": "2026-10-24" }),
        )
        .await;
        let page = format!("{}/studies/{sid}/participants/{id}", app.base);
        let visit_api = format!("/api/studies/{sid}/participants/{id}/visits/week-12");
        let verify = format!("data-post=\"{visit_api}/forms/vital-signs/verification\"");
        let sign = format!("data-post=\"{visit_api}/signature\"");
        let casebook = format!("data-post=\"/api/studies/{sid}/participants/{id}/signature\"");
        let (mon, _) = login(&app, "mon").await;
        let (inv, _) = login(&app, "inv").await;
        // Nothing saved at week 12: nothing there to verify or sign (the casebook holds the
        // screening exam, saved at screening, so the investigator may already sign it).
        for who in [&crc, &mon, &inv] {
            let (_, body, _) = get(who, page.clone()).await;
            assert!(!body.contains(&verify) && !body.contains(&sign), "{body}");
            assert_eq!(body.contains(&casebook), std::ptr::eq(who, &inv), "{body}");
        }
        post_api(
            &crc,
            &crc_csrf,
            format!("{}{visit_api}/forms/vital-signs", app.base),
            json!({ "values": { "systolic_bp": 120, "diastolic_bp": 80, "heart_rate": 72,
                    "respiratory_rate": 14, "temperature": "36.6", "spo2": 98 },
                    "status": "complete" }),
        )
        .await;
        // The monitor may verify it, the investigator sign the visit (password and meaning,
        // each labelled); the coordinator neither.
        let (_, body, _) = get(&mon, page.clone()).await;
        assert!(body.contains(&verify) && !body.contains(&sign), "{body}");
        let (_, body, _) = get(&inv, page.clone()).await;
        assert!(body.contains(&sign) && !body.contains(&verify), "{body}");
        assert!(body.contains("<label for=\"password-week-12\">"), "{body}");
        assert!(body.contains("<label for=\"meaning-week-12\">"), "{body}");
        assert!(body.contains(&casebook), "{body}");
        assert!(body.contains("<label for=\"password-casebook\">"), "{body}");
        let (_, body, _) = get(&crc, page.clone()).await;
        assert!(
            !body.contains(&verify) && !body.contains(&sign) && !body.contains(&casebook),
            "{body}"
        );
    }
}

/// The participant's page shows the van Middendorp walking prognosis from the screening exam:
/// a complete C6 injury at 41 scores 0 (about 4 %), an exam without deficit 40.
#[tokio::test]
async fn the_participant_page_shows_the_walking_prognosis_of_the_screening_exam() {
    for db in databases().await {
        let app = spawn(db.url()).await;
        let site = app.study.sites[0].id.clone();
        let complete = screen_with(&app, "crc", &site, "S-VM1", injured_exam()).await;
        let intact = screen(&app, "crc", &site, "S-VM2").await;
        let (http, _) = login(&app, "crc").await;
        for (id, expected) in [
            (complete, "score 0 of −10 to 40 · predicted probability 4%"),
            (intact, "score 40 of −10 to 40 · predicted probability 100%"),
        ] {
            let url = format!("{}/studies/{}/participants/{id}", app.base, app.study.id);
            let (status, body, _) = get(&http, url).await;
            assert_eq!(status, StatusCode::OK);
            assert!(
                body.contains("Walking at one year (van Middendorp 2011)"),
                "{body}"
            );
            assert!(body.contains(expected), "{id}: {expected}");
        }
    }
}

#[tokio::test]
async fn the_lock_and_report_pages_are_linked_for_the_roles_that_may_read_them() {
    for db in databases().await {
        let app = spawn(db.url()).await;
        let sid = &app.study.id;
        let lock = format!("href=\"/studies/{sid}/lock\"");
        let report = format!("href=\"/studies/{sid}/report\"");
        // A coordinator reads the lock page (what blocks it at the site), not the results.
        let (crc, _) = login(&app, "crc").await;
        let (_, dashboard, _) = get(&crc, format!("{}/studies/{sid}", app.base)).await;
        assert!(dashboard.contains(&lock), "{dashboard}");
        assert!(!dashboard.contains(&report), "{dashboard}");
        let (status, _, _) = get(&crc, format!("{}/studies/{sid}/report", app.base)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _, _) = get(&crc, format!("{}/studies/{sid}/lock", app.base)).await;
        assert_eq!(status, StatusCode::OK);
        // The sponsor administrator reads both: the links lead to the pages, in both languages.
        let (admin, _) = login(&app, "admin").await;
        for (lang, lock_word, report_word) in [
            ("en", "Database lock", "Results"),
            ("zh", "数据库锁定", "统计分析结果"),
        ] {
            let (_, _, _) = get(&admin, format!("{}/language/{lang}", app.base)).await;
            let (_, dashboard, _) = get(&admin, format!("{}/studies/{sid}", app.base)).await;
            for (link, word) in [(&lock, lock_word), (&report, report_word)] {
                let anchor = format!("{link}>{word}</a>");
                assert!(dashboard.contains(&anchor), "{lang}: {anchor}");
                let path = &link["href=\"".len()..link.len() - 1];
                let (status, body, _) = get(&admin, format!("{}{path}", app.base)).await;
                assert_eq!(status, StatusCode::OK, "{lang} {path}: {body}");
            }
        }
    }
}

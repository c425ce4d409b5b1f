//! Navigation, the audit trail page and administration through the real server on port 0, on
//! a fresh SQLite file and a fresh PostgreSQL database: each role's landing after sign-in, the
//! study list and switcher, the filtered and paged audit trail with its CSV download, the
//! accounts page, password change and reset by e-mail.

use reqwest::StatusCode;
use serde_json::{json, Value};
use trial::Role;

use crate::api::screening;
use crate::common::{self, Client, TestApp, PASSWORD, PHASE1, PHASE2};

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

async fn spawn(url: &str) -> TestApp {
    common::with_list(common::spawn_with(url, PHASE2, PEOPLE, common::plain_name).await).await
}

/// A browser-like client: cookies kept, redirects not followed.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn signed_in(app: &TestApp, username: &str) -> Client {
    let http = browser();
    let csrf = common::sign_in(&http, &app.base, username).await.0;
    Client {
        http,
        base: app.base.clone(),
        csrf,
    }
}

/// Where a GET redirects to.
async fn location(client: &Client, path: &str) -> (StatusCode, String) {
    let r = client
        .http
        .get(format!("{}{path}", client.base))
        .send()
        .await
        .unwrap();
    let to = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (r.status(), to)
}

async fn page(client: &Client, path: &str) -> (StatusCode, String) {
    client.text("get", path, &Value::Null).await
}

#[tokio::test]
async fn each_role_lands_on_its_own_work_and_switches_studies() {
    for db in common::databases("scitrial_nav").await {
        let app = spawn(db.url()).await;
        let sid = app.study.id.clone();
        for (name, start) in [
            ("admin", format!("/studies/{sid}")),
            ("inv", format!("/studies/{sid}/participants")),
            ("crc", format!("/studies/{sid}/participants")),
            ("mon", format!("/studies/{sid}/queries?status=open")),
            ("dm", format!("/studies/{sid}/forms")),
            ("pharm", format!("/studies/{sid}/kits")),
            ("dsmb", format!("/studies/{sid}/safety/dsmb")),
            ("dsmbm", format!("/studies/{sid}/safety/dsmb")),
            ("aud", format!("/studies/{sid}/audit")),
            ("sp", format!("/studies/{sid}/safety")),
            ("pv", format!("/studies/{sid}/safety")),
        ] {
            let client = signed_in(&app, name).await;
            assert_eq!(
                location(&client, "/").await,
                (StatusCode::SEE_OTHER, start.clone()),
                "{name} after sign-in"
            );
            assert_eq!(
                location(&client, &format!("/studies/{sid}/start")).await,
                (StatusCode::SEE_OTHER, start.clone()),
                "{name} from the switcher"
            );
            // The forms table and the kits page come with the `forms` and `journey` pages; the
            // navigation is checked on the dashboard for those two roles.
            let at = if ["dm", "pharm"].contains(&name) {
                format!("/studies/{sid}")
            } else {
                start.clone()
            };
            let (status, body) = page(&client, &at).await;
            assert_eq!(status, StatusCode::OK, "{name} at {at}: {body}");
            // The header's switcher names the study and lists every study of the user.
            assert!(
                body.contains(&format!("data-current-study>{sid}<")),
                "{name}"
            );
            let (status, list) = page(&client, "/studies").await;
            assert_eq!(status, StatusCode::OK);
            assert!(list.contains(&format!("data-study=\"{sid}\"")), "{name}");
            assert!(list.contains(&app.study.title), "{name}");
            assert!(list.contains(&format!("/studies/{sid}/start")), "{name}");
            // A study the user has no role in does not exist for them.
            assert_eq!(
                location(&client, "/studies/elsewhere/start").await.0,
                StatusCode::NOT_FOUND
            );
            // The navigation shows the audit trail and the accounts only to their roles.
            assert_eq!(
                body.contains(&format!("href=\"/studies/{sid}/audit\"")),
                web::access::Operation::ReadAudit
                    .roles()
                    .iter()
                    .any(|r| PEOPLE.iter().any(|(n, pr, _)| n == &name && pr == r)),
                "{name}"
            );
            assert_eq!(
                body.contains(&format!("href=\"/studies/{sid}/users\"")),
                name == "admin",
                "{name}"
            );
        }
        // In Chinese too.
        let admin = signed_in(&app, "admin").await;
        admin
            .http
            .get(format!("{}/language/zh?next=/studies", app.base))
            .send()
            .await
            .unwrap();
        let (_, list) = page(&admin, "/studies").await;
        assert!(
            list.contains("我的研究") && list.contains("申办方管理员"),
            "{list}"
        );
    }
}

/// The CSV's data rows.
fn csv_rows(text: &str) -> usize {
    text.lines().count() - 1
}

#[tokio::test]
async fn the_audit_trail_page_is_filtered_paged_and_downloaded() {
    for db in common::databases("scitrial_nav").await {
        let app = spawn(db.url()).await;
        let sid = app.study.id.clone();
        let (site_a, site_b) = (app.study.sites[0].id.clone(), app.study.sites[1].id.clone());
        let crc = signed_in(&app, "crc").await;
        let crcb = signed_in(&app, "crcb").await;
        let mut own = Vec::new();
        for i in 0..6 {
            let (status, p) = crc
                .post(
                    &format!("/api/studies/{sid}/participants"),
                    &screening(&site_a, &format!("A-{i}")),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{p}");
            own.push(p["id"].as_i64().unwrap());
        }
        let (_, other) = crcb
            .post(
                &format!("/api/studies/{sid}/participants"),
                &screening(&site_b, "B-1"),
            )
            .await;
        let other = other["id"].as_i64().unwrap();
        let admin = signed_in(&app, "admin").await;
        let audit = format!("/studies/{sid}/audit");
        let csv = format!("/api/studies/{sid}/audit.csv");

        // The whole trail: 50 entries a page, newest first, and the CSV of all of it.
        let (status, all) = admin.text("get", &csv, &Value::Null).await;
        assert_eq!(status, StatusCode::OK, "{all}");
        let total = csv_rows(&all);
        assert!(total > 50, "{total} rows");
        let ids: Vec<i64> = all
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap().parse().unwrap())
            .collect();
        assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first");
        let (status, first) = page(&admin, &audit).await;
        assert_eq!(status, StatusCode::OK);
        // The download itself is on the trail.
        let shown = total + 1;
        assert!(first.contains(&format!("<span data-count=\"audit\">{shown}</span>")));
        assert!(first.contains("<td>export</td>"));
        assert!(first.contains(&format!("href=\"{audit}?page=2\" rel=\"next\"")));
        assert!(first.contains(&format!("href=\"{csv}\"")));
        let (_, second) = page(&admin, &format!("{audit}?page=2")).await;
        assert!(second.contains("<span data-page>2</span>"));
        assert!(second.contains(&format!("href=\"{audit}?page=1\" rel=\"prev\"")));

        // Filters: one participant, one user, one action, days; the CSV follows them.
        let p = own[0];
        let (_, mine) = admin
            .text("get", &format!("{csv}?participant={p}"), &Value::Null)
            .await;
        assert!(csv_rows(&mine) > 0 && csv_rows(&mine) < total);
        assert!(
            mine.lines()
                .skip(1)
                .all(|l| l.contains(&format!(",{p},")) || l.contains(&format!(",{p}/"))),
            "{mine}"
        );
        let (_, by_b) = admin
            .text("get", &format!("{csv}?user=crcb"), &Value::Null)
            .await;
        assert!(csv_rows(&by_b) > 0);
        assert!(by_b.lines().skip(1).all(|l| l.contains(",crcb,")));
        let (_, created) = admin
            .text(
                "get",
                &format!("{csv}?action=create&user=crc"),
                &Value::Null,
            )
            .await;
        assert!(
            created.lines().skip(1).all(|l| l.contains(",crc,create,")),
            "{created}"
        );
        let today = time::OffsetDateTime::now_utc().date();
        let (_, everything) = admin.text("get", &csv, &Value::Null).await;
        let total = csv_rows(&everything);
        let (_, on_today) = admin
            .text(
                "get",
                &format!("{csv}?from={today}&to={today}"),
                &Value::Null,
            )
            .await;
        assert_eq!(
            csv_rows(&on_today),
            total + 1,
            "the first download is audited too"
        );
        let (_, before) = admin
            .text("get", &format!("{csv}?to=2000-01-01"), &Value::Null)
            .await;
        assert_eq!(csv_rows(&before), 0);
        let (_, body) = page(&admin, &format!("{audit}?participant={p}&user=crc")).await;
        assert!(
            body.contains("<td>create</td>")
                && body.contains(&format!(
                    "<td translate=\"no\">form {p}/screening/isncsci</td>"
                )),
            "{body}"
        );
        assert!(
            body.contains(&format!("{csv}?participant={p}&#38;user=crc")),
            "{body}"
        );

        // Wrong filters are named.
        let (status, e) = admin
            .get(&format!("{csv}?from=yesterday&participant=x"))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        let named: Vec<&str> = e["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert_eq!(named, ["from", "participant"]);
        let (status, _) = page(&admin, &format!("{audit}?to=13-13-13")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        // A site role reads one participant of its sites at a time, and downloads nothing.
        let inv = signed_in(&app, "inv").await;
        let (status, body) = page(&inv, &audit).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("data-choose") && !body.contains("data-audit-row"));
        let (status, body) = page(&inv, &format!("{audit}?participant={p}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("data-audit-row") && !body.contains("data-csv"));
        let (status, _) = page(&inv, &format!("{audit}?participant={other}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(inv.get(&csv).await.0, StatusCode::FORBIDDEN);
        // The coordinator does not read the trail.
        assert_eq!(page(&crc, &audit).await.0, StatusCode::FORBIDDEN);
        assert_eq!(crc.get(&csv).await.0, StatusCode::FORBIDDEN);
    }
}

/// Signs in with a password, returning the status.
async fn try_login(
    app: &TestApp,
    http: &reqwest::Client,
    username: &str,
    password: &str,
) -> StatusCode {
    http.post(format!("{}/api/login", app.base))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn the_administrator_manages_accounts_and_passwords_are_changed_and_reset() {
    for db in common::databases("scitrial_nav").await {
        let app = spawn(db.url()).await;
        let sid = app.study.id.clone();
        let site = app.study.sites[0].id.clone();
        let admin = signed_in(&app, "admin").await;
        let crc = signed_in(&app, "crc").await;
        let users = format!("/studies/{sid}/users");
        let (status, body) = page(&admin, &users).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("data-user=\"crcb\"") && body.contains("data-new-user"));
        assert!(body.contains(&format!(
            "<span class=\"badge\">Clinical research coordinator · {site}</span>"
        )));
        assert_eq!(page(&crc, &users).await.0, StatusCode::FORBIDDEN);
        // The study's accounts only: one whose roles are all in another study is not listed;
        // one with no role anywhere yet is (it waits for its first role).
        let other = trial::Study::from_toml(PHASE1).unwrap();
        app.store
            .load_study(&other, PHASE1, &store::Actor::system())
            .await
            .unwrap();
        for (name, role) in [("elsewhere", Some(Role::Monitor)), ("unplaced", None)] {
            let u = app
                .store
                .create_user(
                    &store::NewUser {
                        username: name.into(),
                        full_name: format!("Dr {name}"),
                        password_hash: "not used".into(),
                        language: "en".into(),
                    },
                    &store::Actor::system(),
                )
                .await
                .unwrap();
            if let Some(role) = role {
                app.store
                    .assign_role(
                        &store::RoleAssignment {
                            user_id: u.id,
                            study_id: other.id.clone(),
                            role,
                            site_id: None,
                        },
                        &store::Actor::system(),
                    )
                    .await
                    .unwrap();
            }
        }
        let (_, body) = page(&admin, &users).await;
        assert!(
            !body.contains("data-user=\"elsewhere\""),
            "another study's account is listed"
        );
        assert!(
            body.contains("data-user=\"unplaced\""),
            "an account without a role is not listed"
        );
        assert!(body.contains("data-user=\"crcb\""));

        // A new account with its e-mail; a wrong address is named.
        let new = json!({ "username": "nurse", "full_name": "Wang Fang",
            "password": "a long enough password", "email": "wang@example.org" });
        let (status, e) = admin
            .post(
                "/api/users",
                &json!({ "username": "nurse2", "full_name": "X",
                "password": "a long enough password", "email": "not an address" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["fields"][0]["field"], "email");
        let (status, user) = admin.post("/api/users", &new).await;
        assert_eq!(status, StatusCode::CREATED, "{user}");
        let id = user["id"].as_i64().unwrap();
        let (status, _) = admin
            .post(
                &format!("/api/users/{id}/roles"),
                &json!({ "study": sid, "role": "crc", "site": site }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let (_, body) = page(&admin, &users).await;
        assert!(body.contains("data-user=\"nurse\""));
        assert!(body.contains("value=\"wang@example.org\""), "{body}");
        // The address is changed (a wrong one named), and changed back.
        let email = format!("/api/users/{id}/email");
        let (status, e) = admin.post(&email, &json!({ "email": "nope" })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["fields"][0]["field"], "email");
        assert_eq!(
            crc.post(&email, &json!({ "email": "a@b.org" })).await.0,
            StatusCode::FORBIDDEN
        );
        let (status, e) = admin
            .post(&email, &json!({ "email": "fang@example.org" }))
            .await;
        assert_eq!(status, StatusCode::OK, "{e}");
        let (_, body) = page(&admin, &users).await;
        assert!(body.contains("value=\"fang@example.org\""));
        admin
            .post(&email, &json!({ "email": "wang@example.org" }))
            .await;
        assert!(body.contains(&format!("data-post=\"/api/users/{id}/roles/removal\"")));

        // The owner changes the password: the current one is re-entered; other sessions end.
        let phone = browser();
        assert_eq!(
            try_login(&app, &phone, "nurse", "a long enough password").await,
            StatusCode::OK
        );
        let tablet = browser();
        assert_eq!(
            try_login(&app, &tablet, "nurse", "a long enough password").await,
            StatusCode::OK
        );
        let csrf = |r: Value| r["csrf_token"].as_str().unwrap().to_string();
        let me: Value = phone
            .get(format!("{}/api/me", app.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let nurse = Client {
            http: phone.clone(),
            base: app.base.clone(),
            csrf: csrf(me),
        };
        let (status, e) = nurse
            .post(
                "/api/me/password",
                &json!({ "current_password": "wrong",
                "new_password": "another long password" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["fields"][0]["field"], "current_password");
        let (status, e) = nurse
            .post(
                "/api/me/password",
                &json!({ "current_password": "a long enough password",
                "new_password": "another long password" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{e}");
        assert_eq!(
            nurse.get("/api/me").await.0,
            StatusCode::OK,
            "this session stays"
        );
        let r = tablet
            .get(format!("{}/api/me", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::UNAUTHORIZED,
            "the other session ended"
        );
        assert_eq!(
            try_login(&app, &browser(), "nurse", "a long enough password").await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(page(&nurse, "/account").await.0, StatusCode::OK);

        // A reset by e-mail: the same answer for anyone; the link works once.
        let public = browser();
        for username in ["nobody", "nurse"] {
            let r = public
                .post(format!("{}/api/password-reset", app.base))
                .json(&json!({ "username": username }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::ACCEPTED);
        }
        let outbox = app.store.account_outbox().await.unwrap();
        assert_eq!(outbox.len(), 1, "only the real account gets mail");
        // Asking again and again is limited as failed logins are (per name here).
        let mut statuses = Vec::new();
        for _ in 0..12 {
            let r = public
                .post(format!("{}/api/password-reset", app.base))
                .json(&json!({ "username": "crcb" }))
                .send()
                .await
                .unwrap();
            statuses.push(r.status());
        }
        assert_eq!(statuses[0], StatusCode::ACCEPTED);
        assert_eq!(statuses[11], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
        let mail = &outbox[0];
        assert_eq!(mail.recipient, "wang@example.org");
        let token = mail
            .body
            .split("token=")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_string();
        let (status, body) = {
            let r = public
                .get(format!("{}/password-reset/confirm?token={token}", app.base))
                .send()
                .await
                .unwrap();
            (r.status(), r.text().await.unwrap())
        };
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains(&format!("value=\"{token}\"")));
        let confirm = |t: String| {
            let public = public.clone();
            let base = app.base.clone();
            async move {
                public
                    .post(format!("{base}/api/password-reset/confirm"))
                    .json(&json!({ "token": t, "new_password": "a reset long password" }))
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        };
        assert_eq!(confirm(token.clone()).await, StatusCode::OK);
        assert_eq!(
            nurse.get("/api/me").await.0,
            StatusCode::UNAUTHORIZED,
            "sessions end"
        );
        assert_eq!(
            try_login(&app, &browser(), "nurse", "a reset long password").await,
            StatusCode::OK
        );
        assert_eq!(
            confirm(token).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "once only"
        );

        // Deactivated: the sessions end and sign-in is refused; reactivated, it works again.
        let session = browser();
        assert_eq!(
            try_login(&app, &session, "nurse", "a reset long password").await,
            StatusCode::OK
        );
        let (status, e) = admin
            .post(
                &format!("/api/users/{id}/state"),
                &json!({ "active": false, "reason": "left" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{e}");
        let r = session
            .get(format!("{}/api/me", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            try_login(&app, &browser(), "nurse", "a reset long password").await,
            StatusCode::UNAUTHORIZED
        );
        let (_, body) = page(&admin, &users).await;
        assert!(body.contains("data-active=\"false\""));
        admin
            .post(
                &format!("/api/users/{id}/state"),
                &json!({ "active": true, "reason": "back" }),
            )
            .await;
        assert_eq!(
            try_login(&app, &browser(), "nurse", "a reset long password").await,
            StatusCode::OK
        );
        let _ = PASSWORD;
    }
}

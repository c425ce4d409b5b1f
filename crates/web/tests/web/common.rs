//! What the web tests share: the study definitions, fresh databases that name themselves when a
//! test fails on them, the real server on port 0 over a store with people seeded, and a client
//! signed in through the API (session cookie and CSRF token).

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{json, Value};
use store::{Actor, NewUser, RoleAssignment};
use trial::Role;

pub const PHASE1: &str = include_str!("../../../../studies/xs228-phase1.toml");
pub const PHASE2: &str = include_str!("../../../../studies/xs228-phase2.toml");

/// Everyone's password.
pub const PASSWORD: &str = "a good password";

/// Someone of a test: username, role, and the index of the study's site for site roles.
pub type Person = (&'static str, Role, Option<usize>);

pub use store::testing::Databases;

/// A fresh SQLite file and, from `TEST_DATABASE_URL`, a fresh PostgreSQL database, one at a
/// time, each naming itself when a test fails on it (see `store::testing::databases`).
pub async fn databases(prefix: &str) -> Databases {
    store::testing::databases(prefix).await.unwrap()
}

/// The real server on port 0, and what a test needs of it.
pub struct TestApp {
    pub base: String,
    pub store: Arc<store::Store>,
    pub study: trial::Study,
    pub url: String,
}

/// The printed name of most test users: `Test {username}`.
pub fn plain_name(username: &str) -> String {
    format!("Test {username}")
}

/// Starts the real server on port 0 over the store at `url`, with the study `definition` and
/// each of `people` (whose site the study has) signed up with [`PASSWORD`] under the printed
/// name `full_name(username)`, in their role.
pub async fn spawn_with(
    url: &str,
    definition: &str,
    people: &[Person],
    full_name: fn(&str) -> String,
) -> TestApp {
    let sql = Arc::new(store::open(url).await.unwrap());
    let app = web::App::new(sql.clone(), &[definition.to_string()], false)
        .await
        .unwrap();
    let study = app.studies.values().next().unwrap().clone();
    let hash = store::password::hash(PASSWORD);
    for (name, role, site) in people {
        if site.is_some_and(|i| i >= study.sites.len()) {
            continue;
        }
        let user = sql
            .create_user(
                &NewUser {
                    username: name.to_string(),
                    full_name: full_name(name),
                    password_hash: hash.clone(),
                    language: "en".into(),
                },
                &Actor::system(),
            )
            .await
            .unwrap();
        sql.assign_role(
            &RoleAssignment {
                user_id: user.id,
                study_id: study.id.clone(),
                role: *role,
                site_id: site.map(|i| study.sites[i].id.clone()),
            },
            &Actor::system(),
        )
        .await
        .unwrap();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(web::serve(listener, app));
    TestApp {
        base,
        store: sql,
        study,
        url: url.to_string(),
    }
}

/// A signed-in client.
#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub csrf: String,
}

impl Client {
    /// A GET (`method` "get") or a POST of `body` with the CSRF token: the status and the text.
    pub async fn text(&self, method: &str, path: &str, body: &Value) -> (StatusCode, String) {
        let url = format!("{}{path}", self.base);
        let request = if method == "get" {
            self.http.get(url)
        } else {
            self.http
                .post(url)
                .header("x-csrf-token", &self.csrf)
                .json(body)
        };
        let r = request.send().await.unwrap();
        (r.status(), r.text().await.unwrap())
    }

    /// The status and the JSON answer (null when it is not JSON).
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let (s, t) = self.text("get", path, &Value::Null).await;
        (s, serde_json::from_str(&t).unwrap_or(Value::Null))
    }

    /// The status and the JSON answer (null when it is not JSON).
    pub async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        let (s, t) = self.text("post", path, body).await;
        (s, serde_json::from_str(&t).unwrap_or(Value::Null))
    }
}

/// Signs in as `username` on `http` through the API (asserting that it is accepted): the
/// session's CSRF token, and the `set-cookie` header of the answer.
pub async fn sign_in(
    http: &reqwest::Client,
    base: &str,
    username: &str,
) -> (String, Option<String>) {
    let r = http
        .post(format!("{base}/api/login"))
        .json(&json!({ "username": username, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "login {username}");
    let cookie = r
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap_or_default().to_string());
    let me: Value = r.json().await.unwrap();
    (me["csrf_token"].as_str().unwrap().to_string(), cookie)
}

/// A client signed in as `username`, and the session cookie the server set.
pub async fn login_with_cookie(app: &TestApp, username: &str) -> (Client, Option<String>) {
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let (csrf, cookie) = sign_in(&http, &app.base, username).await;
    let client = Client {
        http,
        base: app.base.clone(),
        csrf,
    };
    (client, cookie)
}

/// A client signed in as `username`.
pub async fn login(app: &TestApp, username: &str) -> Client {
    login_with_cookie(app, username).await.0
}

/// Generates the randomisation list of a randomised study, as enrolment needs (a fixed seed).
pub async fn with_list(app: TestApp) -> TestApp {
    if app.study.randomisation.is_some() {
        app.store
            .generate_randomisation(
                &app.study,
                &store::ListRequest::new(7, 12, 40),
                &Actor::system(),
            )
            .await
            .unwrap();
    }
    app
}

/// The demos seeded once per test run (see [`demo_databases`]).
static DEMOS: store::testing::Templates = store::testing::Templates::new();

/// Which studies a demo database holds: the Phase II study alone, or with the Phase I study and
/// its escalation.
#[derive(Clone, Copy, Debug)]
pub enum Demo {
    Phase2,
    BothStudies,
}

impl Demo {
    /// The definitions its server runs.
    pub fn definitions(self) -> Vec<String> {
        match self {
            Demo::Phase2 => vec![PHASE2.to_string()],
            Demo::BothStudies => vec![PHASE2.to_string(), PHASE1.to_string()],
        }
    }

    /// Seeds the demo as of `today` into the database at `url`, as `scitrial serve --demo` does.
    async fn seed(self, url: String, today: time::Date) -> Result<(), String> {
        let sql = Arc::new(store::open(&url).await.map_err(|e| e.to_string())?);
        let app = web::App::new(sql, &self.definitions(), false)
            .await
            .map_err(|e| e.to_string())?;
        let accounts = web::demo::seed(&app, "XS228-P2", today).await?;
        if let Demo::BothStudies = self {
            web::demo::seed_escalation(&app, "XS228-P1", &accounts, today).await?;
        }
        Ok(())
    }

    fn key(self, today: time::Date) -> String {
        format!("{self:?} {today}")
    }
}

/// A SQLite file and, from `TEST_DATABASE_URL`, a PostgreSQL database, each a test's own copy
/// of the demo as of `today`: the demo is seeded once per test run and database kind, and
/// copied for each test (SQLite's `VACUUM INTO`, PostgreSQL's `CREATE DATABASE … TEMPLATE`).
/// `web::demo::seed` and `seed_escalation` on a copy find it seeded and only return the
/// accounts.
pub async fn demo_databases(prefix: &str, demo: Demo, today: time::Date) -> Databases {
    DEMOS
        .databases(&demo.key(today), prefix, |url| demo.seed(url, today))
        .await
        .unwrap()
}

/// The server's app with both demo studies over a test's copy of the demo at `url` (see
/// [`demo_databases`]), the store under it, and the demo's accounts (the seeding finds the copy
/// seeded and only returns them).
pub async fn demo_app(
    url: &str,
    today: time::Date,
) -> (Arc<store::Store>, web::App, Vec<web::demo::DemoUser>) {
    let sql = Arc::new(store::open(url).await.unwrap());
    let app = web::App::new(sql.clone(), &Demo::BothStudies.definitions(), false)
        .await
        .unwrap();
    let accounts = web::demo::seed(&app, "XS228-P2", today).await.unwrap();
    web::demo::seed_escalation(&app, "XS228-P1", &accounts, today)
        .await
        .unwrap();
    (sql, app, accounts)
}

/// The URL of a test's own SQLite copy of the demo as of `today` (see [`demo_databases`]).
pub async fn demo_sqlite(prefix: &str, demo: Demo, today: time::Date) -> String {
    DEMOS
        .sqlite(&demo.key(today), prefix, &|url| demo.seed(url, today))
        .await
        .unwrap()
}

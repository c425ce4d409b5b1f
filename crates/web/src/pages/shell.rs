//! The shell of every page: the [`Viewer`] extractor (the API's `CurrentUser`; signed out →
//! 303 to `/login?next=…`), the page context [`Ctx`] (language, CSRF token for the page script),
//! rendering with the security headers (CSP `script-src 'self'`, `no-store`, no framing), error
//! pages, the static files under `/static/{content hash}/{name}`, the language cookies, and the
//! home redirect and login form (against login CSRF: the form's double-submit token, or, without
//! one, a request that no browser marks as coming from another site; then `auth::sign_in`).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, RETRY_AFTER, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use store::Participant;

use super::i18n::{self, Lang, Texts};
use super::labels::Labels;
use super::when;
use crate::access::Operation;
use crate::app::AppState;
use crate::auth::{self, cookie, CurrentUser, LOGIN_BODY_LIMIT};
use crate::error::ApiError;
use crate::throttle::Client;

/// The cookie that keeps the chosen language.
pub const LANG_COOKIE: &str = "scitrial_lang";
/// The cookie of the login form's double-submit token.
pub const LOGIN_COOKIE: &str = "scitrial_login";

/// The routes of the shell: home, login form, language, static files.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route(
            "/login",
            get(login_page)
                .post(login_submit)
                .layer(DefaultBodyLimit::max(LOGIN_BODY_LIMIT)),
        )
        .route("/language/{code}", get(language))
        .route("/dashboard", get(home))
        .route("/static/{version}/{name}", get(asset))
        .route("/favicon.ico", get(favicon))
}

// ---------------------------------------------------------------------------------------------
// Static files

/// (name, content, media type) of the embedded static files.
const STATIC: &[(&str, &str, &str)] = &[
    (
        "app.css",
        include_str!("../../static/app.css"),
        "text/css; charset=utf-8",
    ),
    (
        "app.js",
        include_str!("../../static/app.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "worksheet.js",
        include_str!("../../static/worksheet.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "ecrf.js",
        include_str!("../../static/ecrf.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "account.js",
        include_str!("../../static/account.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "adverse_event.js",
        include_str!("../../static/adverse_event.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "favicon.svg",
        include_str!("../../static/favicon.svg"),
        "image/svg+xml",
    ),
    (
        "journey.js",
        include_str!("../../static/journey.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "labs.js",
        include_str!("../../static/labs.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "product.js",
        include_str!("../../static/product.js"),
        "text/javascript; charset=utf-8",
    ),
];

/// The content hash of each static file, which keys its URL, so it can be cached for a year.
fn versions() -> &'static BTreeMap<&'static str, String> {
    static V: OnceLock<BTreeMap<&'static str, String>> = OnceLock::new();
    V.get_or_init(|| {
        STATIC
            .iter()
            .map(|(name, body, _)| (*name, hex::encode(&Sha256::digest(body.as_bytes())[..6])))
            .collect()
    })
}

/// The URL of a static file: `/static/{hash}/{name}`.
pub fn asset_url(name: &str) -> String {
    let version = versions().get(name).map_or("0", String::as_str);
    format!("/static/{version}/{name}")
}

async fn asset(Path((version, name)): Path<(String, String)>) -> Response {
    match STATIC.iter().find(|(n, _, _)| *n == name) {
        Some((name, body, mime)) if versions().get(name) == Some(&version) => (
            [
                (CONTENT_TYPE, *mime),
                (CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            *body,
        )
            .into_response(),
        _ => (StatusCode::NOT_FOUND, "no such file\n").into_response(),
    }
}

/// `/favicon.ico`, which browsers ask for whatever a page links: the icon every page links
/// (an SVG), cached for a day.
async fn favicon() -> Response {
    (
        [
            (CONTENT_TYPE, "image/svg+xml"),
            (CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("../../static/favicon.svg"),
    )
        .into_response()
}

// ---------------------------------------------------------------------------------------------
// The page context

/// What every page needs: the language, the user, the token for the page script.
pub struct Ctx {
    /// The messages in the page's language.
    pub t: Texts,
    /// The signed-in user's printed name.
    pub user_name: Option<String>,
    /// The session's CSRF token, for the page script's API calls.
    pub csrf: String,
    /// The study of the navigation links.
    pub study: Option<String>,
    /// This page's path and query, for the language links and re-login.
    pub path: String,
    /// The `js.*` messages as JSON.
    pub script_messages: String,
    /// Seconds of inactivity after which the session ends.
    pub idle_seconds: i64,
    /// Whether the user is told the study's notifications (a navigation link).
    pub notifications: bool,
    /// Whether the user sees the study's safety reporting clocks (a navigation link).
    pub safety: bool,
    /// Whether the user sees the study's safety tables and DSMB decisions (a navigation link).
    pub dsmb: bool,
    /// The user's other studies, by id (the study switcher).
    pub other_studies: Vec<String>,
    /// Whether the user may read the study's audit trail (a navigation link).
    pub audit: bool,
    /// Whether the user manages the study's accounts (a navigation link).
    pub admin: bool,
    /// Whether the user sees the cell product's pages (a navigation link).
    pub product: bool,
    /// Whether the user may read the database lock page (a navigation link).
    pub lock: bool,
    /// Whether the user may read the report of the analyses (a navigation link).
    pub results: bool,
    /// The loaded studies, for the names of visits, forms and fields and the sites' time
    /// zones (none on a signed-out page).
    pub app: Option<AppState>,
}

impl Ctx {
    /// The context of a page for someone signed out.
    pub fn new(lang: Lang, path: &str) -> Ctx {
        Ctx {
            t: Texts(lang),
            user_name: None,
            csrf: String::new(),
            study: None,
            notifications: false,
            safety: false,
            dsmb: false,
            other_studies: Vec::new(),
            audit: false,
            admin: false,
            product: false,
            lock: false,
            results: false,
            app: None,
            path: path.to_string(),
            script_messages: i18n::script_messages(lang),
            idle_seconds: auth::IDLE.whole_seconds(),
        }
    }

    /// The URL of a static file.
    pub fn asset(&self, name: &str) -> String {
        asset_url(name)
    }

    /// A status in words (`status.overdue`).
    pub fn status<S: AsRef<str> + ?Sized>(&self, status: &S) -> String {
        let status = status.as_ref();
        i18n::text(self.t.0, &format!("status.{status}"))
            .unwrap_or(status)
            .to_string()
    }

    /// A word of a closed list in the page's language: `word("pr.lot_state", "released")` is
    /// the message `pr.lot_state.released`, or the value itself when the table lacks it.
    pub fn word<S: AsRef<str> + ?Sized>(&self, list: &str, value: &S) -> String {
        let value = value.as_ref();
        i18n::text(self.t.0, &format!("{list}.{value}"))
            .unwrap_or(value)
            .to_string()
    }

    /// A sentence of the rules (a stopping rule's firing, a notification) in the page's
    /// language, when the catalogue of [`super::i18n_errors`] knows it; as written otherwise.
    pub fn sentence<S: AsRef<str> + ?Sized>(&self, text: &S) -> String {
        let text = text.as_ref();
        match self.t.0 {
            Lang::Zh => super::i18n_errors::to_chinese(text).unwrap_or_else(|| text.to_string()),
            Lang::En => text.to_string(),
        }
    }

    /// A sex in words.
    pub fn sex(&self, sex: &str) -> String {
        i18n::text(self.t.0, &format!("sex.{sex}"))
            .unwrap_or(sex)
            .to_string()
    }

    /// An anorectal answer in words (`Yes`, `No`, `NT`).
    pub fn anal(&self, value: &str) -> String {
        i18n::text(self.t.0, &format!("ws.anal.{value}"))
            .unwrap_or(value)
            .to_string()
    }

    /// The study definition of the page's study, if any.
    fn study_def(&self) -> Option<&trial::Study> {
        let app = self.app.as_ref()?;
        app.studies.get(self.study.as_deref()?)
    }

    /// The names of the page's study's visits, forms and fields ([`labels::Labels`]).
    pub fn labels(&self) -> Option<Labels<'_>> {
        self.study_def().map(|study| Labels { study, t: self.t })
    }

    /// A visit's name (its id when the study does not know it).
    pub fn visit_name(&self, id: &str) -> String {
        self.labels()
            .map_or_else(|| id.to_string(), |l| l.visit(id))
    }

    /// A form's name.
    pub fn form_name(&self, id: &str) -> String {
        self.labels().map_or_else(|| id.to_string(), |l| l.form(id))
    }

    /// A field of a form, by name.
    pub fn field_name(&self, form: &str, field: &str) -> String {
        self.labels()
            .map_or_else(|| field.to_string(), |l| l.field(form, field))
    }

    /// Where a query sits, by name: `Week 2 · Vital signs · Systolic blood pressure`.
    pub fn place(&self, visit: &str, form: &str, field: &str) -> String {
        self.labels().map_or_else(
            || format!("{visit} · {form} · {field}"),
            |l| l.place(visit, form, field),
        )
    }

    /// The time zone of the page's study (its first site's; UTC without one).
    pub fn zone(&self) -> String {
        self.study_def().map_or("UTC", when::study_zone).to_string()
    }

    /// An instant in the zone of the page's study, as a `<time>` element (HTML; escaped).
    pub fn at(&self, instant: &str) -> String {
        when::instant_html(instant, &self.zone())
    }

    /// An instant in the zone of a site of the page's study, as a `<time>` element.
    pub fn at_site(&self, instant: &str, site: &str) -> String {
        let zone = self
            .study_def()
            .map_or("UTC", |s| when::site_zone(s, site))
            .to_string();
        when::instant_html(instant, &zone)
    }

    /// A text with the instants in it shown in the zone of the page's study (plain text, to be
    /// escaped by the template).
    pub fn times_in(&self, text: &str) -> String {
        when::instants_in(text, &self.zone())
    }

    /// A text with the instants in it shown in a named zone (plain text).
    pub fn times_in_zone(&self, text: &str, zone: &str) -> String {
        when::instants_in(text, zone)
    }

    /// An instant in a named zone, as a `<time>` element.
    pub fn at_in(&self, instant: &str, zone: &str) -> String {
        when::instant_html(instant, zone)
    }

    /// This page in another language.
    pub fn language_link(&self, code: &str) -> String {
        format!("/language/{code}?next={}", encode(&self.path))
    }
}

/// Percent-encodes a query value.
pub fn encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The cookie of one user's language on this device, so that people sharing a tablet each keep
/// their own.
fn user_lang_cookie(user_id: i64) -> String {
    format!("{LANG_COOKIE}_u{user_id}")
}

fn cookie_lang(headers: &HeaderMap) -> Option<Lang> {
    cookie(headers, LANG_COOKIE).and_then(|c| Lang::parse(&c))
}

/// A local path to go to after signing in or switching language; anything else is `/`.
fn local_path(next: Option<&str>) -> String {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.to_string(),
        _ => "/".to_string(),
    }
}

/// The signed-in user of a page, in their language; a page asked for while signed out
/// redirects to the login, which comes back here.
pub struct Viewer {
    /// The user.
    pub me: CurrentUser,
    /// The page's language.
    pub lang: Lang,
    /// The page's path and query.
    pub path: String,
    /// The application (the loaded studies).
    pub app: AppState,
}

impl Viewer {
    /// The page context, with the study of the navigation.
    pub fn ctx(&self, study: Option<&str>) -> Ctx {
        let mut ctx = Ctx::new(self.lang, &self.path);
        ctx.app = Some(self.app.clone());
        ctx.user_name = Some(self.me.user.full_name.clone());
        ctx.csrf = self.me.csrf_token.clone();
        ctx.study = study.map(str::to_string).or_else(|| {
            let mut studies: Vec<&str> =
                self.me.roles.iter().map(|r| r.study_id.as_str()).collect();
            studies.sort();
            studies.first().map(|s| s.to_string())
        });
        let holds = |op: Operation| {
            self.me
                .roles
                .iter()
                .any(|r| Some(&r.study_id) == ctx.study.as_ref() && op.roles().contains(&r.role))
        };
        ctx.notifications = holds(Operation::ReadNotifications);
        ctx.safety = holds(Operation::ReadSafetyClocks);
        ctx.dsmb = holds(Operation::ReadSafetyTables);
        ctx.audit = holds(Operation::ReadAudit);
        ctx.admin = holds(Operation::ManageUsers);
        ctx.product = holds(Operation::ReadProduct);
        ctx.lock = holds(Operation::ReadLock);
        ctx.results = holds(Operation::ReadResults);
        let mut others: Vec<String> = self
            .me
            .roles
            .iter()
            .map(|r| r.study_id.clone())
            .filter(|s| Some(s) != ctx.study.as_ref())
            .collect();
        others.sort();
        others.dedup();
        ctx.other_studies = others;
        ctx
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Viewer, Response> {
        let path = parts
            .uri
            .path_and_query()
            .map_or("/".to_string(), |p| p.as_str().to_string());
        let chosen = cookie_lang(&parts.headers);
        match CurrentUser::from_request_parts(parts, state).await {
            Ok(me) => {
                // The user's own choice on this device, then the device's last choice (the
                // login page's), then the account's language.
                let lang = cookie(&parts.headers, &user_lang_cookie(me.user.id))
                    .and_then(|c| Lang::parse(&c))
                    .or(chosen)
                    .or_else(|| Lang::parse(&me.user.language))
                    .unwrap_or(Lang::En);
                Ok(Viewer {
                    me,
                    lang,
                    path,
                    app: state.clone(),
                })
            }
            Err(ApiError::Unauthorized(message)) => {
                let expired = if message.contains("idle") {
                    "&expired=1"
                } else {
                    ""
                };
                Err(redirect(&format!("/login?next={}{expired}", encode(&path))))
            }
            Err(e) => Err(error_page(chosen.unwrap_or(Lang::En), e)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Responses

/// A rendered page with the headers every page carries: no caching of clinical data, a
/// content security policy that allows only our own scripts and styles, no framing.
pub fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        ("content-type", "text/html; charset=utf-8"),
        ("cache-control", "no-store"),
        (
            "content-security-policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// Renders a template as a page, or an error page if rendering fails.
pub fn render<T: Template>(lang: Lang, template: &T) -> Response {
    match template.render() {
        Ok(body) => html(StatusCode::OK, body),
        Err(e) => error_page(lang, ApiError::Internal(e.to_string())),
    }
}

/// A 303 redirect.
pub fn redirect(to: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(to) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    ctx: Ctx,
    status: u16,
    message: String,
}

/// An error as a page, with the status the API would give.
pub fn error_page(lang: Lang, error: ApiError) -> Response {
    let status = error.status();
    if let ApiError::Internal(detail) = &error {
        tracing::error!(%detail, "internal error");
    }
    let page = ErrorPage {
        ctx: Ctx::new(lang, "/"),
        status: status.as_u16(),
        message: error.to_string(),
    };
    match page.render() {
        Ok(body) => html(status, body),
        Err(_) => (status, error.to_string()).into_response(),
    }
}

// ---------------------------------------------------------------------------------------------
// Home, login, language

/// `GET /`: the user's work in their study (`super::landing`), the list of their studies when
/// they have several, the calculator when none.
async fn home(viewer: Viewer) -> Response {
    let ctx = viewer.ctx(None);
    match (ctx.study, ctx.other_studies.is_empty()) {
        (Some(study), true) => {
            let roles: Vec<trial::Role> = viewer
                .me
                .roles
                .iter()
                .filter(|r| r.study_id == study)
                .map(|r| r.role)
                .collect();
            redirect(&super::landing::landing(&roles).path(&study))
        }
        (Some(_), false) => redirect("/studies"),
        (None, _) => redirect("/isncsci"),
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    ctx: Ctx,
    next: String,
    token: String,
    error: Option<String>,
    expired: bool,
    username: String,
}

/// The query of the login page.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    expired: Option<String>,
}

fn random_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn login_form(
    lang: Lang,
    status: StatusCode,
    next: String,
    error: Option<String>,
    expired: bool,
    username: String,
) -> Response {
    let token = random_token();
    let page = LoginPage {
        ctx: Ctx::new(lang, &format!("/login?next={}", encode(&next))),
        next,
        token: token.clone(),
        error,
        expired,
        username,
    };
    let mut response = match page.render() {
        Ok(body) => html(status, body),
        Err(e) => return error_page(lang, ApiError::Internal(e.to_string())),
    };
    let cookie = format!("{LOGIN_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

async fn login_page(headers: HeaderMap, Query(q): Query<LoginQuery>) -> Response {
    let lang = cookie_lang(&headers).unwrap_or(Lang::En);
    login_form(
        lang,
        StatusCode::OK,
        local_path(q.next.as_deref()),
        None,
        q.expired.is_some(),
        String::new(),
    )
}

/// The login form's fields.
#[derive(Debug, Deserialize)]
pub struct LoginFields {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    token: String,
}

/// Whether a login form submission may be acted on (against login CSRF, where another site
/// signs the victim's browser into the attacker's account): the form's token must match its
/// cookie; a submission without a token is taken only when it does not come from another site
/// (a browser says where a form comes from in `Origin` and `Sec-Fetch-Site`; a program that is
/// not a browser sends neither and is not a CSRF vector).
fn login_allowed(headers: &HeaderMap, token: &str) -> bool {
    if !token.is_empty() {
        return cookie(headers, LOGIN_COOKIE).as_deref() == Some(token);
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let same_origin = match (header("origin"), header("host")) {
        (None, _) => true,
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest == host),
        (Some(_), None) => false,
    };
    let same_site = header("sec-fetch-site").is_none_or(|s| s == "same-origin" || s == "none");
    same_origin && same_site
}

/// `POST /login`: the form, checked against login CSRF, then the API's own login. Every
/// refused login shows the same message; too many failed logins show how long to wait (429,
/// with `Retry-After`); a form too large for any account's name and password is refused (400).
async fn login_submit(
    State(state): State<AppState>,
    client: Client,
    headers: HeaderMap,
    form: Result<Form<LoginFields>, FormRejection>,
) -> Response {
    let lang = cookie_lang(&headers).unwrap_or(Lang::En);
    let texts = Texts(lang);
    let fields = match form {
        Ok(Form(fields)) => fields,
        Err(rejection) => {
            let key = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                "login.too_long"
            } else {
                "login.failed"
            };
            let message = texts.get(key).to_string();
            return login_form(
                lang,
                StatusCode::BAD_REQUEST,
                "/".into(),
                Some(message),
                false,
                String::new(),
            );
        }
    };
    let next = local_path(Some(&fields.next));
    if !login_allowed(&headers, &fields.token) {
        let message = texts.get("login.retry").to_string();
        return login_form(
            lang,
            StatusCode::FORBIDDEN,
            next,
            Some(message),
            false,
            fields.username,
        );
    }
    let login = auth::Login {
        username: fields.username.clone(),
        password: fields.password,
    };
    let (status, message, username) = match auth::sign_in(&state, &client, login).await {
        Ok(response) => {
            let mut out = redirect(&next);
            for value in response.headers().get_all(SET_COOKIE) {
                out.headers_mut().append(SET_COOKIE, value.clone());
            }
            let clear =
                format!("{LOGIN_COOKIE}=; Path=/login; HttpOnly; SameSite=Strict; Max-Age=0");
            if let Ok(value) = HeaderValue::from_str(&clear) {
                out.headers_mut().append(SET_COOKIE, value);
            }
            return out;
        }
        Err(ApiError::Unauthorized(_)) => (
            StatusCode::UNAUTHORIZED,
            texts.get("login.failed").to_string(),
            fields.username,
        ),
        Err(ApiError::Malformed(_)) => (
            StatusCode::BAD_REQUEST,
            texts.get("login.too_long").to_string(),
            String::new(),
        ),
        Err(ApiError::TooManyRequests { retry_after, .. }) => {
            let minutes = (retry_after + 59) / 60;
            let message = texts
                .get("login.throttled")
                .replace("{minutes}", &minutes.to_string());
            let mut page = login_form(
                lang,
                StatusCode::TOO_MANY_REQUESTS,
                next,
                Some(message),
                false,
                fields.username,
            );
            page.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(retry_after));
            return page;
        }
        Err(e) => return error_page(lang, e),
    };
    login_form(lang, status, next, Some(message), false, username)
}

/// Where to go after switching language.
#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// `GET /language/{code}?next=PATH`: keeps the choice in cookies for a year, the signed-in
/// user's own and the device's.
async fn language(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<NextQuery>,
    request: axum::extract::Request,
) -> Response {
    let Some(lang) = Lang::parse(&code) else {
        return error_page(
            Lang::En,
            ApiError::field(
                "language",
                format!("{code:?} is not a language of the pages (allowed: en, zh)"),
            ),
        );
    };
    let mut response = redirect(&local_path(q.next.as_deref()));
    let (mut parts, _) = request.into_parts();
    let mut names = vec![LANG_COOKIE.to_string()];
    if let Ok(me) = CurrentUser::from_request_parts(&mut parts, &state).await {
        names.push(user_lang_cookie(me.user.id));
    }
    for name in names {
        let cookie = format!(
            "{name}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            lang.code()
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    response
}

/// A participant as the pages name them: the subject id with the screening number, or the
/// screening number before enrolment.
pub fn label(p: &Participant) -> String {
    match &p.subject_id {
        Some(s) => format!("{s} ({})", p.screening_number),
        None => p.screening_number.clone(),
    }
}

//! A SUSAR's expedited report for download: the ICH E2B(R3) message and its narrative in
//! English or Chinese. Both carry the actual treatment, so only pharmacovigilance may (and only
//! when every other role they hold in the study is unblinded: `trial::safety::case_shows_arm`);
//! every download is audited by the store on the unblinded chain.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::on;
use serde::Deserialize;
use store::Scope;
use trial::safety::{case_shows_arm, icsr_xml, narrative_html, Authority, Case, Language, Sender};
use trial::Role;

use crate::access::{require, Operation};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::extract::Query;
use crate::openapi::Endpoint;

/// The operations of this part.
pub(crate) const OPERATIONS: &[Endpoint] = &[
    Endpoint::get(
        "/api/studies/{study}/safety/cases/{ae}/e2b",
        "exportE2b",
        "A SUSAR's expedited report as an ICH E2B(R3) ICSR (MCCI_IN200100UV01 batch) for an authority: the version asked, else the latest recorded, else the initial report; pharmacovigilance only, audited",
        |m| on(m, e2b),
    )
    .query::<ReportQuery>()
    .text("application/xml"),
    Endpoint::get(
        "/api/studies/{study}/safety/cases/{ae}/narrative",
        "exportNarrative",
        "The narrative of the same report as an HTML page in English (lang=en) or Simplified Chinese (lang=zh); pharmacovigilance only, audited",
        |m| on(m, narrative),
    )
    .query::<NarrativeQuery>()
    .text("text/html"),
];

/// The sender of the reports the platform makes.
fn sender(study: &str) -> Sender {
    Sender {
        sponsor: format!("Sponsor of {study}"),
        id: "SCITRIAL".into(),
    }
}

/// Which report.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ReportQuery {
    /// The authority (default `fda`).
    #[param(value_type = Option<Authority>)]
    authority: Option<String>,
    /// The report's version to that authority (1: the initial report); the latest by default.
    #[param(minimum = 1)]
    version: Option<i64>,
}

/// Which report, in which language.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct NarrativeQuery {
    /// `en` or `zh` (required).
    #[param(value_type = Option<String>, pattern = "^(en|zh)$")]
    lang: Option<String>,
    /// The authority (default `fda`).
    #[param(value_type = Option<Authority>)]
    authority: Option<String>,
    /// The report's version to that authority (1: the initial report); the latest by default.
    #[param(minimum = 1)]
    version: Option<i64>,
}

/// The case of a path.
#[derive(Debug, Deserialize)]
struct CasePath {
    study: String,
    ae: String,
}

/// Who may export a study's reports: pharmacovigilance, holding no blinded role in the
/// study (the report shows the actual treatment).
fn check_access<'a>(
    state: &'a AppState,
    me: &CurrentUser,
    study: &str,
) -> Result<(Scope, &'a trial::Study), ApiError> {
    let scope: Scope = require(&me.roles, study, Operation::ExportE2b)?;
    let definition = state
        .studies
        .get(study)
        .ok_or_else(|| ApiError::NotFound(format!("study {study} not found")))?;
    let roles: Vec<Role> = me
        .roles
        .iter()
        .filter(|r| r.study_id == study)
        .map(|r| r.role)
        .collect();
    if !case_shows_arm(definition, &roles, true) {
        return Err(ApiError::Forbidden(
            "the report shows the actual treatment: only pharmacovigilance, holding no \
             blinded role in the study, may export it"
                .into(),
        ));
    }
    Ok((scope, definition))
}

/// The report asked for: access first, then the query, then the store (which audits the
/// read).
async fn report(
    state: &AppState,
    me: &CurrentUser,
    path: CasePath,
    authority: Option<&str>,
    version: Option<i64>,
) -> Result<Case, ApiError> {
    let (scope, study) = check_access(state, me, &path.study)?;
    let ae: i64 = path
        .ae
        .parse()
        .map_err(|_| ApiError::NotFound(format!("adverse event {} not found", path.ae)))?;
    let authority = match authority {
        None => Authority::Fda,
        Some(text) => Authority::parse(text).ok_or_else(|| {
            ApiError::field(
                "authority",
                format!("{text:?} is not an authority (allowed: fda, cde)"),
            )
        })?,
    };
    if version.is_some_and(|v| v < 1) {
        return Err(ApiError::field(
            "version",
            "must be 1 (the initial report) or more",
        ));
    }
    let receiver = trial::safety::receiver_id(authority);
    let cases = state
        .store
        .e2b_cases(study, &scope, Some(ae), &sender(&study.id), &me.actor())
        .await?;
    let mut of_authority: Vec<Case> = cases
        .into_iter()
        .filter(|c| c.study.receiver_id == receiver)
        .collect();
    match version {
        None => of_authority
            .pop()
            .ok_or_else(|| ApiError::NotFound("no report of this case".into())),
        Some(v) => of_authority
            .into_iter()
            .find(|c| i64::from(c.report.number) + 1 == v)
            .ok_or_else(|| {
                ApiError::NotFound(format!(
                    "no version {v} of this case's report to {authority}"
                ))
            }),
    }
}

fn download(media_type: &'static str, name: String, body: String) -> Response {
    let disposition = format!("attachment; filename=\"{name}\"");
    (
        [
            (header::CONTENT_TYPE, media_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
}

/// `GET /api/studies/{study}/safety/cases/{ae}/e2b`
async fn e2b(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(path): Path<CasePath>,
    Query(query): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let case = report(&state, &me, path, query.authority.as_deref(), query.version).await?;
    let name = format!("{}.xml", case.file_stem());
    Ok(download(
        "application/xml; charset=utf-8",
        name,
        icsr_xml(&case),
    ))
}

/// `GET /api/studies/{study}/safety/cases/{ae}/narrative?lang=en|zh`
async fn narrative(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(path): Path<CasePath>,
    Query(query): Query<NarrativeQuery>,
) -> Result<Response, ApiError> {
    check_access(&state, &me, &path.study)?;
    let lang = query.lang.as_deref().unwrap_or("");
    let language = Language::parse(lang).ok_or_else(|| {
        ApiError::field(
            "lang",
            format!("{lang:?} is not a language (allowed: en, zh)"),
        )
    })?;
    let case = report(&state, &me, path, query.authority.as_deref(), query.version).await?;
    let name = format!("{}.{}.html", case.file_stem(), language.code());
    Ok(download(
        "text/html; charset=utf-8",
        name,
        narrative_html(&case, language),
    ))
}

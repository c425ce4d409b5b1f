//! The submission files for download (the data manager's exports page): the casebooks as CDISC
//! ODM 1.3.2, each SDTM dataset as a SAS transport file, and their Define-XML 2.1, made by the
//! `export` crate exactly as `scitrial export` makes them and audited the same way (the store
//! audits each export in the write that reads it). A caller gets the treatments only when
//! `trial::lock::results_by_arm` lets them see arms (an unblinded role, or anyone once the study
//! is unblinded after its lock): a blinded caller's file is the blinded one, and says so. Each
//! file is written into a scratch directory and sent from there in chunks ([`download`]).

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::on;
use serde::Deserialize;
use store::Scope;
use trial::Study;

use crate::access::{require, Operation};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::blinding::export_includes_treatments;
use crate::error::ApiError;
use crate::openapi::Endpoint;

/// The operations of this feature.
pub(crate) const OPERATIONS: &[Endpoint] = &[
    Endpoint::get(
        "/api/studies/{study}/exports/odm.xml",
        "exportOdm",
        "The study's metadata and every participant's casebook as one CDISC ODM 1.3.2 file, each value's history with its audit records, and the signatures; treatments only for a caller who sees arms (else the file says it is blinded). Audited as an export",
        |m| on(m, odm),
    )
    .text("application/xml"),
    Endpoint::get(
        "/api/studies/{study}/exports/sdtm/{dataset}",
        "exportSdtm",
        "One SDTM dataset of the study as a SAS transport (XPT v5) file, named by its domain in lower case (dm.xpt, ae.xpt, …); 404 for a domain without records. Arms only for a caller who sees arms. Audited as an export",
        |m| on(m, sdtm),
    )
    .text("application/octet-stream"),
    Endpoint::get(
        "/api/studies/{study}/exports/define.xml",
        "exportDefineXml",
        "The Define-XML 2.1 of the study's SDTM datasets, with Chinese labels beside the English ones; it says whether the export is blinded. Audited as an export",
        |m| on(m, define),
    )
    .text("application/xml"),
];

/// A dataset of a study.
#[derive(Debug, Deserialize)]
struct DatasetPath {
    study: String,
    dataset: String,
}

/// A directory of its own under the system's temporary one, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let nanos = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
        let name = format!("scitrial-export-{}-{nanos}-{n}", std::process::id());
        Scratch(std::env::temp_dir().join(name))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn io(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(format!("writing the export: {e}"))
}

/// The file as the response's body, read a chunk at a time on the blocking pool (one short
/// read each, so a client that stalls holds no thread), so a download holds a chunk or two in
/// memory whatever the file's size. The file is opened before the scratch directory is
/// dropped (and removed): an open file stays readable once unlinked.
fn download(
    media_type: &'static str,
    name: &str,
    path: &std::path::Path,
) -> Result<Response, ApiError> {
    use std::io::Read;
    const CHUNK: usize = 64 * 1024;
    let file = std::fs::File::open(path).map_err(io)?;
    let length = file.metadata().map_err(io)?.len();
    let chunks = futures::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let read = tokio::task::spawn_blocking(move || {
            let mut chunk = vec![0; CHUNK];
            let read = file.read(&mut chunk).map(|n| {
                chunk.truncate(n);
                chunk
            });
            (file, read)
        })
        .await;
        match read {
            Ok((_, Ok(chunk))) if chunk.is_empty() => None,
            Ok((file, Ok(chunk))) => Some((Ok(Bytes::from(chunk)), Some(file))),
            // An error ends the body after it is passed on.
            Ok((_, Err(e))) => Some((Err(e), None)),
            Err(e) => Some((Err(std::io::Error::other(e)), None)),
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, media_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CONTENT_LENGTH, length.to_string()),
        ],
        Body::from_stream(chunks),
    )
        .into_response())
}

/// The study, its scope and whether the caller's export includes treatments.
async fn allowed<'a>(
    state: &'a AppState,
    me: &CurrentUser,
    study: &str,
) -> Result<(&'a Study, Scope, bool), ApiError> {
    let scope = require(&me.roles, study, Operation::ExportSubmission)?;
    let definition = state.study(study)?;
    let unblinded = export_includes_treatments(state, me, definition).await?;
    Ok((definition, scope, unblinded))
}

/// `GET /api/studies/{study}/exports/odm.xml`
async fn odm(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study): Path<String>,
) -> Result<Response, ApiError> {
    let (definition, scope, unblinded) = allowed(&state, &me, &study).await?;
    let dir = Scratch::new();
    std::fs::create_dir_all(&dir.0).map_err(io)?;
    let file = dir.0.join("odm.xml");
    let now = time::OffsetDateTime::now_utc();
    export::odm::export(
        &state.store,
        definition,
        &scope,
        unblinded,
        &me.actor(),
        &file,
        now,
    )
    .await
    .map_err(|e| match e {
        export::odm::OdmError::Store(e) => ApiError::from(e),
        other => io(other),
    })?;
    download("application/xml", &format!("{study}-odm.xml"), &file)
}

/// The study's SDTM files written into a scratch directory, as `scitrial export sdtm` writes
/// them (audited by the store).
async fn sdtm_files(state: &AppState, me: &CurrentUser, study: &str) -> Result<Scratch, ApiError> {
    let (definition, scope, unblinded) = allowed(state, me, study).await?;
    let dir = Scratch::new();
    let now = time::OffsetDateTime::now_utc();
    export::sdtm::export(
        &state.store,
        definition,
        &scope,
        unblinded,
        &me.actor(),
        &dir.0,
        now,
    )
    .await
    .map_err(|e| match e {
        export::sdtm::SdtmError::Store(e) => ApiError::from(e),
        export::sdtm::SdtmError::Invalid(p) => ApiError::field("dataset", p.to_string()),
        other => io(other),
    })?;
    Ok(dir)
}

/// `GET /api/studies/{study}/exports/sdtm/{dataset}`
async fn sdtm(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(DatasetPath { study, dataset }): Path<DatasetPath>,
) -> Result<Response, ApiError> {
    require(&me.roles, &study, Operation::ExportSubmission)?;
    let files: Vec<String> = export::sdtm::DOMAINS
        .iter()
        .map(|d| format!("{}.xpt", d.to_lowercase()))
        .collect();
    if !files.contains(&dataset) {
        return Err(ApiError::NotFound(format!(
            "no SDTM dataset {dataset:?} (the datasets: {})",
            files.join(", ")
        )));
    }
    let dir = sdtm_files(&state, &me, &study).await?;
    let path = dir.0.join(&dataset);
    if !path.exists() {
        return Err(ApiError::NotFound(format!(
            "{dataset}: the domain has no records in this study, so the export leaves it out"
        )));
    }
    download("application/octet-stream", &dataset, &path)
}

/// `GET /api/studies/{study}/exports/define.xml`
async fn define(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(study): Path<String>,
) -> Result<Response, ApiError> {
    let dir = sdtm_files(&state, &me, &study).await?;
    let path = dir.0.join(export::sdtm::DEFINE_FILE);
    download("application/xml", export::sdtm::DEFINE_FILE, &path)
}

//! SDTM datasets from what the store holds, as SAS transport files (one per domain, named by
//! the domain in lower case: `dm.xpt`, `ae.xpt`, …).
//!
//! | domain | from |
//! |---|---|
//! | DM | each enrolled participant (USUBJID = STUDYID-SUBJID; ARM, ACTARM only unblinded) |
//! | AE | adverse events |
//! | EX | the doses given at the bedside (the product's administrations; the product named only unblinded) |
//! | DS | consent, and the end of participation (completed or withdrawn, with its reason) |
//! | SV | the visits that took place |
//! | CM | the concomitant-medication forms |
//! | VS | the vital-signs forms, one record per numeric field |
//! | QS | the SCIM III forms (19 items, 3 subscales, total) and WISCI II forms |
//! | NV | the ISNCSCI forms: each of the 136 exam values and the 25 classification results |
//! | TS, TA, TE, TV, TI | the study definition |
//!
//! Dates are ISO 8601 as stored (an adverse event's partial dates stay partial); `--DY`
//! counts from RFSTDTC, day 1 of the schedule (the first dose), with no day 0; EPOCH is
//! SCREENING before day 1, TREATMENT to the last dose, FOLLOW-UP after; VISITNUM is the
//! visit's place in the study's schedule and VISIT its name; `--SEQ` counts each subject's
//! records from 1. A domain without records is left out.
//!
//! The mapping ([`datasets`]) is pure: rows from the typed records of
//! [`store::SubmissionData`]. [`export`] reads them through the store a batch of participants
//! at a time ([`stream`]), maps each batch and keeps its rows in scratch files, so that its
//! memory stays flat whatever the study's size; the store audits the export in the same
//! transaction as the reads, and the files are written from the scratch files at the end,
//! byte for byte those [`write_files`] writes of the whole study's [`datasets`].

pub(crate) mod codes;
mod define;
pub(crate) mod define_zh;
mod design;
mod events;
mod exposure;
mod findings;
mod profile;
mod stream;
mod subject;
mod table;

use std::path::{Path, PathBuf};

use serde_json::Value as Json;
use store::{Actor, Scope, Store, SubmissionData, SubmittedForm};
use time::OffsetDateTime;
use trial::{Blinding, FormKind, Study, VisitDef};

pub use crate::xpt::Problem;
use crate::xpt::{self, Dataset};
pub use define::{define_xml, DEFINE_FILE};
pub use events::BLINDED_DM_LABEL;
pub use exposure::BLINDED_TREATMENT;
pub use profile::Profile;
pub use stream::BATCH;
use subject::{Context, Subject};

/// What can go wrong in an export.
#[derive(Debug, thiserror::Error)]
pub enum SdtmError {
    /// The store failed.
    #[error("{0}")]
    Store(#[from] store::StoreError),
    /// A value does not fit: the dataset, the variable and the record are named.
    #[error("{0}")]
    Invalid(Problem),
    /// A file could not be written.
    #[error("writing {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl From<Problem> for SdtmError {
    fn from(p: Problem) -> Self {
        SdtmError::Invalid(p)
    }
}

/// A file written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Written {
    /// The domain (`DM`).
    pub domain: String,
    /// Its records.
    pub records: usize,
    /// The file.
    pub path: PathBuf,
}

/// Every domain an export may write, in the order [`datasets`] makes them; each is written as
/// its name in lower case with `.xpt` (a domain without records is left out).
pub const DOMAINS: [&str; 14] = [
    "DM", "AE", "EX", "CM", "DS", "SV", "VS", "QS", "NV", "TA", "TE", "TI", "TS", "TV",
];

/// The datasets of `data`, every one checked against the transport format: a value that does
/// not fit is refused, naming the dataset, the variable and the record. Treatments (ARM,
/// ACTARM) are written only when `data` holds them; DM's label then says so otherwise.
pub fn datasets(study: &Study, data: &SubmissionData) -> Result<Vec<Dataset>, Problem> {
    let cx = Context::new(study, data);
    let mut all = Vec::new();
    subject_datasets(&cx, data, |d| {
        all.push(d);
        Ok::<_, Problem>(())
    })?;
    all.extend(design_datasets(
        study,
        cx.subjects.len(),
        first_consent(&cx),
    ));
    let kept: Vec<Dataset> = all.into_iter().filter(|d| !d.records.is_empty()).collect();
    for d in &kept {
        xpt::check(d)?;
    }
    Ok(kept)
}

/// The subject-level datasets of `data` (DM to NV, in the order of [`DOMAINS`], empty ones
/// too), each handed to `each` as soon as it is made.
fn subject_datasets<E: From<Problem>>(
    cx: &Context<'_>,
    data: &SubmissionData,
    mut each: impl FnMut(Dataset) -> Result<(), E>,
) -> Result<(), E> {
    each(events::dm(cx))?;
    each(events::ae(cx, data)?)?;
    each(exposure::ex(cx, data))?;
    each(events::cm(cx, data))?;
    each(events::ds(cx))?;
    each(events::sv(cx, data))?;
    each(findings::vs(cx, data))?;
    each(findings::qs(cx, data))?;
    each(findings::nv(cx, data))
}

/// The trial design datasets (TA to TV, in the order of [`DOMAINS`]), of a study with
/// `subjects` participants in DM, the first consenting on `first_consent`.
fn design_datasets(study: &Study, subjects: usize, first_consent: Option<&str>) -> Vec<Dataset> {
    vec![
        design::ta(study),
        design::te(study),
        design::ti(study),
        design::ts(study, subjects, first_consent),
        design::tv(study),
    ]
}

/// The earliest consent of the participants in DM.
fn first_consent<'c>(cx: &'c Context<'_>) -> Option<&'c str> {
    cx.subjects
        .values()
        .map(|s| s.participant.consent_date.as_str())
        .min()
}

/// Whether an export includes each participant's treatment: when asked for, and always in an
/// open-label study (where nobody is blinded).
pub fn includes_treatments(study: &Study, unblinded: bool) -> bool {
    unblinded || study.blinding == Blinding::OpenLabel
}

/// Exports the study's SDTM datasets into `dir` (created when missing): reads the data through
/// the store (with treatments when [`includes_treatments`]) [`BATCH`] participants at a time,
/// maps and checks each batch and keeps its records in scratch files in `dir`, and audits the
/// export (blinded or not, each dataset and its record count) in the same transaction as the
/// reads; only then writes the files (each under a temporary name, all renamed at the end).
/// A refused value writes nothing and audits nothing; the scratch files are removed in every
/// case.
pub async fn export(
    store: &Store,
    study: &Study,
    scope: &Scope,
    unblinded: bool,
    by: &Actor,
    dir: &Path,
    created: OffsetDateTime,
) -> Result<Vec<Written>, SdtmError> {
    stream::export(store, study, scope, unblinded, by, dir, created, BATCH).await
}

/// [`export`] `batch` participants at a time (at least one).
#[allow(clippy::too_many_arguments)]
pub async fn export_in_batches(
    store: &Store,
    study: &Study,
    scope: &Scope,
    unblinded: bool,
    by: &Actor,
    dir: &Path,
    created: OffsetDateTime,
    batch: usize,
) -> Result<Vec<Written>, SdtmError> {
    stream::export(store, study, scope, unblinded, by, dir, created, batch).await
}

/// [`export`] as it was first made, the reference the batched export is tested against: the
/// whole study read at once ([`Store::export_submission`]), every dataset mapped and held in
/// memory ([`datasets`]), audited as [`export`] audits, then written by [`write_files`] (each
/// file renamed as it is finished) and `define.xml`. Its memory grows with the study.
pub async fn export_whole(
    store: &Store,
    study: &Study,
    scope: &Scope,
    unblinded: bool,
    by: &Actor,
    dir: &Path,
    created: OffsetDateTime,
) -> Result<Vec<Written>, SdtmError> {
    let with_treatments = includes_treatments(study, unblinded);
    let definition = study.clone();
    let made = store
        .export_submission(scope, "sdtm", with_treatments, by, move |data| {
            let output = datasets(&definition, &data)?;
            Ok::<_, Problem>(store::Exported {
                contents: vec![(
                    "datasets".into(),
                    contents(output.iter().map(|d| (d.name.as_str(), d.records.len()))),
                )],
                output,
            })
        })
        .await?
        .map_err(SdtmError::Invalid)?;
    let mut written = write_files(dir, &made, created)?;
    let profiles: Vec<Profile> = made.iter().map(Profile::of).collect();
    let define = define_xml(study, &profiles, with_treatments, created);
    written.push(write_file(dir, DEFINE_FILE, define.as_bytes())?);
    Ok(written)
}

/// What the audit says an export includes: each dataset and its records (`DM 36, AE 9`).
fn contents<'d>(datasets: impl IntoIterator<Item = (&'d str, usize)>) -> String {
    let list: Vec<String> = datasets
        .into_iter()
        .map(|(name, records)| format!("{name} {records}"))
        .collect();
    list.join(", ")
}

/// The error of an I/O failure on `path`.
fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> SdtmError {
    let path = path.to_path_buf();
    move |source| SdtmError::Io { path, source }
}

/// Writes `bytes` as `name` in `dir` (created when missing), first to a temporary name, synced,
/// then renamed. Its [`Written`] has the domain `DEFINE` and no records.
pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<Written, SdtmError> {
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    let path = dir.join(name);
    let temporary = dir.join(format!(".{name}.partial"));
    std::fs::write(&temporary, bytes).map_err(io_error(&temporary))?;
    std::fs::File::open(&temporary)
        .and_then(|f| f.sync_all())
        .map_err(io_error(&temporary))?;
    std::fs::rename(&temporary, &path).map_err(io_error(&path))?;
    Ok(Written {
        domain: "DEFINE".into(),
        records: 0,
        path,
    })
}

/// Writes each dataset as `<domain>.xpt` in `dir`, each first to a temporary name and then
/// renamed, so that no file is left half-written.
pub fn write_files(
    dir: &Path,
    datasets: &[Dataset],
    created: OffsetDateTime,
) -> Result<Vec<Written>, SdtmError> {
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    let mut written = Vec::new();
    for d in datasets {
        let path = dir.join(format!("{}.xpt", d.name.to_lowercase()));
        let temporary = dir.join(format!(".{}.xpt.partial", d.name.to_lowercase()));
        let file = std::fs::File::create(&temporary).map_err(io_error(&temporary))?;
        xpt::write_dataset(&file, d, created).map_err(|e| match e {
            xpt::XptError::Invalid(p) => SdtmError::Invalid(p),
            xpt::XptError::Io(source) => SdtmError::Io {
                path: temporary.clone(),
                source,
            },
        })?;
        file.sync_all().map_err(io_error(&temporary))?;
        std::fs::rename(&temporary, &path).map_err(io_error(&path))?;
        written.push(Written {
            domain: d.name.clone(),
            records: d.records.len(),
            path,
        });
    }
    Ok(written)
}

/// A subject's saved forms of one kind whose visit is in the schedule, with VISITNUM and the
/// visit, in schedule order.
fn forms_of<'d>(
    cx: &Context<'d>,
    data: &'d SubmissionData,
    s: &Subject<'_>,
    kind: FormKind,
) -> Vec<(&'d SubmittedForm, (usize, &'d VisitDef))> {
    let mut out: Vec<_> = data
        .forms
        .iter()
        .filter(|f| f.participant_id == s.participant.id)
        .filter(|f| cx.study.form(&f.form_id).is_some_and(|d| d.kind == kind))
        .filter_map(|f| Some((f, cx.visit(&f.visit_id)?)))
        .collect();
    out.sort_by_key(|(f, (number, _))| (*number, f.form_id.clone()));
    out
}

/// The date a form was collected: its visit's date.
fn form_date(cx: &Context<'_>, form: &SubmittedForm) -> Option<String> {
    cx.visit_dates
        .get(&(form.participant_id, form.visit_id.as_str()))
        .map(|d| store::date(*d))
}

/// A stored value as text: text as is, numbers as JSON writes them, yes/no as `Y`/`N`.
fn text_of(value: Option<&Json>) -> String {
    match value {
        Some(Json::String(s)) => s.clone(),
        Some(Json::Number(n)) => n.to_string(),
        Some(Json::Bool(b)) => if *b { "Y" } else { "N" }.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
pub(crate) mod tests;

#[cfg(test)]
mod stream_tests;

//! The SDTM export a batch of participants at a time, in memory that stays flat whatever the
//! study's size. The store reads [`BATCH`] participants at a time
//! ([`Store::export_submission_batches`]); each batch is mapped as [`super::datasets`] maps
//! the whole study (a subject's records, `--SEQ` and `--DY` depend on that subject alone) and
//! each of its datasets checked and appended to its domain's [`Spill`], a scratch file in a
//! directory of its own inside the output directory, while the domain's [`Profile`] (the
//! text lengths and what `define.xml` says of the values) grows with it. The trial design
//! datasets are made at the end, with the number of subjects and the first consent of all
//! batches. Once the store has audited the export, each transport file is written from its
//! spill under a temporary name, then `define.xml`, and all are renamed; the scratch
//! directory is removed in every case, and so is the output directory when the export made it
//! and wrote nothing into it.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use store::{Actor, Exported, Scope, Store, SubmissionData, SubmissionSink};
use time::OffsetDateTime;
use trial::Study;

use super::profile::Profile;
use super::subject::Context;
use super::{
    contents, define_xml, design_datasets, first_consent, includes_treatments, io_error,
    subject_datasets, SdtmError, Written, DEFINE_FILE, DOMAINS,
};
use crate::xpt::spill::Spill;
use crate::xpt::{Dataset, XptError};

/// The participants read and mapped at a time: a batch of the synthetic Phase II study (each
/// participant with an ISNCSCI exam of 161 NV records) takes a few megabytes.
pub const BATCH: usize = 32;

/// A scratch directory inside the output directory, removed when dropped, with the output
/// directory itself when the export made it and it is empty.
#[derive(Debug)]
struct Scratch {
    path: PathBuf,
    made_output: Option<PathBuf>,
}

impl Scratch {
    fn new(dir: &Path) -> Result<Scratch, SdtmError> {
        static COUNT: AtomicU64 = AtomicU64::new(0);
        let made_output = (!dir.exists()).then(|| dir.to_path_buf());
        std::fs::create_dir_all(dir).map_err(io_error(dir))?;
        let scratch = Scratch {
            path: dir.join(format!(
                ".sdtm-{}-{}.partial",
                std::process::id(),
                COUNT.fetch_add(1, Ordering::Relaxed)
            )),
            made_output,
        };
        std::fs::create_dir(&scratch.path).map_err(io_error(&scratch.path))?;
        Ok(scratch)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
        if let Some(dir) = &self.made_output {
            let _ = std::fs::remove_dir(dir); // only when empty
        }
    }
}

/// Each domain's records so far, with its profile.
struct Part {
    spill: Spill,
    profile: Profile,
    scratch: PathBuf,
}

/// The export's state between batches: the study, and for each domain of [`DOMAINS`] its
/// records so far; the subjects in DM and the earliest consent among them.
pub(super) struct Batches {
    study: Study,
    parts: Vec<Option<Part>>,
    subjects: usize,
    first_consent: Option<String>,
    scratch: Scratch,
}

/// What the batches made: each domain with records, in the order of [`DOMAINS`].
pub(super) struct Made {
    parts: Vec<Part>,
    scratch: Scratch,
}

/// The error of a spill on its scratch file.
fn spill_error(path: &Path) -> impl FnOnce(XptError) -> SdtmError {
    let path = path.to_path_buf();
    move |e| match e {
        XptError::Invalid(p) => SdtmError::Invalid(p),
        XptError::Io(source) => SdtmError::Io { path, source },
    }
}

/// Appends `d`'s records (checked) to its domain's part, which is made with its first record.
fn keep(parts: &mut [Option<Part>], scratch: &Path, d: Dataset) -> Result<(), SdtmError> {
    if d.records.is_empty() {
        return Ok(());
    }
    let Some(i) = DOMAINS.iter().position(|n| *n == d.name) else {
        unreachable!("dataset {} is not a domain of DOMAINS", d.name);
    };
    match &mut parts[i] {
        Some(part) => {
            part.spill.append(&d).map_err(spill_error(&part.scratch))?;
            part.profile.merge(Profile::of(&d));
        }
        None => {
            let path = scratch.join(format!("{}.records", d.name.to_lowercase()));
            let mut spill =
                Spill::create(&path, &d.name, &d.label, &d.variables).map_err(io_error(&path))?;
            spill.append(&d).map_err(spill_error(&path))?;
            parts[i] = Some(Part {
                spill,
                profile: Profile::of(&d),
                scratch: path,
            });
        }
    }
    Ok(())
}

impl SubmissionSink for Batches {
    type Output = Made;
    type Error = SdtmError;

    fn batch(&mut self, data: SubmissionData) -> Result<(), SdtmError> {
        let mut cx = Context::new(&self.study, &data);
        for (i, name) in DOMAINS.iter().enumerate() {
            let records = self.parts[i].as_ref().map_or(0, |p| p.spill.records());
            cx.before.insert(*name, records);
        }
        self.subjects += cx.subjects.len();
        if let Some(first) = first_consent(&cx) {
            if self.first_consent.as_deref().is_none_or(|f| first < f) {
                self.first_consent = Some(first.to_string());
            }
        }
        let (parts, scratch) = (&mut self.parts, &self.scratch.path);
        subject_datasets(&cx, &data, |d| keep(parts, scratch, d))
    }

    fn finish(mut self) -> Result<Exported<Made>, SdtmError> {
        let design = design_datasets(&self.study, self.subjects, self.first_consent.as_deref());
        for d in design {
            keep(&mut self.parts, &self.scratch.path, d)?;
        }
        let parts: Vec<Part> = self.parts.into_iter().flatten().collect();
        let list = contents(
            parts
                .iter()
                .map(|p| (p.profile.name.as_str(), p.spill.records())),
        );
        Ok(Exported {
            contents: vec![("datasets".into(), list)],
            output: Made {
                parts,
                scratch: self.scratch,
            },
        })
    }
}

/// Files written under temporary names, renamed together by [`Pending::rename`]; those not
/// renamed are removed when dropped.
#[derive(Default)]
struct Pending {
    files: Vec<(PathBuf, PathBuf)>,
}

impl Pending {
    /// Writes a file `name` of `dir` by `write` under a temporary name, synced.
    fn write(
        &mut self,
        dir: &Path,
        name: &str,
        write: impl FnOnce(&File) -> Result<(), XptError>,
    ) -> Result<(), SdtmError> {
        let temporary = dir.join(format!(".{name}.partial"));
        let file = File::create(&temporary).map_err(io_error(&temporary))?;
        self.files.push((temporary.clone(), dir.join(name)));
        write(&file).map_err(spill_error(&temporary))?;
        file.sync_all().map_err(io_error(&temporary))
    }

    /// Renames every file to its name.
    fn rename(mut self) -> Result<(), SdtmError> {
        for (temporary, path) in std::mem::take(&mut self.files) {
            std::fs::rename(&temporary, &path).map_err(io_error(&path))?;
        }
        Ok(())
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        for (temporary, _) in &self.files {
            let _ = std::fs::remove_file(temporary);
        }
    }
}

impl Batches {
    /// An export of `study` into `dir` (created when missing) before its first batch.
    pub(super) fn new(study: &Study, dir: &Path) -> Result<Batches, SdtmError> {
        Ok(Batches {
            study: study.clone(),
            parts: DOMAINS.iter().map(|_| None).collect(),
            subjects: 0,
            first_consent: None,
            scratch: Scratch::new(dir)?,
        })
    }
}

/// See [`super::export`] and [`super::export_in_batches`].
#[allow(clippy::too_many_arguments)]
pub(super) async fn export(
    store: &Store,
    study: &Study,
    scope: &Scope,
    unblinded: bool,
    by: &Actor,
    dir: &Path,
    created: OffsetDateTime,
    batch: usize,
) -> Result<Vec<Written>, SdtmError> {
    let with_treatments = includes_treatments(study, unblinded);
    let sink = Batches::new(study, dir)?;
    let made = store
        .export_submission_batches(scope, "sdtm", with_treatments, by, batch, sink)
        .await??;
    write(made, study, with_treatments, dir, created)
}

/// Writes the files of what the batches made into `dir`: each transport file from its spill
/// and `define.xml`, each under a temporary name, then all renamed.
pub(super) fn write(
    made: Made,
    study: &Study,
    with_treatments: bool,
    dir: &Path,
    created: OffsetDateTime,
) -> Result<Vec<Written>, SdtmError> {
    let Made { parts, scratch } = made;
    let profiles: Vec<Profile> = parts.iter().map(|p| p.profile.clone()).collect();
    let define = define_xml(study, &profiles, with_treatments, created);
    let mut pending = Pending::default();
    let mut written = Vec::new();
    for part in parts {
        let (name, records) = (part.profile.name.clone(), part.spill.records());
        let file = format!("{}.xpt", name.to_lowercase());
        pending.write(dir, &file, |f| part.spill.write(f, created))?;
        written.push(Written {
            domain: name,
            records,
            path: dir.join(file),
        });
    }
    pending.write(dir, DEFINE_FILE, |mut f| {
        std::io::Write::write_all(&mut f, define.as_bytes()).map_err(XptError::Io)
    })?;
    pending.rename()?;
    written.push(Written {
        domain: "DEFINE".into(),
        records: 0,
        path: dir.join(DEFINE_FILE),
    });
    drop(scratch);
    Ok(written)
}

//! `scitrial export sdtm`: a study's SDTM datasets as SAS transport files, one per domain, with
//! their Define-XML; `scitrial export odm`: its casebooks as one CDISC ODM 1.3.2 file.
//! `scitrial import odm`: an ODM file's clinical data into a study. Reading (through the store,
//! which audits the export), the mapping and the files are the `export` crate's.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use export::odm::import::ImportError;
use export::sdtm::{self, SdtmError};
use store::{Actor, Scope};

/// What an export reads and where it writes.
#[derive(clap::Args, Debug)]
pub struct Target {
    /// `sqlite:PATH` or `postgres://USER@HOST/DB`; an SQLite file must exist.
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// The study's id (`XS228-P2`).
    #[arg(long)]
    study: String,
    /// The directory (sdtm) or the file (odm) to write.
    #[arg(long)]
    output: PathBuf,
    /// Include each participant's arm (or dose level): for an unblinded recipient only.
    #[arg(long)]
    unblinded: bool,
}

/// Submission exports.
#[derive(clap::Subcommand, Debug)]
pub enum ExportCommand {
    /// Writes the study's SDTM datasets into DIR (created when missing), one SAS transport
    /// (XPT v5) file per domain: dm.xpt, ae.xpt, ds.xpt, sv.xpt, cm.xpt, vs.xpt, qs.xpt,
    /// nv.xpt (ISNCSCI), ta.xpt, te.xpt, ti.xpt, ts.xpt, tv.xpt (a domain without records is
    /// left out), and their Define-XML 2.1, define.xml. Arms (ARM, ACTARM) only with
    /// --unblinded or in an open-label study. Exit status: 0 written, 1 a value does not fit
    /// (dataset, variable and record named; nothing written), 2 the database, the study or a
    /// file.
    Sdtm(Target),
    /// Writes the study's metadata and every participant's casebook as one CDISC ODM 1.3.2
    /// file: the visits, forms, items and code lists (English and Chinese), each value's
    /// history as transactions with their audit records, and the signatures. Written as it is
    /// read (memory stays flat), to a temporary file renamed once complete. Treatments only
    /// with --unblinded or in an open-label study. Exit status: 0 written, 2 the database, the
    /// study or the file.
    Odm(Target),
    /// Fills a database (made when missing) with the Phase II study and PARTICIPANTS
    /// synthetic participants, each screened with an ISNCSCI exam, enrolled, randomised and
    /// given a baseline vital-signs form corrected once: the data of the exports' benchmark
    /// (bench/export.sh). With --follow-up, each also has the kit dispensed and the visits up
    /// to week 24 with their ISNCSCI, SCIM III and WISCI II forms (some withdraw, some miss
    /// week 24): the data of the analysis benchmark (bench/analysis.sh). Seeded: the same
    /// command gives the same data.
    Synthetic {
        /// `sqlite:PATH` or `postgres://USER@HOST/DB`.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        /// How many participants.
        #[arg(long, default_value_t = 10_000)]
        participants: usize,
        /// Give each participant their visits up to week 24, screened about seven months ago.
        #[arg(long)]
        follow_up: bool,
    },
}

/// Runs an `export` command.
pub fn run(cmd: ExportCommand) -> ExitCode {
    let outcome = crate::server::runtime().and_then(|rt| {
        rt.block_on(async {
            match cmd {
                ExportCommand::Odm(target) => odm_file(&target).await,
                ExportCommand::Synthetic {
                    database_url,
                    participants,
                    follow_up,
                } => crate::synthetic::seed(&database_url, participants, follow_up).await,
                ExportCommand::Sdtm(target) => sdtm_files(target).await,
            }
        })
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scitrial export: {e:#}");
            let refused = e
                .downcast_ref::<SdtmError>()
                .is_some_and(|e| matches!(e, SdtmError::Invalid(_)));
            ExitCode::from(if refused { 1 } else { 2 })
        }
    }
}

async fn odm_file(target: &Target) -> Result<()> {
    let Target {
        database_url,
        study,
        output,
        unblinded,
    } = target;
    let unblinded = *unblinded;
    let store = crate::server::open_existing(database_url).await?;
    let definition = crate::server::stored_study(&store, study).await?;
    let count = export::odm::export(
        &store,
        &definition,
        &Scope::Study(study.to_string()),
        unblinded,
        &Actor::system(),
        output,
        time::OffsetDateTime::now_utc(),
    )
    .await?;
    let blinding = if sdtm::includes_treatments(&definition, unblinded) {
        "with treatments"
    } else {
        "blinded: no treatments"
    };
    println!(
        "{count} casebooks of study {study} written to {} as ODM 1.3.2 ({blinding})",
        output.display()
    );
    Ok(())
}

async fn sdtm_files(target: Target) -> Result<()> {
    let Target {
        database_url,
        study,
        output,
        unblinded,
    } = target;
    let store = crate::server::open_existing(&database_url).await?;
    let definition = crate::server::stored_study(&store, &study).await?;
    let written = sdtm::export(
        &store,
        &definition,
        &Scope::Study(study.clone()),
        unblinded,
        &Actor::system(),
        &output,
        time::OffsetDateTime::now_utc(),
    )
    .await?;
    for w in &written {
        println!("{} {} records", w.path.display(), w.records);
    }
    let blinding = if sdtm::includes_treatments(&definition, unblinded) {
        "with arms"
    } else {
        "blinded: no arms"
    };
    let datasets = written.iter().filter(|w| w.domain != "DEFINE").count();
    println!(
        "{datasets} SDTM datasets and {} of study {study} written to {} ({blinding})",
        sdtm::DEFINE_FILE,
        output.display()
    );
    Ok(())
}

/// Imports.
#[derive(clap::Subcommand, Debug)]
pub enum ImportCommand {
    /// Loads the clinical data of a CDISC ODM 1.3.2 file (ClinicalData: SubjectData,
    /// StudyEventData, FormData, ItemGroupData, ItemData; as scitrial, REDCap and OpenClinica
    /// export it) into the study's participants, whose forms and items the file must match:
    /// each form validated as a save is and saved in one write, audited as an import with the
    /// file's name as the reason. A file that does not fit is refused whole, naming the line,
    /// subject, event, form and item. Exit status: 0 imported, 1 refused (nothing written),
    /// 2 the database, the study or the file.
    Odm {
        /// `sqlite:PATH` or `postgres://USER@HOST/DB`; an SQLite file must exist.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        /// The study's definition (TOML), as the database holds it.
        #[arg(long)]
        study: PathBuf,
        /// The ODM file.
        #[arg(long)]
        input: PathBuf,
    },
}

/// Runs an `import` command.
pub fn import(cmd: ImportCommand) -> ExitCode {
    let ImportCommand::Odm {
        database_url,
        study,
        input,
    } = cmd;
    let outcome = crate::server::runtime()
        .and_then(|rt| rt.block_on(odm_import(&database_url, &study, &input)));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scitrial import: {e:#}");
            let refused = e.downcast_ref::<ImportError>().is_some_and(|e| {
                matches!(
                    e,
                    ImportError::Refused(_)
                        | ImportError::Store(
                            store::StoreError::Invalid { .. } | store::StoreError::Conflict { .. }
                        )
                )
            });
            ExitCode::from(if refused { 1 } else { 2 })
        }
    }
}

async fn odm_import(database_url: &str, study: &Path, input: &Path) -> Result<()> {
    let text =
        std::fs::read_to_string(study).with_context(|| format!("reading {}", study.display()))?;
    let definition =
        trial::Study::from_toml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", study.display()))?;
    let store = crate::server::open_existing(database_url).await?;
    let stored = crate::server::stored_study(&store, &definition.id).await?;
    if stored != definition {
        bail!(
            "{} is not the definition of study {} that the database holds",
            study.display(),
            definition.id
        );
    }
    let scope = Scope::Study(definition.id.clone());
    let (forms, count) =
        export::odm::import::import(&store, &definition, &scope, &Actor::system(), input).await?;
    println!(
        "{forms} forms of {} imported into study {}: {} new, {} changed, {} as saved already",
        input.display(),
        definition.id,
        count.created,
        count.changed,
        count.unchanged
    );
    Ok(())
}

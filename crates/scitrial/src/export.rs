//! `scitrial export sdtm`: a study's SDTM datasets as SAS transport files, one per domain.
//! Reading (through the store, which audits the export), the mapping and the files are the
//! `export` crate's.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use export::sdtm::{self, SdtmError};
use store::{Actor, Scope};

/// Submission exports.
#[derive(clap::Subcommand, Debug)]
pub enum ExportCommand {
    /// Writes the study's SDTM datasets into DIR (created when missing), one SAS transport
    /// (XPT v5) file per domain: dm.xpt, ae.xpt, ds.xpt, sv.xpt, cm.xpt, vs.xpt, qs.xpt,
    /// nv.xpt (ISNCSCI), ta.xpt, te.xpt, ti.xpt, ts.xpt, tv.xpt (a domain without records is
    /// left out). Arms (ARM, ACTARM) only with --unblinded or in an open-label study. Exit
    /// status: 0 written, 1 a value does not fit (dataset, variable and record named; nothing
    /// written), 2 the database, the study or a file.
    Sdtm {
        /// `sqlite:PATH` or `postgres://USER@HOST/DB`; an SQLite file must exist.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        /// The study's id (`XS228-P2`).
        #[arg(long)]
        study: String,
        /// The directory to write into.
        #[arg(long)]
        output: PathBuf,
        /// Include each participant's arm (or dose level): for an unblinded recipient only.
        #[arg(long)]
        unblinded: bool,
    },
}

/// Runs an `export` command.
pub fn run(cmd: ExportCommand) -> ExitCode {
    let outcome = crate::server::runtime().and_then(|rt| rt.block_on(sdtm_files(cmd)));
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

async fn sdtm_files(cmd: ExportCommand) -> Result<()> {
    let ExportCommand::Sdtm {
        database_url,
        study,
        output,
        unblinded,
    } = cmd;
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
    println!(
        "{} SDTM datasets of study {study} written to {} ({blinding})",
        written.len(),
        output.display()
    );
    Ok(())
}

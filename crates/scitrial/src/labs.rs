//! `scitrial labs`: the operator's side of laboratory results. `ranges` loads a study's normal
//! ranges from a CSV file and `import` a central lab's results file, through the same calls as
//! the API (`trial::labs` reads and checks the file, `Store::load_lab_ranges` and
//! `Store::import_lab_results` write it in one audited write), audited as the operator. A bad
//! file writes nothing and exits 2 naming each line and column.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use store::{Actor, Scope};
use time::OffsetDateTime;
use trial::labs::import::{digest, read_results};
use trial::labs::read_ranges;
use trial::Problem;

/// Laboratory results.
#[derive(clap::Subcommand, Debug)]
pub enum LabsCommand {
    /// Replaces a study's normal ranges by a CSV file (columns test, site, sex, age_min,
    /// age_max, low, high, unit, valid_from, valid_to; docs/labs.md). Exit status 2, naming
    /// each line and column, on a bad file (nothing is written).
    Ranges(FileArgs),
    /// Imports a central lab's results file (columns participant, visit, collected_at, test,
    /// value, unit, lab_range; docs/labs.md) all or nothing; the same file again changes
    /// nothing. With --preview, prints each row as it would be recorded and writes nothing.
    /// Exit status 2, naming each line and column, on a bad file.
    Import {
        #[command(flatten)]
        file: FileArgs,
        /// Print what would be imported; write nothing.
        #[arg(long)]
        preview: bool,
    },
}

/// What both commands take.
#[derive(clap::Args, Debug)]
pub struct FileArgs {
    /// `sqlite:PATH` or `postgres://USER@HOST/DB`; an SQLite file must exist.
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// The study's id (`XS228-P2`).
    #[arg(long)]
    study: String,
    /// The CSV file.
    #[arg(long)]
    file: PathBuf,
    /// Who runs the command, as the audit trail names them (default: the login name in
    /// `USER`).
    #[arg(long, env = "USER", default_value = "operator")]
    operator: String,
}

/// Every problem of a file, one a line, as an error.
fn refused(file: &std::path::Path, problems: &[Problem]) -> anyhow::Error {
    let lines: Vec<String> = problems
        .iter()
        .map(|p| format!("  {}: {}", p.path, p.message))
        .collect();
    anyhow::anyhow!(
        "{} is refused, nothing was written:\n{}",
        file.display(),
        lines.join("\n")
    )
}

/// Runs a `labs` command.
pub async fn run(cmd: LabsCommand) -> Result<()> {
    let (args, preview) = match &cmd {
        LabsCommand::Ranges(args) => (args, None),
        LabsCommand::Import { file, preview } => (file, Some(*preview)),
    };
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let store = crate::server::open_existing(&args.database_url).await?;
    let Some(record) = store
        .studies()
        .await?
        .into_iter()
        .find(|s| s.id == args.study)
    else {
        bail!("there is no study {:?} in this database", args.study);
    };
    let study = trial::Study::from_toml(&record.definition)
        .with_context(|| format!("the stored definition of {} is not valid", args.study))?;
    let operator = Actor {
        user_id: None,
        username: args.operator.trim().to_string(),
    };
    if operator.username.is_empty() {
        bail!("--operator: give the name the audit trail records");
    }
    let scope = Scope::Study(study.id.clone());
    let Some(preview) = preview else {
        let sites: Vec<&str> = study.sites.iter().map(|s| s.id.as_str()).collect();
        let ranges = read_ranges(&text, &sites, &study.labs.test_codes())
            .map_err(|p| refused(&args.file, &p))?;
        let loaded = store
            .load_lab_ranges(&study.id, &ranges, &digest(&text), &operator)
            .await?;
        println!(
            "{loaded} normal ranges of {} loaded from {}",
            study.id,
            args.file.display()
        );
        return Ok(());
    };
    let visits: Vec<&str> = study.visits.iter().map(|v| v.id.as_str()).collect();
    let rows = read_results(&text, &study.labs, &visits, OffsetDateTime::now_utc())
        .map_err(|p| refused(&args.file, &p))?;
    if preview {
        let rows = store
            .preview_lab_import(&study, &scope, rows)
            .await?
            .map_err(|p| refused(&args.file, &p))?;
        for r in &rows {
            let grade = match (&r.term, r.grade) {
                (Some(term), Some(g)) => format!(", {term} grade {g}"),
                _ => String::new(),
            };
            let proposes = if r.proposes_event {
                ", proposes an adverse event"
            } else {
                ""
            };
            println!(
                "line {}: {} {} {} {} {} ({}{grade}{proposes})",
                r.line, r.subject_id, r.visit_id, r.collected_at, r.test, r.entered, r.flag
            );
        }
        println!("{} rows would be imported; nothing was written", rows.len());
        return Ok(());
    }
    let outcome = store
        .import_lab_results(&study, &scope, rows, &digest(&text), &operator)
        .await?
        .map_err(|p| refused(&args.file, &p))?;
    if outcome.already {
        println!(
            "{} was imported before (import {}, {} results); nothing changed",
            args.file.display(),
            outcome.import_id,
            outcome.results
        );
    } else {
        println!(
            "{} results imported (import {}), {} adverse events proposed",
            outcome.results, outcome.import_id, outcome.proposals
        );
    }
    Ok(())
}

//! `scitrial terms load`: the terms adverse events are coded with, from the NCI's CTCAE v5.0
//! spreadsheet exported as CSV. Reading the file is `trial::safety::terms`'s; storing it the
//! store's (`Store::load_terms`, one audited write that replaces the terms).

use std::path::PathBuf;

use anyhow::{Context, Result};
use store::Actor;

/// The terms adverse events are coded with.
#[derive(clap::Subcommand, Debug)]
pub enum TermsCommand {
    /// Loads the CTCAE v5.0 terms from the NCI's spreadsheet exported as CSV (columns MedDRA
    /// Code, MedDRA SOC, CTCAE Term, Grade 1 to Grade 5, and optionally Definition), replacing
    /// the terms loaded before; recorded events keep their coded terms. Exit status 2, naming
    /// the line and column, on a file that cannot be read.
    Load {
        /// The database.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        /// The CSV file.
        #[arg(long)]
        ctcae: PathBuf,
    },
}

/// Runs a `terms` command.
pub async fn run(cmd: TermsCommand) -> Result<()> {
    let TermsCommand::Load {
        database_url,
        ctcae,
    } = cmd;
    let text =
        std::fs::read_to_string(&ctcae).with_context(|| format!("reading {}", ctcae.display()))?;
    let terms = trial::safety::terms::parse_ctcae_csv(&text)
        .with_context(|| format!("{} is not a CTCAE CSV export", ctcae.display()))?;
    let store = store::open(&database_url)
        .await
        .with_context(|| format!("opening {database_url}"))?;
    let count = store.load_terms(&terms, &Actor::system()).await?;
    println!("{count} terms loaded from {}", ctcae.display());
    Ok(())
}

//! `scitrial terms load`: the terms adverse events are coded with, from the NCI's CTCAE v5.0
//! spreadsheet exported as CSV, or from a licensee's MedDRA ASCII distribution files. Reading
//! the files is `trial::safety::terms`'s; storing them the store's (`Store::load_terms`, one
//! audited write that replaces the terms). The product ships neither dictionary.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use store::Actor;
use trial::safety::terms::{meddra_distribution, parse_ctcae_csv, MeddraFiles};

/// The terms adverse events are coded with.
#[derive(clap::Subcommand, Debug)]
pub enum TermsCommand {
    /// Loads the terms, replacing those loaded before (recorded events keep their coded
    /// terms): the CTCAE v5.0 terms from the NCI's spreadsheet exported as CSV (columns MedDRA
    /// Code, MedDRA SOC, CTCAE Term, Grade 1 to Grade 5, and optionally Definition), or a
    /// licensee's MedDRA terms from the ASCII files of a release (`soc.asc`, `pt.asc`,
    /// `llt.asc`, `mdhier.asc`, `$`-separated): every preferred term under its primary system
    /// organ class and every current lowest level term, each allowing grades 1 to 5. Exit
    /// status 2, naming the file, line and column, on a file that cannot be read.
    Load {
        /// The database.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        /// The CTCAE CSV file.
        #[arg(long, required_unless_present = "meddra", conflicts_with = "meddra")]
        ctcae: Option<PathBuf>,
        /// The folder of the MedDRA ASCII files (a release's `MedAscii`).
        #[arg(long)]
        meddra: Option<PathBuf>,
    },
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Runs a `terms` command.
pub async fn run(cmd: TermsCommand) -> Result<()> {
    let TermsCommand::Load {
        database_url,
        ctcae,
        meddra,
    } = cmd;
    let (terms, dictionary, source) = match (ctcae, meddra) {
        (Some(file), _) => {
            let terms = parse_ctcae_csv(&read(&file)?)
                .with_context(|| format!("{} is not a CTCAE CSV export", file.display()))?;
            (terms, "ctcae", file.display().to_string())
        }
        (None, Some(dir)) => {
            let [soc, pt, llt, mdhier] =
                ["soc.asc", "pt.asc", "llt.asc", "mdhier.asc"].map(|f| read(&dir.join(f)));
            let (soc, pt, llt, mdhier) = (soc?, pt?, llt?, mdhier?);
            let files = MeddraFiles {
                soc: &soc,
                pt: &pt,
                llt: &llt,
                mdhier: &mdhier,
            };
            let terms = meddra_distribution(files)
                .with_context(|| format!("{} is not a MedDRA ASCII release", dir.display()))?;
            (
                terms,
                "meddra",
                format!("the MedDRA files in {}", dir.display()),
            )
        }
        (None, None) => anyhow::bail!("give --ctcae FILE or --meddra DIR"),
    };
    let store = store::open(&database_url)
        .await
        .with_context(|| format!("opening {database_url}"))?;
    let count = store
        .load_dictionary(dictionary, &terms, &Actor::system())
        .await?;
    println!("{count} terms loaded from {source}");
    Ok(())
}

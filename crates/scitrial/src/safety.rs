//! `scitrial safety e2b`: the expedited reports of a study's SUSAR cases as ICH E2B(R3) ICSR
//! files, one per report version (initial and follow-ups, to each authority), each with its
//! narrative in English and Chinese. Loading the cases (with the actual treatment, an
//! unblinded read that the store audits) is `Store::e2b_cases`; writing the message and the
//! narratives is `trial::safety`'s.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use store::{Actor, Scope};
use trial::safety::{icsr_xml, narrative_html, Language, Sender};

/// Safety reporting.
#[derive(clap::Subcommand, Debug)]
pub enum SafetyCommand {
    /// Writes every expedited report of the study's SUSAR cases as an E2B(R3) XML file
    /// (`<case>-<receiver>-V<n>.xml`; V0 is the initial report), and the narrative of each in
    /// English and Chinese (`….en.html`, `….zh.html`), into DIR (created when missing). Prints
    /// each file written. Exit status 2 when the database or the study is missing.
    E2b {
        /// `sqlite:PATH` or `postgres://USER@HOST/DB`; an SQLite file must exist.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        /// The study's id (`XS228-P2`).
        #[arg(long)]
        study: String,
        /// The directory to write into.
        #[arg(long)]
        output: PathBuf,
        /// The sponsor, the sender of the reports (C.3.2); by default `Sponsor of <study>`.
        #[arg(long)]
        sponsor: Option<String>,
        /// The sender's identifier in the message headers and case ids.
        #[arg(long, default_value = "SCITRIAL")]
        sender_id: String,
    },
}

/// Runs a `safety` command.
pub async fn run(cmd: SafetyCommand) -> Result<()> {
    let SafetyCommand::E2b {
        database_url,
        study,
        output,
        sponsor,
        sender_id,
    } = cmd;
    let store = crate::server::open_existing(&database_url).await?;
    let definition = crate::server::stored_study(&store, &study).await?;
    let sender = Sender {
        sponsor: sponsor.unwrap_or_else(|| format!("Sponsor of {study}")),
        id: sender_id,
    };
    let cases = store
        .e2b_cases(
            &definition,
            &Scope::Study(study.clone()),
            None,
            &sender,
            &Actor::system(),
        )
        .await?;
    std::fs::create_dir_all(&output).with_context(|| format!("creating {}", output.display()))?;
    for case in &cases {
        let stem = case.file_stem();
        write(&output, &format!("{stem}.xml"), &icsr_xml(case))?;
        for language in Language::ALL {
            let name = format!("{stem}.{}.html", language.code());
            write(&output, &name, &narrative_html(case, language))?;
        }
    }
    println!(
        "{} report versions of study {study} written to {}",
        cases.len(),
        output.display()
    );
    Ok(())
}

fn write(dir: &Path, name: &str, text: &str) -> Result<()> {
    let path = dir.join(name);
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    println!("{}", path.display());
    Ok(())
}

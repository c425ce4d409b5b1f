//! `scitrial backup` and `scitrial restore`: a consistent copy of the database taken while the
//! server writes it, and that copy put back into a fresh database whose chains are verified.
//! SQLite: `VACUUM INTO` (the store's `backup_sqlite`); PostgreSQL: `pg_dump` in its custom
//! format (one snapshot, taken as it starts) and `pg_restore` into an empty database, in one
//! transaction.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{bail, Context, Result};

use crate::{checkpoint, server};

#[derive(clap::Args, Debug)]
pub struct BackupArgs {
    /// The database to copy: `sqlite:PATH` or `postgres://…`.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: String,
    /// The backup file to write (refused when it exists).
    #[arg(long)]
    pub output: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct RestoreArgs {
    /// A file written by `scitrial backup`.
    #[arg(long)]
    pub input: PathBuf,
    /// The fresh database to restore into: `sqlite:PATH` (a file that does not exist yet) or
    /// `postgres://…` (an empty database, e.g. just made by `createdb`).
    #[arg(long)]
    pub database_url: String,
}

/// What a backup file holds, from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Sqlite,
    PgDump,
}

fn kind_of(file: &Path) -> Result<Kind> {
    let mut head = [0u8; 16];
    let n = std::io::Read::read(
        &mut std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?,
        &mut head,
    )?;
    if head[..n].starts_with(b"SQLite format 3\0") {
        Ok(Kind::Sqlite)
    } else if head[..n].starts_with(b"PGDMP") {
        Ok(Kind::PgDump)
    } else {
        bail!(
            "{} is not a backup written by scitrial backup (neither a SQLite database nor a \
             pg_dump archive)",
            file.display()
        )
    }
}

fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url.strip_prefix("sqlite:")?;
    let path = rest.split('?').next().unwrap_or(rest);
    Some(path.strip_prefix("//").unwrap_or(path))
}

/// Runs a PostgreSQL client tool, naming it when it is missing or fails.
fn tool(program: &str, args: &[&str]) -> Result<()> {
    let status = Command::new(program).args(args).status().with_context(|| {
        format!("running {program} (PostgreSQL's client tools, e.g. Debian's postgresql-client)")
    })?;
    if !status.success() {
        bail!("{program} failed ({status})");
    }
    Ok(())
}

pub async fn backup(args: BackupArgs) -> Result<()> {
    let out = &args.output;
    if out.exists() {
        bail!(
            "{} exists; a backup is written to a new file",
            out.display()
        );
    }
    let output = out.to_str().context("the output path is not UTF-8")?;
    let started = std::time::Instant::now();
    match sqlite_path(&args.database_url) {
        Some(path) => {
            if !Path::new(path).exists() {
                bail!("there is no database at {path}");
            }
            store::backup_sqlite(&args.database_url, out).await?;
        }
        None => tool(
            "pg_dump",
            &[
                "--format=custom",
                "--no-owner",
                "--file",
                output,
                "--dbname",
                &args.database_url,
            ],
        )?,
    }
    let bytes = std::fs::metadata(out)?.len();
    println!(
        "backup written to {} ({bytes} bytes, {:.1} s)",
        out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Restores, then verifies the chains: 0 restored and intact, 1 restored but the trail does
/// not verify, 2 nothing restored (an error).
pub fn run_restore(args: RestoreArgs) -> ExitCode {
    let outcome = server::runtime().and_then(|rt| rt.block_on(restore(args)));
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("scitrial restore: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn restore(args: RestoreArgs) -> Result<bool> {
    let kind = kind_of(&args.input)?;
    let input = args.input.to_str().context("the input path is not UTF-8")?;
    let url = &args.database_url;
    match (sqlite_path(url), kind) {
        (Some(path), Kind::Sqlite) => {
            if Path::new(path).exists() {
                bail!("{path} exists; a backup is restored into a new file");
            }
            std::fs::copy(&args.input, path)
                .with_context(|| format!("copying {input} to {path}"))?;
        }
        (None, Kind::PgDump) => {
            if !store::postgres_is_empty(url).await? {
                bail!("the database has tables already; restore into an empty one (createdb)");
            }
            tool(
                "pg_restore",
                &[
                    "--no-owner",
                    "--exit-on-error",
                    "--single-transaction",
                    "--dbname",
                    url,
                    input,
                ],
            )?;
        }
        (Some(_), Kind::PgDump) => {
            bail!("{input} is a PostgreSQL backup: restore it into postgres://…")
        }
        (None, Kind::Sqlite) => bail!("{input} is a SQLite backup: restore it into sqlite:PATH"),
    }
    // Newer migrations, if the backup is older than this program; then the chains.
    let store = store::open(url)
        .await
        .context("opening the restored database")?;
    println!("restored {input}");
    Ok(checkpoint::print_report(&store.verify_audit().await?))
}

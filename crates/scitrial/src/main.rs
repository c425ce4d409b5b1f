//! `scitrial`: the platform's command-line program. Each subcommand wires library crates
//! together; the work is done in the libraries.

#![forbid(unsafe_code)]

mod analysis;
mod backup;
mod checkpoint;
mod classify;
mod export;
mod isbt128;
mod labs;
mod load;
mod logs;
mod progress;
mod randomization;
mod safety;
mod server;
mod synthetic;
mod terms;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// The memory allocator: mimalloc, whose per-thread free lists cost the server about half the
/// processor time of the system allocator's on its many small, short-lived allocations (JSON
/// values, SQL arguments, audit rows), which the load test measured at a fifth of a save's time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// scitrial: clinical trials of cell therapies for spinal cord injury.
#[derive(Parser, Debug)]
#[command(name = "scitrial", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// How log lines (on standard error) are written: text, or JSON lines. The level comes
    /// from SCITRIAL_LOG (e.g. warn, info, debug; default info, warn for load-test).
    #[arg(long, global = true, value_enum, default_value = "text")]
    log_format: logs::LogFormat,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Classifies ISNCSCI exams (2019 revision) from a file in the flat layout.
    ///
    /// Reads a JSON array of exams, JSON objects one per line, or CSV with a header row of
    /// flat-layout keys (c5RightMotor, s4_5LeftPrick, analContraction, ...), and writes for each
    /// exam its id (when it has one) and the 25 results. Exit status: 0 when every exam was
    /// classified, 1 when some exam was rejected, 2 on a usage or I/O error.
    Classify(ClassifyArgs),
    /// Writes synthetic ISNCSCI exams in the flat layout, for tests and benchmarks.
    ///
    /// Half are shaped like real injuries (normal above a level, a zone of partial
    /// preservation, absent or spared below, with NT, `*` and `**` values sprinkled), a quarter
    /// are normal but for a few values, a quarter are uniformly random. The same seed gives the
    /// same exams.
    GenerateExams(GenerateArgs),
    /// Serves the platform over a database.
    Serve(server::ServeArgs),
    /// Runs the demo: creates `DATA_DIR/scitrial.db`, loads the XS228 Phase II study with demo
    /// users and participants, serves it and prints the URL and the logins.
    Demo(server::DemoArgs),
    /// The audit trail: verify its hash chains (against signed checkpoints), sign checkpoints,
    /// make a checkpoint key, or export it.
    #[command(subcommand)]
    Audit(server::AuditCommand),
    /// A consistent copy of the database, taken while the server writes it: SQLite's
    /// `VACUUM INTO`, or `pg_dump`'s snapshot (custom format) for PostgreSQL.
    Backup(backup::BackupArgs),
    /// Restores a backup into a fresh database (a new SQLite file, or an empty PostgreSQL
    /// database) and verifies its audit chains. Exit status: 0 restored and intact, 1 restored
    /// but the trail does not verify, 2 nothing restored.
    Restore(backup::RestoreArgs),
    /// User accounts.
    #[command(subcommand)]
    Users(server::UsersCommand),
    /// Load test: concurrent clients saving ISNCSCI exams over HTTP into a scratch database,
    /// with saves per second and latency percentiles, beside the database's own limit for
    /// single-row durable commits measured in the same run.
    LoadTest(load::LoadArgs),
    /// Randomisation design: simulated balance and predictability of a study's method.
    #[command(subcommand)]
    Randomization(randomization::RandomizationCommand),
    /// The terms adverse events are coded with (CTCAE v5.0, or a licensee's MedDRA).
    #[command(subcommand)]
    Terms(terms::TermsCommand),
    /// Safety reporting: the SUSARs' expedited reports as E2B(R3) files.
    #[command(subcommand)]
    Safety(safety::SafetyCommand),
    /// Laboratory results: a study's normal ranges, a central lab's results file.
    #[command(subcommand)]
    Labs(labs::LabsCommand),
    /// The analysis datasets (ADSL, ADISN as CSV and XPT) and the results of the analyses
    /// (results.json): pooled, or by arm with --unblinded (audited as an unblinded run).
    Analysis(analysis::AnalysisArgs),
    /// The cell product's ISBT 128 identifiers: check characters of donation identification
    /// numbers.
    #[command(subcommand)]
    Isbt128(isbt128::Isbt128Command),
    /// Submission data: the SDTM datasets as SAS transport files.
    #[command(subcommand)]
    Export(export::ExportCommand),
    /// Clinical data from another system's file, into a study whose forms and items match.
    #[command(subcommand)]
    Import(export::ImportCommand),
}

#[derive(clap::Args, Debug)]
pub struct GenerateArgs {
    /// How many exams.
    #[arg(long, default_value_t = 1000)]
    pub count: u64,
    /// The random seed.
    #[arg(long, default_value_t = 2019)]
    pub seed: u64,
    /// Output format: a JSON array, or CSV with a header row.
    #[arg(long, value_enum, default_value = "json")]
    pub format: Format,
}

/// Input and output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// JSON: an array of objects (or, on input, objects one per line).
    Json,
    /// CSV with a header row.
    Csv,
}

#[derive(clap::Args, Debug)]
pub struct ClassifyArgs {
    /// The exams; `-` or nothing reads standard input.
    pub file: Option<PathBuf>,
    /// Input format (default: from the file's extension, JSON for standard input).
    #[arg(long, value_enum)]
    pub input: Option<Format>,
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    pub output: Format,
    /// Go on past rejected exams, and print how many there were at the end.
    #[arg(long)]
    pub keep_going: bool,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let level = match cli.command {
        Command::LoadTest(_)
        | Command::Classify(_)
        | Command::GenerateExams(_)
        | Command::Isbt128(_) => "warn",
        _ => "info",
    };
    logs::init(cli.log_format, level);
    match cli.command {
        Command::Classify(args) => classify::run(&args),
        Command::Serve(args) => server::run(server::serve(args)),
        Command::Demo(args) => server::run(server::demo(args)),
        Command::Audit(cmd) => server::run_audit(cmd),
        Command::Users(cmd) => server::run(server::users(cmd)),
        Command::Backup(args) => server::run(backup::backup(args)),
        Command::Restore(args) => backup::run_restore(args),
        Command::LoadTest(args) => server::run(load::run(args)),
        Command::Randomization(cmd) => randomization::run(cmd),
        Command::Terms(cmd) => server::run(terms::run(cmd)),
        Command::Safety(cmd) => server::run(safety::run(cmd)),
        Command::Labs(cmd) => server::run(labs::run(cmd)),
        Command::Analysis(args) => server::run(analysis::run(args)),
        Command::Isbt128(cmd) => isbt128::run(cmd),
        Command::Export(cmd) => export::run(cmd),
        Command::Import(cmd) => export::import(cmd),
        Command::GenerateExams(args) => match classify::generate(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("scitrial generate-exams: {e:#}");
                ExitCode::from(2)
            }
        },
    }
}

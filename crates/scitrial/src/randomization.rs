//! `scitrial randomization simulate`: the design-time report of a study's randomisation,
//! expected imbalance and predictability over simulated trials (computed by `trial::simulate`);
//! `scitrial randomization verify`: the stored list of a running trial checked against its seed
//! (`Store::check_randomisation`).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use trial::{
    simulate, Design, GroupImbalance, Imbalance, Randomisation, SimulationReport, Strata, Study,
};

#[derive(clap::Subcommand, Debug)]
pub enum RandomizationCommand {
    /// Simulates trials randomised as a study definition says, and prints the expected
    /// imbalance (overall, per factor level, per stratum) and predictability.
    ///
    /// Imbalance is the range over arms of (participants in the arm / its ratio): 0 when a
    /// group is split exactly in the ratio; with 2:1, one participant moved from placebo to
    /// active changes it by 1.5. Predictability is the proportion of allocations guessed right
    /// by an observer who knows the earlier allocations (in the participant's stratum for
    /// permuted blocks, in the whole trial for minimisation) and guesses the arm furthest
    /// below its share. Simulated participants: AIS A/B/C with probabilities 0.45/0.25/0.30,
    /// cervical injuries 60%, sites equally likely. The same seed gives the same report.
    /// Exit status: 0 done, 2 unreadable, invalid or non-randomised study, or bad arguments.
    Simulate(SimulateArgs),
    /// Checks that a study's stored randomisation list, kits and allocations are exactly what
    /// the recorded seed gives (permuted blocks: every slot of every stratum; minimisation:
    /// every allocation replayed in order), and that each allocation holds its slot and kit.
    /// Prints counts and problems, never an arm. Exit status: 0 reproduces, 1 differences
    /// found (listed), 2 no list, unreadable study or database.
    Verify(VerifyArgs),
}

#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// `sqlite:PATH` or `postgres://USER@HOST/DB`.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: String,
    /// The study definition (TOML) the list was generated for.
    #[arg(long)]
    pub study: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct SimulateArgs {
    /// The study definition (TOML).
    #[arg(long)]
    pub study: PathBuf,
    /// Participants per simulated trial.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub n: u64,
    /// Number of simulated trials.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub runs: u64,
    /// The random seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Runs the command and maps its outcome to the exit status.
pub fn run(command: RandomizationCommand) -> ExitCode {
    let args = match command {
        RandomizationCommand::Simulate(args) => args,
        RandomizationCommand::Verify(args) => return verify(&args),
    };
    match simulate_command(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scitrial randomization simulate: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn verify(args: &VerifyArgs) -> ExitCode {
    let outcome = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")
        .and_then(|rt| rt.block_on(verify_command(args)));
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("scitrial randomization verify: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Whether the list reproduces from its seed; the report on standard output.
async fn verify_command(args: &VerifyArgs) -> Result<bool> {
    let path = args.study.display();
    let text = std::fs::read_to_string(&args.study).with_context(|| format!("reading {path}"))?;
    let study = Study::from_toml(&text).with_context(|| format!("{path} is not a valid study"))?;
    let store = crate::server::open_existing(&args.database_url).await?;
    let Some(check) = store.check_randomisation(&study).await? else {
        anyhow::bail!(
            "study {} has no randomisation list in this database",
            study.id
        );
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} list, {} slots, {} kits, {} allocations",
        check.study_id, check.method, check.slots, check.kits, check.allocations
    );
    for p in &check.problems {
        let _ = writeln!(out, "problem: {p}");
    }
    let ok = check.problems.is_empty();
    let _ = writeln!(
        out,
        "{}",
        if ok {
            "reproduces from its seed".to_string()
        } else {
            format!(
                "{} problems: the list does not reproduce",
                check.problems.len()
            )
        }
    );
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
        .context("writing the report")?;
    Ok(ok)
}

fn simulate_command(args: &SimulateArgs) -> Result<()> {
    let path = args.study.display();
    let text = std::fs::read_to_string(&args.study).with_context(|| format!("reading {path}"))?;
    let study = Study::from_toml(&text).with_context(|| format!("{path} is not a valid study"))?;
    if study.design != Design::Randomised {
        anyhow::bail!(
            "{path}: study {} has design = \"{}\": it allocates dose levels by the 3+3 rule, \
             there is no randomisation to simulate",
            study.id,
            study.design
        );
    }
    let n = usize::try_from(args.n).context("--n is too large")?;
    let runs = usize::try_from(args.runs).context("--runs is too large")?;
    let report = simulate(&study, n, runs, args.seed)?;
    let text = if args.json {
        serde_json::to_string(&report).context("writing the report as JSON")? + "\n"
    } else {
        human(&study, &report)
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("writing the report")
}

/// A description of the randomisation, e.g. `permuted blocks of 3 or 6; strata: ais, level,
/// site (24 strata)`.
fn describe(study: &Study, randomisation: &Randomisation) -> String {
    match randomisation {
        Randomisation::PermutedBlocks {
            block_sizes,
            strata,
        } => {
            let sizes: Vec<String> = block_sizes.iter().map(u32::to_string).collect();
            let count = Strata::new(study, strata).len();
            let strata = if strata.is_empty() {
                "no strata".to_owned()
            } else {
                let names: Vec<&str> = strata.iter().map(|f| f.as_str()).collect();
                format!("strata: {} ({count} strata)", names.join(", "))
            };
            format!("permuted blocks of {}; {strata}", sizes.join(" or "))
        }
        Randomisation::Minimisation {
            factors,
            probability,
        } => {
            let factors: Vec<String> = factors
                .iter()
                .map(|f| format!("{} (weight {})", f.factor, f.weight))
                .collect();
            format!(
                "minimisation with probability {probability}; factors: {}",
                factors.join(", ")
            )
        }
    }
}

const NAME_WIDTH: usize = 36;

fn row(out: &mut String, name: &str, participants: f64, imbalance: &Imbalance) {
    let _ = writeln!(
        out,
        "  {name:<NAME_WIDTH$} {participants:>12.1} {:>8.2} {:>8.2} {:>8.2}",
        imbalance.mean, imbalance.p95, imbalance.max
    );
}

fn group_row(out: &mut String, group: &GroupImbalance) {
    let _ = writeln!(
        out,
        "  {:<NAME_WIDTH$} {:>12.1} {:>8.2} {:>8} {:>8.2}",
        group.group, group.participants, group.mean, "", group.max
    );
}

/// The report for people.
fn human(study: &Study, report: &SimulationReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} simulated trials of {} participants (seed {})",
        report.study, report.runs, report.participants, report.seed
    );
    let _ = writeln!(
        out,
        "Randomisation: {}",
        describe(study, &report.randomisation)
    );
    let arms: Vec<String> = report
        .arms
        .iter()
        .map(|a| {
            format!(
                "{} (ratio {}, mean {:.2} participants)",
                a.id, a.ratio, a.participants
            )
        })
        .collect();
    let _ = writeln!(out, "Arms: {}", arms.join(", "));
    out.push('\n');
    let _ = writeln!(
        out,
        "Imbalance at the end of the trial: the range over arms of (participants in the arm / \
         its ratio);\n0 is the exact ratio. Mean, 95th percentile and maximum over the trials."
    );
    out.push('\n');
    let _ = writeln!(
        out,
        "  {:<NAME_WIDTH$} {:>12} {:>8} {:>8} {:>8}",
        "", "participants", "mean", "95%", "max"
    );
    let n = report.participants as f64;
    row(&mut out, "overall", n, &report.overall);
    row(
        &mut out,
        "overall, simple randomisation",
        n,
        &report.simple_overall,
    );
    out.push('\n');
    let _ = writeln!(out, "  per factor level");
    for group in &report.factors {
        group_row(&mut out, group);
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "  per stratum ({} with participants)",
        report.strata.len()
    );
    for group in &report.strata {
        group_row(&mut out, group);
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "Predictability (convergence strategy): {:.3} of allocations guessed right \
         (simple randomisation: {:.3})",
        report.predictability, report.simple_predictability
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn study_path(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../studies")
            .join(name)
    }

    fn args(name: &str) -> SimulateArgs {
        SimulateArgs {
            study: study_path(name),
            n: 60,
            runs: 200,
            seed: 1,
            json: false,
        }
    }

    fn report() -> (Study, SimulationReport) {
        let text = std::fs::read_to_string(study_path("xs228-phase2.toml")).unwrap();
        let study = Study::from_toml(&text).unwrap();
        let report = simulate(&study, 60, 200, 1).unwrap();
        (study, report)
    }

    #[test]
    fn the_readable_report_names_the_design_and_the_measures() {
        let (study, report) = report();
        let text = human(&study, &report);
        assert!(text.starts_with("XS228-P2: 200 simulated trials of 60 participants (seed 1)\n"));
        assert!(text.contains(
            "Randomisation: permuted blocks of 3 or 6; strata: ais, level, site (24 strata)"
        ));
        assert!(text.contains("  overall  "));
        assert!(text.contains("  overall, simple randomisation  "));
        assert!(text.contains("  per stratum (18 with participants)"));
        assert!(text.contains("  AIS A / cervical / SYSU3  "));
        assert!(text.contains("Predictability (convergence strategy): 0."));
    }

    #[test]
    fn a_dose_escalation_study_is_refused_with_a_reason() {
        let e = simulate_command(&args("xs228-phase1.toml")).unwrap_err();
        let message = format!("{e:#}");
        assert!(message.contains("XS228-P1"), "{message}");
        assert!(message.contains("dose-escalation"), "{message}");
        assert!(
            message.contains("no randomisation to simulate"),
            "{message}"
        );
    }

    #[test]
    fn a_missing_or_invalid_file_is_an_error() {
        let e = simulate_command(&args("no-such-study.toml")).unwrap_err();
        assert!(format!("{e:#}").contains("reading "), "{e:#}");
        let path = std::env::temp_dir().join(format!("scitrial-rand-{}.toml", std::process::id()));
        std::fs::write(&path, "schema_version = 1\n").unwrap();
        let mut bad = args("x");
        bad.study = path.clone();
        let e = simulate_command(&bad).unwrap_err();
        let _ = std::fs::remove_file(&path);
        assert!(format!("{e:#}").contains("is not a valid study"), "{e:#}");
    }

    #[test]
    fn minimisation_is_described_with_its_parameters() {
        let (study, _) = report();
        let randomisation = Randomisation::Minimisation {
            factors: vec![trial::WeightedFactor {
                factor: trial::Factor::Site,
                weight: 0.5,
            }],
            probability: 0.8,
        };
        assert_eq!(
            describe(&study, &randomisation),
            "minimisation with probability 0.8; factors: site (weight 0.5)"
        );
    }
}

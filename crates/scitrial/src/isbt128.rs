//! `scitrial isbt128`: ISBT 128 identifiers of the cell product's units, checked by hand or in
//! batch. The rules are `trial::product::isbt128`'s.

use std::io::Write;
use std::process::ExitCode;

use trial::product::isbt128::Din;

/// ISBT 128 identifiers.
#[derive(clap::Subcommand, Debug)]
pub enum Isbt128Command {
    /// Prints the ISO/IEC 7064 MOD 37-2 check character of each donation identification number
    /// (13 characters: facility, year, sequence; spaces ignored), one per line in the order
    /// given. Exit status 2, naming every malformed DIN, when any is malformed: then nothing is
    /// printed on standard output.
    CheckCharacter {
        /// The DINs.
        #[arg(required = true, value_name = "DIN")]
        dins: Vec<String>,
    },
}

/// Runs an `isbt128` command.
pub fn run(cmd: Isbt128Command) -> ExitCode {
    let Isbt128Command::CheckCharacter { dins } = cmd;
    let (parsed, refused): (Vec<_>, Vec<_>) =
        dins.iter().map(|d| Din::parse(d)).partition(Result::is_ok);
    if !refused.is_empty() {
        for e in refused.into_iter().filter_map(Result::err) {
            eprintln!("scitrial isbt128 check-character: {e}");
        }
        return ExitCode::from(2);
    }
    let mut out = std::io::stdout().lock();
    for din in parsed.into_iter().flatten() {
        if writeln!(out, "{}", din.check_character()).is_err() {
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}

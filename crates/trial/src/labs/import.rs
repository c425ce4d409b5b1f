//! A central lab's results file, read all or nothing: every row is checked (its participant
//! and visit as written, its collection time, its test among the study's, its value a
//! plausible number in a unit the test takes) and any problem refuses the whole file, naming
//! the line and the column. The file's SHA-256 identifies it, so a file imported once is not
//! imported again.
//!
//! Columns (any order, header required): `participant` (the subject id), `visit` (a visit id
//! of the schedule), `collected_at` (RFC 3339 with its offset: `2026-03-02T08:30:00+08:00`),
//! `test` (a test code of the study), `value`, `unit` (UCUM), `lab_range` (the lab's printed
//! range, kept as written).

use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::catalogue::TestDef;
use super::csv::{self, at, capped, field};
use super::{assess, Entered, LabsDefinition};
use crate::error::{Problem, Refusal};

/// The columns of a results file.
pub const IMPORT_COLUMNS: &[&str] = &[
    "participant",
    "visit",
    "collected_at",
    "test",
    "value",
    "unit",
    "lab_range",
];

/// The most rows a file may have.
pub const MAX_ROWS: usize = 20_000;

/// The longest text kept of a field.
pub const MAX_FIELD: usize = 200;

/// One row of a results file, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportRow {
    /// Its line in the file.
    pub line: usize,
    /// The participant's subject id, as written.
    pub participant: String,
    /// The visit id.
    pub visit: String,
    /// When the sample was taken.
    pub collected_at: OffsetDateTime,
    /// The test.
    pub test: &'static TestDef,
    /// The value as written.
    pub value: String,
    /// Its unit as written.
    pub unit: String,
    /// The lab's printed range.
    pub lab_range: String,
}

/// The SHA-256 (hex) of a file's bytes: the identity of an import.
pub fn digest(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// A problem at a line's column.
pub fn problem(line: usize, column: &str, message: impl Into<String>) -> Problem {
    Problem {
        path: at(line, column),
        message: message.into(),
    }
}

/// An instant written in RFC 3339.
pub fn parse_instant(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text.trim(), &Rfc3339).ok()
}

/// Reads a results file against the study's tests and visits; `now` refuses a collection in
/// the future. Every row, or every problem (capped at [`csv::MAX_PROBLEMS`]).
pub fn read_results(
    text: &str,
    labs: &LabsDefinition,
    visits: &[&str],
    now: OffsetDateTime,
) -> Result<Vec<ImportRow>, Vec<Problem>> {
    let records = csv::records(text).map_err(capped)?;
    let Some((header, rows)) = records.split_first() else {
        return Err(vec![Problem {
            path: "line 1".into(),
            message: format!("the file is empty (columns: {})", IMPORT_COLUMNS.join(", ")),
        }]);
    };
    let cols = csv::columns(header, IMPORT_COLUMNS)?;
    if rows.is_empty() {
        return Err(vec![problem(
            header.line,
            "file",
            "has no results after its header",
        )]);
    }
    if rows.len() > MAX_ROWS {
        return Err(vec![problem(
            header.line,
            "file",
            format!("has {} rows; at most {MAX_ROWS} a file", rows.len()),
        )]);
    }
    let mut out: Vec<ImportRow> = Vec::new();
    let mut problems = Vec::new();
    for row in rows {
        let get = |i: usize| cols.get(i).map_or("", |p| field(row, *p));
        let line = row.line;
        let before = problems.len();
        for (i, name) in IMPORT_COLUMNS.iter().enumerate() {
            if get(i).chars().count() > MAX_FIELD {
                problems.push(problem(
                    line,
                    name,
                    format!("is over {MAX_FIELD} characters"),
                ));
            }
        }
        if row.fields.len() != header.fields.len() {
            problems.push(problem(
                line,
                "file",
                format!(
                    "has {} fields; the header has {}",
                    row.fields.len(),
                    header.fields.len()
                ),
            ));
        }
        let participant = get(0);
        if participant.is_empty() {
            problems.push(problem(line, "participant", "is required: the subject id"));
        }
        let visit = get(1);
        if !visits.contains(&visit) {
            problems.push(problem(
                line,
                "visit",
                format!(
                    "{visit:?} is not a visit of this study (visits: {})",
                    visits.join(", ")
                ),
            ));
        }
        let collected_at = parse_instant(get(2));
        match collected_at {
            None => problems.push(problem(
                line,
                "collected_at",
                format!(
                    "{:?} is not a time in RFC 3339 with its offset (2026-03-02T08:30:00+08:00)",
                    get(2)
                ),
            )),
            Some(t) if t > now => {
                problems.push(problem(line, "collected_at", "is in the future"));
            }
            Some(_) => {}
        }
        let test = match labs.test("test", get(3)) {
            Ok(t) => Some(t),
            Err(refusal) => {
                problems.push(at_line(line, refusal));
                None
            }
        };
        let (value, unit) = (get(4), get(5));
        if let Some(test) = test {
            if let Err(refusal) = assess(test, Entered { value, unit }, None, None) {
                problems.push(at_line(line, refusal));
            }
        }
        if problems.len() > before {
            continue;
        }
        let (Some(collected_at), Some(test)) = (collected_at, test) else {
            continue;
        };
        if let Some(first) = out.iter().find(|r| {
            r.participant == participant
                && r.test.code == test.code
                && r.collected_at == collected_at
        }) {
            problems.push(problem(
                line,
                "test",
                format!(
                    "repeats line {} (the same participant, test and collection time)",
                    first.line
                ),
            ));
            continue;
        }
        out.push(ImportRow {
            line,
            participant: participant.to_string(),
            visit: visit.to_string(),
            collected_at,
            test,
            value: value.to_string(),
            unit: unit.to_string(),
            lab_range: get(6).to_string(),
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(capped(problems))
    }
}

/// A refusal of a row's field as the row's problem.
pub fn at_line(line: usize, refusal: Refusal) -> Problem {
    match refusal {
        Refusal::Invalid { field, message } | Refusal::Conflict { field, message } => {
            problem(line, &field, message)
        }
    }
}

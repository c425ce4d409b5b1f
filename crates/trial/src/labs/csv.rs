//! A small CSV reader for the laboratory files (normal ranges, a central lab's results):
//! comma-separated fields, each optionally in double quotes (`""` for a quote inside), one
//! record per line (`\n` or `\r\n`), blank lines skipped. A quoted field may not run past its
//! line. It never panics, whatever the bytes (fuzzed in the `trial` tests).

use crate::error::Problem;

/// The most problems a file's report lists; beyond them it says how many more there were.
pub const MAX_PROBLEMS: usize = 50;

/// A record of a file: its line number (from 1) and its fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The line it is on, counted from 1.
    pub line: usize,
    /// Its fields, as written (unquoted).
    pub fields: Vec<String>,
}

/// `line N: field` as a problem's path.
pub fn at(line: usize, field: &str) -> String {
    format!("line {line}: {field}")
}

/// The records of `text`, or the lines that are not CSV.
pub fn records(text: &str) -> Result<Vec<Record>, Vec<Problem>> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line = i + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if raw.trim().is_empty() {
            continue;
        }
        match fields(raw) {
            Ok(fields) => out.push(Record { line, fields }),
            Err(message) => problems.push(Problem {
                path: format!("line {line}"),
                message,
            }),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

fn fields(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err("a quoted field is not closed on its line".into()),
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(',') => fields.push(field),
                Some(c) => {
                    return Err(format!(
                        "field {} has {c:?} after its closing quote (expected a comma)",
                        fields.len() + 1
                    ))
                }
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field.trim().to_string());
                        return Ok(fields);
                    }
                    Some(',') => break,
                    Some('"') => {
                        return Err(format!(
                            "field {} has a quote inside an unquoted value",
                            fields.len() + 1
                        ))
                    }
                    Some(c) => field.push(c),
                }
            }
            fields.push(field.trim().to_string());
        }
    }
}

/// The columns of a header record, each found once among `expected` (any order); problems
/// name line 1's unknown, repeated and missing columns.
pub fn columns(header: &Record, expected: &[&str]) -> Result<Vec<usize>, Vec<Problem>> {
    let mut problems = Vec::new();
    let names: Vec<String> = header
        .fields
        .iter()
        .map(|f| f.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    for (i, name) in names.iter().enumerate() {
        if !expected.contains(&name.as_str()) {
            problems.push(Problem {
                path: at(header.line, &format!("column {}", i + 1)),
                message: format!(
                    "{name:?} is not a column of this file (columns: {})",
                    expected.join(", ")
                ),
            });
        } else if names[..i].contains(name) {
            problems.push(Problem {
                path: at(header.line, name),
                message: "is named twice".into(),
            });
        }
    }
    let mut positions = Vec::new();
    for column in expected {
        match names.iter().position(|n| n == column) {
            Some(p) => positions.push(p),
            None => problems.push(Problem {
                path: at(header.line, column),
                message: format!("the column is missing (columns: {})", expected.join(", ")),
            }),
        }
    }
    if problems.is_empty() {
        Ok(positions)
    } else {
        Err(problems)
    }
}

/// The field of a record at a column position ("" when the record is short).
pub fn field(record: &Record, position: usize) -> &str {
    record.fields.get(position).map_or("", |f| f.trim())
}

/// A decimal number as a lab writes it (`4.5`, `-0.2`, `1e3` refused: digits, one point and a
/// sign only), or `None`.
pub fn decimal(text: &str) -> Option<f64> {
    let t = text.trim();
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    let ok = !digits.is_empty()
        && digits.len() <= 20
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().filter(|b| *b == b'.').count() <= 1
        && digits.bytes().any(|b| b.is_ascii_digit());
    if ok {
        t.parse::<f64>().ok().filter(|v| v.is_finite())
    } else {
        None
    }
}

/// Caps a report at [`MAX_PROBLEMS`], saying how many were left off.
pub fn capped(mut problems: Vec<Problem>) -> Vec<Problem> {
    if problems.len() > MAX_PROBLEMS {
        let more = problems.len() - MAX_PROBLEMS;
        problems.truncate(MAX_PROBLEMS);
        problems.push(Problem {
            path: "file".into(),
            message: format!("{more} more problems not listed"),
        });
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_and_line_numbers() {
        let text = "a,b\r\n\n\"x, y\",\"say \"\"hi\"\"\"\n 1 ,2\n";
        let r = records(text).unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r[1].line, 3);
        assert_eq!(r[1].fields, vec!["x, y", "say \"hi\""]);
        assert_eq!(r[2].fields, vec!["1", "2"]);
        assert_eq!(records("a,\"b\n").unwrap_err()[0].path, "line 1");
        assert!(records("a,b\"c\n").is_err());
        assert!(records("\"a\"b\n").is_err());
        assert_eq!(records("a,").unwrap()[0].fields, vec!["a", ""]);
    }

    #[test]
    fn decimals() {
        assert_eq!(decimal("4.5"), Some(4.5));
        assert_eq!(decimal(" -0.2 "), Some(-0.2));
        assert_eq!(decimal("1e3"), None);
        assert_eq!(decimal("."), None);
        assert_eq!(decimal("1.2.3"), None);
        assert_eq!(decimal("NaN"), None);
        assert_eq!(decimal(""), None);
    }

    #[test]
    fn header_columns_any_order() {
        let header = &records("B,a\n").unwrap()[0];
        assert_eq!(columns(header, &["a", "b"]).unwrap(), vec![1, 0]);
        let bad = &records("a,c,a\n").unwrap()[0];
        let problems = columns(bad, &["a", "b"]).unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, vec!["line 1: column 2", "line 1: a", "line 1: b"]);
    }
}

//! SAS transport files, version 5 (SAS Institute's TS-140 layout), one dataset per file as
//! FDA and CDE ask for SDTM.
//!
//! The file is a stream of 80-byte records: a library header, a member header and descriptor,
//! one 140-byte NAMESTR per variable, then the observations back to back, each variable at a
//! fixed offset; the last record is padded with blanks. Numbers are 8-byte IBM System/360
//! floating point (base 16, excess-64 exponent, 56-bit fraction): every finite IEEE 754 double
//! from about 5.4 × 10⁻⁷⁹ to 7.2 × 10⁷⁵ in magnitude converts exactly, since hex normalisation
//! costs at most 3 of the 56 bits and a double has 53. A missing number is `.` followed by
//! zeros. Text is written as its bytes, blank-padded to the variable's length.
//!
//! [`write_dataset`] checks the whole dataset before writing a byte, so a refused dataset
//! leaves nothing half-written: names of 1 to 8 capitals, digits and `_` (not starting with a
//! digit), unique; labels of at most 40 printable ASCII characters; text lengths 1 to 200
//! bytes and every value within its variable's length; numbers finite and within IBM range;
//! every record with one value per variable, each of the variable's type.

use std::fmt;
use std::io::{self, Write};

use time::{Month, OffsetDateTime};

pub mod spill;

/// The longest name of a dataset or variable.
pub const MAX_NAME: usize = 8;
/// The longest label.
pub const MAX_LABEL: usize = 40;
/// The longest text value, in bytes.
pub const MAX_TEXT: usize = 200;
/// Bytes of one NAMESTR.
const NAMESTR: usize = 140;
/// Bytes of one record.
const RECORD: usize = 80;
/// The largest magnitude IBM double precision holds (16⁶³ × (1 − 16⁻¹⁴)).
pub const IBM_MAX: f64 = 7.237_005_577_332_262e75;

/// A variable's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// 8-byte IBM floating point.
    Number,
    /// Text of a fixed byte length (1 to 200).
    Text(usize),
}

/// One column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variable {
    /// 1 to 8 of `A-Z`, `0-9`, `_`, not starting with a digit.
    pub name: String,
    /// Up to 40 printable ASCII characters.
    pub label: String,
    /// Number or text with its length.
    pub kind: Kind,
    /// A SAS format name for readers (e.g. `DATE9`, empty for none), up to 8 characters.
    pub format: String,
}

impl Variable {
    /// A numeric variable.
    pub fn number(name: &str, label: &str) -> Variable {
        Variable {
            name: name.into(),
            label: label.into(),
            kind: Kind::Number,
            format: String::new(),
        }
    }

    /// A text variable of `length` bytes.
    pub fn text(name: &str, label: &str, length: usize) -> Variable {
        Variable {
            name: name.into(),
            label: label.into(),
            kind: Kind::Text(length),
            format: String::new(),
        }
    }

    fn length(&self) -> usize {
        match self.kind {
            Kind::Number => 8,
            Kind::Text(n) => n,
        }
    }
}

/// One value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A number.
    Number(f64),
    /// A missing number (SAS `.`).
    Missing,
    /// Text (empty for missing).
    Text(String),
}

/// A dataset: its name, label, variables and records.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// 1 to 8 of `A-Z`, `0-9`, `_` (SDTM: the domain, e.g. `DM`).
    pub name: String,
    /// Up to 40 printable ASCII characters.
    pub label: String,
    /// The columns, in order.
    pub variables: Vec<Variable>,
    /// The records, each one value per variable.
    pub records: Vec<Vec<Value>>,
}

/// What is wrong, and where.
#[derive(Debug, thiserror::Error)]
pub enum XptError {
    /// A dataset, variable or value that does not fit the format.
    #[error("{0}")]
    Invalid(Problem),
    /// Writing failed.
    #[error("writing the transport file: {0}")]
    Io(#[from] io::Error),
}

/// A value or name that does not fit: the dataset, the variable (if one), the record (from 1,
/// if one) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The dataset's name as given.
    pub dataset: String,
    /// The variable's name as given.
    pub variable: Option<String>,
    /// The record, counted from 1.
    pub record: Option<usize>,
    /// What is wrong, with what is allowed.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "dataset {}", self.dataset)?;
        if let Some(v) = &self.variable {
            write!(f, ", variable {v}")?;
        }
        if let Some(r) = self.record {
            write!(f, ", record {r}")?;
        }
        write!(f, ": {}", self.message)
    }
}

fn name_problem(name: &str) -> Option<String> {
    let ok_chars = name
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    let starts_ok = name.bytes().next().is_some_and(|b| !b.is_ascii_digit());
    if (1..=MAX_NAME).contains(&name.len()) && ok_chars && starts_ok {
        None
    } else {
        Some(format!(
            "name {name:?} must be 1 to {MAX_NAME} of A-Z, 0-9 and _, not starting with a digit"
        ))
    }
}

fn label_problem(what: &str, label: &str) -> Option<String> {
    if label.len() > MAX_LABEL {
        Some(format!(
            "{what} {label:?} is {} characters; at most {MAX_LABEL}",
            label.chars().count()
        ))
    } else if !label.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        Some(format!(
            "{what} {label:?} must be printable ASCII (Chinese labels go in Define-XML)"
        ))
    } else {
        None
    }
}

/// Checks everything before a byte is written.
pub fn check(ds: &Dataset) -> Result<(), Problem> {
    let at = |variable: Option<&str>, record: Option<usize>, message: String| Problem {
        dataset: ds.name.clone(),
        variable: variable.map(str::to_owned),
        record,
        message,
    };
    if let Some(m) = name_problem(&ds.name).or_else(|| label_problem("label", &ds.label)) {
        return Err(at(None, None, m));
    }
    if ds.variables.is_empty() || ds.variables.len() > 9999 {
        return Err(at(None, None, "must have 1 to 9,999 variables".into()));
    }
    for (i, v) in ds.variables.iter().enumerate() {
        let problem = name_problem(&v.name)
            .or_else(|| label_problem("label", &v.label))
            .or_else(|| {
                (v.format.len() > MAX_NAME
                    || !v
                        .format
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_'))
                .then(|| format!("format {:?} must be up to 8 letters, digits or _", v.format))
            })
            .or_else(|| match v.kind {
                Kind::Text(n) if !(1..=MAX_TEXT).contains(&n) => {
                    Some(format!("text length {n} must be 1 to {MAX_TEXT} bytes"))
                }
                _ => None,
            })
            .or_else(|| {
                ds.variables[..i]
                    .iter()
                    .any(|w| w.name == v.name)
                    .then(|| "the name is used twice".to_owned())
            });
        if let Some(m) = problem {
            return Err(at(Some(&v.name), None, m));
        }
    }
    for (r, record) in ds.records.iter().enumerate() {
        let n = Some(r + 1);
        if record.len() != ds.variables.len() {
            return Err(at(
                None,
                n,
                format!(
                    "{} values for {} variables",
                    record.len(),
                    ds.variables.len()
                ),
            ));
        }
        for (v, value) in ds.variables.iter().zip(record) {
            let problem = match (v.kind, value) {
                (Kind::Number, Value::Number(x)) if !x.is_finite() => {
                    Some(format!("{x} is not a finite number (use Missing for none)"))
                }
                (Kind::Number, Value::Number(x)) if x.abs() > IBM_MAX => Some(format!(
                    "{x} is beyond the transport format's range (±{IBM_MAX:e})"
                )),
                (Kind::Number, Value::Number(_) | Value::Missing) => None,
                (Kind::Number, Value::Text(t)) => {
                    Some(format!("the text {t:?} in a numeric variable"))
                }
                (Kind::Text(len), Value::Text(t)) if t.len() > len => Some(format!(
                    "{:?} is {} bytes; the variable holds {len} (at most {MAX_TEXT})",
                    t,
                    t.len()
                )),
                (Kind::Text(_), Value::Text(_)) => None,
                (Kind::Text(_), _) => Some("a number in a text variable".to_owned()),
            };
            if let Some(m) = problem {
                return Err(at(Some(&v.name), n, m));
            }
        }
    }
    Ok(())
}

/// The 8 bytes of `x` in IBM double precision. `x` must be finite and at most [`IBM_MAX`] in
/// magnitude ([`check`] makes sure); smaller than IBM's least normal number, it is written as 0.
pub fn ibm_double(x: f64) -> [u8; 8] {
    let bits = x.to_bits();
    let sign = ((bits >> 63) as u8) << 7;
    let exp = ((bits >> 52) & 0x7ff) as i32;
    if exp == 0 || !x.is_finite() {
        return [0; 8]; // zero, or IEEE subnormal: far below IBM's range
    }
    // value = m · 2^(exp − 1075) with m in [2^52, 2^53). Shift m up by 3, then down by k so
    // that the binary exponent is a multiple of 4: IBM's value is f · 16^(e − 64) with the
    // 56-bit fraction f = m' / 2^56.
    let m = ((bits & 0x000f_ffff_ffff_ffff) | (1 << 52)) << 3;
    let k = (4 - (exp - 766).rem_euclid(4)) % 4;
    let fraction = m >> k; // exact: m has its low 3 bits zero
    let e = (exp - 766 + k) / 4;
    if e < 0 {
        return [0; 8];
    }
    let e = e.min(127) as u8;
    let mut out = [0u8; 8];
    out[0] = sign | e;
    out[1..].copy_from_slice(&fraction.to_be_bytes()[1..]);
    out
}

/// A SAS date (days since 1960-01-01) for a calendar date.
pub fn sas_date(date: time::Date) -> f64 {
    let epoch = time::Date::from_calendar_date(1960, Month::January, 1).expect("valid date");
    (date - epoch).whole_days() as f64
}

fn pad(text: &str, width: usize) -> Vec<u8> {
    let mut b = text.as_bytes().to_vec();
    b.resize(width, b' ');
    b
}

fn stamp(t: OffsetDateTime) -> String {
    let month = [
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ][usize::from(u8::from(t.month())) - 1];
    format!(
        "{:02}{month}{:02}:{:02}:{:02}:{:02}",
        t.day(),
        t.year().rem_euclid(100),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn header(kind: &str, numbers: &str) -> Vec<u8> {
    let r = format!("HEADER RECORD*******{kind:<8}HEADER RECORD!!!!!!!{numbers:0<30}  ");
    debug_assert_eq!(r.len(), RECORD);
    r.into_bytes()
}

fn namestr(v: &Variable, number: usize, position: usize) -> Vec<u8> {
    let mut b = Vec::with_capacity(NAMESTR);
    let short = |b: &mut Vec<u8>, n: usize| b.extend_from_slice(&(n as u16).to_be_bytes());
    short(&mut b, if v.kind == Kind::Number { 1 } else { 2 });
    short(&mut b, 0); // hash of the name: unused
    short(&mut b, v.length());
    short(&mut b, number);
    b.extend(pad(&v.name, 8));
    b.extend(pad(&v.label, 40));
    b.extend(pad(&v.format, 8));
    short(&mut b, 0); // format length
    short(&mut b, 0); // format decimals
    short(&mut b, 0); // justification: left
    b.extend([0, 0]);
    b.extend(pad("", 8)); // informat
    short(&mut b, 0);
    short(&mut b, 0);
    b.extend_from_slice(&(position as u32).to_be_bytes());
    b.resize(NAMESTR, 0);
    b
}

/// Writes `ds` as one transport file created (and last modified) at `created`. Nothing is
/// written when the dataset does not fit the format.
pub fn write_dataset<W: Write>(
    out: W,
    ds: &Dataset,
    created: OffsetDateTime,
) -> Result<(), XptError> {
    check(ds).map_err(XptError::Invalid)?;
    let mut out = io::BufWriter::new(out);
    out.write_all(&head(&ds.name, &ds.label, &ds.variables, created))?;
    let mut written = 0usize;
    let mut row = Vec::new();
    for record in &ds.records {
        row.clear();
        for (v, value) in ds.variables.iter().zip(record) {
            match value {
                Value::Text(t) => text(&mut row, t.as_bytes(), v.length()),
                number => row.extend(number_bytes(number)),
            }
        }
        out.write_all(&row)?;
        written += row.len();
    }
    out.write_all(&tail(written))?;
    out.flush()?;
    Ok(())
}

/// The headers of a file of dataset `name` with its label and variables, up to the first
/// observation (the variables' lengths must be known: they are in the NAMESTRs).
pub(crate) fn head(
    name: &str,
    label: &str,
    variables: &[Variable],
    created: OffsetDateTime,
) -> Vec<u8> {
    let when = stamp(created);
    let mut head = Vec::new();
    head.extend(header("LIBRARY", ""));
    head.extend(pad("SAS     SAS     SASLIB  9.4     X64_SRV ", 64));
    head.extend(when.as_bytes());
    head.extend(pad(&when, RECORD));
    head.extend(header("MEMBER", "000000000000000001600000000140"));
    head.extend(header("DSCRPTR", ""));
    head.extend(pad(
        &format!("SAS     {name:<8}SASDATA 9.4     X64_SRV "),
        64,
    ));
    head.extend(when.as_bytes());
    head.extend(pad(&when, 32));
    head.extend(pad(label, 40));
    head.extend(pad("", 8));
    head.extend(header("NAMESTR", &format!("000000{:04}", variables.len())));
    let mut position = 0;
    for (i, v) in variables.iter().enumerate() {
        head.extend(namestr(v, i + 1, position));
        position += v.length();
    }
    let padded = head.len().div_ceil(RECORD) * RECORD;
    head.resize(padded, b' ');
    head.extend(header("OBS", ""));
    head
}

/// The 8 bytes of a number in an observation: IBM double precision, or `.` and zeros for a
/// missing one. Text is not a number: it is written by [`text`].
pub(crate) fn number_bytes(value: &Value) -> [u8; 8] {
    match value {
        Value::Number(x) => ibm_double(*x),
        _ => [b'.', 0, 0, 0, 0, 0, 0, 0],
    }
}

/// Appends text to an observation, blank-padded to `width` bytes (as `pad` gives it, without a
/// buffer of its own for each value).
pub(crate) fn text(row: &mut Vec<u8>, bytes: &[u8], width: usize) {
    let kept = &bytes[..bytes.len().min(width)];
    row.extend_from_slice(kept);
    row.resize(row.len() + width - kept.len(), b' ');
}

/// The blanks that end a file after `written` bytes of observations, up to a whole record.
pub(crate) fn tail(written: usize) -> Vec<u8> {
    vec![b' '; (RECORD - written % RECORD) % RECORD]
}

#[cfg(test)]
mod tests;

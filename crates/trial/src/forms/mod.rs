//! Electronic case report forms: what is entered on a form, checked and scored.
//!
//! Pure functions over a [`FormDef`] of the study definition and the values entered, as a JSON
//! object of field ids to values. Every problem is reported, each as a [`FieldIssue`] naming the
//! field and what it accepts; nothing stops at the first problem.
//!
//! - [`validate_form`]: the kinds whose fields the definition gives (`vital-signs`,
//!   `concomitant-medication`, `generic`), into typed [`FormData`]. Its documentation says how
//!   values are read; [`CROSS_FIELD_RULES`] lists the checks that relate two fields.
//! - [`Scim3`]: the Spinal Cord Independence Measure III, its 19 items, subscales and total.
//! - [`Wisci2`]: the Walking Index for Spinal Cord Injury II, levels 0–20.
//! - [`score_form`]: any of these by the form's kind, as normalised JSON with the computed
//!   scores; [`score_form_text`] does the same from the JSON text of a request body and also
//!   rejects a key given twice. ISNCSCI exams are read by the `isncsci` crate, not here.
//!
//! The module is private; everything public is re-exported at the crate root, where these
//! documents are read.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, Serializer};
use serde_json::{Map, Value};
use time::{Date, Month};

use crate::study::{FieldDef, FieldType, FormDef, FormKind};

mod scim3;
mod score;
mod sourced;
mod wisci2;

pub use scim3::*;
pub use score::*;
pub use sourced::*;
pub use wisci2::*;

/// The longest text accepted in a `text` field, in characters (Unicode scalar values).
pub const MAX_TEXT_CHARS: usize = 2000;

/// Whole numbers beyond this magnitude are not exactly representable as JSON numbers read as
/// floating point (2^53), so a number written with a fraction is only taken as a whole number
/// within it.
const MAX_EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;

// ---------------------------------------------------------------------------------------------
// Issues and values
// ---------------------------------------------------------------------------------------------

/// One problem with what was entered on a form.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FieldIssue {
    /// The field id or item id as entered (for an unknown key, the key itself). Empty when
    /// the problem concerns the form as a whole, such as text that is not a JSON object.
    pub field: String,
    /// What is wrong, naming the values the field accepts.
    pub message: String,
}

impl FieldIssue {
    fn new(field: impl Into<String>, message: impl Into<String>) -> FieldIssue {
        FieldIssue {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

/// A field's value, typed by the field's definition.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldValue {
    /// An `integer` field's value.
    Integer(i64),
    /// A `decimal` field's value (finite; never `-0.0`).
    Decimal(f64),
    /// A `text` field's value, trimmed, never empty.
    Text(String),
    /// A `date` field's value.
    Date(Date),
    /// A `choice` field's value: one of the field's options.
    Choice(String),
    /// A `boolean` field's value.
    Boolean(bool),
    /// No value (an optional field left empty).
    Missing,
}

impl FieldValue {
    /// True for [`FieldValue::Missing`].
    pub fn is_missing(&self) -> bool {
        matches!(self, FieldValue::Missing)
    }

    /// The value as a number, for `Integer` and `Decimal`.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            // Exact up to 2^53, beyond any real field; rounded (never reordered) above.
            FieldValue::Integer(n) => Some(*n as f64),
            FieldValue::Decimal(x) => Some(*x),
            _ => None,
        }
    }

    /// The canonical JSON of the value: integers as JSON integers, decimals as JSON numbers
    /// (`10.0` for ten), text and choices as strings, dates as `"YYYY-MM-DD"`, booleans as
    /// JSON booleans, and `null` for no value.
    pub fn to_json(&self) -> Value {
        match self {
            FieldValue::Integer(n) => Value::from(*n),
            FieldValue::Decimal(x) => Value::from(*x),
            FieldValue::Text(s) | FieldValue::Choice(s) => Value::String(s.clone()),
            FieldValue::Date(d) => Value::String(date_text(*d)),
            FieldValue::Boolean(b) => Value::Bool(*b),
            FieldValue::Missing => Value::Null,
        }
    }
}

impl fmt::Display for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldValue::Integer(n) => write!(f, "{n}"),
            FieldValue::Decimal(x) => write!(f, "{x}"),
            FieldValue::Text(s) | FieldValue::Choice(s) => f.write_str(s),
            FieldValue::Date(d) => f.write_str(&date_text(*d)),
            FieldValue::Boolean(b) => write!(f, "{b}"),
            FieldValue::Missing => f.write_str("no value"),
        }
    }
}

impl Serialize for FieldValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

/// The validated values of a form with fields: one per field of the definition, in the
/// definition's order, [`FieldValue::Missing`] for an optional field left empty.
#[derive(Clone, Debug, PartialEq)]
pub struct FormData {
    form_id: String,
    values: Vec<(String, FieldValue)>,
}

impl FormData {
    /// The id of the form the values were validated against.
    pub fn form_id(&self) -> &str {
        &self.form_id
    }

    /// The value of a field (`None` when the form has no such field).
    pub fn get(&self, field: &str) -> Option<&FieldValue> {
        self.values
            .iter()
            .find(|(id, _)| id == field)
            .map(|(_, v)| v)
    }

    /// Field ids and values, in the order of the form definition.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &FieldValue)> + '_ {
        self.values.iter().map(|(id, v)| (id.as_str(), v))
    }

    /// The canonical JSON object: every field of the form, keys in lexicographic order, each
    /// value as [`FieldValue::to_json`] writes it (`null` for no value). The same data always
    /// gives the same text.
    pub fn to_json(&self) -> Value {
        let mut sorted: Vec<&(String, FieldValue)> = self.values.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        let mut map = Map::new();
        for (id, value) in sorted {
            map.insert(id.clone(), value.to_json());
        }
        Value::Object(map)
    }
}

impl Serialize for FormData {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

// ---------------------------------------------------------------------------------------------
// Reading single values
// ---------------------------------------------------------------------------------------------

/// A value as entered, with "no value" already told apart.
enum Entered<'a> {
    Nothing,
    Given(&'a Value),
}

fn entered(value: Option<&Value>) -> Entered<'_> {
    match value {
        None | Some(Value::Null) => Entered::Nothing,
        Some(Value::String(s)) if s.trim().is_empty() => Entered::Nothing,
        Some(v) => Entered::Given(v),
    }
}

/// How a value that was not accepted is shown in a message: JSON, strings quoted and cut to
/// a readable length.
fn shown(value: &Value) -> String {
    const LONGEST: usize = 40;
    match value {
        Value::String(s) => {
            let s = s.trim();
            if s.chars().count() > LONGEST {
                let cut: String = s.chars().take(LONGEST).collect();
                format!("{}…", Value::String(cut))
            } else {
                Value::String(s.to_owned()).to_string()
            }
        }
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "an object".to_owned(),
        other => other.to_string(),
    }
}

/// True for `-?[0-9]+(\.[0-9]+)?`.
fn is_plain_number(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    all_digits(whole) && fraction.is_none_or(all_digits)
}

/// Why a number was not read.
enum NumberProblem {
    NotANumber,
    NotWhole,
    TooLarge,
}

fn read_decimal(value: &Value) -> Result<f64, NumberProblem> {
    let x = match value {
        Value::Number(n) => n.as_f64().ok_or(NumberProblem::TooLarge)?,
        Value::String(s) => {
            let s = s.trim();
            if !is_plain_number(s) {
                return Err(NumberProblem::NotANumber);
            }
            s.parse::<f64>().map_err(|_| NumberProblem::NotANumber)?
        }
        _ => return Err(NumberProblem::NotANumber),
    };
    if !x.is_finite() {
        return Err(NumberProblem::TooLarge);
    }
    // -0.0 and 0.0 are the same value; keep one spelling.
    Ok(if x == 0.0 { 0.0 } else { x })
}

fn read_integer(value: &Value) -> Result<i64, NumberProblem> {
    let whole_float = |x: f64| {
        if x.fract() != 0.0 {
            Err(NumberProblem::NotWhole)
        } else if x.abs() > MAX_EXACT_INTEGER {
            Err(NumberProblem::TooLarge)
        } else {
            // Whole and within ±2^53: the conversion is exact.
            Ok(x as i64)
        }
    };
    match value {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(i)
            } else if n.is_u64() {
                Err(NumberProblem::TooLarge)
            } else {
                whole_float(n.as_f64().ok_or(NumberProblem::TooLarge)?)
            }
        }
        Value::String(s) => {
            let s = s.trim();
            if !is_plain_number(s) {
                Err(NumberProblem::NotANumber)
            } else if s.contains('.') {
                whole_float(s.parse::<f64>().map_err(|_| NumberProblem::NotANumber)?)
            } else {
                s.parse::<i64>().map_err(|_| NumberProblem::TooLarge)
            }
        }
        _ => Err(NumberProblem::NotANumber),
    }
}

/// `YYYY-MM-DD` with a four-digit year, a date of the calendar.
fn parse_date(s: &str) -> Option<Result<Date, ()>> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return None;
    }
    let year: i32 = s[0..4].parse().ok()?;
    let month: u8 = s[5..7].parse().ok()?;
    let day: u8 = s[8..10].parse().ok()?;
    let date = Month::try_from(month)
        .ok()
        .and_then(|m| Date::from_calendar_date(year, m, day).ok());
    Some(date.ok_or(()))
}

fn date_text(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// `" mmHg"` for a field with a unit, `""` otherwise.
fn unit_suffix(field: &FieldDef) -> String {
    field
        .unit
        .as_deref()
        .map(|u| format!(" {u}"))
        .unwrap_or_default()
}

/// The allowed range of a numeric field in words (`" from 50 to 250 mmHg"`), empty when the
/// field has no bounds.
fn range_words(field: &FieldDef) -> String {
    let unit = unit_suffix(field);
    match (field.min, field.max) {
        (Some(min), Some(max)) => format!(" from {min} to {max}{unit}"),
        (Some(min), None) => format!(" of at least {min}{unit}"),
        (None, Some(max)) => format!(" of at most {max}{unit}"),
        (None, None) if !unit.is_empty() => format!(" in{unit}"),
        (None, None) => String::new(),
    }
}

/// What a field accepts, in words, as it completes "must be …" and "is required: …".
fn expectation(field: &FieldDef) -> String {
    match field.field_type {
        FieldType::Integer => format!("a whole number{}", range_words(field)),
        FieldType::Decimal => format!("a number{}", range_words(field)),
        FieldType::Text => format!("text of at most {MAX_TEXT_CHARS} characters"),
        FieldType::Date => "a date written YYYY-MM-DD (e.g. 2026-03-02)".to_owned(),
        FieldType::Choice => format!("one of {}", quoted_list(&field.options)),
        FieldType::Boolean => "true or false".to_owned(),
    }
}

fn quoted_list(options: &[String]) -> String {
    options
        .iter()
        .map(|o| Value::String(o.clone()).to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks a number against the field's inclusive bounds.
fn check_range(field: &FieldDef, x: f64, shown_value: &str) -> Result<(), String> {
    let unit = unit_suffix(field);
    let bounds = match (field.min, field.max) {
        (Some(min), Some(max)) if x < min || x > max => format!("from {min} to {max}{unit}"),
        (Some(min), None) if x < min => format!("at least {min}{unit}"),
        (None, Some(max)) if x > max => format!("at most {max}{unit}"),
        _ => return Ok(()),
    };
    Err(format!("must be {bounds}, found {shown_value}{unit}"))
}

/// Reads one field's value. `Ok(Missing)` when nothing was entered.
fn read_field(field: &FieldDef, value: Option<&Value>) -> Result<FieldValue, String> {
    let value = match entered(value) {
        Entered::Nothing => return Ok(FieldValue::Missing),
        Entered::Given(v) => v,
    };
    let wrong = || format!("must be {}, found {}", expectation(field), shown(value));
    match field.field_type {
        FieldType::Integer => match read_integer(value) {
            Ok(n) => {
                // Exact up to 2^53; a larger value rounds but stays beyond any real bound.
                check_range(field, n as f64, &n.to_string())?;
                Ok(FieldValue::Integer(n))
            }
            Err(NumberProblem::TooLarge) => Err(format!(
                "is too large: must be {}, found {}",
                expectation(field),
                shown(value)
            )),
            Err(_) => Err(wrong()),
        },
        FieldType::Decimal => match read_decimal(value) {
            Ok(x) => {
                check_range(field, x, &x.to_string())?;
                Ok(FieldValue::Decimal(x))
            }
            Err(_) => Err(wrong()),
        },
        FieldType::Text => {
            let Value::String(s) = value else {
                return Err(wrong());
            };
            let s = s.trim();
            let chars = s.chars().count();
            if chars > MAX_TEXT_CHARS {
                return Err(format!(
                    "is too long: at most {MAX_TEXT_CHARS} characters, found {chars}"
                ));
            }
            if s.chars()
                .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
            {
                return Err(
                    "must not contain control characters other than tabs and line breaks"
                        .to_owned(),
                );
            }
            Ok(FieldValue::Text(s.to_owned()))
        }
        FieldType::Date => {
            let Value::String(s) = value else {
                return Err(wrong());
            };
            match parse_date(s.trim()) {
                Some(Ok(d)) => Ok(FieldValue::Date(d)),
                Some(Err(())) => Err(format!(
                    "is not a date of the calendar: must be {}, found {}",
                    expectation(field),
                    shown(value)
                )),
                None => Err(wrong()),
            }
        }
        FieldType::Choice => {
            let Value::String(s) = value else {
                return Err(wrong());
            };
            let s = s.trim();
            match field.options.iter().find(|o| o.as_str() == s) {
                Some(o) => Ok(FieldValue::Choice(o.clone())),
                None => Err(wrong()),
            }
        }
        FieldType::Boolean => match value {
            Value::Bool(b) => Ok(FieldValue::Boolean(*b)),
            Value::String(s) if s.trim() == "true" => Ok(FieldValue::Boolean(true)),
            Value::String(s) if s.trim() == "false" => Ok(FieldValue::Boolean(false)),
            _ => Err(wrong()),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Cross-field rules
// ---------------------------------------------------------------------------------------------

/// A check that relates two fields of a form, by their ids. It applies to every form that
/// defines both fields, and is checked only when both have valid values of the types it
/// compares. The rules in force are [`CROSS_FIELD_RULES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrossFieldRule {
    /// The number in `lower` must be strictly lower than the number in `upper`. The issue is
    /// reported on `lower`.
    Lower {
        /// The field whose value must be the lower one.
        lower: &'static str,
        /// The field whose value must be the higher one.
        upper: &'static str,
    },
    /// The date in `later` must not be before the date in `earlier` (the same day is
    /// allowed). The issue is reported on `later`.
    NotBefore {
        /// The field with the earlier date.
        earlier: &'static str,
        /// The field with the later date.
        later: &'static str,
    },
    /// `field` must have no value while the boolean `flag` is true. The issue is reported on
    /// `field`.
    EmptyWhile {
        /// The field that must be empty.
        field: &'static str,
        /// The boolean field.
        flag: &'static str,
    },
    /// The boolean `flag` must be true exactly when the number in `value` is above the number
    /// in `cutoff` (a result typed positive or negative against the lab's cut-off). The issue
    /// is reported on `flag`.
    PositiveAbove {
        /// The boolean result.
        flag: &'static str,
        /// The measured value.
        value: &'static str,
        /// The cut-off: above it is positive.
        cutoff: &'static str,
    },
}

/// The cross-field rules checked by [`validate_form`].
///
/// A rule relates two fields by their ids, whatever the form's kind (a generic adverse-event
/// form with `start_date` and `end_date` gets the date rule too). It applies to a form that
/// defines both fields, and is checked only when both have a valid value of a type the rule
/// compares; otherwise the values' own issues are reported instead.
///
/// | Rule | Fields | Issue on |
/// |---|---|---|
/// | diastolic below systolic | `diastolic_bp` < `systolic_bp` (numbers) | `diastolic_bp` |
/// | medication not ending before it starts | `start_date` ≤ `end_date` (dates) | `end_date` |
/// | ongoing medication, no end date | `end_date` empty while `ongoing` is true | `end_date` |
/// | donor-specific antibody against the cut-off | `dsa_positive` true exactly when `dsa_mfi` > `mfi_cutoff` | `dsa_positive` |
pub const CROSS_FIELD_RULES: &[CrossFieldRule] = &[
    CrossFieldRule::Lower {
        lower: "diastolic_bp",
        upper: "systolic_bp",
    },
    CrossFieldRule::NotBefore {
        earlier: "start_date",
        later: "end_date",
    },
    CrossFieldRule::EmptyWhile {
        field: "end_date",
        flag: "ongoing",
    },
    CrossFieldRule::PositiveAbove {
        flag: "dsa_positive",
        value: "dsa_mfi",
        cutoff: "mfi_cutoff",
    },
];

impl CrossFieldRule {
    /// The field ids the rule relates; the first is the one an issue is reported on.
    pub fn fields(self) -> Vec<&'static str> {
        match self {
            CrossFieldRule::Lower { lower, upper } => vec![lower, upper],
            CrossFieldRule::NotBefore { earlier, later } => vec![later, earlier],
            CrossFieldRule::EmptyWhile { field, flag } => vec![field, flag],
            CrossFieldRule::PositiveAbove {
                flag,
                value,
                cutoff,
            } => vec![flag, value, cutoff],
        }
    }

    /// True when the form defines both fields.
    pub fn applies_to(self, form: &FormDef) -> bool {
        self.fields().iter().all(|id| form.field(id).is_some())
    }

    /// The issue, if the values break the rule.
    fn check(self, form: &FormDef, data: &[(String, FieldValue)]) -> Option<FieldIssue> {
        let value = |id: &str| data.iter().find(|(f, _)| f == id).map(|(_, v)| v);
        let name = |id: &str| match form.field(id) {
            Some(f) => format!("{id} ({})", f.label),
            None => id.to_owned(),
        };
        match self {
            CrossFieldRule::Lower { lower, upper } => {
                let (low, high) = (value(lower)?, value(upper)?);
                (low.as_f64()? >= high.as_f64()?).then(|| {
                    let unit = form.field(lower).map(unit_suffix).unwrap_or_default();
                    FieldIssue::new(
                        lower,
                        format!(
                            "must be lower than {}, found {low}{unit} against {high}{unit}",
                            name(upper),
                        ),
                    )
                })
            }
            CrossFieldRule::NotBefore { earlier, later } => {
                let (FieldValue::Date(start), FieldValue::Date(end)) =
                    (value(earlier)?, value(later)?)
                else {
                    return None;
                };
                (end < start).then(|| {
                    FieldIssue::new(
                        later,
                        format!(
                            "must not be before {}, found {} against {}",
                            name(earlier),
                            date_text(*end),
                            date_text(*start)
                        ),
                    )
                })
            }
            CrossFieldRule::EmptyWhile { field, flag } => {
                let given = value(field)?;
                let on = matches!(value(flag)?, FieldValue::Boolean(true));
                (on && !given.is_missing()).then(|| {
                    FieldIssue::new(
                        field,
                        format!("must be empty while {} is true, found {given}", name(flag)),
                    )
                })
            }
            CrossFieldRule::PositiveAbove {
                flag,
                value: measured,
                cutoff,
            } => {
                let FieldValue::Boolean(positive) = value(flag)? else {
                    return None;
                };
                let (v, c) = (value(measured)?, value(cutoff)?);
                let above = v.as_f64()? > c.as_f64()?;
                let unit = form.field(measured).map(unit_suffix).unwrap_or_default();
                let unit_c = form.field(cutoff).map(unit_suffix).unwrap_or_default();
                let (v_name, c_name) = (name(measured), name(cutoff));
                (*positive != above).then(|| {
                    FieldIssue::new(
                        flag,
                        if above {
                            format!(
                                "must be true, since {v_name} is above {c_name}: \
                                 {v}{unit} against {c}{unit_c}"
                            )
                        } else {
                            format!(
                                "must be false, since {v_name} is not above {c_name}: \
                                 {v}{unit} against {c}{unit_c}"
                            )
                        },
                    )
                })
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Forms with fields
// ---------------------------------------------------------------------------------------------

/// Validates the values entered on a form whose fields the definition gives (`vital-signs`,
/// `concomitant-medication`, `generic`) and returns them typed.
///
/// # How values are read
///
/// - **No value.** An absent key, `null`, and a string that is empty or only whitespace all
///   mean "no value" ([`FieldValue::Missing`]). A required field without a value is an issue.
/// - **Strings** are trimmed of surrounding whitespace before anything else.
/// - **Numbers** (`integer` and `decimal` fields; also SCIM III items and the WISCI II level)
///   may be given as JSON numbers or as strings in plain decimal notation,
///   `-?[0-9]+(\.[0-9]+)?` (`"120"`, `"36.6"`), since web forms send strings. Strings with
///   exponents, `+`, spaces, thousands separators or decimal commas are rejected rather than
///   guessed at. An `integer` accepts a whole number written with a zero fraction (`120.0`)
///   and rejects any other fraction.
/// - **Ranges** (`min`, `max` of the definition) are inclusive, checked after the type, and
///   named with the field's unit.
/// - **Text** is at most [`MAX_TEXT_CHARS`] characters, without control characters other than
///   tabs and line breaks.
/// - **Dates** are `YYYY-MM-DD` with a four-digit year, and must exist in the calendar
///   (`2026-02-29` does not).
/// - **Choices** must be exactly one of the field's options (case matters).
/// - **Booleans** are JSON `true` or `false`, or the strings `"true"` and `"false"`.
/// - **Cross-field rules**: see [`CROSS_FIELD_RULES`].
///
/// # Issues
///
/// On failure every issue is returned, in this order: the fields in the order of the
/// definition (a missing required value, a wrong type, a value out of range, text too long),
/// then keys the form does not have (each naming the form's field ids), then the cross-field
/// rules. A form of another kind gives one issue saying how it is read.
pub fn validate_form(
    form: &FormDef,
    values: &Map<String, Value>,
) -> Result<FormData, Vec<FieldIssue>> {
    if !form.kind.has_fields() {
        return Err(vec![FieldIssue::new(
            "",
            format!(
                "form \"{}\" is of kind \"{}\", whose content is fixed by the instrument and \
                 not by fields: use score_form",
                form.id, form.kind
            ),
        )]);
    }
    let mut issues = Vec::new();
    let mut data = Vec::with_capacity(form.fields.len());
    for field in &form.fields {
        match read_field(field, values.get(&field.id)) {
            Ok(FieldValue::Missing) if field.required => {
                issues.push(FieldIssue::new(
                    &field.id,
                    format!("is required: {}", expectation(field)),
                ));
            }
            Ok(value) => data.push((field.id.clone(), value)),
            Err(message) => issues.push(FieldIssue::new(&field.id, message)),
        }
    }
    let ids = || {
        form.fields
            .iter()
            .map(|f| f.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    for key in values.keys() {
        if form.field(key).is_none() {
            issues.push(FieldIssue::new(
                key,
                format!(
                    "unknown field; the fields of form \"{}\" are {}",
                    form.id,
                    ids()
                ),
            ));
        }
    }
    // Fields with an issue are absent from `data`, so a rule over them is not checked.
    for rule in CROSS_FIELD_RULES {
        if rule.applies_to(form) {
            issues.extend(rule.check(form, &data));
        }
    }
    if issues.is_empty() {
        Ok(FormData {
            form_id: form.id.clone(),
            values: data,
        })
    } else {
        Err(issues)
    }
}

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
];

impl CrossFieldRule {
    /// The two field ids the rule relates; the first is the one an issue is reported on.
    pub const fn fields(self) -> [&'static str; 2] {
        match self {
            CrossFieldRule::Lower { lower, upper } => [lower, upper],
            CrossFieldRule::NotBefore { earlier, later } => [later, earlier],
            CrossFieldRule::EmptyWhile { field, flag } => [field, flag],
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

// ---------------------------------------------------------------------------------------------
// SCIM III
// ---------------------------------------------------------------------------------------------

/// The three subscales of SCIM III.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scim3Subscale {
    /// Self-care, items 1–4 (0–20).
    SelfCare,
    /// Respiration and sphincter management, items 5–8 (0–40).
    RespirationSphincter,
    /// Mobility, items 9–17: in the room and toilet, indoors and outdoors (0–40).
    Mobility,
}

impl Scim3Subscale {
    /// The three subscales, in the order of the instrument.
    pub const ALL: [Scim3Subscale; 3] = [
        Scim3Subscale::SelfCare,
        Scim3Subscale::RespirationSphincter,
        Scim3Subscale::Mobility,
    ];

    /// The key of the computed subscale score in [`Scim3::to_json`].
    pub const fn id(self) -> &'static str {
        match self {
            Scim3Subscale::SelfCare => "self_care_subscale",
            Scim3Subscale::RespirationSphincter => "respiration_sphincter_subscale",
            Scim3Subscale::Mobility => "mobility_subscale",
        }
    }

    /// The subscale's name.
    pub const fn label(self) -> &'static str {
        match self {
            Scim3Subscale::SelfCare => "Self-care",
            Scim3Subscale::RespirationSphincter => "Respiration and sphincter management",
            Scim3Subscale::Mobility => "Mobility",
        }
    }

    /// The highest score of the subscale.
    pub const fn max(self) -> u8 {
        match self {
            Scim3Subscale::SelfCare => 20,
            Scim3Subscale::RespirationSphincter | Scim3Subscale::Mobility => 40,
        }
    }

    /// The items of the subscale, in the order of the instrument.
    pub fn items(self) -> impl Iterator<Item = Scim3Item> {
        Scim3Item::ALL
            .into_iter()
            .filter(move |item| item.subscale() == self)
    }
}

/// Declares the SCIM III items: variant, JSON id, number on the scoring sheet, name, allowed
/// scores and subscale, in the order of the instrument.
macro_rules! scim3_items {
    ($(
        $variant:ident, $id:literal, $number:literal, $label:literal,
        [$($score:literal),+], $subscale:ident;
    )+) => {
        /// An item of SCIM III.
        ///
        /// The allowed scores of each item are those of the SCIM III scoring sheet (Itzkovich
        /// M. et al., "The Spinal Cord Independence Measure (SCIM) version III: reliability
        /// and validity in a multi-center international study", Disabil Rehabil 2007;
        /// 29(24):1926–1933), as reproduced in the SCIM III clinical form of the Rick Hansen
        /// Spinal Cord Injury Registry's toolkit and on the scimscore.com scoring site. Several
        /// items skip values: bladder management scores 0, 3, 6, 9, 11, 13 or 15, never 1 or
        /// 14; bowel management 0, 5, 8 or 10.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Scim3Item {
            $(
                #[doc = concat!("Item ", $number, ", ", $label, ": `", $id, "`, scores ",
                                stringify!($($score),+), ".")]
                $variant,
            )+
        }

        impl Scim3Item {
            /// The 19 items, in the order of the instrument.
            pub const ALL: [Scim3Item; 19] = [$(Scim3Item::$variant,)+];

            /// The key of the item in JSON (snake_case).
            pub const fn id(self) -> &'static str {
                match self { $(Scim3Item::$variant => $id,)+ }
            }

            /// The item's number on the scoring sheet (`"1"`, `"2A"`, … `"17"`).
            pub const fn number(self) -> &'static str {
                match self { $(Scim3Item::$variant => $number,)+ }
            }

            /// The item's name.
            pub const fn label(self) -> &'static str {
                match self { $(Scim3Item::$variant => $label,)+ }
            }

            /// The scores the item allows, in increasing order.
            pub const fn allowed(self) -> &'static [u8] {
                match self { $(Scim3Item::$variant => &[$($score),+],)+ }
            }

            /// The subscale the item belongs to.
            pub const fn subscale(self) -> Scim3Subscale {
                match self { $(Scim3Item::$variant => Scim3Subscale::$subscale,)+ }
            }
        }
    };
}

scim3_items! {
    Feeding, "feeding", "1", "Feeding", [0, 1, 2, 3], SelfCare;
    BathingUpperBody, "bathing_upper_body", "2A", "Bathing, upper body", [0, 1, 2, 3], SelfCare;
    BathingLowerBody, "bathing_lower_body", "2B", "Bathing, lower body", [0, 1, 2, 3], SelfCare;
    DressingUpperBody, "dressing_upper_body", "3A", "Dressing, upper body",
        [0, 1, 2, 3, 4], SelfCare;
    DressingLowerBody, "dressing_lower_body", "3B", "Dressing, lower body",
        [0, 1, 2, 3, 4], SelfCare;
    Grooming, "grooming", "4", "Grooming", [0, 1, 2, 3], SelfCare;
    Respiration, "respiration", "5", "Respiration", [0, 2, 4, 6, 8, 10], RespirationSphincter;
    Bladder, "bladder", "6", "Sphincter management, bladder",
        [0, 3, 6, 9, 11, 13, 15], RespirationSphincter;
    Bowel, "bowel", "7", "Sphincter management, bowel", [0, 5, 8, 10], RespirationSphincter;
    UseOfToilet, "use_of_toilet", "8", "Use of toilet", [0, 1, 2, 4, 5], RespirationSphincter;
    BedMobility, "bed_mobility", "9", "Mobility in bed and action to prevent pressure sores",
        [0, 2, 4, 6], Mobility;
    TransferBedWheelchair, "transfer_bed_wheelchair", "10", "Transfers, bed–wheelchair",
        [0, 1, 2], Mobility;
    TransferWheelchairToiletTub, "transfer_wheelchair_toilet_tub", "11",
        "Transfers, wheelchair–toilet–tub", [0, 1, 2], Mobility;
    MobilityIndoors, "mobility_indoors", "12", "Mobility indoors",
        [0, 1, 2, 3, 4, 5, 6, 7, 8], Mobility;
    MobilityModerateDistances, "mobility_moderate_distances", "13",
        "Mobility for moderate distances (10–100 m)", [0, 1, 2, 3, 4, 5, 6, 7, 8], Mobility;
    MobilityOutdoors, "mobility_outdoors", "14", "Mobility outdoors (more than 100 m)",
        [0, 1, 2, 3, 4, 5, 6, 7, 8], Mobility;
    StairManagement, "stair_management", "15", "Stair management", [0, 1, 2, 3], Mobility;
    TransferWheelchairCar, "transfer_wheelchair_car", "16", "Transfers, wheelchair–car",
        [0, 1, 2], Mobility;
    TransferGroundWheelchair, "transfer_ground_wheelchair", "17",
        "Transfers, ground–wheelchair", [0, 1], Mobility;
}

impl Scim3Item {
    /// The item with this JSON id.
    pub fn parse(id: &str) -> Option<Scim3Item> {
        Scim3Item::ALL.into_iter().find(|item| item.id() == id)
    }

    /// Position in [`Scim3Item::ALL`].
    fn index(self) -> usize {
        self as usize
    }

    /// The allowed scores in words, `"one of 0, 3, 6, 9, 11, 13, 15"`.
    fn allowed_words(self) -> String {
        let list: Vec<String> = self.allowed().iter().map(u8::to_string).collect();
        format!("one of {}", list.join(", "))
    }
}

/// The key of the computed SCIM III total in [`Scim3::to_json`].
pub const SCIM3_TOTAL_KEY: &str = "total";

/// The three subscale scores of a SCIM III assessment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Scim3Subscales {
    /// Self-care, 0–20.
    pub self_care: u8,
    /// Respiration and sphincter management, 0–40.
    pub respiration_sphincter: u8,
    /// Mobility, 0–40.
    pub mobility: u8,
}

impl Scim3Subscales {
    /// The score of one subscale.
    pub fn get(&self, subscale: Scim3Subscale) -> u8 {
        match subscale {
            Scim3Subscale::SelfCare => self.self_care,
            Scim3Subscale::RespirationSphincter => self.respiration_sphincter,
            Scim3Subscale::Mobility => self.mobility,
        }
    }

    /// The sum of the three, 0–100.
    pub fn total(&self) -> u8 {
        self.self_care + self.respiration_sphincter + self.mobility
    }
}

/// A complete SCIM III assessment: a score for each of the 19 items, each one of the item's
/// allowed scores ([`Scim3Item::allowed`]). Subscales and total are computed from the items,
/// never entered.
///
/// In JSON the items are keyed by [`Scim3Item::id`]; all 19 are required:
///
/// | Item | Id | Allowed | Subscale |
/// |---|---|---|---|
/// | 1 Feeding | `feeding` | 0–3 | self-care |
/// | 2A Bathing, upper body | `bathing_upper_body` | 0–3 | self-care |
/// | 2B Bathing, lower body | `bathing_lower_body` | 0–3 | self-care |
/// | 3A Dressing, upper body | `dressing_upper_body` | 0–4 | self-care |
/// | 3B Dressing, lower body | `dressing_lower_body` | 0–4 | self-care |
/// | 4 Grooming | `grooming` | 0–3 | self-care |
/// | 5 Respiration | `respiration` | 0, 2, 4, 6, 8, 10 | respiration, sphincter |
/// | 6 Sphincter management, bladder | `bladder` | 0, 3, 6, 9, 11, 13, 15 | resp., sphincter |
/// | 7 Sphincter management, bowel | `bowel` | 0, 5, 8, 10 | respiration, sphincter |
/// | 8 Use of toilet | `use_of_toilet` | 0, 1, 2, 4, 5 | respiration, sphincter |
/// | 9 Mobility in bed, pressure sores | `bed_mobility` | 0, 2, 4, 6 | mobility |
/// | 10 Transfers bed–wheelchair | `transfer_bed_wheelchair` | 0–2 | mobility |
/// | 11 Transfers wheelchair–toilet–tub | `transfer_wheelchair_toilet_tub` | 0–2 | mobility |
/// | 12 Mobility indoors | `mobility_indoors` | 0–8 | mobility |
/// | 13 Moderate distances (10–100 m) | `mobility_moderate_distances` | 0–8 | mobility |
/// | 14 Outdoors (over 100 m) | `mobility_outdoors` | 0–8 | mobility |
/// | 15 Stair management | `stair_management` | 0–3 | mobility |
/// | 16 Transfers wheelchair–car | `transfer_wheelchair_car` | 0–2 | mobility |
/// | 17 Transfers ground–wheelchair | `transfer_ground_wheelchair` | 0–1 | mobility |
///
/// ```
/// use trial::{Scim3, Scim3Item};
///
/// let mut items = serde_json::Map::new();
/// for item in Scim3Item::ALL {
///     items.insert(item.id().into(), (*item.allowed().last().unwrap()).into());
/// }
/// let scim = Scim3::from_json(&items).unwrap();
/// assert_eq!(scim.total(), 100);
/// assert_eq!(scim.to_json()["self_care_subscale"], 20);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Scim3 {
    scores: [u8; 19],
}

impl Scim3 {
    /// An assessment from the 19 scores in the order of [`Scim3Item::ALL`]; every score not
    /// allowed for its item is an issue.
    pub fn from_scores(scores: [u8; 19]) -> Result<Scim3, Vec<FieldIssue>> {
        let issues: Vec<FieldIssue> = Scim3Item::ALL
            .into_iter()
            .zip(scores)
            .filter(|(item, score)| !item.allowed().contains(score))
            .map(|(item, score)| {
                FieldIssue::new(
                    item.id(),
                    format!("must be {}, found {score}", item.allowed_words()),
                )
            })
            .collect();
        if issues.is_empty() {
            Ok(Scim3 { scores })
        } else {
            Err(issues)
        }
    }

    /// Reads an assessment from a JSON object of item ids to scores (JSON numbers or numeric
    /// strings, read as for an `integer` field of [`validate_form`]; `null` or a blank string
    /// is no score). Every problem is reported, each naming the item's allowed scores: items
    /// missing, scores not allowed, keys that are not items, and subscales or a total entered
    /// (they are computed).
    pub fn from_json(values: &Map<String, Value>) -> Result<Scim3, Vec<FieldIssue>> {
        let mut issues = Vec::new();
        let mut scores = [0u8; 19];
        for item in Scim3Item::ALL {
            let value = match entered(values.get(item.id())) {
                Entered::Nothing => {
                    issues.push(FieldIssue::new(
                        item.id(),
                        format!("is required: {}", item.allowed_words()),
                    ));
                    continue;
                }
                Entered::Given(v) => v,
            };
            let score = read_integer(value)
                .ok()
                .and_then(|n| u8::try_from(n).ok())
                .filter(|n| item.allowed().contains(n));
            match score {
                Some(score) => scores[item.index()] = score,
                None => issues.push(FieldIssue::new(
                    item.id(),
                    format!("must be {}, found {}", item.allowed_words(), shown(value)),
                )),
            }
        }
        for key in values.keys() {
            if Scim3Item::parse(key).is_some() {
                continue;
            }
            let computed =
                key == SCIM3_TOTAL_KEY || Scim3Subscale::ALL.iter().any(|s| s.id() == key);
            let message = if computed {
                "is computed from the items and cannot be entered".to_owned()
            } else {
                let ids: Vec<&str> = Scim3Item::ALL.iter().map(|i| i.id()).collect();
                format!("unknown item; the SCIM III items are {}", ids.join(", "))
            };
            issues.push(FieldIssue::new(key, message));
        }
        if issues.is_empty() {
            Ok(Scim3 { scores })
        } else {
            Err(issues)
        }
    }

    /// The score of one item.
    pub fn score(&self, item: Scim3Item) -> u8 {
        self.scores[item.index()]
    }

    /// The three subscale scores, each the sum of its items.
    pub fn subscales(&self) -> Scim3Subscales {
        let sum = |subscale: Scim3Subscale| subscale.items().map(|i| self.score(i)).sum::<u8>();
        Scim3Subscales {
            self_care: sum(Scim3Subscale::SelfCare),
            respiration_sphincter: sum(Scim3Subscale::RespirationSphincter),
            mobility: sum(Scim3Subscale::Mobility),
        }
    }

    /// The total score, 0–100: the sum of the three subscales.
    pub fn total(&self) -> u8 {
        self.subscales().total()
    }

    /// The canonical JSON object: the 19 items, the three subscales (keyed by
    /// [`Scim3Subscale::id`]) and the total ([`SCIM3_TOTAL_KEY`]), keys in lexicographic
    /// order. [`Scim3::from_json`] rejects the computed keys, so to read an assessment back,
    /// pass it the items only.
    pub fn to_json(&self) -> Value {
        let subscales = self.subscales();
        let mut entries: Vec<(&'static str, u8)> = Scim3Item::ALL
            .into_iter()
            .map(|item| (item.id(), self.score(item)))
            .collect();
        entries.extend(Scim3Subscale::ALL.map(|s| (s.id(), subscales.get(s))));
        entries.push((SCIM3_TOTAL_KEY, subscales.total()));
        entries.sort_unstable();
        let map: Map<String, Value> = entries
            .into_iter()
            .map(|(key, score)| (key.to_owned(), Value::from(score)))
            .collect();
        Value::Object(map)
    }
}

impl Serialize for Scim3 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

// ---------------------------------------------------------------------------------------------
// WISCI II
// ---------------------------------------------------------------------------------------------

/// The walking aid of a WISCI II level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WalkingAid {
    /// Parallel bars.
    ParallelBars,
    /// A walker.
    Walker,
    /// Two crutches.
    TwoCrutches,
    /// One cane or one crutch.
    OneCaneOrCrutch,
    /// No walking aid.
    NoAid,
}

/// One level of WISCI II: how a person walks 10 metres.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wisci2Level {
    /// The level, 0–20.
    pub level: u8,
    /// The walking aid; `None` at level 0, where the person does not walk.
    pub aid: Option<WalkingAid>,
    /// True when leg braces are needed.
    pub braces: bool,
    /// The number of people giving physical assistance (0, 1 or 2).
    pub helpers: u8,
    /// A short description in English.
    pub description: &'static str,
}

const fn wisci(
    level: u8,
    aid: Option<WalkingAid>,
    braces: bool,
    helpers: u8,
    description: &'static str,
) -> Wisci2Level {
    Wisci2Level {
        level,
        aid,
        braces,
        helpers,
        description,
    }
}

/// The 21 levels of WISCI II (Ditunno P.L. and Ditunno J.F., "Walking index for spinal cord
/// injury (WISCI II): scale revision", Spinal Cord 2001; 39:654–656), indexed by level: the
/// walking aid, leg braces, and the physical help of other people needed to walk 10 metres
/// (less than 10 metres at level 1).
#[rustfmt::skip]
pub const WISCI2_LEVELS: [Wisci2Level; 21] = {
    use WalkingAid::*;
    [
        wisci( 0, None, false, 0,
            "Unable to stand or to take part in assisted walking"),
        wisci( 1, Some(ParallelBars), true, 2,
            "Parallel bars, braces, physical help of two people, under 10 m"),
        wisci( 2, Some(ParallelBars), true, 2,
            "Parallel bars, braces, physical help of two people, 10 m"),
        wisci( 3, Some(ParallelBars), true, 1,
            "Parallel bars, braces, physical help of one person, 10 m"),
        wisci( 4, Some(ParallelBars), false, 1,
            "Parallel bars, no braces, physical help of one person, 10 m"),
        wisci( 5, Some(ParallelBars), true, 0,
            "Parallel bars, braces, no physical help, 10 m"),
        wisci( 6, Some(Walker), true, 1,
            "Walker, braces, physical help of one person, 10 m"),
        wisci( 7, Some(TwoCrutches), true, 1,
            "Two crutches, braces, physical help of one person, 10 m"),
        wisci( 8, Some(Walker), false, 1,
            "Walker, no braces, physical help of one person, 10 m"),
        wisci( 9, Some(Walker), true, 0,
            "Walker, braces, no physical help, 10 m"),
        wisci(10, Some(OneCaneOrCrutch), true, 1,
            "One cane or crutch, braces, physical help of one person, 10 m"),
        wisci(11, Some(TwoCrutches), false, 1,
            "Two crutches, no braces, physical help of one person, 10 m"),
        wisci(12, Some(TwoCrutches), true, 0,
            "Two crutches, braces, no physical help, 10 m"),
        wisci(13, Some(Walker), false, 0,
            "Walker, no braces, no physical help, 10 m"),
        wisci(14, Some(OneCaneOrCrutch), false, 1,
            "One cane or crutch, no braces, physical help of one person, 10 m"),
        wisci(15, Some(OneCaneOrCrutch), true, 0,
            "One cane or crutch, braces, no physical help, 10 m"),
        wisci(16, Some(TwoCrutches), false, 0,
            "Two crutches, no braces, no physical help, 10 m"),
        wisci(17, Some(NoAid), false, 1,
            "No walking aid, no braces, physical help of one person, 10 m"),
        wisci(18, Some(NoAid), true, 0,
            "No walking aid, braces, no physical help, 10 m"),
        wisci(19, Some(OneCaneOrCrutch), false, 0,
            "One cane or crutch, no braces, no physical help, 10 m"),
        wisci(20, Some(NoAid), false, 0,
            "No walking aid, no braces, no physical help, 10 m"),
    ]
};

/// A WISCI II assessment: the level, 0–20. In JSON, `{"level": 12}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Wisci2 {
    level: u8,
}

impl Wisci2 {
    /// The key of the level in JSON.
    pub const LEVEL_KEY: &'static str = "level";

    /// The highest level.
    pub const MAX_LEVEL: u8 = 20;

    /// The assessment at this level, if it is from 0 to 20.
    pub fn new(level: u8) -> Option<Wisci2> {
        (level <= Wisci2::MAX_LEVEL).then_some(Wisci2 { level })
    }

    /// Reads an assessment from a JSON object with the one key `level`, a whole number from 0
    /// to 20 (a JSON number or a numeric string). Every problem is reported.
    pub fn from_json(values: &Map<String, Value>) -> Result<Wisci2, Vec<FieldIssue>> {
        let mut issues = Vec::new();
        let expected = "a whole number from 0 to 20";
        let mut level = None;
        match entered(values.get(Wisci2::LEVEL_KEY)) {
            Entered::Nothing => issues.push(FieldIssue::new(
                Wisci2::LEVEL_KEY,
                format!("is required: {expected}"),
            )),
            Entered::Given(v) => {
                level = read_integer(v)
                    .ok()
                    .and_then(|n| u8::try_from(n).ok())
                    .and_then(Wisci2::new);
                if level.is_none() {
                    issues.push(FieldIssue::new(
                        Wisci2::LEVEL_KEY,
                        format!("must be {expected}, found {}", shown(v)),
                    ));
                }
            }
        }
        for key in values.keys().filter(|k| *k != Wisci2::LEVEL_KEY) {
            issues.push(FieldIssue::new(
                key,
                "unknown field; a WISCI II assessment has the one field level",
            ));
        }
        match level {
            Some(level) if issues.is_empty() => Ok(level),
            _ => Err(issues),
        }
    }

    /// The level, 0–20.
    pub fn level(&self) -> u8 {
        self.level
    }

    /// What the level means: aid, braces, assistance and its description.
    pub fn details(&self) -> &'static Wisci2Level {
        &WISCI2_LEVELS[usize::from(self.level)]
    }

    /// The short English description of the level.
    pub fn description(&self) -> &'static str {
        self.details().description
    }

    /// The canonical JSON object, `{"level": 12}`.
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert(Wisci2::LEVEL_KEY.to_owned(), Value::from(self.level));
        Value::Object(map)
    }
}

impl Serialize for Wisci2 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

// ---------------------------------------------------------------------------------------------
// Any form
// ---------------------------------------------------------------------------------------------

/// Checks and scores what was entered on a form, by the form's kind, and returns the
/// normalised JSON: [`Scim3::to_json`] (with subscales and total), [`Wisci2::to_json`], or
/// [`FormData::to_json`] for the kinds with fields. An ISNCSCI form gives one issue: its exam
/// is read and classified by the `isncsci` crate.
pub fn score_form(form: &FormDef, values: &Map<String, Value>) -> Result<Value, Vec<FieldIssue>> {
    match form.kind {
        FormKind::Isncsci => Err(vec![FieldIssue::new(
            "",
            format!(
                "form \"{}\" is an ISNCSCI exam: it is read in the flat layout and classified by \
                 the isncsci crate, not scored here",
                form.id
            ),
        )]),
        FormKind::Scim3 => Scim3::from_json(values).map(|s| s.to_json()),
        FormKind::Wisci2 => Wisci2::from_json(values).map(|w| w.to_json()),
        FormKind::VitalSigns | FormKind::ConcomitantMedication | FormKind::Generic => {
            validate_form(form, values).map(|d| d.to_json())
        }
    }
}

/// [`score_form`] from the JSON text of what was entered (a request body). The text must be
/// one JSON object; a key given more than once is an issue (JSON readers disagree on which
/// value wins), reported together with every other issue. Text that is not a JSON object
/// gives one issue with the line and column.
pub fn score_form_text(form: &FormDef, text: &str) -> Result<Value, Vec<FieldIssue>> {
    let Object { values, duplicates } = serde_json::from_str::<Object>(text).map_err(|e| {
        vec![FieldIssue::new(
            "",
            format!(
                "line {}, column {}: not a JSON object of field ids to values: {e}",
                e.line(),
                e.column()
            ),
        )]
    })?;
    let scored = score_form(form, &values);
    if duplicates.is_empty() {
        return scored;
    }
    let mut issues: Vec<FieldIssue> = duplicates
        .iter()
        .map(|key| FieldIssue::new(key, "is given more than once; give each field once"))
        .collect();
    // A duplicated key's value is ambiguous: its other issues would be about one of them.
    issues.extend(
        scored
            .err()
            .unwrap_or_default()
            .into_iter()
            .filter(|issue| !duplicates.contains(&issue.field)),
    );
    Err(issues)
}

/// A JSON object read with its duplicate keys noted (the first value of each is kept).
struct Object {
    values: Map<String, Value>,
    duplicates: Vec<String>,
}

impl<'de> Deserialize<'de> for Object {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Object, D::Error> {
        struct ObjectVisitor;

        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = Object;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Object, A::Error> {
                let mut values = Map::new();
                let mut duplicates = Vec::new();
                while let Some(key) = access.next_key::<String>()? {
                    let value: Value = access.next_value()?;
                    if values.contains_key(&key) {
                        if !duplicates.contains(&key) {
                            duplicates.push(key);
                        }
                    } else {
                        values.insert(key, value);
                    }
                }
                Ok(Object { values, duplicates })
            }
        }

        deserializer.deserialize_map(ObjectVisitor)
    }
}

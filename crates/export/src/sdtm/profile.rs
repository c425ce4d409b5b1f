//! What Define-XML says of a dataset's values, gathered from its records as they are made, so
//! that `define.xml` can be written of datasets no longer held whole: for each variable the
//! shape of its dates (a `--DTC` text), the digits of its numbers, and, for a variable with a
//! code list, its distinct values in order of first appearance, each with the name paired
//! with it in that first record (`VSTEST` for `VSTESTCD`). The profile of a dataset made in
//! parts is the profile of the first part merged with each next one's.

use std::collections::BTreeSet;

use super::define::coded;
use crate::xpt::{Dataset, Kind, Value, Variable};

/// A dataset as Define-XML describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    /// The dataset's name (`DM`).
    pub name: String,
    /// Its label.
    pub label: String,
    /// Its variables, with the lengths of its file.
    pub variables: Vec<Variable>,
    /// Its records.
    pub records: usize,
    /// What each variable holds, in the order of `variables`.
    pub(crate) columns: Vec<Column>,
}

/// What one variable holds.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Column {
    /// A date variable with a value.
    pub dated: bool,
    /// Every value of a date variable 10 characters long (a full date).
    pub all_dates: bool,
    /// Every value of a date variable 19 characters long (a date and time to the second).
    pub all_datetimes: bool,
    /// A value of a date variable longer than 10 characters.
    pub any_time: bool,
    /// A numeric variable with a number.
    pub numbers: bool,
    /// Every number whole (and below 10¹⁵).
    pub whole: bool,
    /// The most digits of a number before and after its point (at least 1 and 0).
    pub digits: (usize, usize),
    /// The distinct non-blank values and their paired names, of a variable with a code list.
    pub codes: Option<Vec<(String, Option<String>)>>,
    seen: BTreeSet<String>,
}

impl Column {
    fn new(coded: bool) -> Column {
        Column {
            dated: false,
            all_dates: true,
            all_datetimes: true,
            any_time: false,
            numbers: false,
            whole: true,
            digits: (1, 0),
            codes: coded.then(Vec::new),
            seen: BTreeSet::new(),
        }
    }

    /// Adds a date's length.
    fn date(&mut self, length: usize) {
        self.dated = true;
        self.all_dates &= length == 10;
        self.all_datetimes &= length == 19;
        self.any_time |= length > 10;
    }

    /// Adds a number.
    fn number(&mut self, x: f64) {
        self.numbers = true;
        self.whole &= x.fract() == 0.0 && x.abs() < 1e15;
        let s = format!("{}", x.abs());
        let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
        self.digits = (self.digits.0.max(int.len()), self.digits.1.max(frac.len()));
    }

    /// Adds a code, unless seen before, with its paired name.
    fn code(&mut self, code: &str, paired: Option<&str>) {
        if let Some(codes) = &mut self.codes {
            if !code.is_empty() && self.seen.insert(code.to_string()) {
                codes.push((code.to_string(), paired.map(String::from)));
            }
        }
    }

    /// This column followed by `next`'s records.
    fn merge(&mut self, next: Column) {
        self.dated |= next.dated;
        self.all_dates &= next.all_dates;
        self.all_datetimes &= next.all_datetimes;
        self.any_time |= next.any_time;
        self.numbers |= next.numbers;
        self.whole &= next.whole;
        self.digits = (
            self.digits.0.max(next.digits.0),
            self.digits.1.max(next.digits.1),
        );
        for (code, paired) in next.codes.into_iter().flatten() {
            self.code(&code, paired.as_deref());
        }
    }
}

impl Profile {
    /// The profile of `ds`.
    pub fn of(ds: &Dataset) -> Profile {
        let columns = ds
            .variables
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let listed = coded(&ds.name, &v.name);
                let mut column = Column::new(listed.is_some());
                let paired = listed
                    .flatten()
                    .and_then(|p| ds.variables.iter().position(|w| w.name == p));
                let dated = matches!(v.kind, Kind::Text(_)) && v.name.ends_with("DTC");
                for r in &ds.records {
                    match r.get(i) {
                        Some(Value::Text(t)) if dated && !t.is_empty() => column.date(t.len()),
                        Some(Value::Number(x)) if v.kind == Kind::Number => column.number(*x),
                        _ => {}
                    }
                    if let Some(Value::Text(code)) = r.get(i) {
                        let name = paired.and_then(|j| match r.get(j) {
                            Some(Value::Text(t)) if !t.is_empty() => Some(t.as_str()),
                            _ => None,
                        });
                        column.code(code, name);
                    }
                }
                column
            })
            .collect();
        Profile {
            name: ds.name.clone(),
            label: ds.label.clone(),
            variables: ds.variables.clone(),
            records: ds.records.len(),
            columns,
        }
    }

    /// This profile followed by `next`'s records (the same dataset's next part): each text
    /// variable as long as the longer of the two.
    pub fn merge(&mut self, next: Profile) {
        self.records += next.records;
        for (mine, theirs) in self.variables.iter_mut().zip(&next.variables) {
            if let (Kind::Text(n), Kind::Text(m)) = (&mut mine.kind, theirs.kind) {
                *n = (*n).max(m);
            }
        }
        for (mine, theirs) in self.columns.iter_mut().zip(next.columns) {
            mine.merge(theirs);
        }
    }
}

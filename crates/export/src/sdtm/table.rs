//! A dataset built row by row with its variables named: each row starts empty (blank text,
//! missing numbers) and is filled by name, and text lengths are fitted to the longest value
//! when the dataset is made (at least 1 byte, at most 200: a longer value is then refused by
//! [`crate::xpt::check`], naming the dataset, the variable and the record).

use crate::xpt::{Dataset, Value, Variable, MAX_TEXT};

/// A variable's type before its length is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Type {
    /// Character.
    Char,
    /// Numeric.
    Num,
}

pub(crate) use Type::{Char, Num};

/// A dataset being built.
#[derive(Debug)]
pub(crate) struct Table {
    name: &'static str,
    label: String,
    columns: Vec<(&'static str, &'static str, Type)>,
    rows: Vec<Vec<Value>>,
}

/// One row being filled.
pub(crate) struct Row<'t> {
    columns: &'t [(&'static str, &'static str, Type)],
    values: Vec<Value>,
}

impl Row<'_> {
    fn at(&self, name: &str) -> Option<usize> {
        let i = self.columns.iter().position(|(n, ..)| *n == name);
        debug_assert!(i.is_some(), "no variable {name}");
        i
    }

    /// Sets a character variable.
    pub(crate) fn text(&mut self, name: &str, value: impl Into<String>) -> &mut Self {
        if let Some(i) = self.at(name) {
            self.values[i] = Value::Text(value.into());
        }
        self
    }

    /// Sets a numeric variable (missing for `None`).
    pub(crate) fn num(&mut self, name: &str, value: Option<f64>) -> &mut Self {
        if let Some(i) = self.at(name) {
            self.values[i] = value.map_or(Value::Missing, Value::Number);
        }
        self
    }
}

impl Table {
    /// A dataset `name` with its label and variables (name, label, type), in order.
    pub(crate) fn new(
        name: &'static str,
        label: impl Into<String>,
        columns: &[(&'static str, &'static str, Type)],
    ) -> Table {
        Table {
            name,
            label: label.into(),
            columns: columns.to_vec(),
            rows: Vec::new(),
        }
    }

    /// The rows added so far.
    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    /// Adds a row, filled by `fill`.
    pub(crate) fn add(&mut self, fill: impl FnOnce(&mut Row<'_>)) {
        let values = self
            .columns
            .iter()
            .map(|(.., t)| match t {
                Char => Value::Text(String::new()),
                Num => Value::Missing,
            })
            .collect();
        let mut row = Row {
            columns: &self.columns,
            values,
        };
        fill(&mut row);
        let values = row.values;
        self.rows.push(values);
    }

    /// The dataset, each text variable as long as its longest value.
    pub(crate) fn dataset(self) -> Dataset {
        let variables = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, (name, label, t))| match t {
                Num => Variable::number(name, label),
                Char => {
                    let longest = self
                        .rows
                        .iter()
                        .map(|r| match &r[i] {
                            Value::Text(s) => s.len(),
                            _ => 0,
                        })
                        .max()
                        .unwrap_or(0);
                    Variable::text(name, label, longest.clamp(1, MAX_TEXT))
                }
            })
            .collect();
        Dataset {
            name: self.name.to_string(),
            label: self.label,
            variables,
            records: self.rows,
        }
    }
}

/// The length of a text variable, for tests.
#[cfg(test)]
pub(crate) fn length(ds: &Dataset, name: &str) -> Option<usize> {
    ds.variables
        .iter()
        .find(|v| v.name == name)
        .and_then(|v| match v.kind {
            crate::xpt::Kind::Text(n) => Some(n),
            crate::xpt::Kind::Number => None,
        })
}

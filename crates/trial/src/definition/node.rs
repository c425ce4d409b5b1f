//! The walk's tools: the problem report and a node of the TOML tree that reads typed values
//! under their key paths.

use super::*;

#[derive(Default)]
pub(super) struct Report {
    pub(super) problems: Vec<Problem>,
}

impl Report {
    pub(super) fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Need {
    Required,
    Optional,
}
pub(super) use Need::{Optional, Required};

/// A table being read, with its key path.
pub(super) struct Node<'a> {
    pub(super) path: String,
    pub(super) table: &'a Table,
}

/// How a value looks, for "found …" in messages.
pub(super) fn describe(value: &Value) -> String {
    match value {
        Value::String(s) => format!("the string {s:?}"),
        Value::Integer(i) => format!("the integer {i}"),
        Value::Float(x) => format!("the number {x}"),
        Value::Boolean(b) => format!("the boolean {b}"),
        Value::Datetime(d) => format!("the date-time {d}"),
        Value::Array(_) => "an array".to_owned(),
        Value::Table(_) => "a table".to_owned(),
    }
}

pub(super) fn quoted_list(items: &[&str]) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{item:?}");
    }
    out
}

pub(super) fn index_path(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

impl<'a> Node<'a> {
    pub(super) fn root(table: &'a Table) -> Node<'a> {
        Node {
            path: String::new(),
            table,
        }
    }

    pub(super) fn at(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    pub(super) fn has(&self, key: &str) -> bool {
        self.table.contains_key(key)
    }

    /// Reports every key that is not in `allowed`.
    pub(super) fn only(&self, r: &mut Report, allowed: &[&str]) {
        for key in self.table.keys() {
            if !allowed.contains(&key.as_str()) {
                r.add(
                    self.at(key),
                    format!("unknown key (allowed here: {})", allowed.join(", ")),
                );
            }
        }
    }

    pub(super) fn value(
        &self,
        r: &mut Report,
        key: &str,
        need: Need,
        what: &str,
    ) -> Option<&'a Value> {
        let value = self.table.get(key);
        if value.is_none() && need == Required {
            r.add(self.at(key), format!("required key is missing ({what})"));
        }
        value
    }

    /// A non-empty string.
    /// The optional Chinese form of a text (`name_zh`, `label_zh`, …): a non-empty string with
    /// at least one Chinese character.
    pub(super) fn chinese(&self, r: &mut Report, key: &str) -> Option<String> {
        let text = self.string(r, key, Need::Optional)?;
        if !text.chars().any(is_han) {
            r.add(
                self.at(key),
                format!(
                    "must be written in Chinese (at least one Chinese character), found {text:?}"
                ),
            );
            return None;
        }
        Some(text)
    }

    pub(super) fn string(&self, r: &mut Report, key: &str, need: Need) -> Option<String> {
        let value = self.value(r, key, need, "a string")?;
        string_value(r, &self.at(key), value)
    }

    /// An integer within `min..=max`.
    pub(super) fn integer(
        &self,
        r: &mut Report,
        key: &str,
        need: Need,
        min: i64,
        max: i64,
    ) -> Option<i64> {
        let value = self.value(r, key, need, "an integer")?;
        integer_value(r, &self.at(key), value, min, max)
    }

    /// A finite number, integer or not.
    pub(super) fn number(&self, r: &mut Report, key: &str, need: Need) -> Option<f64> {
        let value = self.value(r, key, need, "a number")?;
        match value {
            Value::Integer(i) => Some(*i as f64),
            Value::Float(x) if x.is_finite() => Some(*x),
            other => {
                r.add(
                    self.at(key),
                    format!("expected a finite number, found {}", describe(other)),
                );
                None
            }
        }
    }

    pub(super) fn boolean(&self, r: &mut Report, key: &str, need: Need) -> Option<bool> {
        let value = self.value(r, key, need, "true or false")?;
        match value {
            Value::Boolean(b) => Some(*b),
            other => {
                r.add(
                    self.at(key),
                    format!("expected true or false, found {}", describe(other)),
                );
                None
            }
        }
    }

    /// One of a fixed set of strings.
    pub(super) fn choice<T: Copy>(
        &self,
        r: &mut Report,
        key: &str,
        need: Need,
        all: &[T],
        name: fn(T) -> &'static str,
    ) -> Option<T> {
        let names: Vec<&str> = all.iter().map(|v| name(*v)).collect();
        let what = format!("one of {}", quoted_list(&names));
        let value = self.value(r, key, need, &what)?;
        let found = match value {
            Value::String(s) => all.iter().copied().find(|v| name(*v) == s.as_str()),
            _ => None,
        };
        if found.is_none() {
            r.add(
                self.at(key),
                format!("must be {what}, found {}", describe(value)),
            );
        }
        found
    }

    /// A sub-table, with its unknown keys reported.
    pub(super) fn table(
        &self,
        r: &mut Report,
        key: &str,
        need: Need,
        allowed: &[&str],
    ) -> Option<Node<'a>> {
        let value = self.value(r, key, need, "a table")?;
        match value {
            Value::Table(table) => {
                let node = Node {
                    path: self.at(key),
                    table,
                };
                node.only(r, allowed);
                Some(node)
            }
            other => {
                r.add(
                    self.at(key),
                    format!("expected a table, found {}", describe(other)),
                );
                None
            }
        }
    }

    /// An array of tables (`[[key]]`). The caller checks each table's keys as it reads it,
    /// so that problems come in document order.
    pub(super) fn tables(&self, r: &mut Report, key: &str, need: Need) -> Option<Vec<Node<'a>>> {
        let items = self.array(r, key, need, "an array of tables")?;
        let path = self.at(key);
        let mut nodes = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item {
                Value::Table(table) => nodes.push(Node {
                    path: index_path(&path, i),
                    table,
                }),
                other => r.add(
                    index_path(&path, i),
                    format!("expected a table, found {}", describe(other)),
                ),
            }
        }
        Some(nodes)
    }

    pub(super) fn array(
        &self,
        r: &mut Report,
        key: &str,
        need: Need,
        what: &str,
    ) -> Option<&'a [Value]> {
        let value = self.value(r, key, need, what)?;
        match value {
            Value::Array(items) => Some(items),
            other => {
                r.add(
                    self.at(key),
                    format!("expected {what}, found {}", describe(other)),
                );
                None
            }
        }
    }

    /// An array of non-empty strings, each with its path.
    pub(super) fn strings(
        &self,
        r: &mut Report,
        key: &str,
        need: Need,
    ) -> Option<Vec<(String, String)>> {
        let items = self.array(r, key, need, "an array of strings")?;
        let path = self.at(key);
        Some(
            items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| {
                    let item_path = index_path(&path, i);
                    string_value(r, &item_path, item).map(|s| (item_path, s))
                })
                .collect(),
        )
    }

    /// An array of integers within `min..=max`, each with its path.
    pub(super) fn integers(
        &self,
        r: &mut Report,
        key: &str,
        need: Need,
        min: i64,
        max: i64,
    ) -> Option<Vec<(String, i64)>> {
        let items = self.array(r, key, need, "an array of integers")?;
        let path = self.at(key);
        Some(
            items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| {
                    let item_path = index_path(&path, i);
                    integer_value(r, &item_path, item, min, max).map(|n| (item_path, n))
                })
                .collect(),
        )
    }
}

pub(super) fn string_value(r: &mut Report, path: &str, value: &Value) -> Option<String> {
    match value {
        Value::String(s) if s.trim().is_empty() => {
            r.add(path, "must not be empty");
            None
        }
        Value::String(s) => Some(s.clone()),
        other => {
            r.add(
                path,
                format!("expected a string, found {}", describe(other)),
            );
            None
        }
    }
}

pub(super) fn integer_value(
    r: &mut Report,
    path: &str,
    value: &Value,
    min: i64,
    max: i64,
) -> Option<i64> {
    match value {
        Value::Integer(n) if (min..=max).contains(n) => Some(*n),
        Value::Integer(n) => {
            r.add(path, format!("must be {}, found {n}", range_text(min, max)));
            None
        }
        other => {
            r.add(
                path,
                format!(
                    "expected an integer ({}), found {}",
                    range_text(min, max),
                    describe(other)
                ),
            );
            None
        }
    }
}

pub(super) fn range_text(min: i64, max: i64) -> String {
    format!("from {min} to {max}")
}

/// Converts a value already checked to lie in a `u32` range.
pub(super) fn to_u32(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Converts a value already checked to lie in an `i32` range.
pub(super) fn to_i32(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// A CJK unified ideograph (the basic block and extension A).
pub(super) fn is_han(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}')
}

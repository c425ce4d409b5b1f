//! Reading and checking a study definition.
//!
//! The TOML is parsed into a generic table first, then walked key by key. The walk records a
//! problem and carries on wherever a value is missing, of the wrong type, unknown or out of
//! range, so that one pass reports everything, each problem under its exact key path. (Serde
//! derives would stop at the first mismatch and would not name the path.) The checks that
//! relate several parts (references, ordering, the design's requirements) run on what could be
//! read.

use std::collections::HashMap;
use std::fmt::Write as _;

use isncsci::{Grade, Level};
use toml::{Table, Value};

use crate::error::{DefinitionError, Problem};
use crate::role::Role;
use crate::safety::{Causality, SafetyDefinition, StoppingKind, StoppingRule};
use crate::study::{
    Anchor, Arm, ArmKind, Blinding, Bounds, Criteria, Design, DoseLevel, DoseSchedule, Factor,
    FieldDef, FieldType, FormDef, FormKind, LevelRange, Phase, Randomisation, RandomisationMethod,
    Site, Study, VisitDef, WeightedFactor,
};

const TOP_KEYS: &[&str] = &[
    "schema_version",
    "id",
    "title",
    "phase",
    "registry",
    "protocol_version",
    "design",
    "blinding",
    "target_enrolment",
    "unblinded_roles",
    "arms",
    "dose_levels",
    "dlt_window_days",
    "randomisation",
    "sites",
    "schedule",
    "eligibility",
    "forms",
    "safety",
];
const SAFETY_KEYS: &[&str] = &["expected_terms", "dlt_criteria", "stopping_rules"];
const DLT_CRITERIA_KEYS: &[&str] = &["min_grade", "min_causality"];
const STOPPING_RULE_KEYS: &[&str] = &["id", "name", "kind", "min_grade", "count", "first"];
const ARM_KEYS: &[&str] = &["id", "name", "kind", "ratio"];
const RANDOMISATION_KEYS: &[&str] = &["method", "block_sizes", "strata", "factors", "probability"];
const FACTOR_KEYS: &[&str] = &["factor", "weight"];
/// The largest block size.
const MAX_BLOCK: i64 = 1000;
const DOSE_KEYS: &[&str] = &["id", "name", "cells", "schedule", "dose_days"];
const SITE_KEYS: &[&str] = &["id", "name", "time_zone", "country"];
const SCHEDULE_KEYS: &[&str] = &["anchor", "visits"];
const VISIT_KEYS: &[&str] = &[
    "id",
    "name",
    "day",
    "window_before",
    "window_after",
    "forms",
    "screening",
    "dose_schedule",
];
const ELIGIBILITY_KEYS: &[&str] = &["age_years", "nli", "ais", "days_from_injury_to_screening"];
const BOUNDS_KEYS: &[&str] = &["min", "max"];
const LEVEL_RANGE_KEYS: &[&str] = &["from", "to"];
const FORM_KEYS: &[&str] = &["id", "name", "kind", "fields"];
const FIELD_KEYS: &[&str] = &[
    "id", "label", "type", "unit", "min", "max", "options", "required",
];

/// The largest |day| a visit or dose may have (20 years, beyond any long-term follow-up).
const MAX_DAY: i64 = 7305;
/// The largest visit window on either side.
const MAX_WINDOW: i64 = 365;
/// IANA time zone areas (the first part of `Area/Location` names).
const TZ_AREAS: &[&str] = &[
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
    "Etc",
];

pub(crate) fn parse(text: &str) -> Result<Study, DefinitionError> {
    let table: Table = text.parse().map_err(|e| syntax_error(text, &e))?;
    let mut r = Report::default();
    let study = read_study(&mut r, &Node::root(&table));
    if r.problems.is_empty() {
        Ok(study)
    } else {
        Err(DefinitionError::Invalid(r.problems))
    }
}

fn syntax_error(text: &str, error: &toml::de::Error) -> DefinitionError {
    let offset = error.span().map_or(0, |s| s.start).min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    DefinitionError::Syntax {
        line,
        column,
        message: error.message().trim().to_owned(),
    }
}

#[derive(Default)]
struct Report {
    problems: Vec<Problem>,
}

impl Report {
    fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    Required,
    Optional,
}
use Need::{Optional, Required};

/// A table being read, with its key path.
struct Node<'a> {
    path: String,
    table: &'a Table,
}

/// How a value looks, for "found …" in messages.
fn describe(value: &Value) -> String {
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

fn quoted_list(items: &[&str]) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{item:?}");
    }
    out
}

fn index_path(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

impl<'a> Node<'a> {
    fn root(table: &'a Table) -> Node<'a> {
        Node {
            path: String::new(),
            table,
        }
    }

    fn at(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn has(&self, key: &str) -> bool {
        self.table.contains_key(key)
    }

    /// Reports every key that is not in `allowed`.
    fn only(&self, r: &mut Report, allowed: &[&str]) {
        for key in self.table.keys() {
            if !allowed.contains(&key.as_str()) {
                r.add(
                    self.at(key),
                    format!("unknown key (allowed here: {})", allowed.join(", ")),
                );
            }
        }
    }

    fn value(&self, r: &mut Report, key: &str, need: Need, what: &str) -> Option<&'a Value> {
        let value = self.table.get(key);
        if value.is_none() && need == Required {
            r.add(self.at(key), format!("required key is missing ({what})"));
        }
        value
    }

    /// A non-empty string.
    fn string(&self, r: &mut Report, key: &str, need: Need) -> Option<String> {
        let value = self.value(r, key, need, "a string")?;
        string_value(r, &self.at(key), value)
    }

    /// An integer within `min..=max`.
    fn integer(&self, r: &mut Report, key: &str, need: Need, min: i64, max: i64) -> Option<i64> {
        let value = self.value(r, key, need, "an integer")?;
        integer_value(r, &self.at(key), value, min, max)
    }

    /// A finite number, integer or not.
    fn number(&self, r: &mut Report, key: &str, need: Need) -> Option<f64> {
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

    fn boolean(&self, r: &mut Report, key: &str, need: Need) -> Option<bool> {
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
    fn choice<T: Copy>(
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
    fn table(&self, r: &mut Report, key: &str, need: Need, allowed: &[&str]) -> Option<Node<'a>> {
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
    fn tables(&self, r: &mut Report, key: &str, need: Need) -> Option<Vec<Node<'a>>> {
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

    fn array(&self, r: &mut Report, key: &str, need: Need, what: &str) -> Option<&'a [Value]> {
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
    fn strings(&self, r: &mut Report, key: &str, need: Need) -> Option<Vec<(String, String)>> {
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
    fn integers(
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

fn string_value(r: &mut Report, path: &str, value: &Value) -> Option<String> {
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

fn integer_value(r: &mut Report, path: &str, value: &Value, min: i64, max: i64) -> Option<i64> {
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

fn range_text(min: i64, max: i64) -> String {
    format!("from {min} to {max}")
}

/// Converts a value already checked to lie in a `u32` range.
fn to_u32(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Converts a value already checked to lie in an `i32` range.
fn to_i32(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// `[A-Z0-9-]{2,32}`.
fn is_study_code(s: &str) -> bool {
    (2..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
}

/// `[A-Za-z0-9_-]{1,40}`.
fn is_element_id(s: &str) -> bool {
    (1..=40).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

const ID_RULE: &str = "1 to 40 characters of letters, digits, `-` and `_`";

/// `UTC`, or `Area/Location` (optionally `Area/Region/Location`) with a known IANA area and
/// parts made of letters, digits, `_`, `-` and `+`, each beginning with a capital letter.
fn is_time_zone(s: &str) -> bool {
    if s == "UTC" {
        return true;
    }
    let parts: Vec<&str> = s.split('/').collect();
    (2..=3).contains(&parts.len())
        && TZ_AREAS.contains(&parts[0])
        && parts[1..].iter().all(|p| {
            p.len() <= 30
                && p.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+'))
        })
}

/// Reads an element id and reports it when malformed.
fn element_id(r: &mut Report, node: &Node<'_>) -> Option<String> {
    let id = node.string(r, "id", Required)?;
    if is_element_id(&id) {
        Some(id)
    } else {
        r.add(node.at("id"), format!("must be {ID_RULE}, found {id:?}"));
        None
    }
}

/// Reports ids seen before, naming where each first appeared.
fn check_unique<'s>(r: &mut Report, ids: impl IntoIterator<Item = (&'s str, String)>) {
    let mut seen: HashMap<&str, String> = HashMap::new();
    for (id, path) in ids {
        if let Some(first) = seen.get(id) {
            r.add(path, format!("duplicate id {id:?} (first used at {first})"));
        } else {
            seen.insert(id, path);
        }
    }
}

fn read_study(r: &mut Report, root: &Node<'_>) -> Study {
    root.only(r, TOP_KEYS);

    if let Some(version) = root.integer(r, "schema_version", Required, i64::MIN, i64::MAX) {
        if version != Study::SCHEMA_VERSION {
            r.add(
                "schema_version",
                format!(
                    "unsupported schema version {version}; this version reads schema_version = {}",
                    Study::SCHEMA_VERSION
                ),
            );
        }
    }
    let id = root.string(r, "id", Required).unwrap_or_default();
    if !id.is_empty() && !is_study_code(&id) {
        r.add(
            "id",
            format!("must be 2 to 32 characters of A-Z, 0-9 and `-`, found {id:?}"),
        );
    }
    let title = root.string(r, "title", Required).unwrap_or_default();
    let phase = root.choice(r, "phase", Required, Phase::ALL, Phase::as_str);
    let registry = root.string(r, "registry", Required).unwrap_or_default();
    let protocol_version = root.string(r, "protocol_version", Optional);
    let design = root.choice(r, "design", Required, Design::ALL, Design::as_str);
    let blinding = root.choice(r, "blinding", Required, Blinding::ALL, Blinding::as_str);
    let target_enrolment = root
        .integer(r, "target_enrolment", Required, 1, 1_000_000)
        .map_or(0, to_u32);
    let unblinded_roles = read_unblinded_roles(r, root, blinding);
    let arms = read_arms(r, root, design);
    let (dose_levels, dlt_window_days) = read_dose_levels(r, root, design);
    let arms_complete =
        matches!(root.table.get("arms"), Some(Value::Array(items)) if items.len() == arms.len());
    let randomisation = read_randomisation(r, root, design, arms_complete.then_some(&arms[..]));
    let sites = read_sites(r, root);
    let schedule = read_schedule(r, root, !dose_levels.is_empty());
    let eligibility = read_eligibility(r, root);
    let forms = read_forms(r, root);
    let safety = read_safety(r, root);
    check_visit_forms(r, &schedule, &forms);
    let Schedule { anchor, visits, .. } = schedule;
    let Forms { forms, .. } = forms;

    Study {
        id,
        title,
        phase: phase.unwrap_or(Phase::One),
        registry,
        protocol_version,
        design: design.unwrap_or(Design::Randomised),
        blinding: blinding.unwrap_or(Blinding::DoubleBlind),
        target_enrolment,
        arms,
        dose_levels,
        dlt_window_days,
        randomisation,
        sites,
        unblinded_roles,
        anchor: anchor.unwrap_or(Anchor::FirstDose),
        visits: visits.into_iter().map(|(_, v)| v).collect(),
        forms,
        eligibility,
        safety,
    }
}

/// The optional `[safety]` table: the reference safety information, the DLT criteria and the
/// stopping rules.
fn read_safety(r: &mut Report, root: &Node<'_>) -> SafetyDefinition {
    let mut safety = SafetyDefinition::default();
    let Some(node) = root.table(r, "safety", Optional, SAFETY_KEYS) else {
        return safety;
    };
    if let Some(terms) = node.strings(r, "expected_terms", Optional) {
        let mut seen: Vec<(String, String)> = Vec::new();
        for (path, term) in terms {
            let term = term.trim().to_string();
            let key = term.to_lowercase();
            if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                r.add(path, format!("duplicate term {term:?} (first at {first})"));
            } else {
                seen.push((key, path));
                safety.expected_terms.push(term);
            }
        }
    }
    if let Some(dlt) = node.table(r, "dlt_criteria", Optional, DLT_CRITERIA_KEYS) {
        if let Some(grade) = dlt.integer(r, "min_grade", Optional, 1, 5) {
            safety.dlt_criteria.min_grade = u8::try_from(grade).unwrap_or(3);
        }
        if let Some(causality) = dlt.choice(
            r,
            "min_causality",
            Optional,
            Causality::ALL,
            Causality::as_str,
        ) {
            safety.dlt_criteria.min_causality = causality;
        }
    }
    let rules = node
        .tables(r, "stopping_rules", Optional)
        .unwrap_or_default();
    let mut ids: Vec<(String, String)> = Vec::new();
    for rule in rules {
        rule.only(r, STOPPING_RULE_KEYS);
        let id = element_id(r, &rule);
        let name = rule.string(r, "name", Optional);
        let kind = rule.string(r, "kind", Required);
        let kind = match kind.as_deref() {
            Some("related-ae-grade") => {
                for key in ["count", "first"] {
                    if rule.has(key) {
                        r.add(
                            rule.at(key),
                            "only allowed with kind = \"related-sae-among-first\"",
                        );
                    }
                }
                rule.integer(r, "min_grade", Required, 1, 5)
                    .map(|g| StoppingKind::RelatedAeGrade {
                        min_grade: u8::try_from(g).unwrap_or(5),
                    })
            }
            Some("related-sae-among-first") => {
                if rule.has("min_grade") {
                    r.add(
                        rule.at("min_grade"),
                        "only allowed with kind = \"related-ae-grade\"",
                    );
                }
                let count = rule.integer(r, "count", Required, 1, 1_000_000);
                let first = rule.integer(r, "first", Required, 1, 1_000_000);
                match (count, first) {
                    (Some(count), Some(first)) if count > first => {
                        r.add(
                            rule.at("count"),
                            format!("must be at most first ({first}), found {count}"),
                        );
                        None
                    }
                    (Some(count), Some(first)) => Some(StoppingKind::RelatedSaeAmongFirst {
                        count: to_u32(count),
                        first: to_u32(first),
                    }),
                    _ => None,
                }
            }
            Some(other) => {
                r.add(
                    rule.at("kind"),
                    format!(
                        "must be one of {}, found the string {other:?}",
                        quoted_list(&StoppingKind::NAMES)
                    ),
                );
                None
            }
            None => None,
        };
        if let Some(id) = &id {
            ids.push((id.clone(), rule.at("id")));
        }
        if let (Some(id), Some(kind)) = (id, kind) {
            safety.stopping_rules.push(StoppingRule {
                name: name.unwrap_or_else(|| kind.describe()),
                id,
                kind,
            });
        }
    }
    check_unique(r, ids.iter().map(|(id, path)| (id.as_str(), path.clone())));
    safety
}

fn read_unblinded_roles(r: &mut Report, root: &Node<'_>, blinding: Option<Blinding>) -> Vec<Role> {
    let given = root.strings(r, "unblinded_roles", Optional);
    match blinding {
        Some(Blinding::OpenLabel) => {
            if given.is_some() {
                r.add(
                    "unblinded_roles",
                    "only allowed with blinding = \"double-blind\"; in an open-label study \
                     nobody is blinded",
                );
            }
            return Role::ALL.to_vec();
        }
        None | Some(Blinding::DoubleBlind) => {}
    }
    let Some(given) = given else {
        return Study::DEFAULT_UNBLINDED_ROLES.to_vec();
    };
    let mut roles = Vec::new();
    let mut seen: Vec<(Role, String)> = Vec::new();
    for (path, name) in given {
        match Role::parse(&name) {
            Some(Role::Pharmacovigilance) => r.add(
                path,
                "pharmacovigilance stays blinded to the study: it is shown the actual treatment \
                 of one SUSAR case at a time, for that case's report",
            ),
            Some(role) => {
                if let Some((_, first)) = seen.iter().find(|(s, _)| *s == role) {
                    r.add(path, format!("duplicate role {name:?} (first at {first})"));
                } else {
                    seen.push((role, path));
                    roles.push(role);
                }
            }
            None => r.add(
                path,
                format!("unknown role {name:?} (allowed: {})", Role::names()),
            ),
        }
    }
    roles
}

fn read_arms(r: &mut Report, root: &Node<'_>, design: Option<Design>) -> Vec<Arm> {
    match design {
        Some(Design::DoseEscalation) => {
            if root.has("arms") {
                r.add(
                    "arms",
                    "only allowed with design = \"randomised\"; a dose-escalation study has \
                     dose_levels",
                );
            }
            return Vec::new();
        }
        Some(Design::Randomised) if !root.has("arms") => {
            r.add(
                "arms",
                "required with design = \"randomised\": at least two [[arms]]",
            );
            return Vec::new();
        }
        _ => {}
    }
    let Some(nodes) = root.tables(r, "arms", Optional) else {
        return Vec::new();
    };
    let mut arms = Vec::new();
    let mut ids = Vec::new();
    for node in &nodes {
        node.only(r, ARM_KEYS);
        let id = element_id(r, node);
        let name = node.string(r, "name", Required);
        let kind = node.choice(r, "kind", Required, ArmKind::ALL, ArmKind::as_str);
        let ratio = node.integer(r, "ratio", Required, 1, 100);
        if let Some(id) = &id {
            ids.push((id.clone(), node.at("id")));
        }
        if let (Some(id), Some(name), Some(kind), Some(ratio)) = (id, name, kind, ratio) {
            arms.push(Arm {
                id,
                name,
                kind,
                ratio: to_u32(ratio),
            });
        }
    }
    check_unique(r, ids.iter().map(|(id, p)| (id.as_str(), p.clone())));
    if design == Some(Design::Randomised) && nodes.len() < 2 {
        r.add(
            "arms",
            format!(
                "a randomised study needs at least two arms, found {}",
                nodes.len()
            ),
        );
    }
    if nodes.len() == arms.len()
        && !arms.is_empty()
        && !arms.iter().any(|a| a.kind == ArmKind::Active)
    {
        r.add("arms", "at least one arm must have kind = \"active\"");
    }
    arms
}

fn read_dose_levels(
    r: &mut Report,
    root: &Node<'_>,
    design: Option<Design>,
) -> (Vec<DoseLevel>, Option<u32>) {
    if design == Some(Design::Randomised) {
        for key in ["dose_levels", "dlt_window_days"] {
            if root.has(key) {
                r.add(
                    key,
                    "only allowed with design = \"dose-escalation\"; a randomised study has arms",
                );
            }
        }
        return (Vec::new(), None);
    }
    let need = if design == Some(Design::DoseEscalation) {
        Required
    } else {
        Optional
    };
    let dlt_window_days = root
        .integer(r, "dlt_window_days", need, 1, MAX_WINDOW)
        .map(to_u32);
    if need == Required && !root.has("dose_levels") {
        r.add(
            "dose_levels",
            "required with design = \"dose-escalation\": at least one [[dose_levels]]",
        );
        return (Vec::new(), dlt_window_days);
    }
    let Some(nodes) = root.tables(r, "dose_levels", Optional) else {
        return (Vec::new(), dlt_window_days);
    };
    if nodes.is_empty() {
        r.add("dose_levels", "at least one dose level is required");
    }
    let mut levels = Vec::new();
    let mut ids = Vec::new();
    for node in &nodes {
        node.only(r, DOSE_KEYS);
        let id = element_id(r, node);
        let name = node.string(r, "name", Required);
        let cells = node.number(r, "cells", Required);
        if let Some(c) = cells {
            if c < 1.0 {
                r.add(
                    node.at("cells"),
                    format!("must be a number of cells of at least 1, found {c}"),
                );
            }
        }
        let schedule = node.choice(
            r,
            "schedule",
            Required,
            DoseSchedule::ALL,
            DoseSchedule::as_str,
        );
        let days = read_dose_days(r, node, schedule);
        if let Some(id) = &id {
            ids.push((id.clone(), node.at("id")));
        }
        if let (Some(id), Some(name), Some(cells), Some(schedule), Some(dose_days)) =
            (id, name, cells, schedule, days)
        {
            levels.push(DoseLevel {
                id,
                name,
                cells,
                schedule,
                dose_days,
            });
        }
    }
    check_unique(r, ids.iter().map(|(id, p)| (id.as_str(), p.clone())));
    (levels, dlt_window_days)
}

fn read_dose_days(
    r: &mut Report,
    node: &Node<'_>,
    schedule: Option<DoseSchedule>,
) -> Option<Vec<i32>> {
    let path = node.at("dose_days");
    let need = if schedule == Some(DoseSchedule::Multiple) {
        Required
    } else {
        Optional
    };
    let Some(days) = node.integers(r, "dose_days", need, 1, MAX_DAY) else {
        return match schedule {
            Some(DoseSchedule::Single) => Some(vec![1]),
            _ => None,
        };
    };
    let mut ok = true;
    for pair in days.windows(2) {
        if pair[1].1 <= pair[0].1 {
            r.add(
                &pair[1].0,
                format!(
                    "dose days must increase strictly: {} does not come after {}",
                    pair[1].1, pair[0].1
                ),
            );
            ok = false;
        }
    }
    if let Some((first_path, first)) = days.first() {
        if *first != 1 {
            r.add(
                first_path,
                format!("the first dose is on day 1 (days count from it), found {first}"),
            );
            ok = false;
        }
    }
    match schedule {
        Some(DoseSchedule::Single) if days.len() != 1 => {
            r.add(
                path,
                format!(
                    "a single-dose level has dose_days = [1] (or omits it), found {} days",
                    days.len()
                ),
            );
            ok = false;
        }
        Some(DoseSchedule::Multiple) if days.len() < 2 => {
            r.add(
                path,
                format!(
                    "a multiple-dose level needs at least two dose days, found {}",
                    days.len()
                ),
            );
            ok = false;
        }
        _ => {}
    }
    ok.then(|| days.into_iter().map(|(_, d)| to_i32(d)).collect())
}

/// Reads `[randomisation]`. `arms` is given when every arm was read, so that block sizes can be
/// checked against the sum of their ratios.
fn read_randomisation(
    r: &mut Report,
    root: &Node<'_>,
    design: Option<Design>,
    arms: Option<&[Arm]>,
) -> Option<Randomisation> {
    const KEY: &str = "randomisation";
    match design {
        Some(Design::DoseEscalation) => {
            if root.has(KEY) {
                r.add(
                    KEY,
                    "only allowed with design = \"randomised\"; a dose-escalation study allocates \
                     participants to dose levels by the 3+3 rule",
                );
            }
            return None;
        }
        Some(Design::Randomised) if !root.has(KEY) => {
            r.add(
                KEY,
                "required with design = \"randomised\": a [randomisation] table with method = \
                 \"permuted-blocks\" or \"minimisation\"",
            );
            return None;
        }
        _ => {}
    }
    let node = root.table(r, KEY, Optional, RANDOMISATION_KEYS)?;
    let method = node.choice(
        r,
        "method",
        Required,
        RandomisationMethod::ALL,
        RandomisationMethod::as_str,
    )?;
    let (misplaced, owner) = match method {
        RandomisationMethod::PermutedBlocks => (["factors", "probability"], "minimisation"),
        RandomisationMethod::Minimisation => (["block_sizes", "strata"], "permuted-blocks"),
    };
    let mut ok = true;
    for key in misplaced {
        if node.has(key) {
            r.add(
                node.at(key),
                format!("only allowed with method = \"{owner}\", not \"{method}\""),
            );
            ok = false;
        }
    }
    let randomisation = match method {
        RandomisationMethod::PermutedBlocks => {
            let block_sizes = read_block_sizes(r, &node, arms);
            let strata = read_strata(r, &node);
            Randomisation::PermutedBlocks {
                block_sizes: block_sizes?,
                strata: strata?,
            }
        }
        RandomisationMethod::Minimisation => {
            let factors = read_minimisation_factors(r, &node);
            let probability = node.number(r, "probability", Required);
            if let Some(p) = probability {
                if !(p > 0.5 && p <= 1.0) {
                    r.add(
                        node.at("probability"),
                        format!(
                            "must be greater than 0.5 and at most 1 (the probability of \
                             allocating the arm that minimises imbalance), found {p}"
                        ),
                    );
                    ok = false;
                }
            }
            Randomisation::Minimisation {
                factors: factors?,
                probability: probability?,
            }
        }
    };
    ok.then_some(randomisation)
}

fn read_block_sizes(r: &mut Report, node: &Node<'_>, arms: Option<&[Arm]>) -> Option<Vec<u32>> {
    let sizes = node.integers(r, "block_sizes", Required, 1, MAX_BLOCK)?;
    let mut ok = true;
    if sizes.is_empty() {
        r.add(
            node.at("block_sizes"),
            "at least one block size is required",
        );
        ok = false;
    }
    let ratios: Vec<u32> = arms
        .filter(|a| !a.is_empty())
        .map(|arms| arms.iter().map(|a| a.ratio).collect())
        .unwrap_or_default();
    let total: i64 = ratios.iter().map(|&r| i64::from(r)).sum();
    let mut seen: Vec<(i64, &str)> = Vec::new();
    for (path, size) in &sizes {
        if let Some((_, first)) = seen.iter().find(|(s, _)| s == size) {
            r.add(
                path,
                format!("duplicate block size {size} (first at {first})"),
            );
            ok = false;
        } else {
            seen.push((*size, path));
        }
        if total > 0 && size % total != 0 {
            let sum: Vec<String> = ratios.iter().map(u32::to_string).collect();
            r.add(
                path,
                format!(
                    "must be a multiple of {total}, the sum of the arm ratios ({}), so that each \
                     block holds the arms in their ratio; found {size}",
                    sum.join(" + ")
                ),
            );
            ok = false;
        }
    }
    let sizes = sizes.iter().map(|(_, s)| to_u32(*s)).collect();
    ok.then_some(sizes)
}

/// Reads a factor name at `path`.
fn factor_name(r: &mut Report, path: &str, name: &str) -> Option<Factor> {
    let factor = Factor::parse(name);
    if factor.is_none() {
        let names: Vec<&str> = Factor::ALL.iter().map(|f| f.as_str()).collect();
        r.add(
            path,
            format!("must be one of {}, found {name:?}", quoted_list(&names)),
        );
    }
    factor
}

/// Reports a factor listed before, naming where it first appeared.
fn check_factor_once(
    r: &mut Report,
    seen: &mut Vec<(Factor, String)>,
    factor: Factor,
    path: String,
) -> bool {
    if let Some((_, first)) = seen.iter().find(|(f, _)| *f == factor) {
        r.add(
            path,
            format!("factor \"{factor}\" is listed twice (first at {first})"),
        );
        false
    } else {
        seen.push((factor, path));
        true
    }
}

fn read_strata(r: &mut Report, node: &Node<'_>) -> Option<Vec<Factor>> {
    let Some(names) = node.strings(r, "strata", Optional) else {
        return (!node.has("strata")).then(Vec::new);
    };
    let mut ok = true;
    let mut seen = Vec::new();
    for (path, name) in names {
        match factor_name(r, &path, &name) {
            Some(factor) => ok &= check_factor_once(r, &mut seen, factor, path),
            None => ok = false,
        }
    }
    ok.then(|| seen.into_iter().map(|(f, _)| f).collect())
}

fn read_minimisation_factors(r: &mut Report, node: &Node<'_>) -> Option<Vec<WeightedFactor>> {
    let nodes = node.tables(r, "factors", Required)?;
    let given = match node.table.get("factors") {
        Some(Value::Array(items)) => items.len(),
        _ => 0,
    };
    // An element that is not a table was reported by `tables`.
    let mut ok = nodes.len() == given;
    if given == 0 {
        r.add(
            node.at("factors"),
            "at least one factor is required (\"ais\", \"level\" or \"site\")",
        );
        ok = false;
    }
    let mut seen = Vec::new();
    let mut factors = Vec::new();
    for item in &nodes {
        item.only(r, FACTOR_KEYS);
        let factor = item
            .string(r, "factor", Required)
            .and_then(|name| factor_name(r, &item.at("factor"), &name));
        let weight = match item.number(r, "weight", Optional) {
            Some(w) if w > 0.0 => w,
            Some(w) => {
                r.add(
                    item.at("weight"),
                    format!("must be greater than 0, found {w}"),
                );
                ok = false;
                w
            }
            None => {
                ok &= !item.has("weight");
                1.0
            }
        };
        match factor {
            Some(factor) => {
                ok &= check_factor_once(r, &mut seen, factor, item.at("factor"));
                factors.push(WeightedFactor { factor, weight });
            }
            None => ok = false,
        }
    }
    ok.then_some(factors)
}

fn read_sites(r: &mut Report, root: &Node<'_>) -> Vec<Site> {
    let Some(nodes) = root.tables(r, "sites", Required) else {
        return Vec::new();
    };
    if nodes.is_empty() {
        r.add("sites", "at least one site is required");
    }
    let mut sites = Vec::new();
    let mut ids = Vec::new();
    for node in &nodes {
        node.only(r, SITE_KEYS);
        let id = element_id(r, node);
        let name = node.string(r, "name", Required);
        let time_zone = node.string(r, "time_zone", Required);
        if let Some(tz) = &time_zone {
            if !is_time_zone(tz) {
                r.add(
                    node.at("time_zone"),
                    format!(
                        "must be an IANA time zone name, \"UTC\" or Area/Location with Area one \
                         of {} (e.g. \"Asia/Shanghai\", \"America/New_York\"), found {tz:?}",
                        TZ_AREAS.join(", ")
                    ),
                );
            }
        }
        let country = node.string(r, "country", Required);
        if let Some(c) = &country {
            if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
                r.add(
                    node.at("country"),
                    format!(
                        "must be an ISO 3166-1 alpha-2 code, two capital letters such as \"CN\" \
                         or \"US\", found {c:?}"
                    ),
                );
            }
        }
        if let Some(id) = &id {
            ids.push((id.clone(), node.at("id")));
        }
        if let (Some(id), Some(name), Some(time_zone), Some(country)) =
            (id, name, time_zone, country)
        {
            sites.push(Site {
                id,
                name,
                time_zone,
                country,
            });
        }
    }
    check_unique(r, ids.iter().map(|(id, p)| (id.as_str(), p.clone())));
    sites
}

/// A visit with the path of its table.
type PathedVisit = (String, VisitDef);

/// What could be read of `[schedule]`.
#[derive(Default)]
struct Schedule {
    anchor: Option<Anchor>,
    visits: Vec<PathedVisit>,
    /// Every visit table was read without a problem.
    complete: bool,
}

fn read_schedule(r: &mut Report, root: &Node<'_>, dose_levels: bool) -> Schedule {
    let Some(schedule) = root.table(r, "schedule", Required, SCHEDULE_KEYS) else {
        return Schedule::default();
    };
    let anchor = schedule.choice(r, "anchor", Required, Anchor::ALL, Anchor::as_str);
    let Some(nodes) = schedule.tables(r, "visits", Required) else {
        return Schedule {
            anchor,
            ..Schedule::default()
        };
    };
    if nodes.is_empty() {
        r.add(schedule.at("visits"), "at least one visit is required");
    }
    let mut visits: Vec<PathedVisit> = Vec::new();
    let mut ids = Vec::new();
    let mut previous_day: Option<(i64, String)> = None;
    for node in &nodes {
        node.only(r, VISIT_KEYS);
        let id = element_id(r, node);
        let name = node.string(r, "name", Required);
        let day = node.integer(r, "day", Required, -MAX_DAY, MAX_DAY);
        if day == Some(0) {
            r.add(
                node.at("day"),
                "there is no day 0: day 1 is the anchor date and day -1 the day before",
            );
        }
        if let Some(day) = day {
            if let Some((before, before_path)) = &previous_day {
                if day <= *before {
                    r.add(
                        node.at("day"),
                        format!(
                            "visit days must increase strictly: {day} does not come after \
                             {before} ({before_path})"
                        ),
                    );
                }
            }
            previous_day = Some((day, node.at("day")));
        }
        let before = node.integer(r, "window_before", Required, 0, MAX_WINDOW);
        let after = node.integer(r, "window_after", Required, 0, MAX_WINDOW);
        let forms = node.strings(r, "forms", Required);
        let screening = node.boolean(r, "screening", Optional);
        let dose_schedule = node.choice(
            r,
            "dose_schedule",
            Optional,
            DoseSchedule::ALL,
            DoseSchedule::as_str,
        );
        if dose_schedule.is_some() && !dose_levels {
            r.add(
                node.at("dose_schedule"),
                "is for a study with dose levels (design = \"dose-escalation\"); this study has none",
            );
        }
        if dose_schedule.is_some() && (screening == Some(true) || day.is_some_and(|d| d < 1)) {
            r.add(
                node.at("dose_schedule"),
                "a screening visit comes before any dose: it is for every participant",
            );
        }
        if let (Some(true), Some(day), Some(Anchor::FirstDose)) = (screening, day, anchor) {
            if day >= 1 {
                r.add(
                    node.at("screening"),
                    format!(
                        "a screening visit must come before the first dose (day 1) when anchor = \
                         \"first-dose\", but this visit is on day {day}"
                    ),
                );
            }
        }
        if let Some(id) = &id {
            ids.push((id.clone(), node.at("id")));
        }
        if let (Some(id), Some(name), Some(day), Some(before), Some(after), Some(forms)) =
            (id, name, day, before, after, forms)
        {
            visits.push((
                node.path.clone(),
                VisitDef {
                    id,
                    name,
                    day: to_i32(day),
                    window_before: to_u32(before),
                    window_after: to_u32(after),
                    forms: forms.into_iter().map(|(_, f)| f).collect(),
                    screening: screening.unwrap_or(day < 1),
                    dose_schedule,
                },
            ));
        }
    }
    check_unique(r, ids.iter().map(|(id, p)| (id.as_str(), p.clone())));
    if let Some(first_late) = visits.iter().position(|(_, v)| !v.screening) {
        for (path, visit) in &visits[first_late..] {
            if visit.screening {
                r.add(
                    format!("{path}.screening"),
                    format!(
                        "screening visits must come before all other visits, but {:?} comes \
                         after {:?}",
                        visit.id, visits[first_late].1.id
                    ),
                );
            }
        }
    }
    Schedule {
        anchor,
        complete: visits.len() == nodes.len(),
        visits,
    }
}

fn read_bounds(r: &mut Report, parent: &Node<'_>, key: &str, max: i64) -> Option<Bounds> {
    let node = parent.table(r, key, Optional, BOUNDS_KEYS)?;
    let min_value = node.integer(r, "min", Required, 0, max);
    let max_value = node.integer(r, "max", Required, 0, max);
    let (min_value, max_value) = (min_value?, max_value?);
    if min_value > max_value {
        r.add(
            node.at("min"),
            format!("must not be greater than max ({max_value}), found {min_value}"),
        );
        return None;
    }
    Some(Bounds {
        min: to_u32(min_value),
        max: to_u32(max_value),
    })
}

const LEVEL_NAMES: &str = "C1-C8, T1-T12, L1-L5, S1, S2, S3, S4_5";

fn read_level(r: &mut Report, node: &Node<'_>, key: &str) -> Option<Level> {
    let name = node.string(r, key, Required)?;
    let level = Level::parse(&name);
    if level.is_none() {
        r.add(
            node.at(key),
            format!("must be a spinal level ({LEVEL_NAMES}), found {name:?}"),
        );
    }
    level
}

fn read_eligibility(r: &mut Report, root: &Node<'_>) -> Criteria {
    let Some(node) = root.table(r, "eligibility", Optional, ELIGIBILITY_KEYS) else {
        return Criteria::default();
    };
    let age_years = read_bounds(r, &node, "age_years", 150);
    let nli = node
        .table(r, "nli", Optional, LEVEL_RANGE_KEYS)
        .and_then(|range| {
            let from = read_level(r, &range, "from");
            let to = read_level(r, &range, "to");
            let (from, to) = (from?, to?);
            if from > to {
                r.add(
                    range.at("from"),
                    format!("must not be caudal to `to` ({to}), found {from}"),
                );
                return None;
            }
            Some(LevelRange { from, to })
        });
    let ais = node.strings(r, "ais", Optional).and_then(|letters| {
        if letters.is_empty() {
            r.add(node.at("ais"), "must list at least one grade (A to E)");
            return None;
        }
        let mut grades: Vec<Grade> = Vec::new();
        let mut ok = true;
        for (path, letter) in letters {
            match Grade::ALL.into_iter().find(|g| g.letter() == letter) {
                Some(g) if grades.contains(&g) => {
                    r.add(path, format!("duplicate grade {letter:?}"));
                    ok = false;
                }
                Some(g) => grades.push(g),
                None => {
                    r.add(
                        path,
                        format!(
                            "must be an AIS grade, one of \"A\", \"B\", \"C\", \"D\", \"E\", found \
                             {letter:?}"
                        ),
                    );
                    ok = false;
                }
            }
        }
        grades.sort();
        ok.then_some(grades)
    });
    let days_from_injury_to_screening =
        read_bounds(r, &node, "days_from_injury_to_screening", 36_500);
    Criteria {
        age_years,
        nli,
        ais,
        days_from_injury_to_screening,
    }
}

/// What could be read of `[[forms]]`.
#[derive(Default)]
struct Forms {
    forms: Vec<FormDef>,
    /// The ids of every form table, including those with problems.
    ids: Vec<String>,
}

fn read_forms(r: &mut Report, root: &Node<'_>) -> Forms {
    let Some(nodes) = root.tables(r, "forms", Required) else {
        return Forms::default();
    };
    if nodes.is_empty() {
        r.add("forms", "at least one form is required");
    }
    let mut forms = Vec::new();
    let mut ids = Vec::new();
    for node in &nodes {
        node.only(r, FORM_KEYS);
        let id = element_id(r, node);
        let name = node.string(r, "name", Required);
        let kind = node.choice(r, "kind", Required, FormKind::ALL, FormKind::as_str);
        let fields = match kind {
            Some(kind) if kind.has_fields() => read_fields(r, node),
            Some(kind) => {
                if node.has("fields") {
                    r.add(
                        node.at("fields"),
                        format!(
                            "not allowed for kind = \"{kind}\": its content is fixed by the \
                             instrument; fields are for kinds \"vital-signs\", \
                             \"concomitant-medication\" and \"generic\""
                        ),
                    );
                }
                Some(Vec::new())
            }
            None => None,
        };
        if let Some(id) = &id {
            ids.push((id.clone(), node.at("id")));
        }
        if let (Some(id), Some(name), Some(kind), Some(fields)) = (id, name, kind, fields) {
            forms.push(FormDef {
                id,
                name,
                kind,
                fields,
            });
        }
    }
    check_unique(r, ids.iter().map(|(id, p)| (id.as_str(), p.clone())));
    Forms {
        forms,
        ids: ids.into_iter().map(|(id, _)| id).collect(),
    }
}

fn read_fields(r: &mut Report, form: &Node<'_>) -> Option<Vec<FieldDef>> {
    let nodes = form.tables(r, "fields", Required)?;
    if nodes.is_empty() {
        r.add(form.at("fields"), "at least one field is required");
    }
    let mut fields = Vec::new();
    let mut ids = Vec::new();
    let mut ok = true;
    for node in &nodes {
        node.only(r, FIELD_KEYS);
        let id = element_id(r, node);
        let label = node.string(r, "label", Required);
        let field_type = node.choice(r, "type", Required, FieldType::ALL, FieldType::as_str);
        let required = node.boolean(r, "required", Optional).unwrap_or(false);
        let mut misplaced = false;
        if let Some(other) = field_type.filter(|t| !t.is_numeric()) {
            for key in ["unit", "min", "max"] {
                if node.has(key) {
                    r.add(
                        node.at(key),
                        format!(
                            "only allowed for type = \"integer\" or \"decimal\", not {:?}",
                            other.as_str()
                        ),
                    );
                    misplaced = true;
                }
            }
        }
        let (unit, min, max) = match field_type {
            Some(FieldType::Integer) => {
                // Kept as f64 like decimal bounds: exact up to 2^53, beyond any real field.
                let as_float = |n: i64| n as f64;
                (
                    node.string(r, "unit", Optional),
                    node.integer(r, "min", Optional, i64::MIN, i64::MAX)
                        .map(as_float),
                    node.integer(r, "max", Optional, i64::MIN, i64::MAX)
                        .map(as_float),
                )
            }
            Some(FieldType::Decimal) => (
                node.string(r, "unit", Optional),
                node.number(r, "min", Optional),
                node.number(r, "max", Optional),
            ),
            _ => (None, None, None),
        };
        if let (Some(lo), Some(hi)) = (min, max) {
            if lo > hi {
                r.add(
                    node.at("min"),
                    format!("must not be greater than max ({hi}), found {lo}"),
                );
                ok = false;
            }
        }
        let options = read_options(r, node, field_type);
        if let Some(id) = &id {
            ids.push((id.clone(), node.at("id")));
        }
        match (id, label, field_type, options) {
            (Some(id), Some(label), Some(field_type), Some(options)) if !misplaced => {
                fields.push(FieldDef {
                    id,
                    label,
                    field_type,
                    unit,
                    min,
                    max,
                    options,
                    required,
                });
            }
            _ => ok = false,
        }
    }
    check_unique(r, ids.iter().map(|(id, p)| (id.as_str(), p.clone())));
    ok.then_some(fields)
}

fn read_options(
    r: &mut Report,
    node: &Node<'_>,
    field_type: Option<FieldType>,
) -> Option<Vec<String>> {
    match field_type {
        Some(FieldType::Choice) => {
            let options = node.strings(r, "options", Required)?;
            if options.is_empty() {
                r.add(
                    node.at("options"),
                    "a choice field needs at least one option",
                );
                return None;
            }
            let mut out: Vec<String> = Vec::new();
            let mut ok = true;
            for (path, option) in options {
                if out.contains(&option) {
                    r.add(path, format!("duplicate option {option:?}"));
                    ok = false;
                } else {
                    out.push(option);
                }
            }
            ok.then_some(out)
        }
        Some(other) => {
            if node.has("options") {
                r.add(
                    node.at("options"),
                    format!(
                        "only allowed for type = \"choice\", not {:?}",
                        other.as_str()
                    ),
                );
                return None;
            }
            Some(Vec::new())
        }
        None => None,
    }
}

/// Checks the forms each visit names, and that screening has exactly one ISNCSCI form.
fn check_visit_forms(r: &mut Report, schedule: &Schedule, forms: &Forms) {
    let known: Vec<&str> = forms.ids.iter().map(String::as_str).collect();
    for (path, visit) in &schedule.visits {
        let mut seen: Vec<&str> = Vec::new();
        for (j, form) in visit.forms.iter().enumerate() {
            let form_path = format!("{path}.forms[{j}]");
            if seen.contains(&form.as_str()) {
                r.add(form_path, format!("form {form:?} is listed twice"));
            } else if !known.contains(&form.as_str()) {
                r.add(
                    form_path,
                    format!(
                        "unknown form {form:?} (defined forms: {})",
                        known.join(", ")
                    ),
                );
            }
            seen.push(form);
        }
    }
    let screening: Vec<&VisitDef> = schedule
        .visits
        .iter()
        .map(|(_, v)| v)
        .filter(|v| v.screening)
        .collect();
    // With visits or forms that failed to read, the count below would only repeat their
    // problems. (Ids of forms never defined are reported above and count as not ISNCSCI.)
    let all_read = screening
        .iter()
        .flat_map(|v| v.forms.iter())
        .filter(|id| forms.ids.contains(id))
        .all(|id| forms.forms.iter().any(|f| f.id == *id));
    if !schedule.complete || schedule.visits.is_empty() || !all_read {
        return;
    }
    let mut isncsci: Vec<&str> = Vec::new();
    for id in screening.iter().flat_map(|v| v.forms.iter()) {
        let is_exam = forms
            .forms
            .iter()
            .any(|f| f.id == *id && f.kind == FormKind::Isncsci);
        if is_exam && !isncsci.contains(&id.as_str()) {
            isncsci.push(id);
        }
    }
    match isncsci.len() {
        1 => {}
        0 => r.add(
            "schedule.visits",
            "no screening visit (a visit before day 1, or with screening = true) lists a form of \
             kind \"isncsci\"; exactly one is needed to assess eligibility",
        ),
        n => r.add(
            "schedule.visits",
            format!(
                "screening visits list {n} different forms of kind \"isncsci\" ({}); exactly one \
                 is allowed, so that eligibility rests on one exam",
                isncsci.join(", ")
            ),
        ),
    }
}

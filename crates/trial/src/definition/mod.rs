//! Reading and checking a study definition.
//!
//! The TOML is parsed into a generic table first, then walked key by key. The walk records a
//! problem and carries on wherever a value is missing, of the wrong type, unknown or out of
//! range, so that one pass reports everything, each problem under its exact key path. (Serde
//! derives would stop at the first mismatch and would not name the path.) The checks that
//! relate several parts (references, ordering, the design's requirements) run on what could be
//! read.

mod design;
mod forms;
mod labs;
mod node;
mod product;
mod schedule;

pub(crate) use product::parse_product;

use std::collections::HashMap;
use std::fmt::Write as _;

use isncsci::{Grade, Level};
use toml::{Table, Value};

use crate::error::{DefinitionError, Problem};
use crate::role::Role;
use crate::safety::{Causality, SafetyDefinition, StoppingKind, StoppingRule};
use crate::study::{
    Anchor, Arm, ArmKind, Blinding, Bounds, Criteria, Design, DoseLevel, DoseSchedule, Factor,
    FieldDef, FieldSource, FieldType, FormDef, FormKind, LevelRange, Phase, Randomisation,
    RandomisationMethod, Site, Study, VisitDef, WeightedFactor,
};

use design::*;
use forms::*;
use node::*;
use schedule::*;

const TOP_KEYS: &[&str] = &[
    "schema_version",
    "id",
    "title",
    "title_zh",
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
    "labs",
];
const SAFETY_KEYS: &[&str] = &["expected_terms", "dlt_criteria", "stopping_rules"];
const DLT_CRITERIA_KEYS: &[&str] = &["min_grade", "min_causality"];
const STOPPING_RULE_KEYS: &[&str] = &[
    "id",
    "name",
    "name_zh",
    "kind",
    "min_grade",
    "count",
    "first",
];
const ARM_KEYS: &[&str] = &["id", "name", "name_zh", "kind", "ratio"];
const RANDOMISATION_KEYS: &[&str] = &["method", "block_sizes", "strata", "factors", "probability"];
const FACTOR_KEYS: &[&str] = &["factor", "weight"];
/// The largest block size.
const MAX_BLOCK: i64 = 1000;
const DOSE_KEYS: &[&str] = &["id", "name", "name_zh", "cells", "schedule", "dose_days"];
const SITE_KEYS: &[&str] = &["id", "name", "name_zh", "time_zone", "country"];
const SCHEDULE_KEYS: &[&str] = &["anchor", "visits"];
const VISIT_KEYS: &[&str] = &[
    "id",
    "name",
    "name_zh",
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
const FORM_KEYS: &[&str] = &["id", "name", "name_zh", "kind", "fields"];
const FIELD_KEYS: &[&str] = &[
    "id",
    "label",
    "label_zh",
    "type",
    "unit",
    "unit_zh",
    "min",
    "max",
    "options",
    "options_zh",
    "required",
    "source",
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
    let title_zh = root.chinese(r, "title_zh");
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
    let visit_ids: Vec<&str> = schedule.visits.iter().map(|(_, v)| v.id.as_str()).collect();
    let labs = labs::read_labs(r, root, &visit_ids);
    check_visit_forms(r, &schedule, &forms);
    let Schedule { anchor, visits, .. } = schedule;
    let Forms { forms, .. } = forms;

    Study {
        id,
        title,
        title_zh,
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
        labs,
    }
}

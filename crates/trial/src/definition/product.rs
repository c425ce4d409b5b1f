//! The product definition: storage, handling and the release tests with their criteria.

use super::*;
use crate::product::release::{Criterion, ProductDefinition, ReleaseTest};

pub(super) const PRODUCT_KEYS: &[&str] = &[
    "schema_version",
    "id",
    "name",
    "name_zh",
    "storage_max_c",
    "max_logger_gap_minutes",
    "thaw_to_administration_minutes",
    "shipping_lead_days",
    "min_days_on_site",
    "min_units_on_site",
    "release_tests",
];
pub(super) const TEST_KEYS: &[&str] = &[
    "id",
    "name",
    "name_zh",
    "method",
    "criterion",
    "min",
    "max",
    "unit",
    "accepted",
    "allowed",
    "may_be_pending",
];
const CRITERIA: &[&str] = &["at_least", "at_most", "below", "one_of"];

/// Reads a product definition, reporting every problem with its key path.
pub(crate) fn parse_product(text: &str) -> Result<ProductDefinition, DefinitionError> {
    let table: Table = text.parse().map_err(|e| syntax_error(text, &e))?;
    let mut r = Report::default();
    let root = Node::root(&table);
    root.only(&mut r, PRODUCT_KEYS);
    if let Some(v) = root.integer(&mut r, "schema_version", Required, i64::MIN, i64::MAX) {
        if v != ProductDefinition::SCHEMA_VERSION {
            r.add(
                "schema_version",
                format!(
                    "unsupported schema version {v}; this version reads schema_version = {}",
                    ProductDefinition::SCHEMA_VERSION
                ),
            );
        }
    }
    let id = root.string(&mut r, "id", Required);
    if let Some(id) = &id {
        if !is_study_code(id) {
            r.add(
                "id",
                format!("must be 2 to 32 of A-Z, 0-9 and -, found {id:?}"),
            );
        }
    }
    let name = root.string(&mut r, "name", Required);
    let name_zh = root.string(&mut r, "name_zh", Optional);
    let storage_max_c = root.number(&mut r, "storage_max_c", Required);
    if let Some(t) = storage_max_c {
        if !(-273.0..=8.0).contains(&t) {
            r.add("storage_max_c", format!("must be -273 to 8 °C, found {t}"));
        }
    }
    let minutes = |r: &mut Report, key: &str| {
        root.integer(r, key, Required, 1, 7 * 24 * 60)
            .map(time::Duration::minutes)
    };
    let max_logger_gap = minutes(&mut r, "max_logger_gap_minutes");
    let thaw = minutes(&mut r, "thaw_to_administration_minutes");
    let lead = root.integer(&mut r, "shipping_lead_days", Required, 0, 365);
    let on_site = root.integer(&mut r, "min_days_on_site", Required, 0, 3650);
    let min_units = root.integer(&mut r, "min_units_on_site", Optional, 0, 100_000);
    let tests: Vec<ReleaseTest> = root
        .tables(&mut r, "release_tests", Required)
        .unwrap_or_default()
        .iter()
        .filter_map(|node| read_test(&mut r, node))
        .collect();
    if root.has("release_tests") && tests.is_empty() && r.problems.is_empty() {
        r.add(
            "release_tests",
            "lists no test; a lot is released on its tests",
        );
    }
    let mut seen: Vec<&str> = Vec::new();
    for (i, t) in tests.iter().enumerate() {
        if seen.contains(&t.id.as_str()) {
            r.add(
                format!("release_tests[{i}].id"),
                format!("duplicate id {:?}", t.id),
            );
        }
        seen.push(&t.id);
    }
    match (id, name, storage_max_c, max_logger_gap, thaw, lead, on_site) {
        (
            Some(id),
            Some(name),
            Some(storage_max_c),
            Some(max_logger_gap),
            Some(thaw),
            Some(lead),
            Some(on_site),
        ) if r.problems.is_empty() => Ok(ProductDefinition {
            id,
            name,
            name_zh,
            storage_max_c,
            max_logger_gap,
            thaw_to_administration: thaw,
            shipping_lead_days: to_u32(lead),
            min_days_on_site: to_u32(on_site),
            min_units_on_site: min_units.map(to_u32).unwrap_or(0),
            release_tests: tests,
        }),
        _ => Err(DefinitionError::Invalid(r.problems)),
    }
}

fn read_test(r: &mut Report, node: &Node<'_>) -> Option<ReleaseTest> {
    node.only(r, TEST_KEYS);
    let id = element_id(r, node);
    let name = node.string(r, "name", Required);
    let name_zh = node.string(r, "name_zh", Optional);
    let method = node.string(r, "method", Required);
    let may_be_pending = node.boolean(r, "may_be_pending", Optional).unwrap_or(false);
    let kind = node.choice(r, "criterion", Required, CRITERIA, |c| c)?;
    let numeric = |r: &mut Report, bound: &str| {
        for other in ["accepted", "allowed"] {
            if node.has(other) {
                r.add(
                    node.at(other),
                    format!("only for criterion \"one_of\" (this is {kind:?})"),
                );
            }
        }
        let unwanted = if bound == "min" { "max" } else { "min" };
        if node.has(unwanted) {
            r.add(
                node.at(unwanted),
                format!("criterion {kind:?} takes {bound:?}, not {unwanted:?}"),
            );
        }
        (
            node.number(r, bound, Required),
            node.string(r, "unit", Required),
        )
    };
    let criterion = match kind {
        "one_of" => {
            for other in ["min", "max", "unit"] {
                if node.has(other) {
                    r.add(
                        node.at(other),
                        "not for criterion \"one_of\" (it takes accepted and allowed)",
                    );
                }
            }
            let words = |r: &mut Report, key: &str| -> Option<Vec<String>> {
                Some(
                    node.strings(r, key, Required)?
                        .into_iter()
                        .map(|(_, w)| w)
                        .collect(),
                )
            };
            let accepted = words(r, "accepted")?;
            let allowed = words(r, "allowed")?;
            if accepted.is_empty() {
                r.add(node.at("accepted"), "names no word; some result must pass");
            }
            for (i, w) in accepted.iter().enumerate() {
                if !allowed.contains(w) {
                    r.add(
                        index_path(&node.at("accepted"), i),
                        format!("{w:?} is not in allowed ({})", allowed.join(", ")),
                    );
                }
            }
            Criterion::OneOf { accepted, allowed }
        }
        "at_least" => {
            let (min, unit) = numeric(r, "min");
            Criterion::AtLeast {
                min: min?,
                unit: unit?,
            }
        }
        "at_most" => {
            let (max, unit) = numeric(r, "max");
            Criterion::AtMost {
                max: max?,
                unit: unit?,
            }
        }
        _ => {
            let (max, unit) = numeric(r, "max");
            Criterion::Below {
                max: max?,
                unit: unit?,
            }
        }
    };
    Some(ReleaseTest {
        id: id?,
        name: name?,
        name_zh,
        method: method?,
        criterion,
        may_be_pending,
    })
}

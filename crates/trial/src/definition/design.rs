//! The design: safety rules, unblinded roles, arms, dose levels and randomisation.

use super::*;

/// The optional `[safety]` table: the reference safety information, the DLT criteria and the
/// stopping rules.
pub(super) fn read_safety(r: &mut Report, root: &Node<'_>) -> SafetyDefinition {
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
        let name_zh = rule.chinese(r, "name_zh");
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
                name_zh: name_zh.or_else(|| name.is_none().then(|| kind.describe_zh())),
                name: name.unwrap_or_else(|| kind.describe()),
                id,
                kind,
            });
        }
    }
    check_unique(r, ids.iter().map(|(id, path)| (id.as_str(), path.clone())));
    safety
}

pub(super) fn read_unblinded_roles(
    r: &mut Report,
    root: &Node<'_>,
    blinding: Option<Blinding>,
) -> Vec<Role> {
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

pub(super) fn read_arms(r: &mut Report, root: &Node<'_>, design: Option<Design>) -> Vec<Arm> {
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
        let name_zh = node.chinese(r, "name_zh");
        let kind = node.choice(r, "kind", Required, ArmKind::ALL, ArmKind::as_str);
        let ratio = node.integer(r, "ratio", Required, 1, 100);
        if let Some(id) = &id {
            ids.push((id.clone(), node.at("id")));
        }
        if let (Some(id), Some(name), Some(kind), Some(ratio)) = (id, name, kind, ratio) {
            arms.push(Arm {
                id,
                name,
                name_zh,
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

pub(super) fn read_dose_levels(
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
        let name_zh = node.chinese(r, "name_zh");
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
                name_zh,
                cells,
                schedule,
                dose_days,
            });
        }
    }
    check_unique(r, ids.iter().map(|(id, p)| (id.as_str(), p.clone())));
    (levels, dlt_window_days)
}

pub(super) fn read_dose_days(
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
pub(super) fn read_randomisation(
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

pub(super) fn read_block_sizes(
    r: &mut Report,
    node: &Node<'_>,
    arms: Option<&[Arm]>,
) -> Option<Vec<u32>> {
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
pub(super) fn factor_name(r: &mut Report, path: &str, name: &str) -> Option<Factor> {
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
pub(super) fn check_factor_once(
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

pub(super) fn read_strata(r: &mut Report, node: &Node<'_>) -> Option<Vec<Factor>> {
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

pub(super) fn read_minimisation_factors(
    r: &mut Report,
    node: &Node<'_>,
) -> Option<Vec<WeightedFactor>> {
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

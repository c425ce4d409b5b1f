//! The eCRF forms and their fields, and the forms each visit lists.

use super::*;

/// What could be read of `[[forms]]`.
#[derive(Default)]
pub(super) struct Forms {
    pub(super) forms: Vec<FormDef>,
    /// The ids of every form table, including those with problems.
    pub(super) ids: Vec<String>,
}

pub(super) fn read_forms(r: &mut Report, root: &Node<'_>) -> Forms {
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
        let name_zh = node.chinese(r, "name_zh");
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
                name_zh,
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

pub(super) fn read_fields(r: &mut Report, form: &Node<'_>) -> Option<Vec<FieldDef>> {
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
        let label_zh = node.chinese(r, "label_zh");
        let field_type = node.choice(r, "type", Required, FieldType::ALL, FieldType::as_str);
        let required = node.boolean(r, "required", Optional).unwrap_or(false);
        let source = node.choice(r, "source", Optional, FieldSource::ALL, FieldSource::as_str);
        let mut misplaced = false;
        if let (Some(_), Some(other)) = (source, field_type.filter(|t| *t != FieldType::Text)) {
            r.add(
                node.at("source"),
                format!("only allowed for type = \"text\", not {:?}", other.as_str()),
            );
            misplaced = true;
        }
        if let Some(other) = field_type.filter(|t| !t.is_numeric()) {
            for key in ["unit", "unit_zh", "min", "max"] {
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
        let unit_zh = if unit.is_some() || !node.has("unit_zh") {
            node.chinese(r, "unit_zh")
        } else {
            if !misplaced {
                r.add(node.at("unit_zh"), "only allowed with a unit");
            }
            misplaced = true;
            None
        };
        let options = read_options(r, node, field_type);
        let options_zh = options
            .as_ref()
            .map_or_else(Vec::new, |o| read_options_zh(r, node, o));
        if let Some(id) = &id {
            ids.push((id.clone(), node.at("id")));
        }
        match (id, label, field_type, options) {
            (Some(id), Some(label), Some(field_type), Some(options)) if !misplaced => {
                fields.push(FieldDef {
                    id,
                    label,
                    label_zh,
                    field_type,
                    unit,
                    unit_zh,
                    min,
                    max,
                    options,
                    options_zh,
                    required,
                    source,
                });
            }
            _ => ok = false,
        }
    }
    check_unique(r, ids.iter().map(|(id, p)| (id.as_str(), p.clone())));
    ok.then_some(fields)
}

/// The Chinese labels of a choice field's options (`options_zh`): one for each option, in the
/// same order.
fn read_options_zh(r: &mut Report, node: &Node<'_>, options: &[String]) -> Vec<String> {
    if !node.has("options_zh") {
        return Vec::new();
    }
    if options.is_empty() {
        r.add(
            node.at("options_zh"),
            "only allowed with options (type = \"choice\")",
        );
        return Vec::new();
    }
    let Some(labels) = node.strings(r, "options_zh", Optional) else {
        return Vec::new();
    };
    if labels.len() != options.len() {
        r.add(
            node.at("options_zh"),
            format!(
                "must give one label for each of the {} options, found {}",
                options.len(),
                labels.len()
            ),
        );
        return Vec::new();
    }
    // A label may stay in Latin letters where Chinese writes it so (`mg`, `mL`).
    labels.into_iter().map(|(_, label)| label).collect()
}

pub(super) fn read_options(
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
pub(super) fn check_visit_forms(r: &mut Report, schedule: &Schedule, forms: &Forms) {
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

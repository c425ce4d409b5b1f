//! Any form scored by its kind, as normalised JSON with the computed scores.

use super::*;

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

//! Fields the platform fills rather than the person entering the form (`source` in the
//! study definition): the donor HLA typing of the study's master cell bank on the
//! immunogenicity form. The value comes from the product's records, so that a typo at the site
//! can't make a donor-specific antibody look donor-specific or not.

use serde_json::{Map, Value};

use super::FieldIssue;
use crate::study::{FieldSource, FormDef};

/// What the platform holds for the sources a form's fields may name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSources {
    /// The study's master cell banks' HLA typing as one text (see
    /// [`FieldSources::from_banks`]); `None` while no bank is recorded.
    pub master_cell_bank_hla: Option<String>,
}

impl FieldSources {
    /// The sources from the study's master cell banks, each `(code, HLA typing)`, in the
    /// order they were registered: `"MCB-01: A*02:01, …"`, several banks separated by `"; "`.
    /// Every bank of the study is named, not the one a participant's unit came from: the
    /// value is the same for every participant and tells nothing of the allocation (placebo
    /// units come from no bank).
    pub fn from_banks<'a>(banks: impl IntoIterator<Item = (&'a str, &'a str)>) -> FieldSources {
        let text: Vec<String> = banks
            .into_iter()
            .map(|(code, hla)| format!("{code}: {}", hla.trim()))
            .collect();
        FieldSources {
            master_cell_bank_hla: (!text.is_empty()).then(|| text.join("; ")),
        }
    }

    /// The value held for a source.
    pub fn get(&self, source: FieldSource) -> Option<&str> {
        match source {
            FieldSource::MasterCellBankHla => self.master_cell_bank_hla.as_deref(),
        }
    }
}

/// True when the form has a field the platform fills, so that the caller knows whether to
/// load [`FieldSources`] at all.
pub fn has_sourced_fields(form: &FormDef) -> bool {
    form.fields.iter().any(|f| f.source.is_some())
}

/// Puts the platform's values into the fields it fills, before the form is validated.
///
/// A sourced field may be left out, sent empty or sent with exactly the value held (a page
/// that shows it and sends it back); any other value is refused, naming where the value comes
/// from and what it is. A required sourced field with nothing held is refused too: the
/// product's records must be entered first. Fields without a source are left as given.
pub fn fill_sourced(
    form: &FormDef,
    values: &mut Map<String, Value>,
    sources: &FieldSources,
) -> Result<(), Vec<FieldIssue>> {
    let mut issues = Vec::new();
    for field in &form.fields {
        let Some(source) = field.source else {
            continue;
        };
        let held = sources.get(source);
        let given = match values.get(&field.id) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) => Some(s.trim().to_owned()),
            Some(other) => Some(other.to_string()),
        };
        if let Some(given) = given.filter(|g| Some(g.as_str()) != held) {
            issues.push(FieldIssue::new(&field.id, typed(source, held, &given)));
            continue;
        }
        match held {
            Some(h) => {
                values.insert(field.id.clone(), Value::String(h.to_owned()));
            }
            None if field.required => {
                issues.push(FieldIssue::new(&field.id, none_held(source)));
            }
            None => {
                values.remove(&field.id);
            }
        }
    }
    if issues.is_empty() {
        Ok(())
    } else {
        Err(issues)
    }
}

/// The refusal of a value typed into a field the platform fills.
fn typed(source: FieldSource, held: Option<&str>, given: &str) -> String {
    match (source, held) {
        (FieldSource::MasterCellBankHla, Some(held)) => format!(
            "is filled from the study's master cell bank, not typed: leave it empty (the bank \
             holds {held:?}), found {given:?}"
        ),
        (FieldSource::MasterCellBankHla, None) => format!(
            "is filled from the study's master cell bank, not typed: leave it empty (no bank \
             is recorded yet), found {given:?}"
        ),
    }
}

/// The refusal of a required field the platform fills while it holds nothing.
fn none_held(source: FieldSource) -> String {
    match source {
        FieldSource::MasterCellBankHla => "is required and filled from the study's master \
                                           cell bank, of which none is recorded yet: register \
                                           the bank in the product's records first"
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::{FieldDef, FieldType, FormKind};
    use serde_json::json;

    fn form(required: bool) -> FormDef {
        let field = |id: &str, source: Option<FieldSource>| FieldDef {
            id: id.into(),
            label: id.into(),
            label_zh: None,
            field_type: FieldType::Text,
            unit: None,
            unit_zh: None,
            min: None,
            max: None,
            options: Vec::new(),
            options_zh: Vec::new(),
            required: required && source.is_some(),
            source,
        };
        FormDef {
            id: "immunogenicity".into(),
            name: "Immunogenicity".into(),
            name_zh: None,
            kind: FormKind::Generic,
            fields: vec![
                field("donor_hla", Some(FieldSource::MasterCellBankHla)),
                field("recipient_hla", None),
            ],
        }
    }

    fn values(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    fn bank() -> FieldSources {
        FieldSources::from_banks([("MCB-01", " A*02:01, B*07:02 ")])
    }

    #[test]
    fn banks_are_named_in_order_and_none_gives_nothing() {
        let two = FieldSources::from_banks([("MCB-01", "A*02:01"), ("MCB-02", "A*24:02")]);
        assert_eq!(
            two.master_cell_bank_hla.as_deref(),
            Some("MCB-01: A*02:01; MCB-02: A*24:02")
        );
        assert_eq!(FieldSources::from_banks([]), FieldSources::default());
    }

    #[test]
    fn an_absent_or_empty_value_is_filled_from_the_bank() {
        for given in [
            json!({}),
            json!({"donor_hla": ""}),
            json!({"donor_hla": null}),
        ] {
            let mut v = values(given);
            v.insert("recipient_hla".into(), json!("A*01:01"));
            fill_sourced(&form(false), &mut v, &bank()).unwrap();
            assert_eq!(v["donor_hla"], json!("MCB-01: A*02:01, B*07:02"));
            assert_eq!(
                v["recipient_hla"],
                json!("A*01:01"),
                "typed fields are kept"
            );
        }
    }

    #[test]
    fn the_held_value_sent_back_is_accepted() {
        let mut v = values(json!({"donor_hla": " MCB-01: A*02:01, B*07:02 "}));
        fill_sourced(&form(true), &mut v, &bank()).unwrap();
        assert_eq!(v["donor_hla"], json!("MCB-01: A*02:01, B*07:02"));
    }

    #[test]
    fn a_typed_value_is_refused_naming_the_source_and_the_value_held() {
        let mut v = values(json!({"donor_hla": "A*03:01"}));
        let issues = fill_sourced(&form(false), &mut v, &bank()).unwrap_err();
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].field, "donor_hla");
        assert!(issues[0].message.contains("master cell bank"), "{issues:?}");
        assert!(issues[0].message.contains("MCB-01: A*02:01, B*07:02"));
        assert!(issues[0].message.contains("A*03:01"));
        let mut v = values(json!({"donor_hla": 7}));
        let issues = fill_sourced(&form(false), &mut v, &FieldSources::default()).unwrap_err();
        assert!(
            issues[0].message.contains("no bank is recorded yet"),
            "{issues:?}"
        );
    }

    #[test]
    fn without_a_bank_an_optional_field_stays_empty_and_a_required_one_is_refused() {
        let mut v = values(json!({"donor_hla": ""}));
        fill_sourced(&form(false), &mut v, &FieldSources::default()).unwrap();
        assert!(!v.contains_key("donor_hla"));
        let issues = fill_sourced(&form(true), &mut v, &FieldSources::default()).unwrap_err();
        assert!(
            issues[0].message.contains("register the bank"),
            "{issues:?}"
        );
    }
}

//! The study's metadata as ODM sees it: a study event per visit, a form per form, its item
//! groups and items, with their code lists and units, from the study definition alone.
//!
//! A form with fields has one item group of its fields. SCIM III has its 19 items, the three
//! subscales and the total; WISCI II its level; an ISNCSCI form two groups, the exam's 136
//! values (`exam`) and the classification's 25 results (`classification`), as the form's
//! stored JSON nests them.

use isncsci::flat::Field;
use trial::{FieldType, FormDef, FormKind, Scim3Item, Scim3Subscale, Study, SCIM3_TOTAL_KEY};

use crate::sdtm::codes::{exam_test, RESULTS};
use crate::sdtm::define_zh::{exam_test_zh, result_zh};

/// An item: where its value is in the stored form, and what ODM says of it.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemSpec {
    /// `IT.<form>.<key>` (`IT.<form>.<group>.<key>` inside a nested group).
    pub oid: String,
    /// The key of its value in the stored form (inside the group's object when nested).
    pub key: String,
    /// ODM's data type: `integer`, `float`, `text`, `date`, `boolean`.
    pub data_type: &'static str,
    /// The question, in English and (when known) Chinese.
    pub question: (String, Option<String>),
    /// The unit, in English and (when a word) Chinese.
    pub unit: Option<(String, Option<String>)>,
    /// The allowed values, each with its label in English and Chinese.
    pub codes: Vec<(String, String, Option<String>)>,
    /// Whether the form needs it.
    pub mandatory: bool,
}

/// An item group: a form's values, or one nested object of them.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupSpec {
    /// `IG.<form>` or `IG.<form>.<group>`.
    pub oid: String,
    /// The key of the nested object in the stored form (`exam`), or none for the top level.
    pub nested: Option<&'static str>,
    /// Its name.
    pub name: String,
    /// Its items.
    pub items: Vec<ItemSpec>,
}

/// The OID of a visit's study event.
pub fn event_oid(visit: &str) -> String {
    format!("SE.{visit}")
}

/// The OID of a form.
pub fn form_oid(form: &str) -> String {
    format!("F.{form}")
}

/// The study event, form, group and item of an unblinded export's treatment.
pub const TREATMENT: (&str, &str, &str, &str) = (
    "SE.TREATMENT",
    "F.TREATMENT",
    "IG.TREATMENT",
    "IT.TREATMENT.ARM",
);

fn item(form: &str, nested: Option<&str>, key: &str, data_type: &'static str) -> ItemSpec {
    let oid = match nested {
        Some(g) => format!("IT.{form}.{g}.{key}"),
        None => format!("IT.{form}.{key}"),
    };
    ItemSpec {
        oid,
        key: key.to_string(),
        data_type,
        question: (key.to_string(), None),
        unit: None,
        codes: Vec::new(),
        mandatory: false,
    }
}

/// The item groups of a form, from its kind and fields.
pub fn groups(form: &FormDef) -> Vec<GroupSpec> {
    let id = form.id.as_str();
    let top = |items: Vec<ItemSpec>| GroupSpec {
        oid: format!("IG.{id}"),
        nested: None,
        name: form.name.clone(),
        items,
    };
    match form.kind {
        FormKind::Isncsci => {
            let exam = Field::all()
                .map(|f| ItemSpec {
                    question: (exam_test(f).name, Some(exam_test_zh(f))),
                    mandatory: f.is_required(),
                    ..item(id, Some("exam"), &f.name(), "text")
                })
                .collect();
            let results = RESULTS
                .iter()
                .map(|(key, _, name)| ItemSpec {
                    question: (name.to_string(), Some(result_zh(key))),
                    ..item(id, Some("classification"), key, "text")
                })
                .collect();
            vec![
                GroupSpec {
                    oid: format!("IG.{id}.exam"),
                    nested: Some("exam"),
                    name: format!("{} exam", form.name),
                    items: exam,
                },
                GroupSpec {
                    oid: format!("IG.{id}.classification"),
                    nested: Some("classification"),
                    name: format!("{} classification", form.name),
                    items: results,
                },
            ]
        }
        FormKind::Scim3 => {
            let mut items: Vec<ItemSpec> = Scim3Item::ALL
                .iter()
                .map(|i| ItemSpec {
                    question: (format!("{} {}", i.number(), i.label()), None),
                    codes: i
                        .allowed()
                        .iter()
                        .map(|v| (v.to_string(), v.to_string(), None))
                        .collect(),
                    mandatory: true,
                    ..item(id, None, i.id(), "integer")
                })
                .collect();
            items.extend(Scim3Subscale::ALL.iter().map(|s| ItemSpec {
                question: (format!("{} subscore", s.label()), None),
                ..item(id, None, s.id(), "integer")
            }));
            items.push(ItemSpec {
                question: ("SCIM III total score".into(), Some("SCIM III 总分".into())),
                ..item(id, None, SCIM3_TOTAL_KEY, "integer")
            });
            vec![top(items)]
        }
        FormKind::Wisci2 => vec![top(vec![ItemSpec {
            question: ("WISCI II level".into(), Some("WISCI II 等级".into())),
            codes: (0..=20)
                .map(|v: u8| (v.to_string(), v.to_string(), None))
                .collect(),
            mandatory: true,
            ..item(id, None, trial::Wisci2::LEVEL_KEY, "integer")
        }])],
        FormKind::VitalSigns | FormKind::ConcomitantMedication | FormKind::Generic => {
            vec![top(form
                .fields
                .iter()
                .map(|f| {
                    let data_type = match f.field_type {
                        FieldType::Integer => "integer",
                        FieldType::Decimal => "float",
                        FieldType::Date => "date",
                        FieldType::Boolean => "boolean",
                        FieldType::Text | FieldType::Choice => "text",
                    };
                    ItemSpec {
                        question: (f.label.clone(), f.label_zh.clone()),
                        unit: f.unit.clone().map(|u| (u, f.unit_zh.clone())),
                        codes: f
                            .options
                            .iter()
                            .enumerate()
                            .map(|(i, o)| (o.clone(), o.clone(), f.options_zh.get(i).cloned()))
                            .collect(),
                        mandatory: f.required,
                        ..item(id, None, &f.id, data_type)
                    }
                })
                .collect())]
        }
    }
}

/// Every distinct unit of the study's items, in order of first use.
pub fn units(study: &Study) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    for form in &study.forms {
        for g in groups(form) {
            for i in g.items {
                if let Some(u) = i.unit {
                    if !out.iter().any(|(e, _)| *e == u.0) {
                        out.push(u);
                    }
                }
            }
        }
    }
    out
}

/// The OID of a unit, by its place in [`units`].
pub fn unit_oid(n: usize) -> String {
    format!("MU.{}", n + 1)
}

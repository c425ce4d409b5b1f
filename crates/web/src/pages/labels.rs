//! How pages name what the study definition identifies: a visit, a form, a field, and where a
//! query sits (`Week 2 · Vital signs · Systolic blood pressure` for the ids
//! `week-2 / vital-signs / systolic_bp`). One place, so that the names can follow the page's
//! language once the definition carries them in Chinese; until then the definition's names are
//! used in both languages, and the instruments' items (SCIM III, WISCI II, the ISNCSCI exam) by
//! their names in the message table. An id the definition does not know is shown as it is.

use trial::{FormKind, Scim3Item, Study};

use super::i18n::Texts;

/// The names of one study's visits, forms and fields, in a page's language.
#[derive(Clone, Copy)]
pub struct Labels<'a> {
    /// The study definition.
    pub study: &'a Study,
    /// The page's messages.
    pub t: Texts,
}

impl Labels<'_> {
    /// A visit's name (`Week 2`).
    pub fn visit(&self, id: &str) -> String {
        self.study
            .visit(id)
            .map_or_else(|| id.to_string(), |v| v.name.clone())
    }

    /// A form's name (`Vital signs`).
    pub fn form(&self, id: &str) -> String {
        self.study
            .form(id)
            .map_or_else(|| id.to_string(), |f| f.name.clone())
    }

    /// A field's name on a form (`Systolic blood pressure`); a SCIM III item by its number and
    /// name, an ISNCSCI exam cell by its flat-layout key (the worksheet's own names).
    pub fn field(&self, form: &str, field: &str) -> String {
        let Some(def) = self.study.form(form) else {
            return field.to_string();
        };
        if let Some(f) = def.field(field) {
            return f.label.clone();
        }
        match def.kind {
            FormKind::Scim3 => Scim3Item::parse(field).map_or_else(
                || field.to_string(),
                |item| {
                    format!(
                        "{} {}",
                        item.number(),
                        self.t.get(&format!("scim.{}", item.id()))
                    )
                },
            ),
            FormKind::Wisci2 if field == "level" => self.t.get("wisci.level").to_string(),
            _ => field.to_string(),
        }
    }

    /// Where a query sits: visit · form · field, each by its name.
    pub fn place(&self, visit: &str, form: &str, field: &str) -> String {
        format!(
            "{} · {} · {}",
            self.visit(visit),
            self.form(form),
            self.field(form, field)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::Lang;

    fn study() -> Study {
        Study::from_toml(include_str!("../../../../studies/xs228-phase2.toml"))
            .expect("the shipped study reads")
    }

    #[test]
    fn ids_become_the_definitions_names() {
        let study = study();
        let l = Labels {
            study: &study,
            t: Texts(Lang::En),
        };
        let visit = study
            .visits
            .iter()
            .find(|v| v.forms.iter().any(|f| f == "vital-signs"))
            .expect("a visit with vital signs");
        assert_eq!(
            l.place(&visit.id, "vital-signs", "systolic_bp"),
            format!("{} · Vital signs · Systolic blood pressure", visit.name)
        );
        assert!(!l.visit(&visit.id).contains('-'), "{}", l.visit(&visit.id));
    }

    #[test]
    fn instrument_items_by_name_and_unknown_ids_as_they_are() {
        let study = study();
        let l = Labels {
            study: &study,
            t: Texts(Lang::En),
        };
        let scim = study
            .forms
            .iter()
            .find(|f| f.kind == FormKind::Scim3)
            .expect("a SCIM III form");
        let feeding = l.field(&scim.id, "feeding");
        assert!(feeding.starts_with("1 "), "{feeding}");
        assert_ne!(feeding, "1 scim.feeding");
        assert_eq!(l.place("nowhere", "nothing", "x"), "nowhere · nothing · x");
        assert_eq!(l.field(&scim.id, "not-an-item"), "not-an-item");
    }
}

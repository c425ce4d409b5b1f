//! How pages name what the study definition identifies: a visit, a form, a field, and where a
//! query sits (`Week 2 · Vital signs · Systolic blood pressure` for the ids
//! `week-2 / vital-signs / systolic_bp`). One place, so that the names follow the page's
//! language: the definition's Chinese names (`name_zh`, `label_zh`) on Chinese pages, its English
//! names otherwise, and the instruments' items (SCIM III, WISCI II, the ISNCSCI exam) by their
//! names in the message table (an exam cell as the worksheet names it). An id the definition does
//! not know is shown as it is.

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
            .map_or_else(|| id.to_string(), |v| v.name_in(self.t.0.zh()).to_string())
    }

    /// A form's name (`Vital signs`).
    pub fn form(&self, id: &str) -> String {
        self.study
            .form(id)
            .map_or_else(|| id.to_string(), |f| f.name_in(self.t.0.zh()).to_string())
    }

    /// A field's name on a form (`Systolic blood pressure`); a SCIM III item by its number and
    /// name, an ISNCSCI exam cell by its flat-layout key (the worksheet's own names).
    pub fn field(&self, form: &str, field: &str) -> String {
        let Some(def) = self.study.form(form) else {
            return field.to_string();
        };
        if let Some(f) = def.field(field) {
            return f.label_in(self.t.0.zh()).to_string();
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
            FormKind::Isncsci => self.exam_cell(field),
            _ => field.to_string(),
        }
    }

    /// An ISNCSCI exam cell by its flat-layout key (`c5RightMotor` → `C5 Right Motor`), in the
    /// worksheet's words.
    fn exam_cell(&self, key: &str) -> String {
        use isncsci::flat::{parse_key, Field, Key};
        use isncsci::Side;
        let side = |s: Side| match s {
            Side::Right => self.t.get("ws.right"),
            Side::Left => self.t.get("ws.left"),
        };
        // Levels as the standard prints them (`S4-5`).
        let level = |l: &dyn std::fmt::Display| l.to_string().replace('_', "-");
        let bare = key.strip_prefix("exam.").unwrap_or(key);
        match parse_key(bare) {
            Some(Key::Field(Field::Motor(s, l))) => {
                format!("{} {} {}", level(&l), side(s), self.t.get("ws.motor"))
            }
            Some(Key::Field(Field::Touch(s, l))) => {
                format!("{} {} {}", level(&l), side(s), self.t.get("ws.touch"))
            }
            Some(Key::Field(Field::Prick(s, l))) => {
                format!("{} {} {}", level(&l), side(s), self.t.get("ws.prick"))
            }
            Some(Key::Field(Field::AnalContraction)) => self.t.get("ws.vac").to_string(),
            Some(Key::Field(Field::AnalSensation)) => self.t.get("ws.dap").to_string(),
            Some(Key::Field(Field::LowestNonKeyMuscle(Side::Right))) => {
                self.t.get("ws.nonkey_right").to_string()
            }
            Some(Key::Field(Field::LowestNonKeyMuscle(Side::Left))) => {
                self.t.get("ws.nonkey_left").to_string()
            }
            _ => key.to_string(),
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
        let exam = study
            .forms
            .iter()
            .find(|f| f.kind == FormKind::Isncsci)
            .expect("an ISNCSCI form");
        assert_eq!(l.field(&exam.id, "c5RightMotor"), "C5 Right Motor");
        assert_eq!(
            l.field(&exam.id, "exam.s4_5LeftPrick"),
            "S4-5 Left Pin prick"
        );
        assert_eq!(
            l.field(&exam.id, "analContraction"),
            "Voluntary anal contraction (VAC)"
        );
        assert_eq!(l.field(&exam.id, "exam"), "exam");
        let zh = Labels {
            study: &study,
            t: Texts(Lang::Zh),
        };
        assert_eq!(zh.field(&exam.id, "t1LeftTouch"), "T1 左侧 轻触觉");
        assert_eq!(l.field(&scim.id, "not-an-item"), "not-an-item");
    }
}

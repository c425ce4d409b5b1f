//! The Chinese forms of study-defined names (`title_zh`, `name_zh`, `label_zh`, `unit_zh`,
//! `options_zh`): read from the definition, given for everything the shipped studies show, and
//! checked with their key paths.

use trial::Study;

use crate::common::{phase1, phase2};
use crate::validation::{edit, randomised, rejects};

fn has_han(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

#[test]
fn the_shipped_studies_name_everything_in_chinese() {
    for study in [phase1(), phase2()] {
        let mut names: Vec<(String, &str, &str)> =
            vec![("title".into(), study.title_in(false), study.title_in(true))];
        for s in &study.sites {
            names.push((format!("site {}", s.id), s.name_in(false), s.name_in(true)));
        }
        for a in &study.arms {
            names.push((format!("arm {}", a.id), a.name_in(false), a.name_in(true)));
        }
        for d in &study.dose_levels {
            names.push((format!("dose {}", d.id), d.name_in(false), d.name_in(true)));
        }
        for v in &study.visits {
            names.push((format!("visit {}", v.id), v.name_in(false), v.name_in(true)));
        }
        for r in &study.safety.stopping_rules {
            names.push((format!("rule {}", r.id), r.name_in(false), r.name_in(true)));
        }
        for f in &study.forms {
            names.push((format!("form {}", f.id), f.name_in(false), f.name_in(true)));
            for field in &f.fields {
                let what = format!("field {}.{}", f.id, field.id);
                names.push((what, field.label_in(false), field.label_in(true)));
                if !field.options.is_empty() {
                    assert_eq!(field.options_zh.len(), field.options.len(), "{}", field.id);
                }
            }
        }
        for (what, en, zh) in names {
            assert!(!has_han(en), "{}: the English {what} is {en:?}", study.id);
            assert!(
                has_han(zh),
                "{}: {what} has no Chinese form ({zh:?})",
                study.id
            );
        }
    }
}

#[test]
fn chinese_forms_are_read_and_english_kept() {
    let study = phase1();
    let vitals = study.forms.iter().find(|f| f.id == "vital-signs").unwrap();
    let rate = vitals.field("heart_rate").unwrap();
    assert_eq!(rate.label_in(false), "Heart rate");
    assert_eq!(rate.label_in(true), "心率");
    assert_eq!(rate.unit_in(false), Some("beats/min"));
    assert_eq!(rate.unit_in(true), Some("次/分"));
    let conmed = study.forms.iter().find(|f| f.id == "conmed").unwrap();
    let route = conmed.field("route").unwrap();
    assert_eq!(route.option_in("oral", false), "oral");
    assert_eq!(route.option_in("oral", true), "口服");
    // A value that is not an option is shown as it is.
    assert_eq!(route.option_in("nasal", true), "nasal");
    let day1 = study.visits.iter().find(|v| v.id == "day-1").unwrap();
    assert_eq!(day1.name_in(true), "第 1 天（首次给药）");
    // A stopping rule without a name is described in both languages.
    let rule = &study.safety.stopping_rules[0];
    assert!(rule.name_in(false).contains("grade 4"));
    assert!(rule.name_in(true).contains("4 级"));
}

#[test]
fn chinese_forms_are_checked_with_their_key_paths() {
    // Without a Chinese character.
    rejects(
        &edit(
            &randomised(),
            "name = \"Vital signs\"",
            "name = \"Vital signs\"\nname_zh = \"Vital signs\"",
        ),
        "forms[2].name_zh",
        &["must be written in Chinese"],
    );
    // Not a string.
    rejects(
        &edit(
            &randomised(),
            "label = \"Temperature\"",
            "label = \"Temperature\"\nlabel_zh = 3",
        ),
        "forms[2].fields[1].label_zh",
        &["expected a string"],
    );
    // One Chinese label per option.
    rejects(
        &edit(
            &randomised(),
            "options = [\"supine\", \"sitting\"]",
            "options = [\"supine\", \"sitting\"]\noptions_zh = [\"仰卧位\"]",
        ),
        "forms[2].fields[2].options_zh",
        &["one label for each of the 2 options, found 1"],
    );
    // A Chinese unit needs a unit.
    rejects(
        &edit(
            &randomised(),
            "options = [\"supine\", \"sitting\"]",
            "options = [\"supine\", \"sitting\"]\nunit_zh = \"次\"",
        ),
        "forms[2].fields[2].unit_zh",
        &["only allowed for type"],
    );
    // Well formed, they are taken.
    let text = edit(
        &randomised(),
        "options = [\"supine\", \"sitting\"]",
        "options = [\"supine\", \"sitting\"]\noptions_zh = [\"仰卧位\", \"坐位\"]",
    );
    let study = Study::from_toml(&text).unwrap();
    let field = study.forms[2].field("position").unwrap();
    assert_eq!(field.option_in("sitting", true), "坐位");
}

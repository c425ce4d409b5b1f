//! The findings: vital signs (VS), the questionnaires SCIM III and WISCI II (QS), and the
//! ISNCSCI exam with its classification (NV, nervous system findings, with sponsor-defined
//! test codes: see [`super::codes`]).

use isncsci::flat::Field;
use store::{SubmissionData, SubmittedForm};
use trial::{FormKind, Scim3Item, Scim3Subscale, VisitDef, SCIM3_TOTAL_KEY};

use super::codes::{exam_test, scim_item, scim_subscale, vital_sign, RESULTS, SCIM_TOTAL, WISCI};
use super::events::head;
use super::subject::{ascii, Context, Subject};
use super::table::{Char, Num, Row, Table};
use super::{form_date, forms_of, text_of};
use crate::xpt::Dataset;

/// The variables of a findings domain `XX`: the identifiers, the test, the result in original
/// and standard form, the visit, epoch, date and study day.
fn findings(domain: &'static str, label: &str, extra: &[(&'static str, &'static str)]) -> Table {
    let v = |suffix: &str| -> &'static str { var_name(domain, suffix) };
    let mut columns = vec![
        ("STUDYID", "Study Identifier", Char),
        ("DOMAIN", "Domain Abbreviation", Char),
        ("USUBJID", "Unique Subject Identifier", Char),
        (v("SEQ"), "Sequence Number", Num),
        (v("TESTCD"), "Short Name of Test", Char),
        (v("TEST"), "Name of Test", Char),
        (v("CAT"), "Category", Char),
    ];
    columns.extend(extra.iter().map(|(name, label)| (*name, *label, Char)));
    columns.extend([
        (v("ORRES"), "Result or Finding in Original Units", Char),
        (v("ORRESU"), "Original Units", Char),
        (v("STRESC"), "Character Result/Finding in Std Format", Char),
        (v("STRESN"), "Numeric Result/Finding in Standard Units", Num),
        (v("STRESU"), "Standard Units", Char),
        (v("DRVFL"), "Derived Flag", Char),
        ("VISITNUM", "Visit Number", Num),
        ("VISIT", "Visit Name", Char),
        ("EPOCH", "Epoch", Char),
        (v("DTC"), "Date/Time of Collection", Char),
        (v("DY"), "Study Day of Collection", Num),
    ]);
    Table::new(domain, label, &columns)
}

/// The variable names of the three findings domains, as static strings.
fn var_name(domain: &str, suffix: &str) -> &'static str {
    const NAMES: [&str; 39] = [
        "VSSEQ", "VSTESTCD", "VSTEST", "VSCAT", "VSORRES", "VSORRESU", "VSSTRESC", "VSSTRESN",
        "VSSTRESU", "VSDRVFL", "VSDTC", "VSDY", "QSSEQ", "QSTESTCD", "QSTEST", "QSCAT", "QSORRES",
        "QSORRESU", "QSSTRESC", "QSSTRESN", "QSSTRESU", "QSDRVFL", "QSDTC", "QSDY", "NVSEQ",
        "NVTESTCD", "NVTEST", "NVCAT", "NVORRES", "NVORRESU", "NVSTRESC", "NVSTRESN", "NVSTRESU",
        "NVDRVFL", "NVDTC", "NVDY", "NVSCAT", "NVLOC", "NVLAT",
    ];
    let name = format!("{domain}{suffix}");
    NAMES.iter().find(|n| **n == name).copied().unwrap_or("")
}

/// One result of a findings domain.
struct Finding {
    code: String,
    name: String,
    category: &'static str,
    result: String,
    unit: String,
    number: Option<f64>,
    derived: bool,
}

/// The number a result is, when it is a plain number (`4`, `37.2`; not `4*`, `NT`, `C5`).
fn number_of(result: &str) -> Option<f64> {
    let plain = !result.is_empty()
        && result
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-');
    plain.then(|| result.parse().ok()).flatten()
}

/// Adds a subject's findings of one form, numbered on from `seq`.
#[allow(clippy::too_many_arguments)]
fn add(
    t: &mut Table,
    cx: &Context<'_>,
    s: &Subject<'_>,
    domain: &str,
    seq: &mut u32,
    (number, visit): (usize, &VisitDef),
    dtc: &str,
    finding: Finding,
    more: impl FnOnce(&mut Row<'_>),
) {
    *seq += 1;
    let seq = *seq;
    t.add(|r| {
        head(r, cx, s, domain);
        let v = |suffix| var_name(domain, suffix);
        r.num(v("SEQ"), Some(f64::from(seq)))
            .text(v("TESTCD"), finding.code)
            .text(v("TEST"), finding.name)
            .text(v("CAT"), finding.category)
            .text(v("ORRES"), finding.result.clone())
            .text(v("ORRESU"), finding.unit.clone())
            .text(v("STRESC"), finding.result)
            .num(v("STRESN"), finding.number)
            .text(v("STRESU"), finding.unit)
            .text(v("DRVFL"), if finding.derived { "Y" } else { "" })
            .num("VISITNUM", Some(number as f64))
            .text("VISIT", ascii(&visit.name))
            .text("EPOCH", cx.epoch(s, dtc))
            .text(v("DTC"), dtc)
            .num(v("DY"), cx.day(s, dtc));
        more(r);
    });
}

/// VS: every numeric field of every vital-signs form that holds a value.
pub(crate) fn vs(cx: &Context<'_>, data: &SubmissionData) -> Dataset {
    let mut t = findings("VS", "Vital Signs", &[]);
    for s in cx.subjects.values() {
        let mut seq = 0;
        for (form, visit) in forms_of(cx, data, s, FormKind::VitalSigns) {
            let Some(def) = cx.study.form(&form.form_id) else {
                continue;
            };
            let dtc = form_date(cx, form).unwrap_or_default();
            for field in def.fields.iter().filter(|f| f.field_type.is_numeric()) {
                let Some(value) = form.data.get(&field.id).and_then(|v| v.as_f64()) else {
                    continue;
                };
                let (code, name) = vital_sign(&field.id, &field.label);
                let unit = field.unit.as_deref().map(ascii).unwrap_or_default();
                let finding = Finding {
                    code,
                    name,
                    category: "",
                    result: text_of(form.data.get(&field.id)),
                    unit,
                    number: Some(value),
                    derived: false,
                };
                add(&mut t, cx, s, "VS", &mut seq, visit, &dtc, finding, |_| {});
            }
        }
    }
    t.dataset()
}

/// QS: SCIM III (each item, the subscales and the total, the last two derived) and WISCI II.
pub(crate) fn qs(cx: &Context<'_>, data: &SubmissionData) -> Dataset {
    let mut t = findings("QS", "Questionnaires", &[]);
    for s in cx.subjects.values() {
        let mut seq = 0;
        let mut forms: Vec<_> = forms_of(cx, data, s, FormKind::Scim3)
            .into_iter()
            .chain(forms_of(cx, data, s, FormKind::Wisci2))
            .collect();
        forms.sort_by_key(|(f, (number, _))| (*number, f.form_id.clone()));
        for (form, visit) in forms {
            let dtc = form_date(cx, form).unwrap_or_default();
            for finding in questionnaire(cx, form) {
                add(&mut t, cx, s, "QS", &mut seq, visit, &dtc, finding, |_| {});
            }
        }
    }
    t.dataset()
}

/// The findings of one SCIM III or WISCI II form, in the order of the instrument.
fn questionnaire(cx: &Context<'_>, form: &SubmittedForm) -> Vec<Finding> {
    let kind = cx.study.form(&form.form_id).map(|f| f.kind);
    let score = |key: &str, code: &str, name: &str, category, derived| {
        let value = form.data.get(key)?;
        let result = text_of(Some(value));
        Some(Finding {
            code: code.into(),
            name: name.into(),
            category,
            number: number_of(&result),
            result,
            unit: String::new(),
            derived,
        })
    };
    match kind {
        Some(FormKind::Scim3) => {
            let items = Scim3Item::ALL.into_iter().filter_map(|item| {
                let (code, name) = scim_item(item);
                score(item.id(), &code, &name, "SCIM III", false)
            });
            let subscales = Scim3Subscale::ALL.into_iter().filter_map(|sub| {
                let (code, name) = scim_subscale(sub);
                score(sub.id(), code, name, "SCIM III", true)
            });
            let total = score(
                SCIM3_TOTAL_KEY,
                SCIM_TOTAL.0,
                SCIM_TOTAL.1,
                "SCIM III",
                true,
            );
            items.chain(subscales).chain(total).collect()
        }
        Some(FormKind::Wisci2) => score("level", WISCI.0, WISCI.1, "WISCI II", false)
            .into_iter()
            .collect(),
        _ => Vec::new(),
    }
}

/// NV: every ISNCSCI exam, each value as entered (`NVORRES`: `4`, `0*`, `NT`) and each of the
/// 25 results of its classification (derived), as the engine wrote them (`C5,C6`, `A*`).
pub(crate) fn nv(cx: &Context<'_>, data: &SubmissionData) -> Dataset {
    let mut t = findings(
        "NV",
        "Nervous System Findings (ISNCSCI)",
        &[
            ("NVSCAT", "Subcategory"),
            ("NVLOC", "Location Used for the Measurement"),
            ("NVLAT", "Laterality"),
        ],
    );
    for s in cx.subjects.values() {
        let mut seq = 0;
        for (form, visit) in forms_of(cx, data, s, FormKind::Isncsci) {
            let dtc = form_date(cx, form).unwrap_or_default();
            let exam = form.data.get("exam");
            for field in Field::all() {
                let Some(value) = exam.and_then(|e| e.get(field.name())) else {
                    continue;
                };
                let test = exam_test(field);
                let result = text_of(Some(value));
                let finding = Finding {
                    code: test.code,
                    name: test.name,
                    category: "ISNCSCI",
                    number: number_of(&result),
                    result,
                    unit: String::new(),
                    derived: false,
                };
                let (sub, loc, lat) = (test.subcategory, test.location, test.side);
                add(&mut t, cx, s, "NV", &mut seq, visit, &dtc, finding, |r| {
                    r.text("NVSCAT", sub).text("NVLOC", loc).text("NVLAT", lat);
                });
            }
            let classification = form.data.get("classification");
            for (key, code, name) in RESULTS {
                let Some(value) = classification.and_then(|c| c.get(key)) else {
                    continue;
                };
                let result = text_of(Some(value));
                let finding = Finding {
                    code: code.into(),
                    name: name.into(),
                    category: "ISNCSCI",
                    number: number_of(&result),
                    result,
                    unit: String::new(),
                    derived: true,
                };
                add(&mut t, cx, s, "NV", &mut seq, visit, &dtc, finding, |r| {
                    r.text("NVSCAT", "CLASSIFICATION");
                });
            }
        }
    }
    t.dataset()
}

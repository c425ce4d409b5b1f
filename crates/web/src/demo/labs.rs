//! The demo's laboratory results: the normal ranges loaded by the data manager, and a central
//! lab's file of plausible values (a baseline and a follow-up panel: a few tests of haematology
//! and chemistry and, where the study gives tacrolimus, its trough, at the visits that took
//! place) imported
//! in one write, as a lab's file is. In the randomised study one value is a grade 3 neutrophil
//! count, whose proposed adverse event is left for the investigator; a few mild values are
//! graded 1 (no proposal). The randomised study also has one positive donor-specific antibody
//! on an immunogenicity form and an MRI read.

use store::{Actor, Participant, Scope};
use time::{Date, Duration, OffsetDateTime};
use trial::labs::import::{digest, read_results};
use trial::labs::read_ranges;
use trial::{FormStatus, Study};

use crate::app::App;

/// The demo's normal ranges, for every site, sex and age, in each test's own unit:
/// (test, low, high, unit).
const RANGES: &[(&str, f64, f64, &str)] = &[
    ("WBC", 3.5, 9.5, "10*9/L"),
    ("NEUT", 1.8, 6.3, "10*9/L"),
    ("LYMPH", 1.1, 3.2, "10*9/L"),
    ("PLT", 125.0, 350.0, "10*9/L"),
    ("HGB", 11.5, 17.5, "g/dL"),
    ("ALT", 7.0, 40.0, "U/L"),
    ("AST", 13.0, 35.0, "U/L"),
    ("BILI", 3.4, 20.5, "umol/L"),
    ("CREAT", 57.0, 111.0, "umol/L"),
    ("K", 3.5, 5.3, "mmol/L"),
    ("NA", 137.0, 147.0, "mmol/L"),
    ("GLUC", 3.9, 6.1, "mmol/L"),
];

/// The tests the demo's file holds (a few of each panel, to keep the seed fast).
const TESTS: &[&str] = &["NEUT", "HGB", "PLT", "ALT", "CREAT", "K", "TACRO"];

/// A number in (0, 1) from a participant, a test and a visit, the same in every demo.
fn spread(participant: i64, test: usize, visit: usize) -> f64 {
    let mut x = (participant as u64)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(((test as u64) << 16) | visit as u64);
    x ^= x >> 29;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 32;
    ((x % 1000) as f64 + 0.5) / 1000.0
}

/// A normal value of a test: within its range, away from its limits.
fn normal_value(test: &str, f: f64) -> Option<String> {
    let (_, low, high, _) = RANGES.iter().find(|(t, ..)| *t == test)?;
    let v = low + (high - low) * (0.15 + 0.7 * f);
    Some(if *high >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    })
}

/// What one row of the file holds.
struct Line {
    subject: String,
    visit: String,
    at: OffsetDateTime,
    test: &'static str,
    value: String,
    unit: &'static str,
}

/// Loads the ranges and imports the demo's file into a study (once: not when it has ranges).
/// `graded` puts the demo's one grade 3 value into this study.
pub(super) async fn seed_labs(
    app: &App,
    study: &Study,
    today: Date,
    graded: bool,
) -> Result<(), String> {
    let started = std::time::Instant::now();
    let store = &app.store;
    let err = |e: store::StoreError| e.to_string();
    if study.labs.panels.is_empty() || !store.lab_ranges(&study.id).await.map_err(err)?.is_empty() {
        return Ok(());
    }
    let dm = match store.user_by_name("data-manager").await.map_err(err)? {
        Some(u) => Actor::user(&u),
        None => Actor::system(),
    };
    let codes = study.labs.test_codes();
    let mut ranges =
        String::from("test,site,sex,age_min,age_max,low,high,unit,valid_from,valid_to\n");
    for (test, low, high, unit) in RANGES.iter().filter(|(t, ..)| codes.contains(t)) {
        ranges.push_str(&format!("{test},*,any,,,{low},{high},{unit},2020-01-01,\n"));
    }
    let sites: Vec<&str> = study.sites.iter().map(|s| s.id.as_str()).collect();
    let read = read_ranges(&ranges, &sites, &codes).map_err(|p| format!("{p:?}"))?;
    store
        .load_lab_ranges(&study.id, &read, &digest(&ranges), &dm)
        .await
        .map_err(err)?;

    let scope = Scope::Study(study.id.clone());
    let mut lines = Vec::new();
    let mut first_follow_up: Option<usize> = None;
    let mut mild = 0;
    for p in store.participants(&scope).await.map_err(err)? {
        let Some(subject) = p.subject_id.clone() else {
            continue;
        };
        let done: Vec<(String, Date)> = store
            .visits(&scope, p.id)
            .await
            .map_err(err)?
            .into_iter()
            .filter_map(|v| Some((v.visit_id, store::parse_date(v.done_on.as_deref()?)?)))
            .filter(|(_, on)| *on < today)
            .collect();
        for panel in &study.labs.panels {
            // The panel's first and latest visits that took place: a baseline and a follow-up.
            let taken: Vec<&(String, Date)> = panel
                .visits
                .iter()
                .filter_map(|v| done.iter().find(|(id, _)| id == v))
                .collect();
            let chosen = match taken.as_slice() {
                [] => vec![],
                [one] => vec![*one],
                [first, .., last] => vec![*first, *last],
            };
            for (k, (visit, on)) in chosen.into_iter().enumerate() {
                let at = on.midnight().assume_utc() + Duration::minutes(90 + 7 * (p.id % 5));
                for (t, code) in panel.tests.iter().enumerate() {
                    let Some(def) =
                        trial::labs::catalogue::test(code).filter(|d| TESTS.contains(&d.code))
                    else {
                        continue;
                    };
                    let f = spread(p.id, t, k);
                    let value = if def.code == "TACRO" {
                        // Mostly within the 5 to 10 ng/mL target, now and then below it.
                        format!("{:.1}", 3.8 + 6.0 * f)
                    } else if let Some(v) = normal_value(def.code, f) {
                        v
                    } else {
                        continue;
                    };
                    lines.push(Line {
                        subject: subject.clone(),
                        visit: visit.clone(),
                        at,
                        test: def.code,
                        value,
                        unit: def.unit,
                    });
                    if k == 1 && def.code == "NEUT" && first_follow_up.is_none() {
                        first_follow_up = Some(lines.len() - 1);
                    }
                    // A mild transaminase rise after the dose in one participant in six
                    // (grade 1: above the upper limit, under 3 × it; no proposal).
                    if k == 1 && def.code == "ALT" && p.id % 6 == 1 {
                        let last = lines.len() - 1;
                        lines[last].value = format!("{:.0}", 48.0 + 20.0 * f);
                        mild += 1;
                    }
                }
            }
        }
    }
    // The one grade 3 value: the first follow-up neutrophil count of the study.
    if graded {
        if let Some(i) = first_follow_up {
            lines[i].value = "0.8".into();
        }
    }
    if lines.is_empty() {
        return Ok(());
    }
    let mut file = String::from("participant,visit,collected_at,test,value,unit,lab_range\n");
    for l in &lines {
        let at =
            l.at.format(&time::format_description::well_known::Rfc3339)
                .map_err(|e| e.to_string())?;
        file.push_str(&format!(
            "{},{},{at},{},{},{},\n",
            l.subject, l.visit, l.test, l.value, l.unit
        ));
    }
    let visits: Vec<&str> = study.visits.iter().map(|v| v.id.as_str()).collect();
    // The demo's clock is `today`: nothing collected on a visit before it is in the future.
    let now = OffsetDateTime::now_utc().max(today.midnight().assume_utc());
    let rows = read_results(&file, &study.labs, &visits, now).map_err(|p| format!("{p:?}"))?;
    store
        .import_lab_results(study, &scope, rows, &digest(&file), &dm)
        .await
        .map_err(err)?
        .map_err(|p| format!("{p:?}"))?;
    tracing::debug!(
        study = %study.id,
        rows = lines.len(),
        mild,
        ms = started.elapsed().as_millis() as u64,
        "demo lab values seeded"
    );
    Ok(())
}

/// One form saved, as the site saves it.
async fn save(
    app: &App,
    scope: &Scope,
    p: &Participant,
    visit: &str,
    form: &str,
    values: serde_json::Value,
    by: &Actor,
) -> Result<(), String> {
    let study = app.study(scope.study()).map_err(|e| e.to_string())?;
    let Some(def) = study.form(form) else {
        return Ok(());
    };
    let serde_json::Value::Object(values) = values else {
        return Err("a form's values are an object".into());
    };
    // The donor HLA typing comes from the master cell bank, as on a site's save.
    let values = crate::service::with_sourced_fields(app, scope.study(), def, values)
        .await
        .map_err(|e| e.to_string())?;
    let data = trial::validate_form(def, &values).map_err(|issues| format!("{issues:?}"))?;
    let serde_json::Value::Object(data) = data.to_json() else {
        return Err("a form's data is an object".into());
    };
    let save = store::FormSave {
        participant_id: p.id,
        visit_id: visit.into(),
        form_id: form.into(),
        data,
        status: FormStatus::Complete,
        reason: None,
        eligibility: None,
    };
    app.store
        .save_form(scope, &save, by)
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// The randomised study's imaging and immunogenicity: the first participant with a week-4
/// visit has a positive donor-specific antibody there (MFI above the lab's cut-off), and the
/// MRI read of the first enrolled participant's screening visit.
pub(super) async fn seed_forms(
    app: &App,
    study: &Study,
    coordinators: &[(String, Actor)],
) -> Result<(), String> {
    let store = &app.store;
    let err = |e: store::StoreError| e.to_string();
    let scope = Scope::Study(study.id.clone());
    let enrolled: Vec<Participant> = store
        .participants(&scope)
        .await
        .map_err(err)?
        .into_iter()
        .filter(|p| p.subject_id.is_some())
        .collect();
    let mut mri = false;
    let mut dsa = false;
    for p in &enrolled {
        let Some((_, by)) = coordinators.iter().find(|(site, _)| *site == p.site_id) else {
            continue;
        };
        let visits = store.visits(&scope, p.id).await.map_err(err)?;
        let done = |id: &str| {
            visits
                .iter()
                .find(|v| v.visit_id == id)
                .and_then(|v| v.done_on.clone())
        };
        let has = |visit: &str, form: &str| {
            study
                .visit(visit)
                .is_some_and(|v| v.forms.iter().any(|f| f == form))
        };
        if !mri && has("screening", "mri-read") {
            if let Some(on) = done("screening") {
                let values = serde_json::json!({
                    "read_date": on,
                    "reader": "王磊",
                    "lesion_length_mm": "18.5",
                    "cord_oedema": true,
                    "syrinx": false,
                    "mass_at_injection_site": false,
                });
                save(app, &scope, p, "screening", "mri-read", values, by).await?;
                mri = true;
            }
        }
        if !dsa && has("week-4", "immunogenicity") {
            if let Some(on) = done("week-4") {
                let values = serde_json::json!({
                    "sample_date": on,
                    "dsa_specificity": "DQ7",
                    "dsa_mfi": 2400,
                    "mfi_cutoff": 1000,
                    "dsa_positive": true,
                });
                save(app, &scope, p, "week-4", "immunogenicity", values, by).await?;
                dsa = true;
            }
        }
        if mri && dsa {
            break;
        }
    }
    Ok(())
}

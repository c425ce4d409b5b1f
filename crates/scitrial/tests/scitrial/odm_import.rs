//! `scitrial import odm` through the real binary, on SQLite and PostgreSQL: the demo study's
//! ODM export (forms of every kind, a value changed with its reason) imported into a fresh
//! database given the same participants by the demo's seeding (not the forms added since, and
//! with one exam value of its own) creates the missing forms and changes the different one
//! back, audited as an import naming the file; exported again, the two files hold the same
//! clinical data, and the two databases the same forms. Files that do not fit (an unknown
//! item, a value out of range, an unknown subject after valid changes, an unknown event,
//! broken XML) exit 1 naming where, and leave the database as it was.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::{json, Value};
use store::{Actor, Scope};

use crate::common::{self, PHASE2};

/// Values as a save keeps them, whoever wrote them: a null is no value, and a number is its
/// value (a decimal field saved through the store directly may hold `5` where a save keeps
/// `5.0`).
fn normal(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, normal(v)))
                .collect(),
        ),
        Value::Number(n) => json!(n.as_f64()),
        other => other,
    }
}

/// Every form the database holds: (subject, visit, form) to its values.
async fn forms(sql: &store::Store) -> BTreeMap<(String, String, String), Value> {
    let rows: Vec<(String, Option<String>, String, String, String)> = sqlx::query_as(&sql.sql(
        "SELECT p.screening_number, p.subject_id, f.visit_id, f.form_id, f.data::text \
         FROM form_entries f JOIN participants p ON p.id = f.participant_id \
         WHERE p.study_id = 'XS228-P2'",
    ))
    .fetch_all(sql.raw_pool())
    .await
    .unwrap();
    rows.into_iter()
        .map(|(screening, subject, visit, form, data)| {
            let key = subject.unwrap_or(screening);
            (
                (key, visit, form),
                normal(serde_json::from_str(&data).unwrap()),
            )
        })
        .collect()
}

/// What a refused import must leave as it was: the forms with their versions and statuses,
/// and the length of the audit trail.
async fn snapshot(sql: &store::Store) -> (Vec<(i64, String, String, String, i64)>, i64) {
    let forms = sqlx::query_as(&sql.sql(
        "SELECT participant_id, visit_id, form_id, data::text, version FROM form_entries \
         ORDER BY participant_id, visit_id, form_id",
    ))
    .fetch_all(sql.raw_pool())
    .await
    .unwrap();
    let audit = sqlx::query_scalar("SELECT COUNT(*) FROM audit")
        .fetch_one(sql.raw_pool())
        .await
        .unwrap();
    (forms, audit)
}

fn import(url: &str, file: &Path) -> (i32, String) {
    let out = common::bin()
        .args(["import", "odm", "--database-url", url, "--study", PHASE2])
        .arg("--input")
        .arg(file)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// The number before `word` in what the import printed.
fn count(out: &str, word: &str) -> usize {
    let end = out.find(word).unwrap_or_else(|| panic!("{word}: {out}"));
    let start = out[..end].rfind(' ').map_or(0, |i| i + 1);
    out[start..end]
        .parse()
        .unwrap_or_else(|_| panic!("{word}: {out}"))
}

/// The forms an ODM file holds, as the study's reader reads them.
fn held(study: &trial::Study, file: &Path) -> BTreeMap<(String, String, String), Value> {
    let text = std::fs::read(file).unwrap();
    export::odm::import::read(study, text.as_slice())
        .unwrap()
        .into_iter()
        .map(|f| {
            let f = f.form;
            (
                (f.subject, f.visit_id, f.form_id),
                normal(Value::Object(f.data)),
            )
        })
        .collect()
}

async fn seeded(url: &str, phase2: &str, today: time::Date) -> (Arc<store::Store>, trial::Study) {
    let sql = Arc::new(store::open(url).await.unwrap());
    let app = web::App::new(sql.clone(), &[phase2.to_string()], false)
        .await
        .unwrap();
    web::demo::seed(&app, "XS228-P2", today).await.unwrap();
    (sql, app.studies["XS228-P2"].clone())
}

/// A form's values saved again with one value changed.
async fn change(sql: &store::Store, visit_form: (&str, &str), key: &str, value: Value) -> String {
    let (visit, form) = visit_form;
    let (pid, data): (i64, String) = sqlx::query_as(&sql.sql(
        "SELECT participant_id, data::text FROM form_entries \
         WHERE visit_id = $1 AND form_id = $2 ORDER BY participant_id LIMIT 1",
    ))
    .bind(visit)
    .bind(form)
    .fetch_one(sql.raw_pool())
    .await
    .unwrap();
    let mut data: serde_json::Map<String, Value> = serde_json::from_str(&data).unwrap();
    match data.get_mut("exam") {
        Some(Value::Object(exam)) => {
            exam.insert(key.into(), value);
            let exam = exam.clone();
            data = trial::participants::isncsci_form_data(&exam)
                .unwrap()
                .as_object()
                .unwrap()
                .clone();
        }
        _ => {
            data.insert(key.into(), value);
        }
    }
    sql.save_form(
        &Scope::Study("XS228-P2".into()),
        &store::FormSave {
            participant_id: pid,
            visit_id: visit.into(),
            form_id: form.into(),
            data,
            status: trial::FormStatus::Complete,
            reason: Some("transcription error".into()),
            eligibility: None,
        },
        &Actor::system(),
    )
    .await
    .unwrap();
    let key: (Option<String>, String) = sqlx::query_as(
        &sql.sql("SELECT subject_id, screening_number FROM participants WHERE id = $1"),
    )
    .bind(pid)
    .fetch_one(sql.raw_pool())
    .await
    .unwrap();
    key.0.unwrap_or(key.1)
}

#[tokio::test]
async fn an_export_imports_into_a_fresh_database_and_exports_the_same_clinical_data() {
    let phase2 = std::fs::read_to_string(PHASE2).unwrap();
    let today = time::OffsetDateTime::now_utc().date();
    // Copies of the demo seeded once per run: the seeding in `seeded` finds it.
    let sources = common::demo_databases("scitrial_odm_from", false, today).await;
    let targets = common::demo_databases("scitrial_odm_into", false, today).await;
    for (from, into) in sources.zip(targets) {
        let (source, study) = seeded(from.url(), &phase2, today).await;
        crate::sdtm::fill_forms(&source, &study).await;
        change(
            &source,
            ("baseline", "vital-signs"),
            "heart_rate",
            json!(99),
        )
        .await;
        let base = std::env::temp_dir().join(store::testing::unique("scitrial-odm-import"));
        std::fs::create_dir_all(&base).unwrap();
        let first = base.join("first.xml");
        let (code, out) = common::export("odm", from.url(), "XS228-P2", &first, false);
        assert_eq!(code, 0, "{out}");

        // The target: the demo's participants and forms, one exam value of its own.
        let (target, _) = seeded(into.url(), &phase2, today).await;
        change(&target, ("week-2", "isncsci"), "c5RightMotor", json!("0")).await;
        assert_ne!(forms(&source).await, forms(&target).await);

        let (code, out) = import(into.url(), &first);
        assert_eq!(code, 0, "{out}");
        let (created, changed) = (count(&out, " new"), count(&out, " changed"));
        assert!(created > 10, "the forms added in the source: {out}");
        assert!(changed >= 1, "the target's own exam value: {out}");

        // The databases hold the same forms; the file exported again the same clinical data.
        assert_eq!(
            forms(&source).await,
            forms(&target).await,
            "{}",
            into.name()
        );
        let second = base.join("second.xml");
        let (code, out) = common::export("odm", into.url(), "XS228-P2", &second, false);
        assert_eq!(code, 0, "{out}");
        let (a, b) = (held(&study, &first), held(&study, &second));
        assert!(a.len() > 100, "the demo holds forms: {}", a.len());
        assert_eq!(a, b);

        // Audited as an import naming the file, by the write of its own name.
        let reason = "imported from the ODM file first.xml";
        let rows: i64 = sqlx::query_scalar(
            &target.sql("SELECT COUNT(*) FROM audit WHERE entity = 'form' AND reason = $1"),
        )
        .bind(reason)
        .fetch_one(target.raw_pool())
        .await
        .unwrap();
        assert!(rows > 100, "{rows} audit rows with the reason");

        // Imported again: nothing to do.
        let before = snapshot(&target).await;
        let (code, out) = import(into.url(), &first);
        assert_eq!(code, 0, "{out}");
        assert_eq!(
            (count(&out, " new"), count(&out, " changed")),
            (0, 0),
            "{out}"
        );
        assert_eq!(snapshot(&target).await, before);

        // Files that do not fit: refused whole, naming where; nothing written.
        let text = std::fs::read_to_string(&first).unwrap();
        let last_subject = text.rfind("<SubjectData SubjectKey=\"").unwrap();
        let mut unknown_subject = text.clone();
        unknown_subject.insert_str(last_subject + 25, "NOBODY-");
        // A valid change before it, which must not be written either.
        let changed_first = unknown_subject.replacen(
            "ItemOID=\"IT.vital-signs.respiratory_rate\" TransactionType=\"Insert\" Value=\"16\"",
            "ItemOID=\"IT.vital-signs.respiratory_rate\" TransactionType=\"Insert\" Value=\"17\"",
            1,
        );
        assert_ne!(changed_first, unknown_subject);
        let cases = [
            (
                text.replacen(
                    "<ItemData ItemOID=\"IT.vital-signs.heart_rate\"",
                    "<ItemData ItemOID=\"IT.vital-signs.pulse\"",
                    1,
                ),
                "IT.vital-signs.pulse",
            ),
            (
                text.replacen(
                    "ItemOID=\"IT.vital-signs.respiratory_rate\" TransactionType=\"Insert\" Value=\"16\"",
                    "ItemOID=\"IT.vital-signs.respiratory_rate\" TransactionType=\"Insert\" Value=\"600\"",
                    1,
                ),
                "IT.vital-signs.respiratory_rate",
            ),
            (changed_first, "participant NOBODY-"),
            (text.replacen(
                    "<StudyEventData StudyEventOID=\"SE.week-2\"",
                    "<StudyEventData StudyEventOID=\"SE.week-3\"",
                    1,
                ), "unknown study event \"SE.week-3\""),
            (text.replacen("</FormData>", "</ItemGroupData>", 1), "not well-formed XML"),
        ];
        for (n, (bad, named)) in cases.iter().enumerate() {
            let file = base.join(format!("bad-{n}.xml"));
            std::fs::write(&file, bad).unwrap();
            let (code, out) = import(into.url(), &file);
            assert_eq!(code, 1, "{named}: {out}");
            assert!(out.contains(named), "{named}: {out}");
            assert!(out.contains("nothing imported"), "{out}");
            assert_eq!(snapshot(&target).await, before, "{named}: nothing written");
        }
        let _ = std::fs::remove_dir_all(&base);
    }
}

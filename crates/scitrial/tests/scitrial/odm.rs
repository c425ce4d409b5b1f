//! `scitrial export odm` through the real binary over the seeded demo, on SQLite and
//! PostgreSQL, given forms of every kind, a changed value (with its reason) and a signed
//! visit: each file is validated against the ODM 1.3.2 schema that PyPI `odmlib` ships (with
//! lxml) and read back there; the values it holds at the end of each item's transactions are
//! compared with the forms the database holds, every audit record with the audit row it names,
//! the signature with the one made, and the treatments with the allocations (none in a blinded
//! export). Both exports are audited. Without `SCITRIAL_PYTHON` the reading is skipped with a
//! note, unless `SCITRIAL_REQUIRE_PYTHON_TOOLS` is set.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::{json, Value};
use store::{Actor, Scope};

use crate::common::{self, PHASE2};

/// Validates an ODM file and prints what it holds: each subject's final values (the last
/// transaction of each item of each form), its audit records, signatures and treatment, and
/// each item's name.
const READER: &str = r#"
import json, os, sys
import lxml.etree as et
import odmlib

xsd = os.path.join(os.path.dirname(odmlib.__file__), "schemas", "odm", "1.3.2", "ODM1-3-2.xsd")
schema = et.XMLSchema(et.parse(xsd))
doc = et.parse(sys.argv[1])
if not schema.validate(doc):
    sys.exit("not valid ODM 1.3.2: " + str(schema.error_log))
ns = {"o": "http://www.cdisc.org/ns/odm/v1.3"}
lang = "{http://www.w3.org/XML/1998/namespace}lang"
names = {i.get("OID"): i.get("Name") for i in doc.iterfind(".//o:ItemDef", ns)}
zh = sum(1 for q in doc.iterfind(".//o:ItemDef/o:Question/o:TranslatedText", ns) if q.get(lang) == "zh-Hans")
values, audits, signatures, treatments = [], [], [], {}
for s in doc.iterfind(".//o:SubjectData", ns):
    key = s.get("SubjectKey")
    for e in s.findall("o:StudyEventData", ns):
        event = e.get("StudyEventOID")
        g = e.find("o:Signature", ns)
        if g is not None:
            signatures.append([key, event, g.find("o:UserRef", ns).get("UserOID"),
                               g.find("o:SignatureRef", ns).get("SignatureOID")])
        for f in e.findall("o:FormData", ns):
            final = {}
            for ig in f.findall("o:ItemGroupData", ns):
                for item in ig.findall("o:ItemData", ns):
                    at = (ig.get("ItemGroupOID"), item.get("ItemOID"))
                    if item.get("TransactionType") == "Remove":
                        final.pop(at, None)
                    else:
                        final[at] = item.get("Value")
                    a = item.find("o:AuditRecord", ns)
                    if a is not None:
                        reason = a.find("o:ReasonForChange", ns)
                        audits.append({
                            "user": a.find("o:UserRef", ns).get("UserOID"),
                            "at": a.find("o:DateTimeStamp", ns).text,
                            "source": a.find("o:SourceID", ns).text,
                            "reason": reason.text if reason is not None else None,
                            "type": item.get("TransactionType"),
                        })
            if event == "SE.TREATMENT":
                treatments[key] = list(final.values())[0]
                continue
            for (group, oid), v in final.items():
                values.append([key, event, f.get("FormOID"), group, names[oid], v])
print(json.dumps({"values": values, "audits": audits, "signatures": signatures,
                  "treatments": treatments, "zh": zh}))
"#;

fn read_back(python: &Path, file: &Path) -> Value {
    common::python_json(python, READER, file)
}

fn export(url: &str, study: &str, file: &Path, unblinded: bool) -> (i32, String) {
    common::export("odm", url, study, file, unblinded)
}

/// A stored value as the file writes it.
fn text(v: &Value) -> Value {
    match v {
        Value::String(s) => json!(s),
        other => json!(other.to_string()),
    }
}

/// Every value the database holds, read with SQL of the test's own, as the file's rows:
/// subject, event, form, item group, item, value.
async fn stored_values(sql: &store::Store, study: &trial::Study) -> Vec<Value> {
    let rows: Vec<(String, Option<String>, String, String, String)> = sqlx::query_as(&sql.sql(
        "SELECT p.screening_number, p.subject_id, f.visit_id, f.form_id, f.data::text \
         FROM form_entries f JOIN participants p ON p.id = f.participant_id \
         WHERE p.study_id = 'XS228-P2'",
    ))
    .fetch_all(sql.raw_pool())
    .await
    .unwrap();
    let mut out = Vec::new();
    for (screening, subject, visit, form, data) in rows {
        let planned = study.visit(&visit).is_some_and(|v| v.forms.contains(&form));
        assert!(planned, "{visit} {form}: the demo saves planned forms");
        let key = subject.unwrap_or(screening);
        let data: Value = serde_json::from_str(&data).unwrap();
        let (event, f) = (format!("SE.{visit}"), format!("F.{form}"));
        for (k, v) in data.as_object().unwrap() {
            match v {
                Value::Object(inner) => {
                    for (k2, v2) in inner.iter().filter(|(_, v)| !v.is_null()) {
                        let group = format!("IG.{form}.{k}");
                        out.push(json!([key, event, f, group, k2, text(v2)]));
                    }
                }
                Value::Null => {}
                v => out.push(json!([key, event, f, format!("IG.{form}"), k, text(v)])),
            }
        }
    }
    out
}

fn sorted(mut rows: Vec<Value>) -> Vec<Value> {
    rows.sort_by_key(|r| r.to_string());
    rows
}

#[tokio::test]
async fn the_demo_exports_odm_that_validates_and_reads_back_as_stored() {
    let python = common::python("lxml, odmlib", "validating and reading the ODM files");
    let phase2 = std::fs::read_to_string(PHASE2).unwrap();
    let today = time::OffsetDateTime::now_utc().date();
    // Copies of the demo seeded once per run: the seeding below finds it.
    for db in common::demo_databases("scitrial_odm", false, today).await {
        let url = db.url();
        let sql = Arc::new(store::open(url).await.unwrap());
        let app = web::App::new(sql.clone(), std::slice::from_ref(&phase2), false)
            .await
            .unwrap();
        web::demo::seed(&app, "XS228-P2", today).await.unwrap();
        let study = app.studies["XS228-P2"].clone();
        crate::sdtm::fill_forms(&sql, &study).await;

        // A value changed with its reason, and the visit then signed.
        let scope = Scope::Study("XS228-P2".into());
        let (pid, visit, data): (i64, String, String) = sqlx::query_as(&sql.sql(
            "SELECT participant_id, visit_id, data::text FROM form_entries \
             WHERE form_id = 'vital-signs' ORDER BY participant_id, visit_id LIMIT 1",
        ))
        .fetch_one(sql.raw_pool())
        .await
        .unwrap();
        let mut data: serde_json::Map<String, Value> = serde_json::from_str(&data).unwrap();
        data.insert("heart_rate".into(), json!(99));
        data.remove("weight");
        let crc = Actor::system();
        sql.save_form(
            &scope,
            &store::FormSave {
                participant_id: pid,
                visit_id: visit.clone(),
                form_id: "vital-signs".into(),
                data,
                status: trial::FormStatus::Complete,
                reason: Some("transcription error".into()),
                eligibility: None,
            },
            &crc,
        )
        .await
        .unwrap();
        let investigator = sql.user_by_name("investigator").await.unwrap().unwrap();
        let signed = sql
            .sign_visit(
                &scope,
                &store::Signing {
                    participant_id: pid,
                    visit_id: Some(visit.clone()),
                    meaning: "approved".into(),
                    signer: &investigator,
                },
                &Actor::user(&investigator),
            )
            .await;
        signed.unwrap();

        let base = std::env::temp_dir().join(store::testing::unique("scitrial-odm"));
        std::fs::create_dir_all(&base).unwrap();
        let (blind, open) = (base.join("blinded.xml"), base.join("unblinded.xml"));
        let (code, out) = export(url, "XS228-P2", &blind, false);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("(blinded: no treatments)"), "{out}");
        let (code, out) = export(url, "XS228-P2", &open, true);
        assert_eq!(code, 0, "{out}");
        let leftovers = std::fs::read_dir(&base).unwrap().count();
        assert_eq!(leftovers, 2, "no temporary file is left");
        let blind_text = std::fs::read_to_string(&blind).unwrap();
        assert!(
            !blind_text.contains("TREATMENT"),
            "a blinded file has no treatment"
        );

        // Both exports audited with what they held.
        let audit = sql.audit_of("submission", "XS228-P2").await.unwrap();
        let held: Vec<_> = audit
            .iter()
            .filter(|r| r.field.as_deref() == Some("casebooks"))
            .filter_map(|r| r.new_value.clone())
            .collect();
        assert_eq!(held.len(), 2, "{audit:#?}");
        let people: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM participants WHERE study_id = 'XS228-P2'")
                .fetch_one(sql.raw_pool())
                .await
                .unwrap();
        assert!(
            held[0].starts_with(&format!("{people} participants, ")),
            "{}",
            held[0]
        );
        let blinding: Vec<_> = audit
            .iter()
            .filter(|r| r.field.as_deref() == Some("blinding"))
            .filter_map(|r| r.new_value.clone())
            .collect();
        assert_eq!(
            blinding,
            ["blinded: no treatment", "unblinded: treatments included"]
        );

        let Some(python) = &python else {
            let _ = std::fs::remove_dir_all(&base);
            continue;
        };
        let expected = sorted(stored_values(&sql, &study).await);
        assert!(expected.len() > 1000, "the demo holds forms");
        for file in [&blind, &open] {
            let read = read_back(python, file);
            let values = sorted(read["values"].as_array().unwrap().clone());
            assert_eq!(values, expected, "{}", file.display());
            assert!(read["zh"].as_u64().unwrap() > 161, "Chinese questions");

            // Every audit record is a row of the trail: its user and time.
            let rows: Vec<(String, i64, String, String, Option<String>)> =
                sqlx::query_as(&sql.sql(
                    "SELECT chain, seq, at::instant, username, reason FROM audit \
                     WHERE entity = 'form'",
                ))
                .fetch_all(sql.raw_pool())
                .await
                .unwrap();
            let by_seq: BTreeMap<(String, i64), _> = rows
                .iter()
                .map(|(c, s, at, u, r)| ((c.clone(), *s), (at, u, r)))
                .collect();
            let audits = read["audits"].as_array().unwrap();
            assert!(audits.len() > 1000);
            for a in audits {
                let source = a["source"].as_str().unwrap();
                let mut parts = source.split(' ');
                let (_, chain, seq) = (parts.next(), parts.next().unwrap(), parts.next().unwrap());
                let (at, user, reason) = by_seq[&(chain.to_string(), seq.parse().unwrap())];
                assert_eq!(a["at"], json!(at), "{source}");
                assert_eq!(a["user"], json!(format!("USR.{user}")), "{source}");
                assert_eq!(a["reason"], json!(reason), "{source}");
            }
            // The change: an update with its reason, and the removed value.
            let changed: Vec<_> = audits
                .iter()
                .filter(|a| a["reason"] == "transcription error")
                .map(|a| a["type"].as_str().unwrap())
                .collect();
            assert!(
                changed.contains(&"Update") && changed.contains(&"Remove"),
                "{changed:?}"
            );
            let sigs = read["signatures"].as_array().unwrap();
            assert!(
                sigs.iter().any(|s| s[1] == json!(format!("SE.{visit}"))
                    && s[2] == "USR.investigator"
                    && s[3] == "SD.approved"),
                "{sigs:?}"
            );
        }
        assert_eq!(read_back(python, &blind)["treatments"], json!({}));
        let allocated: Vec<(String, String)> = sqlx::query_as(
            "SELECT p.subject_id, a.arm_id FROM allocations a \
             JOIN participants p ON p.id = a.participant_id WHERE p.study_id = 'XS228-P2'",
        )
        .fetch_all(sql.raw_pool())
        .await
        .unwrap();
        assert!(!allocated.is_empty());
        let expected: BTreeMap<String, String> = allocated.into_iter().collect();
        let read: BTreeMap<String, String> =
            serde_json::from_value(read_back(python, &open)["treatments"].clone()).unwrap();
        assert_eq!(read, expected);
        let _ = std::fs::remove_dir_all(&base);
    }
}

//! `scitrial export sdtm` through the real binary over the seeded demo, on SQLite and
//! PostgreSQL. The demo is given what it does not fill itself (vital signs, concomitant
//! medication, SCIM III and WISCI II at the visits that took place), exported blinded and
//! unblinded, and every file is read back by two independent readers, PyPI `pyreadstat`
//! (ReadStat) and pandas' `read_sas(format="xport")`; what they read is compared with what the
//! database holds, read here with SQL of the test's own. The readers are the Python of
//! `SCITRIAL_PYTHON`; without it the reading is skipped with a note, unless
//! `SCITRIAL_REQUIRE_PYTHON_TOOLS` is set (as CI sets it), when the test fails.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use serde_json::{json, Value};
use store::{Actor, Scope};

use crate::common::{self, PHASE2};

/// Reads every `.xpt` of a directory with both readers: for each file the dataset's name and
/// label (pyreadstat) and, for each reader, the columns and the rows (text as read, numbers as
/// numbers, missing as null).
const READER: &str = r#"
import json, math, os, sys
import pandas, pyreadstat

def cell(v):
    if isinstance(v, bytes):
        v = v.decode("utf-8")
    if isinstance(v, str):
        return v
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    v = float(v)
    # pandas reads some zeros as 16^-65 (pandas-dev/pandas#50670); ReadStat reads them as 0.
    return 0.0 if v == 5.397605346934028e-79 else v

out = {}
d = sys.argv[1]
for name in sorted(os.listdir(d)):
    if not name.endswith(".xpt"):
        continue
    path = os.path.join(d, name)
    df, meta = pyreadstat.read_xport(path, encoding="utf-8")
    reader = pandas.read_sas(path, format="xport", encoding="utf-8", iterator=True)
    pf = reader.read()
    reader.close()
    # pandas counts the observations of a file whose observation is at most 80 bytes long by
    # taking every 8 blank bytes in the last 80 as padding, even inside the last observation's
    # text: it then leaves out the observations those bytes belong to. Its count is checked to
    # be exactly that rule.
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        f.seek(-80, 2)
        last = f.read(80)
    blanks = sum(1 for i in range(0, 80, 8) if last[i:i + 8] == b" " * 8)
    rule = (size - reader.record_start - 8 * blanks) // reader.record_length
    short = reader.record_length <= 80 and len(pf) < len(df)
    assert not short or len(pf) == rule, (name, len(pf), rule)
    out[name] = {
        "pandas_short": short,
        "name": meta.table_name,
        "label": meta.file_label,
        "pyreadstat": {"columns": list(df.columns),
                       "rows": [[cell(v) for v in r] for r in df.itertuples(index=False)]},
        "pandas": {"columns": list(pf.columns),
                   "rows": [[cell(v) for v in r] for r in pf.itertuples(index=False)]},
    }
print(json.dumps(out))
"#;

/// Each file's rows as maps from column to value, after checking that both readers read the
/// same columns and values.
fn read_back(python: &Path, dir: &Path) -> BTreeMap<String, (Value, Vec<BTreeMap<String, Value>>)> {
    let out = Command::new(python)
        .args(["-c", READER])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "readers failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut files = BTreeMap::new();
    for (name, file) in read.as_object().unwrap() {
        let p = &file["pyreadstat"];
        assert_eq!(p["columns"], file["pandas"]["columns"], "{name}: columns");
        let (all, pandas) = (
            p["rows"].as_array().unwrap(),
            file["pandas"]["rows"].as_array().unwrap(),
        );
        if file["pandas_short"] == true {
            eprintln!(
                "note: pandas reads {} of the {} observations of {name} (observations of at most \
                 80 bytes with blanks in the last 80 bytes of the file); pyreadstat reads all",
                pandas.len(),
                all.len()
            );
        }
        assert!(
            pandas.len() == all.len() || file["pandas_short"] == true,
            "{name}"
        );
        assert_eq!(
            pandas[..],
            all[..pandas.len()],
            "{name}: the two readers differ"
        );
        let columns: Vec<String> = serde_json::from_value(p["columns"].clone()).unwrap();
        let rows = p["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                columns
                    .iter()
                    .cloned()
                    .zip(r.as_array().unwrap().iter().cloned())
                    .collect()
            })
            .collect();
        files.insert(name.clone(), (file.clone(), rows));
    }
    files
}

/// Validates a directory's `define.xml` against the Define-XML 2.1 schema that PyPI `odmlib`
/// ships (with lxml), and prints, for each dataset it describes, its variables with their
/// English and Chinese labels, and for each `.xpt` the variables and labels pyreadstat reads.
const DEFINE_CHECK: &str = r#"
import json, os, sys
import lxml.etree as et
import odmlib, pyreadstat

d = sys.argv[1]
xsd = os.path.join(os.path.dirname(odmlib.__file__), "schemas", "define", "2.1", "define2-1-0.xsd")
schema = et.XMLSchema(et.parse(xsd))
doc = et.parse(os.path.join(d, "define.xml"))
if not schema.validate(doc):
    sys.exit("define.xml is not valid Define-XML 2.1: " + str(schema.error_log))
ns = {"odm": "http://www.cdisc.org/ns/odm/v1.3", "def": "http://www.cdisc.org/ns/def/v2.1"}
lang = "{http://www.w3.org/XML/1998/namespace}lang"
def texts(node):
    return {t.get(lang): t.text for t in node.findall("odm:Description/odm:TranslatedText", ns)}
items = {i.get("OID"): i for i in doc.iterfind(".//odm:ItemDef", ns)}
described = {}
for g in doc.iterfind(".//odm:ItemGroupDef", ns):
    variables = []
    for ref in g.findall("odm:ItemRef", ns):
        item = items[ref.get("ItemOID")]
        origin = item.find("def:Origin", ns)
        variables.append([item.get("Name"), texts(item), item.get("DataType"),
                          origin.get("Type") if origin is not None else None])
    leaf = g.find("def:leaf", ns).get("{http://www.w3.org/1999/xlink}href")
    described[g.get("Name")] = {"file": leaf, "label": texts(g), "variables": variables}
files = {}
for name in sorted(os.listdir(d)):
    if name.endswith(".xpt"):
        df, meta = pyreadstat.read_xport(os.path.join(d, name), encoding="utf-8")
        files[name] = [[c, meta.column_names_to_labels[c]] for c in meta.column_names]
codes = [c.get("CodedValue") for c in doc.iterfind(".//odm:CodeList[@OID='CL.NV.NVTESTCD']/odm:CodeListItem", ns)]
print(json.dumps({"described": described, "files": files, "nv_codes": codes}))
"#;

/// Checks a directory's `define.xml`: valid against the schema, describing exactly the
/// variables each file holds (in order, with the same labels) and each in Chinese too.
fn check_define(python: &Path, dir: &Path, nv: &BTreeMap<String, (Value, Rows)>) {
    let read = common::python_json(python, DEFINE_CHECK, dir);
    let described = read["described"].as_object().unwrap();
    let files = read["files"].as_object().unwrap();
    assert_eq!(described.len(), files.len(), "one dataset per file");
    for (domain, d) in described {
        let file = d["file"].as_str().unwrap();
        assert_eq!(file, format!("{}.xpt", domain.to_lowercase()));
        assert!(
            d["label"]["zh-Hans"].is_string(),
            "{domain}: {}",
            d["label"]
        );
        let in_define: Vec<Value> = d["variables"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                assert!(v[1]["zh-Hans"].is_string(), "{domain}: {v}");
                assert!(v[3].is_string(), "{domain}: {v} has no origin");
                json!([v[0], v[1]["en"]])
            })
            .collect();
        assert_eq!(in_define, files[file].as_array().unwrap()[..], "{domain}");
    }
    // Every ISNCSCI test code in NV is declared in its sponsor-defined code list.
    let declared: Vec<String> = serde_json::from_value(read["nv_codes"].clone()).unwrap();
    assert_eq!(declared.len(), 136 + 25);
    for row in &nv["nv.xpt"].1 {
        let code = row["NVTESTCD"].as_str().unwrap();
        assert!(declared.iter().any(|c| c == code), "{code} not declared");
    }
}

fn export(url: &str, study: &str, dir: &Path, unblinded: bool) -> (i32, String) {
    common::export("sdtm", url, study, dir, unblinded)
}

/// Study day of `date` from `day1`, no day 0: computed here on its own.
fn day(date: &str, day1: &str) -> Value {
    let (Some(d), Some(r)) = (store::parse_date(date), store::parse_date(day1)) else {
        return Value::Null;
    };
    let n = (d - r).whole_days();
    json!((if n >= 0 { n + 1 } else { n }) as f64)
}

/// Vital signs, concomitant medication, SCIM III and WISCI II at the visits that took place
/// and list them, for every fourth enrolled participant.
pub(crate) async fn fill_forms(sql: &store::Store, study: &trial::Study) {
    let scope = Scope::Study(study.id.clone());
    let by = Actor::system();
    let participants = sql.participants(&scope).await.unwrap();
    let enrolled = participants.iter().filter(|p| p.subject_id.is_some());
    for (n, p) in enrolled.enumerate().filter(|(n, _)| n % 4 == 0) {
        for v in sql.visits(&scope, p.id).await.unwrap() {
            let Some(done) = &v.done_on else { continue };
            let def = study.visit(&v.visit_id).unwrap();
            for form_id in &def.forms {
                let data = match form_id.as_str() {
                    "vital-signs" => json!({"systolic_bp": 110 + n, "diastolic_bp": 70,
                        "heart_rate": 60 + n % 30, "respiratory_rate": 16, "temperature": 36.5,
                        "weight": 70.25}),
                    "conmed" => json!({"medication": format!("Baclofen {n}"),
                        "indication": "Spasticity", "dose": 5, "dose_unit": "mg",
                        "route": "oral", "frequency": "three times a day", "start_date": done,
                        "ongoing": n % 8 == 0, "end_date": if n % 8 == 0 { Value::Null } else { json!(done) }}),
                    "scim3" => {
                        let mut items = serde_json::Map::new();
                        for (i, item) in trial::Scim3Item::ALL.iter().enumerate() {
                            let allowed = item.allowed();
                            items.insert(item.id().into(), json!(allowed[(n + i) % allowed.len()]));
                        }
                        trial::Scim3::from_json(&items).unwrap().to_json()
                    }
                    "wisci2" => json!({"level": n % 21}),
                    _ => continue,
                };
                let mut data = data.as_object().unwrap().clone();
                data.retain(|_, v| !v.is_null());
                sql.save_form(
                    &scope,
                    &store::FormSave {
                        participant_id: p.id,
                        visit_id: v.visit_id.clone(),
                        form_id: form_id.clone(),
                        data,
                        status: trial::FormStatus::Complete,
                        reason: None,
                        eligibility: None,
                    },
                    &by,
                )
                .await
                .unwrap();
            }
        }
    }
}

type Rows = Vec<BTreeMap<String, Value>>;

/// The rows' values of `columns`, sorted: what is compared with what the database holds.
fn project(rows: &Rows, columns: &[&str]) -> Vec<Vec<Value>> {
    let mut out: Vec<Vec<Value>> = rows
        .iter()
        .map(|r| {
            columns
                .iter()
                .map(|c| r.get(*c).cloned().unwrap_or(Value::Null))
                .collect()
        })
        .collect();
    out.sort_by_key(|r| serde_json::to_string(r).unwrap());
    out
}

fn sorted(mut rows: Vec<Vec<Value>>) -> Vec<Vec<Value>> {
    rows.sort_by_key(|r| serde_json::to_string(r).unwrap());
    rows
}

#[tokio::test]
async fn the_demo_exports_sdtm_that_both_readers_read_back_as_stored() {
    let python = common::python(
        "pyreadstat, pandas, lxml, odmlib",
        "reading the SDTM files back and validating define.xml",
    );
    let phase1 = std::fs::read_to_string(common::study("xs228-phase1.toml")).unwrap();
    let phase2 = std::fs::read_to_string(PHASE2).unwrap();
    let today = time::OffsetDateTime::now_utc().date();
    // Copies of the demo seeded once per run: the seeding below finds it and returns the
    // accounts.
    for db in common::demo_databases("scitrial_sdtm", true, today).await {
        let url = db.url();
        let sql = Arc::new(store::open(url).await.unwrap());
        let app = web::App::new(sql.clone(), &[phase2.clone(), phase1.clone()], false)
            .await
            .unwrap();
        let accounts = web::demo::seed(&app, "XS228-P2", today).await.unwrap();
        web::demo::seed_escalation(&app, "XS228-P1", &accounts, today)
            .await
            .unwrap();
        let study = app.studies["XS228-P2"].clone();
        fill_forms(&sql, &study).await;

        let base = std::env::temp_dir().join(store::testing::unique("scitrial-sdtm"));
        let (blind_dir, open_dir) = (base.join("blinded"), base.join("unblinded"));
        let (code, text) = export(url, "XS228-P2", &blind_dir, false);
        assert_eq!(code, 0, "{text}");
        assert!(text.contains("(blinded: no arms)"), "{text}");
        assert!(blind_dir.join("define.xml").exists(), "{text}");
        let (code, text) = export(url, "XS228-P2", &open_dir, true);
        assert_eq!(code, 0, "{text}");
        for domain in [
            "dm", "ae", "ex", "ds", "sv", "vs", "cm", "qs", "nv", "ta", "te", "ti", "ts", "tv",
        ] {
            for dir in [&blind_dir, &open_dir] {
                assert!(
                    dir.join(format!("{domain}.xpt")).exists(),
                    "{domain}: {text}"
                );
            }
        }

        // Both exports are audited, saying what they included; neither names an arm.
        let audit = sql.audit_of("submission", "XS228-P2").await.unwrap();
        let blinding: Vec<_> = audit
            .iter()
            .filter(|r| r.field.as_deref() == Some("blinding"))
            .filter_map(|r| r.new_value.clone())
            .collect();
        assert_eq!(
            blinding,
            ["blinded: no treatment", "unblinded: treatments included"],
            "{audit:#?}"
        );
        let datasets: Vec<_> = audit
            .iter()
            .filter(|r| r.field.as_deref() == Some("datasets"))
            .collect();
        assert_eq!(datasets.len(), 2);
        assert!(audit
            .iter()
            .all(|r| r.action == "export" && r.chain == "XS228-P2"));
        assert!(datasets[0].new_value.as_deref().unwrap().starts_with("DM "));
        for arm in &study.arms {
            assert!(!audit
                .iter()
                .any(|r| r.new_value.as_deref() == Some(arm.name.as_str())));
        }

        streamed_as_whole(&sql, &study, &base).await;
        let audit = sql.audit_of("submission", "XS228-P2").await.unwrap();

        let Some(python) = &python else {
            let _ = std::fs::remove_dir_all(&base);
            continue;
        };
        let blinded = read_back(python, &blind_dir);
        let unblinded = read_back(python, &open_dir);
        check_define(python, &blind_dir, &blinded);
        check_define(python, &open_dir, &unblinded);
        check_against_store(&sql, &study, &blinded, &unblinded).await;

        // Phase I is open-label: its dose levels are in DM without asking.
        let p1_dir = base.join("phase1");
        let (code, text) = export(url, "XS228-P1", &p1_dir, false);
        assert_eq!(code, 0, "{text}");
        let p1 = read_back(python, &p1_dir);
        let levels: Vec<(String, String)> = sqlx::query_as(
            "SELECT p.subject_id, d.level_id FROM dose_assignments d \
             JOIN participants p ON p.id = d.participant_id WHERE p.study_id = 'XS228-P1'",
        )
        .fetch_all(sql.raw_pool())
        .await
        .unwrap();
        assert!(!levels.is_empty());
        let dm = &p1["dm.xpt"].1;
        for (subject, level) in &levels {
            let row = dm
                .iter()
                .find(|r| r["SUBJID"] == json!(subject))
                .unwrap_or_else(|| panic!("{subject} not in DM"));
            let code: String = level.chars().filter(char::is_ascii_alphanumeric).collect();
            assert_eq!(row["ARMCD"], json!(code.to_uppercase()), "{subject}");
        }

        // A value that does not fit: refused naming dataset, variable and record, nothing
        // written, nothing audited.
        let (pid, visit): (i64, String) = sqlx::query_as(
            "SELECT participant_id, visit_id FROM form_entries WHERE form_id = 'conmed' \
             ORDER BY participant_id, visit_id LIMIT 1",
        )
        .fetch_one(sql.raw_pool())
        .await
        .unwrap();
        let mut data = serde_json::Map::new();
        for (k, v) in [
            ("medication", json!("m".repeat(201))),
            ("indication", json!("x")),
            ("route", json!("oral")),
            ("start_date", json!("2026-01-01")),
            ("ongoing", json!(true)),
        ] {
            data.insert(k.into(), v);
        }
        sql.save_form(
            &Scope::Study("XS228-P2".into()),
            &store::FormSave {
                participant_id: pid,
                visit_id: visit,
                form_id: "conmed".into(),
                data,
                status: trial::FormStatus::Complete,
                reason: Some("a test of the export's refusal".into()),
                eligibility: None,
            },
            &Actor::system(),
        )
        .await
        .unwrap();
        let refused_dir = base.join("refused");
        let (code, text) = export(url, "XS228-P2", &refused_dir, false);
        assert_eq!(code, 1, "{text}");
        assert!(
            text.contains("dataset CM, variable CMTRT, record 1:") && text.contains("201 bytes"),
            "{text}"
        );
        assert!(!refused_dir.exists() || std::fs::read_dir(&refused_dir).unwrap().count() == 0);
        let after = sql.audit_of("submission", "XS228-P2").await.unwrap();
        assert_eq!(after.len(), audit.len(), "a refused export is not audited");
        assert!(matches!(
            sql.verify_audit().await.unwrap(),
            store::AuditReport::Intact { .. }
        ));
        let _ = std::fs::remove_dir_all(&base);
    }
}

/// The files of a directory, by name.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            (name, std::fs::read(&path).unwrap())
        })
        .collect()
}

/// The export read and written a batch of participants at a time writes, byte for byte, the
/// files of the export as it was first made (the reference: the whole study read at once and
/// every dataset held in memory, `export::sdtm::export_whole`), blinded and unblinded, a batch
/// of 1, 5 and `export::sdtm::BATCH` participants at a time; and both are audited alike.
async fn streamed_as_whole(sql: &store::Store, study: &trial::Study, base: &Path) {
    let scope = Scope::Study(study.id.clone());
    let by = Actor::system();
    let created = time::macros::datetime!(2026-12-06 12:00:00 UTC);
    for unblinded in [false, true] {
        let reference = base.join(format!("whole-{unblinded}"));
        export::sdtm::export_whole(sql, study, &scope, unblinded, &by, &reference, created)
            .await
            .unwrap();
        let expected = files(&reference);
        assert_eq!(expected.len(), 15, "{:?}", expected.keys());
        for batch in [1, 5, export::sdtm::BATCH] {
            let dir = base.join(format!("batches-{unblinded}-{batch}"));
            let written = export::sdtm::export_in_batches(
                sql, study, &scope, unblinded, &by, &dir, created, batch,
            )
            .await
            .unwrap();
            assert_eq!(written.len(), expected.len());
            let got = files(&dir);
            assert_eq!(
                got.keys().collect::<Vec<_>>(),
                expected.keys().collect::<Vec<_>>(),
                "by {batch}: the files (no scratch or temporary file left)"
            );
            for (name, bytes) in &expected {
                let other = &got[name];
                let at = bytes.iter().zip(other).position(|(a, b)| a != b);
                assert!(
                    bytes == other,
                    "{name}, unblinded {unblinded}, by {batch}: {} bytes against the \
                     reference's {}, first difference at byte {at:?}",
                    other.len(),
                    bytes.len()
                );
            }
        }
    }
    // Each export audited with the same datasets and record counts as the reference's.
    let audit = sql.audit_of("submission", &study.id).await.unwrap();
    let datasets: Vec<&str> = audit
        .iter()
        .filter(|r| r.field.as_deref() == Some("datasets"))
        .filter_map(|r| r.new_value.as_deref())
        .collect();
    let last = &datasets[datasets.len() - 8..];
    assert!(last[..4].iter().all(|d| *d == last[0]), "{last:#?}");
    assert!(last[4..].iter().all(|d| *d == last[4]), "{last:#?}");
    assert!(last[0].starts_with("DM "), "{last:#?}");
}

/// Every domain against the database, read with the test's own SQL.
async fn check_against_store(
    sql: &store::Store,
    study: &trial::Study,
    blinded: &BTreeMap<String, (Value, Rows)>,
    unblinded: &BTreeMap<String, (Value, Rows)>,
) {
    let pool = sql.raw_pool();
    let usubjid = |s: &str| json!(format!("XS228-P2-{s}"));
    // Participants: subject, site, sex, birth, consent, first dose, end, reason, allocated arm.
    type P = (
        i64,
        String,
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let people: Vec<P> = sqlx::query_as(&sql.sql(
        "SELECT p.id, p.subject_id, p.site_id, p.sex, p.date_of_birth::text, \
         p.consent_date::text, p.anchor_date::text, p.ended_on::text, a.arm_id \
         FROM participants p LEFT JOIN allocations a ON a.participant_id = p.id \
         WHERE p.study_id = 'XS228-P2' AND p.subject_id IS NOT NULL ORDER BY p.id",
    ))
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(people.len() >= 20, "the demo enrols participants");
    let by_id: BTreeMap<i64, &P> = people.iter().map(|p| (p.0, p)).collect();

    // DM: blinded without arms (and says so), unblinded with the allocated arm's name.
    let (file, dm) = &blinded["dm.xpt"];
    assert!(
        file["label"].as_str().unwrap().contains("blinded"),
        "{}",
        file["label"]
    );
    let expected: Vec<Vec<Value>> = people
        .iter()
        .map(|p| {
            vec![
                usubjid(&p.1),
                json!(p.2),
                json!(if p.3 == "male" { "M" } else { "F" }),
                json!(p.4),
                json!(p.5),
                json!(p.6.clone().unwrap_or_default()),
                json!(""),
                json!(""),
            ]
        })
        .collect();
    let columns = [
        "USUBJID", "SITEID", "SEX", "BRTHDTC", "RFICDTC", "RFSTDTC", "ARM", "ACTARM",
    ];
    assert_eq!(project(dm, &columns), sorted(expected.clone()));
    let with_arms: Vec<Vec<Value>> = people
        .iter()
        .zip(expected)
        .map(|(p, mut row)| {
            let name = p.8.as_deref().map_or("Not Assigned".to_string(), |a| {
                study.arm(a).unwrap().name.clone()
            });
            row[6] = json!(name);
            row[7] = json!(name);
            row
        })
        .collect();
    let (file, dm_open) = &unblinded["dm.xpt"];
    assert_eq!(file["label"], "Demographics");
    assert_eq!(project(dm_open, &columns), sorted(with_arms));
    for p in &people {
        let row = dm.iter().find(|r| r["USUBJID"] == usubjid(&p.1)).unwrap();
        let age = trial::age_in_years(
            store::parse_date(&p.4).unwrap(),
            store::parse_date(&p.5).unwrap(),
        );
        assert_eq!(row["AGE"], json!(f64::from(age)));
    }
    // Everything but DM and EX's treatment is the same in both exports.
    for (name, (_, rows)) in blinded
        .iter()
        .filter(|(n, _)| !["dm.xpt", "ex.xpt"].contains(&n.as_str()))
    {
        assert_eq!(rows, &unblinded[name].1, "{name}");
    }

    // EX: every dose given, the product named only unblinded (placebo with dose 0).
    let doses: Vec<(i64, String, i64, i64)> = sqlx::query_as(&sql.sql(
        "SELECT a.participant_id, a.injected_at::instant, a.dose_cells, \
         CASE WHEN u.placebo THEN 1 ELSE 0 END \
         FROM product_administrations a JOIN product_units u ON u.id = a.unit_id",
    ))
    .fetch_all(pool)
    .await
    .unwrap();
    let doses: Vec<_> = doses
        .into_iter()
        .filter_map(|(pid, at, dose, placebo)| Some((by_id.get(&pid)?, at, dose, placebo == 1)))
        .collect();
    assert!(!doses.is_empty(), "the demo's participants were dosed");
    let columns = ["USUBJID", "EXSTDTC", "EXTRT", "EXDOSE"];
    let expect = |open: bool| {
        sorted(
            doses
                .iter()
                .map(|(p, at, dose, placebo)| {
                    let (trt, dose) = match (open, placebo) {
                        (false, _) => (export::sdtm::BLINDED_TREATMENT, *dose as f64),
                        (true, true) => ("PLACEBO", 0.0),
                        (true, false) => ("XS228", *dose as f64),
                    };
                    vec![usubjid(&p.1), json!(&at[..19]), json!(trt), json!(dose)]
                })
                .collect(),
        )
    };
    assert_eq!(project(&blinded["ex.xpt"].1, &columns), expect(false));
    assert_eq!(project(&unblinded["ex.xpt"].1, &columns), expect(true));

    // AE: every event of an enrolled participant.
    type E = (
        i64,
        i64,
        String,
        String,
        String,
        String,
        Option<String>,
        i64,
        String,
    );
    let events: Vec<E> = sqlx::query_as(
        "SELECT id, participant_id, verbatim, term, meddra_code, onset_partial, end_partial, \
         grade, seriousness FROM adverse_events ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let expected: Vec<Vec<Value>> = events
        .iter()
        .filter_map(|e| {
            let p = by_id.get(&e.1)?;
            let first_dose = p.6.clone().unwrap_or_default();
            Some(vec![
                usubjid(&p.1),
                json!(e.0.to_string()),
                json!(e.2),
                json!(e.3),
                json!(e.4.parse::<f64>().unwrap()),
                json!(e.5),
                json!(e.6.clone().unwrap_or_default()),
                json!(e.7.to_string()),
                json!(if e.8.is_empty() { "N" } else { "Y" }),
                day(&e.5, &first_dose),
            ])
        })
        .collect();
    assert!(!expected.is_empty(), "the demo records adverse events");
    let columns = [
        "USUBJID", "AESPID", "AETERM", "AEDECOD", "AELLTCD", "AESTDTC", "AEENDTC", "AETOXGR",
        "AESER", "AESTDY",
    ];
    assert_eq!(project(&blinded["ae.xpt"].1, &columns), sorted(expected));

    // SV: every visit that took place, numbered by the schedule.
    let visits: Vec<(i64, String, String)> = sqlx::query_as(&sql.sql(
        "SELECT participant_id, visit_id, done_on::text FROM visits WHERE done_on IS NOT NULL",
    ))
    .fetch_all(pool)
    .await
    .unwrap();
    let number =
        |visit: &str| json!((study.visits.iter().position(|v| v.id == visit).unwrap() + 1) as f64);
    let expected: Vec<Vec<Value>> = visits
        .iter()
        .filter_map(|(pid, visit, on)| {
            let p = by_id.get(pid)?;
            Some(vec![
                usubjid(&p.1),
                number(visit),
                json!(on),
                day(on, p.6.as_deref().unwrap_or_default()),
            ])
        })
        .collect();
    let columns = ["USUBJID", "VISITNUM", "SVSTDTC", "SVSTDY"];
    assert_eq!(project(&blinded["sv.xpt"].1, &columns), sorted(expected));

    // DS: consent for everyone, the end of participation with its reason for those ended.
    let ds = &blinded["ds.xpt"].1;
    let ended: Vec<(String, String, String)> = sqlx::query_as(&sql.sql(
        "SELECT subject_id, ended_on::text, end_reason FROM participants \
         WHERE study_id = 'XS228-P2' AND subject_id IS NOT NULL AND ended_on IS NOT NULL",
    ))
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(!ended.is_empty());
    let mut expected: Vec<Vec<Value>> = people
        .iter()
        .map(|p| {
            vec![
                usubjid(&p.1),
                json!("INFORMED CONSENT OBTAINED"),
                json!(p.5),
            ]
        })
        .collect();
    expected.extend(
        ended
            .iter()
            .map(|(s, on, why)| vec![usubjid(s), json!(why), json!(on)]),
    );
    assert_eq!(
        project(ds, &["USUBJID", "DSTERM", "DSSTDTC"]),
        sorted(expected)
    );

    // The forms: each value where the mapping says.
    let forms: Vec<(i64, String, String, String)> = sqlx::query_as(
        &sql.sql("SELECT participant_id, visit_id, form_id, data::text FROM form_entries"),
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let dated: BTreeMap<(i64, String), String> = visits
        .iter()
        .map(|(p, v, on)| ((*p, v.clone()), on.clone()))
        .collect();
    let (mut vs, mut cm, mut qs, mut nv) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let codes = [
        ("systolic_bp", "SYSBP"),
        ("diastolic_bp", "DIABP"),
        ("heart_rate", "HR"),
        ("respiratory_rate", "RESP"),
        ("temperature", "TEMP"),
        ("weight", "WEIGHT"),
    ];
    let spot = [
        ("c5RightMotor", "C5RMOT"),
        ("l2LeftMotor", "L2LMOT"),
        ("t10RightTouch", "T10RLT"),
        ("s4_5LeftPrick", "S45LPP"),
        ("analContraction", "VAC"),
        ("analSensation", "DAP"),
    ];
    let results = [
        ("neurologicalLevelOfInjury", "NLI"),
        ("asiaImpairmentScale", "AIS"),
        ("upperMotorTotal", "UEMS"),
        ("lowerMotorTotal", "LEMS"),
        ("rightSensoryZpp", "SZPPR"),
    ];
    let mut exams = 0;
    for (pid, visit, form, data) in &forms {
        let Some(p) = by_id.get(pid) else { continue };
        let data: Value = serde_json::from_str(data).unwrap();
        let (u, n) = (usubjid(&p.1), number(visit));
        let date = json!(dated
            .get(&(*pid, visit.clone()))
            .cloned()
            .unwrap_or_default());
        match form.as_str() {
            "vital-signs" => {
                for (field, code) in codes {
                    vs.push(vec![
                        u.clone(),
                        n.clone(),
                        json!(code),
                        json!(data[field].as_f64()),
                        date.clone(),
                    ]);
                }
            }
            "conmed" => cm.push(vec![
                u.clone(),
                json!(data["medication"]),
                json!(data["start_date"]),
                json!(data.get("end_date").cloned().unwrap_or(json!(""))),
                json!(if data["ongoing"] == json!(true) {
                    "ONGOING"
                } else {
                    ""
                }),
            ]),
            "scim3" => {
                qs.push(vec![
                    u.clone(),
                    n.clone(),
                    json!("SCIMTOT"),
                    json!(data["total"].as_f64()),
                ]);
                qs.push(vec![
                    u.clone(),
                    n.clone(),
                    json!("SCIM6"),
                    json!(data["bladder"].as_f64()),
                ]);
            }
            "wisci2" => qs.push(vec![
                u.clone(),
                n.clone(),
                json!("WISCI2"),
                json!(data["level"].as_f64()),
            ]),
            "isncsci" => {
                exams += 1;
                for (key, code) in spot {
                    nv.push(vec![
                        u.clone(),
                        n.clone(),
                        json!(code),
                        data["exam"][key].clone(),
                        date.clone(),
                    ]);
                }
                for (key, code) in results {
                    nv.push(vec![
                        u.clone(),
                        n.clone(),
                        json!(code),
                        data["classification"][key].clone(),
                        date.clone(),
                    ]);
                }
            }
            _ => {}
        }
    }
    assert!(exams > 20 && !vs.is_empty() && !cm.is_empty() && !qs.is_empty());
    let pick = |rows: &Rows, codes: &[&str], col: &str| -> Rows {
        rows.iter()
            .filter(|r| codes.iter().any(|c| r[col] == json!(c)))
            .cloned()
            .collect()
    };
    let vs_rows = &blinded["vs.xpt"].1;
    assert_eq!(
        project(
            vs_rows,
            &["USUBJID", "VISITNUM", "VSTESTCD", "VSSTRESN", "VSDTC"]
        ),
        sorted(vs)
    );
    assert_eq!(
        project(
            &blinded["cm.xpt"].1,
            &["USUBJID", "CMTRT", "CMSTDTC", "CMENDTC", "CMENRTPT"]
        ),
        sorted(cm)
    );
    let qs_rows = pick(
        &blinded["qs.xpt"].1,
        &["SCIMTOT", "SCIM6", "WISCI2"],
        "QSTESTCD",
    );
    assert_eq!(
        project(&qs_rows, &["USUBJID", "VISITNUM", "QSTESTCD", "QSSTRESN"]),
        sorted(qs)
    );
    let codes: Vec<&str> = spot.iter().chain(&results).map(|(_, c)| *c).collect();
    let nv_rows = pick(&blinded["nv.xpt"].1, &codes, "NVTESTCD");
    assert_eq!(
        project(
            &nv_rows,
            &["USUBJID", "VISITNUM", "NVTESTCD", "NVORRES", "NVDTC"]
        ),
        sorted(nv)
    );
    // Each exam gives its 134 required values and the 25 results.
    assert!(blinded["nv.xpt"].1.len() >= exams * (134 + 25));

    // TS: the title, whole, and the subjects counted.
    let ts = &blinded["ts.xpt"].1;
    let title = ts.iter().find(|r| r["TSPARMCD"] == "TITLE").unwrap();
    let whole: String = ["TSVAL", "TSVAL1", "TSVAL2"]
        .iter()
        .filter_map(|c| title.get(*c).and_then(Value::as_str))
        .collect();
    assert_eq!(whole, study.title);
    let actsub = ts.iter().find(|r| r["TSPARMCD"] == "ACTSUB").unwrap();
    assert_eq!(actsub["TSVAL"], json!(people.len().to_string()));
    assert_eq!(blinded["tv.xpt"].1.len(), study.visits.len());
}

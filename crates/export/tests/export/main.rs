//! The export crate's files read back by independent readers: every XPT file written here is
//! read by PyPI `pyreadstat` (ReadStat) and by pandas' own `read_sas(format="xport")`, and
//! each name, label and value must come back as written, numbers bit for bit; the figures'
//! PNGs are read by Pillow ([`png_figures`]), and their text as the fonts lay it out is no
//! wider than the figures' estimate ([`figure_text`]).
//!
//! The readers run under the Python of `SCITRIAL_PYTHON` (CI: the venv with
//! `tools/python/requirements.txt`). Without it the test is skipped with a note, unless
//! `SCITRIAL_REQUIRE_PYTHON_TOOLS` is set (as CI sets it), when it fails.

mod figure_text;
mod png_figures;

use std::path::{Path, PathBuf};
use std::process::Command;

use export::xpt::{write_dataset, Dataset, Value, Variable};
use serde_json::Value as Json;
use time::macros::datetime;

fn python() -> Option<PathBuf> {
    let required = std::env::var_os("SCITRIAL_REQUIRE_PYTHON_TOOLS").is_some();
    let program = std::env::var_os("SCITRIAL_PYTHON").map(PathBuf::from);
    let works = program.as_ref().is_some_and(|p| {
        Command::new(p)
            .args(["-c", "import pyreadstat, pandas"])
            .status()
            .is_ok_and(|s| s.success())
    });
    match (works, required) {
        (true, _) => program,
        (false, true) => panic!(
            "SCITRIAL_REQUIRE_PYTHON_TOOLS is set but SCITRIAL_PYTHON ({program:?}) is not a \
             Python with pyreadstat and pandas (pip install -r tools/python/requirements.txt)"
        ),
        (false, false) => {
            eprintln!(
                "note: the XPT files are not read back by pyreadstat and pandas: set \
                 SCITRIAL_PYTHON to a Python with tools/python/requirements.txt installed"
            );
            None
        }
    }
}

/// Reads the file with both readers and prints, for each, the dataset's name and label, the
/// columns with their labels, and the rows: numbers as the hex of their IEEE bits (or null
/// when missing), text as read.
const READER: &str = r#"
import json, math, struct, sys
import pandas, pyreadstat

def cell(v):
    if isinstance(v, bytes):
        v = v.decode("utf-8")
    if isinstance(v, str):
        return {"t": v}
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return {"n": struct.pack(">d", float(v)).hex()}

path = sys.argv[1]
df, meta = pyreadstat.read_xport(path, encoding="utf-8")
out = {"pyreadstat": {
    "name": meta.table_name,
    "label": meta.file_label,
    "columns": list(df.columns),
    "labels": list(meta.column_labels),
    "rows": [[cell(v) for v in row] for row in df.itertuples(index=False)],
}}
try:
    pf = pandas.read_sas(path, format="xport", encoding="utf-8")
    out["pandas"] = {
        "columns": list(pf.columns),
        "rows": [[cell(v) for v in row] for row in pf.itertuples(index=False)],
    }
except StopIteration:
    # pandas stops before the columns when a dataset has no observation.
    out["pandas"] = {"no_observations": True}
print(json.dumps(out))
"#;

fn read_back(python: &Path, file: &Path) -> Json {
    let out = Command::new(python)
        .args(["-c", READER])
        .arg(file)
        .output()
        .expect("run the readers");
    assert!(
        out.status.success(),
        "readers failed on {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("readers' JSON")
}

fn expected_cell(v: &Value) -> Json {
    match v {
        Value::Number(x) => serde_json::json!({"n": hex_bits(*x)}),
        Value::Missing => Json::Null,
        // Readers strip the blanks the format pads with.
        Value::Text(t) if t.trim_end().is_empty() => serde_json::json!({"t": ""}),
        Value::Text(t) => serde_json::json!({"t": t.trim_end()}),
    }
}

fn hex_bits(x: f64) -> String {
    format!("{:016x}", x.to_bits())
}

/// A small generator, so the data are varied and the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 11
    }
}

fn adverse_events(n: usize) -> Dataset {
    let mut rng = Lcg(228);
    let terms = [
        "Headache",
        "Back pain",
        "Pyrexia",
        "Post lumbar puncture syndrome",
        "脊髓损伤",
    ];
    let records = (0..n)
        .map(|i| {
            let r = rng.next();
            let grade = (r % 5) as f64 + 1.0;
            let study_day = (r % 400) as f64 - 30.0;
            let lab = ((r % 1_000_000) as f64 / 997.0 - 300.0) * 10f64.powi((r % 40) as i32 - 20);
            vec![
                Value::Text(format!("XS228-P2-{:03}", i % 60 + 1)),
                Value::Number((i + 1) as f64),
                Value::Text(terms[(r % 5) as usize].into()),
                if r.is_multiple_of(7) {
                    Value::Missing
                } else {
                    Value::Number(grade)
                },
                Value::Number(study_day),
                Value::Number(lab),
                Value::Text(if r.is_multiple_of(3) {
                    String::new()
                } else {
                    "Y".into()
                }),
                Value::Text("x".repeat(200)),
            ]
        })
        .collect();
    Dataset {
        name: "AE".into(),
        label: "Adverse Events".into(),
        variables: vec![
            Variable::text("USUBJID", "Unique Subject Identifier", 20),
            Variable::number("AESEQ", "Sequence Number"),
            Variable::text("AEDECOD", "Dictionary-Derived Term", 40),
            Variable::number("AETOXGR", "Standard Toxicity Grade"),
            Variable::number("AESTDY", "Study Day of Start of Adverse Event"),
            Variable::number("LBSTRESN", "Numeric Result/Finding in Std Units"),
            Variable::text("AESER", "Serious Event", 1),
            Variable::text("AECOMM", "Long Comment", 200),
        ],
        records,
    }
}

fn check_round_trip(python: &Path, ds: &Dataset) {
    let file = std::env::temp_dir().join(format!(
        "scitrial_xpt_{}_{}.xpt",
        ds.name.to_lowercase(),
        std::process::id()
    ));
    let mut out = std::fs::File::create(&file).unwrap();
    write_dataset(&mut out, ds, datetime!(2026-12-06 10:30 UTC)).unwrap();
    drop(out);
    let read = read_back(python, &file);
    std::fs::remove_file(&file).ok();

    let names: Vec<&str> = ds.variables.iter().map(|v| v.name.as_str()).collect();
    let labels: Vec<&str> = ds.variables.iter().map(|v| v.label.as_str()).collect();
    let rows: Vec<Vec<Json>> = ds
        .records
        .iter()
        .map(|r| r.iter().map(expected_cell).collect())
        .collect();
    let p = &read["pyreadstat"];
    assert_eq!(p["name"], ds.name.as_str(), "pyreadstat: dataset name");
    // ReadStat gives no label (None) for a blank one.
    let label = Some(ds.label.as_str()).filter(|l| !l.is_empty());
    assert_eq!(
        p["label"],
        serde_json::json!(label),
        "pyreadstat: dataset label"
    );
    assert_eq!(
        p["columns"],
        serde_json::json!(names),
        "pyreadstat: columns"
    );
    assert_eq!(p["labels"], serde_json::json!(labels), "pyreadstat: labels");
    // pandas reads some zeros as 16^-65 (5.397605346934028e-79), pandas-dev/pandas#50670, open
    // since 2023; ReadStat reads them as 0. The file holds SAS's zero (eight zero bytes, checked
    // in the unit tests), so that one value is taken as pandas' zero.
    let pandas_zero = serde_json::json!({"n": "2fb0000000000000"});
    let mut pandas = read["pandas"].clone();
    for row in pandas["rows"].as_array_mut().into_iter().flatten() {
        for cell in row.as_array_mut().expect("row") {
            if *cell == pandas_zero {
                *cell = serde_json::json!({"n": hex_bits(0.0)});
            }
        }
    }
    let mut readers = vec![("pyreadstat", p)];
    if ds.records.is_empty() && pandas["no_observations"] == true {
        eprintln!("note: pandas reads no dataset without observations; pyreadstat alone checks it");
    } else {
        readers.push(("pandas", &pandas));
    }
    for (reader, got) in readers {
        assert_eq!(
            got["columns"],
            serde_json::json!(names),
            "{reader}: columns"
        );
        let got_rows = got["rows"].as_array().expect("rows");
        assert_eq!(got_rows.len(), rows.len(), "{reader}: {} rows", ds.name);
        for (i, (g, e)) in got_rows.iter().zip(&rows).enumerate() {
            assert_eq!(
                g,
                &serde_json::json!(e),
                "{reader}: {} record {}",
                ds.name,
                i + 1
            );
        }
    }
}

#[test]
fn xpt_files_read_back_by_pyreadstat_and_pandas() {
    let Some(python) = python() else { return };
    // A thousand varied records: numbers from 1e-20 to 1e20, negative, missing; text of every
    // length up to 200 bytes, empty, and UTF-8.
    check_round_trip(&python, &adverse_events(1000));
    // Short records that leave most of the last 80 bytes as padding: no phantom rows.
    let short = Dataset {
        name: "TI".into(),
        label: "Trial Inclusion/Exclusion Criteria".into(),
        variables: vec![Variable::text(
            "IETESTCD",
            "Incl/Excl Criterion Short Name",
            8,
        )],
        records: ["INCL01", "INCL02", "EXCL01"]
            .iter()
            .map(|t| vec![Value::Text((*t).into())])
            .collect(),
    };
    check_round_trip(&python, &short);
    // No records at all.
    let empty = Dataset {
        records: Vec::new(),
        ..short
    };
    check_round_trip(&python, &empty);
    // Extremes of the IBM range.
    let extremes = Dataset {
        name: "X".into(),
        label: String::new(),
        variables: vec![Variable::number("V", "Value")],
        records: [
            0.0,
            1.0,
            -1.0,
            0.1,
            1e75,
            -7.2e75,
            1e-75,
            123_456_789.123_456_78,
        ]
        .iter()
        .map(|x| vec![Value::Number(*x)])
        .collect(),
    };
    check_round_trip(&python, &extremes);
}

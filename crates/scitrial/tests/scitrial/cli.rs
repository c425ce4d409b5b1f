//! End-to-end tests of `scitrial classify`, run as the real binary.
//!
//! They check what a user of the command sees: the results on standard output (JSON or CSV,
//! in input order, each with the exam's id), the messages on standard error (naming the exam,
//! the field and the allowed values) and the exit status (0 all classified, 1 some exam
//! rejected, 2 usage, syntax or I/O error). Inputs are the conformance file
//! (`../shared/isncsci/2019.json` beside the project; skipped when absent unless
//! `SCITRIAL_REQUIRE_REFERENCE` is set) and synthetic exams from `isncsci::synth`, written to
//! uniquely named files in the temporary directory and removed afterwards.
//!
//! Large inputs (over a megabyte, and over several read blocks) must give exactly what the
//! library's reader gives on the whole text, with faults placed around the middle of the input
//! (where a reader may split it to read it in parts at once) as well as anywhere else.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};

use isncsci::flat::json::{write_exam, Id};
use isncsci::flat::{fields, Field};
use isncsci::synth::{mixed_exam, Rng};
use isncsci::{Classification, Exam};
use serde_json::Value;

use crate::common::bin;

const MOTOR_ALLOWED: &str = "0-5, 0*-4*, 0**-4**, NT, NT*, NT**";

/// What a run of the binary gave.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Vec<Value> {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not a JSON array ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "exit status\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    fn assert_stderr_contains(&self, part: &str) -> &Run {
        assert!(
            self.stderr.contains(part),
            "stderr should contain {part:?}:\n{}",
            self.stderr
        );
        self
    }
}

/// Runs `scitrial classify ARGS`, with `stdin` as standard input (empty when `None`).
fn classify(args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut child = bin()
        .arg("classify")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.unwrap_or_default().to_vec();
    let writer = std::thread::spawn(move || {
        // The program may stop reading early (on an error): a broken pipe is fine.
        let _ = pipe.write_all(&input);
    });
    let output = child.wait_with_output().expect("the binary runs");
    writer.join().unwrap();
    Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// A file in the temporary directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(ext: &str, contents: &[u8]) -> TempFile {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "scitrial-cli-test-{}-{}-{}.{ext}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        );
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, contents).expect("temporary file written");
        TempFile(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("temporary path is UTF-8")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn conformance_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/isncsci/2019.json")
}

/// The conformance file's cases, or `None` (after saying so) when it is absent.
fn conformance_cases() -> Option<Vec<Value>> {
    let path = conformance_path();
    match std::fs::read(&path) {
        Ok(bytes) => Some(serde_json::from_slice(&bytes).expect("the conformance file is JSON")),
        Err(e) => {
            assert!(
                std::env::var_os("SCITRIAL_REQUIRE_REFERENCE").is_none(),
                "conformance file {} is required here: {e}",
                path.display()
            );
            eprintln!(
                "SKIPPED: conformance file {} not found ({e})",
                path.display()
            );
            None
        }
    }
}

/// `count` synthetic exams (injury-shaped, nearly normal and uniform), deterministic for a seed.
fn exams(seed: u64, count: usize) -> Vec<Exam> {
    let mut rng = Rng::new(seed);
    (0..count).map(|_| mixed_exam(&mut rng)).collect()
}

/// One exam as a JSON object with a string id.
fn exam_object(exam: &Exam, id: Option<&str>) -> String {
    let mut out = String::new();
    write_exam(exam, id.map(|i| Id::Text(i.into())).as_ref(), &mut out);
    out
}

/// Objects as a JSON array, one per line.
fn json_array(objects: &[String]) -> String {
    format!("[\n{}\n]\n", objects.join(",\n"))
}

/// The exams as objects with ids `e0`, `e1`, ….
fn objects_with_ids(exams: &[Exam]) -> Vec<String> {
    exams
        .iter()
        .enumerate()
        .map(|(i, e)| exam_object(e, Some(&format!("e{i}"))))
        .collect()
}

/// Replaces the value of one field in a JSON object written by `exam_object`.
fn with_value(object: &str, exam: &Exam, field: &str, value: &str) -> String {
    let current = fields(exam)
        .find(|(k, _)| k == field)
        .map(|(_, v)| v)
        .expect("a field of the layout");
    let from = format!("\"{field}\":\"{current}\"");
    assert!(object.contains(&from));
    object.replacen(&from, &format!("\"{field}\":\"{value}\""), 1)
}

/// Checks one JSON result against the library's classification of the exam.
fn assert_result_matches(result: &Value, id: &str, exam: &Exam) {
    assert_eq!(result["id"], Value::String(id.into()), "{result}");
    let object = result.as_object().expect("a result is an object");
    assert_eq!(object.len(), 26, "id and 25 results: {result}");
    let expected = exam.classify();
    for (key, value) in Classification::KEYS.iter().zip(expected.values()) {
        assert_eq!(
            result[*key],
            Value::String(value.to_string()),
            "exam {id}, {key}"
        );
    }
}

/// A CSV cell, quoted when it needs to be.
fn csv_cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// Exams as CSV: a header of `id` and the flat keys, then one row per exam.
fn csv_input(exams: &[Exam], ids: &[&str]) -> String {
    let mut header = vec!["id".to_string()];
    header.extend(Field::all().map(|f| f.name()));
    let mut text = header.join(",") + "\n";
    for (exam, id) in exams.iter().zip(ids) {
        let mut row = vec![csv_cell(id)];
        row.extend(fields(exam).map(|(_, v)| csv_cell(v)));
        text += &row.join(",");
        text += "\n";
    }
    text
}

/// Splits CSV text into rows of cells (RFC 4180 quoting), independently of the program.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                '"' => quoted = false,
                c => cell.push(c),
            }
        } else {
            match c {
                '"' => quoted = true,
                ',' => row.push(std::mem::take(&mut cell)),
                '\r' => {}
                '\n' => {
                    row.push(std::mem::take(&mut cell));
                    rows.push(std::mem::take(&mut row));
                }
                c => cell.push(c),
            }
        }
    }
    assert!(!quoted, "unterminated quoted cell");
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    rows
}

#[test]
fn the_conformance_file_gives_every_expected_result_in_order() {
    let Some(cases) = conformance_cases() else {
        return;
    };
    assert_eq!(cases.len(), 128);
    let path = conformance_path();
    let run = classify(&[path.to_str().unwrap()], None);
    run.assert_code(0);
    assert!(run.stderr.is_empty(), "no message: {}", run.stderr);
    let results = run.json();
    assert_eq!(results.len(), 128);
    let mut failures = Vec::new();
    for (result, case) in results.iter().zip(&cases) {
        assert_eq!(result["id"], case["id"], "results in input order");
        assert_eq!(result.as_object().unwrap().len(), 26, "{result}");
        for key in Classification::KEYS {
            let want = &case["totals"][key];
            assert!(want.is_string(), "case {} has {key}", case["id"]);
            if &result[key] != want {
                failures.push(format!(
                    "case {} {key}: got {}, expected {want}",
                    case["id"], result[key]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn json_lines_give_the_same_output_as_an_array() {
    let exams = exams(11, 40);
    let objects = objects_with_ids(&exams);
    let array = TempFile::new("json", json_array(&objects).as_bytes());
    let lines = TempFile::new("jsonl", (objects.join("\n") + "\n").as_bytes());
    let from_array = classify(&[array.path()], None);
    from_array.assert_code(0);
    let from_lines = classify(&[lines.path()], None);
    from_lines.assert_code(0);
    assert_eq!(from_array.stdout, from_lines.stdout);
    let results = from_array.json();
    assert_eq!(results.len(), exams.len());
    for (i, (result, exam)) in results.iter().zip(&exams).enumerate() {
        assert_result_matches(result, &format!("e{i}"), exam);
    }
}

#[test]
fn csv_in_csv_out_quotes_lists_and_matches_the_library() {
    let mut exams = exams(12, 30);
    // An exam whose results are lists ("C4,C5"-like): NT values where the levels fall.
    let mut open = Exam::normal();
    for side in [&mut open.right, &mut open.left] {
        side.light_touch[3] = isncsci::SensoryValue::NT;
        side.pin_prick[3] = isncsci::SensoryValue::NT;
        side.motor[0] = isncsci::MotorValue::NT;
    }
    open.anal_contraction = isncsci::Anal::NT;
    exams.push(open);
    let ids: Vec<String> = (0..exams.len()).map(|i| format!("row {i}")).collect();
    let mut ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    ids[0] = "with, comma and \"quotes\"";
    let input = TempFile::new("csv", csv_input(&exams, &ids).as_bytes());
    let run = classify(&[input.path(), "--output", "csv"], None);
    run.assert_code(0);
    let rows = parse_csv(&run.stdout);
    let mut header = vec!["id"];
    header.extend(Classification::KEYS);
    assert_eq!(rows[0], header);
    assert_eq!(rows.len(), exams.len() + 1);
    let mut lists = 0;
    for ((row, exam), id) in rows[1..].iter().zip(&exams).zip(&ids) {
        assert_eq!(row.len(), 26);
        assert_eq!(row[0], *id);
        for ((key, cell), value) in Classification::KEYS
            .iter()
            .zip(&row[1..])
            .zip(exam.classify().values())
        {
            let value = value.to_string();
            assert_eq!(*cell, value, "exam {id}, {key}");
            if value.contains(',') {
                lists += 1;
                assert!(
                    run.stdout.contains(&format!(",\"{value}\"")),
                    "{value} is quoted"
                );
            }
        }
    }
    assert!(lists > 0, "some results are lists");
    // The same input as JSON output gives the same results.
    let json = classify(&[input.path()], None);
    json.assert_code(0);
    for ((result, exam), id) in json.json().iter().zip(&exams).zip(&ids) {
        assert_result_matches(result, id, exam);
    }
}

#[test]
fn csv_output_of_an_empty_input_is_the_header() {
    // JSON input may carry ids: its CSV output always has the id column.
    let run = classify(&["--output", "csv"], Some(b"[]"));
    run.assert_code(0);
    let mut header = vec!["id"];
    header.extend(Classification::KEYS);
    assert_eq!(parse_csv(&run.stdout), vec![header]);
}

#[test]
fn standard_input_is_read_with_a_dash_or_without_a_file() {
    let exams = exams(13, 5);
    let text = json_array(&objects_with_ids(&exams));
    let file = TempFile::new("json", text.as_bytes());
    let from_file = classify(&[file.path()], None);
    from_file.assert_code(0);
    let dash = classify(&["-"], Some(text.as_bytes()));
    dash.assert_code(0);
    let none = classify(&[], Some(text.as_bytes()));
    none.assert_code(0);
    assert_eq!(dash.stdout, from_file.stdout);
    assert_eq!(none.stdout, from_file.stdout);
    assert_eq!(from_file.json().len(), 5);
}

#[test]
fn standard_input_can_be_csv_with_input_csv() {
    let exams = exams(14, 3);
    let text = csv_input(&exams, &["a", "b", "c"]);
    let run = classify(&["--input", "csv"], Some(text.as_bytes()));
    run.assert_code(0);
    for ((result, exam), id) in run.json().iter().zip(&exams).zip(["a", "b", "c"]) {
        assert_result_matches(result, id, exam);
    }
}

#[test]
fn input_option_overrides_the_extension() {
    let exams = exams(15, 4);
    let ids = ["a", "b", "c", "d"];
    // JSON in a .csv file, and CSV in a .json file.
    let json_in_csv = TempFile::new("csv", json_array(&objects_with_ids(&exams)).as_bytes());
    let csv_in_json = TempFile::new("json", csv_input(&exams, &ids).as_bytes());
    let run = classify(&[json_in_csv.path(), "--input", "json"], None);
    run.assert_code(0);
    assert_eq!(run.json().len(), 4);
    let run = classify(&[csv_in_json.path(), "--input", "csv"], None);
    run.assert_code(0);
    for ((result, exam), id) in run.json().iter().zip(&exams).zip(ids) {
        assert_result_matches(result, id, exam);
    }
    // Without --input, the extension decides: the JSON text is not CSV with flat keys.
    classify(&[json_in_csv.path()], None).assert_code(2);
}

#[test]
fn an_unknown_extension_without_input_is_a_usage_error() {
    let text = json_array(&objects_with_ids(&exams(16, 1)));
    for ext in ["txt", "data"] {
        let file = TempFile::new(ext, text.as_bytes());
        let run = classify(&[file.path()], None);
        run.assert_code(2)
            .assert_stderr_contains("cannot tell the format")
            .assert_stderr_contains("--input");
        classify(&[file.path(), "--input", "json"], None).assert_code(0);
    }
}

/// Four exams `a`, `b`, `x`, `c`, where `x` has the value `7` for `c5RightMotor`.
fn with_a_bad_exam() -> (Vec<Exam>, String) {
    let exams = exams(17, 4);
    let ids = ["a", "b", "x", "c"];
    let mut objects: Vec<String> = exams
        .iter()
        .zip(ids)
        .map(|(e, id)| exam_object(e, Some(id)))
        .collect();
    objects[2] = with_value(&objects[2], &exams[2], "c5RightMotor", "7");
    (exams, json_array(&objects))
}

#[test]
fn a_bad_exam_stops_the_run_and_keeps_the_output_valid() {
    let (exams, text) = with_a_bad_exam();
    let file = TempFile::new("json", text.as_bytes());
    let run = classify(&[file.path()], None);
    run.assert_code(1)
        .assert_stderr_contains("exam x")
        .assert_stderr_contains("c5RightMotor")
        .assert_stderr_contains("\"7\"")
        .assert_stderr_contains(MOTOR_ALLOWED);
    assert!(!run.stderr.contains("classified"), "{}", run.stderr);
    let results = run.json();
    assert_eq!(results.len(), 2, "only the exams before the bad one");
    assert_result_matches(&results[0], "a", &exams[0]);
    assert_result_matches(&results[1], "b", &exams[1]);
}

#[test]
fn keep_going_classifies_the_rest_and_counts() {
    let (exams, text) = with_a_bad_exam();
    let file = TempFile::new("json", text.as_bytes());
    let run = classify(&[file.path(), "--keep-going"], None);
    run.assert_code(1)
        .assert_stderr_contains("exam x")
        .assert_stderr_contains(MOTOR_ALLOWED);
    assert!(
        run.stderr
            .trim_end()
            .ends_with("3 exams classified, 1 rejected"),
        "{}",
        run.stderr
    );
    let results = run.json();
    assert_eq!(results.len(), 3);
    for (result, (id, exam)) in results.iter().zip([("a", 0), ("b", 1), ("c", 3)]) {
        assert_result_matches(result, id, &exams[exam]);
    }
}

#[test]
fn keep_going_counts_several_rejections() {
    let exams = exams(18, 6);
    let mut objects = objects_with_ids(&exams);
    for i in [0, 2, 5] {
        objects[i] = with_value(&objects[i], &exams[i], "t10LeftTouch", "3");
    }
    let run = classify(&["--keep-going"], Some(json_array(&objects).as_bytes()));
    run.assert_code(1)
        .assert_stderr_contains("exam e0")
        .assert_stderr_contains("exam e2")
        .assert_stderr_contains("exam e5")
        .assert_stderr_contains("t10LeftTouch");
    assert!(
        run.stderr
            .trim_end()
            .ends_with("3 exams classified, 3 rejected"),
        "{}",
        run.stderr
    );
    let ids: Vec<Value> = run.json().iter().map(|r| r["id"].clone()).collect();
    assert_eq!(ids, ["e1", "e3", "e4"]);
}

#[test]
fn a_missing_field_is_named() {
    let exam = &exams(19, 1)[0];
    let object = exam_object(exam, Some("m"));
    let value = fields(exam).find(|(k, _)| k == "l3LeftMotor").unwrap().1;
    let without = object.replacen(&format!(",\"l3LeftMotor\":\"{value}\""), "", 1);
    assert_ne!(without, object);
    let run = classify(&[], Some(without.as_bytes()));
    run.assert_code(1)
        .assert_stderr_contains("exam m")
        .assert_stderr_contains("field \"l3LeftMotor\" is missing");
    assert_eq!(run.stdout.trim(), "[]");
}

#[test]
fn the_non_key_muscles_may_be_left_out() {
    let exam = Exam::normal();
    let object = exam_object(&exam, Some("n"))
        .replace(",\"rightLowestNonKeyMuscleWithMotorFunction\":\"0\"", "")
        .replace(",\"leftLowestNonKeyMuscleWithMotorFunction\":\"0\"", "");
    assert!(!object.contains("NonKey"));
    let run = classify(&[], Some(object.as_bytes()));
    run.assert_code(0);
    assert_result_matches(&run.json()[0], "n", &exam);
}

#[test]
fn an_unknown_field_is_named() {
    let exam = Exam::normal();
    let object = exam_object(&exam, Some("u")).replacen('{', "{\"c5RightMotr\":\"5\",", 1);
    let run = classify(&[], Some(object.as_bytes()));
    run.assert_code(1)
        .assert_stderr_contains("exam u")
        .assert_stderr_contains("unknown field \"c5RightMotr\"");
}

#[test]
fn a_repeated_field_is_named() {
    let exam = Exam::normal();
    let object = exam_object(&exam, Some("r")).replacen('}', ",\"c5RightMotor\":\"4\"}", 1);
    let run = classify(&[], Some(object.as_bytes()));
    run.assert_code(1)
        .assert_stderr_contains("exam r")
        .assert_stderr_contains("field \"c5RightMotor\" is given more than once");
}

#[test]
fn an_exam_without_id_is_named_by_its_position() {
    let exams = exams(20, 3);
    let mut objects = vec![
        exam_object(&exams[0], Some("first")),
        exam_object(&exams[1], None),
        exam_object(&exams[2], None),
    ];
    objects[2] = with_value(&objects[2], &exams[2], "analSensation", "yes");
    let run = classify(&["--keep-going"], Some(json_array(&objects).as_bytes()));
    run.assert_code(1)
        .assert_stderr_contains("exam #3: ")
        .assert_stderr_contains("analSensation")
        .assert_stderr_contains("Yes, No, NT");
    let results = run.json();
    assert_eq!(results.len(), 2);
    assert_result_matches(&results[0], "first", &exams[0]);
    assert!(results[1].get("id").is_none(), "{}", results[1]);
    assert_eq!(results[1].as_object().unwrap().len(), 25);
}

#[test]
fn a_csv_header_with_an_unknown_column_is_a_usage_error() {
    let text = csv_input(&exams(21, 2), &["a", "b"]).replacen("id,", "id,c5RightMotr,", 1);
    let file = TempFile::new("csv", text.as_bytes());
    let run = classify(&[file.path()], None);
    run.assert_code(2)
        .assert_stderr_contains("header row")
        .assert_stderr_contains("unknown field \"c5RightMotr\"");
}

#[test]
fn a_csv_header_without_a_required_column_is_a_usage_error() {
    let text = csv_input(&exams(22, 2), &["a", "b"]);
    let mut lines: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    let column = lines[0].iter().position(|c| *c == "s1LeftMotor").unwrap();
    for line in &mut lines {
        line.remove(column);
    }
    let text: String = lines.iter().map(|l| l.join(",") + "\n").collect();
    let file = TempFile::new("csv", text.as_bytes());
    let run = classify(&[file.path()], None);
    run.assert_code(2)
        .assert_stderr_contains("header row")
        .assert_stderr_contains("field \"s1LeftMotor\" is missing");
}

/// Three CSV exams `a`, `b`, `c` (on lines 2, 3 and 4), where `b` has `7` for `c5RightMotor`.
fn csv_with_a_bad_row() -> String {
    let exams = exams(23, 3);
    let text = csv_input(&exams, &["a", "b", "c"]);
    let column = Field::all()
        .position(|f| f.name() == "c5RightMotor")
        .unwrap()
        + 1;
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut cells: Vec<&str> = lines[2].split(',').collect();
    assert_eq!(cells[0], "b");
    cells[column] = "7";
    lines[2] = cells.join(",");
    lines.join("\n") + "\n"
}

#[test]
fn a_bad_csv_cell_is_named() {
    let text = csv_with_a_bad_row();
    let run = classify(&["--input", "csv", "--keep-going"], Some(text.as_bytes()));
    run.assert_code(1)
        .assert_stderr_contains("exam b (#2, line ")
        .assert_stderr_contains("c5RightMotor")
        .assert_stderr_contains(MOTOR_ALLOWED)
        .assert_stderr_contains("2 exams classified, 1 rejected");
    let ids: Vec<Value> = run.json().iter().map(|r| r["id"].clone()).collect();
    assert_eq!(ids, ["a", "c"]);
}

#[test]
fn a_bad_csv_cell_is_named_with_its_own_line() {
    let text = csv_with_a_bad_row();
    classify(&["--input", "csv"], Some(text.as_bytes()))
        .assert_code(1)
        .assert_stderr_contains("exam b (#2, line 3)");
}

#[test]
fn malformed_json_is_an_error_with_its_byte_offset() {
    let objects = objects_with_ids(&exams(24, 2));
    let whole = json_array(&objects);
    // Truncated inside the second exam: the first is classified, then the error.
    let cut = whole.len() - 40;
    let truncated = &whole[..cut];
    let run = classify(&[], Some(truncated.as_bytes()));
    run.assert_code(2)
        .assert_stderr_contains(&format!("not JSON exams: at byte {cut}"));
    assert_eq!(run.json().len(), 1, "the output stays valid JSON");
    // Truncated before the closing bracket.
    let unclosed = whole.trim_end().trim_end_matches(']');
    classify(&[], Some(unclosed.as_bytes()))
        .assert_code(2)
        .assert_stderr_contains("not JSON exams: at byte")
        .assert_stderr_contains("']' to close the array");
    for (garbage, offset) in [
        ("garbage", 0),
        ("[1, 2]", 1),
        ("[{\"id\": 1,}]", 10),
        ("[] x", 3),
    ] {
        let run = classify(&[], Some(garbage.as_bytes()));
        run.assert_code(2)
            .assert_stderr_contains(&format!("not JSON exams: at byte {offset}:"));
        run.json();
    }
}

#[test]
fn a_missing_file_is_an_error() {
    let path = std::env::temp_dir().join(format!(
        "scitrial-cli-test-{}-does-not-exist.json",
        std::process::id()
    ));
    assert!(!Path::new(&path).exists());
    let run = classify(&[path.to_str().unwrap()], None);
    run.assert_code(2)
        .assert_stderr_contains("cannot open")
        .assert_stderr_contains(path.to_str().unwrap());
    assert!(run.stdout.is_empty());
}

#[test]
fn good_exams_exit_zero_without_messages() {
    let exams = exams(25, 20);
    let run = classify(&[], Some(json_array(&objects_with_ids(&exams)).as_bytes()));
    run.assert_code(0);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    let results = run.json();
    assert_eq!(results.len(), 20);
    // With --keep-going and nothing rejected, there is no count line either.
    let kept = classify(
        &["--keep-going"],
        Some(json_array(&objects_with_ids(&exams)).as_bytes()),
    );
    kept.assert_code(0);
    assert!(kept.stderr.is_empty(), "{}", kept.stderr);
    assert_eq!(kept.stdout, run.stdout);
}

#[test]
fn an_empty_array_gives_an_empty_array() {
    let file = TempFile::new("json", b"[]");
    let run = classify(&[file.path()], None);
    run.assert_code(0);
    assert_eq!(run.stdout.trim(), "[]");
    assert!(run.json().is_empty());
    for empty in ["", "  \n", "[ ]"] {
        let run = classify(&[], Some(empty.as_bytes()));
        run.assert_code(0);
        assert_eq!(run.stdout.trim(), "[]", "input {empty:?}");
    }
}

#[test]
fn numeric_and_string_ids_are_kept_as_given() {
    let exam = Exam::normal();
    let mut objects = Vec::new();
    for id in ["7", "-1.5e3", "12345678901234567890"] {
        let mut o = String::new();
        write_exam(&exam, Some(&Id::Number(id.into())), &mut o);
        objects.push(o);
    }
    objects.push(exam_object(&exam, Some("a \"quoted\" \\ id, é 😀\n")));
    let run = classify(&[], Some(json_array(&objects).as_bytes()));
    run.assert_code(0);
    let out = &run.stdout;
    assert!(out.contains("{\"id\":7,"), "{out}");
    assert!(out.contains("{\"id\":-1.5e3,"), "{out}");
    assert!(out.contains("{\"id\":12345678901234567890,"), "{out}");
    let results = run.json();
    assert_eq!(results[3]["id"], "a \"quoted\" \\ id, é 😀\n");
}

// ---------------------------------------------------------------------------------------------
// Large inputs: read in blocks (and perhaps in parts at once), they must give exactly what the
// library's reader gives on the whole text, faults at any place included.

/// What `scitrial classify` is to print for a JSON text, from the library's reader.
struct Expected {
    results: Vec<(Option<Id>, Exam)>,
    rejected: usize,
    /// The offset of the syntax error that ends the run, if one does.
    syntax: Option<usize>,
}

impl Expected {
    fn of(text: &[u8], keep_going: bool) -> Expected {
        let mut reader = isncsci::flat::json::Reader::new();
        let mut expected = Expected {
            results: Vec::new(),
            rejected: 0,
            syntax: None,
        };
        let mut pos = 0;
        loop {
            match reader.next(&text[pos..], true) {
                Ok(isncsci::flat::json::Next::Record(record, used)) => {
                    pos += used;
                    match record.exam {
                        Ok(exam) => expected.results.push((record.id, exam)),
                        Err(_) => {
                            expected.rejected += 1;
                            if !keep_going {
                                return expected;
                            }
                        }
                    }
                }
                Ok(isncsci::flat::json::Next::End) => return expected,
                Ok(isncsci::flat::json::Next::NeedMore(_)) => unreachable!("at the end"),
                Err(e) => {
                    expected.syntax = Some(pos + e.offset);
                    return expected;
                }
            }
        }
    }

    fn check(&self, run: &Run) {
        let code = match (self.syntax, self.rejected) {
            (Some(_), _) => 2,
            (None, 0) => 0,
            (None, _) => 1,
        };
        let stderr: String = run.stderr.chars().take(2000).collect();
        assert_eq!(run.code, code, "exit status; stderr:\n{stderr}");
        if let Some(offset) = self.syntax {
            assert!(
                run.stderr
                    .contains(&format!("not JSON exams: at byte {offset}:")),
                "syntax error at byte {offset}:\n{stderr}"
            );
        }
        let results = run.json();
        assert_eq!(results.len(), self.results.len(), "stderr:\n{stderr}");
        for (i, (result, (id, exam))) in results.iter().zip(&self.results).enumerate() {
            let want_id = id
                .as_ref()
                .map(|id| serde_json::from_str::<Value>(&id.to_json()).expect("an id is JSON"));
            assert_eq!(result.get("id"), want_id.as_ref(), "result {i}");
            let classification = exam.classify();
            for (key, value) in Classification::KEYS.iter().zip(classification.values()) {
                assert_eq!(
                    result[*key],
                    Value::String(value.to_string()),
                    "result {i}, {key}"
                );
            }
        }
    }
}

/// About `bytes` of exam objects, each with a numeric id.
fn large_objects(seed: u64, bytes: usize) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let mut objects = Vec::new();
    let mut total = 0;
    while total < bytes {
        let mut o = String::new();
        write_exam(
            &mixed_exam(&mut rng),
            Some(&Id::Number(objects.len().to_string())),
            &mut o,
        );
        total += o.len() + 2;
        objects.push(o);
    }
    objects
}

/// Classifies a text from a file and from standard input, and checks both against the library.
fn check_large(text: &str, extra: &[&str]) {
    let keep_going = extra.contains(&"--keep-going");
    let expected = Expected::of(text.as_bytes(), keep_going);
    let file = TempFile::new("json", text.as_bytes());
    let mut args = vec![file.path()];
    args.extend(extra);
    expected.check(&classify(&args, None));
    expected.check(&classify(extra, Some(text.as_bytes())));
}

/// The index of the first object that starts in the second half of the text made by `join`.
fn middle_object(objects: &[String], join: impl Fn(&[String]) -> String) -> usize {
    let text = join(objects);
    let half = text.len() / 2;
    let mut at = 0;
    for (i, o) in objects.iter().enumerate() {
        at = text[at..].find(o.as_str()).unwrap() + at;
        if at >= half {
            return i;
        }
        at += o.len();
    }
    objects.len() - 1
}

fn as_array(objects: &[String]) -> String {
    format!("[\n{}\n]\n", objects.join(",\n"))
}

fn as_lines(objects: &[String]) -> String {
    objects.join("\n") + "\n"
}

#[test]
fn large_inputs_read_like_the_library() {
    let objects = large_objects(30, 1_500_000);
    check_large(&as_array(&objects), &[]);
    check_large(&as_lines(&objects), &[]);
    // Without any whitespace between the objects.
    check_large(&format!("[{}]", objects.join(",")), &[]);
    check_large(&objects.concat(), &[]);
}

#[test]
fn large_inputs_over_several_blocks_read_like_the_library() {
    let objects = large_objects(31, 20_000_000);
    check_large(&as_lines(&objects), &[]);
}

#[test]
fn large_inputs_with_object_like_text_in_annotations_read_like_the_library() {
    // Every exam carries annotations whose text looks like the start of an exam object.
    let objects: Vec<String> = large_objects(32, 1_500_000)
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let note = match i % 4 {
                0 => r#""note":"a,{","#.to_string(),
                1 => r#""note":["x,{",":","c5RightMotor",":","5"],"#.to_string(),
                // Objects with keys of the layout, nested in an annotation.
                2 => format!(r#""check":[{{"id":{i}}}, {{"c5RightMotor":"5"}}],"#),
                _ => format!(r#""comments":"}},\n{{\"id\":{i},","#),
            };
            o.replacen('{', &format!("{{{note}"), 1)
        })
        .collect();
    check_large(&as_array(&objects), &[]);
    check_large(&as_lines(&objects), &[]);
}

#[test]
fn large_inputs_with_a_rejected_exam_in_the_second_half() {
    let mut objects = large_objects(33, 1_500_000);
    let middle = middle_object(&objects, as_array);
    for i in [middle + 1, objects.len() - 2] {
        objects[i] = objects[i].replacen("\"analSensation\":\"", "\"analSensation\":\"x", 1);
    }
    check_large(&as_array(&objects), &[]);
    check_large(&as_array(&objects), &["--keep-going"]);
    check_large(&as_lines(&objects), &["--keep-going"]);
}

#[test]
fn large_inputs_with_a_syntax_error_in_the_second_half() {
    let objects = large_objects(34, 1_500_000);
    let middle = middle_object(&objects, as_array);
    let mut broken = objects.clone();
    broken[middle + 3] = broken[middle + 3].replacen("\":\"", "\" \"", 1);
    check_large(&as_array(&broken), &["--keep-going"]);
    let mut truncated = as_array(&objects);
    truncated.truncate(truncated.len() - 1000);
    check_large(&truncated, &[]);
}

#[test]
fn large_arrays_without_a_comma_near_the_middle_are_refused() {
    let objects = large_objects(35, 1_500_000);
    let middle = middle_object(&objects, as_array);
    for i in middle.saturating_sub(2)..(middle + 3).min(objects.len()) {
        let mut text = as_array(&objects[..i]);
        text.truncate(text.trim_end().len() - 1); // drop the `]`
        text.push('\n');
        text += &as_array(&objects[i..])[1..]; // without its `[`
                                               // `[ ..., {i-1}\n\n{i}, ... ]`: no comma between objects i-1 and i.
        check_large(&text, &[]);
        let mut adjacent = format!("[{}]", objects[..i].join(","));
        adjacent.pop();
        adjacent += &format!("{}]", objects[i..].join(","));
        check_large(&adjacent, &[]);
    }
}

#[test]
fn large_json_lines_with_a_comma_near_the_middle_are_refused() {
    let objects = large_objects(36, 1_500_000);
    let middle = middle_object(&objects, as_lines);
    for i in middle.saturating_sub(2)..(middle + 3).min(objects.len()) {
        let text = format!(
            "{},\n{}",
            as_lines(&objects[..i]).trim_end(),
            as_lines(&objects[i..])
        );
        check_large(&text, &[]);
    }
}

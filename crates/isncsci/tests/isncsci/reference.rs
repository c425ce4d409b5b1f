//! Differential test: freshly generated exams, classified here and by the reference
//! implementation (npm `isncsci@2.0.6`, under node), compared field by field.
//!
//! Needs node and `tools/isncsci-reference/node_modules` (`npm ci` in that folder). Without them
//! the test says it was skipped and passes, unless `SCITRIAL_REQUIRE_REFERENCE` is set, as CI
//! sets it. `SCITRIAL_DIFF_SEED` replays a run; `SCITRIAL_DIFF_EXAMS` sets how many exams per
//! kind (default 8,000 each of injury-shaped, nearly normal and uniform: 24,000).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use isncsci::flat::json::write_exam;
use isncsci::synth::{injury_exam, nearly_normal_exam, uniform_exam, Rng};
use isncsci::{Classification, Exam};

type Generator = fn(&mut Rng) -> Exam;

fn reference_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/isncsci-reference");
    let node = Command::new("node")
        .arg("--version")
        .output()
        .map(|o| o.status.success());
    let problem = if !matches!(node, Ok(true)) {
        Some("node is not installed".to_string())
    } else if !dir.join("node_modules/isncsci/package.json").exists() {
        Some(format!(
            "the reference is not installed (run `npm ci` in {})",
            dir.display()
        ))
    } else {
        None
    };
    match problem {
        None => Some(dir),
        Some(p) => {
            assert!(
                std::env::var_os("SCITRIAL_REQUIRE_REFERENCE").is_none(),
                "reference needed here: {p}"
            );
            eprintln!("SKIPPED: differential test against the reference: {p}");
            None
        }
    }
}

fn reference_results(
    dir: &PathBuf,
    exams: &[Exam],
) -> Vec<serde_json::Map<String, serde_json::Value>> {
    let mut text = String::with_capacity(exams.len() * 3000);
    text.push('[');
    for (i, exam) in exams.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        write_exam(exam, None, &mut text);
    }
    text.push(']');
    let mut child = Command::new("node")
        .arg("classify.js")
        .current_dir(dir)
        .env("REFERENCE_TIMING", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node starts");
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    let output = child.wait_with_output().expect("node runs");
    writer.join().unwrap().expect("exams written to node");
    assert!(output.status.success(), "the reference failed");
    serde_json::from_slice(&output.stdout).expect("the reference prints JSON")
}

fn as_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[test]
fn agrees_with_the_reference_on_fresh_random_exams() {
    let Some(dir) = reference_dir() else { return };
    let seed = std::env::var("SCITRIAL_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    let per_kind: usize = std::env::var("SCITRIAL_DIFF_EXAMS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8_000);
    eprintln!("differential test: seed {seed} (SCITRIAL_DIFF_SEED={seed} replays it), {per_kind} exams of each kind");
    let mut rng = Rng::new(seed);
    let generators: [(&str, Generator); 3] = [
        ("injury-shaped", injury_exam),
        ("nearly normal", nearly_normal_exam),
        ("uniform", uniform_exam),
    ];
    let mut disagreements = Vec::new();
    let mut compared = 0usize;
    for (kind, generate) in generators {
        let exams: Vec<Exam> = (0..per_kind).map(|_| generate(&mut rng)).collect();
        let expected = reference_results(&dir, &exams);
        assert_eq!(expected.len(), exams.len());
        for (exam, want) in exams.iter().zip(&expected) {
            let got = exam.classify();
            let differing: Vec<String> = Classification::KEYS
                .iter()
                .zip(got.values())
                .filter_map(|(key, value)| {
                    let want = as_text(&want[*key]);
                    (value.to_string() != want)
                        .then(|| format!("{key}: ours {value}, reference {want}"))
                })
                .collect();
            compared += 1;
            if !differing.is_empty() {
                let mut flat = String::new();
                write_exam(exam, None, &mut flat);
                disagreements.push(format!("{kind} exam {flat}\n  {}", differing.join("\n  ")));
            }
        }
        eprintln!("  {kind}: {} exams compared", exams.len());
    }
    let shown: Vec<_> = disagreements.iter().take(10).cloned().collect();
    assert!(
        disagreements.is_empty(),
        "{} of {compared} exams disagree (seed {seed}); the first ones:\n{}",
        disagreements.len(),
        shown.join("\n")
    );
    eprintln!("differential test: {compared} exams x 25 fields, 0 disagreements");
}

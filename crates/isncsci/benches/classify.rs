//! Classification and parsing throughput.
//!
//! `cargo bench -p isncsci --bench classify` — prints time per batch of 100,000 generated exams
//! (and per batch of their JSON text); exams per second is 100,000 / time. The `classify`
//! benchmarks run on one thread, so they measure one core.

use divan::{black_box, Bencher};
use isncsci::flat::json::{read_all, write_exam};
use isncsci::synth::{injury_exam, mixed_exam, Rng};
use isncsci::Exam;

const EXAMS: usize = 100_000;

fn main() {
    divan::main();
}

fn exams(generate: fn(&mut Rng) -> Exam) -> Vec<Exam> {
    let mut rng = Rng::new(2019);
    (0..EXAMS).map(|_| generate(&mut rng)).collect()
}

/// 100,000 exams: half injury-shaped, a quarter nearly normal, a quarter uniformly random.
#[divan::bench(sample_count = 20)]
fn classify_mixed(bencher: Bencher) {
    let exams = exams(mixed_exam);
    bencher
        .counter(divan::counter::ItemsCount::new(EXAMS))
        .bench(|| {
            for exam in &exams {
                black_box(black_box(exam).classify());
            }
        });
}

/// 100,000 exams shaped like real injuries.
#[divan::bench(sample_count = 20)]
fn classify_injuries(bencher: Bencher) {
    let exams = exams(injury_exam);
    bencher
        .counter(divan::counter::ItemsCount::new(EXAMS))
        .bench(|| {
            for exam in &exams {
                black_box(black_box(exam).classify());
            }
        });
}

/// Reading 100,000 exams from flat-layout JSON text.
#[divan::bench(sample_count = 10)]
fn parse_json(bencher: Bencher) {
    let mut text = String::from("[");
    for (i, exam) in exams(mixed_exam).iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        write_exam(exam, None, &mut text);
    }
    text.push(']');
    bencher
        .counter(divan::counter::BytesCount::new(text.len()))
        .bench(|| black_box(read_all(black_box(text.as_bytes())).unwrap().len()));
}

/// Reading 100,000 exams whose objects differ from one to the next, as an independent writer
/// gives them: every object's members in another order, digits as JSON numbers in half of
/// them, the lowest non-key muscles left out when none, CRLF between objects.
#[divan::bench(sample_count = 10)]
fn parse_json_varied(bencher: Bencher) {
    let mut rng = Rng::new(7);
    let mut text = String::from("[\r\n");
    let mut one = String::new();
    for (i, exam) in exams(mixed_exam).iter().enumerate() {
        one.clear();
        write_exam(exam, None, &mut one);
        let inner = &one[1..one.len() - 1]; // without the braces
        let mut members: Vec<String> = inner
            .split(",\"")
            .enumerate()
            .map(|(j, m)| {
                if j == 0 {
                    m.to_owned()
                } else {
                    format!("\"{m}")
                }
            })
            .filter(|m| !(m.contains("LowestNonKey") && m.ends_with(":\"0\"")))
            .collect();
        for k in (1..members.len()).rev() {
            members.swap(k, rng.below(k + 1));
        }
        let numbers = rng.chance(0.5);
        if i > 0 {
            text.push_str(",\r\n");
        }
        text.push('{');
        for (j, m) in members.iter().enumerate() {
            if j > 0 {
                text.push_str(", ");
            }
            let (key, value) = m.split_once(':').expect("a member");
            let digits = value.len() == 3 && value.as_bytes()[1].is_ascii_digit();
            text.push_str(key);
            text.push_str(": ");
            text.push_str(if numbers && digits {
                &value[1..2]
            } else {
                value
            });
        }
        text.push('}');
    }
    text.push_str("\r\n]");
    let expected = read_all(text.as_bytes()).unwrap();
    assert!(
        expected.iter().all(|r| r.exam.is_ok()),
        "the varied text reads"
    );
    bencher
        .counter(divan::counter::BytesCount::new(text.len()))
        .bench(|| black_box(read_all(black_box(text.as_bytes())).unwrap().len()));
}

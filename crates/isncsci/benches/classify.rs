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

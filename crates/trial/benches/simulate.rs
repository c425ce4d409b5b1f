//! The design-time simulation of randomisation: `cargo bench -p trial --bench simulate`.
//!
//! Each benchmark is one whole `trial::simulate` call: 10,000 trials of 60 participants with
//! the XS228 Phase II study (2:1, three sites), by stratified permuted blocks as defined, and by
//! minimisation on the same factors. The target is under one second each, on one core.

use divan::{black_box, Bencher};
use trial::{simulate, Study};

const PHASE2: &str = include_str!("../../../studies/xs228-phase2.toml");
const RUNS: usize = 10_000;
const PARTICIPANTS: usize = 60;

fn main() {
    divan::main();
}

fn blocks() -> Study {
    Study::from_toml(PHASE2).expect("the Phase II study loads")
}

fn minimisation() -> Study {
    let start = PHASE2
        .find("[randomisation]")
        .expect("a [randomisation] table");
    let end = start + PHASE2[start..].find("\n[[").expect("a table after it");
    let text = format!(
        "{}[randomisation]\nmethod = \"minimisation\"\nfactors = [{{ factor = \"ais\" }}, \
         {{ factor = \"level\" }}, {{ factor = \"site\", weight = 0.5 }}]\nprobability = 0.8\n{}",
        &PHASE2[..start],
        &PHASE2[end..]
    );
    Study::from_toml(&text).expect("the minimisation variant loads")
}

/// 10,000 trials × 60 participants, stratified permuted blocks of 3 or 6.
#[divan::bench(sample_count = 10)]
fn permuted_blocks(bencher: Bencher) {
    let study = blocks();
    bencher
        .counter(divan::counter::ItemsCount::new(RUNS * PARTICIPANTS))
        .bench(|| black_box(simulate(black_box(&study), PARTICIPANTS, RUNS, 1).unwrap()));
}

/// 10,000 trials × 60 participants, minimisation on AIS grade, level and site, p = 0.8.
#[divan::bench(sample_count = 10)]
fn minimisation_p08(bencher: Bencher) {
    let study = minimisation();
    bencher
        .counter(divan::counter::ItemsCount::new(RUNS * PARTICIPANTS))
        .bench(|| black_box(simulate(black_box(&study), PARTICIPANTS, RUNS, 1).unwrap()));
}

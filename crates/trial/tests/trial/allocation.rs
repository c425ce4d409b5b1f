//! Allocation: permuted-block lists, minimisation, the design-time simulation, and the 3+3 rule
//! on a study's dose levels.

use isncsci::synth::Rng;
use isncsci::{Grade, Level};
use trial::{
    simulate, three_plus_three, AllocationError, BlockList, Covariates, Decision, Factor,
    InjuryLevel, ListRng, ListStream, Minimiser, Randomisation, RandomisationMethod, Strata, Study,
};

use crate::common::{phase2, PHASE1, PHASE2};

/// The Phase II study with its `[randomisation]` table replaced by `table`.
fn phase2_with(table: &str) -> Study {
    let start = PHASE2.find("[randomisation]").unwrap();
    let end = start + PHASE2[start..].find("\n[[").unwrap();
    let text = format!("{}{table}\n{}", &PHASE2[..start], &PHASE2[end..]);
    Study::from_toml(&text).unwrap_or_else(|e| panic!("{e}"))
}

fn minimisation(probability: f64) -> Study {
    phase2_with(&format!(
        "[randomisation]\nmethod = \"minimisation\"\nfactors = [{{ factor = \"ais\" }}, \
         {{ factor = \"level\" }}, {{ factor = \"site\", weight = 0.5 }}]\n\
         probability = {probability:?}\n"
    ))
}

/// Random covariates of a participant of `study`.
fn participant(study: &Study, rng: &mut Rng) -> Covariates {
    let grade = rng.pick(&[Grade::A, Grade::B, Grade::C, Grade::D]);
    let nli = rng.pick(&[
        Level::C4,
        Level::C7,
        Level::T1,
        Level::T2,
        Level::T10,
        Level::L2,
    ]);
    let site = rng.pick(&["SYSU3", "XUANWU", "SHEPHERD"]);
    Covariates::new(study, grade, nli, site).unwrap()
}

// Covariates and strata.

#[test]
fn injury_levels_split_after_t1() {
    assert_eq!(InjuryLevel::of(Level::C1), InjuryLevel::Cervical);
    assert_eq!(InjuryLevel::of(Level::C8), InjuryLevel::Cervical);
    assert_eq!(InjuryLevel::of(Level::T1), InjuryLevel::Cervical);
    assert_eq!(InjuryLevel::of(Level::T2), InjuryLevel::Thoracolumbar);
    assert_eq!(InjuryLevel::of(Level::L2), InjuryLevel::Thoracolumbar);
    assert_eq!(InjuryLevel::of(Level::S4_5), InjuryLevel::Thoracolumbar);
}

#[test]
fn covariates_need_a_known_site_and_a_grade_from_a_to_d() {
    let study = phase2();
    let c = Covariates::new(&study, Grade::B, Level::C5, "XUANWU").unwrap();
    assert_eq!(
        (c.ais(), c.level(), c.site()),
        (Grade::B, InjuryLevel::Cervical, 1)
    );
    assert_eq!(
        Covariates::new(&study, Grade::A, Level::C5, "NOWHERE"),
        Err(AllocationError::UnknownSite("NOWHERE".into()))
    );
    assert_eq!(
        Covariates::new(&study, Grade::E, Level::C5, "SYSU3"),
        Err(AllocationError::Grade("E"))
    );
    assert!(matches!(
        Covariates::from_parts(&study, Grade::A, InjuryLevel::Cervical, 3),
        Err(AllocationError::SiteIndex { index: 3, sites: 3 })
    ));
}

#[test]
fn strata_are_every_combination_of_the_factors() {
    let study = phase2();
    let strata = Strata::new(&study, &[Factor::Ais, Factor::Level, Factor::Site]);
    assert_eq!(strata.len(), 4 * 2 * 3);
    let labels: Vec<String> = strata.iter().map(|s| s.label(&study)).collect();
    assert_eq!(labels[0], "AIS A / cervical / SYSU3");
    assert_eq!(labels[1], "AIS A / cervical / XUANWU");
    assert_eq!(labels[3], "AIS A / thoracolumbar / SYSU3");
    assert_eq!(labels[23], "AIS D / thoracolumbar / SHEPHERD");
    let c = Covariates::new(&study, Grade::C, Level::T12, "XUANWU").unwrap();
    let index = strata.index(&c).unwrap();
    let stratum = strata.stratum(index).unwrap();
    assert_eq!(stratum.ais, Some(Grade::C));
    assert_eq!(stratum.level, Some(InjuryLevel::Thoracolumbar));
    assert_eq!(stratum.site, Some(1));
    assert!(strata.stratum(24).is_none());

    let by_site = Strata::new(&study, &[Factor::Site]);
    assert_eq!(by_site.len(), 3);
    let stratum = by_site.stratum(by_site.index(&c).unwrap()).unwrap();
    assert_eq!((stratum.ais, stratum.site), (None, Some(1)));
    assert_eq!(stratum.label(&study), "XUANWU");
    let none = Strata::new(&study, &[]);
    assert_eq!(none.len(), 1);
    assert_eq!(none.stratum(0).unwrap().label(&study), "all participants");
}

// Permuted blocks.

#[test]
fn the_block_list_is_reproducible_from_the_seed() {
    let study = phase2();
    let a = BlockList::generate(&study, 20_250_101, 30).unwrap();
    let b = BlockList::generate(&study, 20_250_101, 30).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.seed(), 20_250_101);
    let c = BlockList::generate(&study, 20_250_102, 30).unwrap();
    assert_ne!(a, c);
    // A stratum's sequence does not depend on the others'.
    let first: Vec<&[usize]> = a.sequences().iter().map(|s| s.allocations()).collect();
    let distinct = first
        .iter()
        .enumerate()
        .filter(|(i, s)| first[..*i].contains(s))
        .count();
    assert!(distinct < 3, "strata should have different sequences");
}

#[test]
fn every_block_holds_the_ratio_exactly_and_has_a_configured_size() {
    let study = phase2();
    let list = BlockList::generate(&study, 99, 60).unwrap();
    assert_eq!(list.sequences().len(), 24);
    let mut sizes_seen = [0usize; 2];
    for sequence in list.sequences() {
        let allocations = sequence.allocations();
        assert!(allocations.len() >= 60 && allocations.len() < 60 + 6);
        let total: u32 = sequence.block_sizes().iter().sum();
        assert_eq!(total as usize, allocations.len());
        for block in sequence.blocks() {
            assert!(block.len() == 3 || block.len() == 6, "{}", block.len());
            sizes_seen[usize::from(block.len() == 6)] += 1;
            let active = block.iter().filter(|&&arm| arm == 0).count();
            let placebo = block.iter().filter(|&&arm| arm == 1).count();
            assert_eq!((active, placebo), (block.len() * 2 / 3, block.len() / 3));
        }
    }
    // Both sizes are used, in roughly equal numbers.
    assert!(sizes_seen[0] > 100 && sizes_seen[1] > 100, "{sizes_seen:?}");
}

#[test]
fn a_larger_capacity_extends_each_sequence() {
    let study = phase2();
    let short = BlockList::generate(&study, 5, 12).unwrap();
    let long = BlockList::generate(&study, 5, 90).unwrap();
    for (s, l) in short.sequences().iter().zip(long.sequences()) {
        assert_eq!(s.stratum(), l.stratum());
        assert!(l.allocations().starts_with(s.allocations()));
    }
}

#[test]
fn the_next_allocation_is_read_from_the_stratum_list() {
    let study = phase2();
    let list = BlockList::generate(&study, 42, 9).unwrap();
    let c = Covariates::new(&study, Grade::A, Level::T4, "SHEPHERD").unwrap();
    let stratum = list.strata().index(&c).unwrap();
    let sequence = list.sequence(stratum).unwrap().allocations();
    for (i, &arm) in sequence.iter().enumerate() {
        assert_eq!(list.next(&c, i).unwrap(), Some(arm));
    }
    assert_eq!(list.next(&c, sequence.len()).unwrap(), None);
}

#[test]
fn the_list_is_concealed_in_debug_output() {
    let study = phase2();
    let list = BlockList::generate(&study, 123_456_789, 6).unwrap();
    let text = format!("{list:?} {:?}", list.sequences()[0]);
    assert!(!text.contains("123456789"), "{text}");
    assert!(!text.contains("[0"), "{text}");
}

#[test]
fn unstratified_blocks_keep_the_trial_within_one_block_of_the_ratio() {
    let study =
        phase2_with("[randomisation]\nmethod = \"permuted-blocks\"\nblock_sizes = [3, 6, 9]\n");
    let list = BlockList::generate(&study, 1, 60).unwrap();
    assert_eq!(list.sequences().len(), 1);
    let mut counts = [0i64; 2];
    for &arm in list.sequences()[0].allocations() {
        counts[arm] += 1;
        // Within a block of 9: at most 6 active or 3 placebo ahead of the ratio.
        let imbalance = (counts[0] as f64 / 2.0 - counts[1] as f64).abs();
        assert!(imbalance <= 3.0, "{counts:?}");
    }
}

#[test]
fn each_method_refuses_the_other_and_dose_escalation() {
    let blocks = phase2();
    let minimised = minimisation(0.8);
    let phase1 = Study::from_toml(PHASE1).unwrap();
    assert_eq!(
        BlockList::generate(&minimised, 1, 3).unwrap_err(),
        AllocationError::WrongMethod {
            study: "XS228-P2".into(),
            expected: RandomisationMethod::PermutedBlocks,
            actual: RandomisationMethod::Minimisation,
        }
    );
    assert!(matches!(
        Minimiser::new(&blocks),
        Err(AllocationError::WrongMethod { .. })
    ));
    assert_eq!(
        BlockList::generate(&phase1, 1, 3).unwrap_err(),
        AllocationError::NotRandomised("XS228-P1".into())
    );
    assert!(matches!(
        Minimiser::new(&phase1),
        Err(AllocationError::NotRandomised(_))
    ));
    assert!(matches!(
        simulate(&phase1, 12, 10, 1),
        Err(AllocationError::NotRandomised(_))
    ));
}

// Minimisation.

#[test]
fn minimisation_with_p_1_never_increases_imbalance_when_it_can_avoid_it() {
    let study = minimisation(1.0);
    let mut minimiser = Minimiser::new(&study).unwrap();
    // 2:1 is balanced as three shares 1:1:1: active, active, placebo.
    assert_eq!(minimiser.shares(), [0, 0, 1]);
    let mut people = Rng::new(2025);
    let mut coin = ListRng::new(2025, ListStream::Minimisation(0));
    let mut avoidable = 0;
    for _ in 0..2_000 {
        let c = participant(&study, &mut people);
        let before = minimiser.imbalance(&c).unwrap();
        let scores = minimiser.scores(&c).unwrap();
        assert_eq!(scores.len(), 3);
        let best = scores.iter().copied().fold(f64::INFINITY, f64::min);
        minimiser.allocate(&c, &mut coin).unwrap();
        let after = minimiser.imbalance(&c).unwrap();
        assert!((after - best).abs() < 1e-9, "{scores:?} gave {after}");
        if best <= before + 1e-9 {
            avoidable += 1;
            assert!(after <= before + 1e-9, "{before} -> {after}");
        }
    }
    assert!(avoidable > 500);
}

#[test]
fn deterministic_minimisation_follows_the_ratio_in_a_single_group() {
    // One factor level: the shares fill one round at a time, in an order the seed draws.
    let study = phase2_with(
        "[randomisation]\nmethod = \"minimisation\"\nfactors = [{ factor = \"site\" }]\n\
         probability = 1\n",
    );
    let mut minimiser = Minimiser::new(&study).unwrap();
    let c = Covariates::new(&study, Grade::A, Level::C5, "SYSU3").unwrap();
    // With nobody allocated, every share leaves the same range: 1.
    assert_eq!(minimiser.scores(&c).unwrap(), [1.0, 1.0, 1.0]);
    let mut coin = ListRng::new(1, ListStream::Minimisation(0));
    let mut orders = std::collections::BTreeSet::new();
    for round in 1..=30u32 {
        let arms: Vec<usize> = (0..3)
            .map(|_| minimiser.allocate(&c, &mut coin).unwrap())
            .collect();
        assert_eq!(
            minimiser.counts(Factor::Site, 0),
            Some(vec![2 * round, round])
        );
        orders.insert(arms);
    }
    // Placebo comes first, second or third in a round: the order is not predictable.
    assert_eq!(orders.len(), 3, "{orders:?}");
    assert_eq!(minimiser.counts(Factor::Site, 1), Some(vec![0, 0]));
    assert_eq!(minimiser.counts(Factor::Ais, 0), None);
}

#[test]
fn the_biased_coin_allocates_a_preferred_share_with_its_probability() {
    let study = minimisation(0.8);
    let mut minimiser = Minimiser::new(&study).unwrap();
    let mut people = Rng::new(77);
    let mut coin = ListRng::new(77, ListStream::Minimisation(0));
    let (mut preferred, mut decided) = (0, 0);
    for _ in 0..20_000 {
        let c = participant(&study, &mut people);
        let scores = minimiser.scores(&c).unwrap();
        let best = scores.iter().copied().fold(f64::INFINITY, f64::min);
        minimiser.allocate(&c, &mut coin).unwrap();
        if scores.iter().any(|&s| s > best + 1e-9) {
            decided += 1;
            // Only a preferred share leaves the best score.
            preferred += usize::from((minimiser.imbalance(&c).unwrap() - best).abs() < 1e-9);
        }
    }
    let share = preferred as f64 / decided as f64;
    assert!((0.79..0.81).contains(&share), "{share}");
}

/// The mean number allocated to active in `runs` simulated trials of 60 of the Phase II design
/// randomised by minimisation with biased-coin probability `p`.
fn mean_active(p: f64, runs: usize) -> f64 {
    simulate(&minimisation(p), 60, runs, 2026).unwrap().arms[0].participants
}

#[test]
fn minimisation_keeps_the_2_to_1_ratio_over_10_000_trials() {
    // The biased coin toward the least-imbalanced arm gave 39.13 : 20.87 (issue 14).
    for p in [0.8, 0.9, 1.0] {
        let active = mean_active(p, 10_000);
        assert!(
            (active - 40.0).abs() < 0.2,
            "p = {p}: {active} : {}",
            60.0 - active
        );
    }
}

#[test]
fn every_allocation_of_minimisation_is_2_to_1_before_anything_is_known() {
    // Allocation ratio preserving: the first, second, ... allocation is active with probability
    // 2/3 each, over trials that differ in their participants and draws.
    let study = minimisation(0.8);
    let (runs, steps) = (30_000, 12);
    let mut active = vec![0u32; steps];
    let mut people = Rng::new(5);
    let mut minimiser = Minimiser::new(&study).unwrap();
    for run in 0..runs {
        minimiser.reset();
        let mut coin = ListRng::new(run, ListStream::Minimisation(0));
        for count in active.iter_mut() {
            let c = participant(&study, &mut people);
            *count += u32::from(minimiser.allocate(&c, &mut coin).unwrap() == 0);
        }
    }
    for (i, &n) in active.iter().enumerate() {
        let share = f64::from(n) / runs as f64;
        // Four standard errors of a proportion of 2/3 in 30,000: 0.011.
        assert!(
            (share - 2.0 / 3.0).abs() < 0.011,
            "allocation {}: {share}",
            i + 1
        );
    }
}

#[test]
fn minimisation_is_reproducible_from_the_seed() {
    let study = minimisation(0.8);
    let run = |seed: u64| {
        let mut minimiser = Minimiser::new(&study).unwrap();
        let mut people = Rng::new(9);
        let mut coin = ListRng::new(seed, ListStream::Minimisation(0));
        (0..200)
            .map(|_| {
                let c = participant(&study, &mut people);
                minimiser.allocate(&c, &mut coin).unwrap()
            })
            .collect::<Vec<usize>>()
    };
    assert_eq!(run(4), run(4));
    assert_ne!(run(4), run(5));
}

#[test]
fn replaying_from_the_seed_finds_each_share_again() {
    let study = minimisation(0.8);
    let mut people = Rng::new(31);
    let participants: Vec<Covariates> =
        (0..100).map(|_| participant(&study, &mut people)).collect();
    let rng = |i: usize| ListRng::new(8, ListStream::Minimisation(i as u64 + 1));
    let mut original = Minimiser::new(&study).unwrap();
    let arms: Vec<usize> = participants
        .iter()
        .enumerate()
        .map(|(i, c)| original.allocate(c, &mut rng(i)).unwrap())
        .collect();
    let mut replayed = Minimiser::new(&study).unwrap();
    for (i, (c, &arm)) in participants.iter().zip(&arms).enumerate() {
        assert!(
            replayed.replay(c, &mut rng(i), arm).unwrap(),
            "allocation {i}"
        );
    }
    // The same state: the next participant gets the same scores and the same draw.
    let next = participant(&study, &mut people);
    assert_eq!(original.scores(&next), replayed.scores(&next));
    let (a, b) = (&mut rng(100), &mut rng(100));
    assert_eq!(original.choose(&next, a), replayed.choose(&next, b));
    // An allocation the seed does not give is told apart, and still counted.
    let c = &Covariates::new(&study, Grade::C, Level::T6, "SHEPHERD").unwrap();
    let drawn = Minimiser::new(&study)
        .unwrap()
        .choose(c, &mut rng(0))
        .unwrap();
    let mut other = Minimiser::new(&study).unwrap();
    assert!(!other.replay(c, &mut rng(0), 1 - drawn).unwrap());
    let mut expected = vec![0, 0];
    expected[1 - drawn] = 1;
    assert_eq!(other.counts(Factor::Ais, 2), Some(expected));
}

#[test]
fn recorded_allocations_count_and_bad_arms_are_refused() {
    let study = minimisation(0.8);
    let mut minimiser = Minimiser::new(&study).unwrap();
    let c = Covariates::new(&study, Grade::C, Level::T6, "SHEPHERD").unwrap();
    minimiser.record(&c, 1).unwrap();
    assert_eq!(minimiser.counts(Factor::Ais, 2), Some(vec![0, 1]));
    assert_eq!(minimiser.counts(Factor::Level, 1), Some(vec![0, 1]));
    assert_eq!(minimiser.counts(Factor::Site, 2), Some(vec![0, 1]));
    // Shares 0, 0, 1 at each level: a range of 1, weighted 1, 1 and 0.5.
    assert_eq!(minimiser.imbalance(&c).unwrap(), 1.0 + 1.0 + 0.5);
    // Two allocations to active fill its two shares: balanced again.
    minimiser.record(&c, 0).unwrap();
    minimiser.record(&c, 0).unwrap();
    assert_eq!(minimiser.imbalance(&c).unwrap(), 0.0);
    assert_eq!(
        minimiser.record(&c, 2),
        Err(AllocationError::ArmIndex { index: 2, arms: 2 })
    );
    let mut coin = ListRng::new(1, ListStream::Minimisation(1));
    assert_eq!(
        minimiser.replay(&c, &mut coin, 2),
        Err(AllocationError::ArmIndex { index: 2, arms: 2 })
    );
    minimiser.reset();
    assert_eq!(minimiser.counts(Factor::Ais, 2), Some(vec![0, 0]));
}

// Simulation.

#[test]
fn the_simulation_is_reproducible_from_the_seed() {
    let study = phase2();
    let a = simulate(&study, 60, 300, 8).unwrap();
    assert_eq!(a, simulate(&study, 60, 300, 8).unwrap());
    assert_ne!(a, simulate(&study, 60, 300, 9).unwrap());
    assert_eq!((a.participants, a.runs, a.seed), (60, 300, 8));
    assert_eq!(
        simulate(&study, 0, 10, 1),
        Err(AllocationError::EmptySimulation)
    );
    assert_eq!(
        simulate(&study, 10, 0, 1),
        Err(AllocationError::EmptySimulation)
    );
}

#[test]
fn permuted_blocks_balance_better_than_simple_randomisation() {
    let study = phase2();
    let report = simulate(&study, 60, 3_000, 1).unwrap();
    assert!(matches!(
        report.randomisation,
        Randomisation::PermutedBlocks { .. }
    ));
    // Two thirds of the participants on active, on average.
    assert!(
        (report.arms[0].participants - 40.0).abs() < 0.5,
        "{report:?}"
    );
    assert!((report.arms[1].participants - 20.0).abs() < 0.5);
    assert!(
        report.overall.mean < report.simple_overall.mean,
        "{report:?}"
    );
    assert!(report.overall.p95 < report.simple_overall.p95);
    assert!(report.overall.mean <= report.overall.p95 && report.overall.p95 <= report.overall.max);
    // Within a stratum, at most one block of 6 is incomplete: imbalance at most 2.
    assert_eq!(
        report.strata.len(),
        18,
        "AIS D has no simulated participants"
    );
    for stratum in &report.strata {
        assert!(stratum.max <= 2.0, "{stratum:?}");
        assert!(stratum.factor.is_none());
    }
    let total: f64 = report.strata.iter().map(|s| s.participants).sum();
    assert!((total - 60.0).abs() < 1e-9);
    // Factor levels: AIS A, B, C, cervical, thoracolumbar, three sites.
    let groups: Vec<&str> = report.factors.iter().map(|g| g.group.as_str()).collect();
    assert_eq!(
        groups,
        [
            "AIS A",
            "AIS B",
            "AIS C",
            "cervical",
            "thoracolumbar",
            "SYSU3",
            "XUANWU",
            "SHEPHERD"
        ]
    );
    let cervical = &report.factors[3];
    assert_eq!(cervical.factor, Some(Factor::Level));
    assert!((cervical.participants - 36.0).abs() < 1.0, "{cervical:?}");
    let ais_a = &report.factors[0];
    assert!((ais_a.participants - 27.0).abs() < 1.0, "{ais_a:?}");
    assert!(report.predictability > 0.5 && report.predictability < 1.0);
    assert!(report.predictability > report.simple_predictability);
    assert!(report.simple_predictability > 0.4 && report.simple_predictability < 0.6);
}

#[test]
fn fewer_strata_balance_the_whole_trial_better() {
    let stratified = simulate(&phase2(), 60, 2_000, 3).unwrap();
    let by_site = phase2_with(
        "[randomisation]\nmethod = \"permuted-blocks\"\nblock_sizes = [3, 6]\nstrata = [\"site\"]\n",
    );
    let by_site = simulate(&by_site, 60, 2_000, 3).unwrap();
    assert!(by_site.overall.mean < stratified.overall.mean);
    assert_eq!(by_site.strata.len(), 3);
    assert_eq!(by_site.strata[0].group, "SYSU3");
}

#[test]
fn deterministic_minimisation_balances_the_trial_and_the_factors_closely() {
    let report = simulate(&minimisation(1.0), 60, 2_000, 1).unwrap();
    let blocks = simulate(&phase2(), 60, 2_000, 1).unwrap();
    assert!(report.overall.mean < blocks.overall.mean, "{report:?}");
    for (m, b) in report.factors.iter().zip(&blocks.factors) {
        assert_eq!(m.group, b.group);
        assert!(m.mean < b.mean, "{m:?} {b:?}");
    }
    assert!(report.predictability > 0.5 && report.predictability < 1.0);
    let biased = simulate(&minimisation(0.8), 60, 2_000, 1).unwrap();
    assert!(biased.overall.mean > report.overall.mean);
    assert!(biased.overall.mean < biased.simple_overall.mean);
    assert!(biased.predictability > 0.5 && biased.predictability < report.predictability);
}

// Dose escalation.

#[test]
fn the_phase1_levels_escalate_by_the_3_plus_3_rule() {
    let study = Study::from_toml(PHASE1).unwrap();
    assert_eq!(study.dose_levels.len(), 4);
    // SAD-1 0/3, SAD-2 1/3 expanded to 6 with no more DLTs, MAD-1 2/3.
    let e = three_plus_three(&[(3, 0), (6, 1), (3, 2), (0, 0)]);
    assert_eq!(
        e.decisions,
        [
            Decision::Escalate,
            Decision::Escalate,
            Decision::Stop,
            Decision::NeedMore
        ]
    );
    assert_eq!(e.next, None);
    assert_eq!(study.dose_levels[e.mtd.unwrap()].id, "sad-2");
}

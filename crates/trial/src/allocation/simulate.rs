//! The design-time simulation of a randomisation: imbalance and predictability over many
//! simulated trials (see the allocation module's documentation for both measures).

use super::*;

/// The imbalance of a group: the range over arms of `n_k / r_k`.
fn imbalance(counts: &[u32], inverse_ratios: &[f64]) -> f64 {
    let (mut low, mut high) = (f64::INFINITY, f64::NEG_INFINITY);
    for (&n, &inverse) in counts.iter().zip(inverse_ratios) {
        let scaled = f64::from(n) * inverse;
        low = low.min(scaled);
        high = high.max(scaled);
    }
    high - low
}

/// The credit of a guess under the convergence strategy (see the allocation module's
/// documentation): 1 when `actual` is the one arm with the largest shortfall, `1/t`
/// when it is one of `t` tied for it, 0 otherwise.
fn convergence_credit(counts: &[u32], ratios: &[u32], actual: usize) -> f64 {
    let n: i64 = counts.iter().map(|&c| i64::from(c)).sum();
    let total: i64 = ratios.iter().map(|&r| i64::from(r)).sum();
    // The shortfall times R, in whole numbers.
    let shortfall = |k: usize| (n + 1) * i64::from(ratios[k]) - i64::from(counts[k]) * total;
    let largest = (0..counts.len()).map(shortfall).max().unwrap_or(0);
    if shortfall(actual) != largest {
        return 0.0;
    }
    let ties = (0..counts.len())
        .filter(|&k| shortfall(k) == largest)
        .count();
    1.0 / ties as f64
}

/// Mean, 95th percentile and maximum of an imbalance over the simulated trials.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Imbalance {
    /// The mean over the trials.
    pub mean: f64,
    /// The 95th percentile (nearest rank).
    pub p95: f64,
    /// The largest.
    pub max: f64,
}

/// The imbalance at the end of the simulated trials in one group of participants.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupImbalance {
    /// The factor of a factor level; `None` for a stratum.
    pub factor: Option<Factor>,
    /// The group: a factor level (`AIS A`, `cervical`, a site id) or a stratum
    /// (`AIS A / cervical / SYSU3`).
    pub group: String,
    /// The mean number of participants in the group.
    pub participants: f64,
    /// The mean imbalance over the trials (0 in a trial where the group is empty).
    pub mean: f64,
    /// The largest imbalance.
    pub max: f64,
}

/// An arm and the mean number of participants it received.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ArmCount {
    /// The arm's id.
    pub id: String,
    /// Its ratio.
    pub ratio: u32,
    /// The mean number of participants allocated to it.
    pub participants: f64,
}

/// What [`simulate`] found: expected imbalance and predictability of the study's randomisation
/// over many simulated trials.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SimulationReport {
    /// The study's id.
    pub study: String,
    /// The randomisation simulated, as the definition gives it.
    pub randomisation: Randomisation,
    /// Participants per trial.
    pub participants: usize,
    /// Trials simulated.
    pub runs: usize,
    /// The seed.
    pub seed: u64,
    /// The arms, with the mean number allocated to each.
    pub arms: Vec<ArmCount>,
    /// Imbalance in the whole trial.
    pub overall: Imbalance,
    /// Imbalance in the whole trial under simple randomisation (each participant drawn
    /// independently in the ratio), from the same simulated participants, for comparison.
    pub simple_overall: Imbalance,
    /// Imbalance among the participants at each level of each factor (AIS grade, injury level,
    /// site, whether the method balances it or not), for the levels that had participants.
    pub factors: Vec<GroupImbalance>,
    /// Imbalance in each stratum (the combinations of the method's factors: the strata of
    /// permuted blocks, the factors of minimisation) that had participants, in stratum order.
    pub strata: Vec<GroupImbalance>,
    /// The proportion of allocations guessed right under the convergence strategy.
    pub predictability: f64,
    /// The same under simple randomisation, for comparison.
    pub simple_predictability: f64,
}

/// The factors reported per level, in order.
const REPORTED_FACTORS: [Factor; 3] = [Factor::Ais, Factor::Level, Factor::Site];

/// Sums of a group's imbalance and size over the trials.
#[derive(Clone, Copy, Default)]
struct Tally {
    participants: u64,
    imbalance: f64,
    max: f64,
}

impl Tally {
    fn add(&mut self, counts: &[u32], inverse_ratios: &[f64]) {
        let value = imbalance(counts, inverse_ratios);
        self.participants += counts.iter().map(|&c| u64::from(c)).sum::<u64>();
        self.imbalance += value;
        self.max = self.max.max(value);
    }

    fn report(&self, factor: Option<Factor>, group: String, runs: f64) -> GroupImbalance {
        GroupImbalance {
            factor,
            group,
            participants: self.participants as f64 / runs,
            mean: self.imbalance / runs,
            max: self.max,
        }
    }
}

/// How the simulation allocates.
enum Allocator {
    Blocks {
        sizes: Vec<u32>,
        /// The current block of each stratum, `max_block` slots each.
        blocks: Vec<usize>,
        /// The position in, and the length of, each stratum's current block.
        position: Vec<(usize, usize)>,
        max_block: usize,
        scratch: Vec<usize>,
    },
    Minimisation(Minimiser),
}

/// Draws the covariates of a simulated participant: AIS A, B or C with probabilities 0.45,
/// 0.25 and 0.30; cervical with probability 0.6; sites with equal probability.
pub(super) fn draw_covariates(rng: &mut ListRng, sites: usize) -> Covariates {
    let u = rng.unit_f64();
    let ais = if u < 0.45 {
        Grade::A
    } else if u < 0.70 {
        Grade::B
    } else {
        Grade::C
    };
    let level = if rng.chance(0.6) {
        InjuryLevel::Cervical
    } else {
        InjuryLevel::Thoracolumbar
    };
    Covariates {
        ais,
        level,
        site: rng.below(sites),
    }
}

/// Simulates `runs` trials of `participants` participants randomised as the study says, and
/// reports the expected imbalance (overall, per factor level, per stratum) and predictability
/// (see the allocation module's documentation for both measures), beside simple randomisation of
/// the same participants.
///
/// Simulated participants have AIS grade A, B or C with probabilities 0.45, 0.25 and 0.30, a
/// cervical injury with probability 0.6, and a site drawn with equal probability. Permuted
/// blocks are drawn afresh in each trial as [`BlockList::generate`] draws them; minimisation
/// runs as [`Minimiser`] does. The same arguments give the same report.
pub fn simulate(
    study: &Study,
    participants: usize,
    runs: usize,
    seed: u64,
) -> Result<SimulationReport, AllocationError> {
    let ratios = ratios(study)?;
    let randomisation = study
        .randomisation
        .clone()
        .ok_or_else(|| AllocationError::NotRandomised(study.id.clone()))?;
    if participants == 0 || runs == 0 {
        return Err(AllocationError::EmptySimulation);
    }
    let arms = ratios.len();
    let sites = study.sites.len();
    let inverse_ratios: Vec<f64> = ratios.iter().map(|&r| 1.0 / f64::from(r)).collect();
    let strata = Strata::new(study, &randomisation.factors());
    let mut allocator = match &randomisation {
        Randomisation::PermutedBlocks { block_sizes, .. } => {
            let max_block = block_sizes.iter().copied().max().unwrap_or(1) as usize;
            Allocator::Blocks {
                sizes: block_sizes.clone(),
                blocks: vec![0; strata.len() * max_block],
                position: vec![(0, 0); strata.len()],
                max_block,
                scratch: Vec::with_capacity(max_block),
            }
        }
        Randomisation::Minimisation { .. } => Allocator::Minimisation(Minimiser::new(study)?),
    };

    // Per trial: counts per stratum, per factor level and overall, each times arms.
    let factor_levels: Vec<usize> = REPORTED_FACTORS
        .iter()
        .map(|&f| levels_of(study, f))
        .collect();
    let factor_offsets: Vec<usize> = factor_levels
        .iter()
        .scan(0, |start, &n| {
            let offset = *start;
            *start += n;
            Some(offset)
        })
        .collect();
    let total_levels: usize = factor_levels.iter().sum();
    let mut stratum_counts = vec![0u32; strata.len() * arms];
    let mut level_counts = vec![0u32; total_levels * arms];
    let mut overall = vec![0u32; arms];
    let mut simple = vec![0u32; arms];

    // Over the trials.
    let mut stratum_tallies = vec![Tally::default(); strata.len()];
    let mut level_tallies = vec![Tally::default(); total_levels];
    let mut overall_values = Vec::with_capacity(runs);
    let mut simple_values = Vec::with_capacity(runs);
    let mut arm_totals = vec![0u64; arms];
    let mut credit = 0.0;
    let mut simple_credit = 0.0;

    let mut rng = ListRng::new(seed, ListStream::Simulation);
    for _ in 0..runs {
        stratum_counts.fill(0);
        level_counts.fill(0);
        overall.fill(0);
        simple.fill(0);
        match &mut allocator {
            Allocator::Blocks { position, .. } => position.fill((0, 0)),
            Allocator::Minimisation(minimiser) => minimiser.reset(),
        }
        for _ in 0..participants {
            let covariates = draw_covariates(&mut rng, sites);
            let stratum = strata.index_unchecked(&covariates);
            let cell = &mut stratum_counts[stratum * arms..(stratum + 1) * arms];
            let arm = match &mut allocator {
                Allocator::Blocks {
                    sizes,
                    blocks,
                    position,
                    max_block,
                    scratch,
                } => {
                    let (at, len) = &mut position[stratum];
                    let slots = &mut blocks[stratum * *max_block..(stratum + 1) * *max_block];
                    if *at == *len {
                        let size = rng.pick(sizes) as usize;
                        fill_block(&mut rng, &ratios, size, scratch);
                        slots[..size].copy_from_slice(scratch);
                        (*at, *len) = (0, size);
                    }
                    let arm = slots[*at];
                    *at += 1;
                    credit += convergence_credit(cell, &ratios, arm);
                    arm
                }
                Allocator::Minimisation(minimiser) => {
                    let arm = minimiser.allocate_unchecked(&covariates, &mut rng);
                    credit += convergence_credit(&overall, &ratios, arm);
                    arm
                }
            };
            cell[arm] += 1;
            overall[arm] += 1;
            for (f, &factor) in REPORTED_FACTORS.iter().enumerate() {
                let row = factor_offsets[f] + covariates.level_of(factor);
                level_counts[row * arms + arm] += 1;
            }
            let simple_arm = draw_weighted(&mut rng, &ratios, |_| true);
            simple_credit += convergence_credit(&simple, &ratios, simple_arm);
            simple[simple_arm] += 1;
        }
        overall_values.push(imbalance(&overall, &inverse_ratios));
        simple_values.push(imbalance(&simple, &inverse_ratios));
        for (k, &n) in overall.iter().enumerate() {
            arm_totals[k] += u64::from(n);
        }
        for (tally, counts) in stratum_tallies
            .iter_mut()
            .zip(stratum_counts.chunks_exact(arms))
        {
            tally.add(counts, &inverse_ratios);
        }
        for (tally, counts) in level_tallies
            .iter_mut()
            .zip(level_counts.chunks_exact(arms))
        {
            tally.add(counts, &inverse_ratios);
        }
    }

    let runs_f = runs as f64;
    let allocations = runs_f * participants as f64;
    let mut factors = Vec::new();
    for (f, &factor) in REPORTED_FACTORS.iter().enumerate() {
        for level in 0..factor_levels[f] {
            let tally = &level_tallies[factor_offsets[f] + level];
            if tally.participants > 0 {
                factors.push(tally.report(Some(factor), level_name(study, factor, level), runs_f));
            }
        }
    }
    let strata_report = strata
        .iter()
        .zip(&stratum_tallies)
        .filter(|(_, tally)| tally.participants > 0)
        .map(|(stratum, tally)| tally.report(None, stratum.label(study), runs_f))
        .collect();
    Ok(SimulationReport {
        study: study.id.clone(),
        randomisation,
        participants,
        runs,
        seed,
        arms: study
            .arms
            .iter()
            .zip(&arm_totals)
            .map(|(arm, &total)| ArmCount {
                id: arm.id.clone(),
                ratio: arm.ratio,
                participants: total as f64 / runs_f,
            })
            .collect(),
        overall: summarise(&mut overall_values),
        simple_overall: summarise(&mut simple_values),
        factors,
        strata: strata_report,
        predictability: credit / allocations,
        simple_predictability: simple_credit / allocations,
    })
}

/// Mean, 95th percentile (nearest rank) and maximum of a non-empty list.
fn summarise(values: &mut [f64]) -> Imbalance {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let rank = (n * 95).div_ceil(100).clamp(1, n);
    Imbalance {
        mean: values.iter().sum::<f64>() / n as f64,
        p95: values[rank - 1],
        max: values[n - 1],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imbalance_is_the_range_of_counts_over_ratios() {
        let two_to_one = [0.5, 1.0];
        assert_eq!(imbalance(&[40, 20], &two_to_one), 0.0);
        assert_eq!(imbalance(&[41, 19], &two_to_one), 1.5);
        assert_eq!(imbalance(&[0, 0], &two_to_one), 0.0);
        assert_eq!(imbalance(&[1, 0], &two_to_one), 0.5);
        assert_eq!(imbalance(&[7, 4, 5], &[1.0, 1.0, 1.0]), 3.0);
    }

    #[test]
    fn convergence_guesses_the_arm_furthest_below_its_share() {
        let two_to_one = [2, 1];
        // Nothing allocated: active is short of 2/3, placebo of 1/3.
        assert_eq!(convergence_credit(&[0, 0], &two_to_one, 0), 1.0);
        assert_eq!(convergence_credit(&[0, 0], &two_to_one, 1), 0.0);
        // One active: placebo is further below (2/3 against 1/3).
        assert_eq!(convergence_credit(&[1, 0], &two_to_one, 1), 1.0);
        // One placebo: active is 4/3 short, placebo none.
        assert_eq!(convergence_credit(&[0, 1], &two_to_one, 0), 1.0);
        // 1:1 after one each: a tie, half a correct guess either way.
        assert_eq!(convergence_credit(&[1, 1], &[1, 1], 0), 0.5);
        assert_eq!(convergence_credit(&[1, 1], &[1, 1], 1), 0.5);
        // Three arms, two tied.
        assert_eq!(convergence_credit(&[1, 0, 0], &[1, 1, 1], 2), 0.5);
        assert_eq!(convergence_credit(&[1, 0, 0], &[1, 1, 1], 0), 0.0);
    }

    #[test]
    fn the_95th_percentile_is_the_nearest_rank() {
        let mut values: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        let summary = summarise(&mut values);
        assert_eq!(
            (summary.mean, summary.p95, summary.max),
            (50.5, 95.0, 100.0)
        );
        assert_eq!(summarise(&mut [2.0]).p95, 2.0);
    }
}

//! Allocation in a randomised study: strata, permuted-block lists, minimisation, and the
//! design-time simulation of balance and predictability.
//!
//! Everything here is deterministic from a seed: the same study, seed and covariates give the
//! same allocations on every machine. The generator is [`ListRng`], ChaCha20 keyed from the
//! seed: the list replays exactly from the recorded seed, and without the seed its draws cannot
//! be predicted from the allocations already seen. The seed must be kept concealed, together
//! with the list.
//!
//! # Imbalance
//!
//! The imbalance of a group of participants (the whole trial, a stratum, or the participants
//! with one level of a factor) is the **range over arms of `n_k / r_k`**, the number allocated
//! to arm `k` divided by its ratio. It is 0 when the group is split exactly in the ratio. For
//! two arms in 2:1 it is `|n_active / 2 − n_placebo|`: 41 active and 19 placebo give 1.5, as
//! one participant moved from placebo to active changes it by 1.5. For 1:1 it is the familiar
//! `|n_A − n_B|`.
//!
//! # Predictability
//!
//! The proportion of allocations an observer would guess right under the convergence strategy
//! (Blackwell and Hodges): knowing the earlier allocations, guess the arm furthest below its
//! share. After `n` allocations with `n_k` on arm `k` (ratios `r_k`, sum `R`), the shortfall of
//! arm `k` is `(n + 1) · r_k / R − n_k`, how far it would fall behind its share of `n + 1`
//! allocations if the next one went elsewhere; the guess is the arm with the largest shortfall.
//! When `t` arms tie, the observer guesses one of them at random: a correct arm among them
//! counts `1/t` (one half for two arms). For permuted blocks the observer counts allocations in
//! the participant's stratum (the list is per stratum); for minimisation, in the whole trial.

use std::fmt;

use isncsci::{Grade, Level};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde::{Serialize, Serializer};

use crate::study::{Design, Factor, Randomisation, RandomisationMethod, Study};

/// The generator of concealed lists: kit lists, permuted blocks, minimisation draws and the
/// design-time simulation.
///
/// ChaCha20 (the stream cipher of RFC 8439, as `rand_chacha`'s [`ChaCha20Rng`], 64-bit block
/// counter and 64-bit stream id) keyed from the recorded `u64` seed by
/// [`SeedableRng::seed_from_u64`] (the 256-bit key filled from the seed by PCG32, which
/// `rand_core` treats as value-stable), with a separate stream for each use of the seed (see
/// [`ListStream`]). The same seed and stream give the same draws on every machine and version;
/// integers are drawn without modulo bias. `Debug` does not show the state.
#[derive(Clone)]
pub struct ListRng(ChaCha20Rng);

/// The use of a seed a [`ListRng`] draws for: each has its own ChaCha20 stream, so that the
/// draws of one do not depend on how many the others made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListStream {
    /// The permuted blocks of the stratum with this index.
    Stratum(usize),
    /// The kit list.
    Kits,
    /// The minimisation draw of the participant with this randomisation sequence number.
    Minimisation(u64),
    /// A design-time simulation.
    Simulation,
}

impl ListStream {
    /// The ChaCha20 stream id: the kind in the top byte, the index (its low 56 bits) below.
    fn id(self) -> u64 {
        const INDEX: u64 = (1 << 56) - 1;
        let (kind, index) = match self {
            ListStream::Stratum(i) => (1, i as u64),
            ListStream::Kits => (2, 0),
            ListStream::Minimisation(sequence) => (3, sequence),
            ListStream::Simulation => (4, 0),
        };
        (kind << 56) | (index & INDEX)
    }
}

impl ListRng {
    /// The generator of one stream of a seed.
    pub fn new(seed: u64, stream: ListStream) -> ListRng {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        rng.set_stream(stream.id());
        ListRng(rng)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A number in `0..n`, each equally likely (`n` > 0): Lemire's multiply-and-shift, with
    /// the few products that would bias it rejected.
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "below(0)");
        let n = n as u64;
        let mut product = u128::from(self.next_u64()) * u128::from(n);
        if (product as u64) < n {
            // 2^64 mod n: the low products below it would give some results one extra chance.
            let threshold = n.wrapping_neg() % n;
            while (product as u64) < threshold {
                product = u128::from(self.next_u64()) * u128::from(n);
            }
        }
        (product >> 64) as usize
    }

    /// A number in `[0, 1)`, a multiple of 2^-53.
    pub fn unit_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit_f64() < p
    }

    /// One of the items (not empty), each equally likely.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// Puts the items in an order drawn uniformly (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

impl fmt::Debug for ListRng {
    /// Conceals the key and the position.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListRng").finish_non_exhaustive()
    }
}

/// The baseline AIS grades randomisation tells apart. (E, normal function, is no injury.)
pub const AIS_GRADES: [Grade; 4] = [Grade::A, Grade::B, Grade::C, Grade::D];

/// The injury level as randomisation groups it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InjuryLevel {
    /// Neurological level C1 to T1 (tetraplegia).
    Cervical,
    /// Neurological level T2 and below (paraplegia).
    Thoracolumbar,
}

impl InjuryLevel {
    /// Both, cervical first.
    pub const ALL: [InjuryLevel; 2] = [InjuryLevel::Cervical, InjuryLevel::Thoracolumbar];

    /// The group of a neurological level of injury.
    pub fn of(nli: Level) -> InjuryLevel {
        if nli <= Level::T1 {
            InjuryLevel::Cervical
        } else {
            InjuryLevel::Thoracolumbar
        }
    }

    /// `cervical` or `thoracolumbar`.
    pub const fn as_str(self) -> &'static str {
        match self {
            InjuryLevel::Cervical => "cervical",
            InjuryLevel::Thoracolumbar => "thoracolumbar",
        }
    }
}

impl fmt::Display for InjuryLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for InjuryLevel {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Why an allocation could not be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AllocationError {
    /// The study allocates by dose level, not at random.
    #[error("study {0} is not randomised (design = \"dose-escalation\"); it has no randomisation")]
    NotRandomised(String),
    /// The study randomises by another method.
    #[error("study {study} randomises by {actual}, not by {expected}")]
    WrongMethod {
        /// The study's id.
        study: String,
        /// The method asked for.
        expected: RandomisationMethod,
        /// The study's method.
        actual: RandomisationMethod,
    },
    /// No site has this id.
    #[error("unknown site {0:?}")]
    UnknownSite(String),
    /// A site index beyond the study's sites.
    #[error("site index {index} is outside the study's {sites} sites")]
    SiteIndex {
        /// The index given.
        index: usize,
        /// The number of sites.
        sites: usize,
    },
    /// A baseline grade of E: randomisation groups grades A to D.
    #[error("AIS grade {0} is not a grade randomisation groups (A to D)")]
    Grade(&'static str),
    /// An arm index beyond the study's arms.
    #[error("arm index {index} is outside the study's {arms} arms")]
    ArmIndex {
        /// The index given.
        index: usize,
        /// The number of arms.
        arms: usize,
    },
    /// A simulation of no participants or no runs.
    #[error("a simulation needs at least one participant and at least one run")]
    EmptySimulation,
}

/// What randomisation knows of a participant: the baseline AIS grade and injury level (from the
/// screening ISNCSCI classification) and the site.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Covariates {
    ais: Grade,
    level: InjuryLevel,
    site: usize,
}

impl Covariates {
    /// The covariates of a participant of `study` at the site with id `site`.
    pub fn new(
        study: &Study,
        ais: Grade,
        nli: Level,
        site: &str,
    ) -> Result<Covariates, AllocationError> {
        let index = study
            .sites
            .iter()
            .position(|s| s.id == site)
            .ok_or_else(|| AllocationError::UnknownSite(site.to_owned()))?;
        Covariates::from_parts(study, ais, InjuryLevel::of(nli), index)
    }

    /// The covariates from the site's index in `study.sites`.
    pub fn from_parts(
        study: &Study,
        ais: Grade,
        level: InjuryLevel,
        site: usize,
    ) -> Result<Covariates, AllocationError> {
        if ais == Grade::E {
            return Err(AllocationError::Grade(ais.letter()));
        }
        if site >= study.sites.len() {
            return Err(AllocationError::SiteIndex {
                index: site,
                sites: study.sites.len(),
            });
        }
        Ok(Covariates { ais, level, site })
    }

    /// The baseline AIS grade (A to D).
    pub fn ais(&self) -> Grade {
        self.ais
    }

    /// The injury level.
    pub fn level(&self) -> InjuryLevel {
        self.level
    }

    /// The site's index in the study's sites.
    pub fn site(&self) -> usize {
        self.site
    }

    /// The index of the participant's level of `factor`.
    fn level_of(&self, factor: Factor) -> usize {
        match factor {
            Factor::Ais => self.ais as usize,
            Factor::Level => self.level as usize,
            Factor::Site => self.site,
        }
    }
}

/// The number of levels of a factor in a study.
fn levels_of(study: &Study, factor: Factor) -> usize {
    match factor {
        Factor::Ais => AIS_GRADES.len(),
        Factor::Level => InjuryLevel::ALL.len(),
        Factor::Site => study.sites.len(),
    }
}

/// The name of level `index` of `factor`: `AIS A`, `cervical`, the site's id.
fn level_name(study: &Study, factor: Factor, index: usize) -> String {
    match factor {
        Factor::Ais => format!("AIS {}", AIS_GRADES[index].letter()),
        Factor::Level => InjuryLevel::ALL[index].as_str().to_owned(),
        Factor::Site => study.sites[index].id.clone(),
    }
}

/// One stratum: a level of each stratification factor (`None` for a factor that does not
/// stratify).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Stratum {
    /// Its index in [`Strata`].
    pub index: usize,
    /// The baseline AIS grade.
    pub ais: Option<Grade>,
    /// The injury level.
    pub level: Option<InjuryLevel>,
    /// The site's index in the study's sites.
    pub site: Option<usize>,
}

impl Stratum {
    /// A name for people, the levels joined by ` / ` in the order of the factors
    /// (`AIS A / cervical / SYSU3`); `all participants` without factors.
    pub fn label(&self, study: &Study) -> String {
        let mut parts = Vec::new();
        if let Some(grade) = self.ais {
            parts.push(format!("AIS {}", grade.letter()));
        }
        if let Some(level) = self.level {
            parts.push(level.as_str().to_owned());
        }
        if let Some(site) = self.site.and_then(|i| study.sites.get(i)) {
            parts.push(site.id.clone());
        }
        if parts.is_empty() {
            "all participants".to_owned()
        } else {
            parts.join(" / ")
        }
    }
}

/// The strata of a set of factors: every combination of their levels, numbered with the first
/// factor varying slowest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Strata {
    factors: Vec<Factor>,
    /// The number of levels of each factor.
    levels: Vec<usize>,
    /// The number of sites of the study.
    sites: usize,
    len: usize,
}

impl Strata {
    /// The strata of `factors` in `study`. Without factors there is one stratum.
    pub fn new(study: &Study, factors: &[Factor]) -> Strata {
        let levels: Vec<usize> = factors.iter().map(|&f| levels_of(study, f)).collect();
        Strata {
            factors: factors.to_vec(),
            len: levels.iter().product(),
            levels,
            sites: study.sites.len(),
        }
    }

    /// The factors, in order.
    pub fn factors(&self) -> &[Factor] {
        &self.factors
    }

    /// The number of strata.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: without factors there is one stratum. (A study with no sites cannot be
    /// loaded.)
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The index of the stratum of a participant.
    pub fn index(&self, covariates: &Covariates) -> Result<usize, AllocationError> {
        if covariates.site >= self.sites {
            return Err(AllocationError::SiteIndex {
                index: covariates.site,
                sites: self.sites,
            });
        }
        Ok(self.index_unchecked(covariates))
    }

    fn index_unchecked(&self, covariates: &Covariates) -> usize {
        self.factors
            .iter()
            .zip(&self.levels)
            .fold(0, |index, (&factor, &levels)| {
                index * levels + covariates.level_of(factor)
            })
    }

    /// The stratum with this index.
    pub fn stratum(&self, index: usize) -> Option<Stratum> {
        if index >= self.len {
            return None;
        }
        let mut stratum = Stratum {
            index,
            ais: None,
            level: None,
            site: None,
        };
        let mut rest = index;
        for (&factor, &levels) in self.factors.iter().zip(&self.levels).rev() {
            let level = rest % levels;
            rest /= levels;
            match factor {
                Factor::Ais => stratum.ais = Some(AIS_GRADES[level]),
                Factor::Level => stratum.level = Some(InjuryLevel::ALL[level]),
                Factor::Site => stratum.site = Some(level),
            }
        }
        Some(stratum)
    }

    /// Every stratum, in index order.
    pub fn iter(&self) -> impl Iterator<Item = Stratum> + '_ {
        (0..self.len).filter_map(|i| self.stratum(i))
    }
}

/// The ratios of the arms of a randomised study.
fn ratios(study: &Study) -> Result<Vec<u32>, AllocationError> {
    if study.design != Design::Randomised || study.randomisation.is_none() {
        return Err(AllocationError::NotRandomised(study.id.clone()));
    }
    Ok(study.arms.iter().map(|a| a.ratio).collect())
}

/// An arm drawn with probability proportional to its ratio, among the arms `include` accepts.
fn draw_weighted(rng: &mut ListRng, ratios: &[u32], include: impl Fn(usize) -> bool) -> usize {
    let total: u64 = (0..ratios.len())
        .filter(|&k| include(k))
        .map(|k| u64::from(ratios[k]))
        .sum();
    let mut ticket = rng.below(usize::try_from(total).unwrap_or(usize::MAX)) as u64;
    let mut last = 0;
    for (k, &ratio) in ratios.iter().enumerate() {
        if !include(k) {
            continue;
        }
        last = k;
        if ticket < u64::from(ratio) {
            return k;
        }
        ticket -= u64::from(ratio);
    }
    last
}

/// Replaces `block` with one block of `size` allocations (a multiple of the sum of the ratios):
/// each arm `size / R × r_k` times, in an order drawn uniformly (Fisher–Yates).
fn fill_block(rng: &mut ListRng, ratios: &[u32], size: usize, block: &mut Vec<usize>) {
    let total: usize = ratios.iter().map(|&r| r as usize).sum();
    let times = size / total.max(1);
    block.clear();
    for (arm, &ratio) in ratios.iter().enumerate() {
        block.extend(std::iter::repeat_n(arm, times * ratio as usize));
    }
    rng.shuffle(block);
}

/// The concealed allocation sequence of one stratum.
#[derive(Clone, PartialEq, Eq)]
pub struct StratumSequence {
    stratum: Stratum,
    arms: Vec<usize>,
    blocks: Vec<u32>,
}

impl StratumSequence {
    /// The stratum.
    pub fn stratum(&self) -> Stratum {
        self.stratum
    }

    /// The arm (index in the study's arms) of each position, in order.
    pub fn allocations(&self) -> &[usize] {
        &self.arms
    }

    /// The size of each block, in order.
    pub fn block_sizes(&self) -> &[u32] {
        &self.blocks
    }

    /// The blocks, in order.
    pub fn blocks(&self) -> impl Iterator<Item = &[usize]> + '_ {
        let mut start = 0;
        self.blocks.iter().map(move |&size| {
            let block = &self.arms[start..start + size as usize];
            start += size as usize;
            block
        })
    }
}

impl fmt::Debug for StratumSequence {
    /// Conceals the allocations: only the stratum and the length are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StratumSequence")
            .field("stratum", &self.stratum)
            .field("len", &self.arms.len())
            .finish_non_exhaustive()
    }
}

/// A stratified permuted-block allocation list, generated before the first enrolment from a
/// recorded seed.
///
/// For each stratum, blocks follow one another until the stratum holds at least the requested
/// capacity; each block's size is drawn with equal probability from the study's `block_sizes`,
/// and each block holds every arm in its ratio, in random order. The same study and seed give
/// the same list; a larger capacity extends each stratum's sequence without changing its
/// beginning. `Debug` does not show the allocations or the seed.
#[derive(Clone, PartialEq, Eq)]
pub struct BlockList {
    seed: u64,
    strata: Strata,
    sequences: Vec<StratumSequence>,
}

impl BlockList {
    /// Generates the list of a study randomised by permuted blocks, with at least
    /// `per_stratum_capacity` allocations in each stratum.
    pub fn generate(
        study: &Study,
        seed: u64,
        per_stratum_capacity: usize,
    ) -> Result<BlockList, AllocationError> {
        let ratios = ratios(study)?;
        let (sizes, factors) = match &study.randomisation {
            Some(Randomisation::PermutedBlocks {
                block_sizes,
                strata,
            }) => (block_sizes, strata),
            Some(other) => {
                return Err(AllocationError::WrongMethod {
                    study: study.id.clone(),
                    expected: RandomisationMethod::PermutedBlocks,
                    actual: other.method(),
                })
            }
            None => return Err(AllocationError::NotRandomised(study.id.clone())),
        };
        let strata = Strata::new(study, factors);
        let mut block = Vec::new();
        let sequences = strata
            .iter()
            .map(|stratum| {
                // A stream per stratum: a stratum's list does not depend on the others' length.
                let mut rng = ListRng::new(seed, ListStream::Stratum(stratum.index));
                let mut arms = Vec::with_capacity(per_stratum_capacity);
                let mut blocks = Vec::new();
                while arms.len() < per_stratum_capacity {
                    let size = rng.pick(sizes);
                    fill_block(&mut rng, &ratios, size as usize, &mut block);
                    arms.extend_from_slice(&block);
                    blocks.push(size);
                }
                StratumSequence {
                    stratum,
                    arms,
                    blocks,
                }
            })
            .collect();
        Ok(BlockList {
            seed,
            strata,
            sequences,
        })
    }

    /// The seed the list was generated from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The strata.
    pub fn strata(&self) -> &Strata {
        &self.strata
    }

    /// The sequence of every stratum, in stratum order.
    pub fn sequences(&self) -> &[StratumSequence] {
        &self.sequences
    }

    /// The sequence of the stratum with this index.
    pub fn sequence(&self, stratum: usize) -> Option<&StratumSequence> {
        self.sequences.get(stratum)
    }

    /// The arm (index in the study's arms) of the next participant with these covariates,
    /// when `allocated` participants of the same stratum were allocated before; `None` when
    /// the stratum's sequence is used up.
    pub fn next(
        &self,
        covariates: &Covariates,
        allocated: usize,
    ) -> Result<Option<usize>, AllocationError> {
        let stratum = self.strata.index(covariates)?;
        Ok(self.sequences[stratum].arms.get(allocated).copied())
    }
}

impl fmt::Debug for BlockList {
    /// Conceals the seed and the allocations.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockList")
            .field("strata", &self.strata.len())
            .field(
                "allocations",
                &self.sequences.iter().map(|s| s.arms.len()).sum::<usize>(),
            )
            .finish_non_exhaustive()
    }
}

mod minimiser;
mod simulate;

pub use minimiser::Minimiser;
pub use simulate::{simulate, ArmCount, GroupImbalance, Imbalance, SimulationReport};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_holds_every_arm_in_its_ratio() {
        let mut rng = ListRng::new(7, ListStream::Simulation);
        let mut block = Vec::new();
        for size in [3, 6, 9, 30] {
            fill_block(&mut rng, &[2, 1], size, &mut block);
            assert_eq!(block.len(), size);
            assert_eq!(block.iter().filter(|&&a| a == 0).count(), size * 2 / 3);
        }
        fill_block(&mut rng, &[1, 1, 2], 8, &mut block);
        let counts: Vec<usize> = (0..3)
            .map(|k| block.iter().filter(|&&a| a == k).count())
            .collect();
        assert_eq!(counts, [2, 2, 4]);
    }

    #[test]
    fn every_order_of_a_block_is_drawn() {
        // Blocks of 3 in 2:1 have three orders; each should come up about a third of the time.
        let mut rng = ListRng::new(11, ListStream::Simulation);
        let mut block = Vec::new();
        let mut seen = [0u32; 3];
        for _ in 0..30_000 {
            fill_block(&mut rng, &[2, 1], 3, &mut block);
            let placebo = block.iter().position(|&a| a == 1).unwrap();
            seen[placebo] += 1;
        }
        for count in seen {
            assert!((9_500..10_500).contains(&count), "{seen:?}");
        }
    }

    #[test]
    fn weighted_draws_follow_the_ratios() {
        let mut rng = ListRng::new(3, ListStream::Simulation);
        let mut counts = [0u32; 2];
        for _ in 0..30_000 {
            counts[draw_weighted(&mut rng, &[2, 1], |_| true)] += 1;
        }
        assert!((19_500..20_500).contains(&counts[0]), "{counts:?}");
        for _ in 0..100 {
            assert_eq!(draw_weighted(&mut rng, &[2, 1], |k| k == 1), 1);
        }
    }

    /// ChaCha20's block function written from RFC 8439 (section 2.3), independently of
    /// `rand_chacha`: the 16 output words for a key and the last four state words (block
    /// counter and nonce).
    fn chacha20_block(key: [u32; 8], counter_nonce: [u32; 4]) -> [u32; 16] {
        fn quarter(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
            s[a] = s[a].wrapping_add(s[b]);
            s[d] = (s[d] ^ s[a]).rotate_left(16);
            s[c] = s[c].wrapping_add(s[d]);
            s[b] = (s[b] ^ s[c]).rotate_left(12);
            s[a] = s[a].wrapping_add(s[b]);
            s[d] = (s[d] ^ s[a]).rotate_left(8);
            s[c] = s[c].wrapping_add(s[d]);
            s[b] = (s[b] ^ s[c]).rotate_left(7);
        }
        let mut initial = [0u32; 16];
        initial[..4].copy_from_slice(&[0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574]);
        initial[4..12].copy_from_slice(&key);
        initial[12..].copy_from_slice(&counter_nonce);
        let mut s = initial;
        for _ in 0..10 {
            quarter(&mut s, 0, 4, 8, 12);
            quarter(&mut s, 1, 5, 9, 13);
            quarter(&mut s, 2, 6, 10, 14);
            quarter(&mut s, 3, 7, 11, 15);
            quarter(&mut s, 0, 5, 10, 15);
            quarter(&mut s, 1, 6, 11, 12);
            quarter(&mut s, 2, 7, 8, 13);
            quarter(&mut s, 3, 4, 9, 14);
        }
        std::array::from_fn(|i| s[i].wrapping_add(initial[i]))
    }

    /// The key `seed_from_u64` makes: eight PCG32 outputs (rand_core's constants).
    fn key_of(seed: u64) -> [u32; 8] {
        let mut state = seed;
        std::array::from_fn(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(11_634_580_027_462_260_723);
            let xorshifted = (((state >> 18) ^ state) >> 27) as u32;
            xorshifted.rotate_right((state >> 59) as u32)
        })
    }

    /// RFC 8439, section 2.3.2: key 00 01 … 1f, nonce 00:00:00:09:00:00:00:4a:00:00:00:00,
    /// block counter 1.
    const RFC8439_KEY: [u32; 8] = [
        0x0302_0100,
        0x0706_0504,
        0x0b0a_0908,
        0x0f0e_0d0c,
        0x1312_1110,
        0x1716_1514,
        0x1b1a_1918,
        0x1f1e_1d1c,
    ];
    const RFC8439_BLOCK: [u32; 16] = [
        0xe4e7_f110,
        0x1559_3bd1,
        0x1fdd_0f50,
        0xc471_20a3,
        0xc7f4_d1c7,
        0x0368_c033,
        0x9aaa_2204,
        0x4e6c_d4c3,
        0x4664_82d2,
        0x09aa_9f07,
        0x05d7_c214,
        0xa202_8bd9,
        0xd19c_12b5,
        0xb94e_16de,
        0xe883_d0cb,
        0x4e3c_50a2,
    ];

    #[test]
    fn the_reference_block_function_gives_the_rfc_8439_test_vector() {
        let block = chacha20_block(RFC8439_KEY, [1, 0x0900_0000, 0x4a00_0000, 0]);
        assert_eq!(block, RFC8439_BLOCK);
    }

    #[test]
    fn the_generator_is_chacha20_as_rfc_8439_defines_it() {
        // rand_chacha's 64-bit counter is state words 12 and 13, its stream id words 14 and 15:
        // the RFC's 32-bit counter 1 and 96-bit nonce map onto them.
        let mut key = [0u8; 32];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = i as u8;
        }
        let mut rng = ChaCha20Rng::from_seed(key);
        rng.set_stream(0x4a00_0000);
        rng.set_word_pos(u128::from(1 | (0x0900_0000u64 << 32)) * 16);
        let words: Vec<u32> = (0..16).map(|_| rng.next_u32()).collect();
        assert_eq!(words, RFC8439_BLOCK);
    }

    #[test]
    fn list_draws_are_the_chacha20_keystream_of_the_seed_and_stream() {
        let seed = 20_261_122;
        let mut rng = ListRng::new(seed, ListStream::Stratum(3));
        let drawn: Vec<u64> = (0..16).map(|_| rng.next_u64()).collect();
        // From the specification: key from the seed, stream id 0x01 << 56 | 3 in words 14–15,
        // blocks 0 and 1, each pair of words little end first.
        let nonce = (1u64 << 56) | 3;
        let expected: Vec<u64> = (0..2u32)
            .flat_map(|block| {
                let words =
                    chacha20_block(key_of(seed), [block, 0, nonce as u32, (nonce >> 32) as u32]);
                (0..8).map(move |i| u64::from(words[2 * i]) | u64::from(words[2 * i + 1]) << 32)
            })
            .collect();
        assert_eq!(drawn, expected);
        // Pinned, so that a change of generator, key derivation or stream layout is caught
        // even together with a change of the reference above.
        assert_eq!(drawn[..4], PINNED);
        let mut rng = ListRng::new(seed, ListStream::Stratum(3));
        let draws: Vec<usize> = (0..12).map(|_| rng.below(6)).collect();
        // Lemire: the high word of x · 6 (none of these low words is below 2^64 mod 6 = 4, so
        // none is rejected).
        let multiplied: Vec<usize> = drawn[..12]
            .iter()
            .map(|&x| ((u128::from(x) * 6) >> 64) as usize)
            .collect();
        assert_eq!(draws, multiplied);
        assert_eq!(draws, PINNED_BELOW_6);
    }

    const PINNED: [u64; 4] = [
        0x436c_d8e5_1c1e_98bf,
        0x1cec_ef6f_bec0_055e,
        0xdc40_9bd6_0b9d_cbd7,
        0x3992_bf61_4a7d_73a8,
    ];
    const PINNED_BELOW_6: [usize; 12] = [1, 0, 5, 1, 5, 4, 0, 0, 5, 5, 2, 1];

    #[test]
    fn the_same_seed_and_stream_give_the_same_draws_and_others_differ() {
        let draws = |seed: u64, stream: ListStream| {
            let mut rng = ListRng::new(seed, stream);
            (0..32).map(|_| rng.next_u64()).collect::<Vec<u64>>()
        };
        let streams = [
            ListStream::Stratum(0),
            ListStream::Stratum(1),
            ListStream::Kits,
            ListStream::Minimisation(0),
            ListStream::Minimisation(1),
            ListStream::Simulation,
        ];
        for seed in [0, 1, u64::MAX] {
            for (i, &stream) in streams.iter().enumerate() {
                assert_eq!(draws(seed, stream), draws(seed, stream));
                assert_ne!(draws(seed, stream), draws(seed ^ 1, stream));
                for &other in &streams[..i] {
                    assert_ne!(draws(seed, stream), draws(seed, other), "{stream:?}");
                }
            }
        }
        assert!(!format!("{:?}", ListRng::new(42, ListStream::Kits)).contains("42"));
    }

    #[test]
    fn below_is_uniform_and_in_range() {
        let mut rng = ListRng::new(5, ListStream::Simulation);
        let mut counts = [0u32; 6];
        for _ in 0..60_000 {
            counts[rng.below(6)] += 1;
        }
        for count in counts {
            assert!((9_600..10_400).contains(&count), "{counts:?}");
        }
        assert_eq!(rng.below(1), 0);
        // A bound near 2^64 rejects almost half the products: still in range.
        let n = usize::MAX / 2 + 2;
        assert!((0..100).all(|_| rng.below(n) < n));
        assert!((0..1_000).all(|_| (0.0..1.0).contains(&rng.unit_f64())));
    }
}

//! Minimisation: Pocock–Simon with a biased coin over equal shares of the ratio, which keeps
//! the allocation ratio at every allocation.

use super::*;

/// Pocock–Simon minimisation with a biased coin that preserves the allocation ratio.
///
/// # Why shares
///
/// With unequal ratios, the textbook biased coin (prefer the arm that leaves the least
/// imbalance, measured as the range of `n_k / r_k`) does not keep the ratio: the arm the scores
/// prefer is not drawn in proportion to the ratios, so a 2:1 design drifts toward 1:1 (about
/// 39 : 21 in 60 participants). Kuznetsova and Tymofyeyev (Stat Med 2012) call the property we
/// need *allocation ratio preserving* (ARP): at every allocation, before anything is known of
/// the participant's covariates or the draws, each arm's probability is exactly `r_k / R`.
///
/// We get it by expanding the ratio into equal allocation: an arm with ratio `r_k` owns `r_k`
/// **shares**, `R = Σ r_k` shares in all (2:1 gives active, active, placebo). The minimiser
/// balances the shares 1:1:…:1 and a participant allocated to a share receives its arm. Every
/// step treats the shares alike — the scores are ranges of share counts, ties and the other
/// shares are drawn uniformly — so, by symmetry, each share is drawn with probability `1 / R`
/// at every allocation and each arm with `r_k / R`. Balanced shares are balanced arms: the
/// range of `n_k / r_k` never exceeds the range of the share counts.
///
/// # The rule
///
/// For a new participant and each share `s`, the score of `s` is the weighted sum, over the
/// factors, of the range of the share counts among the earlier participants who share the new
/// participant's level of that factor, counting the new participant in `s`. The preferred
/// shares are those with the smallest score; one of them is drawn (uniformly) with the
/// configured probability `p`, otherwise one of the others. When every share ties (the first
/// participant, for instance), the share is drawn uniformly.
///
/// The state is the count of each (factor level, share). Replaying a study's allocations needs
/// the share each one took, which the draw from the recorded seed gives again: see
/// [`Minimiser::replay`].
#[derive(Clone, Debug)]
pub struct Minimiser {
    factors: Vec<Factor>,
    weights: Vec<f64>,
    /// Where each factor's levels start in `counts`, in levels.
    offsets: Vec<usize>,
    probability: f64,
    arms: usize,
    /// The arm of each share: arm `k` repeated `r_k` times, in arm order.
    shares: Vec<usize>,
    sites: usize,
    /// Participants per (factor level, share): `counts[(offset + level) * shares + share]`.
    counts: Vec<u32>,
}

/// Two scores closer than this (relative to their size) are a tie.
const TIE: f64 = 1e-9;

impl Minimiser {
    /// A minimiser for a study randomised by minimisation, with no participant allocated yet.
    pub fn new(study: &Study) -> Result<Minimiser, AllocationError> {
        let ratios = ratios(study)?;
        let (factors, probability) = match &study.randomisation {
            Some(Randomisation::Minimisation {
                factors,
                probability,
            }) => (factors, *probability),
            Some(other) => {
                return Err(AllocationError::WrongMethod {
                    study: study.id.clone(),
                    expected: RandomisationMethod::Minimisation,
                    actual: other.method(),
                })
            }
            None => return Err(AllocationError::NotRandomised(study.id.clone())),
        };
        let mut offsets = Vec::with_capacity(factors.len());
        let mut levels = 0;
        for f in factors {
            offsets.push(levels);
            levels += levels_of(study, f.factor);
        }
        let shares: Vec<usize> = ratios
            .iter()
            .enumerate()
            .flat_map(|(arm, &r)| std::iter::repeat_n(arm, r as usize))
            .collect();
        Ok(Minimiser {
            factors: factors.iter().map(|f| f.factor).collect(),
            weights: factors.iter().map(|f| f.weight).collect(),
            offsets,
            probability,
            arms: ratios.len(),
            counts: vec![0; levels * shares.len()],
            shares,
            sites: study.sites.len(),
        })
    }

    /// Forgets every allocation.
    pub fn reset(&mut self) {
        self.counts.fill(0);
    }

    /// The arm of each share (see [`Minimiser`]).
    pub fn shares(&self) -> &[usize] {
        &self.shares
    }

    fn check(&self, covariates: &Covariates) -> Result<(), AllocationError> {
        if covariates.site >= self.sites {
            return Err(AllocationError::SiteIndex {
                index: covariates.site,
                sites: self.sites,
            });
        }
        Ok(())
    }

    fn check_arm(&self, arm: usize) -> Result<(), AllocationError> {
        if arm >= self.arms {
            return Err(AllocationError::ArmIndex {
                index: arm,
                arms: self.arms,
            });
        }
        Ok(())
    }

    /// The counts per arm among participants with level `level` of `factor` (an index as in
    /// [`Stratum`]: grades A to D, cervical then thoracolumbar, sites in order); `None` for a
    /// factor that is not minimised or a level out of range.
    pub fn counts(&self, factor: Factor, level: usize) -> Option<Vec<u32>> {
        let i = self.factors.iter().position(|&f| f == factor)?;
        let end = self.offsets.get(i + 1).copied().unwrap_or(self.levels());
        let row = self.offsets[i] + level;
        (row < end).then(|| {
            let mut per_arm = vec![0; self.arms];
            for (&n, &arm) in self.share_row(row).iter().zip(&self.shares) {
                per_arm[arm] += n;
            }
            per_arm
        })
    }

    fn levels(&self) -> usize {
        self.counts.len() / self.shares.len().max(1)
    }

    fn share_row(&self, row: usize) -> &[u32] {
        let n = self.shares.len();
        &self.counts[row * n..(row + 1) * n]
    }

    fn row(&self, i: usize, covariates: &Covariates) -> usize {
        self.offsets[i] + covariates.level_of(self.factors[i])
    }

    /// The weighted range of the share counts among participants sharing the new
    /// participant's levels, if `extra` (a share) received one more.
    fn weighted_imbalance(&self, covariates: &Covariates, extra: Option<usize>) -> f64 {
        let mut total = 0.0;
        for i in 0..self.factors.len() {
            let counts = self.share_row(self.row(i, covariates));
            let (mut low, mut high) = (u32::MAX, 0);
            for (s, &n) in counts.iter().enumerate() {
                let n = n + u32::from(extra == Some(s));
                low = low.min(n);
                high = high.max(n);
            }
            total += self.weights[i] * f64::from(high.saturating_sub(low));
        }
        total
    }

    /// The weighted range of the share counts, over the minimisation factors, among the
    /// participants who share these covariates' levels (before a new participant is
    /// allocated). It bounds the weighted imbalance of the arms (see the allocation module's
    /// documentation).
    pub fn imbalance(&self, covariates: &Covariates) -> Result<f64, AllocationError> {
        self.check(covariates)?;
        Ok(self.weighted_imbalance(covariates, None))
    }

    /// The score of each share for a new participant: the weighted range of the share counts
    /// if the participant were allocated to it.
    pub fn scores(&self, covariates: &Covariates) -> Result<Vec<f64>, AllocationError> {
        self.check(covariates)?;
        Ok((0..self.shares.len())
            .map(|s| self.weighted_imbalance(covariates, Some(s)))
            .collect())
    }

    /// Chooses the arm of a new participant, without recording it.
    pub fn choose(
        &self,
        covariates: &Covariates,
        rng: &mut ListRng,
    ) -> Result<usize, AllocationError> {
        self.check(covariates)?;
        Ok(self.shares[self.choose_share(covariates, rng)])
    }

    /// Draws the share of a new participant.
    fn choose_share(&self, covariates: &Covariates, rng: &mut ListRng) -> usize {
        const MAX_SHARES: usize = 32;
        let n = self.shares.len();
        let mut buffer = [0.0; MAX_SHARES];
        let mut heap = Vec::new();
        let scores: &mut [f64] = if n <= MAX_SHARES {
            &mut buffer[..n]
        } else {
            heap.resize(n, 0.0);
            &mut heap
        };
        for (s, score) in scores.iter_mut().enumerate() {
            *score = self.weighted_imbalance(covariates, Some(s));
        }
        let best = scores.iter().copied().fold(f64::INFINITY, f64::min);
        let tolerance = TIE * (1.0 + best.abs());
        let preferred = scores.iter().filter(|&&x| x - best <= tolerance).count();
        let pick_preferred = preferred == n || rng.chance(self.probability);
        let among = if pick_preferred {
            preferred
        } else {
            n - preferred
        };
        let ticket = rng.below(among);
        (0..n)
            .filter(|&s| (scores[s] - best <= tolerance) == pick_preferred)
            .nth(ticket)
            .unwrap_or_default()
    }

    fn record_share(&mut self, covariates: &Covariates, share: usize) {
        let n = self.shares.len();
        for i in 0..self.factors.len() {
            let row = self.row(i, covariates);
            self.counts[row * n + share] += 1;
        }
    }

    /// Records that a participant with these covariates was allocated to `arm`, whose share is
    /// not known: the arm's share with the fewest participants at these levels (the first of
    /// them on a tie). [`Minimiser::replay`] records the share the draw took; this is for an
    /// allocation the seed does not give (made by another version of the rule, say).
    pub fn record(&mut self, covariates: &Covariates, arm: usize) -> Result<(), AllocationError> {
        self.check(covariates)?;
        self.check_arm(arm)?;
        let load = |s: usize| -> u64 {
            (0..self.factors.len())
                .map(|i| u64::from(self.share_row(self.row(i, covariates))[s]))
                .sum()
        };
        let share = (0..self.shares.len())
            .filter(|&s| self.shares[s] == arm)
            .min_by_key(|&s| load(s))
            .expect("every arm has at least one share");
        self.record_share(covariates, share);
        Ok(())
    }

    /// Replays an earlier allocation of `arm`, drawn with `rng` (the generator of its sequence
    /// number): records the share the draw gives when it gives `arm`, and returns whether it
    /// did; otherwise records the allocation as [`Minimiser::record`] does and returns false.
    pub fn replay(
        &mut self,
        covariates: &Covariates,
        rng: &mut ListRng,
        arm: usize,
    ) -> Result<bool, AllocationError> {
        self.check(covariates)?;
        self.check_arm(arm)?;
        let share = self.choose_share(covariates, rng);
        if self.shares[share] == arm {
            self.record_share(covariates, share);
            Ok(true)
        } else {
            self.record(covariates, arm)?;
            Ok(false)
        }
    }

    /// Chooses and records the arm of a new participant. Replaying the same covariates in the
    /// same order with a generator made from the same seed gives the same allocations.
    pub fn allocate(
        &mut self,
        covariates: &Covariates,
        rng: &mut ListRng,
    ) -> Result<usize, AllocationError> {
        self.check(covariates)?;
        Ok(self.allocate_unchecked(covariates, rng))
    }

    pub(super) fn allocate_unchecked(
        &mut self,
        covariates: &Covariates,
        rng: &mut ListRng,
    ) -> usize {
        let share = self.choose_share(covariates, rng);
        self.record_share(covariates, share);
        self.shares[share]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allocation::simulate::draw_covariates;

    #[test]
    fn minimisation_draws_replay_from_the_seed() {
        use crate::study::WeightedFactor;
        let study =
            Study::from_toml(include_str!("../../../../studies/xs228-phase2.toml")).unwrap();
        let study = Study {
            randomisation: Some(Randomisation::Minimisation {
                factors: [Factor::Ais, Factor::Level, Factor::Site]
                    .map(|factor| WeightedFactor {
                        factor,
                        weight: 1.0,
                    })
                    .to_vec(),
                probability: 0.8,
            }),
            ..study
        };
        let run = |seed: u64| {
            let mut minimiser = Minimiser::new(&study).unwrap();
            let mut people = ListRng::new(0, ListStream::Simulation);
            (0..100)
                .map(|n| {
                    let c = draw_covariates(&mut people, 3);
                    let mut rng = ListRng::new(seed, ListStream::Minimisation(n));
                    minimiser.allocate(&c, &mut rng).unwrap()
                })
                .collect::<Vec<usize>>()
        };
        assert_eq!(run(4), run(4));
        assert_ne!(run(4), run(5));
    }
}

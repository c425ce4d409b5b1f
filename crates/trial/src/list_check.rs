//! Checking a stored randomisation list against its recorded seed: the slots of every stratum
//! (permuted blocks) or each minimisation draw, the kit list, and the allocations made from
//! them. Every difference is named; none names an arm.

use std::collections::BTreeMap;

use isncsci::Grade;

use crate::{
    kit_list, BlockList, Covariates, InjuryLevel, ListRng, ListStream, Minimiser, Randomisation,
    Study,
};

/// A slot of a stratum's list as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSlot {
    /// The stratum's index.
    pub stratum: i64,
    /// Its position in the stratum's list, from 0.
    pub position: i64,
    /// The arm it holds.
    pub arm_id: String,
    /// The participant who took it.
    pub participant_id: Option<i64>,
}

/// A kit as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredKit {
    /// Its number.
    pub number: String,
    /// Its arm.
    pub arm_id: String,
    /// Its dispensing rank.
    pub rank: i64,
    /// The participant it went to.
    pub participant_id: Option<i64>,
}

/// An allocation as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAllocation {
    /// The participant.
    pub participant_id: i64,
    /// Its number in randomisation order, from 1.
    pub sequence: i64,
    /// The stratum (permuted blocks).
    pub stratum: i64,
    /// The slot's position (permuted blocks).
    pub position: i64,
    /// The AIS grade's letter.
    pub ais: String,
    /// `cervical` or `thoracolumbar`.
    pub injury_level: String,
    /// The site's index in the study.
    pub site_index: i64,
    /// The arm.
    pub arm_id: String,
    /// The kit given.
    pub kit_number: String,
}

/// A stored list: its method's name, the seed as stored, the count of allocations it records,
/// and its rows.
#[derive(Clone, Debug)]
pub struct StoredList<'a> {
    /// `permuted-blocks` or `minimisation`.
    pub method: &'a str,
    /// The recorded seed, as stored.
    pub seed: &'a str,
    /// The allocations the list counts.
    pub allocated: i64,
    /// Its slots, by stratum and position.
    pub slots: &'a [StoredSlot],
    /// Its kits.
    pub kits: &'a [StoredKit],
    /// The allocations, in sequence order.
    pub allocations: &'a [StoredAllocation],
}

/// The generator of the `sequence`-th minimisation draw of a study randomised from `seed`: a
/// ChaCha20 stream of its own for each sequence number.
pub fn minimisation_rng(seed: u64, sequence: i64) -> ListRng {
    ListRng::new(seed, ListStream::Minimisation(sequence as u64))
}

/// A grade from its letter.
pub fn grade(letter: &str) -> Option<Grade> {
    Grade::ALL.into_iter().find(|g| g.letter() == letter)
}

/// An injury level from its name.
pub fn injury_level(name: &str) -> Option<InjuryLevel> {
    InjuryLevel::ALL.into_iter().find(|l| l.as_str() == name)
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Every difference between the stored list and what its seed gives (empty: it reproduces).
pub fn check_list(study: &Study, list: &StoredList<'_>) -> Vec<String> {
    let mut problems = Vec::new();
    let Ok(seed) = list.seed.parse::<u64>() else {
        problems.push("the stored seed is not a number".into());
        return problems;
    };
    for (n, a) in list.allocations.iter().enumerate() {
        if a.sequence != to_i64(n + 1) {
            problems.push(format!(
                "allocation {} has sequence number {}, expected {}",
                a.participant_id,
                a.sequence,
                n + 1
            ));
        }
    }
    if list.allocated != to_i64(list.allocations.len()) {
        problems.push(format!(
            "the list counts {} allocations; {} are stored",
            list.allocated,
            list.allocations.len()
        ));
    }
    match &study.randomisation {
        Some(Randomisation::PermutedBlocks { .. }) if list.method == "permuted-blocks" => {
            check_blocks(study, seed, list, &mut problems)
        }
        Some(Randomisation::Minimisation { .. }) if list.method == "minimisation" => {
            check_minimisation(study, seed, list, &mut problems)
        }
        _ => problems.push(format!(
            "the list was generated for {}, which the study definition no longer says",
            list.method
        )),
    }
    check_kits(study, seed, list, &mut problems);
    problems
}

fn arm_of(study: &Study, index: usize) -> Option<&str> {
    study.arms.get(index).map(|a| a.id.as_str())
}

/// Each stratum's slots are numbered from 0 without gaps, hold the arm the seed gives, and
/// each allocation took its slot.
fn check_blocks(study: &Study, seed: u64, list: &StoredList<'_>, problems: &mut Vec<String>) {
    let mut lengths: BTreeMap<i64, i64> = BTreeMap::new();
    for s in list.slots {
        let next = lengths.entry(s.stratum).or_default();
        if s.position != *next {
            problems.push(format!(
                "stratum {}: position {} follows position {}",
                s.stratum,
                s.position,
                *next - 1
            ));
        }
        *next = s.position + 1;
    }
    let longest = lengths.values().copied().max().unwrap_or(0);
    let generated = match BlockList::generate(study, seed, longest.max(1) as usize) {
        Ok(generated) => generated,
        Err(e) => {
            problems.push(format!("the list cannot be generated again: {e}"));
            return;
        }
    };
    for s in list.slots {
        let expected = generated
            .sequence(s.stratum as usize)
            .and_then(|q| q.allocations().get(s.position as usize))
            .and_then(|&a| arm_of(study, a));
        if expected != Some(s.arm_id.as_str()) {
            problems.push(format!(
                "slot {}/{} is not the one the seed gives",
                s.stratum, s.position
            ));
        }
    }
    for a in list.allocations {
        let slot = list
            .slots
            .iter()
            .find(|s| s.stratum == a.stratum && s.position == a.position);
        match slot {
            Some(s) if s.participant_id == Some(a.participant_id) && s.arm_id == a.arm_id => {}
            _ => problems.push(format!(
                "allocation {} does not match its slot {}/{}",
                a.sequence, a.stratum, a.position
            )),
        }
    }
}

/// Each allocation is the arm the minimiser draws from the seed, given the ones before it.
fn check_minimisation(study: &Study, seed: u64, list: &StoredList<'_>, problems: &mut Vec<String>) {
    let mut minimiser = match Minimiser::new(study) {
        Ok(minimiser) => minimiser,
        Err(e) => {
            problems.push(format!("the minimiser cannot be set up: {e}"));
            return;
        }
    };
    for a in list.allocations {
        let parts = (
            grade(&a.ais),
            injury_level(&a.injury_level),
            usize::try_from(a.site_index).ok(),
        );
        let covariates = match parts {
            (Some(ais), Some(level), Some(site)) => {
                Covariates::from_parts(study, ais, level, site).ok()
            }
            _ => None,
        };
        let Some(c) = covariates else {
            problems.push(format!("allocation {} has unknown covariates", a.sequence));
            continue;
        };
        let mut rng = minimisation_rng(seed, a.sequence);
        let arm = minimiser
            .choose(&c, &mut rng)
            .ok()
            .and_then(|i| arm_of(study, i));
        if arm != Some(a.arm_id.as_str()) {
            problems.push(format!(
                "allocation {} is not the one the seed gives",
                a.sequence
            ));
        }
        if let Some(stored) = study.arms.iter().position(|x| x.id == a.arm_id) {
            let _ = minimiser.record(&c, stored);
        }
    }
}

/// The kits are the ones the seed gives, and each allocation holds its kit.
fn check_kits(study: &Study, seed: u64, list: &StoredList<'_>, problems: &mut Vec<String>) {
    let expected = match kit_list(study, seed, list.kits.len()) {
        Ok(expected) => expected,
        Err(e) => {
            problems.push(format!("the kit list cannot be generated again: {e}"));
            return;
        }
    };
    if expected.len() != list.kits.len() {
        problems.push(format!(
            "{} kits are stored; the seed gives {}",
            list.kits.len(),
            expected.len()
        ));
    }
    for kit in &expected {
        match list.kits.iter().find(|k| k.number == kit.number) {
            Some(k)
                if Some(k.arm_id.as_str()) == arm_of(study, kit.arm)
                    && k.rank == i64::from(kit.rank) => {}
            _ => problems.push(format!("kit {} is not the one the seed gives", kit.number)),
        }
    }
    for a in list.allocations {
        match list.kits.iter().find(|k| k.number == a.kit_number) {
            Some(k) if k.participant_id == Some(a.participant_id) && k.arm_id == a.arm_id => {}
            _ => problems.push(format!(
                "allocation {} does not hold its kit {}",
                a.sequence, a.kit_number
            )),
        }
    }
}

//! Checking a stored randomisation list against its recorded seed: the slots of every stratum
//! (permuted blocks) or each minimisation draw, the kit list, and the allocations made from
//! them. Every difference is named; none names an arm.

use std::collections::BTreeMap;

use isncsci::Grade;

use crate::{
    kit_list, BlockList, Covariates, InjuryLevel, ListRng, ListStream, Minimiser, Randomisation,
    RandomisationMethod, Refusal, Study,
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
    /// The generator that made it ([`GENERATOR`] for a list made by this version), if recorded.
    pub generator: Option<&'a str>,
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

/// The generator of the lists this version makes and replays, recorded with each list: the
/// draws ([`crate::ListRng`], ChaCha20) and the rules over them (blocks; minimisation over the
/// shares of the ratio, see [`crate::Minimiser`]). A list made by another generator is not
/// replayed: its slots and allocations stand as stored, and `randomization verify` says so.
pub const GENERATOR: &str = "chacha20-shares-1";

/// How a list's method is written where it is stored.
pub fn method_name(method: RandomisationMethod) -> &'static str {
    match method {
        RandomisationMethod::PermutedBlocks => "permuted-blocks",
        RandomisationMethod::Minimisation => "minimisation",
    }
}

/// A list can be asked for: the study is randomised, with `per_stratum` slots (1 to 10,000) in
/// each stratum and `kits` kits (1 to 100,000). Its randomisation.
pub fn check_list_request(
    study: &Study,
    per_stratum: usize,
    kits: usize,
) -> Result<&Randomisation, Refusal> {
    let Some(randomisation) = &study.randomisation else {
        return Err(Refusal::conflict(
            "randomisation",
            format!(
                "study {} is not randomised (design = \"dose-escalation\")",
                study.id
            ),
        ));
    };
    if !(1..=10_000).contains(&per_stratum) {
        return Err(Refusal::invalid(
            "per_stratum",
            format!("{per_stratum} is not allowed (1 to 10000)"),
        ));
    }
    if !(1..=100_000).contains(&kits) {
        return Err(Refusal::invalid(
            "kits",
            format!("{kits} is not allowed (1 to 100000)"),
        ));
    }
    Ok(randomisation)
}

/// A list is generated once, before the first enrolment (`generated`: whether one exists;
/// `enrolled`: the participants enrolled so far). A study whose participants were enrolled
/// before its list existed (possible before enrolment waited for the list) is not stuck: the
/// list can still be generated with a `late_reason`, which the audit keeps. The list does not
/// depend on who is enrolled, so generating it late conceals as well; the reason says why the
/// order was broken. Returns the reason to record, when the list comes late.
pub fn check_list_generation<'r>(
    study: &Study,
    generated: bool,
    enrolled: i64,
    late_reason: Option<&'r str>,
) -> Result<Option<&'r str>, Refusal> {
    if generated {
        return Err(Refusal::conflict(
            "randomisation",
            format!(
                "the randomisation list of {} was already generated; it is never replaced",
                study.id
            ),
        ));
    }
    if enrolled == 0 {
        return Ok(None);
    }
    match late_reason.map(str::trim) {
        Some(reason) if !reason.is_empty() => Ok(Some(reason)),
        _ => Err(Refusal::conflict(
            "late_reason",
            format!(
                "the list should come before the first enrolment, but {enrolled} participants of {} \
                 are enrolled already; to generate it now, give late_reason (why enrolment came \
                 first), which the audit trail keeps",
                study.id
            ),
        )),
    }
}

/// A participant can be randomised from the stored list (`stored`: its method and seed as
/// stored, when generated): the list exists, was made for the method the study says, its seed
/// is intact, and the participant is not randomised yet. The study's randomisation and the
/// seed.
pub fn check_randomisable<'s>(
    study: &'s Study,
    stored: Option<(&str, &str)>,
    participant_id: i64,
    randomised: bool,
) -> Result<(&'s Randomisation, u64), Refusal> {
    let conflict = |message: String| Refusal::conflict("randomisation", message);
    let Some((method, seed)) = stored else {
        return Err(conflict(format!(
            "the randomisation list of {} has not been generated yet",
            study.id
        )));
    };
    if randomised {
        return Err(Refusal::conflict(
            "participant",
            format!("participant {participant_id} is already randomised; an allocation is final"),
        ));
    }
    let Some(randomisation) = &study.randomisation else {
        return Err(conflict(format!("study {} is not randomised", study.id)));
    };
    let wanted = method_name(randomisation.method());
    if wanted != method {
        return Err(conflict(format!(
            "the list was generated for {method}, but the study definition now says {wanted}"
        )));
    }
    let seed = seed
        .parse()
        .map_err(|_| conflict("the stored seed is not a number: the list is damaged".into()))?;
    Ok((randomisation, seed))
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
    if list.generator != Some(GENERATOR) {
        problems.push(format!(
            "the list was made by {}, which this version does not replay (it replays {GENERATOR}); \
             its slots and allocations stand as stored",
            list.generator
                .map(|g| format!("generator {g}"))
                .unwrap_or_else(|| "an earlier version (no generator recorded)".into())
        ));
        return problems;
    }
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
        let Some(stored) = study.arms.iter().position(|x| x.id == a.arm_id) else {
            problems.push(format!(
                "allocation {} is to an arm the study does not have",
                a.sequence
            ));
            continue;
        };
        let mut rng = minimisation_rng(seed, a.sequence);
        if !minimiser.replay(&c, &mut rng, stored).unwrap_or(false) {
            problems.push(format!(
                "allocation {} is not the one the seed gives",
                a.sequence
            ));
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

#[cfg(test)]
mod tests {
    use super::*;

    const PHASE1: &str = include_str!("../../../studies/xs228-phase1.toml");
    const PHASE2: &str = include_str!("../../../studies/xs228-phase2.toml");

    #[test]
    fn a_list_is_asked_for_a_randomised_study_in_range_once_before_enrolment() {
        let study = Study::from_toml(PHASE2).unwrap();
        assert!(check_list_request(&study, 12, 100).is_ok());
        assert_eq!(
            check_list_request(&study, 0, 100).unwrap_err().to_string(),
            "per_stratum: 0 is not allowed (1 to 10000)"
        );
        assert!(check_list_request(&study, 12, 100_001).is_err());
        let escalation = Study::from_toml(PHASE1).unwrap();
        assert!(check_list_request(&escalation, 12, 100).is_err());
        assert_eq!(check_list_generation(&study, false, 0, None), Ok(None));
        // Not late: a reason changes nothing.
        assert_eq!(check_list_generation(&study, false, 0, Some("x")), Ok(None));
        assert!(check_list_generation(&study, true, 0, None)
            .unwrap_err()
            .to_string()
            .contains("never replaced"));
        assert!(check_list_generation(&study, true, 3, Some("late"))
            .unwrap_err()
            .to_string()
            .contains("never replaced"));
        // Participants enrolled before the list: the way out is a reason, kept in the audit.
        for missing in [None, Some(""), Some("  ")] {
            let refused = check_list_generation(&study, false, 3, missing).unwrap_err();
            assert!(matches!(&refused, Refusal::Conflict { field, .. } if field == "late_reason"));
            assert!(refused
                .to_string()
                .contains("3 participants of XS228-P2 are enrolled"));
        }
        assert_eq!(
            check_list_generation(&study, false, 3, Some(" enrolled under v1.0 ")),
            Ok(Some("enrolled under v1.0"))
        );
    }

    #[test]
    fn a_participant_is_randomised_once_from_an_intact_list_of_the_study_s_method() {
        let study = Study::from_toml(PHASE2).unwrap();
        let (_, seed) =
            check_randomisable(&study, Some(("permuted-blocks", "42")), 7, false).unwrap();
        assert_eq!(seed, 42);
        assert!(check_randomisable(&study, None, 7, false)
            .unwrap_err()
            .to_string()
            .contains("has not been generated yet"));
        assert!(
            check_randomisable(&study, Some(("permuted-blocks", "42")), 7, true)
                .unwrap_err()
                .to_string()
                .contains("already randomised")
        );
        assert!(
            check_randomisable(&study, Some(("minimisation", "42")), 7, false)
                .unwrap_err()
                .to_string()
                .contains(
                    "generated for minimisation, but the study definition now says permuted-blocks"
                )
        );
        assert!(check_randomisable(&study, Some(("permuted-blocks", "x")), 7, false).is_err());
    }

    #[test]
    fn a_list_made_from_its_seed_checks_and_a_changed_slot_or_kit_does_not() {
        let study = Study::from_toml(PHASE2).unwrap();
        let blocks = BlockList::generate(&study, 9, 6).unwrap();
        let mut slots = Vec::new();
        for sequence in blocks.sequences() {
            for (position, &arm) in sequence.allocations().iter().enumerate() {
                slots.push(StoredSlot {
                    stratum: sequence.stratum().index as i64,
                    position: position as i64,
                    arm_id: study.arms[arm].id.clone(),
                    participant_id: None,
                });
            }
        }
        let kits: Vec<StoredKit> = kit_list(&study, 9, 30)
            .unwrap()
            .into_iter()
            .map(|k| StoredKit {
                number: k.number,
                arm_id: study.arms[k.arm].id.clone(),
                rank: i64::from(k.rank),
                participant_id: None,
            })
            .collect();
        let made_by = |generator, slots: &[StoredSlot], kits: &[StoredKit]| {
            check_list(
                &study,
                &StoredList {
                    method: "permuted-blocks",
                    generator,
                    seed: "9",
                    allocated: 0,
                    slots,
                    kits,
                    allocations: &[],
                },
            )
        };
        let list = |slots: &[StoredSlot], kits: &[StoredKit]| made_by(Some(GENERATOR), slots, kits);
        assert_eq!(list(&slots, &kits), Vec::<String>::new());
        // Made by an earlier version: not replayed, and said so.
        for other in [None, Some("splitmix64-1")] {
            let problems = made_by(other, &slots, &kits);
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert!(problems[0].contains("which this version does not replay"));
        }
        let mut changed = slots.clone();
        changed[3].arm_id = if changed[3].arm_id == study.arms[0].id {
            study.arms[1].id.clone()
        } else {
            study.arms[0].id.clone()
        };
        let problems = list(&changed, &kits);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].ends_with("is not the one the seed gives"));
        assert!(
            !problems[0].contains(&study.arms[0].id) && !problems[0].contains(&study.arms[1].id)
        );
        let mut moved = kits.clone();
        moved[0].rank += 1;
        assert_eq!(list(&slots, &moved).len(), 1);
    }
}

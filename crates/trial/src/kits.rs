//! The scrambled kit list of a blinded study: numbered kits, each holding one arm's product in
//! identical packaging.
//!
//! A kit number must not reveal its arm. The numbers rise with random gaps from a random start
//! (so that neither a count nor a gap tells anything), every label has the same format
//! whatever the arm, the arms are spread over the numbers in their ratio in a random order, and
//! each kit has a random dispensing rank, independent of its number, that decides which free
//! kit of an arm is given next (so that the order in which numbers are used does not group the
//! kits of one arm either). Deterministic from the seed, like the allocation list, and drawn
//! from the same generator ([`ListRng`], ChaCha20) on a stream of its own.

use crate::allocation::{AllocationError, ListRng, ListStream};
use crate::study::{Design, Study};

/// One kit of the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kit {
    /// The label, `K` and six digits: the same format for every arm.
    pub number: String,
    /// The arm (index in the study's arms).
    pub arm: usize,
    /// The dispensing rank: among the free kits of an arm, the lowest rank goes first.
    pub rank: u32,
}

/// A kit list of `count` kits (rounded up to a whole number of ratio cycles) for a randomised
/// study, from `seed`.
pub fn kit_list(study: &Study, seed: u64, count: usize) -> Result<Vec<Kit>, AllocationError> {
    if study.design != Design::Randomised || study.arms.is_empty() {
        return Err(AllocationError::NotRandomised(study.id.clone()));
    }
    let cycle: usize = study
        .arms
        .iter()
        .map(|a| a.ratio as usize)
        .sum::<usize>()
        .max(1);
    let count = count.div_ceil(cycle) * cycle;
    // A stream of its own, so that the kits do not depend on the allocation list's draws.
    let mut rng = ListRng::new(seed, ListStream::Kits);
    let mut arms = Vec::with_capacity(count);
    while arms.len() < count {
        for (arm, a) in study.arms.iter().enumerate() {
            arms.extend(std::iter::repeat_n(arm, a.ratio as usize));
        }
    }
    rng.shuffle(&mut arms);
    let mut ranks: Vec<u32> = (0..count as u32).collect();
    rng.shuffle(&mut ranks);
    let mut number = 100_000 + rng.below(400_000);
    let kits = arms
        .into_iter()
        .zip(ranks)
        .map(|(arm, rank)| {
            number += 1 + rng.below(9);
            Kit {
                number: format!("K{number:06}"),
                arm,
                rank,
            }
        })
        .collect();
    Ok(kits)
}

/// A kit is dispensed to the participant it is allocated to (`allocated`: its number and when
/// it was dispensed), once.
pub fn check_dispensing(
    participant_id: i64,
    allocated: Option<(&str, Option<&str>)>,
    kit_number: &str,
) -> Result<(), crate::Refusal> {
    let Some((allocated, dispensed)) = allocated else {
        return Err(crate::Refusal::conflict(
            "participant",
            format!("participant {participant_id} is not randomised"),
        ));
    };
    if allocated != kit_number {
        return Err(crate::Refusal::invalid(
            "kit_number",
            format!(
                "{kit_number:?} is not the kit allocated to participant {participant_id} (allowed: {allocated})"
            ),
        ));
    }
    if let Some(at) = dispensed {
        return Err(crate::Refusal::conflict(
            "kit_number",
            format!("kit {kit_number} was already dispensed at {at}"),
        ));
    }
    Ok(())
}

/// An emergency unblinding needs its reason (trimmed).
pub fn unblinding_reason(reason: &str) -> Result<&str, crate::Refusal> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(crate::Refusal::invalid(
            "reason",
            "is required: why the participant's allocation must be known",
        ));
    }
    Ok(reason)
}

/// A participant is unblinded in an emergency once: a second request (`earlier`: when the
/// first was recorded) is refused naming the participant, so nothing is recorded or notified
/// again. Whoever unblinded has the arm already; the refusal names none.
pub fn check_not_unblinded(
    participant_id: i64,
    earlier: Option<&str>,
) -> Result<(), crate::Refusal> {
    match earlier {
        None => Ok(()),
        Some(at) => Err(crate::Refusal::conflict(
            "participant",
            format!(
                "participant {participant_id} was already unblinded in an emergency at {at}: \
                 an unblinding is done once per participant"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_participant_is_unblinded_once() {
        assert_eq!(check_not_unblinded(7, None), Ok(()));
        let refused = check_not_unblinded(7, Some("2026-11-02T10:00:00.000000Z")).unwrap_err();
        assert!(
            matches!(&refused, crate::Refusal::Conflict { field, .. } if field == "participant"),
            "{refused:?}"
        );
        let text = refused.to_string();
        assert!(
            text.contains("participant 7") && text.contains("once"),
            "{text}"
        );
    }

    const PHASE2: &str = include_str!("../../../studies/xs228-phase2.toml");
    const PHASE1: &str = include_str!("../../../studies/xs228-phase1.toml");

    #[test]
    fn kits_are_unique_same_format_in_ratio_and_reproducible() {
        let study = Study::from_toml(PHASE2).unwrap();
        let kits = kit_list(&study, 7, 100).unwrap();
        assert_eq!(kits.len(), 102);
        let mut numbers: Vec<&str> = kits.iter().map(|k| k.number.as_str()).collect();
        assert!(numbers.iter().all(|n| n.len() == 7
            && n.starts_with('K')
            && n[1..].bytes().all(|b| b.is_ascii_digit())));
        numbers.dedup();
        assert_eq!(numbers.len(), 102);
        let active = kits.iter().filter(|k| k.arm == 0).count();
        assert_eq!(active, 68);
        let mut ranks: Vec<u32> = kits.iter().map(|k| k.rank).collect();
        ranks.sort_unstable();
        assert_eq!(ranks, (0..102).collect::<Vec<u32>>());
        assert_eq!(kit_list(&study, 7, 100).unwrap(), kits);
        assert_ne!(kit_list(&study, 8, 100).unwrap(), kits);
        // Not in blocks by arm: both arms appear among the first ten numbers.
        assert!(kits[..10].iter().any(|k| k.arm == 0) && kits[..10].iter().any(|k| k.arm == 1));
    }

    #[test]
    fn a_dose_escalation_study_has_no_kit_list() {
        let study = Study::from_toml(PHASE1).unwrap();
        assert!(matches!(
            kit_list(&study, 1, 10),
            Err(AllocationError::NotRandomised(_))
        ));
    }

    #[test]
    fn only_the_allocated_kit_is_dispensed_once() {
        assert!(check_dispensing(3, Some(("K000123", None)), "K000123").is_ok());
        assert!(check_dispensing(3, None, "K000123").is_err());
        assert_eq!(
            check_dispensing(3, Some(("K000123", None)), "K999999")
                .unwrap_err()
                .to_string(),
            "kit_number: \"K999999\" is not the kit allocated to participant 3 (allowed: K000123)"
        );
        assert!(check_dispensing(
            3,
            Some(("K000123", Some("2026-01-01T00:00:00.000000Z"))),
            "K000123"
        )
        .is_err());
        assert_eq!(unblinding_reason("  anaphylaxis "), Ok("anaphylaxis"));
        assert!(unblinding_reason(" ").is_err());
    }
}

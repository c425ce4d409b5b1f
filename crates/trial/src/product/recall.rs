//! A recall: the sponsor or the qualified person marks a lot as recalled, giving the reason,
//! signed with the password re-entered. No unit of the lot that was not given may then ship
//! or be given (the bedside names the recall and its reason), and whom to contact is listed:
//! each site that holds units of the lot or whose participants were given one, those
//! participants and the sites' investigators. The list names sites and participants only —
//! a lot holds active and placebo units labelled alike, so it reveals no one's treatment.

use crate::error::Refusal;
use crate::product::release::LotState;
use crate::role::Role;

/// Who may recall a lot: the sponsor (its administrator) and the qualified person.
pub const RECALLERS: &[Role] = &[Role::SponsorAdmin, Role::QualifiedPerson];

/// Whether someone holding `roles` in the study may recall one of its lots.
pub fn may_recall(roles: &[Role]) -> bool {
    roles.iter().any(|r| RECALLERS.contains(r))
}

/// The lot's state after a recall for `reason`, or why it cannot be recalled: the reason is
/// required (at most 500 characters); a rejected lot is not to be given already, and a lot is
/// recalled once.
pub fn recall(state: &LotState, reason: &str) -> Result<LotState, Refusal> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Refusal::invalid("reason", "is required to recall a lot"));
    }
    if reason.chars().count() > 500 {
        return Err(Refusal::invalid("reason", "must be at most 500 characters"));
    }
    match state {
        LotState::Rejected { .. } => Err(Refusal::conflict(
            "state",
            "the lot is rejected: none of its units may be given, there is nothing to recall",
        )),
        LotState::Recalled { .. } => Err(Refusal::conflict("state", "the lot is recalled already")),
        LotState::Quarantined | LotState::Released | LotState::ConditionallyReleased { .. } => {
            Ok(LotState::Recalled {
                reason: reason.to_owned(),
            })
        }
    }
}

/// Where a recalled lot's units are: a site with the units it holds that were not given, and
/// the participants there who were given one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteToContact {
    /// The site.
    pub site_id: String,
    /// Its units of the lot not given (now unusable).
    pub units_held: u32,
    /// Its participants given a unit of the lot, by id, each once.
    pub participants: Vec<i64>,
}

/// The sites to contact about a recalled lot, by site id: each site holding units of the lot
/// that were not given (`held`: the site of each such unit) or whose participants were given
/// one (`dosed`: participant and site of each administration).
pub fn sites_to_contact(held: &[String], dosed: &[(i64, String)]) -> Vec<SiteToContact> {
    let mut sites: Vec<SiteToContact> = Vec::new();
    fn entry<'a>(sites: &'a mut Vec<SiteToContact>, site: &str) -> &'a mut SiteToContact {
        let at = match sites.binary_search_by(|s| s.site_id.as_str().cmp(site)) {
            Ok(i) => i,
            Err(i) => {
                sites.insert(
                    i,
                    SiteToContact {
                        site_id: site.to_owned(),
                        units_held: 0,
                        participants: Vec::new(),
                    },
                );
                i
            }
        };
        &mut sites[at]
    }
    for site in held {
        entry(&mut sites, site).units_held += 1;
    }
    for (participant, site) in dosed {
        let s = entry(&mut sites, site);
        if let Err(i) = s.participants.binary_search(participant) {
            s.participants.insert(i, *participant);
        }
    }
    sites
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sponsor_and_the_qualified_person_recall() {
        assert!(may_recall(&[Role::SponsorAdmin]));
        assert!(may_recall(&[Role::Monitor, Role::QualifiedPerson]));
        for other in [
            Role::Qc,
            Role::Investigator,
            Role::UnblindedPharmacist,
            Role::DataManager,
        ] {
            assert!(!may_recall(&[other]), "{other:?}");
        }
        assert!(!may_recall(&[]));
    }

    #[test]
    fn a_recall_needs_a_reason_and_a_lot_not_rejected_or_recalled() {
        let recalled = LotState::Recalled {
            reason: "mislabelled vials".into(),
        };
        assert_eq!(
            recall(&LotState::Released, "  mislabelled vials "),
            Ok(recalled.clone())
        );
        assert_eq!(
            recall(
                &LotState::ConditionallyReleased {
                    pending: vec!["sterility".into()]
                },
                "mislabelled vials"
            ),
            Ok(recalled.clone())
        );
        assert_eq!(
            recall(&LotState::Quarantined, "mislabelled vials"),
            Ok(recalled.clone())
        );
        let refused = |state: &LotState, reason: &str| recall(state, reason).unwrap_err();
        assert!(matches!(
            refused(&LotState::Released, "  "),
            Refusal::Invalid { field, .. } if field == "reason"
        ));
        assert!(matches!(
            refused(&LotState::Released, &"x".repeat(501)),
            Refusal::Invalid { field, .. } if field == "reason"
        ));
        let rejected = LotState::Rejected {
            reason: "sterility".into(),
        };
        assert!(refused(&rejected, "again")
            .to_string()
            .contains("the lot is rejected"));
        assert!(refused(&recalled, "again")
            .to_string()
            .contains("recalled already"));
    }

    #[test]
    fn a_recalled_lot_is_not_usable() {
        let state = recall(&LotState::Released, "label mix-up").unwrap();
        assert!(!state.usable());
        assert_eq!(state.name(), "recalled");
    }

    #[test]
    fn the_sites_to_contact_hold_units_or_dosed_participants() {
        let held = ["b".to_string(), "a".to_string(), "b".to_string()];
        let dosed = [
            (7, "c".to_string()),
            (3, "b".to_string()),
            (7, "c".to_string()),
        ];
        assert_eq!(
            sites_to_contact(&held, &dosed),
            vec![
                SiteToContact {
                    site_id: "a".into(),
                    units_held: 1,
                    participants: vec![],
                },
                SiteToContact {
                    site_id: "b".into(),
                    units_held: 2,
                    participants: vec![3],
                },
                SiteToContact {
                    site_id: "c".into(),
                    units_held: 0,
                    participants: vec![7],
                },
            ]
        );
        assert!(sites_to_contact(&[], &[]).is_empty());
    }
}

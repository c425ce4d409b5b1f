//! Custody of units: linking a unit to a kit (the unblinded pharmacist's step that keeps the
//! kit the blinded face of the product), hand-overs of a shipment, the documented decision on
//! a shipment's excursion or logger gap, and the administration record's own values.

use time::OffsetDateTime;

use crate::error::Refusal;

/// Where a unit is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnitStatus {
    /// In store or in transit, not yet given.
    Available,
    /// Given to a participant.
    Used,
    /// Not to be given (a decision on its shipment's condition).
    Rejected,
}

impl UnitStatus {
    /// The name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            UnitStatus::Available => "available",
            UnitStatus::Used => "used",
            UnitStatus::Rejected => "rejected",
        }
    }

    /// The status of a stored name (`None` for anything else).
    pub fn parse(name: &str) -> Option<UnitStatus> {
        [
            UnitStatus::Available,
            UnitStatus::Used,
            UnitStatus::Rejected,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }
}

/// What the store knows when a unit is linked to a kit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkFacts<'a> {
    /// The unit's label.
    pub label: &'a str,
    /// Whether the unit is a placebo unit.
    pub unit_placebo: bool,
    /// The kit the unit is already linked to.
    pub unit_kit: Option<&'a str>,
    /// The unit's status.
    pub status: UnitStatus,
    /// The kit.
    pub kit: &'a str,
    /// Whether the kit's arm is the placebo arm.
    pub kit_placebo: bool,
    /// The label of the unit the kit already holds.
    pub kit_unit: Option<&'a str>,
    /// The site the unit was shipped to (received), if any.
    pub unit_site: Option<&'a str>,
    /// The site of the kit's participant.
    pub kit_site: &'a str,
}

/// Refuses a link with the first reason that applies.
pub fn check_link(f: &LinkFacts<'_>) -> Result<(), Refusal> {
    if let Some(kit) = f.unit_kit {
        return Err(Refusal::conflict(
            "unit",
            format!("unit {} is linked to kit {kit} already", f.label),
        ));
    }
    if let Some(unit) = f.kit_unit {
        return Err(Refusal::conflict(
            "kit_number",
            format!("kit {} holds unit {unit} already", f.kit),
        ));
    }
    if f.status != UnitStatus::Available {
        return Err(Refusal::conflict(
            "unit",
            format!("unit {} is {}, not available", f.label, f.status.as_str()),
        ));
    }
    if f.unit_site != Some(f.kit_site) {
        return Err(Refusal::conflict(
            "unit",
            format!(
                "unit {} has not been received at site {}",
                f.label, f.kit_site
            ),
        ));
    }
    if f.unit_placebo != f.kit_placebo {
        return Err(Refusal::conflict(
            "unit",
            format!(
                "unit {} is not of the treatment kit {} was allocated",
                f.label, f.kit
            ),
        ));
    }
    Ok(())
}

/// Checks a hand-over: a place and a party it comes from, not in the future, not before the
/// shipment's previous hand-over.
pub fn check_handover(
    from: &str,
    place: &str,
    at: OffsetDateTime,
    previous: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Result<(), Refusal> {
    if from.trim().is_empty() {
        return Err(Refusal::invalid(
            "from",
            "is required: who hands the shipment over",
        ));
    }
    if place.trim().is_empty() {
        return Err(Refusal::invalid(
            "place",
            "is required: where the shipment is handed over",
        ));
    }
    if at > now {
        return Err(Refusal::invalid("at", "is in the future"));
    }
    if let Some(before) = previous {
        if at < before {
            return Err(Refusal::invalid(
                "at",
                "is before the shipment's previous hand-over",
            ));
        }
    }
    Ok(())
}

/// The qualified person's documented decision on an excursion or a logger gap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConditionDecision {
    /// The units may be used.
    Use,
    /// The shipment's units are rejected.
    Reject,
}

impl ConditionDecision {
    /// Every decision's name.
    pub const NAMES: [&'static str; 2] = ["use", "reject"];

    /// The name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionDecision::Use => "use",
            ConditionDecision::Reject => "reject",
        }
    }
}

/// Reads a decision on an excursion that has `earlier` (its decision, if taken): refused when
/// decided already, when the decision is not one of [`ConditionDecision::NAMES`] or without a
/// reason.
pub fn decide_condition(
    earlier: Option<&str>,
    decision: &str,
    reason: &str,
) -> Result<ConditionDecision, Refusal> {
    if let Some(taken) = earlier {
        return Err(Refusal::conflict(
            "decision",
            format!("the excursion was decided already ({taken})"),
        ));
    }
    let decided = match decision {
        "use" => ConditionDecision::Use,
        "reject" => ConditionDecision::Reject,
        other => {
            return Err(Refusal::not_allowed(
                "decision",
                other,
                &ConditionDecision::NAMES,
            ))
        }
    };
    if reason.trim().is_empty() {
        return Err(Refusal::invalid(
            "reason",
            "is required: the decision is documented",
        ));
    }
    Ok(decided)
}

/// The routes a unit is given by.
pub const ROUTES: [&str; 1] = ["intrathecal"];

/// The lumbar puncture levels.
pub const PUNCTURE_LEVELS: [&str; 4] = ["L2-L3", "L3-L4", "L4-L5", "L5-S1"];

/// Checks the administration record's own values: the route, the lumbar puncture level and
/// the dose in cells (0 to 10^10: a placebo unit's record carries the dose its label states).
pub fn check_record(route: &str, level: &str, dose_cells: i64) -> Result<(), Refusal> {
    if !ROUTES.contains(&route) {
        return Err(Refusal::not_allowed("route", route, &ROUTES));
    }
    if !PUNCTURE_LEVELS.contains(&level) {
        return Err(Refusal::not_allowed(
            "puncture_level",
            level,
            &PUNCTURE_LEVELS,
        ));
    }
    if !(1..=10_000_000_000).contains(&dose_cells) {
        return Err(Refusal::invalid(
            "dose_cells",
            "must be a count of cells from 1 to 10000000000",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn facts() -> LinkFacts<'static> {
        LinkFacts {
            label: "G123498654321H",
            unit_placebo: false,
            unit_kit: None,
            status: UnitStatus::Available,
            kit: "K100001",
            kit_placebo: false,
            kit_unit: None,
            unit_site: Some("SYSU3"),
            kit_site: "SYSU3",
        }
    }

    #[test]
    fn a_link_is_refused_for_each_reason() {
        assert_eq!(check_link(&facts()), Ok(()));
        let cases: [(LinkFacts<'static>, &str); 6] = [
            (
                LinkFacts {
                    unit_kit: Some("K1"),
                    ..facts()
                },
                "unit: unit G123498654321H is linked to kit K1 already",
            ),
            (
                LinkFacts {
                    kit_unit: Some("X"),
                    ..facts()
                },
                "kit_number: kit K100001 holds unit X already",
            ),
            (
                LinkFacts {
                    status: UnitStatus::Used,
                    ..facts()
                },
                "unit: unit G123498654321H is used, not available",
            ),
            (
                LinkFacts {
                    unit_site: None,
                    ..facts()
                },
                "unit: unit G123498654321H has not been received at site SYSU3",
            ),
            (
                LinkFacts {
                    unit_site: Some("PUMCH"),
                    ..facts()
                },
                "unit: unit G123498654321H has not been received at site SYSU3",
            ),
            (
                LinkFacts {
                    unit_placebo: true,
                    ..facts()
                },
                "unit: unit G123498654321H is not of the treatment kit K100001 was allocated",
            ),
        ];
        for (f, message) in cases {
            assert_eq!(check_link(&f).unwrap_err().to_string(), message);
        }
        let both_placebo = LinkFacts {
            unit_placebo: true,
            kit_placebo: true,
            ..facts()
        };
        assert_eq!(check_link(&both_placebo), Ok(()));
    }

    #[test]
    fn hand_overs_keep_their_order() {
        let now = datetime!(2026-03-02 12:00 UTC);
        let at = datetime!(2026-03-02 10:00 UTC);
        assert_eq!(check_handover("courier", "dock", at, None, now), Ok(()));
        assert_eq!(check_handover("courier", "dock", at, Some(at), now), Ok(()));
        let later = Some(datetime!(2026-03-02 11:00 UTC));
        assert!(check_handover("courier", "dock", at, later, now)
            .unwrap_err()
            .to_string()
            .contains("before the shipment's previous"));
        assert!(check_handover(
            "courier",
            "dock",
            now + time::Duration::minutes(1),
            None,
            now
        )
        .unwrap_err()
        .to_string()
        .contains("future"));
        assert!(check_handover(" ", "dock", at, None, now).is_err());
        assert!(check_handover("courier", "", at, None, now).is_err());
    }

    #[test]
    fn an_excursion_is_decided_once_with_a_reason() {
        assert_eq!(
            decide_condition(
                None,
                "use",
                "peak -140 °C for 10 minutes, within stability data"
            ),
            Ok(ConditionDecision::Use)
        );
        assert_eq!(
            decide_condition(None, "reject", "warm"),
            Ok(ConditionDecision::Reject)
        );
        assert_eq!(
            decide_condition(None, "keep", "x").unwrap_err().to_string(),
            "decision: \"keep\" is not allowed (allowed: use, reject)"
        );
        assert!(decide_condition(None, "use", " ").is_err());
        assert!(decide_condition(Some("use"), "use", "again")
            .unwrap_err()
            .to_string()
            .contains("decided already"));
    }

    #[test]
    fn the_record_names_route_level_and_dose() {
        assert_eq!(check_record("intrathecal", "L3-L4", 10_000_000), Ok(()));
        assert!(check_record("intravenous", "L3-L4", 1).is_err());
        assert!(check_record("intrathecal", "T12-L1", 1).is_err());
        assert!(check_record("intrathecal", "L3-L4", 0).is_err());
        assert!(check_record("intrathecal", "L3-L4", 10_000_000_001).is_err());
        for s in [
            UnitStatus::Available,
            UnitStatus::Used,
            UnitStatus::Rejected,
        ] {
            assert_eq!(UnitStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(UnitStatus::parse("lost"), None);
    }
}

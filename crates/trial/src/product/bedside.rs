//! At the bedside: whether this unit may be given to this participant now.
//!
//! The unblinded pharmacist scans the participant's kit and the unit. The unit is refused, with
//! the reason, when it belongs to another participant's kit, its lot is not released (or
//! conditionally released), it has expired, a temperature excursion or a logger gap awaits a
//! decision, it was already used, it was thawed too long ago, or its endotoxin per kilogram of
//! this recipient is over the intrathecal limit.

use time::{Date, Duration, OffsetDateTime};

use crate::error::Refusal;
use crate::product::release::LotState;

/// The intrathecal endotoxin limit, EU per kg of body weight (domain brief §5).
pub const INTRATHECAL_ENDOTOXIN_EU_PER_KG: f64 = 0.2;

/// What the store knows of a unit when it is scanned.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitFacts {
    /// The unit's label (its DIN and check character).
    pub label: String,
    /// The kit the unit was assigned to (none in an open-label study, which has no kits).
    pub kit: Option<String>,
    /// Whether it is a placebo unit.
    pub placebo: bool,
    /// Its lot's state.
    pub lot: LotState,
    /// The lot's expiry.
    pub expires_on: Date,
    /// A temperature excursion or logger gap without a documented decision.
    pub condition_hold: bool,
    /// Already given (or destroyed).
    pub used: bool,
    /// When it was thawed, if it was.
    pub thawed_at: Option<OffsetDateTime>,
    /// Endotoxin of the lot in EU/mL, when measured.
    pub endotoxin_eu_per_ml: Option<f64>,
}

/// The administration about to be recorded.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Administration<'a> {
    /// The kit the participant was dispensed; none in an open-label study, where the unit is
    /// scanned against the participant directly.
    pub participant_kit: Option<&'a str>,
    /// The time of injection.
    pub at: OffsetDateTime,
    /// The volume injected, mL.
    pub volume_ml: f64,
    /// The participant's weight, kg.
    pub weight_kg: f64,
}

/// Refuses the unit with the first reason that applies, naming the field.
pub fn check_unit(
    unit: &UnitFacts,
    given: &Administration<'_>,
    thaw_limit: Duration,
) -> Result<(), Refusal> {
    match (unit.kit.as_deref(), given.participant_kit) {
        (Some(kit), Some(theirs)) if kit == theirs => {}
        (Some(kit), Some(theirs)) => {
            return Err(Refusal::conflict(
                "unit",
                format!(
                    "unit {} belongs to kit {kit}, not this participant's kit {theirs}",
                    unit.label
                ),
            ))
        }
        (Some(kit), None) => {
            return Err(Refusal::conflict(
                "unit",
                format!(
                    "unit {} belongs to kit {kit}; this participant has no kit",
                    unit.label
                ),
            ))
        }
        (None, Some(theirs)) => {
            return Err(Refusal::conflict(
                "unit",
                format!(
                    "unit {} is linked to no kit; this participant's kit is {theirs}",
                    unit.label
                ),
            ))
        }
        (None, None) if unit.placebo => {
            return Err(Refusal::conflict(
                "unit",
                format!(
                    "unit {} is a placebo unit; an open-label participant is given the product",
                    unit.label
                ),
            ))
        }
        (None, None) => {}
    }
    if unit.used {
        return Err(Refusal::conflict(
            "unit",
            format!("unit {} was already used", unit.label),
        ));
    }
    if let LotState::Recalled { reason } = &unit.lot {
        return Err(Refusal::conflict(
            "unit",
            format!("unit {}'s lot was recalled: {reason}", unit.label),
        ));
    }
    if !unit.lot.usable() {
        return Err(Refusal::conflict(
            "unit",
            format!(
                "unit {}'s lot is {}, not released",
                unit.label,
                unit.lot.name()
            ),
        ));
    }
    if given.at.date() > unit.expires_on {
        return Err(Refusal::conflict(
            "unit",
            format!("unit {} expired on {}", unit.label, unit.expires_on),
        ));
    }
    if unit.condition_hold {
        return Err(Refusal::conflict(
            "unit",
            format!(
                "unit {} is quarantined after a temperature excursion or logger gap until a \
                 documented decision",
                unit.label
            ),
        ));
    }
    let Some(thawed) = unit.thawed_at else {
        return Err(Refusal::conflict(
            "thawed_at",
            format!("unit {} has no thaw recorded", unit.label),
        ));
    };
    if given.at < thawed {
        return Err(Refusal::invalid(
            "at",
            "the injection cannot be before the thaw",
        ));
    }
    if given.at - thawed > thaw_limit {
        return Err(Refusal::conflict(
            "at",
            format!(
                "{} minutes since thaw, over the product's limit of {} minutes",
                (given.at - thawed).whole_minutes(),
                thaw_limit.whole_minutes()
            ),
        ));
    }
    if !(given.volume_ml.is_finite() && given.volume_ml > 0.0 && given.volume_ml <= 20.0) {
        return Err(Refusal::invalid(
            "volume_ml",
            "must be a volume over 0 and at most 20 mL",
        ));
    }
    if !(given.weight_kg.is_finite() && (20.0..=300.0).contains(&given.weight_kg)) {
        return Err(Refusal::invalid("weight_kg", "must be 20 to 300 kg"));
    }
    if let Some(eu_per_ml) = unit.endotoxin_eu_per_ml {
        let per_kg = eu_per_ml * given.volume_ml / given.weight_kg;
        if per_kg > INTRATHECAL_ENDOTOXIN_EU_PER_KG {
            return Err(Refusal::conflict(
                "unit",
                format!(
                    "endotoxin {per_kg:.3} EU/kg for this participant, over the intrathecal \
                     limit of {INTRATHECAL_ENDOTOXIN_EU_PER_KG} EU/kg"
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;

    fn unit() -> UnitFacts {
        UnitFacts {
            label: "G123498654321H".into(),
            kit: Some("K-0007".into()),
            placebo: false,
            lot: LotState::Released,
            expires_on: date!(2026 - 06 - 30),
            condition_hold: false,
            used: false,
            thawed_at: Some(datetime!(2026-03-02 09:00 UTC)),
            endotoxin_eu_per_ml: Some(0.5),
        }
    }

    fn given() -> Administration<'static> {
        Administration {
            participant_kit: Some("K-0007"),
            at: datetime!(2026-03-02 09:40 UTC),
            volume_ml: 5.0,
            weight_kg: 70.0,
        }
    }

    fn refusal(u: &UnitFacts, g: &Administration<'_>) -> String {
        check_unit(u, g, Duration::minutes(60))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_good_unit_passes_and_each_fault_is_named() {
        assert_eq!(check_unit(&unit(), &given(), Duration::minutes(60)), Ok(()));
        let other = Administration {
            participant_kit: Some("K-0008"),
            ..given()
        };
        assert!(refusal(&unit(), &other).contains("belongs to kit K-0007"));
        let used = UnitFacts {
            used: true,
            ..unit()
        };
        assert!(refusal(&used, &given()).contains("already used"));
        let quarantined = UnitFacts {
            lot: LotState::Quarantined,
            ..unit()
        };
        assert!(refusal(&quarantined, &given()).contains("lot is quarantined"));
        let recalled = UnitFacts {
            lot: LotState::Recalled {
                reason: "label mix-up".into(),
            },
            ..unit()
        };
        assert!(refusal(&recalled, &given()).contains("lot was recalled: label mix-up"));
        let conditional = UnitFacts {
            lot: LotState::ConditionallyReleased {
                pending: vec!["sterility".into()],
            },
            ..unit()
        };
        assert_eq!(
            check_unit(&conditional, &given(), Duration::minutes(60)),
            Ok(())
        );
        let expired = UnitFacts {
            expires_on: date!(2026 - 03 - 01),
            ..unit()
        };
        assert!(refusal(&expired, &given()).contains("expired on 2026-03-01"));
        let hold = UnitFacts {
            condition_hold: true,
            ..unit()
        };
        assert!(refusal(&hold, &given()).contains("excursion"));
        let late = Administration {
            at: datetime!(2026-03-02 10:01 UTC),
            ..given()
        };
        assert_eq!(
            refusal(&unit(), &late),
            "at: 61 minutes since thaw, over the product's limit of 60 minutes"
        );
        let on_time = Administration {
            at: datetime!(2026-03-02 10:00 UTC),
            ..given()
        };
        assert_eq!(check_unit(&unit(), &on_time, Duration::minutes(60)), Ok(()));
    }

    #[test]
    fn an_open_label_participant_is_given_a_product_unit_of_no_kit() {
        let open = UnitFacts {
            kit: None,
            ..unit()
        };
        let no_kit = Administration {
            participant_kit: None,
            ..given()
        };
        assert_eq!(check_unit(&open, &no_kit, Duration::minutes(60)), Ok(()));
        let placebo = UnitFacts {
            placebo: true,
            ..open.clone()
        };
        assert!(refusal(&placebo, &no_kit).contains("is a placebo unit"));
        assert!(refusal(&unit(), &no_kit)
            .contains("belongs to kit K-0007; this participant has no kit"));
        assert!(refusal(&open, &given()).contains("is linked to no kit"));
    }

    #[test]
    fn endotoxin_is_judged_per_kilogram_of_this_recipient() {
        // 0.5 EU/mL × 5 mL = 2.5 EU: 0.036 EU/kg at 70 kg; 4 EU/mL × 5 mL / 70 kg = 0.286.
        let high = UnitFacts {
            endotoxin_eu_per_ml: Some(4.0),
            ..unit()
        };
        assert!(refusal(&high, &given()).contains("0.286 EU/kg"));
        // 2.8 EU/mL × 5 mL / 70 kg = exactly 0.2: at the limit, allowed.
        let at_limit = UnitFacts {
            endotoxin_eu_per_ml: Some(2.8),
            ..unit()
        };
        assert_eq!(
            check_unit(&at_limit, &given(), Duration::minutes(60)),
            Ok(())
        );
        let light = Administration {
            weight_kg: 50.0,
            ..given()
        };
        assert!(refusal(&at_limit, &light).contains("0.280 EU/kg"));
    }
}

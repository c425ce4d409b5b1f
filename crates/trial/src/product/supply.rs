//! A site's supply: which units on site can still be given (its stock), the last day a unit
//! may ship, and when a site's stock crosses the product's minimum, which asks for a resupply
//! once per crossing (not on every look at the stock).

use time::{Date, Duration};

use crate::product::release::LotState;

/// What the store knows of a unit at a site.
#[derive(Clone, Debug, PartialEq)]
pub struct StockUnit {
    /// Its lot's state.
    pub lot: LotState,
    /// The lot's expiry.
    pub expires_on: Date,
    /// A temperature excursion or logger gap awaiting a decision.
    pub condition_hold: bool,
    /// Still available: not given, not rejected.
    pub available: bool,
    /// Received at the site (its shipment's custody ended there).
    pub received: bool,
}

/// Whether a unit on site counts in its stock on `today`: received, available, of a released
/// (or conditionally released) lot, not expired, not held for its condition.
pub fn usable(unit: &StockUnit, today: Date) -> bool {
    unit.received
        && unit.available
        && unit.lot.usable()
        && today <= unit.expires_on
        && !unit.condition_hold
}

/// The last day a unit expiring on `expires_on` may ship: it must arrive with `min_days_on_site`
/// days to spare after `shipping_lead_days` on the way.
pub fn last_ship_date(expires_on: Date, shipping_lead_days: u32, min_days_on_site: u32) -> Date {
    expires_on - Duration::days(i64::from(shipping_lead_days) + i64::from(min_days_on_site))
}

/// Whether a site's usable stock calls for a resupply: at or below its minimum.
pub fn needs_resupply(usable_stock: u32, minimum: u32) -> bool {
    usable_stock <= minimum
}

/// A crossing of a site's minimum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Crossing {
    /// The stock fell to the minimum or below: ask for a resupply (once).
    Low,
    /// The stock rose above the minimum again: the next fall asks again.
    Restocked,
}

/// What a new stock level means for a site that `was_low` (had crossed down and not back up):
/// a crossing, or nothing when it stays on the same side.
pub fn crossing(was_low: bool, usable_stock: u32, minimum: u32) -> Option<Crossing> {
    match (was_low, needs_resupply(usable_stock, minimum)) {
        (false, true) => Some(Crossing::Low),
        (true, false) => Some(Crossing::Restocked),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn unit() -> StockUnit {
        StockUnit {
            lot: LotState::Released,
            expires_on: date!(2026 - 06 - 30),
            condition_hold: false,
            available: true,
            received: true,
        }
    }

    #[test]
    fn only_usable_units_count() {
        let today = date!(2026 - 06 - 30);
        assert!(usable(&unit(), today));
        assert!(!usable(&unit(), date!(2026 - 07 - 01)));
        for u in [
            StockUnit {
                received: false,
                ..unit()
            },
            StockUnit {
                available: false,
                ..unit()
            },
            StockUnit {
                condition_hold: true,
                ..unit()
            },
            StockUnit {
                lot: LotState::Quarantined,
                ..unit()
            },
            StockUnit {
                lot: LotState::Rejected {
                    reason: "sterility".into(),
                },
                ..unit()
            },
        ] {
            assert!(!usable(&u, today), "{u:?}");
        }
        let conditional = StockUnit {
            lot: LotState::ConditionallyReleased {
                pending: vec!["sterility".into()],
            },
            ..unit()
        };
        assert!(usable(&conditional, today));
    }

    #[test]
    fn supply_dates_and_levels() {
        assert_eq!(
            last_ship_date(date!(2026 - 06 - 30), 3, 14),
            date!(2026 - 06 - 13)
        );
        assert!(needs_resupply(2, 2));
        assert!(!needs_resupply(3, 2));
    }

    #[test]
    fn a_crossing_is_told_once_each_way() {
        assert_eq!(crossing(false, 3, 2), None);
        assert_eq!(crossing(false, 2, 2), Some(Crossing::Low));
        assert_eq!(crossing(true, 1, 2), None);
        assert_eq!(crossing(true, 0, 2), None);
        assert_eq!(crossing(true, 3, 2), Some(Crossing::Restocked));
        assert_eq!(crossing(false, 0, 0), Some(Crossing::Low));
    }
}

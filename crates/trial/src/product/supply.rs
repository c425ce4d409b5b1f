//! A site's supply: which units on site can still be given (its stock), the last day a unit
//! may ship, and when a site's stock crosses the product's minimum, which asks for a resupply
//! once per crossing (not on every look at the stock). Writes that change the stock look at it;
//! units that expire change it with no write, so a sweep ([`expiry_sweep`]) looks at every site
//! as of a date.

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

/// A site as the expiry sweep sees it: its units not given, and whether it was low (had
/// crossed down and not back up) when last looked at.
#[derive(Clone, Debug, PartialEq)]
pub struct SiteUnits {
    /// The site.
    pub site_id: String,
    /// Whether the site was low.
    pub was_low: bool,
    /// Its units (received or on their way, not given).
    pub units: Vec<StockUnit>,
}

/// A crossing the sweep found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepCrossing {
    /// The site.
    pub site_id: String,
    /// Its usable stock on the sweep's date.
    pub stock: u32,
    /// Units that would be usable but for their expiry.
    pub expired: u32,
    /// Which way it crossed.
    pub crossing: Crossing,
}

/// The sites whose usable stock on `today` crossed the `minimum` since they were last looked
/// at: the stock falls when units expire, which no write notices. Sites that stay on the side
/// they were on are not listed, so sweeping again on the same day finds nothing.
pub fn expiry_sweep(sites: &[SiteUnits], today: Date, minimum: u32) -> Vec<SweepCrossing> {
    sites
        .iter()
        .filter_map(|site| {
            let stock = count(site.units.iter().filter(|u| usable(u, today)));
            let expired = count(site.units.iter().filter(|u| {
                today > u.expires_on
                    && usable(
                        &StockUnit {
                            expires_on: today,
                            ..(*u).clone()
                        },
                        today,
                    )
            }));
            crossing(site.was_low, stock, minimum).map(|crossing| SweepCrossing {
                site_id: site.site_id.clone(),
                stock,
                expired,
                crossing,
            })
        })
        .collect()
}

fn count<T>(items: impl Iterator<Item = T>) -> u32 {
    u32::try_from(items.count()).unwrap_or(u32::MAX)
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
            StockUnit {
                lot: LotState::Recalled {
                    reason: "label mix-up".into(),
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

    #[test]
    fn the_sweep_finds_the_sites_that_expiry_took_to_their_minimum_once() {
        let early = StockUnit {
            expires_on: date!(2026 - 06 - 10),
            ..unit()
        };
        let late = unit();
        let held = StockUnit {
            condition_hold: true,
            expires_on: date!(2026 - 06 - 10),
            ..unit()
        };
        let sites = |was_low: bool| {
            vec![
                SiteUnits {
                    site_id: "a".into(),
                    was_low,
                    units: vec![early.clone(), early.clone(), late.clone(), held.clone()],
                },
                SiteUnits {
                    site_id: "b".into(),
                    was_low: false,
                    units: vec![late.clone(), late.clone(), late.clone()],
                },
            ]
        };
        // Before the expiry: site a has 3 usable units, above its minimum of 2.
        assert!(expiry_sweep(&sites(false), date!(2026 - 06 - 10), 2).is_empty());
        // The day after, two expired: a falls to 1, b stays at 3.
        assert_eq!(
            expiry_sweep(&sites(false), date!(2026 - 06 - 11), 2),
            vec![SweepCrossing {
                site_id: "a".into(),
                stock: 1,
                expired: 2,
                crossing: Crossing::Low,
            }]
        );
        // Once told (a is low), sweeping again finds nothing.
        assert!(expiry_sweep(&sites(true), date!(2026 - 06 - 11), 2).is_empty());
        // A low site restocked above its minimum crosses back up, so the next fall is told.
        let restocked = expiry_sweep(&sites(true), date!(2026 - 06 - 10), 2);
        assert_eq!(restocked.len(), 1);
        assert_eq!(restocked[0].crossing, Crossing::Restocked);
        assert_eq!(restocked[0].expired, 0);
    }
}

//! The cell product (issue #17): the identity of its units (ISBT 128), the product definition
//! and lot release, the condition of a shipment (its temperature logger's file), and the checks
//! at the bedside and of a site's supply; custody (the kit ↔ unit link, hand-overs, decisions
//! on a shipment's condition, the administration record), the doses of a participant's
//! schedule (`dosing`), a site's stock (`supply`) and a lot's recall (`recall`). They are
//! stored by `store::product`.

pub mod bedside;
pub mod custody;
pub mod dosing;
pub mod isbt128;
pub mod logger;
pub mod recall;
pub mod release;
pub mod supply;

//! The cell product: the identity of its units (ISBT 128) and the condition of a shipment (its
//! temperature logger's file); lots, release, custody and the bedside are to come (issue #17).

pub mod isbt128;
pub mod logger;

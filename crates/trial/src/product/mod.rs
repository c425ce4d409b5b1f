//! The cell product: the identity of its units (ISBT 128), and later lots, release, custody and
//! condition (issue #17).

pub mod isbt128;

//! # export
//!
//! The files a sponsor sends to regulators, written from data the caller passes: pure writers
//! with no database and no clock (the caller gives the creation time).
//!
//! - [`xpt`]: SAS transport files, version 5 (the format FDA and China's CDE take SDTM and ADaM
//!   datasets in): IBM floating point, 8-character names, 40-character labels, values up to 200
//!   bytes; anything that does not fit is refused naming the dataset, the variable and the
//!   record.
//!
//! - [`sdtm`]: the SDTM datasets of a study, mapped from what the store holds (DM, AE, DS, SV,
//!   CM, VS, QS, the ISNCSCI findings in NV, and the trial design domains), read through the
//!   store (which audits each export) a batch of participants at a time and written one XPT
//!   file per domain, in memory that does not grow with the study. Arms only in an unblinded
//!   export.
//!
//! - [`odm`]: CDISC ODM 1.3.2, the casebooks with their audit trail, streamed; and its
//!   import ([`odm::import`]): another system's clinical data read, validated by the rules of a
//!   save and written in one audited write of the store, or refused whole.
//!
//! - [`png`]: an SVG figure drawn as a PNG (for documents that take no SVG), its text with the
//!   machine's fonts.

#![forbid(unsafe_code)]

pub mod odm;
pub mod png;
pub mod sdtm;
pub mod xpt;

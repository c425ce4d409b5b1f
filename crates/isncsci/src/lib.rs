//! # isncsci
//!
//! The International Standards for Neurological Classification of Spinal Cord Injury (ISNCSCI),
//! 2019 revision: a typed exam, parsing of the flat exam layout, and the complete
//! classification, printed exactly as the standard's reference implementation prints it.
//!
//! The crate is pure: no I/O, no dependencies, no allocation in the classification.
//!
//! ```
//! use isncsci::{Exam, Level, MotorLevel, MotorValue, SensoryValue, Anal};
//!
//! // A complete C6 injury: normal down to C6, nothing below.
//! let mut exam = Exam::normal();
//! exam.anal_contraction = Anal::No;
//! exam.anal_sensation = Anal::No;
//! for side in [&mut exam.right, &mut exam.left] {
//!     for m in MotorLevel::ALL.into_iter().filter(|m| *m > MotorLevel::C6) {
//!         side.motor[m.index()] = MotorValue::parse("0").unwrap();
//!     }
//!     for level in Level::DERMATOMES.into_iter().filter(|l| *l > Level::C6) {
//!         side.set_touch(level, SensoryValue::parse("0").unwrap());
//!         side.set_prick(level, SensoryValue::parse("0").unwrap());
//!     }
//! }
//! let result = exam.classify();
//! assert_eq!(result.neurological_level.to_string(), "C6");
//! assert_eq!(result.ais.to_string(), "A");
//! assert_eq!(result.totals.upper_motor.to_string(), "20");
//! assert_eq!(result.right_sensory_zpp.to_string(), "C6");
//!
//! // The same exam from the flat layout (the conformance file's keys), one field at a time.
//! let mut builder = isncsci::flat::ExamBuilder::new();
//! for (key, value) in isncsci::flat::fields(&exam) {
//!     builder.set(&key, value).unwrap();
//! }
//! assert_eq!(builder.finish().unwrap(), exam);
//! ```
//!
//! Where `NT` values leave a result open, the result is the set of possibilities (`A,B`,
//! `C5,C6`); a `*` marks a possibility that rests on values flagged as impaired by a non-SCI
//! condition. See [`Classification`] for the 25 results and their names.

#![warn(missing_docs)]

mod classify;
mod exam;
pub mod flat;
mod level;
mod result;
pub mod synth;
mod value;

pub use exam::{Exam, SideExam};
pub use level::{Level, MotorLevel, Side};
pub use result::{
    Ais, Classification, Completeness, Grade, LevelResult, Levels, LevelsIter, ResultValue, Total,
    Totals,
};
pub use value::{
    Anal, Flag, MotorValue, SensoryValue, ANAL_ALLOWED, MOTOR_ALLOWED, SENSORY_ALLOWED,
};

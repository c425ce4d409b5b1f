//! The trial domain's integration tests, one binary (pure: no I/O but reading the shipped
//! study definitions).

mod allocation;
mod analysis;
mod chinese;
mod common;
mod eligibility;
mod forms;
mod labs;
mod safety;
mod schedule;
mod studies;
mod validation;

//! The stats crate against scipy and statsmodels (the recorded fixtures of
//! `tools/python/stats_fixtures.py`), its properties, and its refusals of bad input.

mod errors;
mod fixtures;
mod mi;
mod ols;
mod properties;
mod proportions;
mod ranks;
mod survival;
mod tables;
mod ttest;

//! The store's integration tests, one binary: every test runs on a fresh SQLite file and on a
//! fresh PostgreSQL database.
//!
//! PostgreSQL comes from `TEST_DATABASE_URL` (CI: `postgres://postgres@127.0.0.1:5432/test`);
//! each run creates its own database there. Without it the PostgreSQL half says it was
//! skipped, unless `SCITRIAL_REQUIRE_POSTGRES` is set, as CI sets it. A failure names the
//! database it happened on.

mod allocation;
mod analysis;
mod audit_pages;
mod common;
mod dsmb;
mod escalation;
mod exam_home;
mod labs;
mod lock;
mod mail;
mod passwords;
mod product;
mod product_bench;
mod product_dosing;
mod races;
mod safety;
mod safety_cases;
mod schema;
mod story;
mod submission;
mod tamper;
mod upgrade;

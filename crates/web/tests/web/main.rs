//! The web crate's integration tests, one binary: the API, allocation and the pages through the
//! real server on port 0, each test over a fresh SQLite file and a fresh PostgreSQL database
//! (from `TEST_DATABASE_URL`; skipped with a message when absent, unless
//! `SCITRIAL_REQUIRE_POSTGRES` is set, as CI sets it), a failure naming the database it happened
//! on; and the pages in a real browser (`cargo test -p web --test web browser -- --nocapture`).

mod allocation;
mod api;
mod browser;
mod browser_cases;
mod browser_dsmb;
mod browser_forms;
mod browser_journey;
mod browser_labs;
mod browser_layout;
mod browser_lock;
mod browser_nav;
mod browser_product;
mod browser_safety;
mod browser_walk;
mod common;
mod contract;
mod dashboard;
mod defects;
mod demo;
mod dsmb;
mod e2b;
mod exports;
mod forms;
mod journey_pages;
mod labs;
mod languages;
mod lock;
mod login;
mod mail;
mod nav;
mod page_times;
mod pages;
mod product;
mod product_follow_pages;
mod product_pages;
mod product_recall;
mod report_figures;
mod safety;
mod safety_cases;
mod safety_pages;

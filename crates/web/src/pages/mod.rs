//! The web pages: server-rendered HTML (askama templates in `crates/web/templates`, escaped by
//! default) with small hand-written scripts and styles (`crates/web/static`), in English and
//! Simplified Chinese.
//!
//! Pages read through the same access rules ([`crate::access`]) and [`store::Store`] queries as
//! the API (the caller's scope filters participants by site in SQL), and every change is made by
//! the page script through the existing JSON API with the session's CSRF token: the pages add no
//! write path of their own, except the login form, which is protected by a double-submit token.
//!
//! One file per page feature, each with its `routes()`, registered in [`routes`] with one line;
//! a page feature imports the page plumbing ([`shell`], [`i18n`], [`chart`]) and the crate's
//! plumbing, never the API's handlers nor another page feature.
//!
//! - [`shell`] — viewer, page context, rendering, errors, static files, login form, language.
//! - [`i18n`] — the message table; [`i18n_journey`] — the journey pages' messages;
//!   [`i18n_errors`] — the API's error answers in the page's language (`X-Scitrial-Lang`),
//!   with the refusal sentences in [`i18n_refusals`] and [`i18n_refusals_api`] (checked against the sources by a test).
//! - [`chart`] — the SVG charts of scores over visits.
//! - [`when`] — instants as pages show them, in a site's zone with the zone named; [`labels`]
//!   — visits, forms and fields by their names.
//! - [`dashboard`], [`participants`], [`queries`], [`notifications`] — the study's pages.
//! - [`safety`] — adverse events, reporting clocks, the DSMB.
//! - [`journey`] — screening, a participant's journey (enrol, visit dates, randomise, unblind,
//!   correct the screening data, end), the pharmacist's kits; [`allocation`] — the
//!   randomisation list and its generation; [`cohorts`] — the Phase I cohort page.
//! - [`studies`] — the user's studies and the start of their work ([`landing`], by role).
//! - [`audit`] — the audit trail, filtered and paged; [`admin`] — the study's accounts;
//!   [`credentials`] — changing and resetting a password.
//! - [`product`] — the cell product: definition, banks, lots and their release, units and
//!   labels, locations, shipments and custody, the logger's excursions, the bedside, the trace
//!   (strings in [`i18n_product`]).
//! - [`worksheet`] — the ISNCSCI worksheet (calculator at `/isncsci`, and a visit's form).
//! - [`analysis`] — the report of the analyses (pooled or by arm).
//! - [`submission`] — the data manager's downloads: ODM, SDTM datasets, Define-XML.
//! - [`lock`] — the database lock and the study's unblinding ([`i18n_results`]: its messages).
//! - [`ecrf`] — every other form of a visit, generated from the study definition; the data
//!   manager's table of forms by state, site and visit.

pub mod admin;
pub mod allocation;
pub mod analysis;
pub mod audit;
pub mod chart;
pub mod cohorts;
pub mod credentials;
pub mod dashboard;
pub mod ecrf;
pub mod i18n;
pub mod i18n_errors;
pub mod i18n_journey;
pub mod i18n_labs;
pub mod i18n_nav;
pub mod i18n_product;
pub mod i18n_product_follow;
pub mod i18n_refusals;
pub mod i18n_refusals_api;
pub mod i18n_results;
#[cfg(test)]
mod i18n_scan;
pub mod journey;
pub mod labels;
pub mod labs;
pub mod landing;
pub mod lock;
pub mod notifications;
pub mod participants;
pub mod product;
pub mod queries;
pub mod safety;
pub mod shell;
pub mod studies;
pub mod submission;
pub mod when;
pub mod worksheet;

use axum::Router;

use crate::app::AppState;
pub use i18n::{Lang, Texts};
pub use shell::{
    asset_url, encode, error_page, html, label, redirect, render, Ctx, Viewer, LANG_COOKIE,
    LOGIN_COOKIE,
};

/// The routes of the pages, merged into [`crate::router`]. Registering a page feature is one
/// line here.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(shell::routes())
        .merge(dashboard::routes())
        .merge(participants::routes())
        .merge(queries::routes())
        .merge(notifications::routes())
        .merge(safety::routes())
        .merge(worksheet::routes())
        .merge(ecrf::routes())
        .merge(journey::routes())
        .merge(cohorts::routes())
        .merge(studies::routes())
        .merge(audit::routes())
        .merge(admin::routes())
        .merge(credentials::routes())
        .merge(labs::routes())
        .merge(allocation::routes())
        .merge(product::routes())
        .merge(lock::routes())
        .merge(analysis::routes())
        .merge(submission::routes())
}

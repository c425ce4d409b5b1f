//! Who performs each operation of the API: the page a person does it on, or the operator's or
//! a machine's use. Every operation of [`super::FEATURES`] has exactly one entry here (a test
//! checks), and a write done on a page names the page's own files (template, script, or the
//! page's Rust that builds the call) where the call is made: the test reads those files and
//! fails when the call is not there. README's "What works today" says which operations are
//! the operator's.

/// How a person (or a program) performs an operation.
#[derive(Clone, Copy, Debug)]
pub enum By {
    /// A write made on a page: the page's route, the files (under `crates/web/`) where the
    /// page makes the call, and what of the call's path they hold (its last segments).
    Page(&'static str, &'static [&'static str], &'static str),
    /// A read whose records a page shows (pages read the store; the API answers programs).
    Shows(&'static str),
    /// Not a person's work in a page: the operator's, a program's, or a machine's, and why.
    Machine(&'static str),
}

use By::*;

const PARTICIPANT: &str = "/studies/{study}/participants/{id}";
const JOURNEY: &str = "/studies/{study}/participants/{id}/journey";
const ECRF: &str = "/studies/{study}/participants/{id}/visits/{visit}/ecrf/{form}";
const EVENT: &str = "/studies/{study}/participants/{id}/adverse-events/{ae}";
const CASE: &str = "/studies/{study}/safety/cases/{ae}";
const USERS: &str = "/studies/{study}/users";
const LABS: &str = "/studies/{study}/labs";
const RANDOMISATION: &str = "/studies/{study}/randomisation";
const PARTICIPANT_LABS: &str = "/studies/{study}/participants/{id}/labs";
const PRODUCT: &str = "/studies/{study}/product";
const LOT: &str = "/studies/{study}/product/lots/{lot}";
const SHIPMENT: &str = "/studies/{study}/product/shipments/{shipment}";
const BEDSIDE: &str = "/studies/{study}/product/bedside";
const EVENTS: &str = "/studies/{study}/product/events";

/// Every operation by its `operationId`, and who performs it.
pub const PERFORMED: &[(&str, By)] = &[
    // Session and the account's own.
    ("login", Machine("people sign in on the login page's form (POST /login, the page's own route); the API's login is for programs")),
    ("logout", Page("every page (the header's sign-out)", &["static/app.js"], "/api/logout")),
    ("me", Shows("/account")),
    ("changePassword", Page("/account", &["templates/account.html"], "/api/me/password")),
    ("requestPasswordReset", Page("/password-reset", &["templates/password_reset.html"], "/api/password-reset")),
    ("resetPassword", Page("/password-reset/confirm", &["templates/password_reset.html"], "/api/password-reset/confirm")),
    ("listStudies", Shows("/studies")),
    ("healthz", Machine("the load balancer's health check")),
    ("openapi", Machine("the API's contract, for programs and the contract test")),
    ("classifyExam", Page("/isncsci", &["static/worksheet.js"], "/api/isncsci/classify")),
    // Accounts.
    ("listUsers", Shows(USERS)),
    ("createUser", Page(USERS, &["templates/admin_users.html"], "/api/users")),
    ("assignRole", Page(USERS, &["templates/admin_users.html"], "/roles")),
    ("removeRole", Page(USERS, &["templates/admin_users.html"], "/roles/removal")),
    ("setAccountState", Page(USERS, &["templates/admin_users.html"], "/state")),
    ("setUserEmail", Page(USERS, &["templates/admin_users.html"], "/email")),
    // Participants and their journey.
    ("listParticipants", Shows("/studies/{study}/participants")),
    ("getParticipant", Shows(PARTICIPANT)),
    ("screenParticipant", Page("/studies/{study}/screening", &["src/pages/journey.rs", "templates/journey_screen.html"], "/participants")),
    ("enrolParticipant", Page(JOURNEY, &["templates/journey.html"], "/enrolment")),
    ("endParticipation", Page(JOURNEY, &["templates/journey.html"], "/end")),
    ("correctParticipant", Page(JOURNEY, &["templates/journey.html"], "/corrections")),
    ("recordVisit", Page(JOURNEY, &["src/pages/journey.rs", "templates/journey.html"], "/visits/")),
    // The eCRF.
    ("listForms", Shows(PARTICIPANT)),
    ("saveForm", Page(ECRF, &["src/pages/ecrf/mod.rs"], "/visits/{}/forms/{}\", encode(visit), encode(form))")),
    ("scoreForm", Page(ECRF, &["src/pages/ecrf/mod.rs", "static/ecrf.js"], "/score")),
    // The worksheet saves the ISNCSCI form (the same operation, `saveForm`) from its own page.
    ("verifyForm", Page(PARTICIPANT, &["src/pages/participants.rs"], "/verification")),
    ("lockForm", Page(ECRF, &["src/pages/ecrf/mod.rs"], "/lock")),
    ("unlockForm", Page(ECRF, &["src/pages/ecrf/mod.rs"], "/unlock")),
    ("signVisit", Page(PARTICIPANT, &["src/pages/participants.rs"], "{visit_api}/signature")),
    ("signCasebook", Page(PARTICIPANT, &["src/pages/participants.rs"], "{api}/signature")),
    ("listSignatures", Shows(PARTICIPANT)),
    // Queries.
    ("raiseQuery", Page(ECRF, &["src/pages/ecrf/mod.rs"], "/queries")),
    ("listQueries", Shows("/studies/{study}/queries")),
    ("answerQuery", Page(PARTICIPANT, &["templates/participant.html", "src/pages/ecrf/mod.rs"], "/answer")),
    ("closeQuery", Page(PARTICIPANT, &["templates/participant.html", "src/pages/ecrf/mod.rs"], "/close")),
    ("reopenQuery", Page(PARTICIPANT, &["templates/participant.html"], "/reopen")),
    // Allocation.
    ("getRandomisation", Shows(RANDOMISATION)),
    ("generateRandomisation", Page(RANDOMISATION, &["src/pages/allocation.rs", "templates/randomisation.html"], "/api/studies/{}/randomisation")),
    ("randomiseParticipant", Page(JOURNEY, &["templates/journey.html"], "/randomisation")),
    ("listKits", Shows("/studies/{study}/kits")),
    ("dispenseKit", Page("/studies/{study}/kits", &["templates/kits.html"], "/dispensing")),
    ("emergencyUnblind", Page(JOURNEY, &["templates/journey.html"], "/unblinding")),
    ("listNotifications", Shows("/studies/{study}/notifications")),
    ("acknowledgeNotification", Page("/studies/{study}/notifications", &["templates/notifications.html"], "/read")),
    // Dose escalation.
    ("getCohorts", Shows("/studies/{study}/cohorts")),
    ("assignDoseLevel", Page("/studies/{study}/cohorts", &["src/pages/cohorts.rs", "templates/journey.html"], "/dose-level")),
    ("overrideDoseLevel", Page("/studies/{study}/cohorts", &["templates/cohorts.html"], "/override")),
    ("recordDltAssessment", Page(JOURNEY, &["templates/journey.html", "templates/safety_dsmb_dlt.html"], "/dlt")),
    ("listDltCandidates", Shows("/studies/{study}/participants/{id}/dlt")),
    // The audit trail.
    ("getAuditTrail", Shows("/studies/{study}/audit")),
    ("exportStudyAuditTrail", Page("/studies/{study}/audit", &["src/pages/audit.rs"], "/audit.csv")),
    ("exportAuditTrail", Machine("the whole installation's trail, for the operator (`scitrial audit export` does the same); a study's trail is downloaded from the audit page")),
    // Safety.
    ("listAdverseEvents", Shows(PARTICIPANT)),
    ("recordAdverseEvent", Page("/studies/{study}/participants/{id}/adverse-events/new", &["static/adverse_event.js"], "/adverse-events")),
    ("getAdverseEvent", Shows(EVENT)),
    ("changeAdverseEvent", Page(EVENT, &["static/adverse_event.js"], "/adverse-events")),
    ("signAdverseEvent", Page(EVENT, &["src/pages/safety/events.rs"], "/signature")),
    ("searchTerms", Page(EVENT, &["src/pages/safety/events.rs", "static/adverse_event.js"], "/terms")),
    ("reportSae", Page("/studies/{study}/safety", &["templates/safety_clocks.html"], "/sae-report")),
    ("listSafetyClocks", Shows("/studies/{study}/safety")),
    ("getSafetyCase", Shows(CASE)),
    ("assessSafetyCase", Page(CASE, &["templates/safety_case.html"], "/assessment")),
    ("recordExpeditedReport", Page(CASE, &["templates/safety_case.html"], "/reports")),
    ("exportE2b", Page(CASE, &["templates/safety_case.html"], "/e2b")),
    ("exportNarrative", Page(CASE, &["templates/safety_case.html"], "/narrative")),
    ("getSafetyTables", Shows("/studies/{study}/safety/dsmb")),
    ("getStoppingRules", Shows("/studies/{study}/safety/dsmb")),
    ("listDsmbDecisions", Shows("/studies/{study}/safety/dsmb")),
    ("recordDsmbDecision", Page("/studies/{study}/safety/dsmb", &["templates/safety_dsmb.html"], "/safety/dsmb-decisions")),
    // Laboratory results.
    ("listLabTests", Shows(PARTICIPANT_LABS)),
    ("listLabRanges", Shows(LABS)),
    ("loadLabRanges", Page(LABS, &["templates/labs_study.html"], "/labs/ranges")),
    ("importLabResults", Page(LABS, &["templates/labs_study.html"], "/labs/import")),
    ("listLabResults", Shows(PARTICIPANT_LABS)),
    ("recordLabResult", Page(PARTICIPANT_LABS, &["templates/labs.html"], "/labs")),
    ("acceptLabProposal", Page(PARTICIPANT_LABS, &["templates/labs.html"], "/accept")),
    ("dismissLabProposal", Page(PARTICIPANT_LABS, &["templates/labs.html"], "/dismiss")),
    ("getLabSafetyTables", Shows("/studies/{study}/safety/dsmb")),
    // The cell product.
    ("getProductDefinition", Shows(PRODUCT)),
    ("loadProductDefinition", Page(PRODUCT, &["templates/product.html"], "/product/definition")),
    ("listBanks", Shows(PRODUCT)),
    ("createBank", Page(PRODUCT, &["templates/product.html"], "/product/banks")),
    ("listLots", Shows(PRODUCT)),
    ("createLot", Page(PRODUCT, &["templates/product.html"], "/product/lots")),
    ("getLot", Shows(LOT)),
    ("listLotUnits", Shows(LOT)),
    ("addUnits", Page(LOT, &["templates/product_lot.html"], "/units")),
    ("recordReleaseResult", Page(LOT, &["templates/product_lot.html"], "/results")),
    ("decideLot", Page(LOT, &["templates/product_lot.html"], "/decision")),
    ("recallLot", Page(LOT, &["templates/product_lot.html"], "/recall")),
    ("getLotRecall", Shows(LOT)),
    ("listLocations", Shows(PRODUCT)),
    ("createLocation", Page(PRODUCT, &["templates/product.html"], "/product/locations")),
    ("listShipments", Shows(PRODUCT)),
    ("createShipment", Page(PRODUCT, &["templates/product.html"], "/product/shipments")),
    ("getShipment", Shows(SHIPMENT)),
    ("recordHandover", Page(SHIPMENT, &["templates/product_shipment.html"], "/handovers")),
    ("importLoggerFile", Page(SHIPMENT, &["templates/product_shipment.html"], "/logger")),
    ("decideExcursion", Page(SHIPMENT, &["templates/product_shipment.html"], "/excursions/{{ e.id }}/decision")),
    ("linkKitUnit", Page(BEDSIDE, &["templates/product_bedside.html"], "/product/kits/{kit_number}/unit")),
    ("administerUnit", Page(BEDSIDE, &["templates/product_bedside.html"], "/administrations")),
    ("traceLot", Shows("/studies/{study}/product/lots/{lot}/trace")),
    ("traceParticipant", Shows("/studies/{study}/participants/{id}/product")),
    ("listDoses", Shows("/studies/{study}/participants/{id}/doses")),
    ("listExposure", Shows("/studies/{study}/product/exposure")),
    ("getSupply", Shows("/studies/{study}/product/supply")),
    ("listProductEvents", Shows(EVENTS)),
    ("closeProductEvent", Page(EVENTS, &["templates/product_events.html"], "/close")),
    // The database lock, the study's unblinding and the results.
    ("getDatabaseLock", Shows("/studies/{study}/lock")),
    ("lockDatabase", Page("/studies/{study}/lock", &["templates/lock.html"], "{{ api }}/lock")),
    ("unblindStudy", Page("/studies/{study}/lock", &["templates/lock.html"], "{{ api }}/unblinding")),
    ("getResults", Shows("/studies/{study}/report")),
    // The submission files: downloaded from the exports page.
    ("exportOdm", Page("/studies/{study}/exports", &["templates/exports.html"], "/exports/odm.xml")),
    ("exportSdtm", Page("/studies/{study}/exports", &["templates/exports.html"], "/exports/sdtm/")),
    ("exportDefineXml", Page("/studies/{study}/exports", &["templates/exports.html"], "/exports/define.xml")),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn read(file: &str) -> String {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// Every page route the pages register (the string literals of their sources).
    fn page_sources() -> String {
        let mut all = String::new();
        let mut dirs = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/pages")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    all.push_str(&std::fs::read_to_string(&path).unwrap());
                }
            }
        }
        all
    }

    #[test]
    fn every_operation_says_who_performs_it_once() {
        let ids: Vec<&str> = super::super::FEATURES
            .iter()
            .flat_map(|f| f.iter())
            .map(|e| e.operation_id)
            .collect();
        for id in &ids {
            let n = PERFORMED.iter().filter(|(op, _)| op == id).count();
            assert_eq!(
                n, 1,
                "{id} is listed {n} times in PERFORMED (once is right)"
            );
        }
        for (op, _) in PERFORMED {
            assert!(ids.contains(op), "{op} is not an operation of the API");
        }
    }

    #[test]
    fn each_page_named_really_makes_the_call_or_shows_the_records() {
        let sources = page_sources();
        for (op, by) in PERFORMED {
            match by {
                Page(route, files, call) => {
                    if route.starts_with('/') {
                        assert!(
                            sources.contains(&format!("\"{route}\"")),
                            "{op}: the page {route} is not a route of the pages"
                        );
                    }
                    let text: String = files.iter().map(|f| read(f)).collect();
                    assert!(
                        text.contains(call),
                        "{op}: none of {files:?} makes the call ({call})"
                    );
                }
                Shows(route) => assert!(
                    sources.contains(&format!("\"{route}\"")),
                    "{op}: the page {route} is not a route of the pages"
                ),
                Machine(why) => assert!(why.len() > 20, "{op}: say why"),
            }
        }
    }
}

//! `[labs]`: the laboratory panels a study collects, their tests (codes of
//! `trial::labs::catalogue`) and visits, and the grade at which a value proposes an adverse
//! event; the target ranges of drug levels (`[[labs.targets]]`: a test of the study, low and
//! high in its unit).

use super::*;
use crate::labs::{catalogue, LabsDefinition, Panel, PanelDef, TargetRange, DEFAULT_AE_THRESHOLD};

const LABS_KEYS: &[&str] = &["ae_threshold", "panels", "targets"];
const PANEL_KEYS: &[&str] = &["panel", "tests", "visits"];
const TARGET_KEYS: &[&str] = &["test", "low", "high"];

pub(super) fn read_labs(r: &mut Report, root: &Node<'_>, visits: &[&str]) -> LabsDefinition {
    let mut labs = LabsDefinition::default();
    let Some(node) = root.table(r, "labs", Optional, LABS_KEYS) else {
        return labs;
    };
    labs.ae_threshold = node
        .integer(r, "ae_threshold", Optional, 1, 5)
        .map_or(DEFAULT_AE_THRESHOLD, |g| {
            u8::try_from(g).unwrap_or(DEFAULT_AE_THRESHOLD)
        });
    let mut seen_tests: Vec<(&'static str, String)> = Vec::new();
    for panel in node.tables(r, "panels", Optional).unwrap_or_default() {
        panel.only(r, PANEL_KEYS);
        let which = panel.choice(r, "panel", Required, Panel::ALL, Panel::as_str);
        let mut tests = Vec::new();
        for (path, code) in panel.strings(r, "tests", Required).unwrap_or_default() {
            let Some(test) = catalogue::test(&code).filter(|t| t.code == code) else {
                r.add(
                    path,
                    format!(
                        "{code:?} is not a test this build knows (tests: {})",
                        catalogue::codes().join(", ")
                    ),
                );
                continue;
            };
            if let Some(p) = which.filter(|p| *p != test.panel) {
                r.add(
                    path.clone(),
                    format!("{code} belongs to the {} panel, not {p}", test.panel),
                );
            }
            if let Some((_, first)) = seen_tests.iter().find(|(c, _)| *c == test.code) {
                r.add(path, format!("duplicate test {code:?} (first at {first})"));
                continue;
            }
            seen_tests.push((test.code, path));
            tests.push(test.code.to_string());
        }
        let mut panel_visits = Vec::new();
        for (path, visit) in panel.strings(r, "visits", Required).unwrap_or_default() {
            if visits.contains(&visit.as_str()) {
                panel_visits.push(visit);
            } else {
                r.add(
                    path,
                    format!(
                        "{visit:?} is not a visit of the schedule (visits: {})",
                        quoted_list(visits)
                    ),
                );
            }
        }
        if let Some(panel) = which {
            labs.panels.push(PanelDef {
                panel,
                tests,
                visits: panel_visits,
            });
        }
    }
    for target in node.tables(r, "targets", Optional).unwrap_or_default() {
        target.only(r, TARGET_KEYS);
        let code = target.string(r, "test", Required);
        let low = target.number(r, "low", Required);
        let high = target.number(r, "high", Required);
        let studied = labs.test_codes();
        let Some(code) = code else { continue };
        if !studied.contains(&code.as_str()) {
            r.add(
                target.at("test"),
                format!(
                    "{code:?} is not a test of the study's panels (tests: {})",
                    quoted_list(&studied)
                ),
            );
            continue;
        }
        if labs.targets.iter().any(|t| t.test == code) {
            r.add(target.at("test"), format!("duplicate target of {code:?}"));
            continue;
        }
        let (Some(low), Some(high)) = (low, high) else {
            continue;
        };
        if !(low.is_finite() && high.is_finite() && 0.0 <= low && low < high) {
            r.add(
                target.at("high"),
                format!("the target range {low} to {high} must have 0 <= low < high"),
            );
            continue;
        }
        labs.targets.push(TargetRange {
            test: code,
            low,
            high,
        });
    }
    labs
}

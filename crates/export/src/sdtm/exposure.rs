//! Exposure (EX): each dose given at the bedside, from the product's administration records.
//!
//! EXTRT names the product (the study's active arm, or the product code the study's id begins
//! with in a dose escalation) or `PLACEBO` only in an export that includes treatments; a
//! blinded export writes `BLINDED STUDY TREATMENT` for every dose, and the dose as the label
//! states it (a placebo unit carries the same label), so nothing in EX tells the arms apart.
//! An unblinded placebo dose has EXDOSE 0, as the implementation guide asks.

use trial::ArmKind;

use super::events::head;
use super::subject::{ascii, Context};
use super::table::{Char, Num, Table};
use crate::xpt::Dataset;

/// EXTRT of every dose in a blinded export.
pub const BLINDED_TREATMENT: &str = "BLINDED STUDY TREATMENT";

/// The product's name as EXTRT writes it.
fn product_name(cx: &Context<'_>) -> String {
    cx.study
        .arms
        .iter()
        .find(|a| a.kind == ArmKind::Active)
        .map(|a| ascii(&a.name))
        .unwrap_or_else(|| {
            let id = &cx.study.id;
            id.split('-').next().unwrap_or(id).to_ascii_uppercase()
        })
}

/// EX: one record per dose given to an enrolled participant.
pub(crate) fn ex(cx: &Context<'_>, data: &store::SubmissionData) -> Dataset {
    let mut t = Table::new(
        "EX",
        "Exposure",
        &[
            ("STUDYID", "Study Identifier", Char),
            ("DOMAIN", "Domain Abbreviation", Char),
            ("USUBJID", "Unique Subject Identifier", Char),
            ("EXSEQ", "Sequence Number", Num),
            ("EXSPID", "Sponsor-Defined Identifier", Char),
            ("EXTRT", "Name of Treatment", Char),
            ("EXDOSE", "Dose", Num),
            ("EXDOSU", "Dose Units", Char),
            ("EXDOSFRM", "Dose Form", Char),
            ("EXROUTE", "Route of Administration", Char),
            ("EXLOC", "Location of Dose Administration", Char),
            ("EXVAMT", "Treatment Vehicle Amount", Num),
            ("EXVAMTU", "Treatment Vehicle Amount Units", Char),
            ("VISITNUM", "Visit Number", Num),
            ("VISIT", "Visit Name", Char),
            ("EPOCH", "Epoch", Char),
            ("EXSTDTC", "Start Date/Time of Treatment", Char),
            ("EXENDTC", "End Date/Time of Treatment", Char),
            ("EXSTDY", "Study Day of Start of Treatment", Num),
            ("EXENDY", "Study Day of End of Treatment", Num),
        ],
    );
    let product = product_name(cx);
    for s in cx.subjects.values() {
        let doses = data
            .doses
            .iter()
            .filter(|d| d.participant_id == s.participant.id);
        for (i, d) in doses.enumerate() {
            let (treatment, dose) = match d.placebo {
                Some(true) => ("PLACEBO".to_owned(), 0.0),
                Some(false) => (product.clone(), d.dose_cells as f64),
                None => (BLINDED_TREATMENT.to_owned(), d.dose_cells as f64),
            };
            // The instant as stored, to the second in UTC (ISO 8601).
            let at = d.injected_at.get(..19).unwrap_or(&d.injected_at).to_owned();
            let date = d.injected_at.get(..10).unwrap_or_default();
            let visit = d.visit_id.as_deref().and_then(|v| cx.visit(v));
            t.add(|r| {
                head(r, cx, s, "EX");
                r.num("EXSEQ", Some((i + 1) as f64))
                    .text(
                        "EXSPID",
                        d.dose_number
                            .map(|n| format!("DOSE {n}"))
                            .unwrap_or_default(),
                    )
                    .text("EXTRT", treatment)
                    .num("EXDOSE", Some(dose))
                    .text("EXDOSU", "CELLS")
                    .text("EXDOSFRM", "SUSPENSION")
                    .text("EXROUTE", d.route.to_ascii_uppercase())
                    .text("EXLOC", d.puncture_level.to_ascii_uppercase())
                    .num("EXVAMT", d.volume_ml.trim().parse().ok())
                    .text("EXVAMTU", "mL")
                    .num("VISITNUM", visit.map(|(n, _)| n as f64))
                    .text(
                        "VISIT",
                        visit.map(|(_, v)| ascii(&v.name)).unwrap_or_default(),
                    )
                    .text("EPOCH", cx.epoch(s, date))
                    .text("EXSTDTC", at.clone())
                    .text("EXENDTC", at)
                    .num("EXSTDY", cx.day(s, date))
                    .num("EXENDY", cx.day(s, date));
            });
        }
    }
    t.dataset()
}

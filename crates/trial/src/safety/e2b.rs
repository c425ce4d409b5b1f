//! The expedited report of a SUSAR as an ICH E2B(R3) individual case safety report (ICSR): an
//! HL7 v3 `PORR_IN049016UV` message inside the `MCCI_IN200100UV01` batch wrapper.
//!
//! [`Case`] gathers what the report says: the study and its sponsor (the sender), the version
//! of the report (initial or follow-up *n*), the primary source (the reporting investigator at
//! the site), the patient, the reaction with its MedDRA code, seriousness criteria, partial
//! dates and outcome, the suspect product with the actual treatment, and the investigator's and
//! the sponsor's causality as two separate assessments. [`icsr_xml`] writes it; every text is
//! escaped, and the output depends on the case only: the identifiers are derived from the
//! study, the event and the report version (no clock, no random numbers).
//!
//! Element numbers (C.1.1, G.k.9.i.2.r, …) are those of the ICH E2B(R3) implementation guide;
//! the codes are from its code lists (OIDs under `2.16.840.1.113883.3.989.2.1.1`).

use serde::Serialize;
use sha2::{Digest, Sha256};
use time::{Date, OffsetDateTime};

use super::cases::Authority;
use super::clock::{Classification, SponsorAssessment};
use super::event::{AdverseEvent, Causality, Expectedness};
use crate::eligibility::Sex;
use crate::{ArmKind, Study};

mod xml;

pub use xml::{
    action_code, escape_xml, hl7_instant, hl7_partial, icsr_xml, outcome_code, seriousness_code,
    ASSESSMENT_METHOD, INVESTIGATOR_SOURCE, SPONSOR_SOURCE,
};

#[cfg(test)]
pub(crate) mod tests;

/// The MedDRA version of the CTCAE v5.0 terms (CTCAE v5.0 is coded in MedDRA 20.1).
pub const CTCAE_MEDDRA_VERSION: &str = "20.1";

/// Who sends the reports: the sponsor, and its identifier in message headers and case ids.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Sender {
    /// The sponsor's name (C.3.2).
    pub sponsor: String,
    /// Its identifier (N.1.3, N.2.r.2).
    pub id: String,
}

/// The receiver identifier (N.1.4, N.2.r.3) of an authority's E2B(R3) gateway: `ZZFDA` for the
/// FDA, `CDE` for China's Center for Drug Evaluation.
pub fn receiver_id(authority: Authority) -> &'static str {
    match authority {
        Authority::Fda => "ZZFDA",
        Authority::Cde => "CDE",
    }
}

/// The study a case comes from and its sponsor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CaseStudy {
    /// The sponsor's study number (`XS228-P2`, C.5.3).
    pub id: String,
    /// The study's title (C.5.2).
    pub title: String,
    /// Its registration (`NCT06974968`, C.5.1.r.1).
    pub registry: String,
    /// The sponsor, the sender of the report (C.3.2).
    pub sponsor: String,
    /// The sender's identifier in message headers (N.1.3, N.2.r.2) and case ids.
    pub sender_id: String,
    /// The receiver's identifier (N.1.4, N.2.r.3: `ZZFDA`, `CDE`, …).
    pub receiver_id: String,
}

/// Which version of the expedited report this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ReportVersion {
    /// 0 for the initial report, *n* for follow-up *n*.
    pub number: u32,
    /// When this version was made (C.1.2) and its information is from (C.1.5), UTC.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    /// When the sponsor first knew of the case (day 0 of the clock; C.1.4), UTC.
    #[serde(with = "time::serde::rfc3339")]
    pub first_received: OffsetDateTime,
}

impl ReportVersion {
    /// Whether it is the initial report.
    pub fn is_initial(&self) -> bool {
        self.number == 0
    }
}

/// The primary source: the investigator who reported the event, at the site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PrimarySource {
    /// The investigator's name as the platform knows it, when known.
    pub name: Option<String>,
    /// The site (C.2.r.2.1, organisation).
    pub site: String,
    /// The site's country, ISO 3166-1 alpha-2 (C.2.r.3).
    pub country: String,
}

/// The patient, as the trial records them: no name, the subject id only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CasePatient {
    /// The subject id (D.1.1.4, investigation number).
    pub subject_id: String,
    /// Sex at screening (D.5).
    pub sex: Option<Sex>,
    /// Age in whole years at the onset of the event (D.2.2), when known.
    pub age_years: Option<u32>,
}

/// The suspect product as given to this participant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SuspectProduct {
    /// The investigational product (`XS228`).
    pub product: String,
    /// The actual treatment: the arm or dose level given (`Placebo (inactive solution)`).
    pub treatment: String,
    /// Whether the treatment was placebo.
    pub placebo: bool,
    /// The dose as text, when known (`1.0e7 cells`).
    pub dose: Option<String>,
    /// The route as text (`Intrathecal`).
    pub route: String,
    /// The first dose, when known.
    pub first_dose: Option<Date>,
}

/// A SUSAR case as one version of its expedited report tells it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Case {
    /// The study and the sender.
    pub study: CaseStudy,
    /// The adverse event's id in the platform.
    pub event_id: i64,
    /// The report's version.
    pub report: ReportVersion,
    /// The reporting investigator and site.
    pub source: PrimarySource,
    /// The patient.
    pub patient: CasePatient,
    /// The event as recorded and assessed by the investigator.
    pub event: AdverseEvent,
    /// The MedDRA version of the event's code.
    pub meddra_version: String,
    /// The suspect product, with the actual treatment.
    pub product: SuspectProduct,
    /// The sponsor's causality, when assessed.
    pub sponsor_causality: Option<Causality>,
    /// Expectedness against the reference safety information.
    pub expectedness: Expectedness,
    /// The sender's comments (H.4), when any.
    pub sender_comments: Option<String>,
}

impl Case {
    /// The sender's safety report unique identifier (C.1.1), the same for every version of
    /// the case: `{country}-{sender}-{study}-AE{event}`.
    pub fn safety_report_id(&self) -> String {
        format!(
            "{}-{}-{}-AE{}",
            self.source.country, self.study.sender_id, self.study.id, self.event_id
        )
    }

    /// The message identifier (N.2.r.1), one per version to each receiver: the report id, the
    /// receiver and the version as the expedited reports count it (`V1` the initial report,
    /// `V2` the first follow-up).
    pub fn message_id(&self) -> String {
        format!(
            "{}-{}-V{}",
            self.safety_report_id(),
            self.study.receiver_id,
            u64::from(self.report.number) + 1
        )
    }

    /// A file name for this version (`…-V1.xml` for the initial report).
    pub fn file_stem(&self) -> String {
        self.message_id()
    }

    fn uuid(&self, what: &str) -> String {
        let digest = Sha256::digest(
            format!("scitrial e2b\0{}\0{}\0{what}", self.study.id, self.event_id).as_bytes(),
        );
        let mut b = [0u8; 16];
        b.copy_from_slice(&digest[..16]);
        // A name-based UUID layout (version 5 bits, RFC 4122 variant) over our own hash.
        b[6] = (b[6] & 0x0f) | 0x50;
        b[8] = (b[8] & 0x3f) | 0x80;
        let h = hex::encode(b);
        format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }

    /// The internal id of the reaction (E.i), referred to by the causality assessments.
    pub fn reaction_ref(&self) -> String {
        self.uuid("reaction")
    }

    /// The internal id of the suspect product (G.k).
    pub fn product_ref(&self) -> String {
        self.uuid("product")
    }
}

/// What the store knows of a case, from which [`report_cases`] makes the case of each report
/// version.
#[derive(Clone, Copy, Debug)]
pub struct CaseFacts<'a> {
    /// The study.
    pub study: &'a Study,
    /// The sender.
    pub sender: &'a Sender,
    /// The adverse event's id.
    pub event_id: i64,
    /// The event with the investigator's assessment.
    pub event: &'a AdverseEvent,
    /// The participant's subject id (or screening number).
    pub subject_id: &'a str,
    /// The participant's site id.
    pub site_id: &'a str,
    /// Sex at screening.
    pub sex: Option<Sex>,
    /// Date of birth.
    pub date_of_birth: Option<Date>,
    /// The reporting investigator's name.
    pub reporter: Option<&'a str>,
    /// The arm (randomised) or dose level (dose escalation) given: the actual treatment.
    pub treatment: Option<&'a str>,
    /// The first dose (the anchor date), when known.
    pub first_dose: Option<Date>,
    /// The sponsor's assessment, when recorded.
    pub sponsor: Option<SponsorAssessment>,
    /// The classification of the case.
    pub classification: &'a Classification,
    /// The sponsor's first knowledge of the case.
    pub first_knowledge: OffsetDateTime,
    /// The expedited reports recorded: to whom, their version (1: initial) and when submitted.
    pub reports: &'a [(Authority, i64, OffsetDateTime)],
    /// Now: the date of a report not yet recorded.
    pub now: OffsetDateTime,
}

/// The investigational product's name: the study's active arm, else the study id's first part.
fn product_name(study: &Study) -> String {
    study
        .arms
        .iter()
        .find(|a| a.kind == ArmKind::Active)
        .map(|a| a.name.clone())
        .unwrap_or_else(|| study.id.split('-').next().unwrap_or(&study.id).to_string())
}

fn suspect_product(f: &CaseFacts<'_>) -> SuspectProduct {
    let product = product_name(f.study);
    let (treatment, placebo, dose) = match f.treatment {
        Some(id) => {
            if let Some(arm) = f.study.arms.iter().find(|a| a.id == id) {
                (arm.name.clone(), arm.kind == ArmKind::Placebo, None)
            } else if let Some(level) = f.study.dose_levels.iter().find(|l| l.id == id) {
                (
                    format!("{product} {}", level.name),
                    false,
                    Some(format!("{:e} cells", level.cells)),
                )
            } else {
                (format!("{product} ({id})"), false, None)
            }
        }
        None => ("not allocated".to_string(), false, None),
    };
    SuspectProduct {
        product,
        treatment,
        placebo,
        dose,
        route: "Intrathecal".into(),
        first_dose: f.first_dose,
    }
}

/// The cases of every report version of a SUSAR: for each authority, each recorded version
/// (dated when it was submitted), or, when none is recorded yet, the initial report dated
/// `now`. Authorities in [`Authority::ALL`] order, then versions in order.
pub fn report_cases(f: CaseFacts<'_>) -> Vec<Case> {
    let site = f.study.sites.iter().find(|s| s.id == f.site_id);
    let age_years = f.date_of_birth.and_then(|dob| {
        u32::try_from(crate::eligibility::age_in_years(
            dob,
            f.event.onset.earliest(),
        ))
        .ok()
    });
    let related = |c: Causality| {
        if c.is_related() {
            "related"
        } else {
            "not related"
        }
    };
    let comments = format!(
        "{}: serious; {} by the investigator ({}){}; {} against the reference safety \
         information. Expedited report clock: {} days from the sponsor's first knowledge.",
        if f.classification.susar {
            "SUSAR"
        } else {
            "Not a SUSAR at this version"
        },
        related(f.event.causality_product),
        f.event.causality_product,
        f.sponsor.map_or(String::new(), |s| format!(
            ", {} by the sponsor ({})",
            related(s.causality),
            s.causality
        )),
        f.classification.expectedness,
        if f.event.is_fatal_or_life_threatening() {
            7
        } else {
            15
        },
    );
    let mut versions: Vec<(Authority, i64, OffsetDateTime)> = Vec::new();
    for &authority in Authority::ALL {
        let mut recorded: Vec<_> = f
            .reports
            .iter()
            .filter(|r| r.0 == authority)
            .copied()
            .collect();
        recorded.sort_by_key(|r| r.1);
        if recorded.is_empty() {
            versions.push((authority, 1, f.now));
        } else {
            versions.extend(recorded);
        }
    }
    versions
        .into_iter()
        .map(|(authority, version, submitted)| Case {
            study: CaseStudy {
                id: f.study.id.clone(),
                title: f.study.title.clone(),
                registry: f.study.registry.clone(),
                sponsor: f.sender.sponsor.clone(),
                sender_id: f.sender.id.clone(),
                receiver_id: receiver_id(authority).to_string(),
            },
            event_id: f.event_id,
            report: ReportVersion {
                number: u32::try_from(version.saturating_sub(1)).unwrap_or(0),
                created: submitted,
                first_received: f.first_knowledge,
            },
            source: PrimarySource {
                name: f.reporter.map(str::to_string),
                site: site.map_or_else(|| f.site_id.to_string(), |s| s.name.clone()),
                country: site.map_or_else(String::new, |s| s.country.clone()),
            },
            patient: CasePatient {
                subject_id: f.subject_id.to_string(),
                sex: f.sex,
                age_years,
            },
            event: f.event.clone(),
            meddra_version: CTCAE_MEDDRA_VERSION.to_string(),
            product: suspect_product(&f),
            sponsor_causality: f.sponsor.map(|s| s.causality),
            expectedness: f.classification.expectedness,
            sender_comments: Some(comments.clone()),
        })
        .collect()
}

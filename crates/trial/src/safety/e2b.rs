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

use std::fmt::Write as _;

use serde::Serialize;
use sha2::{Digest, Sha256};
use time::{Date, OffsetDateTime, UtcOffset};

use super::cases::Authority;
use super::clock::{Classification, SponsorAssessment};
use super::date::PartialDate;
use super::event::{ActionTaken, AdverseEvent, Causality, Expectedness, Outcome, Seriousness};
use super::narrative::{narrative_text, Language};
use crate::eligibility::Sex;
use crate::{ArmKind, Study};

/// The MedDRA version of the CTCAE v5.0 terms (CTCAE v5.0 is coded in MedDRA 20.1).
pub const CTCAE_MEDDRA_VERSION: &str = "20.1";

const OID_ICH: &str = "2.16.840.1.113883.3.989.2.1.1";
const OID_IDS: &str = "2.16.840.1.113883.3.989.2.1.3";
const OID_MEDDRA: &str = "2.16.840.1.113883.6.163";
const OID_COUNTRY: &str = "1.0.3166.1.2.2";
const OID_SEX: &str = "1.0.5218";
const OID_INTERACTION: &str = "2.16.840.1.113883.1.6";

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

/// Text with `&`, `<`, `>`, `"` and `'` escaped, and the characters XML 1.0 cannot carry
/// (control characters other than tab, line feed and carriage return; U+FFFE, U+FFFF)
/// replaced by U+FFFD.
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// An HL7 TS of an instant, in UTC: `YYYYMMDDhhmmss+0000`.
pub fn hl7_instant(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}+0000",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// An HL7 TS of a date known to the year, month or day (E2B allows the reduced precision).
pub fn hl7_partial(date: PartialDate) -> String {
    let mut out = format!("{:04}", date.year());
    if let Some(month) = date.month() {
        let _ = write!(out, "{:02}", u8::from(month));
        if let Some(day) = date.day() {
            let _ = write!(out, "{day:02}");
        }
    }
    out
}

fn hl7_date(date: Date) -> String {
    format!(
        "{:04}{:02}{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// The E2B(R3) observation code (code list 19) of a seriousness criterion (E.i.3.2a–f).
pub fn seriousness_code(criterion: Seriousness) -> &'static str {
    match criterion {
        Seriousness::Death => "34",
        Seriousness::LifeThreatening => "21",
        Seriousness::Hospitalisation => "33",
        Seriousness::Disability => "35",
        Seriousness::CongenitalAnomaly => "12",
        Seriousness::MedicallyImportant => "26",
    }
}

/// The E2B(R3) outcome code (code list 11, E.i.7).
pub fn outcome_code(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Recovered => "1",
        Outcome::Recovering => "2",
        Outcome::NotRecovered => "3",
        Outcome::RecoveredWithSequelae => "4",
        Outcome::Fatal => "5",
        Outcome::Unknown => "0",
    }
}

/// The E2B(R3) action taken with the drug (code list 15, G.k.8); `None` for a dose delayed or
/// interrupted, which the list has no code for (the narrative says it).
pub fn action_code(action: ActionTaken) -> Option<&'static str> {
    match action {
        ActionTaken::DrugWithdrawn => Some("1"),
        ActionTaken::DoseReduced => Some("2"),
        ActionTaken::DoseNotChanged => Some("4"),
        ActionTaken::Unknown => Some("0"),
        ActionTaken::NotApplicable => Some("9"),
        ActionTaken::DoseDelayed => None,
    }
}

/// The source of an assessment (G.k.9.i.2.r.1) as written in the message.
pub const INVESTIGATOR_SOURCE: &str = "Investigator";
/// The sponsor's source (G.k.9.i.2.r.1).
pub const SPONSOR_SOURCE: &str = "Sponsor";
/// The method of both assessments (G.k.9.i.2.r.2).
pub const ASSESSMENT_METHOD: &str = "Global introspection";

/// An indented XML writer; every attribute value and text goes through [`escape_xml`].
struct Xml {
    out: String,
    depth: usize,
}

impl Xml {
    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }

    fn start(&mut self, tag: &str, attrs: &[(&str, &str)], empty: bool) {
        self.indent();
        self.out.push('<');
        self.out.push_str(tag);
        for (name, value) in attrs {
            let _ = write!(self.out, " {name}=\"{}\"", escape_xml(value));
        }
        self.out.push_str(if empty { "/>\n" } else { ">" });
    }

    /// `<tag …>` on its own line; children follow.
    fn open(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        self.start(tag, attrs, false);
        self.out.push('\n');
        self.depth += 1;
    }

    fn close(&mut self, tag: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        let _ = writeln!(self.out, "</{tag}>");
    }

    fn empty(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        self.start(tag, attrs, true);
    }

    fn text(&mut self, tag: &str, attrs: &[(&str, &str)], text: &str) {
        self.start(tag, attrs, false);
        self.out.push_str(&escape_xml(text));
        let _ = writeln!(self.out, "</{tag}>");
    }

    fn comment(&mut self, text: &str) {
        self.indent();
        // Comments are fixed element names of ours, never data.
        let _ = writeln!(self.out, "<!-- {text} -->");
    }

    fn code(&mut self, code: &str, list: u32) {
        let system = format!("{OID_ICH}.{list}");
        self.empty("code", &[("code", code), ("codeSystem", &system)]);
    }

    fn id(&mut self, extension: &str, id_list: u32) {
        let root = format!("{OID_IDS}.{id_list}");
        self.empty("id", &[("extension", extension), ("root", &root)]);
    }

    fn device(&mut self, role: &str, type_code: &str, extension: &str, id_list: u32) {
        self.open(role, &[("typeCode", type_code)]);
        self.open(
            "device",
            &[("classCode", "DEV"), ("determinerCode", "INSTANCE")],
        );
        self.id(extension, id_list);
        self.close("device");
        self.close(role);
    }
}

/// The ICSR of `case` in its batch: the XML text, UTF-8, deterministic.
pub fn icsr_xml(case: &Case) -> String {
    let mut x = Xml {
        out: String::with_capacity(16 * 1024),
        depth: 0,
    };
    let created = hl7_instant(case.report.created);
    let report_id = case.safety_report_id();
    let message_id = case.message_id();
    x.out
        .push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.open(
        "MCCI_IN200100UV01",
        &[
            ("xmlns", "urn:hl7-org:v3"),
            ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
            ("ITSVersion", "XML_1.0"),
        ],
    );
    x.comment("N.1.2 batch number");
    x.id(&format!("{message_id}-B"), 22);
    x.comment("N.1.5 date of batch transmission");
    x.empty("creationTime", &[("value", &created)]);
    x.empty("responseModeCode", &[("code", "D")]);
    x.empty(
        "interactionId",
        &[
            ("extension", "MCCI_IN200100UV01"),
            ("root", OID_INTERACTION),
        ],
    );
    x.comment("N.1.1 type of messages in batch: ichicsr");
    x.empty(
        "name",
        &[("code", "1"), ("codeSystem", &format!("{OID_ICH}.1"))],
    );
    message(&mut x, case, &report_id, &message_id, &created);
    x.comment("N.1.4 batch receiver");
    x.device("receiver", "RCV", &case.study.receiver_id, 14);
    x.comment("N.1.3 batch sender");
    x.device("sender", "SND", &case.study.sender_id, 13);
    x.close("MCCI_IN200100UV01");
    x.out
}

fn message(x: &mut Xml, case: &Case, report_id: &str, message_id: &str, created: &str) {
    x.open("PORR_IN049016UV", &[]);
    x.comment("N.2.r.1 message identifier");
    x.id(message_id, 1);
    x.comment("N.2.r.4 date of message creation");
    x.empty("creationTime", &[("value", created)]);
    x.empty(
        "interactionId",
        &[("extension", "PORR_IN049016UV"), ("root", OID_INTERACTION)],
    );
    x.empty("processingCode", &[("code", "P")]);
    x.empty("processingModeCode", &[("code", "T")]);
    x.empty("acceptAckCode", &[("code", "AL")]);
    x.comment("N.2.r.3 message receiver");
    x.device("receiver", "RCV", &case.study.receiver_id, 12);
    x.comment("N.2.r.2 message sender");
    x.device("sender", "SND", &case.study.sender_id, 11);
    x.open(
        "controlActProcess",
        &[("classCode", "CACT"), ("moodCode", "EVN")],
    );
    x.empty(
        "code",
        &[
            ("code", "PORR_TE049016UV"),
            ("codeSystem", "2.16.840.1.113883.1.18"),
        ],
    );
    x.comment("C.1.2 date of creation");
    x.empty("effectiveTime", &[("value", created)]);
    x.open("subject", &[("typeCode", "SUBJ")]);
    investigation(x, case, report_id);
    x.close("subject");
    x.close("controlActProcess");
    x.close("PORR_IN049016UV");
}

fn investigation(x: &mut Xml, case: &Case, report_id: &str) {
    x.open(
        "investigationEvent",
        &[("classCode", "INVSTG"), ("moodCode", "EVN")],
    );
    x.comment("C.1.1 sender's safety report unique identifier");
    x.id(report_id, 1);
    x.comment("C.1.8.1 worldwide unique case identification number");
    x.id(report_id, 2);
    x.empty(
        "code",
        &[
            ("code", "PAT_ADV_EVNT"),
            ("codeSystem", "2.16.840.1.113883.5.4"),
        ],
    );
    x.comment("H.1 case narrative");
    x.text("text", &[], &narrative_text(case, Language::En));
    x.empty("statusCode", &[("code", "active")]);
    x.open("effectiveTime", &[]);
    x.comment("C.1.4 date report was first received from source");
    x.empty(
        "low",
        &[("value", &hl7_instant(case.report.first_received))],
    );
    x.close("effectiveTime");
    x.comment("C.1.5 date of most recent information for this report");
    x.empty(
        "availabilityTime",
        &[("value", &hl7_instant(case.report.created))],
    );
    x.open("component", &[("typeCode", "COMP")]);
    assessment(x, case);
    x.close("component");
    observation_event(x, "1", "C.1.6.1 additional documents available", false);
    observation_event(
        x,
        "23",
        "C.1.7 fulfils local criteria for an expedited report",
        true,
    );
    x.comment("H.5.r case summary in Chinese");
    x.open("component", &[("typeCode", "COMP")]);
    x.open(
        "observationEvent",
        &[("classCode", "OBS"), ("moodCode", "EVN")],
    );
    x.code("36", 19);
    x.text(
        "value",
        &[("xsi:type", "ED"), ("language", "zho")],
        &narrative_text(case, Language::Zh),
    );
    x.open("author", &[("typeCode", "AUT")]);
    x.open("assignedEntity", &[("classCode", "ASSIGNED")]);
    x.code("1", 21);
    x.close("assignedEntity");
    x.close("author");
    x.close("observationEvent");
    x.close("component");
    primary_source(x, case);
    sender(x, case);
    x.comment("C.1.3 type of report: report from study");
    x.open("subjectOf2", &[("typeCode", "SUBJ")]);
    x.open(
        "investigationCharacteristic",
        &[("classCode", "OBS"), ("moodCode", "EVN")],
    );
    x.code("1", 23);
    x.empty(
        "value",
        &[
            ("xsi:type", "CE"),
            ("code", "2"),
            ("codeSystem", &format!("{OID_ICH}.2")),
        ],
    );
    x.close("investigationCharacteristic");
    x.close("subjectOf2");
    x.close("investigationEvent");
}

fn observation_event(x: &mut Xml, code: &str, comment: &str, value: bool) {
    x.open("component", &[("typeCode", "COMP")]);
    x.open(
        "observationEvent",
        &[("classCode", "OBS"), ("moodCode", "EVN")],
    );
    x.code(code, 19);
    x.comment(comment);
    x.empty(
        "value",
        &[
            ("xsi:type", "BL"),
            ("value", if value { "true" } else { "false" }),
        ],
    );
    x.close("observationEvent");
    x.close("component");
}

fn primary_source(x: &mut Xml, case: &Case) {
    x.comment("C.2.r primary source: the reporting investigator");
    x.open("outboundRelationship", &[("typeCode", "SPRT")]);
    x.comment("C.2.r.5 primary source for regulatory purposes");
    x.empty("priorityNumber", &[("value", "1")]);
    x.open(
        "relatedInvestigation",
        &[("classCode", "INVSTG"), ("moodCode", "EVN")],
    );
    x.code("2", 22);
    x.open("subjectOf2", &[("typeCode", "SUBJ")]);
    x.open(
        "controlActEvent",
        &[("classCode", "CACT"), ("moodCode", "EVN")],
    );
    x.open("author", &[("typeCode", "AUT")]);
    x.open("assignedEntity", &[("classCode", "ASSIGNED")]);
    x.open(
        "assignedPerson",
        &[("classCode", "PSN"), ("determinerCode", "INSTANCE")],
    );
    if let Some(name) = &case.source.name {
        x.open("name", &[]);
        x.comment("C.2.r.1.4 reporter's name");
        x.text("family", &[], name);
        x.close("name");
    }
    x.open("asQualifiedEntity", &[("classCode", "QUAL")]);
    x.comment("C.2.r.4 qualification: physician");
    x.code("1", 6);
    x.close("asQualifiedEntity");
    x.open("asLocatedEntity", &[("classCode", "LOCE")]);
    x.open(
        "location",
        &[("classCode", "COUNTRY"), ("determinerCode", "INSTANCE")],
    );
    x.comment("C.2.r.3 reporter's country");
    x.empty(
        "code",
        &[("code", &case.source.country), ("codeSystem", OID_COUNTRY)],
    );
    x.close("location");
    x.close("asLocatedEntity");
    x.close("assignedPerson");
    x.open(
        "representedOrganization",
        &[("classCode", "ORG"), ("determinerCode", "INSTANCE")],
    );
    x.open("assignedEntity", &[("classCode", "ASSIGNED")]);
    x.open(
        "representedOrganization",
        &[("classCode", "ORG"), ("determinerCode", "INSTANCE")],
    );
    x.comment("C.2.r.2.1 reporter's organisation");
    x.text("name", &[], &case.source.site);
    x.close("representedOrganization");
    x.close("assignedEntity");
    x.close("representedOrganization");
    x.close("assignedEntity");
    x.close("author");
    x.close("controlActEvent");
    x.close("subjectOf2");
    x.close("relatedInvestigation");
    x.close("outboundRelationship");
}

fn sender(x: &mut Xml, case: &Case) {
    x.comment("C.3 sender: the sponsor");
    x.open("subjectOf1", &[("typeCode", "SUBJ")]);
    x.open(
        "controlActEvent",
        &[("classCode", "CACT"), ("moodCode", "EVN")],
    );
    x.open("author", &[("typeCode", "AUT")]);
    x.open("assignedEntity", &[("classCode", "ASSIGNED")]);
    x.comment("C.3.1 sender type: pharmaceutical company");
    x.code("1", 7);
    x.open(
        "representedOrganization",
        &[("classCode", "ORG"), ("determinerCode", "INSTANCE")],
    );
    x.comment("C.3.2 sender's organisation");
    x.text("name", &[], &case.study.sponsor);
    x.close("representedOrganization");
    x.close("assignedEntity");
    x.close("author");
    x.close("controlActEvent");
    x.close("subjectOf1");
}

fn assessment(x: &mut Xml, case: &Case) {
    x.open(
        "adverseEventAssessment",
        &[("classCode", "INVSTG"), ("moodCode", "EVN")],
    );
    x.open("subject1", &[("typeCode", "SBJ")]);
    x.open("primaryRole", &[("classCode", "INVSBJ")]);
    // The order the schema gives: the person, the study, then the observations.
    patient(x, case);
    reaction(x, case);
    drug(x, case);
    x.close("primaryRole");
    x.close("subject1");
    let product = case.product_ref();
    // G.k.1: the product's role is suspect.
    x.open("component", &[("typeCode", "COMP")]);
    x.open(
        "causalityAssessment",
        &[("classCode", "OBS"), ("moodCode", "EVN")],
    );
    x.code("20", 19);
    x.comment("G.k.1 characterisation of drug role: suspect");
    x.empty(
        "value",
        &[
            ("xsi:type", "CE"),
            ("code", "1"),
            ("codeSystem", &format!("{OID_ICH}.13")),
        ],
    );
    product_reference(x, &product);
    x.close("causalityAssessment");
    x.close("component");
    causality(x, case, INVESTIGATOR_SOURCE, case.event.causality_product);
    if let Some(sponsor) = case.sponsor_causality {
        causality(x, case, SPONSOR_SOURCE, sponsor);
    }
    if let Some(comments) = &case.sender_comments {
        x.comment("H.4 sender's comments");
        x.open("component1", &[("typeCode", "COMP")]);
        x.open(
            "observationEvent",
            &[("classCode", "OBS"), ("moodCode", "EVN")],
        );
        x.code("10", 19);
        x.text("value", &[("xsi:type", "ED")], comments);
        x.open("author", &[("typeCode", "AUT")]);
        x.open("assignedEntity", &[("classCode", "ASSIGNED")]);
        x.code("1", 21);
        x.close("assignedEntity");
        x.close("author");
        x.close("observationEvent");
        x.close("component1");
    }
    x.close("adverseEventAssessment");
}

fn product_reference(x: &mut Xml, product: &str) {
    x.open("subject2", &[("typeCode", "SUBJ")]);
    x.open(
        "productUseReference",
        &[("classCode", "SBADM"), ("moodCode", "EVN")],
    );
    x.empty("id", &[("root", product)]);
    x.close("productUseReference");
    x.close("subject2");
}

fn causality(x: &mut Xml, case: &Case, source: &str, result: Causality) {
    x.comment("G.k.9.i.2.r assessment of relatedness of drug to reaction");
    x.open("component", &[("typeCode", "COMP")]);
    x.open(
        "causalityAssessment",
        &[("classCode", "OBS"), ("moodCode", "EVN")],
    );
    x.code("39", 19);
    x.comment("G.k.9.i.2.r.3 result of assessment");
    x.text("value", &[("xsi:type", "ST")], result.as_str());
    x.comment("G.k.9.i.2.r.2 method of assessment");
    x.open("methodCode", &[]);
    x.text("originalText", &[], ASSESSMENT_METHOD);
    x.close("methodCode");
    x.open("author", &[("typeCode", "AUT")]);
    x.open("assignedEntity", &[("classCode", "ASSIGNED")]);
    x.comment("G.k.9.i.2.r.1 source of assessment");
    x.open("code", &[]);
    x.text("originalText", &[], source);
    x.close("code");
    x.close("assignedEntity");
    x.close("author");
    x.open("subject1", &[("typeCode", "SUBJ")]);
    x.open(
        "adverseEffectReference",
        &[("classCode", "OBS"), ("moodCode", "EVN")],
    );
    x.empty("id", &[("root", &case.reaction_ref())]);
    x.close("adverseEffectReference");
    x.close("subject1");
    product_reference(x, &case.product_ref());
    x.close("causalityAssessment");
    x.close("component");
}

fn patient(x: &mut Xml, case: &Case) {
    x.open(
        "player1",
        &[("classCode", "PSN"), ("determinerCode", "INSTANCE")],
    );
    x.comment("D.1 patient: masked, the subject id follows");
    x.empty("name", &[("nullFlavor", "MSK")]);
    x.comment("D.5 sex");
    match case.patient.sex {
        Some(Sex::Male) => x.empty(
            "administrativeGenderCode",
            &[("code", "1"), ("codeSystem", OID_SEX)],
        ),
        Some(Sex::Female) => x.empty(
            "administrativeGenderCode",
            &[("code", "2"), ("codeSystem", OID_SEX)],
        ),
        Some(Sex::Other) | None => x.empty("administrativeGenderCode", &[("nullFlavor", "UNK")]),
    }
    x.open("asIdentifiedEntity", &[("classCode", "IDENT")]);
    x.comment("D.1.1.4 patient investigation number");
    x.id(&case.patient.subject_id, 10);
    x.code("4", 4);
    x.close("asIdentifiedEntity");
    x.close("player1");
    study(x, case);
    if let Some(age) = case.patient.age_years {
        x.open("subjectOf2", &[("typeCode", "SBJ")]);
        x.open("observation", &[("classCode", "OBS"), ("moodCode", "EVN")]);
        x.code("3", 19);
        x.comment("D.2.2 age at time of onset of reaction");
        x.empty(
            "value",
            &[
                ("xsi:type", "PQ"),
                ("value", &age.to_string()),
                ("unit", "a"),
            ],
        );
        x.close("observation");
        x.close("subjectOf2");
    }
}

fn reaction(x: &mut Xml, case: &Case) {
    let event = &case.event;
    x.comment("E.i reaction / event");
    x.open("subjectOf2", &[("typeCode", "SBJ")]);
    x.open("observation", &[("classCode", "OBS"), ("moodCode", "EVN")]);
    x.empty("id", &[("root", &case.reaction_ref())]);
    x.code("29", 19);
    x.open("effectiveTime", &[("xsi:type", "IVL_TS")]);
    x.comment("E.i.4 date of start of reaction");
    x.empty("low", &[("value", &hl7_partial(event.onset))]);
    if let Some(end) = event.end {
        x.comment("E.i.5 date of end of reaction");
        x.empty("high", &[("value", &hl7_partial(end))]);
    }
    x.close("effectiveTime");
    x.comment("E.i.2.1 MedDRA version and code; E.i.1.1a as reported");
    x.open(
        "value",
        &[
            ("xsi:type", "CE"),
            ("code", &event.meddra_code),
            ("codeSystem", OID_MEDDRA),
            ("codeSystemVersion", &case.meddra_version),
        ],
    );
    x.text("originalText", &[], &event.verbatim);
    x.close("value");
    x.open("location", &[("typeCode", "LOC")]);
    x.open("locatedEntity", &[("classCode", "LOCE")]);
    x.open(
        "locatedPlace",
        &[("classCode", "COUNTRY"), ("determinerCode", "INSTANCE")],
    );
    x.comment("E.i.9 country where the reaction occurred");
    x.empty(
        "code",
        &[("code", &case.source.country), ("codeSystem", OID_COUNTRY)],
    );
    x.close("locatedPlace");
    x.close("locatedEntity");
    x.close("location");
    pertinent(x, "30", "E.i.1.2 reaction for translation", |x| {
        x.text("value", &[("xsi:type", "ED")], &event.term)
    });
    for &criterion in Seriousness::ALL {
        let code = seriousness_code(criterion);
        pertinent(x, code, "E.i.3.2 seriousness criterion", |x| {
            if event.meets(criterion) {
                x.empty("value", &[("xsi:type", "BL"), ("value", "true")]);
            } else {
                x.empty("value", &[("xsi:type", "BL"), ("nullFlavor", "NI")]);
            }
        });
    }
    pertinent(x, "27", "E.i.7 outcome", |x| {
        x.empty(
            "value",
            &[
                ("xsi:type", "CE"),
                ("code", outcome_code(event.outcome)),
                ("codeSystem", &format!("{OID_ICH}.11")),
            ],
        )
    });
    x.close("observation");
    x.close("subjectOf2");
}

fn pertinent(x: &mut Xml, code: &str, comment: &str, value: impl FnOnce(&mut Xml)) {
    x.open("outboundRelationship2", &[("typeCode", "PERT")]);
    x.open("observation", &[("classCode", "OBS"), ("moodCode", "EVN")]);
    x.code(code, 19);
    x.comment(comment);
    value(x);
    x.close("observation");
    x.close("outboundRelationship2");
}

fn drug(x: &mut Xml, case: &Case) {
    let product = &case.product;
    x.comment("G.k drug information: the suspect product, the actual treatment");
    x.open("subjectOf2", &[("typeCode", "SBJ")]);
    x.open(
        "organizer",
        &[("classCode", "CATEGORY"), ("moodCode", "EVN")],
    );
    x.code("4", 20);
    x.open("component", &[("typeCode", "COMP")]);
    x.open(
        "substanceAdministration",
        &[("classCode", "SBADM"), ("moodCode", "EVN")],
    );
    x.empty("id", &[("root", &case.product_ref())]);
    x.open("consumable", &[("typeCode", "CSM")]);
    x.open("instanceOfKind", &[("classCode", "INST")]);
    x.open(
        "kindOfProduct",
        &[("classCode", "MMAT"), ("determinerCode", "KIND")],
    );
    x.comment("G.k.2.2 medicinal product name as reported: the treatment given");
    x.text("name", &[], &product.treatment);
    if !product.placebo {
        x.open("ingredient", &[("classCode", "ACTI")]);
        x.open(
            "ingredientSubstance",
            &[("classCode", "MMAT"), ("determinerCode", "KIND")],
        );
        x.comment("G.k.2.3.r.1 substance name");
        x.text("name", &[], &product.product);
        x.close("ingredientSubstance");
        x.close("ingredient");
    }
    x.close("kindOfProduct");
    x.close("instanceOfKind");
    x.close("consumable");
    x.comment("G.k.4.r dosage and route");
    x.open("outboundRelationship2", &[("typeCode", "COMP")]);
    x.open(
        "substanceAdministration",
        &[("classCode", "SBADM"), ("moodCode", "EVN")],
    );
    if let Some(dose) = &product.dose {
        x.comment("G.k.4.r.8 dosage text");
        x.text("text", &[], dose);
    }
    if let Some(first) = product.first_dose {
        x.open("effectiveTime", &[("xsi:type", "IVL_TS")]);
        x.comment("G.k.4.r.4 date of start of drug");
        x.empty("low", &[("value", &hl7_date(first))]);
        x.close("effectiveTime");
    }
    x.open("routeCode", &[]);
    x.comment("G.k.4.r.10.1 route of administration");
    x.text("originalText", &[], &product.route);
    x.close("routeCode");
    x.close("substanceAdministration");
    x.close("outboundRelationship2");
    if let Some(action) = action_code(case.event.action) {
        x.open("inboundRelationship", &[("typeCode", "CAUS")]);
        x.open("act", &[("classCode", "ACT"), ("moodCode", "EVN")]);
        x.comment("G.k.8 action taken with drug");
        x.code(action, 15);
        x.close("act");
        x.close("inboundRelationship");
    }
    x.close("substanceAdministration");
    x.close("component");
    x.close("organizer");
    x.close("subjectOf2");
}

fn study(x: &mut Xml, case: &Case) {
    x.comment("C.5 study identification");
    x.open("subjectOf1", &[("typeCode", "SBJ")]);
    x.open(
        "researchStudy",
        &[("classCode", "CLNTRL"), ("moodCode", "EVN")],
    );
    x.comment("C.5.3 sponsor study number");
    x.id(&case.study.id, 5);
    x.comment("C.5.4 study type: clinical trial");
    x.code("1", 8);
    x.comment("C.5.2 study name");
    x.text("title", &[], &case.study.title);
    x.open("authorization", &[("typeCode", "AUTH")]);
    x.open(
        "studyRegistration",
        &[("classCode", "ACT"), ("moodCode", "EVN")],
    );
    x.comment("C.5.1.r.1 study registration number");
    x.id(&case.study.registry, 6);
    x.close("studyRegistration");
    x.close("authorization");
    x.close("researchStudy");
    x.close("subjectOf1");
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use time::macros::{date, datetime};

    pub(crate) fn case() -> Case {
        Case {
            study: CaseStudy {
                id: "XS228-P2".into(),
                title: "Intrathecal XS228 <versus> placebo & rehab".into(),
                registry: "NCT06974968".into(),
                sponsor: "Sponsor \"Ltd\"".into(),
                sender_id: "SCITRIAL".into(),
                receiver_id: "ZZFDA".into(),
            },
            event_id: 42,
            report: ReportVersion {
                number: 0,
                created: datetime!(2026-03-10 09:30:00 UTC),
                first_received: datetime!(2026-03-08 14:00:00 +08:00),
            },
            source: PrimarySource {
                name: Some("Dr Li <Wei>".into()),
                site: "Site & Hospital".into(),
                country: "CN".into(),
            },
            patient: CasePatient {
                subject_id: "SYSU3-007".into(),
                sex: Some(Sex::Female),
                age_years: Some(34),
            },
            event: AdverseEvent {
                verbatim: "meningitis-like <headache> & fever".into(),
                term: "Meningitis".into(),
                meddra_code: "10027199".into(),
                soc: "Infections and infestations".into(),
                onset: PartialDate::parse("2026-03").unwrap_or_else(|| unreachable!()),
                end: PartialDate::parse("2026-03-20"),
                grade: 4,
                seriousness: vec![Seriousness::LifeThreatening, Seriousness::Hospitalisation],
                causality_product: Causality::Possible,
                causality_procedure: Causality::Probable,
                action: ActionTaken::NotApplicable,
                outcome: Outcome::Recovered,
            },
            meddra_version: CTCAE_MEDDRA_VERSION.into(),
            product: SuspectProduct {
                product: "XS228".into(),
                treatment: "XS228".into(),
                placebo: false,
                dose: Some("1.0e7 cells".into()),
                route: "Intrathecal".into(),
                first_dose: Some(date!(2026 - 02 - 20)),
            },
            sponsor_causality: Some(Causality::Probable),
            expectedness: Expectedness::Unexpected,
            sender_comments: Some("Unexpected; reported within 7 days.".into()),
        }
    }

    #[test]
    fn escapes_markup_and_replaces_what_xml_cannot_carry() {
        assert_eq!(
            escape_xml("a<b>&\"c'\u{1}\td\u{ffff}"),
            "a&lt;b&gt;&amp;&quot;c&apos;\u{fffd}\td\u{fffd}"
        );
    }

    #[test]
    fn dates_keep_their_precision() {
        let p = |t: &str| PartialDate::parse(t).unwrap_or_else(|| unreachable!());
        assert_eq!(hl7_partial(p("2026")), "2026");
        assert_eq!(hl7_partial(p("2026-03")), "202603");
        assert_eq!(hl7_partial(p("2026-03-05")), "20260305");
        assert_eq!(
            hl7_instant(datetime!(2026-03-08 02:00:00 +08:00)),
            "20260307180000+0000"
        );
    }

    #[test]
    fn the_message_carries_the_case() {
        let case = case();
        let xml = icsr_xml(&case);
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<MCCI_IN200100UV01 xmlns=\"urn:hl7-org:v3\""));
        assert!(xml.contains("<PORR_IN049016UV>"));
        assert!(xml.contains(
            "<id extension=\"CN-SCITRIAL-XS228-P2-AE42\" root=\"2.16.840.1.113883.3.989.2.1.3.1\"/>"
        ));
        assert!(xml.contains("<id extension=\"CN-SCITRIAL-XS228-P2-AE42-ZZFDA-V1\""));
        // Every text escaped: no raw markup from the data.
        assert!(!xml.contains("<Wei>") && !xml.contains("<headache>") && !xml.contains("<versus>"));
        assert!(xml.contains("meningitis-like &lt;headache&gt; &amp; fever"));
        assert!(xml.contains("<name>Sponsor &quot;Ltd&quot;</name>"));
        // Partial onset, full end; C.1.4 in UTC.
        assert!(xml.contains("<low value=\"202603\"/>"));
        assert!(xml.contains("<high value=\"20260320\"/>"));
        assert!(xml.contains("<low value=\"20260308060000+0000\"/>"));
        // Seriousness: life-threatening and hospitalisation true, the others NI.
        assert_eq!(
            xml.matches("<value xsi:type=\"BL\" value=\"true\"/>")
                .count(),
            3
        ); // + C.1.7
        assert_eq!(xml.matches("nullFlavor=\"NI\"").count(), 4);
        // Two assessments, each with its source.
        assert_eq!(xml.matches("<code code=\"39\"").count(), 2);
        assert!(xml.contains("<originalText>Investigator</originalText>"));
        assert!(xml.contains("<originalText>Sponsor</originalText>"));
        assert!(xml.contains("<value xsi:type=\"ST\">possible</value>"));
        assert!(xml.contains("<value xsi:type=\"ST\">probable</value>"));
        assert!(xml.contains("<originalText>Intrathecal</originalText>"));
        assert!(xml.contains("language=\"zho\""));
    }

    #[test]
    fn the_same_case_gives_the_same_bytes_and_versions_differ_only_where_they_should() {
        let case = case();
        assert_eq!(icsr_xml(&case), icsr_xml(&case.clone()));
        let mut follow_up = case.clone();
        follow_up.report.number = 1;
        follow_up.report.created = datetime!(2026-03-17 08:00:00 UTC);
        let a = icsr_xml(&case);
        let b = icsr_xml(&follow_up);
        assert_ne!(a, b);
        assert!(b.contains("CN-SCITRIAL-XS228-P2-AE42-ZZFDA-V2"));
        // The case id and the internal references stay the same across versions.
        assert_eq!(case.reaction_ref(), follow_up.reaction_ref());
        assert!(b.contains(
            "extension=\"CN-SCITRIAL-XS228-P2-AE42\" root=\"2.16.840.1.113883.3.989.2.1.3.2\""
        ));
        let mut other = case.clone();
        other.event_id = 43;
        assert_ne!(case.reaction_ref(), other.reaction_ref());
        assert_ne!(case.reaction_ref(), case.product_ref());
    }

    #[test]
    fn placebo_names_the_treatment_and_no_active_substance() {
        let mut case = case();
        case.product.treatment = "Placebo (inactive solution)".into();
        case.product.placebo = true;
        let xml = icsr_xml(&case);
        assert!(xml.contains("<name>Placebo (inactive solution)</name>"));
        assert!(!xml.contains("ingredientSubstance"));
    }

    #[test]
    fn without_a_sponsor_assessment_only_the_investigators_is_sent() {
        let mut case = case();
        case.sponsor_causality = None;
        case.patient.sex = Some(Sex::Other);
        case.patient.age_years = None;
        case.event.action = ActionTaken::DoseDelayed;
        let xml = icsr_xml(&case);
        assert_eq!(xml.matches("<code code=\"39\"").count(), 1);
        assert!(xml.contains("<administrativeGenderCode nullFlavor=\"UNK\"/>"));
        assert!(!xml.contains("<code code=\"3\" codeSystem=\"2.16.840.1.113883.3.989.2.1.1.19\"/>"));
        assert!(!xml.contains("2.16.840.1.113883.3.989.2.1.1.15"));
    }

    #[test]
    fn report_cases_give_each_recorded_version_and_a_draft_initial_for_the_others() {
        use super::super::clock::classify;
        let study = Study::from_toml(include_str!("../../../../studies/xs228-phase2.toml"))
            .unwrap_or_else(|e| unreachable!("{e}"));
        let base = case();
        let sponsor = SponsorAssessment {
            causality: Causality::Probable,
            expectedness: Expectedness::Unexpected,
            first_knowledge: datetime!(2026-03-08 06:00:00 UTC),
        };
        let classification = classify(&base.event, Some(&sponsor), Expectedness::Expected);
        assert!(classification.susar);
        let sender = Sender {
            sponsor: "Sponsor".into(),
            id: "SCITRIAL".into(),
        };
        let reports = [
            (Authority::Fda, 2, datetime!(2026-03-20 10:00:00 UTC)),
            (Authority::Fda, 1, datetime!(2026-03-12 10:00:00 UTC)),
        ];
        let cases = report_cases(CaseFacts {
            study: &study,
            sender: &sender,
            event_id: 42,
            event: &base.event,
            subject_id: "SYSU3-007",
            site_id: "SHEPHERD",
            sex: Some(Sex::Male),
            date_of_birth: Some(date!(1990 - 03 - 15)),
            reporter: Some("inv"),
            treatment: Some("placebo"),
            first_dose: Some(date!(2026 - 02 - 20)),
            sponsor: Some(sponsor),
            classification: &classification,
            first_knowledge: sponsor.first_knowledge,
            reports: &reports,
            now: datetime!(2026-03-21 00:00:00 UTC),
        });
        let ids: Vec<String> = cases.iter().map(Case::message_id).collect();
        assert_eq!(
            ids,
            [
                "US-SCITRIAL-XS228-P2-AE42-ZZFDA-V1",
                "US-SCITRIAL-XS228-P2-AE42-ZZFDA-V2",
                "US-SCITRIAL-XS228-P2-AE42-CDE-V1"
            ]
        );
        assert_eq!(cases[0].report.created, datetime!(2026-03-12 10:00:00 UTC));
        assert_eq!(cases[2].report.created, datetime!(2026-03-21 00:00:00 UTC));
        let c = &cases[0];
        // Onset 2026-03 counts from its first day: not yet 36 on 2026-03-01.
        assert_eq!(c.patient.age_years, Some(35));
        assert_eq!(c.source.site, "Shepherd Center, Atlanta, Georgia");
        assert_eq!(c.product.product, "XS228");
        assert_eq!(c.product.treatment, "Placebo (inactive solution)");
        assert!(c.product.placebo);
        assert_eq!(c.sponsor_causality, Some(Causality::Probable));
        assert_eq!(c.expectedness, Expectedness::Unexpected);
        assert!(c
            .sender_comments
            .as_deref()
            .unwrap_or("")
            .starts_with("SUSAR: serious"));
    }
}

//! The E2B(R3) message itself: XML escaping, HL7 dates and instants, the ICH code lists, and
//! [`icsr_xml`], which writes a [`Case`] element by element (batch, message, report, sender,
//! primary source, patient, reaction, drug, study).

use std::fmt::Write as _;

use time::{Date, OffsetDateTime, UtcOffset};

use super::Case;
use crate::eligibility::Sex;
use crate::safety::date::PartialDate;
use crate::safety::event::{ActionTaken, Causality, Outcome, Seriousness};
use crate::safety::narrative::{narrative_text, Language};

const OID_ICH: &str = "2.16.840.1.113883.3.989.2.1.1";
const OID_IDS: &str = "2.16.840.1.113883.3.989.2.1.3";
const OID_MEDDRA: &str = "2.16.840.1.113883.6.163";
const OID_COUNTRY: &str = "1.0.3166.1.2.2";
const OID_SEX: &str = "1.0.5218";
const OID_INTERACTION: &str = "2.16.840.1.113883.1.6";

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

//! Unit tests of the case and its E2B(R3) message.

use super::*;
use crate::safety::date::PartialDate;
use crate::safety::event::{ActionTaken, Outcome, Seriousness};
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
    assert!(xml.starts_with(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<MCCI_IN200100UV01 xmlns=\"urn:hl7-org:v3\""
    ));
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
    let study = Study::from_toml(include_str!("../../../../../studies/xs228-phase2.toml"))
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

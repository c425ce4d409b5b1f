//! `scitrial safety e2b` through the real binary, on SQLite and PostgreSQL: a randomised
//! study with a SUSAR (reported by the site, assessed by the sponsor, an initial and a
//! follow-up report to the FDA) and a non-serious event. The command writes one XML file per
//! report version and the narratives; each file is then read by an independent reader, PyPI
//! `e2br3` (with `lxml` for well-formedness and the required elements), and what it reads is
//! compared with what the database holds. The reader is the Python of `SCITRIAL_PYTHON` (CI:
//! `target/ci-venv/bin/python`); without it the reading is skipped with a note, unless
//! `SCITRIAL_REQUIRE_PYTHON_TOOLS` is set (as CI sets it), when the test fails.

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use store::{Actor, Scope, SponsorInput};
use trial::safety::{
    ActionTaken, AdverseEvent, Authority, Causality, Expectedness, Outcome, PartialDate,
    ReportKind, Seriousness,
};

use crate::common::{self, bin};

/// Reads an ICSR file: well-formedness and the required elements by XPath (lxml), then the
/// case by `e2br3.parse`. Prints one JSON object: `missing` (the required elements absent)
/// and `batch` (what e2br3 read).
const READER: &str = r#"
import json, sys
from lxml import etree
import e2br3
path = sys.argv[1]
tree = etree.parse(path, etree.XMLParser(resolve_entities=False, no_network=True))
ns = {"h": "urn:hl7-org:v3"}
obs = "2.16.840.1.113883.3.989.2.1.1.19"
ie = "/h:MCCI_IN200100UV01/h:PORR_IN049016UV/h:controlActProcess/h:subject/h:investigationEvent"
pr = ie + "/h:component/h:adverseEventAssessment/h:subject1/h:primaryRole"
rx = pr + "/h:subjectOf2/h:observation[h:code/@code='29']"
ca = ie + "/h:component/h:adverseEventAssessment/h:component/h:causalityAssessment"
required = {
    "N.1.2 batch number": "/h:MCCI_IN200100UV01/h:id/@extension",
    "N.2.r.1 message id": "/h:MCCI_IN200100UV01/h:PORR_IN049016UV/h:id/@extension",
    "C.1.1 safety report id": ie + "/h:id[@root='2.16.840.1.113883.3.989.2.1.3.1']/@extension",
    "C.1.2 date of creation": ie + "/../../h:effectiveTime/@value",
    "C.1.3 type of report": ie + "/h:subjectOf2/h:investigationCharacteristic[h:code/@code='1']/h:value/@code",
    "C.1.4 first received": ie + "/h:effectiveTime/h:low/@value",
    "C.1.5 most recent": ie + "/h:availabilityTime/@value",
    "C.1.8.1 worldwide id": ie + "/h:id[@root='2.16.840.1.113883.3.989.2.1.3.2']/@extension",
    "C.2.r primary source": ie + "/h:outboundRelationship[@typeCode='SPRT']/h:relatedInvestigation[h:code/@code='2']/h:subjectOf2/h:controlActEvent/h:author/h:assignedEntity/h:assignedPerson/h:asQualifiedEntity/h:code/@code",
    "C.2.r.3 reporter country": ie + "/h:outboundRelationship/h:relatedInvestigation/h:subjectOf2/h:controlActEvent/h:author/h:assignedEntity/h:assignedPerson/h:asLocatedEntity/h:location/h:code/@code",
    "C.3.2 sender organisation": ie + "/h:subjectOf1/h:controlActEvent/h:author/h:assignedEntity/h:representedOrganization/h:name",
    "C.5.3 sponsor study number": pr + "/h:subjectOf1/h:researchStudy/h:id/@extension",
    "D.1.1.4 patient investigation number": pr + "/h:player1/h:asIdentifiedEntity/h:id/@extension",
    "D.5 sex": pr + "/h:player1/h:administrativeGenderCode",
    "E.i.2.1 reaction MedDRA code": rx + "/h:value/@code",
    "E.i.4 start date": rx + "/h:effectiveTime/h:low/@value",
    "E.i.3.2 seriousness": rx + "/h:outboundRelationship2/h:observation[h:code/@code='21']/h:value",
    "E.i.7 outcome": rx + "/h:outboundRelationship2/h:observation[h:code/@code='27']/h:value/@code",
    "G.k suspect product": pr + "/h:subjectOf2/h:organizer[h:code/@code='4']/h:component/h:substanceAdministration/h:consumable/h:instanceOfKind/h:kindOfProduct/h:name",
    "G.k.1 drug role": ca + "[h:code/@code='20']/h:value/@code",
    "G.k.9.i.2.r investigator's assessment": ca + "[h:code/@code='39'][h:author/h:assignedEntity/h:code/h:originalText='Investigator']/h:value",
    "G.k.9.i.2.r sponsor's assessment": ca + "[h:code/@code='39'][h:author/h:assignedEntity/h:code/h:originalText='Sponsor']/h:value",
    "H.1 narrative": ie + "/h:text",
}
missing = [name for name, xp in required.items() if not tree.xpath(xp, namespaces=ns)]
batch = e2br3.parse(path)
print(json.dumps({"missing": missing, "batch": batch.to_dict()}))
"#;

fn read_with_e2br3(python: &Path, file: &Path) -> Value {
    let out = Command::new(python)
        .args(["-c", READER])
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} not read: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn export(url: &str, dir: &Path) -> (i32, String) {
    let out = bin()
        .args([
            "safety",
            "e2b",
            "--database-url",
            url,
            "--study",
            "XS228-P2",
        ])
        .arg("--output")
        .arg(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn event(seriousness: Vec<Seriousness>, term: &str, code: &str, verbatim: &str) -> AdverseEvent {
    AdverseEvent {
        verbatim: verbatim.into(),
        term: term.into(),
        meddra_code: code.into(),
        soc: "Nervous system disorders".into(),
        onset: PartialDate::parse("2026-11").unwrap(),
        end: None,
        grade: if seriousness.is_empty() { 1 } else { 4 },
        seriousness,
        causality_product: Causality::Possible,
        causality_procedure: Causality::Probable,
        action: ActionTaken::NotApplicable,
        outcome: Outcome::NotRecovered,
    }
}

#[tokio::test]
async fn the_export_writes_every_report_version_and_e2br3_reads_back_what_was_stored() {
    let python = common::python("e2br3, lxml", "reading the E2B(R3) files with e2br3");
    for db in common::databases("scitrial_e2b").await {
        let url = db.url();
        let (sql, study, user) = common::phase2_with_user(url).await;
        let by = Actor::user(&user);
        let scope = Scope::Study(study.id.clone());
        sql.generate_randomisation(&study, &store::ListRequest::new(7, 12, 40), &by)
            .await
            .unwrap();
        let mut participants = Vec::new();
        for (i, site) in ["SHEPHERD", "SYSU3"].into_iter().enumerate() {
            let id = common::enrolled(&sql, &study, site, i, &format!("E2B-{i}"), &by).await;
            let c = trial::Covariates::new(&study, isncsci::Grade::B, isncsci::Level::C6, site)
                .unwrap();
            sql.randomise(&scope, &study, id, &c, &by).await.unwrap();
            participants.push(id);
        }
        // A SUSAR: serious, related, not in the reference safety information; its text has
        // markup and Chinese in it.
        let susar = sql
            .record_adverse_event(
                &scope,
                participants[0],
                &event(
                    vec![Seriousness::LifeThreatening, Seriousness::Hospitalisation],
                    "Arachnoiditis",
                    "10003074",
                    "arachnoiditis <after> LP & fever 发热",
                ),
                &by,
            )
            .await
            .unwrap();
        sql.report_sae(&study, &scope, participants[0], susar.id, &by)
            .await
            .unwrap();
        sql.assess_case(
            &study,
            &scope,
            susar.id,
            &SponsorInput {
                causality: Causality::Probable,
                expectedness: Expectedness::Unexpected,
                first_knowledge: None,
                reason: None,
            },
            &by,
        )
        .await
        .unwrap();
        for kind in [ReportKind::Initial, ReportKind::FollowUp] {
            sql.record_expedited_report(&study, &scope, susar.id, Authority::Fda, kind, None, &by)
                .await
                .unwrap();
        }
        // Not serious: no report.
        sql.record_adverse_event(
            &scope,
            participants[1],
            &event(vec![], "Headache", "10019211", "headache"),
            &by,
        )
        .await
        .unwrap();
        let (arm,): (String,) =
            sqlx::query_as("SELECT arm_id FROM allocations WHERE participant_id = $1")
                .bind(participants[0])
                .fetch_one(sql.raw_pool())
                .await
                .unwrap();
        let arm_name = study
            .arms
            .iter()
            .find(|a| a.id == arm)
            .unwrap()
            .name
            .clone();

        let dir = std::env::temp_dir().join(format!("scitrial-e2b-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (code, text) = export(url, &dir);
        assert_eq!(code, 0, "{text}");
        let stem = format!("US-SCITRIAL-XS228-P2-AE{}", susar.id);
        let mut written: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        written.sort();
        let mut expected = Vec::new();
        for version in ["CDE-V1", "ZZFDA-V1", "ZZFDA-V2"] {
            for ext in ["en.html", "xml", "zh.html"] {
                expected.push(format!("{stem}-{version}.{ext}"));
            }
        }
        expected.sort();
        assert_eq!(written, expected, "{text}");
        assert!(
            text.contains("3 report versions of study XS228-P2"),
            "{text}"
        );
        for name in &expected {
            assert!(text.contains(name.as_str()), "{name} not printed: {text}");
        }
        // The narratives, escaped, in both languages.
        let en = std::fs::read_to_string(dir.join(format!("{stem}-ZZFDA-V2.en.html"))).unwrap();
        assert!(
            en.contains("follow-up report 1") && en.contains("E2B-0"),
            "{en}"
        );
        assert!(en.contains("&lt;after&gt; LP &amp; fever 发热") && !en.contains("<after>"));
        assert!(en.contains(&arm_name), "{en}");
        let zh = std::fs::read_to_string(dir.join(format!("{stem}-ZZFDA-V2.zh.html"))).unwrap();
        assert!(
            zh.contains("第 1 次随访报告") && zh.contains("lang=\"zh-Hans\""),
            "{zh}"
        );

        // The export is an unblinded read: audited on the unblinded chain, with the arm.
        let rows = sql
            .audit_of(
                "safety-case",
                &trial::safety::event_record(participants[0], susar.id),
            )
            .await
            .unwrap();
        let exported: Vec<_> = rows.iter().filter(|r| r.action == "export-e2b").collect();
        assert!(!exported.is_empty(), "{rows:#?}");
        assert!(
            exported.iter().all(|r| r.chain.ends_with("/unblinded")),
            "{rows:#?}"
        );
        assert!(
            exported
                .iter()
                .any(|r| r.field.as_deref() == Some("treatment")
                    && r.new_value.as_deref() == Some(arm.as_str())),
            "{rows:#?}"
        );
        assert!(matches!(
            sql.verify_audit().await.unwrap(),
            store::AuditReport::Intact { .. }
        ));

        let Some(python) = &python else { continue };
        let stored = sql
            .safety_case(&study, &scope, susar.id, time::OffsetDateTime::now_utc())
            .await
            .unwrap();
        for (version, receiver) in [
            ("ZZFDA-V1", "ZZFDA"),
            ("ZZFDA-V2", "ZZFDA"),
            ("CDE-V1", "CDE"),
        ] {
            let file = dir.join(format!("{stem}-{version}.xml"));
            let read = read_with_e2br3(python, &file);
            assert_eq!(read["missing"], serde_json::json!([]), "{}", file.display());
            let batch = &read["batch"];
            assert_eq!(batch["receiver"], receiver);
            let message = &batch["messages"][0];
            assert_eq!(message["message_id"], format!("{stem}-{version}"));
            let icsr = &message["icsr"];
            assert_eq!(icsr["safety_report_id"], stem.as_str());
            assert_eq!(icsr["report_type"]["code"], "2", "report from a study");
            assert_eq!(icsr["primary_sources"][0]["country"]["code"], "US");
            assert_eq!(icsr["patient"]["sex"]["code"], "1", "male");
            assert_eq!(icsr["patient"]["age"]["value"], "46");
            let reaction = &icsr["reactions"][0];
            let e = &stored.event.event;
            assert_eq!(reaction["meddra"]["code"], e.meddra_code.as_str());
            assert_eq!(reaction["native_term"], e.verbatim.as_str());
            assert_eq!(reaction["translated_term"], e.term.as_str());
            assert_eq!(reaction["start_date"]["raw"], "202611");
            assert_eq!(reaction["start_date"]["precision"], "month");
            assert_eq!(reaction["life_threatening"], true);
            assert_eq!(reaction["hospitalisation"], true);
            assert_eq!(reaction["results_in_death"]["nullFlavor"], "NI");
            assert_eq!(reaction["outcome"]["code"], "3", "not recovered");
            let drug = &icsr["drugs"][0];
            assert_eq!(
                drug["product_name"],
                arm_name.as_str(),
                "the actual treatment"
            );
            assert_eq!(drug["role"]["code"], "1", "suspect");
            assert_eq!(drug["dosages"][0]["route_text"], "Intrathecal");
            let assessments = drug["relatedness"][0]["assessments"].as_array().unwrap();
            let pairs: Vec<(String, String)> = assessments
                .iter()
                .map(|a| {
                    (
                        a["source"]["original_text"].as_str().unwrap().to_string(),
                        a["result"].as_str().unwrap().to_string(),
                    )
                })
                .collect();
            let sponsor = stored.sponsor.as_ref().unwrap().causality;
            assert_eq!(
                pairs,
                [
                    ("Investigator".to_string(), e.causality_product.to_string()),
                    ("Sponsor".to_string(), sponsor.to_string()),
                ]
            );
            assert_eq!(drug["relatedness"][0]["reaction_index"], 0);
            let narrative = icsr["narrative"].as_str().unwrap();
            assert!(narrative.contains("E2B-0") && narrative.contains("CTCAE grade 4"));
            assert!(narrative.contains(&format!("unblinded for this report: {arm_name}")));
        }
        // The recorded versions carry their submission time (C.1.2, C.1.5).
        let v1 = read_with_e2br3(python, &dir.join(format!("{stem}-ZZFDA-V2.xml")));
        let submitted = stored.reports[1].submitted_at.replace(['-', ':', 'T'], "");
        let created = v1["batch"]["messages"][0]["icsr"]["creation_date"]["raw"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            created.starts_with(&submitted[..14]),
            "{created} vs {submitted}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn a_missing_sqlite_file_is_refused() {
    let dir = std::env::temp_dir().join(format!("scitrial-e2b-none-{}", std::process::id()));
    let (code, text) = export("sqlite:/nonexistent/scitrial-e2b.db", &dir);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("there is no database"), "{text}");
    assert!(!dir.exists());
}

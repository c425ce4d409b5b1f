//! The writer on casebooks made here (no database): the metadata, each value's history as
//! transactions, untracked values, signatures and blinding.

use serde_json::json;
use store::{AuditRow, Casebook, SubmittedForm, SubmittedSignature};
use trial::Study;

use super::Writer;
use crate::sdtm::tests::participant;

const PHASE2: &str = include_str!("../../../../studies/xs228-phase2.toml");

fn row(seq: i64, action: &str, field: &str, old: Option<&str>, new: Option<&str>) -> AuditRow {
    AuditRow {
        id: seq,
        chain: "XS228-P2".into(),
        seq,
        at: format!("2026-03-01T10:00:{seq:02}.000000Z"),
        user_id: Some(7),
        username: "crc".into(),
        action: action.into(),
        entity: "form".into(),
        record_id: "1/baseline/vital-signs".into(),
        field: Some(field.into()),
        old_value: old.map(String::from),
        new_value: new.map(String::from),
        reason: (action == "update").then(|| "typo & fix".into()),
        prev_hash: String::new(),
        hash: String::new(),
    }
}

fn book(treatment: Option<&str>) -> Casebook {
    Casebook {
        participant: participant(1, Some("001"), Some("2026-02-10")),
        treatment: treatment.map(String::from),
        visits: vec![],
        forms: vec![SubmittedForm {
            participant_id: 1,
            visit_id: "baseline".into(),
            form_id: "vital-signs".into(),
            data: json!({"systolic_bp": 125, "heart_rate": 70, "temperature": 36.6}),
            status: "complete".into(),
        }],
        trail: vec![
            row(1, "create", "systolic_bp", None, Some("120")),
            row(2, "create", "diastolic_bp", None, Some("80")),
            row(3, "create", "status", None, Some("complete")),
            row(4, "update", "systolic_bp", Some("120"), Some("125")),
            row(5, "update", "diastolic_bp", Some("80"), None),
            row(6, "create", "heart_rate", None, Some("70")),
        ],
        signatures: vec![
            SubmittedSignature {
                visit_id: "baseline".into(),
                meaning: "authored".into(),
                username: "crc".into(),
                signer_name: "C R C".into(),
                signed_at: "2026-03-01T11:00:00.000000Z".into(),
                void_at: None,
            },
            SubmittedSignature {
                visit_id: "baseline".into(),
                meaning: "approved".into(),
                username: "investigator".into(),
                signer_name: "I N V".into(),
                signed_at: "2026-03-02T11:00:00.000000Z".into(),
                void_at: Some("2026-03-03T11:00:00.000000Z".into()),
            },
        ],
    }
}

fn write(treatments: bool, book: &Casebook) -> String {
    let study = Study::from_toml(PHASE2).unwrap();
    let at = time::macros::datetime!(2026-12-06 12:00 UTC);
    let mut w = Writer::begin(Vec::new(), &study, treatments, at).unwrap();
    w.users(&[("crc".into(), "C R C".into())]).unwrap();
    w.casebook(book).unwrap();
    assert_eq!(w.casebooks, 1);
    String::from_utf8(w.finish().unwrap()).unwrap()
}

#[test]
fn each_value_is_its_history_of_transactions() {
    let xml = write(false, &book(None));
    assert!(xml.ends_with("</ClinicalData>\n</ODM>\n"));
    let sbp = "IT.vital-signs.systolic_bp";
    assert!(xml.contains(&format!(
        "<ItemData ItemOID=\"{sbp}\" TransactionType=\"Insert\" Value=\"120\"><AuditRecord>\
         <UserRef UserOID=\"USR.crc\"/><LocationRef LocationOID=\"LOC.SHEPHERD\"/>\
         <DateTimeStamp>2026-03-01T10:00:01.000000Z</DateTimeStamp>\
         <SourceID>audit XS228-P2 1 (create)</SourceID></AuditRecord></ItemData>\
         <ItemData ItemOID=\"{sbp}\" TransactionType=\"Update\" Value=\"125\"><AuditRecord>"
    )));
    assert!(xml.contains("<ReasonForChange>typo &amp; fix</ReasonForChange>"));
    // A removed value: its insert, then its removal.
    let dbp = "IT.vital-signs.diastolic_bp";
    assert!(xml.contains(&format!(
        "ItemOID=\"{dbp}\" TransactionType=\"Insert\" Value=\"80\""
    )));
    assert!(xml.contains(&format!(
        "ItemOID=\"{dbp}\" TransactionType=\"Remove\" IsNull=\"Yes\""
    )));
    // A value the trail does not account for, last, without an audit record.
    assert!(xml.contains(
        "<ItemData ItemOID=\"IT.vital-signs.temperature\" TransactionType=\"Upsert\" Value=\"36.6\"/>"
    ));
    // The status is not a value.
    assert!(!xml.contains("Value=\"complete\""));
    // The latest signature that is not void.
    assert!(xml.contains("<SignatureRef SignatureOID=\"SD.authored\"/>"));
    assert!(!xml.contains("<SignatureRef SignatureOID=\"SD.approved\"/>"));
    // Metadata in both languages; accounts with the system.
    assert!(xml.contains("<StudyEventDef OID=\"SE.baseline\""));
    assert!(xml.contains("xml:lang=\"zh-Hans\""));
    assert!(xml.contains("<User OID=\"USR.system\">"));
    assert!(
        xml.contains("IG.isncsci.exam")
            && xml.contains("IT.isncsci.classification.asiaImpairmentScale")
    );
}

#[test]
fn treatments_only_when_included() {
    let blinded = write(false, &book(Some("placebo")));
    assert!(!blinded.contains("TREATMENT") && !blinded.contains("\"placebo\""));
    assert!(blinded.contains("blinded: no treatment"));
    let open = write(true, &book(Some("placebo")));
    assert!(open.contains("<ItemData ItemOID=\"IT.TREATMENT.ARM\" Value=\"placebo\"/>"));
    assert!(open.contains("<CodeList OID=\"CL.TREATMENT.ARM\""));
}

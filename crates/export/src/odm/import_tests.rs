//! The ODM reader without a database: a file our writer wrote reads back as the forms it
//! held, a REDCap-shaped file (written here, as REDCap lays out its ODM export) reads into
//! the study's forms, each way a file does not fit is refused naming where, and the reader is
//! fuzzed: any bytes, and valid files mutated, give forms or a problem, never a panic.

use proptest::prelude::*;
use serde_json::{json, Value};
use trial::{FormStatus, Study};

use super::import::{read, ImportProblem, ImportedForm};
use super::Writer;
use crate::sdtm::tests::participant;
use store::{Casebook, SubmittedForm};

const PHASE2: &str = include_str!("../../../../studies/xs228-phase2.toml");

fn study() -> Study {
    Study::from_toml(PHASE2).unwrap()
}

/// A complete exam in the flat layout (a normal one), as the form's values.
fn exam_values() -> serde_json::Map<String, Value> {
    isncsci::flat::Field::all()
        .filter(|f| f.is_required())
        .map(|f| {
            let v = if f.name().contains("Motor") {
                "5"
            } else if f.name().starts_with("anal") {
                "Yes"
            } else {
                "2"
            };
            (f.name(), json!(v))
        })
        .collect()
}

fn forms_of(study: &Study) -> Vec<SubmittedForm> {
    let exam = trial::participants::isncsci_form_data(&exam_values()).unwrap();
    let scim: serde_json::Map<String, Value> = trial::Scim3Item::ALL
        .iter()
        .map(|i| (i.id().to_string(), json!(i.allowed()[0])))
        .collect();
    let scim = trial::score_form(study.form("scim3").unwrap(), &scim).unwrap();
    let form = |visit: &str, form: &str, data: Value| SubmittedForm {
        participant_id: 1,
        visit_id: visit.into(),
        form_id: form.into(),
        data,
        status: "complete".into(),
    };
    vec![
        form("week-2", "isncsci", exam),
        form("baseline", "scim3", scim),
        form("baseline", "wisci2", json!({"level": 12})),
        form(
            "baseline",
            "vital-signs",
            json!({"systolic_bp": 125, "diastolic_bp": 80, "heart_rate": 70,
                   "respiratory_rate": 14, "temperature": 36.6}),
        ),
        form(
            "week-2",
            "conmed",
            json!({"medication": "Paracetamol <500> & \"co\"", "indication": "pain",
                   "route": "oral", "dose": 500.0, "start_date": "2026-02-20",
                   "ongoing": true}),
        ),
    ]
}

/// Our own writer's file of one casebook.
fn written(study: &Study, forms: Vec<SubmittedForm>) -> String {
    let book = Casebook {
        participant: participant(1, Some("001"), Some("2026-02-10")),
        treatment: Some("xs228".into()),
        visits: vec![],
        forms,
        trail: vec![],
        signatures: vec![],
    };
    let created = time::macros::datetime!(2026-03-02 09:00 UTC);
    let mut w = Writer::begin(Vec::new(), study, true, created).unwrap();
    w.users(&[("crc".into(), "C R C".into())]).unwrap();
    w.casebook(&book).unwrap();
    String::from_utf8(w.finish().unwrap()).unwrap()
}

fn read_text(study: &Study, text: &str) -> Result<Vec<ImportedForm>, Box<ImportProblem>> {
    read(study, text.as_bytes())
}

#[test]
fn our_own_file_reads_back_as_the_forms_it_holds() {
    let study = study();
    let forms = forms_of(&study);
    let read = read_text(&study, &written(&study, forms.clone())).unwrap();
    assert_eq!(read.len(), forms.len());
    for f in &forms {
        let got = read
            .iter()
            .find(|r| r.form.visit_id == f.visit_id && r.form.form_id == f.form_id)
            .unwrap();
        assert_eq!(got.form.subject, "001");
        assert_eq!(
            Value::Object(got.form.data.clone()),
            f.data,
            "{}",
            f.form_id
        );
        assert_eq!(got.form.status, None);
        assert!(!got.form.screening_exam);
    }
}

/// A file as REDCap exports a project: its own namespaces and attributes, `Form.<form>`,
/// item groups named by form, items by field name, booleans as 0/1 and each form's
/// `<form>_complete`.
const REDCAP: &str = r#"<?xml version="1.0" encoding="UTF-8" ?>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"
     xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:redcap="https://projectredcap.org"
     FileOID="000-00-0000" FileType="Snapshot" Description="XS228 migration" AsOfDateTime="2026-03-01T10:00:00"
     CreationDateTime="2026-03-01T10:00:00" ODMVersion="1.3.2" SourceSystem="REDCap" SourceSystemVersion="14.0.0">
<Study OID="Project.XS228">
<GlobalVariables><StudyName>XS228</StudyName><StudyDescription>d</StudyDescription><ProtocolName>XS228</ProtocolName></GlobalVariables>
</Study>
<ClinicalData StudyOID="Project.XS228" MetaDataVersionOID="Metadata.XS228_2026-03-01_1000">
	<SubjectData SubjectKey="XS228-001" redcap:RecordIdField="record_id">
		<StudyEventData StudyEventOID="baseline" redcap:UniqueEventName="baseline">
			<FormData FormOID="Form.vital-signs" FormRepeatKey="1">
				<ItemGroupData ItemGroupOID="vital-signs.systolic_bp" ItemGroupRepeatKey="1">
					<ItemData ItemOID="systolic_bp" Value="131"/>
					<ItemData ItemOID="diastolic_bp" Value="84"/>
					<ItemData ItemOID="heart_rate" Value="66"/>
					<ItemData ItemOID="respiratory_rate" Value="16"/>
					<ItemData ItemOID="temperature" Value="36.9"/>
					<ItemData ItemOID="weight" Value=""/>
				</ItemGroupData>
				<ItemGroupData ItemGroupOID="vital-signs.vital-signs_complete" ItemGroupRepeatKey="1">
					<ItemData ItemOID="vital-signs_complete" Value="2"/>
				</ItemGroupData>
			</FormData>
			<FormData FormOID="Form.wisci2" FormRepeatKey="1">
				<ItemGroupData ItemGroupOID="wisci2.level" ItemGroupRepeatKey="1">
					<ItemData ItemOID="level" Value="9"/>
					<ItemData ItemOID="wisci2_complete" Value="1"/>
				</ItemGroupData>
			</FormData>
		</StudyEventData>
	</SubjectData>
</ClinicalData>
</ODM>
"#;

#[test]
fn a_redcap_file_reads_into_the_studys_forms() {
    let study = study();
    let read = read_text(&study, REDCAP).unwrap();
    assert_eq!(read.len(), 2);
    let vitals = &read[0].form;
    assert_eq!(
        (
            vitals.subject.as_str(),
            vitals.visit_id.as_str(),
            vitals.form_id.as_str()
        ),
        ("XS228-001", "baseline", "vital-signs")
    );
    assert_eq!(vitals.data["systolic_bp"], json!(131));
    assert_eq!(vitals.data["temperature"], json!(36.9));
    assert!(
        vitals.data.get("weight").is_none_or(Value::is_null),
        "{vitals:?}"
    );
    assert_eq!(vitals.status, Some(FormStatus::Complete));
    assert_eq!(read[0].line, 12, "the FormData's line");
    let wisci = &read[1].form;
    assert_eq!(wisci.data["level"], json!(9));
    assert_eq!(wisci.status, Some(FormStatus::InProgress));
}

/// The problem reading `text` gives (it must give one).
fn refusal(text: &str) -> Box<ImportProblem> {
    match read_text(&study(), text) {
        Err(p) => p,
        Ok(forms) => panic!("read {} forms from a file that does not fit", forms.len()),
    }
}

#[test]
fn a_file_that_does_not_fit_is_refused_naming_where() {
    let p = refusal(&REDCAP.replace("ItemOID=\"heart_rate\"", "ItemOID=\"pulse\""));
    assert_eq!(p.item.as_deref(), Some("pulse"));
    assert_eq!(p.subject.as_deref(), Some("XS228-001"));
    assert_eq!(p.form.as_deref(), Some("F.vital-signs"));
    assert_eq!(p.line, Some(16));
    assert!(p.message.contains("unknown item"), "{p}");
    assert!(p.message.contains("IT.vital-signs.heart_rate"), "{p}");

    let p = refusal(&REDCAP.replace("Value=\"131\"", "Value=\"400\""));
    assert_eq!(p.item.as_deref(), Some("systolic_bp"), "{p}");
    assert_eq!(p.line, Some(14), "{p}");
    assert!(p.message.contains("250"), "the allowed range: {p}");

    let p = refusal(&REDCap_event("week-99"));
    assert_eq!(p.event.as_deref(), Some("week-99"));
    assert!(p.message.contains("unknown study event"), "{p}");
    assert!(p.message.contains("SE.baseline"), "{p}");

    let p = refusal(&REDCAP.replace("Form.wisci2", "Form.isncsci"));
    assert!(p.message.contains("not a form of visit baseline"), "{p}");

    let p = refusal(&REDCAP.replace(
        "<ItemData ItemOID=\"level\" Value=\"9\"/>",
        "<ItemData ItemOID=\"level\" Value=\"9\">",
    ));
    assert!(p.message.contains("not well-formed"), "{p}");

    let p = refusal(&REDCAP.replace("Value=\"2\"/>", "Value=\"done\"/>"));
    assert!(p.message.contains("REDCap form status"), "{p}");

    let p = refusal(&REDCAP.replace(
        "FormRepeatKey=\"1\">\n\t\t\t\t<ItemGroupData ItemGroupOID=\"wisci2",
        "FormRepeatKey=\"2\">\n\t\t\t\t<ItemGroupData ItemGroupOID=\"wisci2",
    ));
    assert!(p.message.contains("do not repeat"), "{p}");

    let p = refusal(&REDCAP[..REDCAP.len() - 23]);
    assert!(p.message.contains("ends inside <ClinicalData>"), "{p}");
    let p = refusal(&REDCAP[..REDCAP.len() - 30]);
    assert!(p.message.contains("not well-formed"), "{p}");

    let p = refusal("<html><body/></html>");
    assert!(p.message.contains("not an ODM file"), "{p}");
}

#[allow(non_snake_case)]
fn REDCap_event(event: &str) -> String {
    REDCAP.replace(
        "StudyEventOID=\"baseline\"",
        &format!("StudyEventOID=\"{event}\""),
    )
}

#[test]
fn computed_values_are_checked_and_a_treatment_is_skipped() {
    let study = study();
    let text = written(&study, forms_of(&study));
    assert!(text.contains("SE.TREATMENT"));
    // SCIM III's total as the file gives it must be what the items add up to.
    let total = format!("<ItemData ItemOID=\"IT.scim3.{}\"", trial::SCIM3_TOTAL_KEY);
    let at = text.find(&total).unwrap();
    let value_at = at + text[at..].find("Value=\"").unwrap() + 7;
    let end = value_at + text[value_at..].find('"').unwrap();
    let mut changed = text.clone();
    changed.replace_range(value_at..end, "99");
    let p = read_text(&study, &changed).unwrap_err();
    assert_eq!(p.item, Some(format!("IT.scim3.{}", trial::SCIM3_TOTAL_KEY)));
    assert!(p.message.contains("computes"), "{p}");
    // An exam value out of range is named by its item.
    let changed = text.replacen(
        "ItemOID=\"IT.isncsci.exam.c5RightMotor\" TransactionType=\"Upsert\" Value=\"5\"",
        "ItemOID=\"IT.isncsci.exam.c5RightMotor\" TransactionType=\"Upsert\" Value=\"7\"",
        1,
    );
    assert_ne!(changed, text);
    let p = read_text(&study, &changed).unwrap_err();
    assert_eq!(
        p.item.as_deref(),
        Some("IT.isncsci.exam.c5RightMotor"),
        "{p}"
    );
}

#[test]
fn transactions_leave_the_last_value() {
    let study = study();
    let text = REDCAP.replace(
        "<ItemData ItemOID=\"level\" Value=\"9\"/>",
        "<ItemData ItemOID=\"level\" Value=\"9\"/><ItemData ItemOID=\"level\" \
         TransactionType=\"Update\" Value=\"11\"/>",
    );
    let read = read_text(&study, &text).unwrap();
    assert_eq!(read[1].form.data["level"], json!(11));
    // A required value removed by its last transaction is missing.
    let text = REDCAP.replace(
        "<ItemData ItemOID=\"level\" Value=\"9\"/>",
        "<ItemData ItemOID=\"level\" Value=\"9\"/><ItemData ItemOID=\"level\" \
         TransactionType=\"Remove\" IsNull=\"Yes\"/>",
    );
    assert!(read_text(&study, &text).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_bytes_give_forms_or_a_problem(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = read(&study(), bytes.as_slice());
    }

    #[test]
    fn mutated_files_give_forms_or_a_problem(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0usize..4, any::<u8>()), 1..8),
        ours in any::<bool>(),
    ) {
        let study = study();
        let base = if ours { written(&study, forms_of(&study)) } else { REDCAP.to_string() };
        let mut bytes = base.into_bytes();
        for (at, kind, byte) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match kind {
                0 => bytes[i] = byte,
                1 => { bytes.remove(i); }
                2 => bytes.insert(i, byte),
                _ => {
                    // A structural character where it hurts most.
                    bytes.insert(i, b"<>\"&/="[byte as usize % 6]);
                }
            }
        }
        match read(&study, bytes.as_slice()) {
            Ok(forms) => {
                for f in forms {
                    prop_assert!(study.form(&f.form.form_id).is_some());
                }
            }
            Err(p) => prop_assert!(!p.message.is_empty()),
        }
    }
}

/// A file as OpenClinica 3 exports a study: its own OIDs (`SS_…` subject keys with the label in
/// `OpenClinica:StudySubjectID`, `SE_<EVENT>`, `F_<CRF>_<VERSION>`, `IG_…_UNGROUPED`,
/// `I_<PREFIX>_<ITEM>`) and its own attributes.
const OPENCLINICA: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3" xmlns:OpenClinica="http://www.openclinica.org/ns/odm_ext_v130/v3.1"
     FileType="Snapshot" FileOID="1D20260301100000+0000" Description="XS228 extract" CreationDateTime="2026-03-01T10:00:00+00:00" ODMVersion="1.3">
<Study OID="S_XS228"><GlobalVariables><StudyName>XS228</StudyName><StudyDescription>d</StudyDescription><ProtocolName>XS228</ProtocolName></GlobalVariables></Study>
<ClinicalData StudyOID="S_XS228" MetaDataVersionOID="v1.0.0">
  <SubjectData SubjectKey="SS_XS228001" OpenClinica:StudySubjectID="XS228-001" OpenClinica:Status="available">
    <StudyEventData StudyEventOID="SE_BASELINE" OpenClinica:StartDate="2026-03-01" OpenClinica:Status="data entry started">
      <FormData FormOID="F_VITALSIGNS_V10" OpenClinica:Version="v1.0" OpenClinica:Status="initial data entry">
        <ItemGroupData ItemGroupOID="IG_VITAL_UNGROUPED" ItemGroupRepeatKey="1" TransactionType="Insert">
          <ItemData ItemOID="I_VITAL_SYSTOLIC_BP" Value="128"/>
          <ItemData ItemOID="I_VITAL_DIASTOLICBP" Value="82"/>
          <ItemData ItemOID="I_VITAL_HEART_RATE" Value="71"/>
          <ItemData ItemOID="I_VITAL_RESPIRATORY_RATE" Value="15"/>
          <ItemData ItemOID="I_VITAL_TEMPERATURE" Value="36.7"/>
        </ItemGroupData>
      </FormData>
      <FormData FormOID="F_WISCI2_V1" OpenClinica:Version="v1" OpenClinica:Status="initial data entry">
        <ItemGroupData ItemGroupOID="IG_WISCI_UNGROUPED" ItemGroupRepeatKey="1" TransactionType="Insert">
          <ItemData ItemOID="I_WISCI_LEVEL" Value="11"/>
        </ItemGroupData>
      </FormData>
    </StudyEventData>
  </SubjectData>
</ClinicalData>
</ODM>
"#;

#[test]
fn an_openclinica_file_reads_into_the_studys_forms_by_name() {
    let study = study();
    let read = read_text(&study, OPENCLINICA).unwrap();
    assert_eq!(read.len(), 2);
    let vitals = &read[0].form;
    assert_eq!(
        (
            vitals.subject.as_str(),
            vitals.visit_id.as_str(),
            vitals.form_id.as_str()
        ),
        ("XS228-001", "baseline", "vital-signs")
    );
    assert_eq!(vitals.data["systolic_bp"], json!(128));
    assert_eq!(vitals.data["diastolic_bp"], json!(82));
    assert_eq!(vitals.data["temperature"], json!(36.7));
    assert_eq!(read[1].form.form_id, "wisci2");
    assert_eq!(read[1].form.data["level"], json!(11));

    // A name the study does not have is refused as any unknown OID is.
    let p = refusal(&OPENCLINICA.replace("I_VITAL_HEART_RATE", "I_VITAL_PULSE"));
    assert_eq!(p.item.as_deref(), Some("I_VITAL_PULSE"));
    assert_eq!(p.subject.as_deref(), Some("XS228-001"));
    assert!(p.message.contains("unknown item"), "{p}");
    let p = refusal(&OPENCLINICA.replace("SE_BASELINE", "SE_WEEK99"));
    assert!(p.message.contains("unknown study event"), "{p}");
    let p = refusal(&OPENCLINICA.replace("F_WISCI2_V1", "F_ISNCSCI_V1"));
    assert!(p.message.contains("not a form of visit baseline"), "{p}");
    // Its values are checked as a save checks them.
    let p = refusal(&OPENCLINICA.replace("Value=\"128\"", "Value=\"400\""));
    assert_eq!(p.item.as_deref(), Some("I_VITAL_SYSTOLIC_BP"), "{p}");
    assert!(p.message.contains("250"), "{p}");
}

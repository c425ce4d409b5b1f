//! The mapping on data made here (no database): identifiers, study days and epochs, blinding,
//! every form kind to its domain, the trial design, and refusals that name dataset, variable
//! and record.

use serde_json::json;
use store::{AdverseEventRecord, Participant, SubmissionData, SubmittedForm, SubmittedVisit};
use trial::safety::{ActionTaken, AdverseEvent, Causality, Outcome, PartialDate, Seriousness};
use trial::{ParticipantStatus, Study};

use super::design::{pieces, shift_day};
use super::*;
use crate::xpt::Value;

const PHASE2: &str = include_str!("../../../../studies/xs228-phase2.toml");
const PHASE1: &str = include_str!("../../../../studies/xs228-phase1.toml");

fn study(text: &str) -> Study {
    Study::from_toml(text).unwrap()
}

pub(crate) fn participant(id: i64, subject: Option<&str>, anchor: Option<&str>) -> Participant {
    Participant {
        id,
        study_id: "XS228-P2".into(),
        site_id: "SHEPHERD".into(),
        screening_number: format!("S{id}"),
        subject_id: subject.map(String::from),
        status: if subject.is_some() {
            ParticipantStatus::Enrolled
        } else {
            ParticipantStatus::Screening
        },
        sex: "female".into(),
        date_of_birth: "1980-06-15".into(),
        injury_date: "2026-01-01".into(),
        consent_date: "2026-02-01".into(),
        screening_date: "2026-02-02".into(),
        eligible: true,
        eligibility_reasons: vec![],
        enrolled_on: subject.map(|_| "2026-02-05".into()),
        anchor_date: anchor.map(String::from),
        ended_on: None,
        end_reason: None,
        created_at: "2026-02-02T00:00:00.000000Z".into(),
        updated_at: "2026-02-02T00:00:00.000000Z".into(),
    }
}

fn visit(participant_id: i64, visit_id: &str, done_on: Option<&str>) -> SubmittedVisit {
    SubmittedVisit {
        participant_id,
        visit_id: visit_id.into(),
        target: done_on.unwrap_or("2026-12-01").into(),
        done_on: done_on.map(String::from),
    }
}

fn form(
    participant_id: i64,
    visit_id: &str,
    form_id: &str,
    data: serde_json::Value,
) -> SubmittedForm {
    SubmittedForm {
        participant_id,
        visit_id: visit_id.into(),
        form_id: form_id.into(),
        data,
        status: "complete".into(),
    }
}

fn event(id: i64, participant_id: i64, onset: &str, end: Option<&str>) -> AdverseEventRecord {
    AdverseEventRecord {
        id,
        participant_id,
        event: AdverseEvent {
            verbatim: "bad headache".into(),
            term: "Headache".into(),
            meddra_code: "10019211".into(),
            soc: "Nervous system disorders".into(),
            onset: PartialDate::parse(onset).unwrap(),
            end: end.map(|e| PartialDate::parse(e).unwrap()),
            grade: 3,
            seriousness: vec![Seriousness::Hospitalisation],
            causality_product: Causality::Possible,
            causality_procedure: Causality::Probable,
            action: ActionTaken::NotApplicable,
            outcome: if end.is_some() {
                Outcome::Recovered
            } else {
                Outcome::NotRecovered
            },
        },
        recorded_by: "crc".into(),
        created_at: "2026-03-01T00:00:00.000000Z".into(),
        updated_at: "2026-03-01T00:00:00.000000Z".into(),
        signed: false,
        signature: None,
    }
}

fn exam_data() -> serde_json::Value {
    let mut rng = isncsci::synth::Rng::new(19);
    let exam = isncsci::synth::injury_exam(&mut rng);
    let flat: serde_json::Map<String, serde_json::Value> = isncsci::flat::fields(&exam)
        .map(|(k, v)| (k, json!(v)))
        .collect();
    json!({"exam": flat, "classification": trial::participants::classification_json(&exam.classify())})
}

/// Two enrolled participants (the first dosed on 2026-02-10) and one still in screening, with
/// a form of every kind, two adverse events and an allocation.
fn data(treatments: bool) -> SubmissionData {
    let mut scim = serde_json::Map::new();
    for item in trial::Scim3Item::ALL {
        scim.insert(item.id().into(), json!(item.allowed()[1]));
    }
    let scored = trial::Scim3::from_json(&scim).unwrap().to_json();
    SubmissionData {
        participants: vec![
            participant(1, Some("001"), Some("2026-02-10")),
            participant(2, Some("002"), None),
            participant(3, None, None),
        ],
        visits: vec![
            visit(1, "screening", Some("2026-02-02")),
            visit(1, "baseline", Some("2026-02-10")),
            visit(1, "week-2", Some("2026-02-24")),
            visit(1, "week-4", None),
            visit(2, "screening", Some("2026-02-02")),
        ],
        forms: vec![
            form(1, "screening", "isncsci", exam_data()),
            form(
                1,
                "baseline",
                "vital-signs",
                json!({"systolic_bp": 120, "diastolic_bp": 80, "heart_rate": 70,
                       "respiratory_rate": 14, "temperature": 36.6}),
            ),
            form(1, "baseline", "scim3", scored),
            form(1, "baseline", "wisci2", json!({"level": 12})),
            form(
                1,
                "week-2",
                "conmed",
                json!({"medication": "Baclofen", "indication": "Spasticity", "dose": 10,
                       "dose_unit": "mg", "route": "oral", "frequency": "three times a day",
                       "start_date": "2026-02-09", "ongoing": true}),
            ),
            // Not a subject: never exported.
            form(3, "screening", "isncsci", exam_data()),
        ],
        adverse_events: vec![
            event(7, 1, "2026-02-09", Some("2026-02-11")),
            event(9, 1, "2026-03", None),
        ],
        treatments: treatments.then(|| {
            vec![store::Treatment {
                participant_id: 1,
                id: "placebo".into(),
            }]
        }),
        doses: vec![
            store::SubmittedDose {
                participant_id: 1,
                dose_number: Some(1),
                visit_id: Some("baseline".into()),
                injected_at: "2026-02-10T02:15:07.123456Z".into(),
                dose_cells: 100_000_000,
                volume_ml: "5.0".into(),
                route: "intrathecal".into(),
                puncture_level: "L3-L4".into(),
                placebo: treatments.then_some(true),
            },
            // Not a subject: never exported.
            store::SubmittedDose {
                participant_id: 3,
                dose_number: Some(1),
                visit_id: None,
                injected_at: "2026-02-11T02:15:07Z".into(),
                dose_cells: 100_000_000,
                volume_ml: "5.0".into(),
                route: "intrathecal".into(),
                puncture_level: "L3-L4".into(),
                placebo: treatments.then_some(false),
            },
        ],
    }
}

#[test]
fn ex_has_each_dose_and_names_the_treatment_only_when_unblinded() {
    let s = study(PHASE2);
    let blinded = datasets(&s, &data(false)).unwrap();
    let ex = dataset(&blinded, "EX");
    assert_eq!(column(ex, "USUBJID"), ["XS228-P2-001"]);
    assert_eq!(column(ex, "EXTRT"), [super::BLINDED_TREATMENT]);
    assert_eq!(column(ex, "EXDOSE"), ["100000000"], "the label's dose");
    assert_eq!(column(ex, "EXSTDTC"), ["2026-02-10T02:15:07"]);
    assert_eq!(column(ex, "EXSTDY"), ["1"]);
    assert_eq!(column(ex, "EPOCH"), ["TREATMENT"]);
    assert_eq!(column(ex, "VISITNUM"), ["2"]);
    assert_eq!(column(ex, "EXROUTE"), ["INTRATHECAL"]);
    assert_eq!(column(ex, "EXLOC"), ["L3-L4"]);
    assert_eq!(column(ex, "EXVAMT"), ["5"]);
    assert_eq!(column(ex, "EXSPID"), ["DOSE 1"]);
    let unblinded = datasets(&s, &data(true)).unwrap();
    let ex = dataset(&unblinded, "EX");
    assert_eq!(column(ex, "EXTRT"), ["PLACEBO"]);
    assert_eq!(column(ex, "EXDOSE"), ["0"]);
    let mut active = data(true);
    active.doses[0].placebo = Some(false);
    let all = datasets(&s, &active).unwrap();
    assert_eq!(column(dataset(&all, "EX"), "EXTRT"), ["XS228"]);
    let p1 = study(PHASE1);
    let all = datasets(&p1, &active).unwrap();
    assert_eq!(
        column(dataset(&all, "EX"), "EXTRT"),
        ["XS228"],
        "from the study's id"
    );
}

fn dataset<'a>(all: &'a [Dataset], name: &str) -> &'a Dataset {
    all.iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("no {name}"))
}

/// A variable's values, as text (numbers written plainly, missing as `.`).
fn column(ds: &Dataset, name: &str) -> Vec<String> {
    let i = ds
        .variables
        .iter()
        .position(|v| v.name == name)
        .unwrap_or_else(|| panic!("{} has no {name}", ds.name));
    ds.records
        .iter()
        .map(|r| match &r[i] {
            Value::Text(t) => t.clone(),
            Value::Number(n) => n.to_string(),
            Value::Missing => ".".into(),
        })
        .collect()
}

#[test]
fn dm_has_each_subject_once_and_arms_only_when_unblinded() {
    let s = study(PHASE2);
    let blinded = datasets(&s, &data(false)).unwrap();
    let dm = dataset(&blinded, "DM");
    assert_eq!(column(dm, "USUBJID"), ["XS228-P2-001", "XS228-P2-002"]);
    assert_eq!(column(dm, "RFSTDTC"), ["2026-02-10", ""]);
    assert_eq!(column(dm, "AGE"), ["45", "45"]);
    assert_eq!(column(dm, "SEX"), ["F", "F"]);
    assert_eq!(column(dm, "COUNTRY"), ["USA", "USA"]);
    for v in ["ARMCD", "ARM", "ACTARMCD", "ACTARM"] {
        assert_eq!(column(dm, v), ["", ""], "{v}");
    }
    assert_eq!(dm.label, BLINDED_DM_LABEL);
    assert_eq!(
        table::length(dm, "SEX"),
        Some(1),
        "text fitted to the longest value"
    );
    assert_eq!(table::length(dm, "ARM"), Some(1), "at least one byte");
    assert!(dm.label.contains("blinded"));

    let open = datasets(&s, &data(true)).unwrap();
    let dm = dataset(&open, "DM");
    assert_eq!(dm.label, "Demographics");
    assert_eq!(column(dm, "ARMCD"), ["PLACEBO", "NOTASSGN"]);
    assert_eq!(
        column(dm, "ARM"),
        ["Placebo (inactive solution)", "Not Assigned"]
    );
    assert_eq!(column(dm, "ACTARM"), column(dm, "ARM"));
    // Nothing else differs between the two exports but EX's treatment (its own test).
    let blinded_names: Vec<&str> = blinded.iter().map(|d| d.name.as_str()).collect();
    let open_names: Vec<&str> = open.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(blinded_names, open_names);
    for (b, o) in blinded
        .iter()
        .zip(&open)
        .filter(|(b, _)| !["DM", "EX"].contains(&b.name.as_str()))
    {
        assert_eq!(b, o, "{}", b.name);
    }
}

#[test]
fn study_days_and_epochs_count_from_the_first_dose_without_day_0() {
    let all = datasets(&study(PHASE2), &data(false)).unwrap();
    let sv = dataset(&all, "SV");
    assert_eq!(
        column(sv, "USUBJID"),
        [
            "XS228-P2-001",
            "XS228-P2-001",
            "XS228-P2-001",
            "XS228-P2-002"
        ]
    );
    assert_eq!(column(sv, "VISITNUM"), ["1", "2", "3", "1"]);
    assert_eq!(column(sv, "VISIT")[1], "Baseline and dosing (day 1)");
    assert_eq!(column(sv, "VISITDY"), ["-14", "1", "15", "-14"]);
    assert_eq!(column(sv, "SVSTDY"), ["-8", "1", "15", "."]);
    assert_eq!(
        column(sv, "EPOCH"),
        ["SCREENING", "TREATMENT", "FOLLOW-UP", ""]
    );
    let ae = dataset(&all, "AE");
    assert_eq!(column(ae, "AESEQ"), ["1", "2"]);
    assert_eq!(column(ae, "AESPID"), ["7", "9"]);
    // The day before the dose is day -1; a partial date has no day and no epoch.
    assert_eq!(column(ae, "AESTDY"), ["-1", "."]);
    assert_eq!(column(ae, "AEENDY"), ["2", "."]);
    assert_eq!(column(ae, "AESTDTC"), ["2026-02-09", "2026-03"]);
    assert_eq!(column(ae, "EPOCH"), ["SCREENING", ""]);
    assert_eq!(column(ae, "AESER"), ["Y", "Y"]);
    assert_eq!(column(ae, "AESHOSP"), ["Y", "Y"]);
    assert_eq!(column(ae, "AESDTH"), ["N", "N"]);
    assert_eq!(
        column(ae, "AEREL"),
        ["POSSIBLY RELATED", "POSSIBLY RELATED"]
    );
    assert_eq!(column(ae, "AEOUT")[1], "NOT RECOVERED/NOT RESOLVED");
    assert_eq!(column(ae, "AELLTCD"), ["10019211", "10019211"]);
    assert_eq!(column(ae, "AETOXGR"), ["3", "3"]);
}

#[test]
fn each_form_kind_goes_to_its_domain() {
    let all = datasets(&study(PHASE2), &data(false)).unwrap();
    let vs = dataset(&all, "VS");
    assert_eq!(
        column(vs, "VSTESTCD"),
        ["SYSBP", "DIABP", "HR", "RESP", "TEMP"]
    );
    assert_eq!(column(vs, "VSORRES"), ["120", "80", "70", "14", "36.6"]);
    assert_eq!(column(vs, "VSSTRESN")[4], "36.6");
    assert_eq!(
        column(vs, "VSORRESU"),
        ["mmHg", "mmHg", "beats/min", "breaths/min", "C"]
    );
    assert_eq!(column(vs, "VSDY"), ["1"; 5]);
    assert_eq!(column(vs, "VSSEQ"), ["1", "2", "3", "4", "5"]);

    let cm = dataset(&all, "CM");
    assert_eq!(column(cm, "CMTRT"), ["Baclofen"]);
    assert_eq!(column(cm, "CMROUTE"), ["ORAL"]);
    assert_eq!(column(cm, "CMDOSE"), ["10"]);
    assert_eq!(column(cm, "CMSTDY"), ["-1"]);
    assert_eq!(column(cm, "CMENRTPT"), ["ONGOING"]);
    assert_eq!(column(cm, "CMENTPT"), ["2026-02-24"]);
    assert_eq!(column(cm, "VISIT"), ["Week 2"]);

    let qs = dataset(&all, "QS");
    let codes = column(qs, "QSTESTCD");
    assert_eq!(codes.len(), 19 + 3 + 1 + 1);
    assert_eq!(&codes[..3], ["SCIM1", "SCIM2A", "SCIM2B"]);
    assert_eq!(
        &codes[19..],
        ["SCIMSC", "SCIMRS", "SCIMMOB", "SCIMTOT", "WISCI2"]
    );
    let derived = column(qs, "QSDRVFL");
    assert_eq!(derived.iter().filter(|d| *d == "Y").count(), 4);
    let total: f64 = trial::Scim3Item::ALL
        .iter()
        .map(|i| f64::from(i.allowed()[1]))
        .sum();
    assert_eq!(column(qs, "QSSTRESN")[22], total.to_string());
    assert_eq!(column(qs, "QSORRES")[23], "12");

    let nv = dataset(&all, "NV");
    let codes = column(nv, "NVTESTCD");
    let exam = exam_data();
    let fields = exam["exam"].as_object().unwrap().len();
    assert_eq!(
        codes.len(),
        fields + 25,
        "one exam: its values and 25 results"
    );
    assert!(codes.contains(&"C5RMOT".to_string()) && codes.contains(&"S45LPP".to_string()));
    let i = codes.iter().position(|c| c == "AIS").unwrap();
    assert_eq!(
        column(nv, "NVORRES")[i],
        exam["classification"]["asiaImpairmentScale"]
            .as_str()
            .unwrap()
    );
    assert_eq!(column(nv, "NVDRVFL")[i], "Y");
    assert_eq!(column(nv, "NVSCAT")[i], "CLASSIFICATION");
    let c5 = codes.iter().position(|c| c == "C5RMOT").unwrap();
    assert_eq!(
        column(nv, "NVORRES")[c5],
        exam["exam"]["c5RightMotor"].as_str().unwrap()
    );
    assert_eq!(column(nv, "NVLAT")[c5], "RIGHT");
    assert_eq!(column(nv, "NVLOC")[c5], "C5");
    assert_eq!(column(nv, "NVDY")[c5], "-8");
    assert!(column(nv, "USUBJID").iter().all(|u| u == "XS228-P2-001"));
}

#[test]
fn trial_design_comes_from_the_definition() {
    let mut s = study(PHASE2);
    // A title longer than 200 bytes goes on in TSVAL1.
    s.title = format!("{} {}", s.title, "and more words ".repeat(10));
    let all = datasets(&s, &data(false)).unwrap();
    let ts = dataset(&all, "TS");
    let codes = column(ts, "TSPARMCD");
    let at = |code: &str| codes.iter().position(|c| c == code).unwrap();
    assert!(s.title.len() > 200);
    let i = at("TITLE");
    assert_eq!(
        column(ts, "TSVAL")[i].clone() + &column(ts, "TSVAL1")[i],
        s.title
    );
    assert_eq!(column(ts, "TSVAL")[at("ACTSUB")], "2");
    assert_eq!(column(ts, "TSVAL")[at("PLANSUB")], "60");
    assert_eq!(column(ts, "TSVAL")[at("TBLIND")], "DOUBLE BLIND");
    assert_eq!(column(ts, "TSVAL")[at("AGEMIN")], "P18Y");
    assert_eq!(column(ts, "TSVAL")[at("SSTDTC")], "2026-02-01");
    let ta = dataset(&all, "TA");
    assert_eq!(
        column(ta, "ARMCD"),
        ["XS228", "XS228", "XS228", "PLACEBO", "PLACEBO", "PLACEBO"]
    );
    assert_eq!(
        column(ta, "EPOCH")[..3],
        ["SCREENING", "TREATMENT", "FOLLOW-UP"]
    );
    let tv = dataset(&all, "TV");
    assert_eq!(column(tv, "VISITNUM").len(), s.visits.len());
    assert_eq!(column(tv, "TVSTRL")[0], "Study day -14");
    assert_eq!(column(tv, "TVENRL")[0], "Study day -1");
    assert_eq!(column(tv, "TVSTRL")[2], "Study day 12");
    let ti = dataset(&all, "TI");
    assert_eq!(column(ti, "IETESTCD")[0], "INCL01");
    assert_eq!(
        column(ti, "IETEST")[1],
        "Neurological level of injury C4 to L2"
    );

    // Phase I: the visits of the multiple-dose schedule once per MAD level; TE per level.
    let p1 = study(PHASE1);
    let empty = SubmissionData {
        participants: vec![],
        visits: vec![],
        forms: vec![],
        adverse_events: vec![],
        treatments: Some(vec![]),
        doses: vec![],
    };
    let all = datasets(&p1, &empty).unwrap();
    let names: Vec<&str> = all.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        ["TA", "TE", "TI", "TS", "TV"],
        "no empty subject domains"
    );
    let tv = dataset(&all, "TV");
    let day15: Vec<String> = column(tv, "VISIT")
        .iter()
        .zip(column(tv, "ARMCD"))
        .filter(|(v, _)| v.contains("15"))
        .map(|(_, a)| a)
        .collect();
    assert_eq!(day15, ["MAD1", "MAD2"]);
    let te = dataset(&all, "TE");
    assert_eq!(
        column(te, "ETCD"),
        ["SCRN", "SAD1", "SAD2", "MAD1", "MAD2", "FU"]
    );
    assert!(column(te, "ELEMENT").iter().all(|e| e.is_ascii()));
    assert_eq!(
        column(te, "TEENRL")[3],
        "End of study day 43 (the last dose)"
    );
}

#[test]
fn values_that_do_not_fit_are_refused_naming_dataset_variable_and_record() {
    let s = study(PHASE2);
    let mut d = data(false);
    d.adverse_events[1].event.verbatim = "x".repeat(201);
    let p = datasets(&s, &d).unwrap_err();
    assert_eq!(
        (p.dataset.as_str(), p.variable.as_deref(), p.record),
        ("AE", Some("AETERM"), Some(2)),
        "{p}"
    );
    assert!(p.to_string().contains("201 bytes"), "{p}");

    let mut d = data(false);
    d.adverse_events[0].event.meddra_code = "HEAD".into();
    let p = datasets(&s, &d).unwrap_err();
    assert_eq!(
        (p.dataset.as_str(), p.variable.as_deref(), p.record),
        ("AE", Some("AELLTCD"), Some(1)),
        "{p}"
    );

    let mut d = data(false);
    d.forms[4].data["medication"] = json!("m".repeat(300));
    let p = datasets(&s, &d).unwrap_err();
    assert_eq!(
        (p.dataset.as_str(), p.variable.as_deref(), p.record),
        ("CM", Some("CMTRT"), Some(1))
    );
}

#[test]
fn files_are_written_one_per_domain() {
    let all = datasets(&study(PHASE2), &data(true)).unwrap();
    let dir = std::env::temp_dir().join(format!("scitrial-sdtm-unit-{}", std::process::id()));
    let written = write_files(&dir, &all, time::macros::datetime!(2026-12-06 12:00 UTC)).unwrap();
    let names: Vec<String> = written
        .iter()
        .map(|w| w.path.file_name().unwrap().to_string_lossy().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "dm.xpt", "ae.xpt", "ex.xpt", "cm.xpt", "ds.xpt", "sv.xpt", "vs.xpt", "qs.xpt",
            "nv.xpt", "ta.xpt", "te.xpt", "ti.xpt", "ts.xpt", "tv.xpt"
        ]
    );
    for w in &written {
        let bytes = std::fs::read(&w.path).unwrap();
        assert_eq!(bytes.len() % 80, 0, "{}", w.domain);
        assert!(bytes.starts_with(b"HEADER RECORD*******LIBRARY "));
    }
    let leftovers = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".partial")
        })
        .count();
    assert_eq!(leftovers, 0);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn helpers() {
    assert_eq!(shift_day(1, -1), -1);
    assert_eq!(shift_day(-1, 1), 1);
    assert_eq!(shift_day(15, 3), 18);
    assert_eq!(shift_day(-14, 13), -1);
    assert_eq!(pieces(""), [""]);
    let long = "é".repeat(150);
    let p = pieces(&long);
    assert_eq!(p.len(), 2);
    assert_eq!(p[0].len(), 200);
    assert_eq!(p.concat(), long);
    assert_eq!(events::country("cn"), "CHN");
    assert_eq!(events::sex("other"), "U");
    assert_eq!(
        subject::ascii("5×10^7 cells, 36 °C, µg – x"),
        "5x10^7 cells, 36 C, ug - x"
    );
}

#[test]
fn define_xml_describes_every_variable_in_both_languages() {
    let s = study(PHASE2);
    let all = datasets(&s, &data(true)).unwrap();
    let at = time::macros::datetime!(2026-12-06 12:00 UTC);
    let xml = define_xml(&s, &profiles(&all), true, at);
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    for ds in &all {
        let zh = define_zh::domain_zh(&ds.name).unwrap_or_else(|| panic!("{}", ds.name));
        assert!(
            xml.contains(&format!("xml:lang=\"zh-Hans\">{zh}<")),
            "{}",
            ds.name
        );
        assert!(xml.contains(&format!("xlink:href=\"{}.xpt\"", ds.name.to_lowercase())));
        for v in &ds.variables {
            let item = format!(
                "<ItemDef OID=\"IT.{}.{}\" Name=\"{}\"",
                ds.name, v.name, v.name
            );
            assert!(xml.contains(&item), "{item}");
            assert!(xml.contains(&format!("<ItemRef ItemOID=\"IT.{}.{}\"", ds.name, v.name)));
            let zh = define_zh::variable_zh(&ds.name, &v.name);
            assert!(zh.is_some(), "{}.{} has no Chinese label", ds.name, v.name);
        }
    }
    // Types and lengths are the files'.
    for (item, kind) in [
        ("IT.DM.AGE\" Name=\"AGE\" DataType=\"integer\"", "integer"),
        (
            "IT.AE.AESTDTC\" Name=\"AESTDTC\" DataType=\"partialDate\"",
            "partial",
        ),
        ("IT.DM.BRTHDTC\" Name=\"BRTHDTC\" DataType=\"date\"", "date"),
        (
            "IT.VS.VSSTRESN\" Name=\"VSSTRESN\" DataType=\"float\"",
            "float",
        ),
    ] {
        assert!(xml.contains(item), "{kind}: {item}");
    }
    let cm = dataset(&all, "CM");
    let length = table::length(cm, "CMTRT").unwrap();
    assert!(xml.contains(&format!(
        "Name=\"CMTRT\" DataType=\"text\" SASFieldName=\"CMTRT\" Length=\"{length}\""
    )));
    // The sponsor-defined ISNCSCI codes: all 161 declared, with their comment.
    let nv = xml
        .split("<CodeList OID=\"CL.NV.NVTESTCD\"")
        .nth(1)
        .and_then(|rest| rest.split("</CodeList>").next())
        .unwrap();
    assert_eq!(nv.matches("<CodeListItem ").count(), 136 + 25);
    assert!(nv.contains("def:CommentOID=\"COM.NVTESTCD\""));
    assert!(nv.contains(
        "CodedValue=\"C5RMOT\"><Decode><TranslatedText xml:lang=\"en\">C5 right motor</TranslatedText>\
         <TranslatedText xml:lang=\"zh-Hans\">C5 右侧运动</TranslatedText>"
    ));
    assert!(xml.contains("<def:CommentDef OID=\"COM.NVTESTCD\">"));
    // The arms are in an unblinded DM's code list, and a blinded one says it has none.
    assert!(xml.contains("<CodeList OID=\"CL.DM.ARMCD\""));
    let blinded = define_xml(
        &s,
        &profiles(&datasets(&s, &data(false)).unwrap()),
        false,
        at,
    );
    assert!(blinded.contains("blinded: no treatment"));
    assert!(!blinded.contains("CL.DM.ARMCD"));
    // Origins.
    assert_eq!(
        define::origin("AE", "AETERM"),
        ("Collected", Some("Investigator"))
    );
    assert_eq!(define::origin("AE", "AESTDY"), ("Derived", None));
    assert_eq!(define::origin("TS", "TSVAL"), ("Protocol", None));
}

/// The SHA-256 of each file in `dir`, by name, and the directory removed.
fn digests(dir: &std::path::Path) -> Vec<(String, String)> {
    use sha2::Digest;
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            (
                name,
                hex::encode(sha2::Sha256::digest(std::fs::read(&path).unwrap())),
            )
        })
        .collect();
    out.sort();
    std::fs::remove_dir_all(dir).unwrap();
    out
}

fn profiles(all: &[Dataset]) -> Vec<Profile> {
    all.iter().map(Profile::of).collect()
}

/// [`data`] with four more subjects like the first (ids 4 to 7), each a little different:
/// longer texts, other dates, numbers with more digits, an earlier consent, other arms; so
/// that a batched export's lengths, profiles and trial summary depend on every batch.
fn data_many(treatments: bool) -> SubmissionData {
    let mut d = data(treatments);
    let base = d.clone();
    for k in 4..=7i64 {
        let mut p = participant(k, Some(&format!("00{k}")), Some(&format!("2026-02-1{k}")));
        p.consent_date = format!("2026-01-{:02}", 20 - k);
        if k % 2 == 1 {
            p.sex = "male".into();
        }
        if k == 6 {
            p.ended_on = Some("2026-05-01".into());
            p.end_reason = Some("moved away to a town far from every site".into());
            p.status = ParticipantStatus::Withdrawn;
        }
        d.participants.push(p);
        for v in base.visits.iter().filter(|v| v.participant_id == 1) {
            d.visits.push(SubmittedVisit {
                participant_id: k,
                ..v.clone()
            });
        }
        for f in base.forms.iter().filter(|f| f.participant_id == 1) {
            let mut f = SubmittedForm {
                participant_id: k,
                ..f.clone()
            };
            match f.form_id.as_str() {
                "conmed" => {
                    f.data["medication"] =
                        json!(format!("Baclofen{}", " extended".repeat(k as usize - 3)))
                }
                "vital-signs" => f.data["temperature"] = json!(36.6 + k as f64 / 100.0),
                _ => {}
            }
            d.forms.push(f);
        }
        for e in base.adverse_events.iter().filter(|e| e.participant_id == 1) {
            let mut e = e.clone();
            e.id += 10 * k;
            e.participant_id = k;
            if k == 6 {
                e.event.onset = PartialDate::parse("2026").unwrap();
                e.event.verbatim = "a headache that would not stop for days".into();
            }
            d.adverse_events.push(e);
        }
        if let Some(t) = &mut d.treatments {
            t.push(store::Treatment {
                participant_id: k,
                id: if k % 2 == 0 { "xs228" } else { "placebo" }.into(),
            });
        }
        let mut dose = base.doses[0].clone();
        dose.participant_id = k;
        dose.injected_at = format!("2026-02-1{k}T03:00:00Z");
        dose.placebo = treatments.then_some(k % 2 == 1);
        d.doses.push(dose);
    }
    d
}

/// `d` cut into batches of `size` participants, each with everything of its participants.
fn batches(d: &SubmissionData, size: usize) -> Vec<SubmissionData> {
    d.participants
        .chunks(size)
        .map(|ps| {
            let has = |id: i64| ps.iter().any(|p| p.id == id);
            SubmissionData {
                participants: ps.to_vec(),
                visits: d
                    .visits
                    .iter()
                    .filter(|v| has(v.participant_id))
                    .cloned()
                    .collect(),
                forms: d
                    .forms
                    .iter()
                    .filter(|f| has(f.participant_id))
                    .cloned()
                    .collect(),
                adverse_events: d
                    .adverse_events
                    .iter()
                    .filter(|e| has(e.participant_id))
                    .cloned()
                    .collect(),
                treatments: d.treatments.as_ref().map(|t| {
                    t.iter()
                        .filter(|t| has(t.participant_id))
                        .cloned()
                        .collect()
                }),
                doses: d
                    .doses
                    .iter()
                    .filter(|x| has(x.participant_id))
                    .cloned()
                    .collect(),
            }
        })
        .collect()
}

/// The files of the whole data in memory ([`datasets`], [`write_files`], `define.xml`), by
/// name with their SHA-256.
fn whole_digests(
    s: &Study,
    d: &SubmissionData,
    treatments: bool,
    dir: &std::path::Path,
) -> Vec<(String, String)> {
    let at = time::macros::datetime!(2026-12-06 12:00 UTC);
    let all = datasets(s, d).unwrap();
    write_files(dir, &all, at).unwrap();
    write_file(
        dir,
        DEFINE_FILE,
        define_xml(s, &profiles(&all), treatments, at).as_bytes(),
    )
    .unwrap();
    digests(dir)
}

/// The files the export wrote before it was streamed (the whole data mapped in memory and
/// written by `write_files`), by their SHA-256: of [`data`] and [`data_many`], unblinded and
/// blinded.
const REFERENCE: &[(bool, &str, &str, &str)] = &[
    (
        true,
        "data",
        "ae.xpt",
        "08593ca11f1125afad6c703c0bc6396827261dacedbadf73bc7a4dc21d9e8538",
    ),
    (
        true,
        "data",
        "cm.xpt",
        "75bb220568ebeb1c0b7291e6b8fbbde26f1705f2ebe548b70cb31542a1c588d0",
    ),
    (
        true,
        "data",
        "define.xml",
        "696d47dfed7a59908be0a08ab1a065bc1fee4a1d74580e0eae0c7859d43e5cef",
    ),
    (
        true,
        "data",
        "dm.xpt",
        "94c52d11796e56d7d532318e94df69afcf23a8324441a2fa37153f8c5ef6d208",
    ),
    (
        true,
        "data",
        "ds.xpt",
        "25a7ec3bcf9e83f34529a2ff535037abf6965692373907916609eba63fcd97f6",
    ),
    (
        true,
        "data",
        "ex.xpt",
        "cae73ca6ce7ec1510394f5e48ddbe50f6e9fbb5cd62984a863c5353db17429a8",
    ),
    (
        true,
        "data",
        "nv.xpt",
        "6bac67840a17faa668f21b78cf7606276bbaf1f054ef547e301043e6976d2538",
    ),
    (
        true,
        "data",
        "qs.xpt",
        "b30f4fc6811c97f1e8e125c656eb26555affb77a7e4534b2906df1489bf6afb9",
    ),
    (
        true,
        "data",
        "sv.xpt",
        "8cd9f6f8ebbb8e823276a5e1b1fec470176759259109bfe5a4585d7cd1a95301",
    ),
    (
        true,
        "data",
        "ta.xpt",
        "eb693586016ab02da9acbeee22563fe93e98922e8835837154bdd9aa123a2dcf",
    ),
    (
        true,
        "data",
        "te.xpt",
        "7d1b0684137732a267b849930b028b824ee3562c7d6f8bb7d196f39fd4b92cb4",
    ),
    (
        true,
        "data",
        "ti.xpt",
        "6862f76a48d7c81142c047ad244d495c99c44ab512982773f322a1506925e721",
    ),
    (
        true,
        "data",
        "ts.xpt",
        "013079cb901cb38685c2e93ab36a093eef906ed3aa410c0148960507b01300a0",
    ),
    (
        true,
        "data",
        "tv.xpt",
        "870567484f0207f3a6a7fa295098298bc1e62a0335a142fea9ba8f1fabf6e9e3",
    ),
    (
        true,
        "data",
        "vs.xpt",
        "c5c37916617a4e1e8b772af284ac6b1aec2d821631af28db2735af1d083ebaac",
    ),
    (
        true,
        "many",
        "ae.xpt",
        "9d15e2f1dabde35865c15022aba3de8938a499c9a8c31a3f35106e5f8a0bcd3f",
    ),
    (
        true,
        "many",
        "cm.xpt",
        "3628d57b883b63618eb0ad65440b4d9a8e7f30478a10faa8b087348486e59dc9",
    ),
    (
        true,
        "many",
        "define.xml",
        "c19a45ab5e8e9daa1c59e532425fd813d13a58e538b3bf6eaa2a38e2ac76269c",
    ),
    (
        true,
        "many",
        "dm.xpt",
        "9953434b10743ee130fa6c277bf517a34c311e5780ba97a36e7a7c6d82076b55",
    ),
    (
        true,
        "many",
        "ds.xpt",
        "9a5b80fe59e0478868ac9d104b0fa6b2c59c22cfdaf21fdbbb7d205cc89a8dfc",
    ),
    (
        true,
        "many",
        "ex.xpt",
        "2a73f39d377149701c610ac830fb82e5a902784dd712a9674ecc6ae7272fbcfd",
    ),
    (
        true,
        "many",
        "nv.xpt",
        "4d7934afc33528174ab7d26e9059badc8f23faf414025bebe1e5000b6bf1b660",
    ),
    (
        true,
        "many",
        "qs.xpt",
        "e729f1cfc6276240b2017fe987e9c0a0d2996724d5bba4dff6d32be4a97003e5",
    ),
    (
        true,
        "many",
        "sv.xpt",
        "5119155a6c40ccf94938bc0829728b3883dbfb1d036147f6b026cbc9d2724504",
    ),
    (
        true,
        "many",
        "ta.xpt",
        "eb693586016ab02da9acbeee22563fe93e98922e8835837154bdd9aa123a2dcf",
    ),
    (
        true,
        "many",
        "te.xpt",
        "7d1b0684137732a267b849930b028b824ee3562c7d6f8bb7d196f39fd4b92cb4",
    ),
    (
        true,
        "many",
        "ti.xpt",
        "6862f76a48d7c81142c047ad244d495c99c44ab512982773f322a1506925e721",
    ),
    (
        true,
        "many",
        "ts.xpt",
        "7cdf28d35d0274e8fd096bddb13fe949ddc7521d761c3471daaab662ad19f8ad",
    ),
    (
        true,
        "many",
        "tv.xpt",
        "870567484f0207f3a6a7fa295098298bc1e62a0335a142fea9ba8f1fabf6e9e3",
    ),
    (
        true,
        "many",
        "vs.xpt",
        "7004a2771a46f159a3f6862cec777b638b6c323b64872468c29cee1e1d813142",
    ),
    (
        false,
        "data",
        "ae.xpt",
        "08593ca11f1125afad6c703c0bc6396827261dacedbadf73bc7a4dc21d9e8538",
    ),
    (
        false,
        "data",
        "cm.xpt",
        "75bb220568ebeb1c0b7291e6b8fbbde26f1705f2ebe548b70cb31542a1c588d0",
    ),
    (
        false,
        "data",
        "define.xml",
        "14e1b41f0ea106840a07666750f8e02c9eebd7a9739158e4c4bbfc6f800981be",
    ),
    (
        false,
        "data",
        "dm.xpt",
        "6ca04edaa1f3d6427febe044524bef7d8d5693a6074211c44d82f96c66797f49",
    ),
    (
        false,
        "data",
        "ds.xpt",
        "25a7ec3bcf9e83f34529a2ff535037abf6965692373907916609eba63fcd97f6",
    ),
    (
        false,
        "data",
        "ex.xpt",
        "0f63f851a6479118c05b03ff91c169b727767e01f6139f1cc0807d2f841bde72",
    ),
    (
        false,
        "data",
        "nv.xpt",
        "6bac67840a17faa668f21b78cf7606276bbaf1f054ef547e301043e6976d2538",
    ),
    (
        false,
        "data",
        "qs.xpt",
        "b30f4fc6811c97f1e8e125c656eb26555affb77a7e4534b2906df1489bf6afb9",
    ),
    (
        false,
        "data",
        "sv.xpt",
        "8cd9f6f8ebbb8e823276a5e1b1fec470176759259109bfe5a4585d7cd1a95301",
    ),
    (
        false,
        "data",
        "ta.xpt",
        "eb693586016ab02da9acbeee22563fe93e98922e8835837154bdd9aa123a2dcf",
    ),
    (
        false,
        "data",
        "te.xpt",
        "7d1b0684137732a267b849930b028b824ee3562c7d6f8bb7d196f39fd4b92cb4",
    ),
    (
        false,
        "data",
        "ti.xpt",
        "6862f76a48d7c81142c047ad244d495c99c44ab512982773f322a1506925e721",
    ),
    (
        false,
        "data",
        "ts.xpt",
        "013079cb901cb38685c2e93ab36a093eef906ed3aa410c0148960507b01300a0",
    ),
    (
        false,
        "data",
        "tv.xpt",
        "870567484f0207f3a6a7fa295098298bc1e62a0335a142fea9ba8f1fabf6e9e3",
    ),
    (
        false,
        "data",
        "vs.xpt",
        "c5c37916617a4e1e8b772af284ac6b1aec2d821631af28db2735af1d083ebaac",
    ),
    (
        false,
        "many",
        "ae.xpt",
        "9d15e2f1dabde35865c15022aba3de8938a499c9a8c31a3f35106e5f8a0bcd3f",
    ),
    (
        false,
        "many",
        "cm.xpt",
        "3628d57b883b63618eb0ad65440b4d9a8e7f30478a10faa8b087348486e59dc9",
    ),
    (
        false,
        "many",
        "define.xml",
        "92dae4a40704d5274b18a775e2053b8b4c88e562f647ae29fb2d0b78d1e0dace",
    ),
    (
        false,
        "many",
        "dm.xpt",
        "686acb9e66c528f01bb503234d8c917e47714666d606b191c0a83f29db2bd019",
    ),
    (
        false,
        "many",
        "ds.xpt",
        "9a5b80fe59e0478868ac9d104b0fa6b2c59c22cfdaf21fdbbb7d205cc89a8dfc",
    ),
    (
        false,
        "many",
        "ex.xpt",
        "913d3c39e9b06f5ef1b1331d74dddfd8dfd8194608e94f28322da12f184705fa",
    ),
    (
        false,
        "many",
        "nv.xpt",
        "4d7934afc33528174ab7d26e9059badc8f23faf414025bebe1e5000b6bf1b660",
    ),
    (
        false,
        "many",
        "qs.xpt",
        "e729f1cfc6276240b2017fe987e9c0a0d2996724d5bba4dff6d32be4a97003e5",
    ),
    (
        false,
        "many",
        "sv.xpt",
        "5119155a6c40ccf94938bc0829728b3883dbfb1d036147f6b026cbc9d2724504",
    ),
    (
        false,
        "many",
        "ta.xpt",
        "eb693586016ab02da9acbeee22563fe93e98922e8835837154bdd9aa123a2dcf",
    ),
    (
        false,
        "many",
        "te.xpt",
        "7d1b0684137732a267b849930b028b824ee3562c7d6f8bb7d196f39fd4b92cb4",
    ),
    (
        false,
        "many",
        "ti.xpt",
        "6862f76a48d7c81142c047ad244d495c99c44ab512982773f322a1506925e721",
    ),
    (
        false,
        "many",
        "ts.xpt",
        "7cdf28d35d0274e8fd096bddb13fe949ddc7521d761c3471daaab662ad19f8ad",
    ),
    (
        false,
        "many",
        "tv.xpt",
        "870567484f0207f3a6a7fa295098298bc1e62a0335a142fea9ba8f1fabf6e9e3",
    ),
    (
        false,
        "many",
        "vs.xpt",
        "7004a2771a46f159a3f6862cec777b638b6c323b64872468c29cee1e1d813142",
    ),
];

/// The reference digests of one of the data sets.
fn reference(treatments: bool, which: &str) -> Vec<(String, String)> {
    let out: Vec<(String, String)> = REFERENCE
        .iter()
        .filter(|(t, w, ..)| *t == treatments && *w == which)
        .map(|(.., name, digest)| (name.to_string(), digest.to_string()))
        .collect();
    assert!(!out.is_empty(), "no reference for {treatments} {which}");
    out
}

#[test]
fn a_batched_export_writes_the_files_of_the_whole_data_byte_for_byte() {
    let s = study(PHASE2);
    let at = time::macros::datetime!(2026-12-06 12:00 UTC);
    for treatments in [true, false] {
        for (which, d) in [("data", data(treatments)), ("many", data_many(treatments))] {
            let expected = reference(treatments, which);
            let base = std::env::temp_dir().join(format!(
                "scitrial-sdtm-batches-{}-{treatments}-{which}",
                std::process::id()
            ));
            // The whole data in memory still writes what it did.
            assert_eq!(
                whole_digests(&s, &d, treatments, &base),
                expected,
                "{which}"
            );
            let all = datasets(&s, &d).unwrap();
            let audited: Vec<String> = all
                .iter()
                .map(|x| format!("{} {}", x.name, x.records.len()))
                .collect();
            for size in [1, 2, 3, 100] {
                let dir = base.join(format!("by{size}"));
                let mut sink = stream::Batches::new(&s, &dir).unwrap();
                for b in batches(&d, size) {
                    store::SubmissionSink::batch(&mut sink, b).unwrap();
                }
                let made = store::SubmissionSink::finish(sink).unwrap();
                assert_eq!(
                    made.contents,
                    [("datasets".to_string(), audited.join(", "))],
                    "{which} by {size}"
                );
                let written = stream::write(made.output, &s, treatments, &dir, at).unwrap();
                let records: Vec<String> = written
                    .iter()
                    .filter(|w| w.domain != "DEFINE")
                    .map(|w| format!("{} {}", w.domain, w.records))
                    .collect();
                assert_eq!(records, audited);
                // Only the files: no scratch directory, no temporary name left.
                assert_eq!(digests(&dir), expected, "{which} by {size}, {treatments}");
            }
            std::fs::remove_dir_all(&base).ok();
        }
    }
}

/// A change that makes the data refused, with the dataset, variable and record refused.
type Spoiled = (fn(&mut SubmissionData), &'static str, &'static str, usize);

#[test]
fn a_batched_export_refuses_naming_the_record_in_the_whole_dataset_and_leaves_nothing() {
    let s = study(PHASE2);
    let parent = std::env::temp_dir().join(format!("scitrial-sdtm-refused-{}", std::process::id()));
    // AE: participant 5's second event is the 6th record of AE; participant 6's first code.
    let cases: [Spoiled; 3] = [
        (
            |d| d.adverse_events[5].event.verbatim = "x".repeat(201),
            "AE",
            "AETERM",
            6,
        ),
        (
            |d| d.adverse_events[6].event.meddra_code = "HEAD".into(),
            "AE",
            "AELLTCD",
            7,
        ),
        (
            |d| {
                let f = d.forms.iter_mut().rfind(|f| f.form_id == "conmed").unwrap();
                f.data["medication"] = json!("m".repeat(300));
            },
            "CM",
            "CMTRT",
            5,
        ),
    ];
    for (spoil, dataset, variable, record) in cases {
        let mut d = data_many(false);
        spoil(&mut d);
        let whole = datasets(&s, &d).unwrap_err();
        assert_eq!(
            (
                whole.dataset.as_str(),
                whole.variable.as_deref(),
                whole.record
            ),
            (dataset, Some(variable), Some(record)),
            "{whole}"
        );
        for size in [1, 2, 100] {
            let dir = parent.join("sdtm");
            let mut sink = stream::Batches::new(&s, &dir).unwrap();
            let refused = batches(&d, size)
                .into_iter()
                .try_for_each(|b| store::SubmissionSink::batch(&mut sink, b));
            let Err(SdtmError::Invalid(p)) = refused else {
                panic!("{dataset}.{variable} by {size}: not refused");
            };
            assert_eq!(p, whole, "by {size}");
            drop(sink);
            assert!(!dir.exists(), "the directory the export made is removed");
        }
    }
    std::fs::remove_dir_all(&parent).ok();
}

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

pub(super) const PHASE2: &str = include_str!("../../../../studies/xs228-phase2.toml");
const PHASE1: &str = include_str!("../../../../studies/xs228-phase1.toml");

pub(super) fn study(text: &str) -> Study {
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
pub(super) fn data(treatments: bool) -> SubmissionData {
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

/// The profile of each dataset, as the Define-XML reads them.
pub(super) fn profiles(all: &[Dataset]) -> Vec<Profile> {
    all.iter().map(Profile::of).collect()
}

//! The study definitions shipped in `studies/` load and have the expected shape.

use isncsci::{Grade, Level};
use trial::{
    Anchor, ArmKind, Blinding, Design, DoseSchedule, Factor, FieldType, FormKind, Phase,
    Randomisation, Role, Study,
};

use crate::common::load;

fn visit_days(study: &Study) -> Vec<(&str, i32, u32, u32)> {
    study
        .visits
        .iter()
        .map(|v| (v.id.as_str(), v.day, v.window_before, v.window_after))
        .collect()
}

fn visits_with(study: &Study, form: &str) -> Vec<String> {
    study
        .visits
        .iter()
        .filter(|v| v.forms.iter().any(|f| f == form))
        .map(|v| v.id.clone())
        .collect()
}

fn assert_common_criteria(study: &Study) {
    let c = &study.eligibility;
    let age = c.age_years.unwrap();
    assert_eq!((age.min, age.max), (18, 65));
    let nli = c.nli.unwrap();
    assert_eq!((nli.from, nli.to), (Level::C4, Level::L2));
    assert_eq!(c.ais.as_deref(), Some(&[Grade::A, Grade::B, Grade::C][..]));
    let days = c.days_from_injury_to_screening.unwrap();
    assert_eq!((days.min, days.max), (14, 60));
}

#[test]
fn phase1_is_an_open_label_dose_escalation_at_one_site() {
    let study = load("xs228-phase1.toml");
    assert_eq!(study.id, "XS228-P1");
    assert_eq!(study.registry, "NCT06976229");
    assert_eq!(study.phase, Phase::One);
    assert_eq!(study.design, Design::DoseEscalation);
    assert_eq!(study.blinding, Blinding::OpenLabel);
    assert_eq!(study.target_enrolment, 12);
    assert!(study.arms.is_empty());
    assert_eq!(study.dlt_window_days, Some(28));
    assert_eq!(study.randomisation, None);
    assert_eq!(study.anchor, Anchor::FirstDose);

    let levels: Vec<(&str, f64, DoseSchedule, &[i32])> = study
        .dose_levels
        .iter()
        .map(|d| (d.id.as_str(), d.cells, d.schedule, d.dose_days.as_slice()))
        .collect();
    assert_eq!(
        levels,
        [
            ("sad-1", 5e7, DoseSchedule::Single, &[1][..]),
            ("sad-2", 1.5e8, DoseSchedule::Single, &[1][..]),
            ("mad-1", 5e7, DoseSchedule::Multiple, &[1, 15, 29, 43][..]),
            ("mad-2", 1.5e8, DoseSchedule::Multiple, &[1, 15, 29, 43][..]),
        ]
    );
    // DLT windows: 28 days after the single dose, or after the fourth MAD dose; each has an
    // assessment visit on its last day.
    assert_eq!(study.dose_level("sad-1").unwrap().dlt_days(28), (1, 29));
    assert_eq!(study.dose_level("mad-2").unwrap().dlt_days(28), (1, 71));
    assert_eq!(visits_with(&study, "dlt"), ["day-29", "day-71"]);
    assert_eq!(study.visit("day-29").unwrap().day, 29);
    assert_eq!(study.visit("day-71").unwrap().day, 71);

    assert_eq!(study.sites.len(), 1);
    let site = study.site("SYSU3").unwrap();
    assert!(site
        .name
        .contains("Third Affiliated Hospital of Sun Yat-sen University"));
    assert_eq!(
        (site.time_zone.as_str(), site.country.as_str()),
        ("Asia/Shanghai", "CN")
    );

    assert_common_criteria(&study);
    assert_eq!(study.visits.first().unwrap().id, "screening");
    assert!(study.visits.iter().skip(1).all(|v| !v.screening));
    assert_eq!(study.eligibility_form().unwrap().id, "isncsci");
    assert_eq!(study.form("dlt").unwrap().kind, FormKind::Generic);
}

#[test]
fn phase2_is_a_double_blind_two_to_one_randomisation_at_three_sites() {
    let study = load("xs228-phase2.toml");
    assert_eq!(study.id, "XS228-P2");
    assert_eq!(study.registry, "NCT06974968");
    assert_eq!(study.phase, Phase::Two);
    assert_eq!(study.design, Design::Randomised);
    assert_eq!(study.blinding, Blinding::DoubleBlind);
    assert_eq!(study.target_enrolment, 60);
    assert!(study.dose_levels.is_empty());
    assert_eq!(study.dlt_window_days, None);
    assert_eq!(study.anchor, Anchor::FirstDose);
    assert_eq!(
        study.randomisation,
        Some(Randomisation::PermutedBlocks {
            block_sizes: vec![3, 6],
            strata: vec![Factor::Ais, Factor::Level, Factor::Site],
        })
    );

    let arms: Vec<(&str, ArmKind, u32)> = study
        .arms
        .iter()
        .map(|a| (a.id.as_str(), a.kind, a.ratio))
        .collect();
    assert_eq!(
        arms,
        [
            ("xs228", ArmKind::Active, 2),
            ("placebo", ArmKind::Placebo, 1)
        ]
    );

    let sites: Vec<(&str, &str, &str)> = study
        .sites
        .iter()
        .map(|s| (s.id.as_str(), s.time_zone.as_str(), s.country.as_str()))
        .collect();
    assert_eq!(
        sites,
        [
            ("SYSU3", "Asia/Shanghai", "CN"),
            ("XUANWU", "Asia/Shanghai", "CN"),
            ("SHEPHERD", "America/New_York", "US"),
        ]
    );
    assert!(study.sites[0]
        .name
        .contains("Third Affiliated Hospital of Sun Yat-sen University"));

    assert_common_criteria(&study);
    assert_eq!(
        visit_days(&study),
        [
            ("screening", -14, 0, 13),
            ("baseline", 1, 0, 0),
            ("week-2", 15, 3, 3),
            ("week-4", 29, 3, 3),
            ("week-12", 85, 7, 7),
            ("week-24", 169, 14, 14),
            ("week-36", 253, 14, 14),
            ("week-52", 365, 14, 14),
        ]
    );
    let screening: Vec<&str> = study.screening_visits().map(|v| v.id.as_str()).collect();
    assert_eq!(screening, ["screening"]);
    assert_eq!(study.eligibility_form().unwrap().id, "isncsci");
    assert_eq!(
        visits_with(&study, "isncsci"),
        [
            "screening",
            "week-2",
            "week-4",
            "week-12",
            "week-24",
            "week-36",
            "week-52"
        ]
    );
    for form in ["scim3", "wisci2"] {
        assert_eq!(
            visits_with(&study, form),
            ["baseline", "week-12", "week-24", "week-52"],
            "{form}"
        );
    }
    for form in ["vital-signs", "conmed"] {
        assert_eq!(
            visits_with(&study, form).len(),
            study.visits.len(),
            "{form}"
        );
    }

    let vitals = study.form("vital-signs").unwrap();
    assert_eq!(vitals.kind, FormKind::VitalSigns);
    let sbp = vitals.field("systolic_bp").unwrap();
    assert_eq!(sbp.field_type, FieldType::Integer);
    assert_eq!(sbp.unit.as_deref(), Some("mmHg"));
    assert_eq!((sbp.min, sbp.max), (Some(50.0), Some(250.0)));
    assert!(sbp.required);
    assert!(vitals
        .fields
        .iter()
        .all(|f| f.unit.is_some() && f.min.is_some() && f.max.is_some()));
    let conmed = study.form("conmed").unwrap();
    assert_eq!(conmed.kind, FormKind::ConcomitantMedication);
    let route = conmed.field("route").unwrap();
    assert_eq!(route.field_type, FieldType::Choice);
    assert!(route.options.iter().any(|o| o == "intrathecal"));
    for kind in [FormKind::Isncsci, FormKind::Scim3, FormKind::Wisci2] {
        let form = study.forms.iter().find(|f| f.kind == kind).unwrap();
        assert!(form.fields.is_empty());
    }
}

#[test]
fn blinding_of_every_role_in_both_studies() {
    let open = load("xs228-phase1.toml");
    let blind = load("xs228-phase2.toml");
    assert_eq!(open.unblinded_roles, Role::ALL);
    assert_eq!(
        blind.unblinded_roles,
        [
            Role::UnblindedPharmacist,
            Role::DsmbStatistician,
            Role::DsmbMember,
            Role::Qc
        ]
    );
    for role in Role::ALL {
        assert!(!open.is_blinded(role), "{role} in the open-label study");
        let expected = !matches!(
            role,
            Role::UnblindedPharmacist | Role::DsmbStatistician | Role::DsmbMember | Role::Qc
        );
        assert_eq!(
            blind.is_blinded(role),
            expected,
            "{role} in the double-blind study"
        );
    }
    // Arms are seen only by someone all of whose roles are unblinded: one blinded role is
    // enough to blind a person, and no role at all sees nothing.
    assert!(blind.sees_arms(&[Role::UnblindedPharmacist]));
    assert!(blind.sees_arms(&[Role::UnblindedPharmacist, Role::DsmbStatistician]));
    assert!(!blind.sees_arms(&[Role::UnblindedPharmacist, Role::Investigator]));
    assert!(!blind.sees_arms(&[]));
    assert!(open.sees_arms(&[Role::Investigator, Role::Crc]));
    assert!(!open.sees_arms(&[]));
    // Spelled out, so that a change to the rule is a visible change here.
    assert!(blind.is_blinded(Role::SponsorAdmin));
    assert!(blind.is_blinded(Role::Investigator));
    assert!(blind.is_blinded(Role::Crc));
    assert!(blind.is_blinded(Role::Monitor));
    assert!(blind.is_blinded(Role::DataManager));
    assert!(!blind.is_blinded(Role::UnblindedPharmacist));
    assert!(!blind.is_blinded(Role::DsmbStatistician));
    assert!(blind.is_blinded(Role::Auditor));
    assert!(blind.is_blinded(Role::SafetyPhysician));
    assert!(blind.is_blinded(Role::Pharmacovigilance));
    assert!(!blind.is_blinded(Role::DsmbMember));
}

#[test]
fn lookups_by_id() {
    let study = load("xs228-phase2.toml");
    assert_eq!(study.site("XUANWU").unwrap().country, "CN");
    assert!(study.site("sysu3").is_none());
    assert_eq!(study.visit("week-24").unwrap().day, 169);
    assert!(study.visit("week-25").is_none());
    assert_eq!(study.form("scim3").unwrap().kind, FormKind::Scim3);
    assert!(study.form("ae").is_none());
    assert_eq!(study.arm("placebo").unwrap().ratio, 1);
    assert!(study.dose_level("sad-1").is_none());
}

#[test]
fn a_study_serialises_with_the_definition_strings() {
    let study = load("xs228-phase2.toml");
    let json = serde_json::to_value(&study).unwrap();
    assert_eq!(json["design"], "randomised");
    assert_eq!(json["blinding"], "double-blind");
    assert_eq!(json["phase"], "II");
    assert_eq!(json["anchor"], "first-dose");
    assert_eq!(json["eligibility"]["nli"]["from"], "C4");
    assert_eq!(
        json["eligibility"]["ais"],
        serde_json::json!(["A", "B", "C"])
    );
    assert_eq!(json["unblinded_roles"][0], "unblinded_pharmacist");
    assert_eq!(
        json["randomisation"],
        serde_json::json!({
            "method": "permuted-blocks",
            "block_sizes": [3, 6],
            "strata": ["ais", "level", "site"],
        })
    );
    assert_eq!(json["forms"][3]["fields"][0]["type"], "integer");
}

#[test]
fn the_documented_example_loads() {
    let path = format!(
        "{}/../../docs/study-definition.md",
        env!("CARGO_MANIFEST_DIR")
    );
    let doc = std::fs::read_to_string(&path).unwrap();
    let heading = doc.find("## Example").unwrap();
    let start = heading + doc[heading..].find("```toml\n").unwrap() + "```toml\n".len();
    let end = start + doc[start..].find("```").unwrap();
    let study = Study::from_toml(&doc[start..end]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(study.id, "DEMO-2");
    assert_eq!(study.eligibility_form().unwrap().id, "isncsci");
}

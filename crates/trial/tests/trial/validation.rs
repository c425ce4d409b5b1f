//! Every check of a study definition: each rejects the definition with a problem that names
//! the key path and says what is allowed.

use trial::{DefinitionError, Design, Role, Study};

const HEADER: &str = r#"
schema_version = 1
id = "TEST-1"
title = "Test study"
phase = "II"
registry = "NCT00000000"
design = "randomised"
blinding = "double-blind"
target_enrolment = 30
"#;

const ARMS: &str = r#"
[[arms]]
id = "active"
name = "Active"
kind = "active"
ratio = 2

[[arms]]
id = "placebo"
name = "Placebo"
kind = "placebo"
ratio = 1

[randomisation]
method = "permuted-blocks"
block_sizes = [3, 6]
strata = ["ais", "level", "site"]
"#;

const DOSE_LEVELS: &str = r#"
dlt_window_days = 28

[[dose_levels]]
id = "low"
name = "Low, single"
cells = 5.0e7
schedule = "single"

[[dose_levels]]
id = "high"
name = "High, multiple"
cells = 150_000_000
schedule = "multiple"
dose_days = [1, 15, 29, 43]
"#;

const REST: &str = r#"
[[sites]]
id = "S1"
name = "Site one"
time_zone = "Asia/Shanghai"
country = "CN"

[[sites]]
id = "S2"
name = "Site two"
time_zone = "America/New_York"
country = "US"

[eligibility]
age_years = { min = 18, max = 65 }
nli = { from = "C4", to = "L2" }
ais = ["A", "B", "C"]
days_from_injury_to_screening = { min = 14, max = 60 }

[schedule]
anchor = "first-dose"

[[schedule.visits]]
id = "screening"
name = "Screening"
day = -14
window_before = 0
window_after = 13
forms = ["exam", "vitals"]

[[schedule.visits]]
id = "dosing"
name = "Dosing"
day = 1
window_before = 0
window_after = 0
forms = ["vitals"]

[[schedule.visits]]
id = "week-12"
name = "Week 12"
day = 85
window_before = 7
window_after = 7
forms = ["exam", "vitals", "scim"]

[[forms]]
id = "exam"
name = "ISNCSCI"
kind = "isncsci"

[[forms]]
id = "scim"
name = "SCIM III"
kind = "scim3"

[[forms]]
id = "vitals"
name = "Vital signs"
kind = "vital-signs"

[[forms.fields]]
id = "sbp"
label = "Systolic blood pressure"
type = "integer"
unit = "mmHg"
min = 50
max = 250
required = true

[[forms.fields]]
id = "temp"
label = "Temperature"
type = "decimal"
unit = "°C"
min = 32.0
max = 43.0

[[forms.fields]]
id = "position"
label = "Position"
type = "choice"
options = ["supine", "sitting"]
"#;

/// A valid randomised, double-blind definition.
pub(crate) fn randomised() -> String {
    format!("{HEADER}{ARMS}{REST}")
}

/// A valid open-label dose-escalation definition.
fn escalation() -> String {
    let header = HEADER
        .replace("\"randomised\"", "\"dose-escalation\"")
        .replace("\"double-blind\"", "\"open-label\"");
    format!("{header}{DOSE_LEVELS}{REST}")
}

/// `text` with `old` (which must occur) replaced by `new`.
pub(crate) fn edit(text: &str, old: &str, new: &str) -> String {
    assert!(text.contains(old), "the fixture has no {old:?}");
    text.replacen(old, new, 1)
}

/// The problems `text` is rejected with, as printed.
fn problems(text: &str) -> Vec<String> {
    match Study::from_toml(text) {
        Ok(_) => panic!("the definition was accepted"),
        Err(e @ DefinitionError::Syntax { .. }) => panic!("syntax error: {e}"),
        Err(e) => {
            let lines: Vec<String> = e.to_string().lines().map(str::to_owned).collect();
            assert_eq!(lines.len(), e.problems().len(), "one line per problem");
            lines
        }
    }
}

/// Asserts that `text` is rejected with a problem at `path` whose message contains every
/// fragment.
pub(crate) fn rejects(text: &str, path: &str, fragments: &[&str]) {
    let problems = problems(text);
    let prefix = format!("{path}: ");
    let found = problems
        .iter()
        .any(|p| p.starts_with(&prefix) && fragments.iter().all(|f| p.contains(f)));
    assert!(
        found,
        "no problem at {path} containing {fragments:?}; got:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_fixtures_are_valid() {
    let study = Study::from_toml(&randomised()).unwrap();
    assert_eq!(study.design, Design::Randomised);
    assert_eq!(study.unblinded_roles, Study::DEFAULT_UNBLINDED_ROLES);
    let study = Study::from_toml(&escalation()).unwrap();
    assert_eq!(study.design, Design::DoseEscalation);
    assert_eq!(study.dose_levels[0].dose_days, [1]);
    assert_eq!(study.dose_levels[1].cells, 1.5e8);
    assert_eq!(study.unblinded_roles, Role::ALL);
}

#[test]
fn syntax_errors_name_line_and_column() {
    let text = "schema_version = 1\nid = \"X\"\ntitle = \"unclosed\n";
    match Study::from_toml(text) {
        Err(e @ DefinitionError::Syntax { line: 3, .. }) => {
            assert!(e.to_string().starts_with("line 3, column "), "{e}");
            assert!(e.problems().is_empty());
        }
        other => panic!("{other:?}"),
    }
    let text = "schema_version = 1\n  id = = 3\n";
    match Study::from_toml(text) {
        Err(DefinitionError::Syntax { line, column, .. }) => assert_eq!((line, column), (2, 8)),
        other => panic!("{other:?}"),
    }
    // A key given twice is a TOML error.
    let text = edit(
        &randomised(),
        "phase = \"II\"",
        "phase = \"II\"\nphase = \"I\"",
    );
    assert!(matches!(
        Study::from_toml(&text),
        Err(DefinitionError::Syntax { .. })
    ));
}

#[test]
fn every_problem_is_reported_not_just_the_first() {
    let text = randomised();
    let text = edit(&text, "schema_version = 1", "schema_version = 2");
    let text = edit(&text, "ratio = 2", "ratio = 0");
    let text = edit(
        &text,
        "time_zone = \"Asia/Shanghai\"",
        "time_zone = \"Shanghai\"",
    );
    let text = edit(&text, "window_before = 7", "window_before = -7");
    let text = edit(&text, "type = \"decimal\"", "type = \"float\"");
    let text = edit(
        &text,
        "name = \"Site two\"",
        "name = \"Site two\"\ncity = \"NYC\"",
    );
    let problems = problems(&text);
    let paths: Vec<&str> = problems
        .iter()
        .map(|p| p.split(": ").next().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "schema_version",
            "arms[0].ratio",
            "sites[0].time_zone",
            "sites[1].city",
            "schedule.visits[2].window_before",
            "forms[2].fields[1].type",
        ],
        "{problems:#?}"
    );
}

// Keys, types and presence.

#[test]
fn unknown_keys_are_rejected_everywhere() {
    let allowed = "allowed here: schema_version, id, title";
    rejects(
        &format!("{}\ncolour = 1", HEADER.trim()),
        "colour",
        &[allowed],
    );
    let cases = [
        ("ratio = 2", "ratio = 2\nweight = 1", "arms[0].weight"),
        (
            "country = \"US\"",
            "country = \"US\"\ntz = \"x\"",
            "sites[1].tz",
        ),
        (
            "anchor = \"first-dose\"",
            "anchor = \"first-dose\"\nunit = \"d\"",
            "schedule.unit",
        ),
        (
            "window_after = 0",
            "window_after = 0\nwindow = 1",
            "schedule.visits[1].window",
        ),
        (
            "{ min = 18, max = 65 }",
            "{ min = 18, max = 65, exact = 1 }",
            "eligibility.age_years.exact",
        ),
        ("ais = [", "sex = \"any\"\nais = [", "eligibility.sex"),
        (
            "kind = \"scim3\"",
            "kind = \"scim3\"\nversion = 3",
            "forms[1].version",
        ),
        (
            "required = true",
            "required = true\nhint = \"x\"",
            "forms[2].fields[0].hint",
        ),
    ];
    for (old, new, path) in cases {
        rejects(
            &edit(&randomised(), old, new),
            path,
            &["unknown key", "allowed here:"],
        );
    }
    rejects(
        &edit(
            &escalation(),
            "schedule = \"single\"",
            "schedule = \"single\"\nroute = \"IT\"",
        ),
        "dose_levels[0].route",
        &[
            "unknown key",
            "allowed here: id, name, name_zh, cells, schedule, dose_days",
        ],
    );
}

#[test]
fn required_keys_must_be_present() {
    let cases = [
        ("schema_version = 1\n", "schema_version"),
        ("title = \"Test study\"\n", "title"),
        ("registry = \"NCT00000000\"\n", "registry"),
        ("target_enrolment = 30\n", "target_enrolment"),
        ("kind = \"placebo\"\n", "arms[1].kind"),
        ("time_zone = \"Asia/Shanghai\"\n", "sites[0].time_zone"),
        ("anchor = \"first-dose\"\n", "schedule.anchor"),
        ("window_after = 13\n", "schedule.visits[0].window_after"),
        ("label = \"Temperature\"\n", "forms[2].fields[1].label"),
    ];
    for (line, path) in cases {
        rejects(
            &edit(&randomised(), line, ""),
            path,
            &["required key is missing"],
        );
    }
}

#[test]
fn values_of_the_wrong_type_are_rejected() {
    rejects(
        &edit(
            &randomised(),
            "target_enrolment = 30",
            "target_enrolment = \"30\"",
        ),
        "target_enrolment",
        &["expected an integer", "the string \"30\""],
    );
    rejects(
        &edit(&randomised(), "day = 85", "day = 85.0"),
        "schedule.visits[2].day",
        &["expected an integer", "the number 85"],
    );
    rejects(
        &edit(&randomised(), "forms = [\"vitals\"]", "forms = \"vitals\""),
        "schedule.visits[1].forms",
        &["expected an array of strings"],
    );
    rejects(
        &edit(
            &randomised(),
            "forms = [\"vitals\"]",
            "forms = [\"vitals\", 3]",
        ),
        "schedule.visits[1].forms[1]",
        &["expected a string", "the integer 3"],
    );
    rejects(
        &edit(&randomised(), "required = true", "required = \"yes\""),
        "forms[2].fields[0].required",
        &["expected true or false"],
    );
    let text = randomised();
    let start = text.find("[eligibility]").unwrap();
    let end = text.find("[schedule]").unwrap();
    let text = format!("eligibility = \"all\"\n{}{}", &text[..start], &text[end..]);
    rejects(
        &text,
        "eligibility",
        &["expected a table", "the string \"all\""],
    );
    rejects(
        &format!("arms = 3\n{HEADER}{REST}"),
        "arms",
        &["expected an array of tables, found the integer 3"],
    );
    rejects(
        &format!("arms = [3]\n{HEADER}{REST}"),
        "arms[0]",
        &["expected a table, found the integer 3"],
    );
    rejects(
        &format!("unblinded_roles = \"crc\"\n{}", randomised()),
        "unblinded_roles",
        &["expected an array of strings"],
    );
    rejects(
        &edit(&randomised(), "title = \"Test study\"", "title = \"  \""),
        "title",
        &["must not be empty"],
    );
}

// Identity.

#[test]
fn schema_version_must_be_1() {
    rejects(
        &edit(&randomised(), "schema_version = 1", "schema_version = 2"),
        "schema_version",
        &["unsupported schema version 2", "schema_version = 1"],
    );
}

#[test]
fn study_id_is_a_short_code() {
    for bad in [
        "\"X\"",
        "\"test-1\"",
        "\"TEST_1\"",
        "\"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456\"",
    ] {
        rejects(
            &edit(&randomised(), "id = \"TEST-1\"", &format!("id = {bad}")),
            "id",
            &["2 to 32 characters of A-Z, 0-9 and `-`"],
        );
    }
}

#[test]
fn phase_design_and_blinding_take_listed_values() {
    rejects(
        &edit(&randomised(), "phase = \"II\"", "phase = \"2\""),
        "phase",
        &[
            r#"one of "I", "I/II", "II", "III", "IV""#,
            "found the string \"2\"",
        ],
    );
    rejects(
        &edit(
            &randomised(),
            "design = \"randomised\"",
            "design = \"randomized\"",
        ),
        "design",
        &[r#"one of "dose-escalation", "randomised""#],
    );
    rejects(
        &edit(
            &randomised(),
            "blinding = \"double-blind\"",
            "blinding = \"single-blind\"",
        ),
        "blinding",
        &[r#"one of "open-label", "double-blind""#],
    );
}

#[test]
fn target_enrolment_is_at_least_1() {
    rejects(
        &edit(
            &randomised(),
            "target_enrolment = 30",
            "target_enrolment = 0",
        ),
        "target_enrolment",
        &["must be from 1 to 1000000, found 0"],
    );
}

// Arms and dose levels.

#[test]
fn arms_are_required_when_randomised() {
    rejects(
        &randomised().replace(ARMS, ""),
        "arms",
        &["required with design = \"randomised\""],
    );
    let one_arm = format!(
        "{HEADER}{}{REST}",
        &ARMS[..ARMS.find("\n[[arms]]\nid = \"placebo\"").unwrap()]
    );
    rejects(&one_arm, "arms", &["at least two arms, found 1"]);
    rejects(
        &edit(&randomised(), "kind = \"active\"", "kind = \"placebo\""),
        "arms",
        &["at least one arm must have kind = \"active\""],
    );
}

#[test]
fn arms_are_not_allowed_in_dose_escalation() {
    let text = format!("{}{ARMS}", escalation());
    rejects(
        &text,
        "arms",
        &["only allowed with design = \"randomised\""],
    );
}

#[test]
fn dose_levels_are_required_in_dose_escalation() {
    let header = HEADER.replace("\"randomised\"", "\"dose-escalation\"");
    let text = format!("{header}{REST}");
    rejects(
        &text,
        "dose_levels",
        &["required with design = \"dose-escalation\""],
    );
    rejects(&text, "dlt_window_days", &["required key is missing"]);
}

#[test]
fn dose_levels_are_not_allowed_when_randomised() {
    let text = format!("{HEADER}{DOSE_LEVELS}{ARMS}{REST}");
    rejects(
        &text,
        "dose_levels",
        &["only allowed with design = \"dose-escalation\""],
    );
    rejects(
        &text,
        "dlt_window_days",
        &["only allowed with design = \"dose-escalation\""],
    );
}

#[test]
fn arm_kind_and_ratio() {
    rejects(
        &edit(&randomised(), "ratio = 2", "ratio = 0"),
        "arms[0].ratio",
        &["must be from 1 to 100, found 0"],
    );
    rejects(
        &edit(&randomised(), "kind = \"placebo\"", "kind = \"sham\""),
        "arms[1].kind",
        &[r#"one of "active", "placebo""#],
    );
}

#[test]
fn dose_level_values() {
    rejects(
        &edit(&escalation(), "cells = 5.0e7", "cells = 0"),
        "dose_levels[0].cells",
        &["at least 1, found 0"],
    );
    rejects(
        &edit(&escalation(), "cells = 5.0e7", "cells = \"5e7\""),
        "dose_levels[0].cells",
        &["expected a finite number"],
    );
    rejects(
        &edit(&escalation(), "cells = 5.0e7", "cells = nan"),
        "dose_levels[0].cells",
        &["expected a finite number"],
    );
    rejects(
        &edit(
            &escalation(),
            "schedule = \"single\"",
            "schedule = \"once\"",
        ),
        "dose_levels[0].schedule",
        &[r#"one of "single", "multiple""#],
    );
    rejects(
        &edit(&escalation(), "dlt_window_days = 28", "dlt_window_days = 0"),
        "dlt_window_days",
        &["from 1 to 365"],
    );
}

#[test]
fn dose_days_fit_the_schedule() {
    rejects(
        &edit(&escalation(), "[1, 15, 29, 43]", "[1, 29, 15, 43]"),
        "dose_levels[1].dose_days[2]",
        &["must increase strictly", "15 does not come after 29"],
    );
    rejects(
        &edit(&escalation(), "[1, 15, 29, 43]", "[2, 15, 29, 43]"),
        "dose_levels[1].dose_days[0]",
        &["the first dose is on day 1", "found 2"],
    );
    rejects(
        &edit(&escalation(), "[1, 15, 29, 43]", "[1]"),
        "dose_levels[1].dose_days",
        &["at least two dose days, found 1"],
    );
    rejects(
        &edit(&escalation(), "dose_days = [1, 15, 29, 43]\n", ""),
        "dose_levels[1].dose_days",
        &["required key is missing"],
    );
    rejects(
        &edit(
            &escalation(),
            "schedule = \"single\"",
            "schedule = \"single\"\ndose_days = [1, 8]",
        ),
        "dose_levels[0].dose_days",
        &["a single-dose level has dose_days = [1]"],
    );
    rejects(
        &edit(&escalation(), "[1, 15, 29, 43]", "[1, 15, 0]"),
        "dose_levels[1].dose_days[2]",
        &["from 1 to"],
    );
}

// Sites.

#[test]
fn sites_are_required() {
    let text = randomised();
    let start = text.find("[[sites]]").unwrap();
    let end = text.find("[eligibility]").unwrap();
    let without = format!("{}{}", &text[..start], &text[end..]);
    rejects(&without, "sites", &["required key is missing"]);
}

#[test]
fn time_zones_are_iana_names() {
    for bad in [
        "Shanghai",
        "asia/shanghai",
        "CST",
        "Mars/Olympus_Mons",
        "Asia/",
        "UTC+8",
    ] {
        rejects(
            &edit(&randomised(), "\"Asia/Shanghai\"", &format!("{bad:?}")),
            "sites[0].time_zone",
            &[
                "IANA time zone",
                "\"Asia/Shanghai\"",
                &format!("found {bad:?}"),
            ],
        );
    }
    for good in [
        "UTC",
        "Europe/London",
        "America/Argentina/Buenos_Aires",
        "Etc/GMT+8",
    ] {
        let text = edit(&randomised(), "\"Asia/Shanghai\"", &format!("{good:?}"));
        assert!(Study::from_toml(&text).is_ok(), "{good}");
    }
}

#[test]
fn countries_are_two_capital_letters() {
    for bad in ["\"cn\"", "\"CHN\"", "\"\""] {
        let problems = problems(&edit(
            &randomised(),
            "country = \"CN\"",
            &format!("country = {bad}"),
        ));
        assert!(
            problems.iter().any(|p| p.starts_with("sites[0].country: ")),
            "{problems:?}"
        );
    }
    rejects(
        &edit(&randomised(), "country = \"CN\"", "country = \"CHN\""),
        "sites[0].country",
        &["ISO 3166-1 alpha-2"],
    );
}

// Ids.

#[test]
fn element_ids_are_well_formed() {
    rejects(
        &edit(&randomised(), "id = \"S2\"", "id = \"site two\""),
        "sites[1].id",
        &[
            "1 to 40 characters of letters, digits, `-` and `_`",
            "\"site two\"",
        ],
    );
    rejects(
        &edit(&randomised(), "id = \"sbp\"", "id = \"sbp/mmHg\""),
        "forms[2].fields[0].id",
        &["1 to 40 characters"],
    );
}

#[test]
fn duplicate_ids_are_rejected() {
    rejects(
        &edit(&randomised(), "id = \"S2\"", "id = \"S1\""),
        "sites[1].id",
        &["duplicate id \"S1\"", "first used at sites[0].id"],
    );
    rejects(
        &edit(&randomised(), "id = \"placebo\"", "id = \"active\""),
        "arms[1].id",
        &["duplicate id \"active\"", "arms[0].id"],
    );
    rejects(
        &edit(&escalation(), "id = \"high\"", "id = \"low\""),
        "dose_levels[1].id",
        &["duplicate id \"low\""],
    );
    rejects(
        &edit(&randomised(), "id = \"week-12\"", "id = \"dosing\""),
        "schedule.visits[2].id",
        &["duplicate id \"dosing\"", "schedule.visits[1].id"],
    );
    rejects(
        &edit(&randomised(), "id = \"scim\"", "id = \"exam\""),
        "forms[1].id",
        &["duplicate id \"exam\"", "forms[0].id"],
    );
    rejects(
        &edit(&randomised(), "id = \"temp\"", "id = \"sbp\""),
        "forms[2].fields[1].id",
        &["duplicate id \"sbp\"", "forms[2].fields[0].id"],
    );
}

// Blinding.

#[test]
fn unblinded_roles_must_be_roles() {
    let text = format!(
        "unblinded_roles = [\"unblinded_pharmacist\", \"pharmacist\"]\n{}",
        randomised()
    );
    rejects(
        &text,
        "unblinded_roles[1]",
        &[
            "unknown role \"pharmacist\"",
            "allowed: sponsor_admin, investigator, crc",
        ],
    );
    let text = format!("unblinded_roles = [\"crc\", \"crc\"]\n{}", randomised());
    rejects(&text, "unblinded_roles[1]", &["duplicate role \"crc\""]);
}

#[test]
fn pharmacovigilance_is_never_unblinded_study_wide() {
    let text = format!(
        "unblinded_roles = [\"dsmb_statistician\", \"pharmacovigilance\"]\n{}",
        randomised()
    );
    rejects(
        &text,
        "unblinded_roles[1]",
        &[
            "pharmacovigilance stays blinded",
            "one SUSAR case at a time",
        ],
    );
}

#[test]
fn unblinded_roles_are_for_double_blind_studies_only() {
    let text = format!("unblinded_roles = [\"auditor\"]\n{}", escalation());
    rejects(
        &text,
        "unblinded_roles",
        &[
            "only allowed with blinding = \"double-blind\"",
            "nobody is blinded",
        ],
    );
}

#[test]
fn unblinded_roles_given_replace_the_default() {
    let text = format!(
        "unblinded_roles = [\"dsmb_statistician\"]\n{}",
        randomised()
    );
    let study = Study::from_toml(&text).unwrap();
    assert!(study.is_blinded(Role::UnblindedPharmacist));
    assert!(!study.is_blinded(Role::DsmbStatistician));
    let text = format!("unblinded_roles = []\n{}", randomised());
    let study = Study::from_toml(&text).unwrap();
    assert!(Role::ALL.iter().all(|r| study.is_blinded(*r)));
}

// The schedule.

#[test]
fn anchor_takes_listed_values() {
    rejects(
        &edit(
            &randomised(),
            "anchor = \"first-dose\"",
            "anchor = \"dosing\"",
        ),
        "schedule.anchor",
        &[r#"one of "injury", "first-dose""#],
    );
}

#[test]
fn visit_days_increase_strictly() {
    rejects(
        &edit(&randomised(), "day = 85", "day = 1"),
        "schedule.visits[2].day",
        &[
            "must increase strictly",
            "1 does not come after 1 (schedule.visits[1].day)",
        ],
    );
    rejects(
        &edit(&randomised(), "day = -14", "day = 2"),
        "schedule.visits[1].day",
        &["1 does not come after 2"],
    );
}

#[test]
fn there_is_no_day_0() {
    rejects(
        &edit(&randomised(), "day = -14", "day = 0"),
        "schedule.visits[0].day",
        &["there is no day 0"],
    );
}

#[test]
fn windows_are_not_negative() {
    rejects(
        &edit(&randomised(), "window_before = 7", "window_before = -7"),
        "schedule.visits[2].window_before",
        &["must be from 0 to 365, found -7"],
    );
    rejects(
        &edit(&randomised(), "window_after = 13", "window_after = 400"),
        "schedule.visits[0].window_after",
        &["must be from 0 to 365, found 400"],
    );
}

#[test]
fn visits_reference_defined_forms() {
    rejects(
        &edit(
            &randomised(),
            "forms = [\"exam\", \"vitals\", \"scim\"]",
            "forms = [\"exam\", \"vitals\", \"scim-iii\"]",
        ),
        "schedule.visits[2].forms[2]",
        &[
            "unknown form \"scim-iii\"",
            "defined forms: exam, scim, vitals",
        ],
    );
    rejects(
        &edit(
            &randomised(),
            "forms = [\"vitals\"]",
            "forms = [\"vitals\", \"vitals\"]",
        ),
        "schedule.visits[1].forms[1]",
        &["form \"vitals\" is listed twice"],
    );
}

#[test]
fn problems_are_not_repeated_by_the_checks_that_relate_parts() {
    // A form that cannot be read is reported where it is defined, not again by the visits
    // that list it or by the screening check.
    let problems = problems(&edit(
        &randomised(),
        "kind = \"isncsci\"",
        "kind = \"isncsi\"",
    ));
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(problems[0].starts_with("forms[0].kind: "));
    // A form never defined is reported at the visit, and does not count as an exam.
    let text = edit(
        &randomised(),
        "forms = [\"exam\", \"vitals\"]",
        "forms = [\"labs\", \"vitals\"]",
    );
    rejects(
        &text,
        "schedule.visits[0].forms[0]",
        &["unknown form \"labs\""],
    );
    rejects(&text, "schedule.visits", &["no screening visit"]);
}

#[test]
fn screening_needs_exactly_one_isncsci_form() {
    // None: the screening visit lists no exam.
    rejects(
        &edit(
            &randomised(),
            "forms = [\"exam\", \"vitals\"]",
            "forms = [\"vitals\"]",
        ),
        "schedule.visits",
        &[
            "no screening visit",
            "exactly one is needed to assess eligibility",
        ],
    );
    // Two different ISNCSCI forms at screening.
    let text = edit(
        &randomised(),
        "forms = [\"exam\", \"vitals\"]",
        "forms = [\"exam\", \"exam2\", \"vitals\"]",
    );
    let text = format!(
        "{text}\n[[forms]]\nid = \"exam2\"\nname = \"ISNCSCI again\"\nkind = \"isncsci\"\n"
    );
    rejects(
        &text,
        "schedule.visits",
        &[
            "2 different forms of kind \"isncsci\" (exam, exam2)",
            "exactly one",
        ],
    );
    // No screening visit at all.
    let text = edit(&randomised(), "day = -14", "screening = false\nday = -14");
    rejects(&text, "schedule.visits", &["no screening visit"]);
}

#[test]
fn screening_visits_come_first_and_before_the_first_dose() {
    rejects(
        &edit(&randomised(), "day = 85", "day = 85\nscreening = true"),
        "schedule.visits[2].screening",
        &["before the first dose (day 1)", "day 85"],
    );
    let text = edit(
        &randomised(),
        "anchor = \"first-dose\"",
        "anchor = \"injury\"",
    );
    let text = edit(&text, "day = -14", "day = 15");
    let text = edit(&text, "day = 1\n", "day = 30\nscreening = true\n");
    let text = edit(
        &text,
        "window_after = 13",
        "window_after = 13\nscreening = false",
    );
    rejects(
        &text,
        "schedule.visits[1].screening",
        &[
            "screening visits must come before all other visits",
            "\"dosing\" comes after \"screening\"",
        ],
    );
}

#[test]
fn an_injury_anchored_schedule_marks_its_screening_visit() {
    let text = edit(
        &randomised(),
        "anchor = \"first-dose\"",
        "anchor = \"injury\"",
    );
    let text = edit(&text, "day = -14", "screening = true\nday = 15");
    let text = edit(&text, "day = 1\n", "day = 62\n");
    let text = edit(&text, "day = 85", "day = 146");
    let study = Study::from_toml(&text).unwrap();
    let screening: Vec<&str> = study.screening_visits().map(|v| v.id.as_str()).collect();
    assert_eq!(screening, ["screening"]);
    assert_eq!(study.eligibility_form().unwrap().id, "exam");
}

// Eligibility criteria.

#[test]
fn ranges_have_min_at_most_max() {
    rejects(
        &edit(
            &randomised(),
            "{ min = 18, max = 65 }",
            "{ min = 70, max = 65 }",
        ),
        "eligibility.age_years.min",
        &["must not be greater than max (65), found 70"],
    );
    rejects(
        &edit(
            &randomised(),
            "{ min = 14, max = 60 }",
            "{ min = 61, max = 60 }",
        ),
        "eligibility.days_from_injury_to_screening.min",
        &["must not be greater than max (60), found 61"],
    );
    rejects(
        &edit(
            &randomised(),
            "{ min = 18, max = 65 }",
            "{ min = -1, max = 65 }",
        ),
        "eligibility.age_years.min",
        &["must be from 0 to 150, found -1"],
    );
    rejects(
        &edit(&randomised(), "{ min = 18, max = 65 }", "{ min = 18 }"),
        "eligibility.age_years.max",
        &["required key is missing"],
    );
    rejects(
        &edit(&randomised(), "min = 50\nmax = 250", "min = 250\nmax = 50"),
        "forms[2].fields[0].min",
        &["must not be greater than max (50), found 250"],
    );
    rejects(
        &edit(
            &randomised(),
            "min = 32.0\nmax = 43.0",
            "min = 43.5\nmax = 43.0",
        ),
        "forms[2].fields[1].min",
        &["must not be greater than max (43), found 43.5"],
    );
}

#[test]
fn nli_range_is_two_levels_cranial_first() {
    rejects(
        &edit(
            &randomised(),
            "{ from = \"C4\", to = \"L2\" }",
            "{ from = \"L2\", to = \"C4\" }",
        ),
        "eligibility.nli.from",
        &["must not be caudal to `to` (C4), found L2"],
    );
    rejects(
        &edit(
            &randomised(),
            "{ from = \"C4\", to = \"L2\" }",
            "{ from = \"C9\", to = \"L2\" }",
        ),
        "eligibility.nli.from",
        &[
            "must be a spinal level",
            "C1-C8, T1-T12, L1-L5, S1, S2, S3, S4_5",
            "\"C9\"",
        ],
    );
    rejects(
        &edit(
            &randomised(),
            "{ from = \"C4\", to = \"L2\" }",
            "{ from = \"C4\", to = \"INT\" }",
        ),
        "eligibility.nli.to",
        &["must be a spinal level"],
    );
}

#[test]
fn ais_grades_are_a_to_e() {
    rejects(
        &edit(
            &randomised(),
            "ais = [\"A\", \"B\", \"C\"]",
            "ais = [\"A\", \"F\"]",
        ),
        "eligibility.ais[1]",
        &[r#"one of "A", "B", "C", "D", "E""#, "\"F\""],
    );
    rejects(
        &edit(
            &randomised(),
            "ais = [\"A\", \"B\", \"C\"]",
            "ais = [\"A\", \"A\"]",
        ),
        "eligibility.ais[1]",
        &["duplicate grade \"A\""],
    );
    rejects(
        &edit(&randomised(), "ais = [\"A\", \"B\", \"C\"]", "ais = []"),
        "eligibility.ais",
        &["at least one grade"],
    );
}

#[test]
fn criteria_are_optional() {
    let text = randomised();
    let start = text.find("[eligibility]").unwrap();
    let end = text.find("[schedule]").unwrap();
    let study = Study::from_toml(&format!("{}{}", &text[..start], &text[end..])).unwrap();
    assert_eq!(study.eligibility, trial::Criteria::default());
}

// Forms and fields.

#[test]
fn form_kinds_take_listed_values() {
    rejects(
        &edit(&randomised(), "kind = \"scim3\"", "kind = \"scim\""),
        "forms[1].kind",
        &[r#""isncsci", "scim3", "wisci2", "vital-signs", "concomitant-medication", "generic""#],
    );
}

#[test]
fn standard_instruments_have_no_fields() {
    let text = edit(
        &randomised(),
        "kind = \"scim3\"",
        "kind = \"scim3\"\n[[forms.fields]]\nid = \"x\"\nlabel = \"X\"\ntype = \"text\"",
    );
    rejects(
        &text,
        "forms[1].fields",
        &["not allowed for kind = \"scim3\""],
    );
}

#[test]
fn field_forms_need_fields() {
    let text = randomised();
    let cut = text.find("[[forms.fields]]").unwrap();
    rejects(
        &text[..cut],
        "forms[2].fields",
        &["required key is missing"],
    );
    let text = format!(
        "{}\n[[forms]]\nid = \"misc\"\nname = \"Misc\"\nkind = \"generic\"\nfields = []\n",
        randomised()
    );
    rejects(&text, "forms[3].fields", &["at least one field"]);
}

#[test]
fn field_types_take_listed_values() {
    rejects(
        &edit(&randomised(), "type = \"decimal\"", "type = \"float\""),
        "forms[2].fields[1].type",
        &[r#""integer", "decimal", "text", "date", "choice", "boolean""#],
    );
}

#[test]
fn units_and_ranges_are_for_numbers_only() {
    let text = edit(
        &randomised(),
        "type = \"choice\"",
        "type = \"choice\"\nunit = \"cm\"\nmin = 1",
    );
    rejects(
        &text,
        "forms[2].fields[2].unit",
        &["only allowed for type = \"integer\" or \"decimal\""],
    );
    rejects(
        &text,
        "forms[2].fields[2].min",
        &["only allowed for type = \"integer\" or \"decimal\""],
    );
    rejects(
        &edit(&randomised(), "min = 50", "min = 50.5"),
        "forms[2].fields[0].min",
        &["expected an integer"],
    );
}

#[test]
fn a_field_the_platform_fills_is_text_from_a_listed_source() {
    let text = edit(
        &randomised(),
        "type = \"choice\"",
        "type = \"choice\"\nsource = \"master-cell-bank-hla\"",
    );
    rejects(
        &text,
        "forms[2].fields[2].source",
        &["only allowed for type = \"text\", not \"choice\""],
    );
    let text = edit(
        &randomised(),
        "type = \"choice\"",
        "type = \"choice\"\nsource = \"donor\"",
    );
    rejects(
        &text,
        "forms[2].fields[2].source",
        &["\"master-cell-bank-hla\""],
    );
    let phase2 = include_str!("../../../../studies/xs228-phase2.toml");
    let study = trial::Study::from_toml(phase2).unwrap();
    let donor = study
        .form("immunogenicity")
        .unwrap()
        .field("donor_hla")
        .unwrap();
    assert_eq!(donor.source, Some(trial::FieldSource::MasterCellBankHla));
}

#[test]
fn choices_have_distinct_options() {
    rejects(
        &edit(&randomised(), "options = [\"supine\", \"sitting\"]\n", ""),
        "forms[2].fields[2].options",
        &["required key is missing"],
    );
    rejects(
        &edit(&randomised(), "[\"supine\", \"sitting\"]", "[]"),
        "forms[2].fields[2].options",
        &["at least one option"],
    );
    rejects(
        &edit(
            &randomised(),
            "[\"supine\", \"sitting\"]",
            "[\"supine\", \"supine\"]",
        ),
        "forms[2].fields[2].options[1]",
        &["duplicate option \"supine\""],
    );
    rejects(
        &edit(
            &randomised(),
            "type = \"decimal\"",
            "type = \"decimal\"\noptions = [\"a\"]",
        ),
        "forms[2].fields[1].options",
        &["only allowed for type = \"choice\""],
    );
}

// Randomisation.

const BLOCKS: &str = r#"[randomisation]
method = "permuted-blocks"
block_sizes = [3, 6]
strata = ["ais", "level", "site"]
"#;

/// The randomised fixture with its `[randomisation]` table replaced by `table`.
fn with_randomisation(table: &str) -> String {
    edit(&randomised(), BLOCKS, table)
}

const MINIMISATION: &str = r#"[randomisation]
method = "minimisation"
factors = [{ factor = "ais", weight = 2 }, { factor = "level" }, { factor = "site", weight = 0.5 }]
probability = 0.8
"#;

#[test]
fn randomisation_is_read_for_each_method() {
    use trial::{Factor, Randomisation, RandomisationMethod, WeightedFactor};
    let study = Study::from_toml(&randomised()).unwrap();
    assert_eq!(
        study.randomisation,
        Some(Randomisation::PermutedBlocks {
            block_sizes: vec![3, 6],
            strata: vec![Factor::Ais, Factor::Level, Factor::Site],
        })
    );
    let study = Study::from_toml(&with_randomisation(MINIMISATION)).unwrap();
    let randomisation = study.randomisation.unwrap();
    assert_eq!(randomisation.method(), RandomisationMethod::Minimisation);
    assert_eq!(
        randomisation,
        Randomisation::Minimisation {
            factors: vec![
                WeightedFactor {
                    factor: Factor::Ais,
                    weight: 2.0
                },
                WeightedFactor {
                    factor: Factor::Level,
                    weight: 1.0
                },
                WeightedFactor {
                    factor: Factor::Site,
                    weight: 0.5
                },
            ],
            probability: 0.8,
        }
    );
    assert_eq!(
        randomisation.factors(),
        [Factor::Ais, Factor::Level, Factor::Site]
    );
    // Strata may be left out: one list for everybody.
    let study = Study::from_toml(&with_randomisation(
        "[randomisation]\nmethod = \"permuted-blocks\"\nblock_sizes = [6]\n",
    ))
    .unwrap();
    assert_eq!(study.randomisation.unwrap().factors(), []);
    assert_eq!(Study::from_toml(&escalation()).unwrap().randomisation, None);
}

#[test]
fn randomisation_is_required_when_randomised_and_rejected_in_dose_escalation() {
    rejects(
        &randomised().replace(BLOCKS, ""),
        "randomisation",
        &[
            "required with design = \"randomised\"",
            "\"permuted-blocks\"",
        ],
    );
    rejects(
        &format!("{}{BLOCKS}", escalation()),
        "randomisation",
        &["only allowed with design = \"randomised\"", "3+3"],
    );
    let scalar = edit(
        &randomised().replace(BLOCKS, ""),
        "target_enrolment = 30",
        "target_enrolment = 30\nrandomisation = 3",
    );
    rejects(
        &scalar,
        "randomisation",
        &["expected a table, found the integer 3"],
    );
}

#[test]
fn randomisation_method_and_keys() {
    rejects(
        &edit(
            &randomised(),
            "method = \"permuted-blocks\"",
            "method = \"blocks\"",
        ),
        "randomisation.method",
        &[r#"one of "permuted-blocks", "minimisation""#, "\"blocks\""],
    );
    rejects(
        &edit(&randomised(), "method = \"permuted-blocks\"\n", ""),
        "randomisation.method",
        &["required key is missing"],
    );
    rejects(
        &edit(
            &randomised(),
            "block_sizes = [3, 6]",
            "block_sizes = [3, 6]\nseed = 7",
        ),
        "randomisation.seed",
        &[
            "unknown key",
            "method, block_sizes, strata, factors, probability",
        ],
    );
    rejects(
        &edit(
            &randomised(),
            "block_sizes = [3, 6]",
            "block_sizes = [3, 6]\nprobability = 0.8",
        ),
        "randomisation.probability",
        &["only allowed with method = \"minimisation\""],
    );
    let text = with_randomisation(&MINIMISATION.replace(
        "probability = 0.8",
        "probability = 0.8\nblock_sizes = [3]\nstrata = [\"site\"]",
    ));
    rejects(
        &text,
        "randomisation.block_sizes",
        &["only allowed with method = \"permuted-blocks\""],
    );
    rejects(
        &text,
        "randomisation.strata",
        &["only allowed with method = \"permuted-blocks\""],
    );
}

#[test]
fn block_sizes_are_multiples_of_the_sum_of_the_ratios() {
    rejects(
        &edit(&randomised(), "[3, 6]", "[3, 4]"),
        "randomisation.block_sizes[1]",
        &[
            "must be a multiple of 3, the sum of the arm ratios (2 + 1)",
            "found 4",
        ],
    );
    rejects(
        &edit(&randomised(), "[3, 6]", "[3, 6, 3]"),
        "randomisation.block_sizes[2]",
        &["duplicate block size 3 (first at randomisation.block_sizes[0])"],
    );
    rejects(
        &edit(&randomised(), "[3, 6]", "[]"),
        "randomisation.block_sizes",
        &["at least one block size"],
    );
    rejects(
        &edit(&randomised(), "[3, 6]", "[0, 6]"),
        "randomisation.block_sizes[0]",
        &["must be from 1 to 1000, found 0"],
    );
    rejects(
        &edit(&randomised(), "[3, 6]", "[3, \"6\"]"),
        "randomisation.block_sizes[1]",
        &["expected an integer"],
    );
    rejects(
        &edit(&randomised(), "block_sizes = [3, 6]\n", ""),
        "randomisation.block_sizes",
        &["required key is missing"],
    );
    // With 1:1, any even size.
    let equal = edit(&randomised(), "ratio = 2", "ratio = 1");
    let study = Study::from_toml(&edit(&equal, "[3, 6]", "[2, 4]")).unwrap();
    assert!(study.randomisation.is_some());
    rejects(
        &equal,
        "randomisation.block_sizes[0]",
        &["must be a multiple of 2", "found 3"],
    );
}

#[test]
fn a_bad_arm_does_not_make_block_sizes_wrong_too() {
    let problems = problems(&edit(&randomised(), "ratio = 2", "ratio = 0"));
    assert_eq!(problems.len(), 1, "{problems:#?}");
}

#[test]
fn strata_are_known_factors_each_once() {
    rejects(
        &edit(
            &randomised(),
            "\"level\", \"site\"]",
            "\"injury\", \"site\"]",
        ),
        "randomisation.strata[1]",
        &[r#"must be one of "ais", "level", "site", found "injury""#],
    );
    rejects(
        &edit(&randomised(), "\"level\", \"site\"]", "\"site\", \"site\"]"),
        "randomisation.strata[2]",
        &["factor \"site\" is listed twice (first at randomisation.strata[1])"],
    );
    rejects(
        &edit(
            &randomised(),
            "strata = [\"ais\", \"level\", \"site\"]",
            "strata = \"ais\"",
        ),
        "randomisation.strata",
        &["expected an array of strings"],
    );
}

#[test]
fn minimisation_factors_and_probability() {
    let text = |old: &str, new: &str| with_randomisation(&MINIMISATION.replace(old, new));
    for p in ["0.5", "0.3", "1.01", "\"high\""] {
        rejects(
            &text("probability = 0.8", &format!("probability = {p}")),
            "randomisation.probability",
            &[],
        );
    }
    rejects(
        &text("probability = 0.8", "probability = 0.5"),
        "randomisation.probability",
        &["greater than 0.5 and at most 1", "found 0.5"],
    );
    assert!(Study::from_toml(&text("probability = 0.8", "probability = 1")).is_ok());
    rejects(
        &text("probability = 0.8\n", ""),
        "randomisation.probability",
        &["required key is missing"],
    );
    rejects(
        &text("{ factor = \"level\" }", "{ factor = \"age\" }"),
        "randomisation.factors[1].factor",
        &[r#"must be one of "ais", "level", "site", found "age""#],
    );
    rejects(
        &text("{ factor = \"level\" }", "{ factor = \"ais\" }"),
        "randomisation.factors[1].factor",
        &["factor \"ais\" is listed twice (first at randomisation.factors[0].factor)"],
    );
    rejects(
        &text("weight = 0.5", "weight = 0"),
        "randomisation.factors[2].weight",
        &["must be greater than 0, found 0"],
    );
    rejects(
        &text("weight = 0.5", "weight = -1"),
        "randomisation.factors[2].weight",
        &["must be greater than 0"],
    );
    rejects(
        &text(
            "{ factor = \"level\" }",
            "{ factor = \"level\", wieght = 2 }",
        ),
        "randomisation.factors[1].wieght",
        &["unknown key (allowed here: factor, weight)"],
    );
    rejects(
        &text("{ factor = \"level\" }", "{ weight = 2 }"),
        "randomisation.factors[1].factor",
        &["required key is missing"],
    );
    rejects(
        &text("{ factor = \"level\" }", "\"level\""),
        "randomisation.factors[1]",
        &["expected a table, found the string \"level\""],
    );
    let empty = with_randomisation(
        "[randomisation]\nmethod = \"minimisation\"\nfactors = []\nprobability = 0.8\n",
    );
    rejects(&empty, "randomisation.factors", &["at least one factor"]);
    let missing =
        with_randomisation("[randomisation]\nmethod = \"minimisation\"\nprobability = 0.8\n");
    rejects(
        &missing,
        "randomisation.factors",
        &["required key is missing"],
    );
}

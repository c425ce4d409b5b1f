//! eCRF forms: field validation, cross-field rules, SCIM III and WISCI II scoring, and the
//! forms of the shipped study definitions.

use serde_json::{json, Map, Value};
use time::macros::date;
use trial::{
    score_form, score_form_text, validate_form, CrossFieldRule, FieldDef, FieldIssue, FieldType,
    FieldValue, FormDef, FormKind, Scim3, Scim3Item, Scim3Subscale, Study, WalkingAid, Wisci2,
    CROSS_FIELD_RULES, MAX_TEXT_CHARS, SCIM3_TOTAL_KEY, WISCI2_LEVELS,
};

use crate::common::load;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn form(study: &Study, id: &str) -> FormDef {
    study
        .form(id)
        .unwrap_or_else(|| panic!("no form {id}"))
        .clone()
}

fn phase2_form(id: &str) -> FormDef {
    form(&load("xs228-phase2.toml"), id)
}

fn obj(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

fn field(id: &str, field_type: FieldType) -> FieldDef {
    FieldDef {
        id: id.to_owned(),
        label: format!("Label of {id}"),
        label_zh: None,
        field_type,
        unit: None,
        unit_zh: None,
        min: None,
        max: None,
        options: Vec::new(),
        options_zh: Vec::new(),
        required: false,
        source: None,
    }
}

fn generic(fields: Vec<FieldDef>) -> FormDef {
    FormDef {
        id: "test".to_owned(),
        name: "Test form".to_owned(),
        name_zh: None,
        kind: FormKind::Generic,
        fields,
    }
}

/// A form with the one field given.
fn single(f: FieldDef) -> FormDef {
    generic(vec![f])
}

/// The issues of a form that must be rejected.
fn issues(form: &FormDef, values: Value) -> Vec<FieldIssue> {
    match validate_form(form, &obj(values)) {
        Ok(data) => panic!("accepted: {}", data.to_json()),
        Err(issues) => issues,
    }
}

/// The single issue of a form that must be rejected, as `field: message`.
fn one_issue(form: &FormDef, values: Value) -> String {
    let issues = issues(form, values);
    assert_eq!(issues.len(), 1, "{issues:#?}");
    issues[0].to_string()
}

fn accepted(form: &FormDef, values: Value) -> Value {
    match validate_form(form, &obj(values)) {
        Ok(data) => data.to_json(),
        Err(issues) => panic!("rejected: {issues:#?}"),
    }
}

fn fields_of(issues: &[FieldIssue]) -> Vec<&str> {
    issues.iter().map(|i| i.field.as_str()).collect()
}

fn valid_vitals() -> Value {
    json!({
        "systolic_bp": 124,
        "diastolic_bp": 78,
        "heart_rate": 72,
        "respiratory_rate": 16,
        "temperature": 36.6,
        "spo2": 98,
        "weight": 71.5
    })
}

fn valid_conmed() -> Value {
    json!({
        "medication": "baclofen",
        "indication": "spasticity",
        "dose": 10,
        "dose_unit": "mg",
        "route": "oral",
        "frequency": "three times a day",
        "start_date": "2026-02-20",
        "ongoing": false,
        "end_date": "2026-03-10"
    })
}

/// The items of SCIM III, each with the score given by `score`.
fn scim_json(score: impl Fn(Scim3Item) -> u8) -> Map<String, Value> {
    Scim3Item::ALL
        .into_iter()
        .map(|item| (item.id().to_owned(), Value::from(score(item))))
        .collect()
}

fn highest(item: Scim3Item) -> u8 {
    *item.allowed().last().unwrap()
}

// ---------------------------------------------------------------------------------------------
// The forms of the shipped studies
// ---------------------------------------------------------------------------------------------

#[test]
fn phase2_vital_signs_accepts_a_valid_example_and_writes_canonical_json() {
    let form = phase2_form("vital-signs");
    let data = validate_form(&form, &obj(valid_vitals())).unwrap();
    assert_eq!(data.form_id(), "vital-signs");
    assert_eq!(data.get("systolic_bp"), Some(&FieldValue::Integer(124)));
    assert_eq!(data.get("temperature"), Some(&FieldValue::Decimal(36.6)));
    assert_eq!(data.get("no_such_field"), None);
    let ids: Vec<&str> = data.iter().map(|(id, _)| id).collect();
    assert_eq!(
        ids,
        [
            "systolic_bp",
            "diastolic_bp",
            "heart_rate",
            "respiratory_rate",
            "temperature",
            "spo2",
            "weight"
        ]
    );
    assert_eq!(
        serde_json::to_string(&data).unwrap(),
        r#"{"diastolic_bp":78,"heart_rate":72,"respiratory_rate":16,"spo2":98,"systolic_bp":124,"temperature":36.6,"weight":71.5}"#
    );
    assert_eq!(serde_json::to_value(&data).unwrap(), data.to_json());
}

#[test]
fn phase2_vital_signs_without_optional_fields_writes_null() {
    let form = phase2_form("vital-signs");
    let mut values = obj(valid_vitals());
    values.remove("spo2");
    values.insert("weight".into(), Value::Null);
    let data = validate_form(&form, &values).unwrap();
    assert_eq!(data.get("spo2"), Some(&FieldValue::Missing));
    assert_eq!(data.to_json()["spo2"], Value::Null);
    assert_eq!(data.to_json()["weight"], Value::Null);
}

#[test]
fn phase2_concomitant_medication_accepts_a_valid_example() {
    let form = phase2_form("conmed");
    let data = validate_form(&form, &obj(valid_conmed())).unwrap();
    assert_eq!(data.get("dose"), Some(&FieldValue::Decimal(10.0)));
    assert_eq!(
        data.get("dose_unit"),
        Some(&FieldValue::Choice("mg".into()))
    );
    assert_eq!(
        data.get("start_date"),
        Some(&FieldValue::Date(date!(2026 - 02 - 20)))
    );
    assert_eq!(data.get("ongoing"), Some(&FieldValue::Boolean(false)));
    assert_eq!(
        serde_json::to_string(&data.to_json()).unwrap(),
        r#"{"dose":10.0,"dose_unit":"mg","end_date":"2026-03-10","frequency":"three times a day","indication":"spasticity","medication":"baclofen","ongoing":false,"route":"oral","start_date":"2026-02-20"}"#
    );

    // Ongoing, with only the required fields.
    let minimal = json!({
        "medication": "enoxaparin",
        "indication": "thromboprophylaxis",
        "route": "subcutaneous",
        "start_date": "2026-02-01",
        "ongoing": true
    });
    let json = accepted(&form, minimal);
    assert_eq!(json["end_date"], Value::Null);
    assert_eq!(json["dose"], Value::Null);
}

#[test]
fn every_form_of_both_studies_scores_a_valid_example() {
    for name in ["xs228-phase1.toml", "xs228-phase2.toml"] {
        let study = load(name);
        for form in &study.forms {
            let example = match form.id.as_str() {
                "vital-signs" => valid_vitals(),
                "conmed" => valid_conmed(),
                "scim3" => Value::Object(scim_json(highest)),
                "wisci2" => json!({"level": 20}),
                "dlt" => json!({"dlt_observed": true, "ctcae_grade": 3,
                                "description": "grade 3 headache after lumbar puncture"}),
                "mri-read" => json!({"read_date": "2026-05-02", "reader": "Dr Lin",
                                     "lesion_length_mm": 24.5, "cord_oedema": false,
                                     "syrinx": false, "mass_at_injection_site": false}),
                "immunogenicity" => json!({"sample_date": "2026-05-02",
                                           "dsa_specificity": "DQ7", "dsa_mfi": 3200,
                                           "mfi_cutoff": 1000, "dsa_positive": true}),
                "isncsci" => {
                    let issues = score_form(form, &Map::new()).unwrap_err();
                    assert_eq!(issues.len(), 1);
                    assert!(issues[0].message.contains("isncsci"), "{}", issues[0]);
                    continue;
                }
                other => panic!("{name}: no example for form {other}"),
            };
            let scored = score_form(form, &obj(example))
                .unwrap_or_else(|e| panic!("{name} form {}: {e:#?}", form.id));
            assert!(scored.is_object(), "{name} {}", form.id);
        }
    }
}

#[test]
fn phase1_dose_limiting_toxicity_form_checks_the_grade() {
    let form = form(&load("xs228-phase1.toml"), "dlt");
    let json = accepted(&form, json!({"dlt_observed": false}));
    assert_eq!(
        json,
        json!({"dlt_observed": false, "ctcae_grade": null, "description": null})
    );
    assert_eq!(
        one_issue(&form, json!({"dlt_observed": true, "ctcae_grade": 6})),
        "ctcae_grade: must be from 1 to 5, found 6"
    );
}

// ---------------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------------

#[test]
fn numbers_may_be_json_numbers_or_plain_numeric_strings() {
    let form = phase2_form("vital-signs");
    let values = json!({
        "systolic_bp": "124",
        "diastolic_bp": " 78 ",
        "heart_rate": 72.0,
        "respiratory_rate": "16.00",
        "temperature": "36.6",
        "spo2": "98",
        "weight": "71"
    });
    let data = validate_form(&form, &obj(values)).unwrap();
    assert_eq!(data.get("systolic_bp"), Some(&FieldValue::Integer(124)));
    assert_eq!(data.get("diastolic_bp"), Some(&FieldValue::Integer(78)));
    assert_eq!(data.get("heart_rate"), Some(&FieldValue::Integer(72)));
    assert_eq!(data.get("respiratory_rate"), Some(&FieldValue::Integer(16)));
    assert_eq!(data.get("temperature"), Some(&FieldValue::Decimal(36.6)));
    assert_eq!(data.get("weight"), Some(&FieldValue::Decimal(71.0)));
    // The same data gives the same JSON, whichever way the numbers came.
    assert_eq!(
        data.to_json(),
        validate_form(
            &form,
            &obj(json!({
                "systolic_bp": 124, "diastolic_bp": 78, "heart_rate": 72, "respiratory_rate": 16,
                "temperature": 36.6, "spo2": 98, "weight": 71.0
            }))
        )
        .unwrap()
        .to_json()
    );
}

#[test]
fn numeric_strings_in_other_notations_are_rejected() {
    let integer = single(field("n", FieldType::Integer));
    let decimal = single(field("x", FieldType::Decimal));
    for text in [
        "1e2", "+5", "1,5", "1 000", "12abc", "0x10", ".5", "5.", "-", "--1", "NaN", "inf",
    ] {
        let message = one_issue(&integer, json!({ "n": text }));
        assert!(
            message.starts_with("n: must be a whole number, found "),
            "{text}: {message}"
        );
        let message = one_issue(&decimal, json!({ "x": text }));
        assert!(
            message.starts_with("x: must be a number, found "),
            "{text}: {message}"
        );
    }
    assert_eq!(
        one_issue(&decimal, json!({"x": "1e2"})),
        r#"x: must be a number, found "1e2""#
    );
}

#[test]
fn integers_reject_fractions_and_accept_zero_fractions() {
    let form = single(field("n", FieldType::Integer));
    assert_eq!(
        one_issue(&form, json!({"n": 120.5})),
        "n: must be a whole number, found 120.5"
    );
    assert_eq!(
        one_issue(&form, json!({"n": "120.5"})),
        r#"n: must be a whole number, found "120.5""#
    );
    assert_eq!(accepted(&form, json!({"n": 120.0})), json!({"n": 120}));
    assert_eq!(accepted(&form, json!({"n": "-7"})), json!({"n": -7}));
}

#[test]
fn integers_beyond_range_of_exact_numbers_are_too_large() {
    let form = single(field("n", FieldType::Integer));
    for value in [json!(1e30), json!(u64::MAX), json!("99999999999999999999")] {
        let message = one_issue(&form, json!({ "n": value }));
        assert!(
            message.starts_with("n: is too large: must be a whole number"),
            "{message}"
        );
    }
    assert_eq!(
        accepted(&form, json!({"n": i64::MAX})),
        json!({"n": i64::MAX})
    );
}

#[test]
fn wrong_json_types_are_named() {
    let form = single(field("n", FieldType::Integer));
    assert_eq!(
        one_issue(&form, json!({"n": true})),
        "n: must be a whole number, found true"
    );
    assert_eq!(
        one_issue(&form, json!({"n": [1]})),
        "n: must be a whole number, found a list"
    );
    assert_eq!(
        one_issue(&form, json!({"n": {"v": 1}})),
        "n: must be a whole number, found an object"
    );
}

#[test]
fn integer_range_is_inclusive_and_named_with_its_unit() {
    let form = phase2_form("vital-signs");
    for (systolic, ok) in [(49, false), (50, true), (250, true), (251, false)] {
        let mut values = obj(valid_vitals());
        values.insert("systolic_bp".into(), json!(systolic));
        values.insert("diastolic_bp".into(), json!(20));
        match validate_form(&form, &values) {
            Ok(data) => {
                assert!(ok, "{systolic} accepted");
                assert_eq!(
                    data.get("systolic_bp"),
                    Some(&FieldValue::Integer(systolic))
                );
            }
            Err(issues) => {
                assert!(!ok, "{systolic} rejected: {issues:?}");
                assert_eq!(
                    issues,
                    [FieldIssue {
                        field: "systolic_bp".into(),
                        message: format!("must be from 50 to 250 mmHg, found {systolic} mmHg"),
                    }]
                );
            }
        }
    }
}

#[test]
fn decimal_range_is_inclusive_and_named_with_its_unit() {
    let form = phase2_form("vital-signs");
    for (temperature, ok) in [(31.9, false), (32.0, true), (43.0, true), (43.1, false)] {
        let mut values = obj(valid_vitals());
        values.insert("temperature".into(), json!(temperature));
        let result = validate_form(&form, &values);
        assert_eq!(result.is_ok(), ok, "{temperature}: {result:?}");
        if let Err(issues) = result {
            assert_eq!(
                issues[0].to_string(),
                format!("temperature: must be from 32 to 43 °C, found {temperature} °C")
            );
        }
    }
}

#[test]
fn one_sided_ranges_are_named() {
    let conmed = phase2_form("conmed");
    let mut values = obj(valid_conmed());
    values.insert("dose".into(), json!(-0.5));
    let issues = validate_form(&conmed, &values).unwrap_err();
    assert_eq!(
        issues[0].to_string(),
        "dose: must be at least 0, found -0.5"
    );
    values.insert("dose".into(), json!(0));
    assert!(validate_form(&conmed, &values).is_ok());

    let mut capped = field("n", FieldType::Integer);
    capped.max = Some(10.0);
    capped.unit = Some("days".into());
    let form = single(capped);
    assert_eq!(
        one_issue(&form, json!({"n": 11})),
        "n: must be at most 10 days, found 11 days"
    );
    assert_eq!(accepted(&form, json!({"n": 10})), json!({"n": 10}));
}

#[test]
fn negative_zero_is_written_as_zero() {
    let form = single(field("x", FieldType::Decimal));
    assert_eq!(
        serde_json::to_string(&accepted(&form, json!({"x": -0.0}))).unwrap(),
        r#"{"x":0.0}"#
    );
    assert_eq!(
        serde_json::to_string(&accepted(&form, json!({"x": "-0.0"}))).unwrap(),
        r#"{"x":0.0}"#
    );
}

// ---------------------------------------------------------------------------------------------
// Text, dates, choices, booleans
// ---------------------------------------------------------------------------------------------

#[test]
fn text_is_trimmed_and_limited_in_length() {
    let form = single(field("t", FieldType::Text));
    assert_eq!(
        accepted(&form, json!({"t": "  baclofen \n"})),
        json!({"t": "baclofen"})
    );
    let longest = "é".repeat(MAX_TEXT_CHARS);
    assert_eq!(
        accepted(&form, json!({ "t": longest.clone() }))["t"],
        json!(longest)
    );
    assert_eq!(
        one_issue(&form, json!({ "t": format!("{longest}x") })),
        "t: is too long: at most 2000 characters, found 2001"
    );
}

#[test]
fn text_accepts_tabs_and_line_breaks_but_no_other_control_characters() {
    let form = single(field("t", FieldType::Text));
    accepted(&form, json!({"t": "line one\r\nline two\twith a tab"}));
    for bad in ["nul\u{0}", "bell\u{7}", "escape\u{1b}[0m", "del\u{7f}"] {
        assert_eq!(
            one_issue(&form, json!({ "t": bad })),
            "t: must not contain control characters other than tabs and line breaks"
        );
    }
}

#[test]
fn text_must_be_a_string() {
    let form = single(field("t", FieldType::Text));
    assert_eq!(
        one_issue(&form, json!({"t": 12})),
        "t: must be text of at most 2000 characters, found 12"
    );
}

#[test]
fn dates_are_calendar_dates_written_yyyy_mm_dd() {
    let form = single(field("d", FieldType::Date));
    let data = validate_form(&form, &obj(json!({"d": "2024-02-29"}))).unwrap();
    assert_eq!(
        data.get("d"),
        Some(&FieldValue::Date(date!(2024 - 02 - 29)))
    );
    assert_eq!(data.to_json(), json!({"d": "2024-02-29"}));
    for bad in [
        "02/03/2026",
        "2026-3-2",
        "2026-03-02T10:00",
        "20260302",
        "+2026-03-02",
        "2026-03-0a",
    ] {
        assert_eq!(
            one_issue(&form, json!({ "d": bad })),
            format!("d: must be a date written YYYY-MM-DD (e.g. 2026-03-02), found \"{bad}\"")
        );
    }
    for impossible in [
        "2026-02-29",
        "2026-13-01",
        "2026-04-31",
        "2026-00-10",
        "2026-01-00",
    ] {
        assert_eq!(
            one_issue(&form, json!({ "d": impossible })),
            format!(
                "d: is not a date of the calendar: must be a date written YYYY-MM-DD \
                 (e.g. 2026-03-02), found \"{impossible}\""
            )
        );
    }
    assert_eq!(
        one_issue(&form, json!({"d": 20260302})),
        "d: must be a date written YYYY-MM-DD (e.g. 2026-03-02), found 20260302"
    );
}

#[test]
fn choices_must_be_one_of_the_options_exactly() {
    let form = phase2_form("conmed");
    let mut values = obj(valid_conmed());
    values.insert("dose_unit".into(), json!("µg"));
    assert!(validate_form(&form, &values).is_ok());
    for bad in [json!("MG"), json!("milligram"), json!(5)] {
        values.insert("dose_unit".into(), bad.clone());
        let issues = validate_form(&form, &values).unwrap_err();
        assert_eq!(
            issues[0].to_string(),
            format!(
                r#"dose_unit: must be one of "mg", "g", "µg", "mL", "IU", "tablet", "other", found {bad}"#
            )
        );
    }
}

#[test]
fn booleans_are_true_or_false() {
    let form = single(field("b", FieldType::Boolean));
    assert_eq!(accepted(&form, json!({"b": true})), json!({"b": true}));
    assert_eq!(accepted(&form, json!({"b": "false"})), json!({"b": false}));
    for bad in [json!("yes"), json!(1), json!("True")] {
        assert_eq!(
            one_issue(&form, json!({ "b": bad })),
            format!("b: must be true or false, found {bad}")
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Missing, unknown, duplicate
// ---------------------------------------------------------------------------------------------

#[test]
fn absent_null_and_blank_values_are_missing() {
    let mut required = field("r", FieldType::Integer);
    required.required = true;
    required.min = Some(1.0);
    required.max = Some(5.0);
    let form = generic(vec![required, field("o", FieldType::Text)]);
    for values in [
        json!({}),
        json!({"r": null}),
        json!({"r": ""}),
        json!({"r": "   "}),
    ] {
        assert_eq!(
            one_issue(&form, values),
            "r: is required: a whole number from 1 to 5"
        );
    }
    for blank in [json!(null), json!(""), json!(" \t ")] {
        let data = validate_form(&form, &obj(json!({"r": 3, "o": blank}))).unwrap();
        assert_eq!(data.get("o"), Some(&FieldValue::Missing));
    }
}

#[test]
fn missing_required_fields_name_what_they_accept() {
    let form = phase2_form("conmed");
    let issues = issues(&form, json!({}));
    let lines: Vec<String> = issues.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "medication: is required: text of at most 2000 characters",
            "indication: is required: text of at most 2000 characters",
            r#"route: is required: one of "oral", "intravenous", "intramuscular", "subcutaneous", "intrathecal", "topical", "inhaled", "rectal", "other""#,
            "start_date: is required: a date written YYYY-MM-DD (e.g. 2026-03-02)",
            "ongoing: is required: true or false",
        ]
    );
}

#[test]
fn unknown_fields_list_the_allowed_field_ids() {
    let form = phase2_form("vital-signs");
    let mut values = obj(valid_vitals());
    values.insert("pulse".into(), json!(70));
    let issues = validate_form(&form, &values).unwrap_err();
    assert_eq!(
        issues,
        [FieldIssue {
            field: "pulse".into(),
            message: "unknown field; the fields of form \"vital-signs\" are systolic_bp, \
                      diastolic_bp, heart_rate, respiratory_rate, temperature, spo2, weight"
                .into(),
        }]
    );
}

#[test]
fn every_problem_is_reported_together_in_order() {
    let form = phase2_form("vital-signs");
    let values = json!({
        "systolic_bp": 300,
        "heart_rate": "fast",
        "respiratory_rate": 16,
        "temperature": 36.6,
        "spo2": 101,
        "pulse": 70,
        "bp": "120/80"
    });
    let issues = issues(&form, values);
    assert_eq!(
        fields_of(&issues),
        [
            "systolic_bp",
            "diastolic_bp",
            "heart_rate",
            "spo2",
            "bp",
            "pulse"
        ]
    );
    assert_eq!(
        issues[0].message,
        "must be from 50 to 250 mmHg, found 300 mmHg"
    );
    assert_eq!(
        issues[1].message,
        "is required: a whole number from 20 to 150 mmHg"
    );
    assert_eq!(
        issues[2].message,
        r#"must be a whole number from 20 to 250 beats/min, found "fast""#
    );
    assert_eq!(issues[3].message, "must be from 50 to 100 %, found 101 %");
    assert!(issues[4].message.starts_with("unknown field"));
    assert!(issues[5].message.starts_with("unknown field"));
}

#[test]
fn duplicate_keys_are_reported_with_every_other_issue() {
    let form = phase2_form("vital-signs");
    let text = r#"{
        "systolic_bp": 120, "systolic_bp": 130,
        "diastolic_bp": 80,
        "heart_rate": 72, "heart_rate": "x",
        "temperature": 36.6,
        "spo2": 98,
        "pulse": 70
    }"#;
    let issues = score_form_text(&form, text).unwrap_err();
    assert_eq!(
        fields_of(&issues),
        ["systolic_bp", "heart_rate", "respiratory_rate", "pulse"]
    );
    assert_eq!(
        issues[0].message,
        "is given more than once; give each field once"
    );
    assert_eq!(
        issues[1].message,
        "is given more than once; give each field once"
    );
    assert!(issues[2].message.starts_with("is required"));
    assert!(issues[3].message.starts_with("unknown field"));

    // A duplicate alone is enough to reject an otherwise valid form.
    let text = r#"{"systolic_bp": 124, "diastolic_bp": 78, "heart_rate": 72,
        "respiratory_rate": 16, "temperature": 36.6, "temperature": 36.6}"#;
    let issues = score_form_text(&form, text).unwrap_err();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].field, "temperature");
}

#[test]
fn score_form_text_reads_valid_text_and_names_bad_text() {
    let form = phase2_form("vital-signs");
    let scored = score_form_text(&form, &valid_vitals().to_string()).unwrap();
    assert_eq!(scored["systolic_bp"], 124);

    let issues = score_form_text(&form, "{\"systolic_bp\": 120,\n  \"x\" }").unwrap_err();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].field, "");
    assert!(
        issues[0].message.starts_with("line 2, column "),
        "{}",
        issues[0]
    );

    for not_an_object in ["[1, 2]", "12", "\"text\"", "null", ""] {
        let issues = score_form_text(&form, not_an_object).unwrap_err();
        assert_eq!(issues.len(), 1, "{not_an_object}");
        assert!(
            issues[0].message.contains("not a JSON object"),
            "{}",
            issues[0]
        );
    }
}

#[test]
fn issues_display_with_and_without_a_field() {
    let with = FieldIssue {
        field: "spo2".into(),
        message: "is required".into(),
    };
    assert_eq!(with.to_string(), "spo2: is required");
    let without = FieldIssue {
        field: String::new(),
        message: "not a JSON object".into(),
    };
    assert_eq!(without.to_string(), "not a JSON object");
    assert_eq!(
        serde_json::to_value(&with).unwrap(),
        json!({"field": "spo2", "message": "is required"})
    );
}

#[test]
fn validate_form_rejects_forms_without_fields() {
    for id in ["scim3", "wisci2", "isncsci"] {
        let form = phase2_form(id);
        let issues = validate_form(&form, &Map::new()).unwrap_err();
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].field, "");
        assert!(
            issues[0].message.contains("use score_form"),
            "{}",
            issues[0]
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Cross-field rules
// ---------------------------------------------------------------------------------------------

#[test]
fn the_cross_field_rules_are_those_documented() {
    assert_eq!(
        CROSS_FIELD_RULES,
        [
            CrossFieldRule::Lower {
                lower: "diastolic_bp",
                upper: "systolic_bp"
            },
            CrossFieldRule::NotBefore {
                earlier: "start_date",
                later: "end_date"
            },
            CrossFieldRule::EmptyWhile {
                field: "end_date",
                flag: "ongoing"
            },
            CrossFieldRule::PositiveAbove {
                flag: "dsa_positive",
                value: "dsa_mfi",
                cutoff: "mfi_cutoff"
            },
        ]
    );
    let vitals = phase2_form("vital-signs");
    let conmed = phase2_form("conmed");
    let applies = |form: &FormDef| -> Vec<bool> {
        CROSS_FIELD_RULES
            .iter()
            .map(|r| r.applies_to(form))
            .collect()
    };
    assert_eq!(applies(&vitals), [true, false, false, false]);
    assert_eq!(applies(&conmed), [false, true, true, false]);
    assert_eq!(
        applies(&phase2_form("immunogenicity")),
        [false, false, false, true]
    );
}

/// The donor-specific antibody's result must agree with its MFI against the lab's cut-off:
/// positive exactly when above it. Refused on `dsa_positive`, naming both numbers' fields;
/// without an MFI or a cut-off there is nothing to compare.
#[test]
fn a_donor_specific_antibody_result_agrees_with_the_cut_off() {
    let form = phase2_form("immunogenicity");
    let values = |mfi: Option<i64>, cutoff: Option<i64>, positive: bool| {
        json!({
            "sample_date": "2026-11-02",
            "dsa_specificity": if positive { "DQ7" } else { "none" },
            "dsa_mfi": mfi,
            "mfi_cutoff": cutoff,
            "dsa_positive": positive,
        })
    };
    accepted(&form, values(Some(2400), Some(1000), true));
    accepted(&form, values(Some(300), Some(1000), false));
    // At the cut-off is not above it.
    accepted(&form, values(Some(1000), Some(1000), false));
    accepted(&form, values(None, Some(1000), true));
    accepted(&form, values(Some(2400), None, false));
    let issue = one_issue(&form, values(Some(2400), Some(1000), false));
    assert!(
        issue.starts_with("dsa_positive: must be true, since dsa_mfi ("),
        "{issue}"
    );
    assert!(issue.contains("is above mfi_cutoff ("), "{issue}");
    assert!(issue.ends_with("2400 MFI against 1000 MFI"), "{issue}");
    let issue = one_issue(&form, values(Some(1000), Some(1000), true));
    assert!(
        issue.starts_with("dsa_positive: must be false, since dsa_mfi ("),
        "{issue}"
    );
    assert!(issue.contains("is not above mfi_cutoff ("), "{issue}");
    // A wrong MFI is reported on its own field, and the rule is not checked.
    let issues = issues(&form, values(Some(40000), Some(1000), false));
    assert_eq!(fields_of(&issues), ["dsa_mfi"]);
}

#[test]
fn diastolic_pressure_must_be_lower_than_systolic() {
    let form = phase2_form("vital-signs");
    for (systolic, diastolic, ok) in [
        (120, 80, true),
        (120, 119, true),
        (120, 120, false),
        (90, 110, false),
    ] {
        let mut values = obj(valid_vitals());
        values.insert("systolic_bp".into(), json!(systolic));
        values.insert("diastolic_bp".into(), json!(diastolic));
        match validate_form(&form, &values) {
            Ok(_) => assert!(ok, "{systolic}/{diastolic} accepted"),
            Err(issues) => {
                assert!(!ok, "{systolic}/{diastolic} rejected: {issues:?}");
                assert_eq!(
                    issues,
                    [FieldIssue {
                        field: "diastolic_bp".into(),
                        message: format!(
                            "must be lower than systolic_bp (Systolic blood pressure), \
                             found {diastolic} mmHg against {systolic} mmHg"
                        ),
                    }]
                );
            }
        }
    }
}

#[test]
fn blood_pressure_rule_waits_for_valid_values() {
    let form = phase2_form("vital-signs");
    let mut values = obj(valid_vitals());
    values.insert("systolic_bp".into(), json!(40)); // out of range
    values.insert("diastolic_bp".into(), json!(90)); // above it, but not compared
    let issues = validate_form(&form, &values).unwrap_err();
    assert_eq!(fields_of(&issues), ["systolic_bp"]);
}

#[test]
fn a_medication_cannot_end_before_it_starts() {
    let form = phase2_form("conmed");
    for (start, end, ok) in [
        ("2026-02-20", "2026-03-10", true),
        ("2026-02-20", "2026-02-20", true),
        ("2026-02-20", "2026-02-19", false),
        ("2026-01-01", "2025-12-31", false),
    ] {
        let mut values = obj(valid_conmed());
        values.insert("start_date".into(), json!(start));
        values.insert("end_date".into(), json!(end));
        match validate_form(&form, &values) {
            Ok(_) => assert!(ok, "{start}..{end} accepted"),
            Err(issues) => {
                assert!(!ok, "{start}..{end} rejected: {issues:?}");
                assert_eq!(
                    issues[0].to_string(),
                    format!(
                        "end_date: must not be before start_date (Start date), \
                         found {end} against {start}"
                    )
                );
                assert_eq!(issues.len(), 1);
            }
        }
    }
}

#[test]
fn an_ongoing_medication_has_no_end_date() {
    let form = phase2_form("conmed");
    let mut values = obj(valid_conmed());
    values.insert("ongoing".into(), json!(true));
    assert_eq!(
        validate_form(&form, &values).unwrap_err()[0].to_string(),
        "end_date: must be empty while ongoing (Ongoing) is true, found 2026-03-10"
    );
    values.remove("end_date");
    assert!(validate_form(&form, &values).is_ok());
    values.insert("ongoing".into(), json!(false));
    assert!(validate_form(&form, &values).is_ok());
}

#[test]
fn cross_field_rules_follow_field_ids_in_any_form() {
    // A generic adverse-event form with its own start and end dates gets the date rule.
    let form = generic(vec![
        field("start_date", FieldType::Date),
        field("end_date", FieldType::Date),
    ]);
    assert_eq!(
        fields_of(&issues(
            &form,
            json!({"start_date": "2026-03-05", "end_date": "2026-03-01"})
        )),
        ["end_date"]
    );
    // Either date alone is fine.
    accepted(&form, json!({"end_date": "2026-03-01"}));
    accepted(&form, json!({"start_date": "2026-03-05"}));

    // A form with only one of the two fields has no rule.
    let form = generic(vec![field("diastolic_bp", FieldType::Integer)]);
    assert!(!CROSS_FIELD_RULES[0].applies_to(&form));
    accepted(&form, json!({"diastolic_bp": 300}));

    // Fields of other types with these ids are not compared.
    let form = generic(vec![
        field("systolic_bp", FieldType::Text),
        field("diastolic_bp", FieldType::Text),
    ]);
    accepted(&form, json!({"systolic_bp": "80", "diastolic_bp": "120"}));

    // Decimal pressures are compared as numbers.
    let form = generic(vec![
        field("systolic_bp", FieldType::Decimal),
        field("diastolic_bp", FieldType::Integer),
    ]);
    assert_eq!(
        fields_of(&issues(
            &form,
            json!({"systolic_bp": 79.5, "diastolic_bp": 80})
        )),
        ["diastolic_bp"]
    );
}

#[test]
fn cross_field_issues_come_after_field_issues() {
    let form = phase2_form("conmed");
    let mut values = obj(valid_conmed());
    values.insert("ongoing".into(), json!(true));
    values.insert("end_date".into(), json!("2026-02-01"));
    values.insert("route".into(), json!("by mouth"));
    values.insert("notes".into(), json!("x"));
    let issues = validate_form(&form, &values).unwrap_err();
    assert_eq!(
        fields_of(&issues),
        ["route", "notes", "end_date", "end_date"]
    );
    assert!(issues[2]
        .message
        .starts_with("must not be before start_date"));
    assert!(issues[3].message.starts_with("must be empty while ongoing"));
}

// ---------------------------------------------------------------------------------------------
// SCIM III
// ---------------------------------------------------------------------------------------------

/// The SCIM III scoring sheet (Itzkovich et al. 2007): item id, number, allowed scores.
const SCIM3_SHEET: [(&str, &str, &[u8]); 19] = [
    ("feeding", "1", &[0, 1, 2, 3]),
    ("bathing_upper_body", "2A", &[0, 1, 2, 3]),
    ("bathing_lower_body", "2B", &[0, 1, 2, 3]),
    ("dressing_upper_body", "3A", &[0, 1, 2, 3, 4]),
    ("dressing_lower_body", "3B", &[0, 1, 2, 3, 4]),
    ("grooming", "4", &[0, 1, 2, 3]),
    ("respiration", "5", &[0, 2, 4, 6, 8, 10]),
    ("bladder", "6", &[0, 3, 6, 9, 11, 13, 15]),
    ("bowel", "7", &[0, 5, 8, 10]),
    ("use_of_toilet", "8", &[0, 1, 2, 4, 5]),
    ("bed_mobility", "9", &[0, 2, 4, 6]),
    ("transfer_bed_wheelchair", "10", &[0, 1, 2]),
    ("transfer_wheelchair_toilet_tub", "11", &[0, 1, 2]),
    ("mobility_indoors", "12", &[0, 1, 2, 3, 4, 5, 6, 7, 8]),
    (
        "mobility_moderate_distances",
        "13",
        &[0, 1, 2, 3, 4, 5, 6, 7, 8],
    ),
    ("mobility_outdoors", "14", &[0, 1, 2, 3, 4, 5, 6, 7, 8]),
    ("stair_management", "15", &[0, 1, 2, 3]),
    ("transfer_wheelchair_car", "16", &[0, 1, 2]),
    ("transfer_ground_wheelchair", "17", &[0, 1]),
];

#[test]
fn scim3_items_follow_the_scoring_sheet() {
    for (item, (id, number, allowed)) in Scim3Item::ALL.into_iter().zip(SCIM3_SHEET) {
        assert_eq!(item.id(), id);
        assert_eq!(item.number(), number);
        assert_eq!(item.allowed(), allowed, "{id}");
        assert_eq!(Scim3Item::parse(id), Some(item));
        assert!(!item.label().is_empty());
    }
    assert_eq!(Scim3Item::parse("Feeding"), None);
    let subscale_of = |range: std::ops::Range<usize>| -> Vec<Scim3Subscale> {
        Scim3Item::ALL[range].iter().map(|i| i.subscale()).collect()
    };
    assert!(subscale_of(0..6)
        .iter()
        .all(|s| *s == Scim3Subscale::SelfCare));
    assert!(subscale_of(6..10)
        .iter()
        .all(|s| *s == Scim3Subscale::RespirationSphincter));
    assert!(subscale_of(10..19)
        .iter()
        .all(|s| *s == Scim3Subscale::Mobility));
    // The highest scores add up to each subscale's maximum and to 100.
    for subscale in Scim3Subscale::ALL {
        let most: u32 = subscale.items().map(|i| u32::from(highest(i))).sum();
        assert_eq!(most, u32::from(subscale.max()), "{subscale:?}");
    }
}

#[test]
fn scim3_accepts_every_allowed_score_of_every_item_and_nothing_else() {
    for item in Scim3Item::ALL {
        for score in 0u8..=20 {
            let mut values = scim_json(|_| 0);
            values.insert(item.id().into(), json!(score));
            let result = Scim3::from_json(&values);
            if item.allowed().contains(&score) {
                let scim = result.unwrap_or_else(|e| panic!("{} {score}: {e:?}", item.id()));
                assert_eq!(scim.score(item), score);
                assert_eq!(scim.total(), score);
            } else {
                let issues = result.expect_err("a score not on the sheet");
                let allowed: Vec<String> = item.allowed().iter().map(u8::to_string).collect();
                assert_eq!(
                    issues,
                    [FieldIssue {
                        field: item.id().into(),
                        message: format!("must be one of {}, found {score}", allowed.join(", ")),
                    }]
                );
            }
        }
    }
}

#[test]
fn scim3_names_the_skipped_values_of_items_with_gaps() {
    let cases = [
        (
            "bladder",
            14,
            "must be one of 0, 3, 6, 9, 11, 13, 15, found 14",
        ),
        (
            "bladder",
            1,
            "must be one of 0, 3, 6, 9, 11, 13, 15, found 1",
        ),
        ("bowel", 7, "must be one of 0, 5, 8, 10, found 7"),
        (
            "respiration",
            5,
            "must be one of 0, 2, 4, 6, 8, 10, found 5",
        ),
        ("use_of_toilet", 3, "must be one of 0, 1, 2, 4, 5, found 3"),
        ("bed_mobility", 3, "must be one of 0, 2, 4, 6, found 3"),
        (
            "transfer_ground_wheelchair",
            2,
            "must be one of 0, 1, found 2",
        ),
    ];
    for (id, score, message) in cases {
        let mut values = scim_json(|_| 0);
        values.insert(id.into(), json!(score));
        let issues = Scim3::from_json(&values).unwrap_err();
        assert_eq!(issues[0].to_string(), format!("{id}: {message}"));
    }
}

#[test]
fn scim3_subscales_and_total_are_sums_of_the_items() {
    let lowest = Scim3::from_json(&scim_json(|_| 0)).unwrap();
    assert_eq!(lowest.total(), 0);
    let best = Scim3::from_json(&scim_json(highest)).unwrap();
    let s = best.subscales();
    assert_eq!(
        (s.self_care, s.respiration_sphincter, s.mobility),
        (20, 40, 40)
    );
    assert_eq!(best.total(), 100);

    let scores = [
        2, 1, 0, 3, 1, 2, // self-care: 9
        10, 9, 8, 2, // respiration and sphincter management: 29
        4, 1, 1, 2, 2, 1, 0, 1, 0, // mobility: 12
    ];
    let scim = Scim3::from_scores(scores).unwrap();
    let s = scim.subscales();
    assert_eq!(
        (s.self_care, s.respiration_sphincter, s.mobility),
        (9, 29, 12)
    );
    assert_eq!(s.get(Scim3Subscale::Mobility), 12);
    assert_eq!(s.total(), 50);
    assert_eq!(scim.total(), 50);
    assert_eq!(scim.score(Scim3Item::Bladder), 9);
}

#[test]
fn scim3_json_has_items_subscales_and_total() {
    let scim =
        Scim3::from_scores([2, 1, 0, 3, 1, 2, 10, 9, 8, 2, 4, 1, 1, 2, 2, 1, 0, 1, 0]).unwrap();
    let json = scim.to_json();
    let map = json.as_object().unwrap();
    assert_eq!(map.len(), 19 + 3 + 1);
    assert_eq!(json["self_care_subscale"], 9);
    assert_eq!(json["respiration_sphincter_subscale"], 29);
    assert_eq!(json["mobility_subscale"], 12);
    assert_eq!(json[SCIM3_TOTAL_KEY], 50);
    assert_eq!(json["bladder"], 9);
    // Canonical: keys in lexicographic order.
    let text = serde_json::to_string(&scim).unwrap();
    assert!(
        text.starts_with(r#"{"bathing_lower_body":0,"bathing_upper_body":1,"bed_mobility":4,"#),
        "{text}"
    );
    assert!(
        text.ends_with(concat!(
            r#""total":50,"transfer_bed_wheelchair":1,"transfer_ground_wheelchair":0,"#,
            r#""transfer_wheelchair_car":1,"transfer_wheelchair_toilet_tub":1,"#,
            r#""use_of_toilet":2}"#
        )),
        "{text}"
    );
    // score_form gives the same.
    assert_eq!(
        score_form(&phase2_form("scim3"), &scim_json(|i| scim.score(i))).unwrap(),
        json
    );
}

#[test]
fn scim3_reports_every_missing_unknown_and_computed_key_together() {
    let mut values = scim_json(|_| 0);
    values.remove("bowel");
    values.remove("feeding");
    values.insert("bladder".into(), json!(14));
    values.insert("grooming".into(), Value::Null);
    values.insert("stairs".into(), json!(2));
    values.insert("total".into(), json!(10));
    values.insert("mobility_subscale".into(), json!(10));
    let issues = Scim3::from_json(&values).unwrap_err();
    let lines: Vec<String> = issues.iter().map(ToString::to_string).collect();
    let ids: Vec<&str> = Scim3Item::ALL.iter().map(|i| i.id()).collect();
    assert_eq!(
        lines,
        [
            "feeding: is required: one of 0, 1, 2, 3".to_owned(),
            "grooming: is required: one of 0, 1, 2, 3".to_owned(),
            "bladder: must be one of 0, 3, 6, 9, 11, 13, 15, found 14".to_owned(),
            "bowel: is required: one of 0, 5, 8, 10".to_owned(),
            "mobility_subscale: is computed from the items and cannot be entered".to_owned(),
            format!(
                "stairs: unknown item; the SCIM III items are {}",
                ids.join(", ")
            ),
            "total: is computed from the items and cannot be entered".to_owned(),
        ]
    );
}

#[test]
fn scim3_scores_may_be_numeric_strings_but_not_other_values() {
    let scim = Scim3::from_json(
        &scim_json(|_| 0)
            .into_iter()
            .map(|(k, _)| (k, json!("0")))
            .collect(),
    )
    .unwrap();
    assert_eq!(scim.total(), 0);
    let mut values = scim_json(highest);
    values.insert("bladder".into(), json!("15"));
    values.insert("bowel".into(), json!(10.0));
    assert_eq!(Scim3::from_json(&values).unwrap().total(), 100);
    for bad in [
        json!(-3),
        json!(2.5),
        json!("three"),
        json!(true),
        json!(300),
        json!([3]),
    ] {
        values.insert("feeding".into(), bad.clone());
        let issues = Scim3::from_json(&values).unwrap_err();
        assert_eq!(issues.len(), 1, "{bad}");
        assert!(
            issues[0]
                .message
                .starts_with("must be one of 0, 1, 2, 3, found "),
            "{}",
            issues[0]
        );
    }
}

#[test]
fn scim3_from_scores_reports_every_score_off_the_sheet() {
    let mut scores = [0u8; 19];
    scores[7] = 14; // bladder
    scores[8] = 9; // bowel
    let issues = Scim3::from_scores(scores).unwrap_err();
    assert_eq!(fields_of(&issues), ["bladder", "bowel"]);
}

// ---------------------------------------------------------------------------------------------
// WISCI II
// ---------------------------------------------------------------------------------------------

#[test]
fn wisci2_levels_0_to_20_are_accepted() {
    for level in 0u8..=20 {
        let wisci = Wisci2::from_json(&obj(json!({ "level": level }))).unwrap();
        assert_eq!(wisci.level(), level);
        assert_eq!(wisci.to_json(), json!({ "level": level }));
        assert_eq!(Wisci2::new(level), Some(wisci));
        assert_eq!(wisci.details().level, level);
        assert!(!wisci.description().is_empty());
    }
    assert_eq!(
        Wisci2::from_json(&obj(json!({"level": "12"})))
            .unwrap()
            .level(),
        12
    );
    assert_eq!(Wisci2::new(21), None);
}

#[test]
fn wisci2_rejects_other_levels_and_keys() {
    for bad in [
        json!(21),
        json!(-1),
        json!(2.5),
        json!("level 3"),
        json!(false),
    ] {
        let issues = Wisci2::from_json(&obj(json!({ "level": bad }))).unwrap_err();
        assert_eq!(
            issues,
            [FieldIssue {
                field: "level".into(),
                message: format!("must be a whole number from 0 to 20, found {bad}"),
            }]
        );
    }
    let issues = Wisci2::from_json(&obj(json!({"walking": 3}))).unwrap_err();
    let lines: Vec<String> = issues.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "level: is required: a whole number from 0 to 20",
            "walking: unknown field; a WISCI II assessment has the one field level",
        ]
    );
}

#[test]
fn wisci2_table_describes_aid_braces_and_assistance() {
    assert_eq!(WISCI2_LEVELS[0].aid, None);
    for (i, level) in WISCI2_LEVELS.iter().enumerate() {
        assert_eq!(usize::from(level.level), i);
        let text = level.description;
        if i == 0 {
            continue;
        }
        assert!(level.helpers <= 2);
        assert_eq!(text.contains("no braces"), !level.braces, "{i}: {text}");
        let help = match level.helpers {
            0 => "no physical help",
            1 => "physical help of one person",
            _ => "physical help of two people",
        };
        assert!(text.contains(help), "{i}: {text}");
        let aid = match level.aid.unwrap() {
            WalkingAid::ParallelBars => "Parallel bars",
            WalkingAid::Walker => "Walker",
            WalkingAid::TwoCrutches => "Two crutches",
            WalkingAid::OneCaneOrCrutch => "One cane or crutch",
            WalkingAid::NoAid => "No walking aid",
        };
        assert!(text.starts_with(aid), "{i}: {text}");
        assert_eq!(text.ends_with("under 10 m"), i == 1, "{i}: {text}");
    }
    // Each combination of aid, braces and assistance appears once.
    for (i, a) in WISCI2_LEVELS.iter().enumerate() {
        for b in &WISCI2_LEVELS[i + 1..] {
            // Levels 1 and 2 differ only in the distance walked.
            if (a.level, b.level) != (1, 2) {
                assert!(
                    (a.aid, a.braces, a.helpers) != (b.aid, b.braces, b.helpers),
                    "{} and {}",
                    a.level,
                    b.level
                );
            }
        }
    }
    assert_eq!(
        WISCI2_LEVELS[20].description,
        "No walking aid, no braces, no physical help, 10 m"
    );
}

#[test]
fn score_form_dispatches_on_the_kind() {
    let study = load("xs228-phase2.toml");
    assert_eq!(
        score_form(&form(&study, "wisci2"), &obj(json!({"level": "7"}))).unwrap(),
        json!({"level": 7})
    );
    let issues =
        score_form(&form(&study, "isncsci"), &obj(json!({"c5RightMotor": "5"}))).unwrap_err();
    assert_eq!(
        issues[0].to_string(),
        "form \"isncsci\" is an ISNCSCI exam: it is read in the flat layout and classified by \
         the isncsci crate, not scored here"
    );
    let issues = score_form(&form(&study, "scim3"), &Map::new()).unwrap_err();
    assert_eq!(issues.len(), 19);
    let issues = score_form(&form(&study, "conmed"), &Map::new()).unwrap_err();
    assert_eq!(issues.len(), 5);
}

#[test]
fn canonical_json_reads_back_to_the_same_data() {
    for (id, example) in [("vital-signs", valid_vitals()), ("conmed", valid_conmed())] {
        let form = phase2_form(id);
        let data = validate_form(&form, &obj(example)).unwrap();
        let again = validate_form(&form, &obj(data.to_json())).unwrap();
        assert_eq!(again, data, "{id}");
        assert_eq!(
            again.to_json().to_string(),
            data.to_json().to_string(),
            "{id}"
        );
    }
    let scim =
        Scim3::from_scores([3, 2, 1, 4, 2, 3, 8, 11, 5, 4, 6, 2, 1, 5, 4, 3, 2, 1, 1]).unwrap();
    let mut stored = obj(scim.to_json());
    stored.retain(|key, _| Scim3Item::parse(key).is_some());
    assert_eq!(Scim3::from_json(&stored).unwrap(), scim);
    let wisci = Wisci2::new(13).unwrap();
    assert_eq!(Wisci2::from_json(&obj(wisci.to_json())).unwrap(), wisci);
}

#[test]
fn long_rejected_values_are_cut_in_messages() {
    let form = single(field("b", FieldType::Boolean));
    let long = "y".repeat(500);
    let message = one_issue(&form, json!({ "b": long }));
    assert_eq!(
        message,
        format!("b: must be true or false, found \"{}\"…", "y".repeat(40))
    );
}

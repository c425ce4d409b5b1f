use proptest::prelude::*;
use time::macros::{date, datetime};

use super::*;

/// IBM double precision back to a double: the reading side, for the round trip.
fn from_ibm(b: [u8; 8]) -> f64 {
    let sign = if b[0] & 0x80 != 0 { -1.0 } else { 1.0 };
    let e = i32::from(b[0] & 0x7f) - 64;
    let mut f = [0u8; 8];
    f[1..].copy_from_slice(&b[1..]);
    let fraction = u64::from_be_bytes(f) as f64 / 2f64.powi(56);
    sign * fraction * 16f64.powi(e)
}

#[test]
fn known_ibm_values() {
    let hex = |x: f64| {
        ibm_double(x)
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<String>()
    };
    assert_eq!(hex(0.0), "0000000000000000");
    assert_eq!(hex(1.0), "4110000000000000");
    assert_eq!(hex(-1.0), "C110000000000000");
    assert_eq!(hex(0.5), "4080000000000000");
    assert_eq!(hex(100.0), "4264000000000000");
    assert_eq!(hex(0.1), "401999999999999A");
    assert_eq!(hex(-118.625), "C276A00000000000");
    assert_eq!(hex(1e-300), "0000000000000000");
}

proptest! {
    /// Every double within IBM's range converts exactly and normalised. The doubles are drawn
    /// as a mantissa of every bit times a power of ten within the range (1e-76 to 1e75), of
    /// either sign, and zero now and then: none falls outside, so none is rejected.
    #[test]
    fn ibm_conversion_is_exact(
        mantissa in 1f64..10.0,
        power in -76i32..=74,
        negative in any::<bool>(),
        zero in proptest::bool::weighted(0.02),
    ) {
        let x = if zero { 0.0 } else { mantissa * 10f64.powi(power) };
        let x = if negative { -x } else { x };
        prop_assert!(x.abs() <= IBM_MAX && (x == 0.0 || x.abs() > 1e-77), "{} out of range", x);
        let b = ibm_double(x);
        prop_assert_eq!(from_ibm(b), x);
        if x != 0.0 {
            prop_assert!(b[1] >> 4 != 0, "not normalised: {:?}", b);
        }
    }
}

fn dm() -> Dataset {
    Dataset {
        name: "DM".into(),
        label: "Demographics".into(),
        variables: vec![
            Variable::text("USUBJID", "Unique Subject Identifier", 20),
            Variable::number("AGE", "Age"),
        ],
        records: vec![
            vec![Value::Text("XS228-P2-001".into()), Value::Number(34.0)],
            vec![Value::Text("XS228-P2-002".into()), Value::Missing],
        ],
    }
}

fn written(ds: &Dataset) -> Vec<u8> {
    let mut out = Vec::new();
    write_dataset(&mut out, ds, datetime!(2026-12-06 10:30:05 UTC)).unwrap();
    out
}

#[test]
fn the_layout_is_records_of_80_bytes() {
    let out = written(&dm());
    // 3 library records, 2 member headers, 2 descriptors, the NAMESTR header, 2 × 140 bytes of
    // NAMESTRs in 4 records, the OBS header, 2 × 28 bytes of observations in 1 record.
    assert_eq!(out.len(), 80 * (3 + 2 + 2 + 1 + 4 + 1 + 1));
    let record = |i: usize| String::from_utf8_lossy(&out[80 * i..80 * (i + 1)]).into_owned();
    assert_eq!(
        record(0),
        "HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!000000000000000000000000000000  "
    );
    assert!(record(1).starts_with("SAS     SAS     SASLIB  9.4"));
    assert!(record(1).ends_with("06DEC26:10:30:05"));
    assert_eq!(
        record(3),
        "HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!000000000000000001600000000140  "
    );
    assert!(record(5).starts_with("SAS     DM      SASDATA "));
    assert_eq!(&record(6)[32..72], format!("{:<40}", "Demographics"));
    assert_eq!(
        record(7),
        "HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!000000000200000000000000000000  "
    );
    let namestr = &out[80 * 8..80 * 8 + 140];
    assert_eq!(&namestr[0..8], &[0, 2, 0, 0, 0, 20, 0, 1]);
    assert_eq!(&namestr[8..16], b"USUBJID ");
    let age = &out[80 * 8 + 140..80 * 8 + 280];
    assert_eq!(&age[0..8], &[0, 1, 0, 0, 0, 8, 0, 2]);
    assert_eq!(
        &age[84..88],
        &[0, 0, 0, 20],
        "AGE starts after the 20 bytes of USUBJID"
    );
    assert_eq!(
        record(12),
        "HEADER RECORD*******OBS     HEADER RECORD!!!!!!!000000000000000000000000000000  "
    );
    let obs = &out[80 * 13..];
    assert_eq!(&obs[..20], b"XS228-P2-001        ");
    assert_eq!(&obs[20..28], &ibm_double(34.0));
    assert_eq!(&obs[48..56], &[b'.', 0, 0, 0, 0, 0, 0, 0]);
    assert!(obs[56..].iter().all(|b| *b == b' '));
}

#[test]
fn what_does_not_fit_is_named_and_nothing_is_written() {
    type Change = Box<dyn Fn(&mut Dataset)>;
    let cases: Vec<(Change, &str)> = vec![
        (
            Box::new(|d| d.name = "DEMOGRAPHICS".into()),
            "dataset DEMOGRAPHICS: name \"DEMOGRAPHICS\" must be 1 to 8",
        ),
        (
            Box::new(|d| d.variables[1].name = "age".into()),
            "dataset DM, variable age: name \"age\" must be",
        ),
        (
            Box::new(|d| d.variables[1].name = "USUBJID".into()),
            "dataset DM, variable USUBJID: the name is used twice",
        ),
        (
            Box::new(|d| d.variables[0].label = "x".repeat(41)),
            "is 41 characters; at most 40",
        ),
        (
            Box::new(|d| d.label = "人口学资料".into()),
            "must be printable ASCII (Chinese labels go in Define-XML)",
        ),
        (
            Box::new(|d| d.variables[0].kind = Kind::Text(201)),
            "text length 201 must be 1 to 200 bytes",
        ),
        (
            Box::new(|d| d.records[1][0] = Value::Text("X".repeat(21))),
            "dataset DM, variable USUBJID, record 2: \"XXXXXXXXXXXXXXXXXXXXX\" is 21 bytes; the variable holds 20",
        ),
        (
            Box::new(|d| d.records[0][1] = Value::Number(f64::NAN)),
            "dataset DM, variable AGE, record 1: NaN is not a finite number",
        ),
        (
            Box::new(|d| d.records[0][1] = Value::Number(1e76)),
            "beyond the transport format's range",
        ),
        (
            Box::new(|d| d.records[0][1] = Value::Text("34".into())),
            "variable AGE, record 1: the text \"34\" in a numeric variable",
        ),
        (
            Box::new(|d| d.records[1].pop().map(|_| ()).unwrap_or(())),
            "dataset DM, record 2: 1 values for 2 variables",
        ),
    ];
    for (change, says) in cases {
        let mut ds = dm();
        change(&mut ds);
        let mut out = Vec::new();
        let err = write_dataset(&mut out, &ds, datetime!(2026-12-06 10:30 UTC)).unwrap_err();
        assert!(err.to_string().contains(says), "{err} / {says}");
        assert!(
            out.is_empty(),
            "wrote {} bytes of a refused dataset",
            out.len()
        );
    }
}

#[test]
fn sas_dates_count_from_1960() {
    assert_eq!(sas_date(date!(1960 - 01 - 01)), 0.0);
    assert_eq!(sas_date(date!(1959 - 12 - 31)), -1.0);
    assert_eq!(sas_date(date!(2026 - 03 - 02)), 24167.0);
}

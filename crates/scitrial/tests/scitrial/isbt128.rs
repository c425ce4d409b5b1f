//! `scitrial isbt128 check-character`, run as the real binary: one check character per line in
//! the order given, and a malformed DIN refused by name with exit status 2 and nothing printed.

use crate::common::bin;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = bin()
        .args(["isbt128", "check-character"])
        .args(args)
        .output()
        .expect("run scitrial");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn prints_one_check_character_per_line_in_order() {
    let (code, stdout, stderr) = run(&["G123498654321", "G123489654321", "G1234 98 654321"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "H\nY\nH\n");
}

#[test]
fn a_malformed_din_is_named_and_nothing_is_printed() {
    let (code, stdout, stderr) = run(&["G123498654321", "G12349865432X", "O123498654321"]);
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("DIN \"G12349865432X\": character 13 is 'X', allowed: 0–9"),
        "{stderr}"
    );
    assert!(
        stderr.contains("DIN \"O123498654321\": character 1 is 'O'"),
        "{stderr}"
    );
    assert!(!stderr.contains("G123498654321\""), "{stderr}");
}

#[test]
fn no_din_is_a_usage_error() {
    let (code, stdout, _) = run(&[]);
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
}

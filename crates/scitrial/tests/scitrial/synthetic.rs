//! `scitrial export synthetic --follow-up` then `scitrial analysis`, through the real binary,
//! on SQLite and PostgreSQL: a synthetic trial of 60 participants followed up to week 24 is
//! analysed with every model fitted (the primary ANCOVA, the secondary analyses, the
//! per-protocol analysis and the multiple imputation), its trail verifies, and the same
//! command gives the same trial.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::Value;
use store::Scope;

use crate::common::{self, bin};

const PARTICIPANTS: usize = 60;

fn temp_dir(name: &str) -> PathBuf {
    std::env::temp_dir().join(store::testing::unique(name))
}

/// Runs the program with `args`: the exit code and everything it printed.
fn run(args: &[&str]) -> (i32, String) {
    let out = bin().args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn seed(url: &str) {
    let n = PARTICIPANTS.to_string();
    let args = [
        "export",
        "synthetic",
        "--database-url",
        url,
        "--participants",
        &n,
        "--follow-up",
    ];
    let (code, out) = run(&args);
    assert_eq!(code, 0, "{url}: {out}");
}

/// `scitrial analysis` into `dir`: the results.
fn analyse(url: &str, dir: &Path, unblinded: bool) -> Value {
    let out = dir.to_str().unwrap();
    let mut args = vec![
        "analysis",
        "--database-url",
        url,
        "--study",
        "XS228-P2",
        "--output",
        out,
    ];
    if unblinded {
        args.push("--unblinded");
    }
    let (code, text) = run(&args);
    assert_eq!(code, 0, "{url}: {text}");
    serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap()
}

/// The estimate, its interval and p-value are numbers in order.
fn fitted(what: &str, r: &Value, estimate: &str) {
    let num = |k: &str| {
        r[k].as_f64()
            .unwrap_or_else(|| panic!("{what}: no {k} in {r}"))
    };
    assert!(
        num("ci_lower") < num(estimate) && num(estimate) < num("ci_upper"),
        "{what}: {r}"
    );
    let p = num("p_value");
    assert!((0.0..=1.0).contains(&p), "{what}: {r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_synthetic_trial_followed_up_to_week_24_is_analysed_with_every_model() {
    let mut first_sqlite: Option<Value> = None;
    for db in common::databases("scitrial_synthetic").await {
        let url = db.url().to_string();
        let started = Instant::now();
        seed(&url);
        let seeded = started.elapsed();

        // The data as written: visits to week 24, some withdrawn, some week-24 visits missed.
        let store = store::open(&url).await.unwrap();
        let scope = Scope::Study("XS228-P2".into());
        let everyone = store.participants(&scope).await.unwrap();
        assert_eq!(everyone.len(), PARTICIPANTS);
        let withdrawn = everyone
            .iter()
            .filter(|p| p.status == trial::ParticipantStatus::Withdrawn)
            .count();
        let mut week24 = 0;
        for p in &everyone {
            let visits = store.visits(&scope, p.id).await.unwrap();
            week24 += visits
                .iter()
                .filter(|v| v.visit_id == "week-24" && v.done_on.is_some())
                .count();
        }
        assert!(withdrawn >= 1, "{}: none withdrawn", db.name());
        assert!(
            week24 + withdrawn < PARTICIPANTS && week24 >= PARTICIPANTS * 2 / 3,
            "{}: {week24} week-24 visits, {withdrawn} withdrawn",
            db.name()
        );
        let (code, out) = run(&["audit", "verify", "--database-url", &url]);
        assert_eq!(code, 0, "{}: {out}", db.name());

        // By arm: every model fitted.
        let started = Instant::now();
        let closed = temp_dir("synthetic-unblinded");
        let r = analyse(&url, &closed, true);
        let analysed = started.elapsed();
        assert_eq!(r["unblinded"], true);
        let primary = &r["primary"];
        fitted("primary", primary, "estimate");
        let n = primary["n"].as_u64().unwrap() as usize;
        assert!((PARTICIPANTS / 2..PARTICIPANTS).contains(&n), "{primary}");
        for key in ["uems", "lems", "scim3"] {
            fitted(key, &r["secondary"][key], "estimate");
        }
        let conversion = &r["secondary"]["ais_conversion"];
        assert!(
            conversion["risk_difference"].is_number() && conversion["cmh"]["p_value"].is_number(),
            "{conversion}"
        );
        fitted(
            "per protocol",
            &r["sensitivity"]["per_protocol"],
            "estimate",
        );
        let per_protocol = r["sensitivity"]["per_protocol"]["n"].as_u64().unwrap();
        assert!(per_protocol < n as u64, "{}", r["sensitivity"]);
        let mi = &r["sensitivity"]["multiple_imputation"];
        fitted("multiple imputation", mi, "estimate");
        assert!(mi["imputed"].as_u64().unwrap() >= 1, "{mi}");
        assert_eq!(
            mi["n"].as_u64().unwrap(),
            mi["observed"].as_u64().unwrap() + mi["imputed"].as_u64().unwrap()
        );
        let scim = std::fs::read_to_string(closed.join("adisn.csv")).unwrap();
        assert!(scim.contains(",SCIM,") && scim.contains(",WISCI,"));

        // Pooled: the same participants, no arm.
        let pooled = temp_dir("synthetic-pooled");
        let p = analyse(&url, &pooled, false);
        assert_eq!(p["primary"]["pooled"], true, "{}", p["primary"]);
        assert_eq!(p["primary"]["n"].as_u64().unwrap() as usize, n);
        eprintln!(
            "{}: {PARTICIPANTS} participants seeded in {:.1} s, analysed by arm in {:.2} s \
             (debug build unless built with --release)",
            db.name(),
            seeded.as_secs_f64(),
            analysed.as_secs_f64()
        );
        std::fs::remove_dir_all(&closed).ok();
        std::fs::remove_dir_all(&pooled).ok();

        // Seeded: a second trial from the same command has the same results.
        if url.starts_with("sqlite") {
            first_sqlite = Some(r);
        }
    }
    let first = first_sqlite.expect("an SQLite database");
    let file = std::env::temp_dir().join(store::testing::unique("synthetic-again.db"));
    let url = format!("sqlite:{}", file.display());
    seed(&url);
    let dir = temp_dir("synthetic-again");
    let again = analyse(&url, &dir, true);
    for key in ["populations", "primary", "secondary", "sensitivity"] {
        assert_eq!(first[key], again[key], "{key}");
    }
    std::fs::remove_dir_all(&dir).ok();
    std::fs::remove_file(&file).ok();
}

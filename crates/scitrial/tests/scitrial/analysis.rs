//! `scitrial analysis` through the real binary over the demo's Phase II study, on SQLite and
//! PostgreSQL: a pooled run names no arm in any file it writes; an unblinded run gives the
//! primary analysis by arm, agrees with the stats crate fitted on the rows of the CSV files it
//! wrote, shows each participant's allocated arm, and is audited on the unblinded chain. Each
//! figure's PNG is its SVG drawn, of twice its size, its title drawn.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use store::{AuditFilter, Scope};

use crate::common::{self, bin};

fn temp_dir(name: &str) -> PathBuf {
    std::env::temp_dir().join(store::testing::unique(name))
}

/// Runs `scitrial analysis` into `dir`: the exit code and everything it printed.
fn analysis(url: &str, dir: &Path, unblinded: bool) -> (i32, String) {
    analysis_of("XS228-P2", url, dir, unblinded)
}

/// Runs `scitrial analysis` of a study into `dir`.
fn analysis_of(study: &str, url: &str, dir: &Path, unblinded: bool) -> (i32, String) {
    let mut cmd = bin();
    cmd.args([
        "analysis",
        "--database-url",
        url,
        "--study",
        study,
        "--output",
    ])
    .arg(dir);
    if unblinded {
        cmd.arg("--unblinded");
    }
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// A CSV file as records of column name → value.
fn read_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

fn results(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap()
}

async fn unblinded_runs(store: &store::Store) -> usize {
    let filter = AuditFilter {
        chains: vec![store::unblinded_chain("XS228-P2")],
        action: Some(store::ANALYSIS_UNBLINDED.into()),
        ..AuditFilter::default()
    };
    store.audit_page(&filter, 0, 10).await.unwrap().rows.len()
}

/// The transport file holds the dataset: the library header, whole 80-byte records, each
/// variable's name, and the first participant's id.
fn check_xpt(path: &Path, csv: &[BTreeMap<String, String>]) {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.starts_with(b"HEADER RECORD*******LIBRARY HEADER RECORD"));
    assert_eq!(bytes.len() % 80, 0, "{}", path.display());
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    for name in csv[0].keys() {
        assert!(
            has(name.as_bytes()),
            "{}: no variable {name}",
            path.display()
        );
    }
    assert!(has(csv[0]["USUBJID"].as_bytes()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_is_analysed_pooled_then_by_arm_on_both_databases() {
    let today = time::OffsetDateTime::now_utc().date();
    // Copies of the demo seeded once per run: the seeding below finds it and returns the
    // accounts.
    for db in common::demo_databases("scitrial_analysis", true, today).await {
        let url = db.url().to_string();
        let store = Arc::new(store::open(&url).await.unwrap());
        let source = std::fs::read_to_string(common::PHASE2).unwrap();
        let phase1 = std::fs::read_to_string(common::study("xs228-phase1.toml")).unwrap();
        let app = web::App::new(store.clone(), &[source, phase1], false)
            .await
            .unwrap();
        let accounts = web::demo::seed(&app, "XS228-P2", today).await.unwrap();
        web::demo::seed_escalation(&app, "XS228-P1", &accounts, today)
            .await
            .unwrap();
        let scope = Scope::Study("XS228-P2".into());
        let enrolled: BTreeMap<i64, String> = store
            .participants(&scope)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|p| p.subject_id.map(|s| (p.id, s)))
            .collect();

        // Pooled: no arm anywhere.
        let pooled = temp_dir("analysis-pooled");
        let (code, out) = analysis(&url, &pooled, false);
        assert_eq!(code, 0, "{}: {out}", db.name());
        for file in [
            "adsl.csv",
            "adisn.csv",
            "adsl.xpt",
            "adisn.xpt",
            "results.json",
        ] {
            let text =
                String::from_utf8_lossy(&std::fs::read(pooled.join(file)).unwrap()).to_lowercase();
            assert!(!text.contains("placebo"), "{file} names an arm");
            assert!(!text.contains("\"xs228\""), "{file} names an arm");
        }
        let adsl = read_csv(&pooled.join("adsl.csv"));
        assert_eq!(adsl.len(), enrolled.len());
        assert!(adsl
            .iter()
            .all(|r| r["TRT01P"] == "BLINDED" || r["TRT01P"].is_empty()));
        let r = results(&pooled);
        assert_eq!(r["unblinded"], false);
        assert_eq!(r["primary"]["pooled"], true, "{}", r["primary"]);
        assert!(
            r["primary"]["n"].as_u64().unwrap() >= 10,
            "{}",
            r["primary"]
        );
        assert!(r["primary"].get("estimate").is_none());
        assert_eq!(unblinded_runs(&store).await, 0);

        // By arm.
        let closed = temp_dir("analysis-unblinded");
        let (code, out) = analysis(&url, &closed, true);
        assert_eq!(code, 0, "{}: {out}", db.name());
        assert_eq!(
            unblinded_runs(&store).await,
            1,
            "the unblinded run is audited"
        );
        let adsl = read_csv(&closed.join("adsl.csv"));
        let adisn = read_csv(&closed.join("adisn.csv"));
        check_xpt(&closed.join("adsl.xpt"), &adsl);
        check_xpt(&closed.join("adisn.xpt"), &adisn);
        // Each participant's planned treatment is the allocated arm.
        let study =
            trial::Study::from_toml(&std::fs::read_to_string(common::PHASE2).unwrap()).unwrap();
        let arms: BTreeMap<String, String> = store
            .allocations(&scope)
            .await
            .unwrap()
            .into_iter()
            .map(|a| {
                let name = study.arm(&a.arm_id).unwrap().name.clone();
                (format!("XS228-P2-{}", enrolled[&a.participant_id]), name)
            })
            .collect();
        for row in &adsl {
            assert_eq!(
                arms.get(&row["USUBJID"]).map_or("", String::as_str),
                row["TRT01P"]
            );
            assert_eq!(row["ITTFL"] == "Y", arms.contains_key(&row["USUBJID"]));
        }
        // The primary analysis refitted from the files: the week-24 TMS records flagged for
        // analysis, on arm, baseline and the three strata.
        let subject: BTreeMap<&str, &BTreeMap<String, String>> =
            adsl.iter().map(|r| (r["USUBJID"].as_str(), r)).collect();
        let used: Vec<&BTreeMap<String, String>> = adisn
            .iter()
            .filter(|r| r["PARAMCD"] == "TMS" && r["ANL01FL"] == "Y")
            .collect();
        let num = |r: &BTreeMap<String, String>, k: &str| r[k].parse::<f64>().unwrap();
        let chg: Vec<f64> = used.iter().map(|r| num(r, "CHG")).collect();
        let base: Vec<f64> = used.iter().map(|r| num(r, "BASE")).collect();
        let treated: Vec<bool> = used.iter().map(|r| r["TRT01P"] == "XS228").collect();
        let strata: Vec<Vec<String>> = (1..=3)
            .map(|i| {
                used.iter()
                    .map(|r| subject[r["USUBJID"].as_str()][&format!("STRAT{i}R")].clone())
                    .collect()
            })
            .collect();
        assert!(
            treated.iter().filter(|t| **t).count() >= 3,
            "XS228 week-24 visits"
        );
        assert!(
            treated.iter().filter(|t| !**t).count() >= 3,
            "placebo week-24 visits"
        );
        let fit = stats::ancova(
            &chg,
            &treated,
            &[("BASE", &base)],
            &[
                ("STRAT1R", &strata[0]),
                ("STRAT2R", &strata[1]),
                ("STRAT3R", &strata[2]),
            ],
            0.95,
        )
        .unwrap();
        let r = results(&closed);
        assert_eq!(r["unblinded"], true);
        let p = &r["primary"];
        assert_eq!(p["n"].as_u64().unwrap() as usize, used.len(), "{p}");
        for (key, want) in [
            ("estimate", fit.estimate),
            ("ci_lower", fit.ci_lower),
            ("ci_upper", fit.ci_upper),
            ("p_value", fit.p_value),
        ] {
            let got = p[key].as_f64().unwrap();
            assert!(
                (got - want).abs() <= 1e-9 * want.abs().max(1.0),
                "{key}: {got} vs {want}"
            );
        }
        assert!(p["ci_lower"].as_f64() < p["estimate"].as_f64());
        assert_eq!(p["active"], "xs228");
        assert_eq!(p["control"], "placebo");
        let conversion = &r["secondary"]["ais_conversion"];
        assert!(conversion.get("risk_difference").is_some(), "{conversion}");
        for key in ["uems", "lems"] {
            assert!(r["secondary"][key].get("estimate").is_some(), "{key}");
        }
        let visits: BTreeSet<&str> = used.iter().map(|r| r["AVISIT"].as_str()).collect();
        assert_eq!(visits.len(), 1, "{visits:?}");
        check_consort(&store, &study, &results(&pooled), &r, &url).await;
        check_figures(&pooled, &closed, &study);
        check_prognosis(&store, &study, &adsl).await;
        check_imputation(&results(&pooled), &r, &adsl, &adisn);
        check_phase1(&store, &app.studies["XS228-P1"], &url).await;
        std::fs::remove_dir_all(&pooled).ok();
        std::fs::remove_dir_all(&closed).ok();
    }
}

/// The CONSORT counts against the participant records read here: everyone screened, the
/// allocations (per arm in the unblinded run), the withdrawals of each arm with their reasons.
async fn check_consort(
    store: &store::Store,
    study: &trial::Study,
    pooled: &Value,
    by_arm: &Value,
    url: &str,
) {
    let scope = Scope::Study(study.id.clone());
    let everyone = store.participants(&scope).await.unwrap();
    let allocations = store.allocations(&scope).await.unwrap();
    let dosed: BTreeSet<i64> = store
        .exposure(&scope, None)
        .await
        .unwrap()
        .iter()
        .map(|d| d.participant_id)
        .collect();
    assert!(!dosed.is_empty(), "the demo records administrations");
    for (c, arms) in [(&pooled["consort"], false), (&by_arm["consort"], true)] {
        assert_eq!(c["assessed"], everyone.len(), "{url}: {c}");
        assert_eq!(c["randomised"], allocations.len(), "{url}: {c}");
        assert_eq!(
            c["excluded"],
            everyone.len() - allocations.len(),
            "{url}: {c}"
        );
        let reasons: u64 = c["excluded_reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["n"].as_u64().unwrap())
            .sum();
        assert_eq!(reasons as usize, everyone.len() - allocations.len());
        assert_eq!(c["by_arm"], arms);
        let groups = c["groups"].as_array().unwrap();
        assert_eq!(groups.len(), if arms { 2 } else { 1 }, "{c}");
        for g in groups {
            let members: Vec<i64> = allocations
                .iter()
                .filter(|a| !arms || a.arm_id == g["group"].as_str().unwrap())
                .map(|a| a.participant_id)
                .collect();
            assert_eq!(g["allocated"], members.len(), "{g}");
            let withdrawn: Vec<&store::Participant> = everyone
                .iter()
                .filter(|p| members.contains(&p.id))
                .filter(|p| p.status == trial::ParticipantStatus::Withdrawn)
                .collect();
            let lost = withdrawn
                .iter()
                .filter(|p| {
                    trial::analysis::is_lost_to_follow_up(p.end_reason.as_deref().unwrap_or(""))
                })
                .count();
            assert_eq!(g["lost_to_follow_up"], lost, "{g}");
            assert_eq!(g["discontinued"], withdrawn.len() - lost, "{g}");
            assert_eq!(
                g["analysed"].as_u64().unwrap() + g["excluded_from_analysis"].as_u64().unwrap(),
                members.len() as u64
            );
            // Received: an administration recorded at the bedside (each kit's unit of its arm).
            let received = members.iter().filter(|id| dosed.contains(id)).count();
            assert_eq!(g["received"], received, "{g}");
            assert_eq!(g["not_received"], members.len() - received, "{g}");
        }
    }
    let analysed: u64 = by_arm["consort"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["analysed"].as_u64().unwrap())
        .sum();
    assert_eq!(analysed, by_arm["primary"]["n"].as_u64().unwrap());
}

/// The figures and the reports: written in both languages; the pooled ones name no arm.
fn check_figures(pooled: &Path, closed: &Path, study: &trial::Study) {
    let placebo = study.arm("placebo").unwrap();
    for (dir, blind) in [(pooled, true), (closed, false)] {
        for stem in ["consort-flow", "mean-change", "waterfall", "ais-shift"] {
            for suffix in ["", ".zh"] {
                let file = dir.join(format!("{stem}{suffix}.svg"));
                let svg = std::fs::read_to_string(&file).unwrap();
                assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
                if blind {
                    assert!(!svg.contains(&placebo.name), "{}", file.display());
                    assert!(!svg.contains(placebo.name_zh.as_deref().unwrap()));
                }
                check_png(&dir.join(format!("{stem}{suffix}.png")), &svg);
            }
        }
        for (lang, title) in [("en", study.title.as_str()), ("zh", study.title_in(true))] {
            let html = std::fs::read_to_string(dir.join(format!("report.{lang}.html"))).unwrap();
            assert!(html.starts_with("<!DOCTYPE html>"));
            assert!(html.contains("data-figure=\"consort\""));
            let suffix = if lang == "zh" { ".zh" } else { "" };
            assert!(
                html.contains(&format!("href=\"mean-change{suffix}.png\"")),
                "{lang}: the report links the PNG beside it"
            );
            let rest = html.replace(title, "");
            assert_eq!(
                rest.contains(&placebo.name) || rest.contains(placebo.name_zh.as_deref().unwrap()),
                !blind,
                "{lang} report"
            );
        }
    }
}

/// A figure's PNG beside its SVG: the SVG drawn at the print scale (so it shows what the SVG
/// shows, and no more), a PNG of twice the SVG's size with ink in the title's band when the
/// machine has fonts.
fn check_png(file: &Path, svg: &str) {
    let bytes = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let drawn = export::png::svg_to_png(svg, export::png::PRINT_SCALE).unwrap();
    assert!(
        bytes == drawn,
        "{}: the SVG beside it, drawn",
        file.display()
    );
    let mut reader = png::Decoder::new(std::io::Cursor::new(&bytes))
        .read_info()
        .unwrap();
    let mut rgba = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut rgba).unwrap();
    let attribute = |name: &str| -> u32 {
        let at = svg.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        let end = at + svg[at..].find('"').unwrap();
        svg[at..end].parse::<u32>().unwrap() * 2
    };
    assert_eq!(
        (info.width, info.height),
        (attribute("width"), attribute("height")),
        "{}",
        file.display()
    );
    let fonts = export::png::fonts();
    let zh = file.to_string_lossy().ends_with(".zh.png");
    if fonts.latin && (fonts.chinese || !zh) {
        // The title's band, SVG units 6 to 28 at scale 2, holds the title only.
        let row = info.width as usize * 4;
        let ink = rgba[12 * row..56 * row]
            .chunks_exact(4)
            .filter(|p| p[0] < 200 || p[1] < 200 || p[2] < 200)
            .count();
        assert!(ink > 200, "{}: the title is drawn", file.display());
    }
}

/// `ADSL`'s walking prognosis is the van Middendorp rule on each participant's screening exam
/// as the store keeps it (the participant page's reading of it).
async fn check_prognosis(
    store: &store::Store,
    study: &trial::Study,
    adsl: &[BTreeMap<String, String>],
) {
    let scope = Scope::Study(study.id.clone());
    let forms: Vec<String> = study
        .forms
        .iter()
        .filter(|f| f.kind == trial::FormKind::Isncsci)
        .map(|f| f.id.clone())
        .collect();
    let mut computed = 0;
    for p in store.participants(&scope).await.unwrap() {
        let Some(subject) = &p.subject_id else {
            continue;
        };
        let row = adsl
            .iter()
            .find(|r| r["SUBJID"] == *subject)
            .expect("every enrolled participant is in ADSL");
        let exams = store.exams(&scope, p.id, &forms).await.unwrap();
        let screening = exams.iter().find(|e| e.visit_id == "screening").unwrap();
        let fields: serde_json::Map<String, Value> = serde_json::from_str(&screening.raw).unwrap();
        let exam = trial::participants::read_exam(&fields).unwrap().exam;
        let age = trial::age_in_years(
            trial::participants::parse_date(&p.date_of_birth).unwrap(),
            trial::participants::parse_date(&screening.examined_on).unwrap(),
        );
        match trial::prognosis::walking_prognosis(age, &exam) {
            Ok(w) => {
                computed += 1;
                assert_eq!(row["WLKSCBL"], w.score.to_string(), "{subject}");
                let got: f64 = row["WLKPRBL"].parse().unwrap();
                assert!((got - w.probability).abs() < 1e-12, "{subject}");
                assert_eq!(row["WLKRSN"], "");
            }
            Err(gap) => {
                assert_eq!(row["WLKSCBL"], "", "{subject}");
                assert!(row["WLKRSN"].contains(gap.0), "{subject}");
            }
        }
    }
    assert!(computed > 0, "the demo's screening exams give prognoses");
}

/// The multiple imputation in both runs: every participant in ITT with a baseline total motor
/// score, those without a week-24 change imputed; by arm only in the unblinded run.
fn check_imputation(
    pooled: &Value,
    by_arm: &Value,
    adsl: &[BTreeMap<String, String>],
    adisn: &[BTreeMap<String, String>],
) {
    let itt: Vec<&str> = adsl
        .iter()
        .filter(|r| r["ITTFL"] == "Y" && !r["TMSBL"].is_empty())
        .map(|r| r["USUBJID"].as_str())
        .collect();
    let observed = adisn
        .iter()
        .filter(|r| r["PARAMCD"] == "TMS" && r["ANL01FL"] == "Y")
        .filter(|r| itt.contains(&r["USUBJID"].as_str()))
        .count();
    for (r, arms) in [(pooled, false), (by_arm, true)] {
        let mi = &r["sensitivity"]["multiple_imputation"];
        assert_eq!(mi["n"].as_u64().unwrap() as usize, itt.len(), "{mi}");
        assert_eq!(mi["observed"].as_u64().unwrap() as usize, observed, "{mi}");
        assert_eq!(
            mi["imputed"].as_u64().unwrap() as usize,
            itt.len() - observed
        );
        assert_eq!(mi["imputations"], 20);
        assert_eq!(mi.get("pooled").is_some(), !arms, "{mi}");
        assert_eq!(mi.get("active").is_some(), arms, "{mi}");
        let (lo, est, hi) = (
            mi["ci_lower"].as_f64().unwrap(),
            mi[if arms { "estimate" } else { "mean" }].as_f64().unwrap(),
            mi["ci_upper"].as_f64().unwrap(),
        );
        assert!(lo < est && est < hi, "{mi}");
    }
    assert!(
        by_arm["sensitivity"]["multiple_imputation"]["imputed"]
            .as_u64()
            .unwrap()
            > 0,
        "the demo has participants without a week-24 score"
    );
}

/// `scitrial analysis` of the demo's Phase I study (open-label: the dose levels without
/// `--unblinded`): per level, the participants, DLTs and adverse events of the records; the
/// 3+3 rule's state; the trajectories figure and the report's table in both languages.
async fn check_phase1(store: &store::Store, study: &trial::Study, url: &str) {
    let dir = temp_dir("analysis-phase1");
    let (code, out) = analysis_of("XS228-P1", url, &dir, false);
    assert_eq!(code, 0, "{out}");
    let r = results(&dir);
    let p = &r["phase1"];
    let scope = Scope::Study(study.id.clone());
    let doses = store.doses(&scope).await.unwrap();
    let mut aes: BTreeMap<i64, Vec<trial::safety::AdverseEvent>> = BTreeMap::new();
    for (d, _) in &doses {
        let events = store
            .adverse_events_of(&scope, d.participant_id)
            .await
            .unwrap();
        aes.insert(
            d.participant_id,
            events.into_iter().map(|e| e.event).collect(),
        );
    }
    let levels = p["levels"].as_array().unwrap();
    assert_eq!(levels.len(), study.dose_levels.len());
    for level in levels {
        let id = level["level"].as_str().unwrap();
        let here: Vec<_> = doses.iter().filter(|(d, _)| d.level_id == id).collect();
        assert_eq!(level["participants"], here.len(), "{id}: {level}");
        let assessed = here.iter().filter(|(_, t)| t.is_some()).count();
        let dlts = here
            .iter()
            .filter(|(_, t)| t.as_ref().is_some_and(|t| t.dlt))
            .count();
        assert_eq!(level["evaluable"], assessed, "{id}");
        assert_eq!(level["dlts"], dlts, "{id}");
        let events: Vec<&trial::safety::AdverseEvent> = here
            .iter()
            .flat_map(|(d, _)| aes[&d.participant_id].iter())
            .collect();
        assert_eq!(level["events"], events.len(), "{id}");
        assert_eq!(
            level["serious_events"],
            events.iter().filter(|e| e.is_serious()).count(),
            "{id}"
        );
        let by_grade: u64 = level["events_by_grade"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g.as_u64().unwrap())
            .sum();
        assert_eq!(by_grade as usize, events.len(), "{id}");
    }
    // The demo: three at SAD 1 without DLT, six at SAD 2 with one, MAD 1 in its window.
    let counts: Vec<(u64, u64)> = levels
        .iter()
        .map(|l| {
            (
                l["participants"].as_u64().unwrap(),
                l["dlts"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(counts, [(3, 0), (6, 1), (1, 0), (0, 0)], "{p}");
    assert_eq!(p["escalation"], "ongoing");
    assert_eq!(p["mtd"], Value::Null);
    assert_eq!(p["next_level"], "mad-1");
    let sad1 = &p["trajectories"][0];
    assert_eq!(sad1["level"], "sad-1");
    assert_eq!(sad1["visits"][0]["visit"], "screening");
    assert_eq!(sad1["visits"][0]["n"], 3);
    for (lang, suffix) in [("en", ""), ("zh", ".zh")] {
        let svg = std::fs::read_to_string(dir.join(format!("trajectories{suffix}.svg"))).unwrap();
        assert!(svg.contains(study.dose_levels[0].name_in(suffix == ".zh")));
        check_png(&dir.join(format!("trajectories{suffix}.png")), &svg);
        let html = std::fs::read_to_string(dir.join(format!("report.{lang}.html"))).unwrap();
        assert!(html.contains("data-table=\"phase1\""), "{lang}");
        assert!(html.contains("data-escalation=\"ongoing\""), "{lang}");
        assert!(html.contains("data-figure=\"trajectories\""), "{lang}");
    }
    let adsl = read_csv(&dir.join("adsl.csv"));
    assert!(adsl
        .iter()
        .all(|r| study.dose_levels.iter().any(|l| l.name == r["TRT01P"])));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_unknown_study_is_named_with_exit_2() {
    let dir = temp_dir("analysis-unknown");
    let file = dir.join("empty.db");
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite:{}", file.display());
    let (code, out) = analysis(&url, &dir.join("out"), false);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("there is no database"), "{out}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async { store::open(&url).await.unwrap() });
    let (code, out) = analysis(&url, &dir.join("out"), false);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no study \"XS228-P2\""), "{out}");
    assert!(!dir.join("out").exists(), "nothing written");
}

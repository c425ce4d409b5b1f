//! The pages in a real browser: npm `playwright-core` driving Debian's Chromium against the real
//! server on port 0 over a fresh SQLite database seeded like the demo. The script is
//! `tests/browser/worksheet.test.js` (an npm project of its own there); it prints what it
//! measured and saves screenshots under `target/browser-screenshots`. To watch it:
//! `cargo test -p web --test web browser -- --nocapture`.
//!
//! Skipped with a message when node, the script's `node_modules` or Chromium is missing, unless
//! `SCITRIAL_REQUIRE_BROWSER` is set (as CI sets it), in which case that is a failure.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use store::{Actor, NewUser, RoleAssignment, Scope};
use trial::Role;

use crate::common::{Demo, PASSWORD, PHASE2};

/// Names that must show as text, never as markup.
const HOSTILE_NAME: &str = "\"><img src=x onerror=\"window.__xss=1\">";
const HOSTILE_NUMBER: &str = "<script>window.__xss=2</script>";

pub(crate) fn chromium() -> PathBuf {
    std::env::var_os("SCITRIAL_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// The browser scripts' folder, or `None` when Chromium or the driver is missing: then `what`
/// is skipped with a note, or fails when `SCITRIAL_REQUIRE_BROWSER` is set (as in CI).
pub(crate) fn scripts(what: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    if let Some(why) = missing(&dir) {
        if std::env::var_os("SCITRIAL_REQUIRE_BROWSER").is_some() {
            panic!("the {what} cannot run: {why} (SCITRIAL_REQUIRE_BROWSER is set)");
        }
        eprintln!("SKIPPED: {what}: {why}");
        return None;
    }
    Some(dir)
}

/// Why the browser test cannot run here, if it cannot.
pub(crate) fn missing(dir: &Path) -> Option<String> {
    let node = Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        return Some("node is not installed".into());
    }
    if !dir.join("node_modules/playwright-core").is_dir() {
        return Some(format!(
            "{}/node_modules is missing (npm ci there)",
            dir.display()
        ));
    }
    if !chromium().exists() {
        return Some(format!(
            "{} is missing (apt-get install chromium)",
            chromium().display()
        ));
    }
    None
}

/// An exam with NT values and non-SCI marks, injury-shaped, whose classification is not
/// trivially normal, in the flat layout (without the optional non-key muscles).
fn exam() -> serde_json::Map<String, serde_json::Value> {
    for seed in 1.. {
        let mut rng = isncsci::synth::Rng::new(seed);
        let mut exam = isncsci::synth::injury_exam(&mut rng);
        isncsci::synth::sprinkle(&mut rng, &mut exam, 5);
        exam.right.lowest_non_key_muscle = None;
        exam.left.lowest_non_key_muscle = None;
        let map: serde_json::Map<String, serde_json::Value> = isncsci::flat::fields(&exam)
            .filter(|(k, _)| !k.contains("NonKey"))
            .map(|(k, v)| (k, serde_json::Value::String(v.into())))
            .collect();
        let values: Vec<&str> = map.values().filter_map(|v| v.as_str()).collect();
        let result = exam.classify().ais.to_string();
        if values
            .iter()
            .any(|v| v.ends_with('*') && !v.starts_with("NT"))
            && values.iter().any(|v| v.starts_with("NT"))
            && result != "E"
        {
            return map;
        }
    }
    unreachable!()
}

#[tokio::test]
async fn the_pages_in_a_real_browser() {
    let Some(dir) = scripts("browser test") else {
        return;
    };
    let tmp = std::env::temp_dir().join(store::testing::unique("scitrial_browser"));
    std::fs::create_dir_all(&tmp).unwrap();
    let today = time::OffsetDateTime::now_utc().date();
    // A copy of the demo seeded once per run: the seeding below finds it.
    let url = crate::common::demo_sqlite("scitrial_browser", Demo::Phase2, today).await;
    let sql = Arc::new(store::open(&url).await.unwrap());
    let app = web::App::new(sql.clone(), &[PHASE2.to_string()], false)
        .await
        .unwrap();
    let study = app.studies.values().next().unwrap().clone();
    web::demo::seed(&app, &study.id, today).await.unwrap();
    let site = study.sites[0].id.clone();

    // A coordinator with a hostile printed name, and a participant with a hostile number.
    let user = sql
        .create_user(
            &NewUser {
                username: "hostile".into(),
                full_name: HOSTILE_NAME.into(),
                password_hash: store::password::hash(PASSWORD),
                language: "en".into(),
            },
            &Actor::system(),
        )
        .await
        .unwrap();
    sql.assign_role(
        &RoleAssignment {
            user_id: user.id,
            study_id: study.id.clone(),
            role: Role::Crc,
            site_id: Some(site.clone()),
        },
        &Actor::system(),
    )
    .await
    .unwrap();
    let scope = Scope::Sites {
        study: study.id.clone(),
        sites: vec![site.clone()],
    };
    let hostile = web::service::screen(
        &app,
        &scope,
        &web::service::ScreeningInput {
            site_id: site.clone(),
            screening_number: HOSTILE_NUMBER.into(),
            sex: "female".into(),
            date_of_birth: "1990-01-01".into(),
            injury_date: "2026-10-01".into(),
            consent_date: "2026-10-20".into(),
            screening_date: "2026-10-21".into(),
            exam: exam(),
        },
        &Actor::user(&user),
    )
    .await
    .unwrap();

    // An enrolled participant of the coordinator's site with an ISNCSCI form not yet started.
    let isncsci_form = study
        .forms
        .iter()
        .find(|f| f.kind == trial::FormKind::Isncsci)
        .unwrap()
        .id
        .clone();
    let mut target = None;
    'find: for p in sql.participants(&scope).await.unwrap() {
        if p.status != "enrolled" {
            continue;
        }
        let forms = sql.forms(&scope, p.id).await.unwrap();
        for v in sql.visits(&scope, p.id).await.unwrap() {
            let planned = study
                .visit(&v.visit_id)
                .is_some_and(|d| d.forms.contains(&isncsci_form) && !d.screening);
            let started = forms
                .iter()
                .any(|f| f.visit_id == v.visit_id && f.form_id == isncsci_form);
            if planned && !started {
                target = Some((p.id, v.visit_id.clone()));
                break 'find;
            }
        }
    }
    let (participant, visit) = target.expect("the demo has an enrolled participant to examine");

    // The monitor's query on that participant, for the coordinator to answer on the page.
    let monitor = sql.user_by_name("monitor").await.unwrap().unwrap();
    let query = sql
        .raise_query(
            &scope,
            &store::NewQuery {
                participant_id: participant,
                visit_id: "screening".into(),
                form_id: isncsci_form.clone(),
                field: "c5RightMotor".into(),
                text: "Browser query: please check C5 against the source.".into(),
            },
            &Actor::user(&monitor),
        )
        .await
        .unwrap();

    let exam = exam();
    let expected = web::service::read_exam(&exam)
        .map_err(|p| format!("{p:?}"))
        .unwrap();
    let data = serde_json::json!({
        "study": study.id,
        "participant": participant,
        "participantPath": format!("/studies/{}/participants/{participant}", study.id),
        "worksheetPath": format!(
            "/studies/{}/participants/{participant}/visits/{visit}/forms/{isncsci_form}",
            study.id
        ),
        "hostilePath": format!("/studies/{}/participants/{}", study.id, hostile.id),
        "exam": exam,
        "expected": web::service::classification_json(&expected.classification),
        "title": study.title,
        "arms": study.arms.iter().map(|a| a.name.clone()).collect::<Vec<_>>(),
        "hostileName": HOSTILE_NAME,
        "hostileNumber": HOSTILE_NUMBER,
        "query": query.id,
        "password": PASSWORD,
    });
    let data_file = tmp.join("data.json");
    std::fs::write(&data_file, data.to_string()).unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(web::serve(listener, app));

    let output = run_script(&dir, "worksheet.test.js", base, data_file).await;
    assert!(output.status.success(), "the browser test failed");
}

/// Runs `script` of `tests/browser` with node against the server at `base`, with the test's
/// data in `data_file`, screenshots under `target/browser-screenshots` and Chromium from
/// [`chromium`]; prints what it said and gives its output for the caller's assertion. Each
/// script stops itself after 3 minutes (a timer of its own).
pub(crate) async fn run_script(
    dir: &Path,
    script: &str,
    base: String,
    data_file: PathBuf,
) -> std::process::Output {
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/browser-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let script = dir.join(script);
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(&script)
            .env("BASE_URL", &base)
            .env("DATA_FILE", &data_file)
            .env("SCREENSHOT_DIR", &shots)
            .env("CHROMIUM", chromium())
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    println!("{}", String::from_utf8_lossy(&output.stdout));
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    output
}

//! `scitrial load-test`: concurrent clients saving ISNCSCI exams through the real server, over
//! HTTP, beside the database's own limit for single-row durable commits measured in the same
//! run.
//!
//! Each client signs in with its own session and saves the ISNCSCI form of its participants'
//! visits: the first save of a form creates it; each later save changes one to three values
//! and gives a reason, as a correction at the bedside does. Every save is validated,
//! classified, stored with its audit rows and acknowledged only once durable. Meanwhile a few
//! readers ask for the study's dashboard, participant list and report ([`reads`]).

mod reads;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use isncsci::synth::{Below, Injury, Rng};
use isncsci::{Anal, Exam, Level};
use serde_json::{json, Map, Value};
use store::{Actor, NewUser, RoleAssignment, Scope};
use trial::Role;
use web::service::{self, EnrolmentInput, ScreeningInput};

const PHASE2: &str = include_str!("../../../../studies/xs228-phase2.toml");
const PASSWORD: &str = "load test password";
/// The readers' user name.
const READER: &str = "load-reader";

#[derive(clap::Args, Debug)]
pub struct LoadArgs {
    /// `sqlite` (a fresh file, `synchronous=FULL`) or the URL of a PostgreSQL server
    /// (`postgres://USER@HOST/DB`), on which a scratch database is created and dropped after.
    #[arg(long, default_value = "sqlite")]
    pub database: String,
    /// Concurrent clients.
    #[arg(long, default_value_t = 32)]
    pub clients: usize,
    /// Seconds measured (after one second of warm-up).
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// Readers asking for the dashboard, the participant list and the report while the
    /// clients save (each pausing 50 ms between two requests); 0 for none.
    #[arg(long, default_value_t = 4)]
    pub readers: usize,
    /// Participants per client.
    #[arg(long, default_value_t = 2)]
    pub participants: usize,
    /// Studies written at once (copies of the Phase II study under their own ids); the
    /// clients are shared out among them.
    #[arg(long, default_value_t = 1)]
    pub studies: usize,
    /// The folder for the SQLite files (its disk is the one measured); a fresh temporary
    /// folder when not given.
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// Where the run's data lives, and how to clean it up.
enum Scratch {
    Sqlite { dir: PathBuf, keep: bool },
    Postgres { admin: String, name: String },
}

impl Scratch {
    async fn create(args: &LoadArgs) -> Result<(Scratch, String, String)> {
        let unique = store::testing::unique("scitrial_load");
        if args.database == "sqlite" {
            let (dir, keep) = match &args.dir {
                Some(dir) => (dir.clone(), true),
                None => (std::env::temp_dir().join(&unique), false),
            };
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let url = format!("sqlite:{}", dir.join(format!("{unique}.db")).display());
            let probe = format!(
                "sqlite:{}",
                dir.join(format!("{unique}-probe.db")).display()
            );
            Ok((Scratch::Sqlite { dir, keep }, url, probe))
        } else if args.database.starts_with("postgres://")
            || args.database.starts_with("postgresql://")
        {
            let url = store::create_database(&args.database, &unique)
                .await
                .with_context(|| format!("creating a scratch database on {}", args.database))?;
            let scratch = Scratch::Postgres {
                admin: args.database.clone(),
                name: unique,
            };
            Ok((scratch, url.clone(), url))
        } else {
            bail!(
                "--database {:?}: give `sqlite` or a postgres:// URL",
                args.database
            )
        }
    }

    async fn remove(self) {
        match self {
            Scratch::Sqlite { dir, keep: false } => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Scratch::Sqlite { keep: true, .. } => {}
            Scratch::Postgres { admin, name } => {
                if let Err(e) = store::drop_database(&admin, &name).await {
                    eprintln!("scitrial: dropping the scratch database {name}: {e}");
                }
            }
        }
    }
}

/// What a run measured.
struct Figures {
    saves: usize,
    errors: usize,
    first_error: Option<String>,
    elapsed: Duration,
    latencies: Vec<Duration>,
    /// Processor time during the measured time: of this process (server and clients), and of
    /// the clients' threads alone.
    cpu: Option<(Duration, Duration)>,
    /// SQLite: transactions the writer committed during the measured time, and the writes
    /// they held.
    group: Option<(u64, u64)>,
    reads: reads::ReadFigures,
}

/// The name of the threads the clients (and readers) run on, apart from the server's.
const CLIENT_THREAD: &str = "load-client";

/// The processor time this process has used, user and system, and the part of it the clients'
/// threads used (Linux).
fn cpu_time() -> Option<(Duration, Duration)> {
    /// User and system time of a `stat` file, and the name in it.
    fn read(path: &std::path::Path) -> Option<(String, Duration)> {
        let stat = std::fs::read_to_string(path).ok()?;
        // The name is in parentheses and may hold spaces; the fields follow it.
        let (head, rest) = stat.rsplit_once(')')?;
        let name = head.split_once('(')?.1.to_string();
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        // The kernel counts in USER_HZ, 100 a second on Linux.
        Some((name, Duration::from_millis(ticks * 10)))
    }
    let (_, all) = read(std::path::Path::new("/proc/self/stat"))?;
    let clients = std::fs::read_dir("/proc/self/task")
        .ok()?
        .filter_map(|task| read(&task.ok()?.path().join("stat")))
        .filter(|(name, _)| name == CLIENT_THREAD)
        .map(|(_, time)| time)
        .sum();
    Some((all, clients))
}

pub async fn run(args: LoadArgs) -> Result<()> {
    if args.clients == 0 || args.participants == 0 || args.studies == 0 || args.seconds <= 0.0 {
        bail!("--clients, --participants, --studies and --seconds must be positive");
    }
    if args.studies > args.clients {
        bail!("--studies must not be more than --clients");
    }
    let (scratch, url, probe_url) = Scratch::create(&args).await?;
    let outcome = measure(&args, &url, &probe_url).await;
    scratch.remove().await;
    outcome
}

async fn measure(args: &LoadArgs, url: &str, probe_url: &str) -> Result<()> {
    let sql = Arc::new(
        store::open(url)
            .await
            .with_context(|| format!("opening {url}"))?,
    );
    let dialect = sql.dialect();
    let definitions: Vec<String> = (0..args.studies).map(definition).collect();
    let app = web::App::new(sql.clone(), &definitions, false)
        .await
        .map_err(anyhow::Error::msg)?;
    let user = app
        .store
        .create_user(
            &NewUser {
                username: "load".into(),
                full_name: "Load Test Coordinator".into(),
                password_hash: store::password::hash(PASSWORD),
                language: "en".into(),
            },
            &Actor::system(),
        )
        .await?;
    // The readers' data manager, who may read every site and the report.
    let reader = app
        .store
        .create_user(
            &NewUser {
                username: READER.into(),
                full_name: "Load Test Data Manager".into(),
                password_hash: store::password::hash(PASSWORD),
                language: "en".into(),
            },
            &Actor::system(),
        )
        .await?;
    // The clients of each study, and the forms of each client.
    let mut shares = Vec::new();
    for k in 0..args.studies {
        let id = study_id(k);
        let study = app.studies.get(&id).cloned().context("no study")?;
        app.store
            .assign_role(
                &RoleAssignment {
                    user_id: reader.id,
                    study_id: id.clone(),
                    role: Role::DataManager,
                    site_id: None,
                },
                &Actor::system(),
            )
            .await?;
        let clients = (k..args.clients).step_by(args.studies).count();
        let forms = seed(&app, &study, &user, clients * args.participants).await?;
        for (n, mine) in forms.chunks(args.participants * 6).enumerate() {
            shares.push((id.clone(), mine.to_vec(), (n * args.studies + k) as u64));
        }
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(web::serve(listener, app));

    // The clients run on threads of their own, so that the server's processor time is told
    // apart from theirs. Everyone signs in first (a password check each), so that all start
    // together.
    let load = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(CLIENT_THREAD)
        .enable_all()
        .build()?;
    let (signed_in, readers_signed_in) = {
        let (base, readers, studies) = (base.clone(), args.readers, args.studies);
        load.spawn(async move {
            let mut signed_in = Vec::new();
            for (study, mine, seed) in shares {
                signed_in.push(Client::sign_in(&base, &study, mine, seed).await?);
            }
            let mut readers_signed_in = Vec::new();
            for n in 0..readers {
                let study = study_id(n % studies);
                readers_signed_in
                    .push(reads::Reader::sign_in(&base, &study, READER, PASSWORD, n).await?);
            }
            anyhow::Ok((signed_in, readers_signed_in))
        })
        .await??
    };

    let warmup = Duration::from_secs(1);
    let measured = Duration::from_secs_f64(args.seconds);
    let start = Instant::now() + Duration::from_millis(200);
    let watched = sql.clone();
    let cpu = tokio::spawn(async move {
        tokio::time::sleep_until((start + warmup).into()).await;
        let (before, commits_before) = (cpu_time(), watched.group_commits());
        tokio::time::sleep(measured).await;
        let commits = watched
            .group_commits()
            .zip(commits_before)
            .map(|(after, before)| (after.0 - before.0, after.1 - before.1));
        (
            cpu_time()
                .zip(before)
                .map(|(after, before)| (after.0 - before.0, after.1 - before.1)),
            commits,
        )
    });
    let clients: Vec<_> = signed_in
        .into_iter()
        .map(|client| load.spawn(client.run(start, warmup, measured)))
        .collect();
    let readers: Vec<_> = readers_signed_in
        .into_iter()
        .map(|reader| load.spawn(reader.run(start, warmup, measured)))
        .collect();
    let mut figures = Figures {
        saves: 0,
        errors: 0,
        first_error: None,
        elapsed: measured,
        latencies: Vec::new(),
        cpu: None,
        group: None,
        reads: reads::ReadFigures::default(),
    };
    for client in clients {
        let (latencies, errors, first_error) = client.await?;
        figures.saves += latencies.len();
        figures.errors += errors;
        figures.first_error = figures.first_error.or(first_error);
        figures.latencies.extend(latencies);
    }
    for reader in readers {
        figures.reads.add(reader.await?);
    }
    (figures.cpu, figures.group) = cpu.await?;
    load.shutdown_background();
    server.abort();
    let audit = sql.verify_audit().await?;
    drop(sql);
    let audit_rows = match audit {
        store::AuditReport::Intact { rows, .. } => rows,
        tampered => bail!("the audit trail does not verify after the run: {tampered:?}"),
    };

    let commits = store::probe_commit_rate(probe_url, Duration::from_secs(3))
        .await
        .context("measuring the single-row commit rate")?;
    report(args, dialect, &figures, commits, audit_rows);
    if figures.errors > 0 {
        bail!(
            "{} saves failed; the first: {}",
            figures.errors,
            figures.first_error.unwrap_or_default()
        );
    }
    if figures.reads.errors > 0 {
        bail!(
            "{} reads failed; the first: {}",
            figures.reads.errors,
            figures.reads.first_error.unwrap_or_default()
        );
    }
    Ok(())
}

fn report(args: &LoadArgs, dialect: store::Dialect, f: &Figures, commits: f64, audit_rows: u64) {
    let mut latencies = f.latencies.clone();
    latencies.sort();
    let pct = |p: f64| percentile(&latencies, p);
    let rate = f.saves as f64 / f.elapsed.as_secs_f64();
    let database = match dialect {
        store::Dialect::Sqlite => "SQLite (WAL, synchronous=FULL)",
        store::Dialect::Postgres => "PostgreSQL",
    };
    let studies = match args.studies {
        1 => "one study".to_string(),
        n => format!("{n} studies"),
    };
    println!(
        "load test: {} clients saving ISNCSCI exams over HTTP for {} s, {studies}, {database}",
        args.clients, args.seconds
    );
    println!("saves: {} ({rate:.0}/s), {} failed", f.saves, f.errors);
    println!(
        "latency: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(1.0)
    );
    if let Some((all, clients)) = f.cpu {
        let per_save = |t: Duration| t.as_secs_f64() * 1e3 / f.saves.max(1) as f64;
        println!(
            "processor time: {:.2} ms per save (server and clients, {:.1} of {} cores busy): \
             server {:.2}, clients {:.2}",
            per_save(all),
            all.as_secs_f64() / f.elapsed.as_secs_f64(),
            std::thread::available_parallelism().map_or(1, |n| n.get()),
            per_save(all.saturating_sub(clients)),
            per_save(clients),
        );
    }
    if let Some((commits, writes)) = f.group {
        println!(
            "group commit: {writes} writes in {commits} transactions ({:.1} a commit)",
            writes as f64 / commits.max(1) as f64
        );
    }
    println!("single-row durable commits: {commits:.0}/s (same database, same run)");
    println!(
        "saves per single-row commit: {:.2}",
        if commits > 0.0 { rate / commits } else { 0.0 }
    );
    if args.readers > 0 {
        f.reads.print(args.readers, f.elapsed);
    }
    println!("audit trail: {audit_rows} rows, every chain verifies");
}

/// The latency below which a share `p` of the sorted `latencies` fall, in milliseconds (0 for
/// none).
fn percentile(latencies: &[Duration], p: f64) -> f64 {
    if latencies.is_empty() {
        return 0.0;
    }
    let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
    latencies[i].as_secs_f64() * 1e3
}

/// One form of one visit of one participant.
#[derive(Clone)]
struct FormSlot {
    participant: i64,
    visit: String,
    exam: Map<String, Value>,
    saved: bool,
}

/// The id of the load test's study `k`: the Phase II study's own, then copies.
fn study_id(k: usize) -> String {
    match k {
        0 => "XS228-P2".to_string(),
        k => format!("XS228-P2-{}", k + 1),
    }
}

/// The definition of the load test's study `k` (see [`study_id`]).
fn definition(k: usize) -> String {
    PHASE2.replacen("id = \"XS228-P2\"", &format!("id = \"{}\"", study_id(k)), 1)
}

/// Gives the coordinator a role in the study, seeds the participants (screened and enrolled),
/// and returns the ISNCSCI forms of their visits, client by client.
async fn seed(
    app: &web::App,
    study: &trial::Study,
    user: &store::User,
    participants: usize,
) -> Result<Vec<FormSlot>> {
    let store = &app.store;
    let system = Actor::system();
    let site = study.sites[0].id.as_str();
    store
        .assign_role(
            &RoleAssignment {
                user_id: user.id,
                study_id: study.id.clone(),
                role: Role::Crc,
                site_id: Some(site.to_string()),
            },
            &system,
        )
        .await?;
    let by = Actor::user(user);
    let scope = Scope::Study(study.id.clone());
    if study.randomisation.is_some() {
        // Enrolment waits for the list.
        let target = study.target_enrolment.max(1) as usize;
        let list = store::ListRequest::new(2000, target, 2 * target);
        store.generate_randomisation(study, &list, &system).await?;
    }
    // The screening visit's ISNCSCI form is the screening exam, saved at screening (whose
    // corrections also re-evaluate eligibility): the load is the follow-up visits' exams.
    let visits: Vec<String> = study
        .visits
        .iter()
        .filter(|v| !v.screening)
        .filter(|v| {
            v.forms.iter().any(|f| {
                study
                    .form(f)
                    .is_some_and(|f| f.kind == trial::FormKind::Isncsci)
            })
        })
        .map(|v| v.id.clone())
        .collect();
    let mut rng = Rng::new(2000);
    let today = time::OffsetDateTime::now_utc().date();
    let mut slots = Vec::new();
    for n in 0..participants {
        let exam = injury(&mut rng);
        let flat = flat(&exam);
        let screened_on = today - time::Duration::days(3);
        let input = ScreeningInput {
            site_id: site.to_string(),
            screening_number: format!("L{:04}", n + 1),
            sex: "male".into(),
            date_of_birth: store::date(screened_on - time::Duration::days(30 * 365)),
            injury_date: store::date(screened_on - time::Duration::days(20)),
            consent_date: store::date(screened_on),
            screening_date: store::date(screened_on),
            exam: flat.clone(),
        };
        let p = service::screen(app, &scope, &input, &by)
            .await
            .map_err(|e| anyhow::anyhow!("screening: {e}"))?;
        if !p.eligible {
            bail!("the load test's participant {} is not eligible", n + 1);
        }
        let enrolment = EnrolmentInput {
            subject_id: format!("LOAD-{:04}", n + 1),
            enrolled_on: store::date(today),
            anchor_date: Some(store::date(today + time::Duration::days(1))),
        };
        let p = service::enrol(app, &scope, p.id, &enrolment, &by)
            .await
            .map_err(|e| anyhow::anyhow!("enrolling: {e}"))?;
        for v in &visits {
            slots.push(FormSlot {
                participant: p.id,
                visit: v.clone(),
                exam: flat.clone(),
                saved: false,
            });
        }
    }
    if visits.len() != 6 {
        bail!(
            "the study has {} follow-up visits with an ISNCSCI form; the load test expects 6",
            visits.len()
        );
    }
    Ok(slots)
}

/// An eligible exam: cervical or thoracic, AIS A to C.
fn injury(rng: &mut Rng) -> Exam {
    let level = rng.pick(&[Level::C5, Level::C6, Level::C7, Level::T4, Level::T10]);
    let injury = Injury {
        level,
        zone: rng.below(2),
        below: Below::Absent,
    };
    Exam {
        right: injury.side(rng),
        left: injury.side(rng),
        anal_contraction: Anal::No,
        anal_sensation: Anal::No,
    }
}

fn flat(exam: &Exam) -> Map<String, Value> {
    isncsci::flat::fields(exam)
        .map(|(k, v)| (k, Value::String(v.to_string())))
        .collect()
}

/// A save's request body.
fn body(exam: &Map<String, Value>, reason: Option<&str>) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct Save<'a> {
        values: &'a Map<String, Value>,
        status: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<&'a str>,
    }
    serde_json::to_vec(&Save {
        values: exam,
        status: "complete",
        reason,
    })
    .unwrap_or_default()
}

struct Client {
    http: reqwest::Client,
    url: String,
    csrf: String,
    forms: Vec<FormSlot>,
    rng: Rng,
}

impl Client {
    async fn sign_in(base: &str, study: &str, forms: Vec<FormSlot>, seed: u64) -> Result<Client> {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .pool_max_idle_per_host(1)
            .build()?;
        let me: Value = http
            .post(format!("{base}/api/login"))
            .json(&json!({ "username": "load", "password": PASSWORD }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let csrf = me["csrf_token"]
            .as_str()
            .context("no csrf_token in the login answer")?
            .to_string();
        Ok(Client {
            http,
            url: format!("{base}/api/studies/{study}/participants"),
            csrf,
            forms,
            rng: Rng::new(seed),
        })
    }

    /// Saves until the end of the measured time; returns the latencies of the saves acknowledged
    /// after the warm-up, and the failures.
    async fn run(
        mut self,
        start: Instant,
        warmup: Duration,
        measured: Duration,
    ) -> (Vec<Duration>, usize, Option<String>) {
        tokio::time::sleep_until(start.into()).await;
        let (from, until) = (start + warmup, start + warmup + measured);
        let mut latencies = Vec::new();
        let (mut errors, mut first_error) = (0, None);
        let mut next = 0;
        loop {
            let began = Instant::now();
            if began >= until {
                break;
            }
            let i = next % self.forms.len();
            next += 1;
            let body = self.next_body(i);
            let slot = &self.forms[i];
            let answer = self
                .http
                .post(format!(
                    "{}/{}/visits/{}/forms/isncsci",
                    self.url, slot.participant, slot.visit
                ))
                .header("x-csrf-token", &self.csrf)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await;
            let done = Instant::now();
            let failure = match answer {
                Ok(r) if r.status().is_success() => {
                    // Read the answer whole, as a client would.
                    r.bytes().await.err().map(|e| e.to_string())
                }
                Ok(r) => Some(format!(
                    "{} {}",
                    r.status(),
                    r.text().await.unwrap_or_default()
                )),
                Err(e) => Some(e.to_string()),
            };
            match failure {
                None => {
                    self.forms[i].saved = true;
                    if began >= from && done <= until {
                        latencies.push(done - began);
                    }
                }
                Some(e) => {
                    errors += 1;
                    first_error.get_or_insert(e);
                }
            }
        }
        (latencies, errors, first_error)
    }

    /// The next save of form `i`: the exam as first entered, or a correction of one to three
    /// values with its reason.
    fn next_body(&mut self, i: usize) -> Vec<u8> {
        let rng = &mut self.rng;
        let slot = &mut self.forms[i];
        if !slot.saved {
            return body(&slot.exam, None);
        }
        // Motor (0-5) and sensory (0-2) values, each changed to another grade.
        let keys: Vec<(String, usize)> = slot
            .exam
            .keys()
            .filter_map(|k| {
                if k.ends_with("Motor") {
                    Some((k.clone(), 6))
                } else if k.ends_with("LightTouch") || k.ends_with("PinPrick") {
                    Some((k.clone(), 3))
                } else {
                    None
                }
            })
            .collect();
        let first = rng.below(keys.len());
        for step in 0..1 + rng.below(3) {
            let (key, grades) = &keys[(first + step * 7) % keys.len()];
            let old = slot.exam[key]
                .as_str()
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            let new = (old + 1 + rng.below(grades - 1)) % grades;
            slot.exam
                .insert(key.clone(), Value::String(new.to_string()));
        }
        body(
            &slot.exam,
            Some("transcription error corrected from the source worksheet"),
        )
    }
}

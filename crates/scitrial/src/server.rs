//! `scitrial serve`, `demo`, `audit` and `users`: the platform's server and its tools.

use std::io::Write;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use store::Store;

use crate::checkpoint::{self, CheckpointArgs, Schedule};

/// The XS228 Phase II study definition, built into the binary for the demo.
const PHASE2: &str = include_str!("../../../studies/xs228-phase2.toml");
/// The XS228 Phase I study definition (dose escalation), built in for the demo too.
const PHASE1: &str = include_str!("../../../studies/xs228-phase1.toml");

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// `sqlite:PATH` (created if missing) or `postgres://USER@HOST/DB`.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: String,
    /// A study definition (TOML); may be given several times.
    #[arg(long = "study", required = true)]
    pub studies: Vec<PathBuf>,
    /// Mark the session cookie Secure (when a TLS proxy stands in front).
    #[arg(long)]
    pub secure_cookies: bool,
    /// Take a request's client address (for the limits on failed logins) from the last address
    /// of its `X-Forwarded-For` header: only when a proxy that sets it stands in front.
    #[arg(long)]
    pub trust_proxy: bool,
    /// The address people open the server at (`https://trial.example.org`), which links in
    /// e-mail (password resets) start with.
    #[arg(long, env = "SCITRIAL_PUBLIC_URL")]
    pub public_url: Option<String>,
    #[command(flatten)]
    pub checkpoints: CheckpointArgs,
    #[command(flatten)]
    pub mail: MailArgs,
}

/// Where the outbox is sent; without `--smtp-url` nothing is sent (the outbox only fills).
#[derive(clap::Args, Debug)]
pub struct MailArgs {
    /// The SMTP relay the outbox is sent through: `smtp://HOST:PORT?tls=required` (STARTTLS),
    /// `smtps://HOST:PORT` (TLS), or `smtp://HOST:PORT` (no TLS: a relay on this host only).
    #[arg(long, env = "SCITRIAL_SMTP_URL", requires = "mail_from")]
    pub smtp_url: Option<String>,
    /// The relay's user name, when it asks for one.
    #[arg(long, env = "SCITRIAL_SMTP_USER", requires = "smtp_url")]
    pub smtp_user: Option<String>,
    /// Its password (better given by the environment than on the command line).
    #[arg(
        long,
        env = "SCITRIAL_SMTP_PASSWORD",
        requires = "smtp_user",
        hide_env_values = true
    )]
    pub smtp_password: Option<String>,
    /// The sender of every message: `trial@sponsor.example` or `Name <trial@sponsor.example>`.
    #[arg(long, env = "SCITRIAL_MAIL_FROM")]
    pub mail_from: Option<String>,
}

impl MailArgs {
    /// The mailer these arguments configure, if any.
    fn mailer(&self) -> Result<Option<web::mail::Mailer>> {
        let (Some(url), Some(from)) = (&self.smtp_url, &self.mail_from) else {
            return Ok(None);
        };
        let mut config = web::mail::MailConfig::new(url, from);
        config.username = self.smtp_user.clone();
        config.password = self.smtp_password.clone();
        Ok(Some(web::mail::Mailer::new(config)?))
    }
}

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Where the demo's database lives.
    #[arg(long, default_value = "data")]
    pub data_dir: PathBuf,
    #[command(flatten)]
    pub checkpoints: CheckpointArgs,
    /// Seed and serve this database instead (`sqlite:FILE` or `postgres://…`; an empty one).
    #[arg(long)]
    pub database_url: Option<String>,
    #[command(flatten)]
    pub mail: MailArgs,
}

#[derive(clap::Subcommand, Debug)]
pub enum AuditCommand {
    /// Walks every hash chain: exit 0 with the count of rows when intact, exit 1 naming the first
    /// row that does not verify. With `--checkpoints DIR --public-key FILE`, also checks every
    /// signed checkpoint in DIR and fails, naming the chain and the checkpoint, when a chain is
    /// shorter than signed, differs from it, or is missing.
    Verify {
        /// The database.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        /// The directory of signed checkpoints (`checkpoint-*.json`).
        #[arg(long, requires = "public_key")]
        checkpoints: Option<PathBuf>,
        /// The public key the checkpoints were signed with (`FILE.pub` of `audit keygen`).
        #[arg(long, requires = "checkpoints")]
        public_key: Option<PathBuf>,
    },
    /// Signs a checkpoint of every chain (its rows and head hash) and writes it to a new file
    /// in the output directory; refuses (exit 1) when the trail does not verify.
    Checkpoint {
        /// The database.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        /// The secret key (from `audit keygen`).
        #[arg(long)]
        key: PathBuf,
        /// The directory of checkpoints (created if missing).
        #[arg(long)]
        output: PathBuf,
        /// Also queue the checkpoint as an e-mail to this address (the sponsor's QA mailbox).
        #[arg(long)]
        mail: Option<String>,
    },
    /// Makes an Ed25519 key pair for signing checkpoints: the secret key in FILE (mode 0600),
    /// the public key in FILE.pub. Refuses to overwrite either.
    Keygen {
        /// The secret key's file.
        #[arg(long)]
        output: PathBuf,
    },
    /// Writes the audit trail as CSV to standard output, streamed: every chain but the
    /// unblinded ones (`<study>/unblinded`, whose rows name arms, seeds and kits) unless asked.
    Export {
        /// The database.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        /// Also the unblinded chains: for an unblinded reader only (the export is audited as
        /// such).
        #[arg(long)]
        include_unblinded: bool,
    },
}

#[derive(clap::Subcommand, Debug)]
pub enum UsersCommand {
    /// Creates an account (the password is read from standard input) and gives it a role.
    Add {
        /// The database.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        /// The study definition the role belongs to.
        #[arg(long)]
        study: PathBuf,
        /// Login name.
        #[arg(long)]
        username: String,
        /// Printed name.
        #[arg(long)]
        full_name: String,
        /// Role: sponsor_admin, investigator, crc, monitor, data_manager, unblinded_pharmacist,
        /// dsmb_statistician, auditor.
        #[arg(long)]
        role: String,
        /// Site, for site roles.
        #[arg(long)]
        site: Option<String>,
        /// The account's e-mail address, where its notices are sent.
        #[arg(long)]
        email: Option<String>,
    },
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")
}

/// Runs a command's future, mapping errors to exit status 2.
pub fn run(work: impl std::future::Future<Output = Result<()>>) -> ExitCode {
    match runtime().and_then(|rt| rt.block_on(work)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scitrial: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn open(url: &str) -> Result<Arc<Store>> {
    Ok(Arc::new(
        store::open(url)
            .await
            .with_context(|| format!("opening {url}"))?,
    ))
}

/// Opens a database that must exist already (the operator's commands that read a trail): a
/// mistyped SQLite path is an error, not a new empty database.
pub(crate) async fn open_existing(url: &str) -> Result<Arc<Store>> {
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let path = rest.split('?').next().unwrap_or(rest);
        let path = path.strip_prefix("//").unwrap_or(path);
        if !path.is_empty() && path != ":memory:" && !std::path::Path::new(path).exists() {
            bail!("there is no database at {path} ({url}); serve or demo makes a new one");
        }
    }
    open(url).await
}

/// A study's definition as stored in the database (the operator's commands that read a study).
pub(crate) async fn stored_study(store: &Store, study: &str) -> Result<trial::Study> {
    let Some(record) = store.studies().await?.into_iter().find(|s| s.id == study) else {
        bail!("there is no study {study:?} in this database");
    };
    trial::Study::from_toml(&record.definition)
        .with_context(|| format!("the stored definition of {study} is not valid"))
}

fn read(path: &PathBuf) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

pub async fn serve(args: ServeArgs) -> Result<()> {
    let definitions = args.studies.iter().map(read).collect::<Result<Vec<_>>>()?;
    let store = open(&args.database_url).await?;
    let mut app = web::App::new(store.clone(), &definitions, args.secure_cookies)
        .await
        .map_err(anyhow::Error::msg)?;
    app.trust_proxy = args.trust_proxy;
    app.public_url = args.public_url;
    let mailer = args.mail.mailer()?;
    let schedule = Schedule::start(store, &args.checkpoints).await?;
    let listener = tokio::net::TcpListener::bind(&args.bind)
        .await
        .with_context(|| format!("listening on {}", args.bind))?;
    let shutdown = shutdown_signal()?;
    println!(
        "scitrial: serving {} on http://{}",
        app.studies.keys().cloned().collect::<Vec<_>>().join(", "),
        listener.local_addr()?
    );
    serve_with(listener, app, schedule, mailer, shutdown).await
}

/// Serves until SIGINT or SIGTERM, writing checkpoints meanwhile when there is a schedule,
/// and a last one once the requests under way are answered; with a mailer, the outbox is sent
/// meanwhile.
async fn serve_with(
    listener: tokio::net::TcpListener,
    app: web::App,
    schedule: Option<Schedule>,
    mailer: Option<web::mail::Mailer>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let sending = mailer.map(|m| tokio::spawn(m.run(app.store.clone())));
    let _stop = AbortOnDrop(sending);
    let serving = web::serve_until(listener, app, shutdown);
    match &schedule {
        Some(schedule) => {
            tokio::select! {
                served = serving => served?,
                () = schedule.run() => {}
            }
            schedule.last().await?;
        }
        None => serving.await?,
    }
    Ok(())
}

/// Stops the outbox's sender when serving ends.
struct AbortOnDrop(Option<tokio::task::JoinHandle<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(task) = &self.0 {
            task.abort();
        }
    }
}

/// SIGINT (Ctrl-C) or, on Unix, SIGTERM. The handlers are installed here, before the server
/// says it is serving, so a signal sent from then on stops it gracefully.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{signal, SignalKind};
        let mut interrupt = signal(SignalKind::interrupt()).context("SIGINT handler")?;
        let mut terminate = signal(SignalKind::terminate()).context("SIGTERM handler")?;
        async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        }
    };
    #[cfg(not(unix))]
    let signals = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    Ok(async move {
        signals.await;
        tracing::info!("shutting down");
    })
}

pub async fn demo(args: DemoArgs) -> Result<()> {
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("creating {}", args.data_dir.display()))?;
    let path = args.data_dir.join("scitrial.db");
    let url = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite:{}", path.display()));
    let store = open(&url).await?;
    let app = web::App::new(
        store.clone(),
        &[PHASE2.to_string(), PHASE1.to_string()],
        false,
    )
    .await
    .map_err(anyhow::Error::msg)?;
    let study = "XS228-P2".to_string();
    let today = time::OffsetDateTime::now_utc().date();
    let accounts = web::demo::seed(&app, &study, today)
        .await
        .map_err(anyhow::Error::msg)?;
    web::demo::seed_escalation(&app, "XS228-P1", &accounts, today)
        .await
        .map_err(anyhow::Error::msg)?;
    let mailer = args.mail.mailer()?;
    let schedule = Schedule::start(store, &args.checkpoints).await?;
    let listener = tokio::net::TcpListener::bind(&args.bind)
        .await
        .with_context(|| format!("listening on {}", args.bind))?;
    let shutdown = shutdown_signal()?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "scitrial demo: studies {study} (randomised) and XS228-P1 (dose escalation), data in {}",
        match args.database_url {
            Some(_) => "the database given".to_string(),
            None => path.display().to_string(),
        }
    )?;
    writeln!(out, "url: http://{}", listener.local_addr()?)?;
    for a in &accounts {
        writeln!(
            out,
            "login: {} {} {} {}",
            a.username,
            a.password,
            a.role,
            a.site.as_deref().unwrap_or("-")
        )?;
    }
    out.flush()?;
    drop(out);
    serve_with(listener, app, schedule, mailer, shutdown).await
}

/// How much of the audit export is written at a time.
const CHUNK: usize = 64 << 10;

/// The audit export as it is written: the rows not yet written, and the first failure.
struct Csv {
    chunk: Vec<u8>,
    failed: Option<std::io::Error>,
    include_unblinded: bool,
}

impl Csv {
    fn row(&mut self, row: store::AuditRowRef<'_>) -> ControlFlow<()> {
        if self.include_unblinded || !store::is_unblinded_chain(row.chain) {
            row.write_csv(&mut self.chunk);
            if self.chunk.len() >= CHUNK {
                if let Err(e) = std::io::stdout().lock().write_all(&self.chunk) {
                    self.failed = Some(e);
                    return ControlFlow::Break(());
                }
                self.chunk.clear();
            }
        }
        ControlFlow::Continue(())
    }
}

pub fn run_audit(cmd: AuditCommand) -> ExitCode {
    let outcome = runtime().and_then(|rt| rt.block_on(audit(cmd)));
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("scitrial audit: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn audit(cmd: AuditCommand) -> Result<ExitCode> {
    match cmd {
        AuditCommand::Verify {
            database_url,
            checkpoints,
            public_key,
        } => {
            let store = open_existing(&database_url).await?;
            let ok = match (checkpoints, public_key) {
                (Some(dir), Some(key)) => checkpoint::verify(&store, &dir, &key).await?,
                _ => {
                    let ok = checkpoint::print_report(&store.verify_audit().await?);
                    println!(
                        "not covered without signed checkpoints (--checkpoints DIR --public-key \
                         FILE): rows cut off a chain's end with its head rewritten, a chain \
                         deleted with its head, a row rewritten with every later hash recomputed"
                    );
                    ok
                }
            };
            Ok(ExitCode::from(if ok { 0 } else { 1 }))
        }
        AuditCommand::Checkpoint {
            database_url,
            key,
            output,
            mail,
        } => {
            let key = checkpoint::read_secret(&key)?;
            let store = open_existing(&database_url).await?;
            match checkpoint::write(&store, &key, &output, mail.as_deref()).await? {
                checkpoint::Written::File(path, chains) => {
                    println!(
                        "checkpoint of {chains} chains signed with key {}: {}",
                        key.public().key_id(),
                        path.display()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                checkpoint::Written::Refused(report) => {
                    checkpoint::print_report(&report);
                    println!("no checkpoint signed: the trail does not verify");
                    Ok(ExitCode::from(1))
                }
            }
        }
        AuditCommand::Keygen { output } => {
            checkpoint::keygen(&output)?;
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Export {
            database_url,
            include_unblinded,
        } => {
            let store = open_existing(&database_url).await?;
            let what = if include_unblinded {
                "audit-trail with unblinded chains"
            } else {
                "audit-trail"
            };
            store
                .record_export("system", what, &store::Actor::system())
                .await?;
            // Streamed: the rows are written as they are read, 64 KiB at a time (on the
            // reader's thread: `audit_each`).
            let mut csv = Csv {
                chunk: Vec::with_capacity(CHUNK + 1024),
                failed: None,
                include_unblinded,
            };
            csv.chunk
                .extend_from_slice(store::AuditRow::CSV_HEADER.as_bytes());
            let csv = store.audit_each(csv, Csv::row).await?;
            if let Some(e) = csv.failed {
                return Err(e).context("writing the export");
            }
            let mut out = std::io::stdout().lock();
            out.write_all(&csv.chunk)?;
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub async fn users(cmd: UsersCommand) -> Result<()> {
    let UsersCommand::Add {
        database_url,
        study,
        username,
        full_name,
        role,
        site,
        email,
    } = cmd;
    let store = open(&database_url).await?;
    let app = web::App::new(store.clone(), &[read(&study)?], false)
        .await
        .map_err(anyhow::Error::msg)?;
    let study = app.studies.values().next().context("no study")?;
    let Some(role) = trial::Role::parse(&role) else {
        bail!(
            "--role {role:?} is not a role (roles: {})",
            trial::Role::ALL.map(|r| r.as_str()).join(", ")
        );
    };
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .context("reading the password from standard input")?;
    let password = password.trim_end_matches(['\n', '\r']);
    web::api::check_new_user(&username, &full_name, password, "en")
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(email) = &email {
        if !trial::mail::is_address(email.trim()) {
            bail!("--email {email:?} is not an e-mail address (allowed: local@domain)");
        }
    }
    let user = store
        .create_user(
            &store::NewUser {
                username,
                full_name,
                password_hash: store::password::hash(password),
                language: "en".into(),
            },
            &store::Actor::system(),
        )
        .await?;
    let assignment = store::RoleAssignment {
        user_id: user.id,
        study_id: study.id.clone(),
        role,
        site_id: site,
    };
    store
        .assign_role(&assignment, &store::Actor::system())
        .await?;
    if let Some(email) = &email {
        store
            .set_user_email(user.id, email, &store::Actor::system())
            .await?;
    }
    println!(
        "user {} created with role {role} in {}",
        user.username, study.id
    );
    Ok(())
}

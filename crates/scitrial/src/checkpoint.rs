//! Signed audit checkpoints as files: `audit keygen`, `audit checkpoint`, the server's
//! checkpoints (at start, every interval, at shutdown), and `audit verify --checkpoints`.
//!
//! What a checkpoint is and how it is signed and compared is `trial::audit`'s; reading the
//! chains is the store's (`Store::audit_walk`). This module reads and writes the files.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use rand::RngCore;
use sha2::{Digest, Sha256};
use store::{AuditReport, Store};
use trial::audit::{self, Checkpoint, PublicKey, SecretKey};

/// The server's checkpoint options (`serve` and `demo`).
#[derive(clap::Args, Debug, Clone)]
pub struct CheckpointArgs {
    /// Sign audit checkpoints with this key (from `scitrial audit keygen`): one at start, one
    /// every `--checkpoint-minutes`, one at shutdown.
    #[arg(long, requires = "checkpoint_dir")]
    pub checkpoint_key: Option<PathBuf>,
    /// Where the checkpoints are written: storage apart from the database's.
    #[arg(long, requires = "checkpoint_key")]
    pub checkpoint_dir: Option<PathBuf>,
    /// Minutes between checkpoints.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub checkpoint_minutes: u64,
    /// Also queue each checkpoint as an e-mail to this address (the sponsor's QA mailbox).
    #[arg(long, requires = "checkpoint_key")]
    pub checkpoint_mail: Option<String>,
}

/// `scitrial audit keygen --output FILE`: a new Ed25519 key pair from the operating system's
/// randomness; the secret key in FILE (mode 0600), the public key in FILE.pub. Neither file
/// may exist already.
pub fn keygen(output: &Path) -> Result<()> {
    let public_path = public_path(output);
    for path in [output, public_path.as_path()] {
        if path.exists() {
            bail!("{} exists already: not overwritten", path.display());
        }
    }
    let mut seed = [0u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut seed)
        .context("taking random bytes from the operating system")?;
    let key = SecretKey::from_seed(seed);
    seed.fill(0);
    write_new(output, key.to_text().as_bytes(), 0o600)?;
    write_new(&public_path, key.public().to_text().as_bytes(), 0o644)?;
    println!(
        "key {}: secret key in {} (keep it off the database's host, readable only by the \
         service), public key in {}",
        key.public().key_id(),
        output.display(),
        public_path.display()
    );
    Ok(())
}

fn public_path(secret: &Path) -> PathBuf {
    let mut name = secret.as_os_str().to_owned();
    name.push(".pub");
    PathBuf::from(name)
}

/// Writes a file that must not exist yet, with the given mode, and syncs it.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}

/// Reads a secret key file.
pub fn read_secret(path: &Path) -> Result<SecretKey> {
    let text = read_text(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(
                key = %path.display(),
                mode = format!("{:o}", mode & 0o777),
                "the checkpoint key is readable by others than its owner"
            );
        }
    }
    SecretKey::parse(&text).with_context(|| path.display().to_string())
}

/// Reads a public key file.
pub fn read_public(path: &Path) -> Result<PublicKey> {
    PublicKey::parse(&read_text(path)?).with_context(|| path.display().to_string())
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// What writing a checkpoint came to.
pub enum Written {
    /// The file written, with the number of chains signed.
    File(PathBuf, usize),
    /// Not signed: the trail does not verify (the report says where).
    Refused(AuditReport),
}

/// Signs the chains as they are now and writes the checkpoint to `dir` (atomically: a
/// temporary file, synced, renamed, and the directory synced), then records it on the
/// `system` chain and queues it to `mail` through the outbox. A trail that does not verify is
/// not signed.
///
/// The heads are read in one snapshot together with the walk that verifies the rows up to
/// them, so the checkpoint signs a consistent state; the record of the checkpoint is written
/// after the file (a later checkpoint covers it).
pub async fn write(
    store: &Store,
    key: &SecretKey,
    dir: &Path,
    mail: Option<&str>,
) -> Result<Written> {
    let walk = store.audit_walk(&Default::default()).await?;
    if !matches!(walk.report, AuditReport::Intact { .. }) {
        return Ok(Written::Refused(walk.report));
    }
    let (body, text) = audit::sign(key, &store::now(), &walk.heads);
    let path = write_atomically(dir, &body, &text)?;
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    store
        .record_checkpoint(&store::CheckpointRecord {
            file,
            key_id: body.key_id.clone(),
            chains: body.chains.len(),
            sha256: hex::encode(Sha256::digest(text.as_bytes())),
            text,
            mail_to: mail.map(String::from),
        })
        .await?;
    Ok(Written::File(path, body.chains.len()))
}

/// `checkpoint-<UTC time to the second>-<n>.json`, the first `n` free.
fn write_atomically(dir: &Path, body: &Checkpoint, text: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let stamp: String = body
        .signed_at
        .split('.')
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let temp = dir.join(format!(".checkpoint-{stamp}-{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&temp);
    write_new(&temp, text.as_bytes(), 0o644)?;
    let path = (1u32..)
        .map(|n| dir.join(format!("checkpoint-{stamp}Z-{n}.json")))
        .find(|p| !p.exists())
        .context("no free checkpoint name")?;
    std::fs::rename(&temp, &path)
        .with_context(|| format!("renaming {} to {}", temp.display(), path.display()))?;
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("syncing {}", dir.display()))?;
    Ok(path)
}

/// The checkpoint files of a directory, by name (oldest first).
fn checkpoint_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with("checkpoint-") && name.ends_with(".json") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// `audit verify --checkpoints DIR --public-key FILE`: every checkpoint's signature, then the
/// trail against each. Prints what it finds; true when the trail is intact and holds every
/// signed row.
pub async fn verify(store: &Store, dir: &Path, public: &Path) -> Result<bool> {
    let key = read_public(public)?;
    let mut ok = true;
    let mut checkpoints = Vec::new();
    for path in checkpoint_files(dir)? {
        let name = path.display().to_string();
        match audit::open(&read_text(&path)?, &key) {
            Ok(c) => checkpoints.push((name, c)),
            Err(e) => {
                println!("checkpoint {name}: REFUSED: {e}");
                ok = false;
            }
        }
    }
    if checkpoints.is_empty() && ok {
        println!(
            "no checkpoint files (checkpoint-*.json) in {}",
            dir.display()
        );
        return Ok(false);
    }
    let walk = store
        .audit_walk(&audit::positions(checkpoints.iter().map(|(_, c)| c)))
        .await?;
    let findings: Vec<String> = checkpoints
        .iter()
        .flat_map(|(name, checkpoint)| {
            audit::compare(checkpoint, &walk.chains)
                .into_iter()
                .map(move |finding| {
                    format!(
                        "audit trail TAMPERED: checkpoint {name} (signed at {}): {finding}",
                        checkpoint.signed_at
                    )
                })
        })
        .collect();
    match &walk.report {
        // The chains hold together, but not with what was signed: say so, not "intact".
        AuditReport::Intact { rows, chains } if !findings.is_empty() => println!(
            "the hash chains verify on their own ({rows} rows in {chains} chains), \
             but not against the signed checkpoints:"
        ),
        report => ok &= print_report(report),
    }
    for finding in &findings {
        println!("{finding}");
    }
    ok &= findings.is_empty();
    if let (true, Some((name, last))) = (ok, checkpoints.last()) {
        println!(
            "matches {} signed checkpoints of key {} (the latest {name}, signed at {})",
            checkpoints.len(),
            key.key_id(),
            last.signed_at
        );
    }
    Ok(ok)
}

/// Prints the hash chains' verdict; true when intact.
pub fn print_report(report: &AuditReport) -> bool {
    match report {
        AuditReport::Intact { rows, chains } => {
            println!("audit trail intact: {rows} rows in {chains} chains");
            true
        }
        AuditReport::Tampered {
            chain,
            id,
            seq,
            problem,
        } => {
            let what = match problem {
                store::AuditProblem::Changed => "its content does not match its hash (changed)",
                store::AuditProblem::Broken => {
                    "it does not follow the previous row (a row was deleted, inserted or moved)"
                }
                store::AuditProblem::Truncated => {
                    "the chain ends before its recorded head (rows removed from the end)"
                }
            };
            println!("audit trail TAMPERED: chain {chain}, row id {id}, position {seq}: {what}");
            false
        }
    }
}

/// The server's checkpoints: the key and directory checked, one written now; then
/// [`Schedule::run`] writes one every interval and [`Schedule::last`] one at shutdown.
pub struct Schedule {
    store: Arc<Store>,
    key: SecretKey,
    dir: PathBuf,
    mail: Option<String>,
    every: Duration,
}

impl Schedule {
    /// From the server's options; `None` when no key was given. The first checkpoint is written
    /// here, and any error in doing so (a bad key, a directory that cannot be written) stops
    /// the server from starting.
    pub async fn start(store: Arc<Store>, args: &CheckpointArgs) -> Result<Option<Schedule>> {
        let (Some(key), Some(dir)) = (&args.checkpoint_key, &args.checkpoint_dir) else {
            return Ok(None);
        };
        let schedule = Schedule {
            store,
            key: read_secret(key)?,
            dir: dir.clone(),
            mail: args.checkpoint_mail.clone(),
            every: Duration::from_secs(args.checkpoint_minutes.saturating_mul(60)),
        };
        schedule.once("start").await?;
        Ok(Some(schedule))
    }

    async fn once(&self, when: &'static str) -> Result<()> {
        match write(&self.store, &self.key, &self.dir, self.mail.as_deref()).await? {
            Written::File(path, chains) => {
                tracing::info!(when, file = %path.display(), chains, "audit checkpoint signed");
            }
            Written::Refused(report) => {
                tracing::error!(
                    when,
                    report = ?report,
                    "the audit trail does not verify: no checkpoint signed (run scitrial audit \
                     verify)"
                );
            }
        }
        Ok(())
    }

    /// Writes a checkpoint every interval, for ever (failures are logged).
    pub async fn run(&self) {
        let mut ticks = tokio::time::interval(self.every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            if let Err(e) = self.once("interval").await {
                tracing::error!(error = format!("{e:#}"), "audit checkpoint failed");
            }
        }
    }

    /// The checkpoint at shutdown.
    pub async fn last(&self) -> Result<()> {
        self.once("shutdown").await
    }
}

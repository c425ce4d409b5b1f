//! The failover drill: a PostgreSQL primary and a synchronous standby on this machine, the
//! server given both hosts (`target_session_attrs=read-write`), clients screening participants
//! through it; the primary is stopped hard in the middle of the load and the standby promoted.
//! The server finds the new primary by itself, the load goes on, every write a client saw
//! acknowledged is on the new primary, and `audit verify` passes there.
//!
//! It needs PostgreSQL's server programs (`initdb`, `pg_ctl`, `pg_basebackup`: Debian's
//! `postgresql` package, or `SCITRIAL_PG_BIN`); without them it is skipped, or fails when
//! `SCITRIAL_REQUIRE_POSTGRES` is set. Run as root, it runs them as the `postgres` user.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::{Connection, PgConnection};

use crate::common::{self, login, serve};

const PASSWORD: &str = "failover password";

/// The folder of PostgreSQL's server programs: `SCITRIAL_PG_BIN`, else the newest
/// `/usr/lib/postgresql/*/bin` that has them.
fn pg_bin() -> Option<PathBuf> {
    let has_all = |dir: &Path| {
        ["initdb", "pg_ctl", "pg_basebackup"]
            .iter()
            .all(|p| dir.join(p).is_file())
    };
    if let Some(dir) = std::env::var_os("SCITRIAL_PG_BIN").map(PathBuf::from) {
        return has_all(&dir).then_some(dir);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, dir)| has_all(dir))
        .collect();
    found.sort();
    found.pop().map(|(_, dir)| dir)
}

/// Two clusters in a folder of their own, stopped and removed when dropped.
struct Clusters {
    bin: PathBuf,
    dir: PathBuf,
    /// Run the programs as `postgres` (initdb refuses root).
    as_postgres: bool,
    primary_port: u16,
    standby_port: u16,
}

impl Clusters {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// A PostgreSQL program, run as `postgres` when we are root.
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(path);
            cmd
        } else {
            Command::new(path)
        }
    }

    /// Runs a PostgreSQL program with `args`; panics with its output when it fails.
    fn run(&self, program: &str, args: &[&str]) {
        let out = self
            .command(program)
            .args(args)
            .current_dir(&self.dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Appends settings to a cluster's `postgresql.auto.conf` (read last, so they win).
    fn configure(&self, cluster: &str, lines: &str) {
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(self.path(cluster).join("postgresql.auto.conf"))
            .unwrap();
        file.write_all(lines.as_bytes()).unwrap();
    }

    fn pg_ctl(&self, cluster: &str, args: &[&str]) {
        let data = self.path(cluster);
        let log = self.path(&format!("{cluster}.log"));
        let mut all = vec!["-D", data.to_str().unwrap(), "-l", log.to_str().unwrap()];
        all.extend_from_slice(args);
        self.run("pg_ctl", &all);
    }

    /// Sets up the primary and its synchronous standby, both running.
    fn start(bin: PathBuf) -> Clusters {
        let as_postgres = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
        let dir = std::env::temp_dir().join(store::testing::unique("scitrial_failover"));
        std::fs::create_dir_all(&dir).unwrap();
        let clusters = Clusters {
            bin,
            dir,
            as_postgres,
            primary_port: free_port(),
            standby_port: free_port(),
        };
        if as_postgres {
            let owned = Command::new("chown")
                .arg("postgres:postgres")
                .arg(&clusters.dir)
                .status()
                .unwrap();
            assert!(owned.success(), "chown postgres {}", clusters.dir.display());
        }
        let primary = clusters.path("primary");
        clusters.run(
            "initdb",
            &[
                "-D",
                primary.to_str().unwrap(),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        let sockets = clusters.dir.to_str().unwrap();
        clusters.configure(
            "primary",
            &format!(
                "port = {}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{sockets}'\n\
                 wal_level = replica\nmax_wal_senders = 4\nsynchronous_commit = on\n\
                 synchronous_standby_names = 'standby1'\n",
                clusters.primary_port
            ),
        );
        clusters.pg_ctl("primary", &["-w", "start"]);
        let standby = clusters.path("standby");
        let port = clusters.primary_port.to_string();
        clusters.run(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-D",
                standby.to_str().unwrap(),
                "-X",
                "stream",
                "--checkpoint=fast",
            ],
        );
        std::fs::write(standby.join("standby.signal"), "").unwrap();
        // The copy has the primary's settings: once promoted it has no standby of its own to
        // wait for, so it names none (else every commit would wait for `standby1`).
        clusters.configure(
            "standby",
            &format!(
                "port = {}\nprimary_conninfo = 'host=127.0.0.1 port={} user=postgres \
                 application_name=standby1'\nsynchronous_standby_names = ''\n",
                clusters.standby_port, clusters.primary_port
            ),
        );
        clusters.pg_ctl("standby", &["-w", "start"]);
        clusters
    }

    fn url(&self, port: u16, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{port}/{db}")
    }
}

impl Drop for Clusters {
    fn drop(&mut self) {
        for cluster in ["primary", "standby"] {
            let data = self.path(cluster);
            if data.join("postmaster.pid").exists() {
                let _ = self
                    .command("pg_ctl")
                    .arg("-D")
                    .arg(&data)
                    .args(["-m", "immediate", "stop"])
                    .output();
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The server, killed if the drill fails half-way.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// What the clients saw: each write acknowledged, with when its last try was sent and when it
/// was acknowledged.
#[derive(Default)]
struct Seen {
    acknowledged: Vec<(String, Instant, Instant)>,
    /// Answers that said the write was not done (503, or no answer), retried after.
    failed: usize,
}

/// A client: screens participants `F{w}-{n}` until told to stop, sending a write again until
/// it is acknowledged (201), or found already done by an earlier try that got no answer (409).
async fn client(w: usize, base: String, seen: Arc<Mutex<Seen>>, stop: Arc<AtomicBool>) {
    let exam = crate::durability::exam();
    let (http, csrf) = login(&base, "crc-failover", PASSWORD).await;
    for n in 0.. {
        let number = format!("F{w}-{n}");
        let mut tries = 0;
        loop {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            tries += 1;
            let tried = Instant::now();
            let sent = common::screen(&http, &base, &csrf, &number, &exam).await;
            let status = sent.as_ref().map(|r| r.status());
            match status {
                Ok(reqwest::StatusCode::CREATED) => {}
                Ok(reqwest::StatusCode::CONFLICT) if tries > 1 => {}
                Ok(reqwest::StatusCode::SERVICE_UNAVAILABLE) | Err(_) => {
                    seen.lock().unwrap().failed += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
                Ok(other) => {
                    let text = sent.unwrap().text().await.unwrap_or_default();
                    panic!("{number}: unexpected answer {other}: {text}");
                }
            }
            seen.lock()
                .unwrap()
                .acknowledged
                .push((number.clone(), tried, Instant::now()));
            break;
        }
    }
}

/// Waits until `count` writes were acknowledged, or panics after `within`.
async fn wait_for(seen: &Mutex<Seen>, count: usize, within: Duration, what: &str) {
    let started = Instant::now();
    while seen.lock().unwrap().acknowledged.len() < count {
        assert!(
            started.elapsed() < within,
            "{what}: {count} writes not acknowledged within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_follows_a_promoted_standby_and_loses_no_acknowledged_write() {
    let Some(pg) = pg_bin() else {
        assert!(
            std::env::var_os("SCITRIAL_REQUIRE_POSTGRES").is_none(),
            "SCITRIAL_REQUIRE_POSTGRES is set but PostgreSQL's server programs (initdb, pg_ctl, \
             pg_basebackup) are not in /usr/lib/postgresql/*/bin nor SCITRIAL_PG_BIN: install \
             Debian's postgresql package"
        );
        eprintln!("note: the failover drill skipped: no PostgreSQL server programs");
        return;
    };
    let drill = Instant::now();
    let clusters = Clusters::start(pg);
    let (p1, p2) = (clusters.primary_port, clusters.standby_port);
    let mut admin = PgConnection::connect(&clusters.url(p1, "postgres"))
        .await
        .unwrap();
    sqlx::query("CREATE DATABASE scitrial")
        .execute(&mut admin)
        .await
        .unwrap();
    // The standby is synchronous: a commit on the primary waits for its flush.
    let started = Instant::now();
    loop {
        let sync: Option<String> = sqlx::query_scalar(
            "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'",
        )
        .fetch_optional(&mut admin)
        .await
        .unwrap();
        if sync.as_deref() == Some("sync") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the standby is not a synchronous standby: {sync:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    admin.close().await.unwrap();
    let url = format!(
        "postgres://postgres@127.0.0.1:{p1},127.0.0.1:{p2}/scitrial?target_session_attrs=read-write"
    );

    common::add_crc(&url, "crc-failover", PASSWORD);
    let (server, base) = serve(&url);
    let mut server = KillOnDrop(server);

    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..8)
        .map(|w| tokio::spawn(client(w, base.clone(), seen.clone(), stop.clone())))
        .collect();
    wait_for(&seen, 100, Duration::from_secs(20), "before the failover").await;

    // The primary goes away at once, mid-load, and the standby is promoted.
    let before = seen.lock().unwrap().acknowledged.len();
    let killed = Instant::now();
    clusters.pg_ctl("primary", &["-m", "immediate", "stop"]);
    clusters.pg_ctl("standby", &["-w", "promote"]);
    let promoted = killed.elapsed();
    wait_for(
        &seen,
        before + 200,
        Duration::from_secs(30),
        "after the failover",
    )
    .await;
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    // The first write sent after the stop that was acknowledged: by the new primary.
    let resumed = seen
        .acknowledged
        .iter()
        .filter(|(_, tried, _)| *tried > killed)
        .map(|(_, _, at)| *at - killed)
        .min()
        .unwrap();

    // Every acknowledged write is on the new primary.
    let present = common::screening_numbers(&base, "crc-failover", PASSWORD).await;
    server.0.kill().unwrap();
    server.0.wait().unwrap();
    let lost: Vec<&str> = seen
        .acknowledged
        .iter()
        .map(|(n, _, _)| n.as_str())
        .filter(|n| !present.contains(*n))
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged writes lost: {lost:?}",
        lost.len()
    );
    let mut direct = PgConnection::connect(&clusters.url(p2, "scitrial"))
        .await
        .unwrap();
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM participants")
        .fetch_one(&mut direct)
        .await
        .unwrap();
    direct.close().await.unwrap();
    assert!(rows as usize >= seen.acknowledged.len());

    // The chains verify on the new primary, reached through the same two-host URL.
    let verified = common::audit_verify(&url);
    eprintln!(
        "failover drill: {} writes acknowledged ({before} before the primary stopped), 0 lost, \
         {} answers 'not done' retried; stop + promote took {} ms; the first write sent after the \
         stop acknowledged {} ms after it; {} participants on the new primary; drill {:.1} s; {}",
        seen.acknowledged.len(),
        seen.failed,
        promoted.as_millis(),
        resumed.as_millis(),
        rows,
        drill.elapsed().as_secs_f64(),
        verified
    );
}

//! Several PostgreSQL hosts in one database URL, and the choice of the server that takes the
//! writes among them.
//!
//! sqlx reads one host per URL, so a URL in libpq's multi-host form
//! (`postgres://user@h1:5432,h2:5433/db?target_session_attrs=read-write`) is split here into
//! one URL per host. Several hosts always ask for the server that takes writes (`read-write`,
//! the default with several; `any` is refused with them). The store opens its pools on one host at a time, the *current* one: at
//! start the first in the list that answers (and, with `read-write` or `primary`, is not
//! read-only). A watcher task then checks the current host four times a second, or at once
//! when a write failed for want of a server. When the current host does not answer, or has
//! become read-only, the watcher tries it again, then the others in the listed order, until one
//! qualifies, and points the pools' future connections at it. The pools drop their broken
//! connections by themselves (sqlx pings an idle connection before handing it out), and a pool
//! waiting for a connection takes the new host on its next attempt. With `read-write`, every
//! new connection also asks its server whether it is read-only, and is refused if so: a write
//! never runs on a standby.
//!
//! A write that was under way when its server went away fails, and its caller hears so (the API
//! answers 503): it is not acknowledged, and the client looks, then sends it again. The
//! watcher stays with a host as long as it qualifies, even if a host listed before it comes
//! back: an old primary that is started again must not take writes beside the promoted
//! standby. When choosing, two hosts that take writes are refused rather than chosen between
//! ([`Hosts::select`]).

use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, AnyPool, Connection, PgConnection};
use tokio::sync::{oneshot, Notify};

use crate::{Result, StoreError};

/// How often the watcher checks the current host.
const CHECK_EVERY: Duration = Duration::from_millis(250);
/// How long a host has to answer a check.
const ANSWER_WITHIN: Duration = Duration::from_secs(2);
/// How long the watcher waits before trying the hosts again when none qualified.
const RETRY_EVERY: Duration = Duration::from_millis(200);

/// The hosts of a database URL.
pub(crate) struct Hosts {
    /// One URL per host, in the order given, without `target_session_attrs`.
    urls: Vec<String>,
    /// `host:port` of each, for the logs and messages (the URLs may carry a password).
    names: Vec<String>,
    /// Only a server that is not read-only will do (`read-write` or `primary`).
    read_write: bool,
    /// The host in use.
    current: AtomicUsize,
    /// Wakes the watcher.
    wake: Notify,
}

/// The hosts of `url` when it names several, or asks for `target_session_attrs`; `None` for a
/// URL sqlx reads as it is.
pub(crate) fn parse(url: &str) -> Result<Option<Hosts>> {
    let invalid = |message: String| StoreError::Invalid {
        field: "database url".into(),
        message,
    };
    let Some((scheme, rest)) = url.split_once("://") else {
        return Ok(None);
    };
    if scheme != "postgres" && scheme != "postgresql" {
        return Ok(None);
    }
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (user, list) = match authority.rfind('@') {
        Some(at) => authority.split_at(at + 1),
        None => ("", authority),
    };
    let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
    let mut attrs = None;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("target_session_attrs", value)) => attrs = Some(value),
            _ => kept.push(pair),
        }
    }
    let hosts: Vec<&str> = list.split(',').collect();
    if hosts.len() < 2 && attrs.is_none() {
        return Ok(None);
    }
    // Several hosts are for failover, so they ask for the one that takes writes: `any` could
    // keep the pools on a standby that answered when the primary was slow, with every write
    // refused there until a restart.
    let several = hosts.len() > 1;
    let read_write = match attrs {
        Some("read-write" | "primary") => true,
        None => several,
        Some("any") if !several => false,
        Some("any") => {
            return Err(invalid(format!(
                "target_session_attrs=any with several hosts could leave the writes on a \
                 standby; allowed with several hosts: {}",
                ["read-write", "primary"].join(", ")
            )))
        }
        Some(other) => {
            return Err(invalid(format!(
                "target_session_attrs={other} is not supported; allowed: {}",
                ["any", "read-write", "primary"].join(", ")
            )))
        }
    };
    if hosts.iter().any(|h| h.is_empty()) {
        return Err(invalid(
            "the list of hosts has an empty entry (hosts are separated by commas)".into(),
        ));
    }
    let query = if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    };
    Ok(Some(Hosts {
        urls: hosts
            .iter()
            .map(|h| format!("{scheme}://{user}{h}{path}{query}"))
            .collect(),
        names: hosts.iter().map(|h| h.to_string()).collect(),
        read_write,
        current: AtomicUsize::new(0),
        wake: Notify::new(),
    }))
}

impl Hosts {
    /// The URL of the host in use.
    pub(crate) fn current_url(&self) -> &str {
        &self.urls[self.current.load(Ordering::Acquire)]
    }

    /// Whether a new connection must be refused when its server is read-only.
    pub(crate) fn read_write(&self) -> bool {
        self.read_write
    }

    /// Asks the watcher to check the current host now.
    pub(crate) fn wake(&self) {
        self.wake.notify_one();
    }

    /// Chooses the host to use: the current one if it answers and qualifies (a check that
    /// only timed out must not move the writes to another server), else the first in the
    /// listed order that does. At open the current host is the first. Asking for a read-write
    /// server, every host is asked, and two that take writes (an old primary started again
    /// beside the promoted standby) are refused rather than chosen between: writes to both
    /// would fork the data, and the operator must stop one.
    pub(crate) async fn select(&self) -> Result<usize> {
        let mut why = Vec::new();
        let mut writers = Vec::new();
        let current = self.current.load(Ordering::Acquire);
        let order = std::iter::once(current).chain((0..self.urls.len()).filter(|i| *i != current));
        for i in order {
            match probe(&self.urls[i]).await {
                Ok(read_only) if self.read_write && read_only => {
                    why.push(format!("{} is read-only (a standby)", self.names[i]));
                }
                Ok(_) if !self.read_write => {
                    self.current.store(i, Ordering::Release);
                    return Ok(i);
                }
                Ok(_) => writers.push(i),
                Err(e) => why.push(format!("{}: {e}", self.names[i])),
            }
        }
        let unavailable = |message: String| {
            StoreError::Database(sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::NotConnected,
                message,
            )))
        };
        match writers.as_slice() {
            [i] => {
                self.current.store(*i, Ordering::Release);
                Ok(*i)
            }
            [] => {
                let wanted = if self.read_write { "read-write " } else { "" };
                Err(unavailable(format!(
                    "no {wanted}server among the database URL's hosts: {}",
                    why.join("; ")
                )))
            }
            several => {
                let names: Vec<&str> = several.iter().map(|i| self.names[*i].as_str()).collect();
                tracing::error!(
                    hosts = %names.join(", "),
                    "more than one host takes writes: none is used until only one does"
                );
                Err(unavailable(format!(
                    "more than one of the database URL's hosts takes writes ({}): an old \
                     primary started again? Stop or demote it; nothing is written meanwhile",
                    names.join(", ")
                )))
            }
        }
    }

    /// Whether the current host answers on `conn` (connected first if needed) and qualifies.
    async fn healthy(&self, conn: &mut Option<PgConnection>) -> bool {
        let check = async {
            if conn.is_none() {
                *conn = Some(PgConnection::connect(self.current_url()).await?);
            }
            let Some(c) = conn.as_mut() else {
                return Ok(false);
            };
            read_only(c).await
        };
        match tokio::time::timeout(ANSWER_WITHIN, check).await {
            Ok(Ok(read_only)) => !(self.read_write && read_only),
            _ => false,
        }
    }
}

/// Whether the server of `conn` is read-only (a standby, or `default_transaction_read_only`).
pub(crate) async fn read_only(conn: &mut PgConnection) -> std::result::Result<bool, sqlx::Error> {
    let value: String = sqlx::query_scalar("SHOW transaction_read_only")
        .fetch_one(conn)
        .await?;
    Ok(value == "on")
}

/// Refuses a new connection of the pools to a read-only server (a standby) when the URL asks
/// for a read-write one, and asks the watcher to choose again.
pub(crate) async fn refuse_read_only(
    conn: &mut AnyConnection,
    hosts: &Hosts,
) -> std::result::Result<(), sqlx::Error> {
    let value: String = sqlx::query_scalar("SHOW transaction_read_only")
        .fetch_one(&mut *conn)
        .await?;
    if value == "on" {
        hosts.wake();
        return Err(sqlx::Error::Protocol(
            "the server is read-only (a standby): target_session_attrs=read-write".into(),
        ));
    }
    Ok(())
}

/// Connects to one host: whether it is read-only, or why it could not be asked.
async fn probe(url: &str) -> std::result::Result<bool, String> {
    let ask = async {
        let mut conn = PgConnection::connect(url).await?;
        let answer = read_only(&mut conn).await;
        let _ = conn.close().await;
        answer
    };
    match tokio::time::timeout(ANSWER_WITHIN, ask).await {
        Ok(Ok(read_only)) => Ok(read_only),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {} s", ANSWER_WITHIN.as_secs())),
    }
}

/// The running watcher; it stops when this is dropped (with the last clone of the store).
pub(crate) struct Watch {
    pub(crate) hosts: Arc<Hosts>,
    _stop: oneshot::Sender<()>,
}

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch")
            .field("hosts", &self.hosts.names)
            .finish_non_exhaustive()
    }
}

/// Starts the watcher of `hosts`, which points `pools` at the host it chooses.
pub(crate) fn watch(hosts: Arc<Hosts>, pools: Vec<AnyPool>) -> Watch {
    let (stop, stopped) = oneshot::channel();
    tokio::spawn(watcher(hosts.clone(), pools, stopped));
    Watch { hosts, _stop: stop }
}

async fn watcher(hosts: Arc<Hosts>, pools: Vec<AnyPool>, mut stopped: oneshot::Receiver<()>) {
    let mut conn = None;
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            _ = hosts.wake.notified() => {}
            _ = tokio::time::sleep(CHECK_EVERY) => {}
        }
        if hosts.healthy(&mut conn).await {
            continue;
        }
        conn = None;
        let lost = hosts.current.load(Ordering::Acquire);
        let since = Instant::now();
        tracing::warn!(
            host = %hosts.names[lost],
            "the database server does not answer or is read-only: choosing among the hosts again"
        );
        let chosen = loop {
            match hosts.select().await {
                Ok(i) => break i,
                Err(e) => {
                    tracing::warn!(error = %e, "no database server to write to yet");
                    tokio::select! {
                        _ = &mut stopped => return,
                        _ = tokio::time::sleep(RETRY_EVERY) => {}
                    }
                }
            }
        };
        match AnyConnectOptions::from_str(&hosts.urls[chosen]) {
            Ok(options) => {
                for pool in &pools {
                    pool.set_connect_options(options.clone());
                }
            }
            Err(e) => tracing::error!(error = %e, "the chosen host's URL does not parse"),
        }
        tracing::warn!(
            host = %hosts.names[chosen],
            millis = since.elapsed().as_millis() as u64,
            "the database writes go to this host now"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multi_host_url_is_split_into_one_url_per_host() {
        let hosts = parse(
            "postgres://app:secret@10.0.0.1:5432,db2:6543/trials?sslmode=disable&\
             target_session_attrs=read-write",
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            hosts.urls,
            [
                "postgres://app:secret@10.0.0.1:5432/trials?sslmode=disable",
                "postgres://app:secret@db2:6543/trials?sslmode=disable",
            ]
        );
        assert_eq!(hosts.names, ["10.0.0.1:5432", "db2:6543"]);
        assert!(hosts.read_write);
        let several = parse("postgresql://h1,h2/db").unwrap().unwrap();
        assert_eq!(several.urls, ["postgresql://h1/db", "postgresql://h2/db"]);
        assert!(several.read_write, "several hosts ask for the writer");
        let any = parse("postgresql://h1/db?target_session_attrs=any")
            .unwrap()
            .unwrap();
        assert!(!any.read_write);
        let one = parse("postgres://u@h:1/db?target_session_attrs=primary")
            .unwrap()
            .unwrap();
        assert_eq!(one.urls, ["postgres://u@h:1/db"]);
        assert!(one.read_write);
    }

    #[test]
    fn a_plain_url_is_left_to_sqlx() {
        for url in [
            "postgres://u@h:5432/db",
            "postgres://u@h/db?sslmode=disable",
            "sqlite:/tmp/x.db",
            "nonsense",
        ] {
            assert!(parse(url).unwrap().is_none(), "{url}");
        }
    }

    #[test]
    fn unsupported_session_attributes_and_empty_hosts_are_refused_with_the_allowed_values() {
        let e = parse("postgres://h1,h2/db?target_session_attrs=standby")
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("database url") && e.contains("any, read-write, primary"),
            "{e}"
        );
        let e = parse("postgres://h1,h2/db?target_session_attrs=any")
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("allowed with several hosts: read-write, primary"),
            "{e}"
        );
        let e = parse("postgres://h1,,h2/db").err().unwrap().to_string();
        assert!(e.contains("empty entry"), "{e}");
    }
}

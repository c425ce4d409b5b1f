//! The load test's readers: signed-in clients that, while the writers save, ask in turn for the
//! study's dashboard, its participant list (the page and the API) and its report (the page and
//! the analyses' results from the API), as a data manager watching the study does, and time
//! each answer read whole.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::{json, Value};

/// What the readers ask for: a name for the report, and the path (`{study}` is the study's id).
pub(super) const READS: [(&str, &str); 5] = [
    ("dashboard page", "/studies/{study}"),
    ("participants page", "/studies/{study}/participants"),
    ("participants API", "/api/studies/{study}/participants"),
    ("report page", "/studies/{study}/report"),
    ("results API", "/api/studies/{study}/results"),
];

/// A reader's pause between two requests: a few people clicking, not a flood that would take
/// the writers' processor time.
const PAUSE: Duration = Duration::from_millis(50);

/// What the readers measured.
#[derive(Debug, Default)]
pub(super) struct ReadFigures {
    /// By kind of read ([`READS`]), the latencies of the answers given in the measured time.
    pub latencies: [Vec<Duration>; READS.len()],
    pub errors: usize,
    pub first_error: Option<String>,
}

impl ReadFigures {
    pub(super) fn add(&mut self, other: ReadFigures) {
        for (mine, theirs) in self.latencies.iter_mut().zip(other.latencies) {
            mine.extend(theirs);
        }
        self.errors += other.errors;
        self.first_error = self.first_error.take().or(other.first_error);
    }

    pub(super) fn requests(&self) -> usize {
        self.latencies.iter().map(Vec::len).sum()
    }

    /// The report's lines: one for all reads, then one per kind with its p50 and p99.
    pub(super) fn print(&self, readers: usize, elapsed: Duration) {
        println!(
            "reads while saving: {readers} clients, {} answers ({:.0}/s), {} failed",
            self.requests(),
            self.requests() as f64 / elapsed.as_secs_f64(),
            self.errors
        );
        for ((name, _), latencies) in READS.iter().zip(&self.latencies) {
            let mut sorted = latencies.clone();
            sorted.sort();
            println!(
                "reads, {name}: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms, {} answers",
                super::percentile(&sorted, 0.50),
                super::percentile(&sorted, 0.99),
                super::percentile(&sorted, 1.0),
                sorted.len()
            );
        }
    }
}

/// One reader, signed in with its own session.
pub(super) struct Reader {
    http: reqwest::Client,
    /// The URL of each kind of read.
    urls: Vec<String>,
    /// The kind of read it starts with, so that readers do not all ask for the same at once.
    first: usize,
}

impl Reader {
    pub(super) async fn sign_in(
        base: &str,
        study: &str,
        username: &str,
        password: &str,
        first: usize,
    ) -> Result<Reader> {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .pool_max_idle_per_host(1)
            .build()?;
        http.post(format!("{base}/api/login"))
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await?
            .error_for_status()
            .context("signing the reader in")?
            .json::<Value>()
            .await?;
        Ok(Reader {
            http,
            urls: READS
                .iter()
                .map(|(_, path)| format!("{base}{}", path.replace("{study}", study)))
                .collect(),
            first,
        })
    }

    /// Reads until the end of the measured time; returns the latencies of the answers given
    /// after the warm-up, and the failures.
    pub(super) async fn run(
        self,
        start: Instant,
        warmup: Duration,
        measured: Duration,
    ) -> ReadFigures {
        tokio::time::sleep_until(start.into()).await;
        let (from, until) = (start + warmup, start + warmup + measured);
        let mut figures = ReadFigures::default();
        let mut next = self.first;
        loop {
            let began = Instant::now();
            if began >= until {
                break;
            }
            let kind = next % READS.len();
            next += 1;
            let answer = self.http.get(&self.urls[kind]).send().await;
            let failure = match answer {
                // Read the answer whole, as a browser would.
                Ok(r) if r.status().is_success() => r.bytes().await.err().map(|e| e.to_string()),
                Ok(r) => Some(format!(
                    "{} {}: {}",
                    READS[kind].0,
                    r.status(),
                    r.text().await.unwrap_or_default()
                )),
                Err(e) => Some(format!("{}: {e}", READS[kind].0)),
            };
            let done = Instant::now();
            match failure {
                None if began >= from && done <= until => {
                    figures.latencies[kind].push(done - began)
                }
                None => {}
                Some(e) => {
                    figures.errors += 1;
                    figures.first_error.get_or_insert(e);
                }
            }
            tokio::time::sleep(PAUSE).await;
        }
        figures
    }
}

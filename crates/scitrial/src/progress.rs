//! A progress line on standard error, drawn only when standard error is a terminal.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Counts items and bytes, and redraws at most ten times a second.
pub struct Progress {
    enabled: bool,
    total_bytes: Option<u64>,
    started: Instant,
    last: Instant,
}

impl Progress {
    /// A progress line for an input of `total_bytes`, if known.
    pub fn new(total_bytes: Option<u64>) -> Progress {
        let now = Instant::now();
        Progress {
            enabled: std::io::stderr().is_terminal(),
            total_bytes,
            started: now,
            last: now,
        }
    }

    /// Redraws if it is time to.
    pub fn update(&mut self, items: u64, bytes: u64) {
        if !self.enabled || self.last.elapsed() < Duration::from_millis(100) {
            return;
        }
        self.last = Instant::now();
        let rate = items as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
        let line = match self.total_bytes {
            Some(total) if total > 0 => {
                let fraction = (bytes as f64 / total as f64).min(1.0);
                let filled = (fraction * 30.0) as usize;
                format!(
                    "\r[{}{}] {:>3.0}%  {items} exams  {rate:.0}/s",
                    "#".repeat(filled),
                    "-".repeat(30 - filled),
                    fraction * 100.0
                )
            }
            _ => format!("\r{items} exams  {rate:.0}/s"),
        };
        let _ = std::io::stderr().write_all(line.as_bytes());
    }

    /// Clears the line.
    pub fn finish(&self) {
        if self.enabled {
            let _ = std::io::stderr().write_all(b"\r\x1b[2K");
        }
    }
}

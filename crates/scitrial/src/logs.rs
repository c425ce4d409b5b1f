//! Logs on standard error: plain text, or JSON lines (`--log-format json`) for a log shipper.
//! The level is chosen by `SCITRIAL_LOG` (`warn`, `info`, `debug`, or per target as
//! `info,store=debug`); the libraries log no participant's data and no arm.

use clap::ValueEnum;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One line of text per event.
    #[default]
    Text,
    /// One JSON object per line, with the event's spans (a request's id among them).
    Json,
}

/// Starts logging: `default` is the level when `SCITRIAL_LOG` does not say.
pub fn init(format: LogFormat, default: &str) {
    let filter = match std::env::var("SCITRIAL_LOG") {
        Ok(text) => text.parse::<Targets>().unwrap_or_else(|e| {
            eprintln!("scitrial: SCITRIAL_LOG={text:?} is not a log level ({e}); using {default}");
            default.parse().unwrap_or_default()
        }),
        Err(_) => default.parse().unwrap_or_default(),
    };
    let layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let layer = match format {
        LogFormat::Text => layer.boxed(),
        LogFormat::Json => layer
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .boxed(),
    };
    // Only the first call in a process takes effect (tests may call it more than once).
    let _ = tracing_subscriber::registry()
        .with(layer.with_filter(filter))
        .try_init();
}

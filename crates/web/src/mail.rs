//! Sending the outbox over SMTP while the server runs: a task takes the messages due, sends each
//! (lettre, over the server's configured relay) and records what the attempt left behind through
//! the store (sent; pending with the error and a later attempt; failed for good after the last,
//! `trial::mail`). Without a relay configured nothing is sent and the outbox only fills.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use store::{MailToSend, Store};
use time::OffsetDateTime;
use trial::mail::RetryPolicy;

/// The messages taken in one round.
const BATCH: i64 = 50;

/// Where and how the outbox is sent.
#[derive(Clone, Debug)]
pub struct MailConfig {
    /// The relay: `smtp://host:port` (no TLS: a relay on the same host only),
    /// `smtp://host:port?tls=required` (STARTTLS), `smtps://host:port` (TLS from the start).
    /// A user and password may be in the URL or given apart.
    pub url: String,
    /// The user name, when the relay asks for one.
    pub username: Option<String>,
    /// Its password.
    pub password: Option<String>,
    /// The sender, `scitrial <trial@sponsor.example>` or a plain address.
    pub from: String,
    /// How often the outbox is looked at.
    pub every: Duration,
    /// How long one SMTP conversation may take.
    pub timeout: Duration,
    /// How often, and how far apart, a message is tried.
    pub retry: RetryPolicy,
}

impl MailConfig {
    /// A configuration with the usual rhythm (every 30 s, 30 s for a conversation, the default
    /// retry policy).
    pub fn new(url: &str, from: &str) -> MailConfig {
        MailConfig {
            url: url.into(),
            username: None,
            password: None,
            from: from.into(),
            every: Duration::from_secs(30),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
        }
    }
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MailConfigError {
    /// The relay's URL.
    #[error("smtp url: {0} (allowed: smtp://host:port, smtp://host:port?tls=required, smtps://host:port)")]
    Url(String),
    /// The sender's address.
    #[error("mail from: {0} (allowed: an address, or Name <address>)")]
    From(String),
}

/// How many messages a round sent, and how many it left pending or failed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Round {
    /// Delivered to the relay.
    pub sent: usize,
    /// Not delivered this time (pending again, or failed for good).
    pub not_sent: usize,
}

/// Sends the outbox through one relay.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    config: MailConfig,
}

impl Mailer {
    /// A mailer for a configuration (nothing is connected yet).
    pub fn new(config: MailConfig) -> Result<Mailer, MailConfigError> {
        let from: Mailbox = config
            .from
            .parse()
            .map_err(|e: lettre::address::AddressError| MailConfigError::From(e.to_string()))?;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&config.url)
            .map_err(|e| MailConfigError::Url(e.to_string()))?
            .timeout(Some(config.timeout));
        if let Some(user) = &config.username {
            let password = config.password.clone().unwrap_or_default();
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(Mailer {
            transport: builder.build(),
            from,
            config,
        })
    }

    /// One round at `now`: each message due is sent and its attempt recorded. An error of the
    /// store ends the round (what was recorded stays).
    pub async fn send_due(&self, store: &Store, now: OffsetDateTime) -> store::Result<Round> {
        let mut round = Round::default();
        for message in store.mail_due(now, BATCH).await? {
            let outcome = self.send(&message).await;
            if outcome.is_ok() {
                round.sent += 1;
            } else {
                round.not_sent += 1;
            }
            store
                .record_mail_attempt(message.id, outcome, now, self.config.retry)
                .await?;
        }
        Ok(round)
    }

    /// Sends one message; the error as the relay or the connection gave it.
    async fn send(&self, message: &MailToSend) -> Result<(), String> {
        let to: Mailbox = message
            .to
            .clone()?
            .parse()
            .map_err(|e: lettre::address::AddressError| format!("email: {e}"))?;
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(message.body.clone())
            .map_err(|e| e.to_string())?;
        self.transport
            .send(email)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Sends the outbox every `every` until the task is stopped. Failures are logged by kind,
    /// never with a message's content.
    pub async fn run(self, store: Arc<Store>) {
        let mut tick = tokio::time::interval(self.config.every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match self.send_due(&store, OffsetDateTime::now_utc()).await {
                Ok(round) if round.sent + round.not_sent > 0 => {
                    tracing::info!(sent = round.sent, not_sent = round.not_sent, "outbox sent");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = e.kind(), "outbox not sent"),
            }
        }
    }
}

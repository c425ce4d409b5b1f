//! Delivery of the e-mail outbox: where a message goes, and what one attempt to send it leaves
//! behind (sent; pending with its error and the time of the next attempt, the wait doubling
//! after each failure; or failed for good after the last allowed attempt). Pure: the caller
//! sends, passes the outcome and the time, and writes what these rules return.

use std::time::Duration;

use time::OffsetDateTime;

use crate::{Change, Refusal};

/// The audited entity of an outbox message.
pub const ENTITY: &str = "outbox";

/// How often, and how far apart, a message is tried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all; after the last failed one the message is failed for good.
    pub max_attempts: u32,
    /// The wait after the first failure; each further failure doubles it.
    pub first_delay: Duration,
    /// The longest wait between two attempts.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Eight attempts, a minute after the first failure, then 2, 4, … minutes, at most six
    /// hours apart (about four hours from the first attempt to the last).
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 8,
            first_delay: Duration::from_secs(60),
            max_delay: Duration::from_secs(6 * 3600),
        }
    }
}

impl RetryPolicy {
    /// The wait after the `failures`-th failure (1 for the first): `first_delay` doubled for
    /// each earlier failure, capped at `max_delay`.
    pub fn delay(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(30);
        self.first_delay
            .checked_mul(1u32 << doublings)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }
}

/// Where a message stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailState {
    /// Not yet sent; tried again at its next attempt.
    Pending,
    /// Delivered to the server.
    Sent,
    /// Given up after the last attempt.
    Failed,
}

impl MailState {
    /// Every state's name, as the API and the database spell them.
    pub const ALL: [&'static str; 3] = ["pending", "sent", "failed"];

    /// The state of a message from its columns.
    pub fn of(sent: bool, failed: bool) -> MailState {
        match (sent, failed) {
            (true, _) => MailState::Sent,
            (false, true) => MailState::Failed,
            (false, false) => MailState::Pending,
        }
    }

    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            MailState::Pending => "pending",
            MailState::Sent => "sent",
            MailState::Failed => "failed",
        }
    }
}

/// What an attempt leaves behind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Sent at this time.
    Sent {
        /// Attempts so far, this one included.
        attempts: u32,
        /// When.
        at: OffsetDateTime,
    },
    /// Still pending: tried again at `next_at`.
    Retry {
        /// Attempts so far, this one included.
        attempts: u32,
        /// Why this attempt failed.
        error: String,
        /// When to try again.
        next_at: OffsetDateTime,
    },
    /// Failed for good.
    Failed {
        /// Attempts made, all of them.
        attempts: u32,
        /// Why the last attempt failed.
        error: String,
        /// When it was given up.
        at: OffsetDateTime,
    },
}

/// The address a message goes to: the account's current address for a message to an account
/// (it may have been set or changed since the message was queued), else the plain address the
/// message names (such as the QA address of the audit checkpoints).
pub fn address(
    recipient_user_id: Option<i64>,
    account_email: Option<&str>,
    recipient: &str,
) -> Result<String, Refusal> {
    let to = match recipient_user_id {
        Some(_) => account_email.unwrap_or("").trim(),
        None => recipient.trim(),
    };
    if !is_address(to) {
        return Err(Refusal::invalid(
            "email",
            match recipient_user_id {
                Some(_) => "the account has no e-mail address (allowed: local@domain)".to_string(),
                None => format!("{to:?} is not an e-mail address (allowed: local@domain)"),
            },
        ));
    }
    Ok(to.to_string())
}

/// Whether a text looks like an e-mail address: one `@` with something on each side, a dot in
/// the domain, no spaces or control characters, at most 254 characters.
pub fn is_address(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && text.len() <= 254
        && !text
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'))
}

/// The result of one attempt on a message that had `attempts_before` failed attempts, at
/// `now`: sent, or pending until the next try, or failed for good once `max_attempts` are
/// spent. A message that is no longer pending is not attempted.
pub fn after_attempt(
    policy: &RetryPolicy,
    state: MailState,
    attempts_before: u32,
    outcome: Result<(), &str>,
    now: OffsetDateTime,
) -> Result<Delivery, Refusal> {
    if state != MailState::Pending {
        return Err(Refusal::conflict(
            "state",
            format!(
                "the message is {}; only a pending one is sent (allowed: pending)",
                state.as_str()
            ),
        ));
    }
    let attempts = attempts_before.saturating_add(1);
    Ok(match outcome {
        Ok(()) => Delivery::Sent { attempts, at: now },
        Err(error) if attempts >= policy.max_attempts => Delivery::Failed {
            attempts,
            error: error.to_string(),
            at: now,
        },
        Err(error) => Delivery::Retry {
            attempts,
            error: error.to_string(),
            next_at: now + policy.delay(attempts),
        },
    })
}

/// The changes to audit for a delivery of message `id`: its state, its attempts, and the
/// time sent, or the error with the next attempt, or the error with the time given up.
pub fn changes(
    id: i64,
    delivery: &Delivery,
    instant: impl Fn(OffsetDateTime) -> String,
) -> Vec<Change> {
    let field = |name: &str, value: String| Change::new("send", ENTITY, id).set(name, value);
    match delivery {
        Delivery::Sent { attempts, at } => vec![
            field("state", "sent".into()),
            field("attempts", attempts.to_string()),
            field("sent_at", instant(*at)),
        ],
        Delivery::Retry {
            attempts,
            error,
            next_at,
        } => vec![
            field("state", "pending".into()),
            field("attempts", attempts.to_string()),
            field("last_error", error.clone()),
            field("next_attempt_at", instant(*next_at)),
        ],
        Delivery::Failed {
            attempts,
            error,
            at,
        } => vec![
            field("state", "failed".into()),
            field("attempts", attempts.to_string()),
            field("last_error", error.clone()),
            field("failed_at", instant(*at)),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-03-01 10:00 UTC);

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            first_delay: Duration::from_secs(60),
            max_delay: Duration::from_secs(150),
        }
    }

    #[test]
    fn the_wait_doubles_up_to_the_cap() {
        let p = policy();
        assert_eq!(p.delay(1), Duration::from_secs(60));
        assert_eq!(p.delay(2), Duration::from_secs(120));
        assert_eq!(p.delay(3), Duration::from_secs(150));
        assert_eq!(p.delay(u32::MAX), Duration::from_secs(150));
        let d = RetryPolicy::default();
        assert_eq!(d.delay(4), Duration::from_secs(480));
        assert_eq!(d.delay(40), Duration::from_secs(6 * 3600));
    }

    #[test]
    fn a_failure_retries_until_the_last_attempt_then_fails_for_good() {
        let p = policy();
        let first = after_attempt(&p, MailState::Pending, 0, Err("refused"), NOW).unwrap();
        assert_eq!(
            first,
            Delivery::Retry {
                attempts: 1,
                error: "refused".into(),
                next_at: NOW + Duration::from_secs(60)
            }
        );
        let second = after_attempt(&p, MailState::Pending, 1, Err("down"), NOW).unwrap();
        assert!(
            matches!(second, Delivery::Retry { attempts: 2, next_at, .. }
            if next_at == NOW + Duration::from_secs(120))
        );
        let third = after_attempt(&p, MailState::Pending, 2, Err("down"), NOW).unwrap();
        assert_eq!(
            third,
            Delivery::Failed {
                attempts: 3,
                error: "down".into(),
                at: NOW
            }
        );
        let sent = after_attempt(&p, MailState::Pending, 2, Ok(()), NOW).unwrap();
        assert_eq!(
            sent,
            Delivery::Sent {
                attempts: 3,
                at: NOW
            }
        );
    }

    #[test]
    fn only_a_pending_message_is_attempted() {
        for state in [MailState::Sent, MailState::Failed] {
            let refused = after_attempt(&policy(), state, 1, Ok(()), NOW).unwrap_err();
            assert!(matches!(refused, Refusal::Conflict { ref field, .. } if field == "state"));
        }
        assert_eq!(MailState::of(true, false), MailState::Sent);
        assert_eq!(MailState::of(false, true), MailState::Failed);
        assert_eq!(MailState::of(false, false), MailState::Pending);
    }

    #[test]
    fn the_address_is_the_accounts_current_one_or_the_plain_one() {
        assert_eq!(
            address(Some(3), Some(" pv@example.org "), "pv-user").unwrap(),
            "pv@example.org"
        );
        let none = address(Some(3), None, "pv-user").unwrap_err();
        assert!(none
            .to_string()
            .starts_with("email: the account has no e-mail address"));
        assert!(address(Some(3), Some(""), "x@example.org").is_err());
        assert_eq!(
            address(None, None, "qa@example.org").unwrap(),
            "qa@example.org"
        );
        for bad in [
            "",
            "qa",
            "@example.org",
            "qa@localhost",
            "q a@example.org",
            "a@b@c.org",
            "a@b.example, c@d.example",
            "Name <a@b.example>",
            "a@b.example;c@d.example",
        ] {
            assert!(address(None, None, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn each_delivery_is_audited_with_its_state() {
        let show = |t: OffsetDateTime| t.unix_timestamp().to_string();
        let retry = Delivery::Retry {
            attempts: 2,
            error: "421 busy".into(),
            next_at: NOW,
        };
        let fields: Vec<(String, String)> = changes(7, &retry, show)
            .into_iter()
            .inspect(|c| assert_eq!((c.entity.as_str(), c.record_id.as_str()), ("outbox", "7")))
            .map(|c| (c.field.unwrap(), c.new_value.unwrap()))
            .collect();
        let want = [
            ("state", "pending".to_string()),
            ("attempts", "2".into()),
            ("last_error", "421 busy".into()),
            ("next_attempt_at", NOW.unix_timestamp().to_string()),
        ];
        assert_eq!(fields, want.map(|(f, v)| (f.to_string(), v)).to_vec());
        let failed = Delivery::Failed {
            attempts: 3,
            error: "down".into(),
            at: NOW,
        };
        assert_eq!(
            changes(7, &failed, show)[0].new_value.as_deref(),
            Some("failed")
        );
        let sent = Delivery::Sent {
            attempts: 1,
            at: NOW,
        };
        assert_eq!(changes(7, &sent, show)[2].field.as_deref(), Some("sent_at"));
    }
}

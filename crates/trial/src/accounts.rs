//! Accounts: what a login name and a password may be, the lock after failed logins, the
//! limits on failed logins per client address and per submitted name, and what the audit trail
//! and the account's owner are told.

use time::{Duration, OffsetDateTime};

use crate::Refusal;

/// Failed logins in a row that lock an account.
pub const MAX_FAILED_LOGINS: i64 = 5;
/// How long a lock lasts.
pub const LOCK: Duration = Duration::minutes(15);

/// The shortest login name an account may have.
pub const USERNAME_MIN: usize = 3;
/// The longest login name an account may have, in characters; a login with a longer name is
/// refused before anything is looked up or stored.
pub const USERNAME_MAX: usize = 64;
/// The shortest password an account may have.
pub const PASSWORD_MIN: usize = 8;
/// The longest password an account may have, in characters; a login with a longer password is
/// refused before anything is looked up or stored.
pub const PASSWORD_MAX: usize = 256;
/// How many characters of a submitted name that names no account the audit trail keeps.
pub const AUDIT_NAME_CHARS: usize = 32;

/// The lock in force at `now`, if the account is locked.
pub fn lock_in_force(
    locked_until: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Option<OffsetDateTime> {
    locked_until.filter(|until| *until > now)
}

/// The lock a failed login sets, when it is the last one allowed (`failed_before`: the failures
/// in a row before this one).
pub fn lock_after_failure(failed_before: i64, now: OffsetDateTime) -> Option<OffsetDateTime> {
    (failed_before + 1 >= MAX_FAILED_LOGINS).then_some(now + LOCK)
}

/// The lock a failed login sets on an account: none while a lock is in force (a failure during
/// a lock does not lengthen it), else as [`lock_after_failure`].
pub fn lock_on_failure(
    failed_before: i64,
    locked_until: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Option<OffsetDateTime> {
    match lock_in_force(locked_until, now) {
        Some(_) => None,
        None => lock_after_failure(failed_before, now),
    }
}

/// Whether a submitted name is worth looking up: not empty and without control characters
/// (which no account's name has; PostgreSQL cannot even compare a NUL). The accounts made
/// before the rules of [`is_username`] (and those made by programs, like the demo's) may be
/// shorter than it allows, so the look-up does not ask for more.
pub fn may_be_username(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(char::is_control)
}

/// Whether an account may be given this name: 3 to 64 characters, letters, digits, `.`, `_` or
/// `-`.
pub fn is_username(name: &str) -> bool {
    (USERNAME_MIN..=USERNAME_MAX).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

/// Whether a name may be given to a new account ([`is_username`]); the refusal names the field
/// and what is allowed.
pub fn check_new_username(username: &str) -> Result<(), Refusal> {
    if is_username(username) {
        Ok(())
    } else {
        Err(Refusal::invalid(
            "username",
            format!(
                "{USERNAME_MIN} to {USERNAME_MAX} characters: letters, digits, '.', '_' or '-'"
            ),
        ))
    }
}

/// Whether a password may be given to an account: 8 to 256 characters.
pub fn check_new_password(password: &str) -> Result<(), Refusal> {
    let n = password.chars().count();
    if n < PASSWORD_MIN {
        Err(Refusal::invalid(
            "password",
            format!("needs at least {PASSWORD_MIN} characters"),
        ))
    } else if n > PASSWORD_MAX {
        Err(too_long("password", PASSWORD_MAX))
    } else {
        Ok(())
    }
}

fn too_long(field: &str, max: usize) -> Refusal {
    Refusal::invalid(field, format!("is too long (at most {max} characters)"))
}

/// The refusals of a login whose name or password is longer than any account's can be (each
/// names the field and the maximum); empty when both are within the limits. Nothing else about
/// them is checked here: a short or odd name is simply not an account.
pub fn check_login(username: &str, password: &str) -> Vec<Refusal> {
    let longer = |text: &str, max: usize| text.len() > max && text.chars().nth(max).is_some();
    let mut refusals = Vec::new();
    if longer(username, USERNAME_MAX) {
        refusals.push(too_long("username", USERNAME_MAX));
    }
    if longer(password, PASSWORD_MAX) {
        refusals.push(too_long("password", PASSWORD_MAX));
    }
    refusals
}

/// How the audit trail records a submitted name that names no account: at most
/// [`AUDIT_NAME_CHARS`] characters of it, every character outside printable ASCII written as
/// `\u{…}` and the backslash as `\\`, and `…` when it was longer.
pub fn audit_name(submitted: &str) -> String {
    let mut out = String::new();
    let mut chars = submitted.chars();
    for c in chars.by_ref().take(AUDIT_NAME_CHARS) {
        match c {
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            _ => out.extend(c.escape_unicode()),
        }
    }
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

/// The key under which failed logins with a submitted name are counted, whether or not the
/// name is an account's: trimmed and in lower case.
pub fn name_key(submitted: &str) -> String {
    submitted.trim().to_lowercase()
}

/// How many failed logins a key (a client address, a submitted name) may have in a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// Failed logins allowed in a window.
    pub failures: u32,
    /// The window, from the first failure counted in it.
    pub window: Duration,
}

/// Failed logins allowed from one client address: 20 in 15 minutes.
pub const PER_ADDRESS: Limit = Limit {
    failures: 20,
    window: Duration::minutes(15),
};

/// Failed logins allowed with one submitted name, from any address: 10 in 15 minutes.
pub const PER_NAME: Limit = Limit {
    failures: 10,
    window: Duration::minutes(15),
};

/// The failed logins of one key in its current window. An attempt is counted when it is
/// admitted, before its password is checked (so that attempts made at the same time cannot
/// pass the limit together), and taken back when it succeeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// When the window began (its first counted attempt).
    pub since: OffsetDateTime,
    /// Attempts counted in it.
    pub failures: u32,
}

impl Window {
    /// Whether the window is over at `now` (and can be forgotten).
    pub fn is_over(&self, limit: Limit, now: OffsetDateTime) -> bool {
        now >= self.since + limit.window
    }
}

/// Whether an attempt of a key whose window is `window` may go on at `now`: the window that
/// counts it, or how long to wait until the key may try again.
pub fn admit(
    window: Option<Window>,
    limit: Limit,
    now: OffsetDateTime,
) -> Result<Window, Duration> {
    match window.filter(|w| !w.is_over(limit, now)) {
        Some(w) if w.failures >= limit.failures => Err(w.since + limit.window - now),
        Some(w) => Ok(Window {
            failures: w.failures + 1,
            ..w
        }),
        None => Ok(Window {
            since: now,
            failures: 1,
        }),
    }
}

/// The window after an admitted attempt succeeded: the attempt is no longer counted (`None`
/// when nothing is left).
pub fn forgive(window: Window) -> Option<Window> {
    (window.failures > 1).then_some(Window {
        failures: window.failures - 1,
        ..window
    })
}

/// A wait as whole seconds for `Retry-After` (rounded up, at least 1).
pub fn retry_after_seconds(wait: Duration) -> i64 {
    let seconds = wait.whole_seconds() + i64::from(wait.subsec_nanoseconds() > 0);
    seconds.max(1)
}

/// The e-mail that tells an account's owner that it was locked: its subject and body (`until`
/// and `from` as they should be printed: the end of the lock in UTC and the client address of
/// the failure that set it).
pub fn lock_notice(username: &str, until: &str, from: &str) -> (String, String) {
    let subject = format!("scitrial: your account {username} is locked until {until} UTC");
    let body = format!(
        "Your scitrial account {username} was locked after {MAX_FAILED_LOGINS} failed logins \
         in a row; the last came from the address {from}. It can be used again from {until} \
         UTC.\n\n\
         If these were your own attempts, wait until then and sign in with your password. If \
         they were not yours, someone may be trying to guess your password: tell the sponsor \
         administrator, and change your password once you are signed in again.\n"
    );
    (subject, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_fifth_failure_in_a_row_locks_for_fifteen_minutes() {
        let now = datetime!(2026-12-06 10:00 UTC);
        assert_eq!(lock_after_failure(3, now), None);
        assert_eq!(
            lock_after_failure(4, now),
            Some(datetime!(2026-12-06 10:15 UTC))
        );
        assert_eq!(
            lock_in_force(Some(datetime!(2026-12-06 10:15 UTC)), now),
            Some(datetime!(2026-12-06 10:15 UTC))
        );
        assert_eq!(lock_in_force(Some(now), now), None);
        assert_eq!(lock_in_force(None, now), None);
    }

    #[test]
    fn a_failure_during_a_lock_does_not_lengthen_it_and_one_after_it_locks_again() {
        let now = datetime!(2026-12-06 10:00 UTC);
        let until = Some(datetime!(2026-12-06 10:10 UTC));
        assert_eq!(lock_on_failure(7, until, now), None);
        assert_eq!(
            lock_on_failure(7, until, datetime!(2026-12-06 10:10 UTC)),
            Some(datetime!(2026-12-06 10:25 UTC))
        );
        assert_eq!(lock_on_failure(0, None, now), None);
    }

    #[test]
    fn a_login_longer_than_any_account_allows_is_refused_naming_field_and_maximum() {
        assert!(check_login("mon", "a good password").is_empty());
        assert!(check_login(&"é".repeat(64), &"é".repeat(256)).is_empty());
        let refusals = check_login(&"a".repeat(65), &"p".repeat(257));
        assert_eq!(
            refusals,
            vec![
                Refusal::invalid("username", "is too long (at most 64 characters)"),
                Refusal::invalid("password", "is too long (at most 256 characters)"),
            ]
        );
        assert_eq!(check_login(&"x".repeat(1_900_000), "").len(), 1);
    }

    #[test]
    fn a_new_account_takes_what_a_login_takes() {
        assert!(check_new_username("abc").is_ok());
        assert!(check_new_username(&"a".repeat(USERNAME_MAX)).is_ok());
        assert!(check_new_username(&"a".repeat(USERNAME_MAX + 1)).is_err());
        assert!(check_new_username("ab").is_err());
        assert!(check_new_username("a b").is_err());
        assert!(check_new_password("12345678").is_ok());
        assert!(check_new_password(&"p".repeat(PASSWORD_MAX)).is_ok());
        assert_eq!(
            check_new_password(&"p".repeat(PASSWORD_MAX + 1)),
            Err(Refusal::invalid(
                "password",
                "is too long (at most 256 characters)"
            ))
        );
        assert!(check_new_password("1234567").is_err());
        // Every name an account may have passes the login's limit.
        assert!(check_login(&"a".repeat(USERNAME_MAX), &"p".repeat(PASSWORD_MAX)).is_empty());
    }

    #[test]
    fn the_audit_keeps_a_bounded_escaped_prefix_of_an_unknown_name() {
        assert_eq!(audit_name("ghost"), "ghost");
        assert_eq!(audit_name("a\\b"), "a\\\\b");
        assert_eq!(audit_name("a\nb\u{202e}c\u{0}"), "a\\u{a}b\\u{202e}c\\u{0}");
        assert_eq!(audit_name(&"x".repeat(40)), format!("{}…", "x".repeat(32)));
        assert_eq!(audit_name(&"y".repeat(32)), "y".repeat(32));
        let worst = audit_name(&"\u{10ffff}".repeat(1000));
        assert_eq!(worst, format!("{}…", "\\u{10ffff}".repeat(32)));
        assert!(worst.chars().all(|c| c == '…' || (' '..='~').contains(&c)));
    }

    #[test]
    fn a_name_with_a_control_character_is_not_looked_up() {
        assert!(may_be_username("dm"));
        assert!(may_be_username("Jörg Müller"));
        assert!(!may_be_username(""));
        assert!(!may_be_username("a\u{0}b"));
        assert!(!may_be_username("a\nb"));
    }

    #[test]
    fn names_are_counted_trimmed_and_in_lower_case() {
        assert_eq!(name_key("  Mon "), "mon");
        assert_eq!(name_key("mon"), name_key("MON"));
    }

    #[test]
    fn a_key_may_fail_as_often_as_its_limit_in_a_window_then_waits_for_its_end() {
        let limit = Limit {
            failures: 3,
            window: Duration::minutes(15),
        };
        let t0 = datetime!(2026-12-06 10:00 UTC);
        let mut window = None;
        for i in 1..=3 {
            let w = admit(window, limit, t0 + Duration::minutes(i)).unwrap();
            assert_eq!(
                w,
                Window {
                    since: t0 + Duration::minutes(1),
                    failures: i as u32
                }
            );
            window = Some(w);
        }
        assert_eq!(
            admit(window, limit, t0 + Duration::minutes(5)),
            Err(Duration::minutes(11))
        );
        // The refusal does not count: the end of the window stays where it was.
        assert_eq!(
            admit(window, limit, t0 + Duration::seconds(15 * 60 + 59)),
            Err(Duration::seconds(1))
        );
        let fresh = admit(window, limit, t0 + Duration::minutes(16)).unwrap();
        assert_eq!(
            fresh,
            Window {
                since: t0 + Duration::minutes(16),
                failures: 1
            }
        );
        assert!(!fresh.is_over(limit, t0 + Duration::minutes(30)));
        assert!(fresh.is_over(limit, t0 + Duration::minutes(31)));
    }

    #[test]
    fn a_success_is_not_counted_as_a_failure() {
        let t0 = datetime!(2026-12-06 10:00 UTC);
        let one = admit(None, PER_NAME, t0).unwrap();
        assert_eq!(forgive(one), None);
        let two = admit(Some(one), PER_NAME, t0).unwrap();
        assert_eq!(forgive(two), Some(one));
    }

    #[test]
    fn retry_after_is_rounded_up_to_a_second() {
        assert_eq!(retry_after_seconds(Duration::milliseconds(1)), 1);
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
        assert_eq!(retry_after_seconds(Duration::milliseconds(60_001)), 61);
        assert_eq!(retry_after_seconds(Duration::minutes(15)), 900);
    }

    #[test]
    fn the_lock_notice_says_until_when_from_where_and_what_to_do() {
        let (subject, body) = lock_notice("mon", "2026-12-06T10:15:00Z", "203.0.113.7");
        assert!(subject.contains("mon") && subject.contains("2026-12-06T10:15:00Z"));
        assert!(body.contains("5 failed logins"));
        assert!(body.contains("203.0.113.7"));
        assert!(body.contains("sponsor administrator"));
    }
}

//! Accounts: the lock after failed logins.

use time::{Duration, OffsetDateTime};

/// Failed logins in a row that lock an account.
pub const MAX_FAILED_LOGINS: i64 = 5;
/// How long a lock lasts.
pub const LOCK: Duration = Duration::minutes(15);

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
}

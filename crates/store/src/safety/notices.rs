//! The notices about safety clocks: when a clock starts and when 2 days remain, each sent once
//! (remembered in `safety_notices`), in the application to the safety physician and
//! pharmacovigilance roles of the study, and as an outbox e-mail to each such user with an
//! e-mail address. A notice names the participant, the event's term, the clock and its dates,
//! never an arm. [`Store::send_safety_notices`] is the sweep the server runs periodically.

use time::OffsetDateTime;
use trial::safety::{notice_text, notices_due, Notice, OpenClock};
use trial::{Role, Study};

use super::cases::{case_ids, load, Loaded};
use crate::db::{Store, Tx};
use crate::model::{instant, Actor};
use crate::{Change, Result, Scope};

/// The roles told about safety clocks.
pub const SAFETY_NOTIFIED: [Role; 2] = [Role::SafetyPhysician, Role::Pharmacovigilance];

/// The kind of notification of a safety clock.
pub const CLOCK_NOTIFICATION: &str = "safety-clock";

/// Sends the notices due at `now` about a case's open clocks, each once; how many were sent.
pub(super) async fn notify(
    tx: &mut Tx<'_>,
    case: &Loaded,
    open: &[OpenClock],
    now: OffsetDateTime,
    by: &Actor,
) -> Result<usize> {
    let study = case.participant.study_id.clone();
    let mut sent_now = 0;
    for o in open {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT notice FROM safety_notices WHERE ae_id = $1 AND clock = $2")
                .bind(case.event.id)
                .bind(o.clock.kind.as_str())
                .fetch_all(tx.conn())
                .await?;
        let sent: Vec<Notice> = rows.iter().filter_map(|(n,)| Notice::parse(n)).collect();
        for notice in notices_due(&o.clock, &sent, now) {
            let at = instant(now);
            let inserted = sqlx::query(&tx.sql(
                "INSERT INTO safety_notices (ae_id, clock, notice, sent_at) \
                 VALUES ($1, $2, $3, $4::timestamptz) ON CONFLICT (ae_id, clock, notice) DO NOTHING",
            ))
            .bind(case.event.id)
            .bind(o.clock.kind.as_str())
            .bind(notice.as_str())
            .bind(&at)
            .execute(tx.conn())
            .await?
            .rows_affected();
            if inserted == 0 {
                continue;
            }
            let (subject, body) = notice_text(
                notice,
                &o.clock,
                &case.label(),
                &case.participant.site_id,
                &case.event.event.term,
            );
            for role in SAFETY_NOTIFIED {
                sqlx::query(&tx.sql(
                    "INSERT INTO notifications (study_id, role, kind, participant_id, message, \
                     created_at) VALUES ($1, $2, $3, $4, $5, $6::timestamptz)",
                ))
                .bind(&study)
                .bind(role.as_str())
                .bind(CLOCK_NOTIFICATION)
                .bind(case.participant.id)
                .bind(&body)
                .bind(&at)
                .execute(tx.conn())
                .await?;
            }
            let recipients: Vec<(i64, String)> = sqlx::query_as(
                "SELECT DISTINCT u.id, u.email FROM users u \
                 JOIN role_assignments r ON r.user_id = u.id \
                 WHERE r.study_id = $1 AND r.role IN ($2, $3) AND u.active \
                 AND u.email IS NOT NULL AND u.email <> '' ORDER BY u.id",
            )
            .bind(&study)
            .bind(SAFETY_NOTIFIED[0].as_str())
            .bind(SAFETY_NOTIFIED[1].as_str())
            .fetch_all(tx.conn())
            .await?;
            for (user_id, email) in &recipients {
                sqlx::query(&tx.sql(
                    "INSERT INTO outbox (study_id, recipient_user_id, recipient, subject, body, \
                     created_at) VALUES ($1, $2, $3, $4, $5, $6::timestamptz)",
                ))
                .bind(&study)
                .bind(*user_id)
                .bind(email)
                .bind(&subject)
                .bind(&body)
                .bind(&at)
                .execute(tx.conn())
                .await?;
            }
            let change = Change::new(
                "notify",
                CLOCK_NOTIFICATION,
                format!("{}/{}", case.record(), o.clock.kind),
            )
            .set("notice", notice);
            tx.audit(&study, by, &[change]).await?;
            sent_now += 1;
        }
    }
    Ok(sent_now)
}

impl Store {
    /// The sweep: sends every notice due at `now` about the study's open clocks (a clock that
    /// started without one, 2 days left), each once; how many were sent. Idempotent: a second
    /// sweep at the same `now` sends nothing.
    pub async fn send_safety_notices(&self, study: &Study, now: OffsetDateTime) -> Result<usize> {
        let study = study.clone();
        self.write("send_safety_notices", move |mut tx| {
            Box::pin(async move {
                let scope = Scope::Study(study.id.clone());
                let mut sent = 0;
                for ae_id in case_ids(tx.conn(), &scope).await? {
                    let case = load(tx.conn(), &scope, ae_id).await?;
                    let open = case.open(&case.classification(&study));
                    sent += notify(&mut tx, &case, &open, now, &Actor::system()).await?;
                }
                Ok(sent)
            })
        })
        .await
    }
}

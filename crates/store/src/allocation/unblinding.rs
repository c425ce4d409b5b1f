//! After randomisation: dispensing the allocated kit, and emergency unblinding (recorded,
//! marked, the sponsor and DSMB notified in the application and through the outbox).

use super::*;
use crate::db::Tx;
use crate::model::now;
use crate::not_found;
use crate::Change;

/// Records that the participant's kit was dispensed; the kit number must be the one
/// allocated.
pub(super) async fn dispense(
    tx: &mut Tx<'_>,
    scope: &Scope,
    participant_id: i64,
    kit_number: &str,
    by: &Actor,
) -> Result<Allocation> {
    participant_in(tx.conn(), scope, participant_id).await?;
    let lock = tx.for_update();
    let row: Option<(String, Option<String>)> = sqlx::query_as(&tx.sql(&format!(
        "SELECT kit_number, dispensed_at::instant FROM allocations WHERE participant_id = $1{lock}"
    )))
    .bind(participant_id)
    .fetch_optional(tx.conn())
    .await?;
    let allocated = row.as_ref().map(|(kit, at)| (kit.as_str(), at.as_deref()));
    trial::kits::check_dispensing(participant_id, allocated, kit_number)?;
    let at = now();
    sqlx::query(&tx.sql(
        "UPDATE allocations SET dispensed_at = $1::timestamptz, dispensed_by = $2 \
         WHERE participant_id = $3",
    ))
    .bind(&at)
    .bind(&by.username)
    .bind(participant_id)
    .execute(tx.conn())
    .await?;
    let study = scope.study();
    let change =
        Change::new("dispense", "allocation", participant_id).set("kit_number", kit_number);
    tx.audit(study, by, &[change]).await?;
    allocation_in(tx.conn(), participant_id)
        .await?
        .ok_or_else(|| not_found("allocation", participant_id))
}

/// Emergency unblinding of one participant: recorded, the participant marked, the sponsor
/// and DSMB roles notified in the application and by e-mail (outbox). The caller has
/// checked the person's password and site.
pub(super) async fn unblind(
    tx: &mut Tx<'_>,
    scope: &Scope,
    participant_id: i64,
    reason: &str,
    by: &Actor,
) -> Result<Allocation> {
    let reason = trial::kits::unblinding_reason(reason)?;
    let p = participant_in(tx.conn(), scope, participant_id).await?;
    let lock = tx.for_update();
    let row: Option<(String, Option<String>)> = sqlx::query_as(&tx.sql(&format!(
        "SELECT arm_id, unblinded_at::instant FROM allocations WHERE participant_id = $1{lock}"
    )))
    .bind(participant_id)
    .fetch_optional(tx.conn())
    .await?;
    let Some((arm_id, earlier)) = row else {
        return Err(conflict(
            "participant",
            format!("participant {participant_id} is not randomised: there is nothing to unblind"),
        ));
    };
    trial::kits::check_not_unblinded(participant_id, earlier.as_deref())?;
    let at = now();
    sqlx::query(&tx.sql(
        "UPDATE allocations SET unblinded_at = $1::timestamptz, unblinded_by = $2, \
         unblind_reason = $3 WHERE participant_id = $4",
    ))
    .bind(&at)
    .bind(&by.username)
    .bind(reason)
    .bind(participant_id)
    .execute(tx.conn())
    .await?;
    let who = p
        .subject_id
        .clone()
        .unwrap_or_else(|| p.screening_number.clone());
    let message = format!(
        "Emergency unblinding of participant {who} (site {}) by {} at {at}. Reason: {reason}",
        p.site_id, by.username
    );
    for role in UNBLINDING_NOTIFIED {
        sqlx::query(&tx.sql(
            "INSERT INTO notifications (study_id, role, kind, participant_id, message, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6::timestamptz)",
        ))
        .bind(&p.study_id)
        .bind(role.as_str())
        .bind("emergency-unblinding")
        .bind(participant_id)
        .bind(&message)
        .bind(&at)
        .execute(tx.conn())
        .await?;
    }
    let recipients: Vec<(i64, String)> = sqlx::query_as(
        "SELECT DISTINCT u.id, u.username FROM users u JOIN role_assignments r ON r.user_id = u.id \
         WHERE r.study_id = $1 AND r.role IN ($2, $3) AND u.active ORDER BY u.id",
    )
    .bind(&p.study_id)
    .bind(UNBLINDING_NOTIFIED[0].as_str())
    .bind(UNBLINDING_NOTIFIED[1].as_str())
    .fetch_all(tx.conn())
    .await?;
    let subject = format!("[{}] Emergency unblinding of participant {who}", p.study_id);
    for (user_id, username) in &recipients {
        sqlx::query(&tx.sql(
            "INSERT INTO outbox (study_id, recipient_user_id, recipient, subject, body, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6::timestamptz)",
        ))
        .bind(&p.study_id)
        .bind(*user_id)
        .bind(username)
        .bind(&subject)
        .bind(&message)
        .bind(&at)
        .execute(tx.conn())
        .await?;
    }
    let change = Change::new("unblind", "allocation", participant_id)
        .set("unblinded_at", &at)
        .because(reason);
    tx.audit(&p.study_id, by, &[change]).await?;
    let concealed = Change::new("unblind", "allocation", participant_id)
        .set("arm_id", &arm_id)
        .because(reason);
    tx.audit(&unblinded_chain(&p.study_id), by, &[concealed])
        .await?;
    allocation_in(tx.conn(), participant_id)
        .await?
        .ok_or_else(|| not_found("allocation", participant_id))
}

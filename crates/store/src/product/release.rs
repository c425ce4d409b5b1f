//! Lot release: QC's signed results, judged against the product definition's criteria; the
//! qualified person's signed decision; a result that arrives after release (the 14-day
//! sterility) recorded against the lot, a failure after units were given notifying the
//! sponsor and the investigator of every dosed participant (in the application and by e-mail)
//! and opening an event to follow for each recipient (`events.rs`).

use serde::Serialize;
use sqlx::{AnyConnection, Row};
use trial::product::release::{
    decide_release, judge, record_result, Disposition, LotState, ResultValue, Verdict, Verdicts,
};
use trial::{Change, Role};

use super::{definition, lot, Lot, ENTITY};
use crate::db::{Store, Tx};
use crate::dialect::{dialect_of, render};
use crate::model::{now, Actor};
use crate::Result;

/// The kind of notification of a late release failure.
pub const LATE_FAILURE: &str = "product-late-failure";

/// A release result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReleaseResultRecord {
    /// The test's id in the product definition.
    pub test_id: String,
    /// The result as entered (a number in the test's unit, or a word).
    pub value: String,
    /// `pass` or `fail`.
    pub verdict: String,
    /// Who signed it (QC).
    pub signed_by: String,
    /// The signer's printed name.
    pub signer_name: String,
    /// When.
    #[schema(format = DateTime)]
    pub signed_at: String,
}

/// A decision of the qualified person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LotDecisionRecord {
    /// `release`, `release_conditionally`, `reject` or `recall`.
    pub decision: String,
    /// The tests pending, for a conditional release.
    pub pending: Vec<String>,
    /// Why, for a rejection or a recall.
    pub reason: Option<String>,
    /// Who signed it.
    pub signed_by: String,
    /// The signer's printed name.
    pub signer_name: String,
    /// When.
    #[schema(format = DateTime)]
    pub signed_at: String,
}

pub(super) async fn results_of(
    conn: &mut AnyConnection,
    lot: i64,
) -> Result<Vec<ReleaseResultRecord>> {
    let sql = render(
        dialect_of(conn),
        "SELECT test_id, value, verdict, signed_by, signer_name, signed_at::instant \
         FROM product_release_results WHERE lot_id = $1 ORDER BY id",
    );
    let rows = sqlx::query(&sql).bind(lot).fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| {
            Ok(ReleaseResultRecord {
                test_id: r.try_get("test_id")?,
                value: r.try_get("value")?,
                verdict: r.try_get("verdict")?,
                signed_by: r.try_get("signed_by")?,
                signer_name: r.try_get("signer_name")?,
                signed_at: r.try_get("signed_at")?,
            })
        })
        .collect()
}

pub(super) async fn decisions_of(
    conn: &mut AnyConnection,
    lot: i64,
) -> Result<Vec<LotDecisionRecord>> {
    let sql = render(
        dialect_of(conn),
        "SELECT decision, pending, reason, signed_by, signer_name, signed_at::instant \
         FROM product_lot_decisions WHERE lot_id = $1 ORDER BY id",
    );
    let rows = sqlx::query(&sql).bind(lot).fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| {
            let pending: Option<String> = r.try_get("pending")?;
            Ok(LotDecisionRecord {
                decision: r.try_get("decision")?,
                pending: super::split_pending(pending.as_deref()),
                reason: r.try_get("reason")?,
                signed_by: r.try_get("signed_by")?,
                signer_name: r.try_get("signer_name")?,
                signed_at: r.try_get("signed_at")?,
            })
        })
        .collect()
}

fn verdict_name(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
    }
}

fn value_text(v: &ResultValue) -> String {
    match v {
        ResultValue::Number(x) => format!("{x}"),
        ResultValue::Word(w) => w.trim().to_string(),
    }
}

/// Writes the lot's new state.
pub(super) async fn set_state(tx: &mut Tx<'_>, lot_id: i64, state: &LotState) -> Result<()> {
    let (pending, reason) = match state {
        LotState::ConditionallyReleased { pending } => (Some(pending.join(",")), None),
        LotState::Rejected { reason } | LotState::Recalled { reason } => {
            (None, Some(reason.clone()))
        }
        _ => (None, None),
    };
    sqlx::query("UPDATE product_lots SET state = $1, pending = $2, reason = $3 WHERE id = $4")
        .bind(state.name())
        .bind(pending)
        .bind(reason)
        .bind(lot_id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Queues one e-mail to each active user with an address who holds one of `roles` in the
/// study (at the site named beside the role, or at every site); how many were queued.
pub(super) async fn mail_roles(
    tx: &mut Tx<'_>,
    study: &str,
    roles: &[(Role, Option<&str>)],
    subject: &str,
    body: &str,
) -> Result<usize> {
    let mut to: Vec<(i64, String)> = Vec::new();
    for (role, site) in roles {
        let found: Vec<(i64, String)> = sqlx::query_as(
            "SELECT DISTINCT u.id, u.email FROM users u \
             JOIN role_assignments r ON r.user_id = u.id \
             WHERE r.study_id = $1 AND r.role = $2 AND ($3 = '' OR r.site_id IN ($4, '')) \
             AND u.active AND u.email IS NOT NULL AND u.email <> '' ORDER BY u.id",
        )
        .bind(study)
        .bind(role.as_str())
        .bind(site.unwrap_or(""))
        .bind(site.unwrap_or(""))
        .fetch_all(tx.conn())
        .await?;
        for f in found {
            if !to.iter().any(|(id, _)| *id == f.0) {
                to.push(f);
            }
        }
    }
    let insert = tx.sql(
        "INSERT INTO outbox (study_id, recipient_user_id, recipient, subject, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6::timestamptz)",
    );
    let at = now();
    for (user_id, email) in &to {
        sqlx::query(&insert)
            .bind(study)
            .bind(*user_id)
            .bind(email)
            .bind(subject)
            .bind(body)
            .bind(&at)
            .execute(tx.conn())
            .await?;
    }
    Ok(to.len())
}

/// In the write's transaction: notifies the sponsor and each recipient's investigator of a
/// lot's `kind` (`message`), and opens an event to follow for each recipient (`description`).
pub(super) async fn notify_recipients(
    tx: &mut Tx<'_>,
    study: &str,
    kind: &str,
    lot_id: i64,
    recipients: &[i64],
    message: &str,
    description: &str,
) -> Result<()> {
    let at = now();
    let insert = tx.sql(
        "INSERT INTO notifications (study_id, role, kind, participant_id, message, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6::timestamptz)",
    );
    let event = tx.sql(
        "INSERT INTO product_events (study_id, kind, lot_id, participant_id, description, \
         state, opened_at) VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz)",
    );
    let everyone = std::iter::once((Role::SponsorAdmin, None))
        .chain(recipients.iter().map(|p| (Role::Investigator, Some(*p))));
    for (role, participant) in everyone {
        sqlx::query(&insert)
            .bind(study)
            .bind(role.as_str())
            .bind(kind)
            .bind(participant)
            .bind(message)
            .bind(&at)
            .execute(tx.conn())
            .await?;
        let Some(participant) = participant else {
            continue;
        };
        sqlx::query(&event)
            .bind(study)
            .bind(kind)
            .bind(lot_id)
            .bind(participant)
            .bind(description)
            .bind("open")
            .bind(&at)
            .execute(tx.conn())
            .await?;
    }
    Ok(())
}

/// Tells the sponsor and the investigators of every participant given a unit of the lot, in
/// the application and by e-mail, and opens an event to follow for each recipient; returns
/// the participants.
async fn notify_late_failure(
    tx: &mut Tx<'_>,
    study: &str,
    lot: &Lot,
    test: &str,
) -> Result<Vec<i64>> {
    let dosed: Vec<(i64, String)> = sqlx::query_as(
        "SELECT DISTINCT a.participant_id, p.site_id FROM product_administrations a \
         JOIN product_units u ON u.id = a.unit_id \
         JOIN participants p ON p.id = a.participant_id \
         WHERE u.lot_id = $1 ORDER BY a.participant_id",
    )
    .bind(lot.id)
    .fetch_all(tx.conn())
    .await?;
    let message = format!(
        "Lot {} failed {test} after units were given to {} participant(s): contact each \
         recipient and follow them up",
        lot.lot_number,
        dosed.len()
    );
    let description = format!("Lot {} failed {test} after it was given", lot.lot_number);
    let recipients: Vec<i64> = dosed.iter().map(|(p, _)| *p).collect();
    notify_recipients(
        tx,
        study,
        LATE_FAILURE,
        lot.id,
        &recipients,
        &message,
        &description,
    )
    .await?;
    let mut sites: Vec<&str> = dosed.iter().map(|(_, s)| s.as_str()).collect();
    sites.sort_unstable();
    sites.dedup();
    let mut roles = vec![(Role::SponsorAdmin, None)];
    roles.extend(sites.into_iter().map(|s| (Role::Investigator, Some(s))));
    let subject = format!(
        "{study}: lot {} failed {test} after it was given",
        lot.lot_number
    );
    mail_roles(tx, study, &roles, &subject, &message).await?;
    Ok(recipients)
}

impl Store {
    /// Records QC's signed result of a release test on a lot (the password checked by the
    /// caller): judged against the criterion, the lot's state following the rules; a failure
    /// after units were given marks the lot's late failure and notifies the sponsor and the
    /// investigators of the recipients, in the same write.
    pub async fn record_release_result(
        &self,
        study: &str,
        lot_id: i64,
        test_id: &str,
        value: &ResultValue,
        signer_name: &str,
        by: &Actor,
    ) -> Result<Lot> {
        let (study, test_id, value, signer, by) = (
            study.to_string(),
            test_id.to_string(),
            value.clone(),
            signer_name.to_string(),
            by.clone(),
        );
        self.write("record_release_result", move |mut tx| {
            Box::pin(async move {
                let product = definition(tx.conn(), &study).await?;
                let current = lot(tx.conn(), &study, lot_id).await?;
                let Some(test) = product.test(&test_id) else {
                    let ids: Vec<&str> = product
                        .release_tests
                        .iter()
                        .map(|t| t.id.as_str())
                        .collect();
                    return Err(trial::Refusal::not_allowed("test_id", &test_id, &ids).into());
                };
                let verdict = judge(test, &value)?;
                let already = current.results.iter().any(|r| r.test_id == test_id);
                let (given,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM product_administrations a \
                     JOIN product_units u ON u.id = a.unit_id WHERE u.lot_id = $1",
                )
                .bind(lot_id)
                .fetch_one(tx.conn())
                .await?;
                let outcome = record_result(
                    &current.lot_state(),
                    test,
                    verdict,
                    already,
                    usize::try_from(given).unwrap_or(0),
                )?;
                let at = now();
                sqlx::query(&tx.sql(
                    "INSERT INTO product_release_results (lot_id, test_id, value, verdict, \
                     signed_by, signer_name, signed_at) VALUES ($1, $2, $3, $4, $5, $6, \
                     $7::timestamptz)",
                ))
                .bind(lot_id)
                .bind(&test_id)
                .bind(value_text(&value))
                .bind(verdict_name(verdict))
                .bind(&by.username)
                .bind(&signer)
                .bind(&at)
                .execute(tx.conn())
                .await?;
                let record = format!("lot/{lot_id}");
                let mut changes = vec![Change::new("sign", ENTITY, &record).set(
                    &format!("results.{test_id}"),
                    format!("{} ({})", value_text(&value), verdict_name(verdict)),
                )];
                if outcome.state != current.lot_state() {
                    set_state(&mut tx, lot_id, &outcome.state).await?;
                    changes.push(
                        Change::new("update", ENTITY, &record)
                            .set("state", outcome.state.name())
                            .was(current.lot_state().name()),
                    );
                }
                if outcome.late_failure {
                    let note = format!("{} failed after units were given", test.name);
                    sqlx::query("UPDATE product_lots SET late_failure = $1 WHERE id = $2")
                        .bind(&note)
                        .bind(lot_id)
                        .execute(tx.conn())
                        .await?;
                    let told = notify_late_failure(&mut tx, &study, &current, &test.name).await?;
                    changes.push(Change::new("notify", ENTITY, &record).set(
                        "late_failure",
                        format!("{note}; {} recipient(s) to follow", told.len()),
                    ));
                }
                tx.audit(&study, &by, &changes).await?;
                lot(tx.conn(), &study, lot_id).await
            })
        })
        .await
    }

    /// Records the qualified person's signed decision on a quarantined lot (the password
    /// checked by the caller): released, conditionally released naming the pending tests, or
    /// rejected with a reason, as the rules allow on its results.
    pub async fn decide_lot(
        &self,
        study: &str,
        lot_id: i64,
        disposition: &Disposition,
        signer_name: &str,
        by: &Actor,
    ) -> Result<Lot> {
        let (study, disposition, signer, by) = (
            study.to_string(),
            disposition.clone(),
            signer_name.to_string(),
            by.clone(),
        );
        self.write("decide_lot", move |mut tx| {
            Box::pin(async move {
                let product = definition(tx.conn(), &study).await?;
                let current = lot(tx.conn(), &study, lot_id).await?;
                let verdicts: Verdicts = current
                    .results
                    .iter()
                    .map(|r| {
                        let v = if r.verdict == "pass" {
                            Verdict::Pass
                        } else {
                            Verdict::Fail
                        };
                        (r.test_id.clone(), v)
                    })
                    .collect();
                let state =
                    decide_release(&product, &current.lot_state(), &verdicts, &disposition)?;
                let (decision, pending, reason) = match &state {
                    LotState::ConditionallyReleased { pending } => {
                        ("release_conditionally", Some(pending.join(",")), None)
                    }
                    LotState::Rejected { reason } => ("reject", None, Some(reason.clone())),
                    _ => ("release", None, None),
                };
                set_state(&mut tx, lot_id, &state).await?;
                sqlx::query(&tx.sql(
                    "INSERT INTO product_lot_decisions (lot_id, decision, pending, reason, \
                     signed_by, signer_name, signed_at) VALUES ($1, $2, $3, $4, $5, $6, \
                     $7::timestamptz)",
                ))
                .bind(lot_id)
                .bind(decision)
                .bind(&pending)
                .bind(&reason)
                .bind(&by.username)
                .bind(&signer)
                .bind(now())
                .execute(tx.conn())
                .await?;
                let record = format!("lot/{lot_id}");
                let change = Change::new("sign", ENTITY, &record)
                    .set("state", state.name())
                    .was(current.lot_state().name())
                    .because_of(pending.or(reason).as_deref());
                tx.audit(&study, &by, &[change]).await?;
                lot(tx.conn(), &study, lot_id).await
            })
        })
        .await
    }
}

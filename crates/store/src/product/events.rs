//! Events to follow that the product opens: a lot that failed a release test after it was
//! given opens one for each recipient (`release.rs`); the investigator or the sponsor closes it
//! with a note once the participant was contacted and followed up.

use serde::Serialize;
use sqlx::Row;
use trial::Change;

use super::{check_text, ENTITY};
use crate::db::Store;
use crate::model::{now, participant_in, scope_filter, Actor, Scope};
use crate::{not_found, Result, StoreError};

/// An event to follow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ProductEvent {
    /// Its id.
    pub id: i64,
    /// `product-late-failure`.
    pub kind: String,
    /// The lot.
    pub lot_id: i64,
    /// The lot's number.
    pub lot_number: String,
    /// The participant to follow.
    pub participant_id: Option<i64>,
    /// The participant's site.
    pub site_id: Option<String>,
    /// What happened.
    pub description: String,
    /// `open` or `closed`.
    pub state: String,
    /// When it was opened (UTC).
    #[schema(format = DateTime)]
    pub opened_at: String,
    /// Who closed it.
    pub closed_by: Option<String>,
    /// When (UTC).
    #[schema(format = DateTime)]
    pub closed_at: Option<String>,
    /// The follow-up's note.
    pub note: Option<String>,
}

const COLUMNS: &str = "e.id, e.kind, e.lot_id, l.lot_number, e.participant_id, p.site_id, \
    e.description, e.state, e.opened_at::instant, e.closed_by, e.closed_at::instant, e.note";

fn event_of(r: &sqlx::any::AnyRow) -> Result<ProductEvent> {
    Ok(ProductEvent {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        lot_id: r.try_get("lot_id")?,
        lot_number: r.try_get("lot_number")?,
        participant_id: r.try_get("participant_id")?,
        site_id: r.try_get("site_id")?,
        description: r.try_get("description")?,
        state: r.try_get("state")?,
        opened_at: r.try_get("opened_at")?,
        closed_by: r.try_get("closed_by")?,
        closed_at: r.try_get("closed_at")?,
        note: r.try_get("note")?,
    })
}

impl Store {
    /// The product's events about participants in scope (and, for a study-wide caller, those
    /// about none), open first, newest first.
    pub async fn product_events(&self, scope: &Scope) -> Result<Vec<ProductEvent>> {
        let (filter, values) = scope_filter(scope, 2);
        let none = if matches!(scope, Scope::Study(_)) {
            "e.participant_id IS NULL OR "
        } else {
            ""
        };
        let sql = self.sql(&format!(
            "SELECT {COLUMNS} FROM product_events e JOIN product_lots l ON l.id = e.lot_id \
             LEFT JOIN participants p ON p.id = e.participant_id \
             WHERE e.study_id = $1 AND ({none}e.participant_id IN \
             (SELECT id FROM participants WHERE {filter})) \
             ORDER BY CASE WHEN e.state = 'open' THEN 0 ELSE 1 END, e.id DESC"
        ));
        let mut q = sqlx::query(&sql).bind(scope.study());
        for v in &values {
            q = q.bind(v);
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(event_of).collect()
    }

    /// Closes an open event about a participant in scope with the follow-up's note.
    pub async fn close_product_event(
        &self,
        scope: &Scope,
        id: i64,
        note: &str,
        by: &Actor,
    ) -> Result<ProductEvent> {
        let note = check_text("note", note)?;
        let (scope, by) = (scope.clone(), by.clone());
        self.write("close_product_event", move |mut tx| {
            Box::pin(async move {
                let study = scope.study().to_string();
                let row: Option<(Option<i64>, String)> = sqlx::query_as(
                    "SELECT participant_id, state FROM product_events \
                     WHERE id = $1 AND study_id = $2",
                )
                .bind(id)
                .bind(&study)
                .fetch_optional(tx.conn())
                .await?;
                let Some((participant, state)) = row else {
                    return Err(not_found("event", id));
                };
                match participant {
                    Some(p) => {
                        participant_in(tx.conn(), &scope, p)
                            .await
                            .map_err(|_| not_found("event", id))?;
                    }
                    None if !matches!(scope, Scope::Study(_)) => {
                        return Err(not_found("event", id));
                    }
                    None => {}
                }
                if state != "open" {
                    return Err(StoreError::Conflict {
                        field: "state".into(),
                        message: format!("event {id} is {state} already"),
                    });
                }
                sqlx::query(&tx.sql(
                    "UPDATE product_events SET state = $1, closed_by = $2, \
                     closed_at = $3::timestamptz, note = $4 WHERE id = $5",
                ))
                .bind("closed")
                .bind(&by.username)
                .bind(now())
                .bind(&note)
                .bind(id)
                .execute(tx.conn())
                .await?;
                let change = Change::new("update", ENTITY, format!("event/{id}"))
                    .set("state", "closed")
                    .was("open")
                    .because(&note);
                tx.audit(&study, &by, &[change]).await?;
                let sql = tx.sql(&format!(
                    "SELECT {COLUMNS} FROM product_events e \
                     JOIN product_lots l ON l.id = e.lot_id \
                     LEFT JOIN participants p ON p.id = e.participant_id WHERE e.id = $1"
                ));
                let row = sqlx::query(&sql).bind(id).fetch_one(tx.conn()).await?;
                event_of(&row)
            })
        })
        .await
    }
}

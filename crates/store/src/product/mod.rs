//! The cell product (issue #17): the product definition of a study (here); master cell banks
//! and lots (`lots.rs`); their units (active and placebo, labelled alike) and the storage
//! locations (`units.rs`); release results and the qualified person's decisions
//! (`release.rs`); shipments, hand-overs, logger files and the decisions on a shipment's
//! condition, and the kit ↔ unit link (`custody.rs`); the bedside check and the administration
//! record (`bedside.rs`), which is the participant's dose (`dosing.rs`: the doses a dosing
//! visit shows, the study's exposure); the trace from a lot to its recipients and from a
//! participant back to the donor (`trace.rs`); the events to follow a late release failure
//! or a recall opens (`events.rs`); each site's stock, the resupply notice and the expiry sweep
//! (`supply.rs`); a lot's recall and whom to contact (`recall.rs`).
//!
//! The rules are `trial::product`'s. What reveals the blind — a unit's placebo flag, the kit a
//! unit is linked to, the unit a participant was given — is audited on the study's unblinded
//! chain; the records carry it, and the API shows it to unblinded callers only.

mod bedside;
mod custody;
mod dosing;
mod events;
mod lots;
mod recall;
mod release;
mod supply;
mod trace;
mod units;

pub use bedside::{AdministrationRecord, NewAdministration};
pub use custody::{
    ExcursionRecord, HandoverRecord, LoggerImport, NewHandover, NewShipment, ShipmentRecord,
};
pub use dosing::{DoseGiven, Exposure};
pub use events::ProductEvent;
pub use lots::{Bank, Lot, NewBank, NewLot};
pub use recall::{RecallContacts, RecallParticipant, RecallPerson, RecallSite, RECALL};
pub use release::{LotDecisionRecord, ReleaseResultRecord, LATE_FAILURE};
pub use supply::{SiteStock, StockLot, Supply, RESUPPLY};
pub use trace::{LotTrace, ParticipantTrace, Recipient, TracedAdministration};
pub use units::{Location, NewLocation, NewUnit, Unit};

pub(crate) use lots::{lot, split_pending, state_of};
pub(crate) use units::{unit, unit_by_label};

use sqlx::AnyConnection;
use trial::product::release::ProductDefinition;
use trial::Change;

use crate::db::{Store, Tx};
use crate::model::{now, Actor};
use crate::{not_found, unblinded_chain, Result, StoreError};

/// The audit entity of the product's records.
pub(crate) const ENTITY: &str = "product";

/// A code of `[A-Z0-9-]`, 1–32 characters, or a refusal naming the field.
pub(crate) fn check_code(field: &str, code: &str) -> Result<String> {
    let code = code.trim();
    if (1..=32).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
    {
        Ok(code.to_string())
    } else {
        Err(StoreError::Invalid {
            field: field.into(),
            message: "must be 1 to 32 of A-Z, 0-9 and -".into(),
        })
    }
}

/// A required text of at most 200 characters.
pub(crate) fn check_text(field: &str, text: &str) -> Result<String> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 200 {
        return Err(StoreError::Invalid {
            field: field.into(),
            message: "is required (1 to 200 characters)".into(),
        });
    }
    Ok(text.to_string())
}

/// The product definition loaded for a study, or a conflict naming the step that loads it.
pub(crate) async fn definition(conn: &mut AnyConnection, study: &str) -> Result<ProductDefinition> {
    let source: Option<(String,)> =
        sqlx::query_as("SELECT source FROM product_definitions WHERE study_id = $1")
            .bind(study)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((source,)) = source else {
        return Err(StoreError::Conflict {
            field: "product".into(),
            message: format!("study {study} has no product definition loaded yet"),
        });
    };
    ProductDefinition::from_toml(&source).map_err(|e| StoreError::Conflict {
        field: "product".into(),
        message: e.to_string(),
    })
}

impl Store {
    /// Loads (or replaces) a study's product definition from its TOML text, checked whole
    /// (every problem named by its key path) and audited with its SHA-256.
    pub async fn load_product_definition(
        &self,
        study: &str,
        source: &str,
        by: &Actor,
    ) -> Result<ProductDefinition> {
        let product = ProductDefinition::from_toml(source).map_err(|e| StoreError::Invalid {
            field: "definition".into(),
            message: e.to_string(),
        })?;
        let digest = trial::labs::import::digest(source);
        let (study, source, by, out) = (
            study.to_string(),
            source.to_string(),
            by.clone(),
            product.clone(),
        );
        self.write("load_product_definition", move |mut tx| {
            Box::pin(async move {
                sqlx::query(&tx.sql("DELETE FROM product_definitions WHERE study_id = $1"))
                    .bind(&study)
                    .execute(tx.conn())
                    .await?;
                sqlx::query(&tx.sql(
                    "INSERT INTO product_definitions (study_id, product_id, source, digest, \
                     loaded_by, loaded_at) VALUES ($1, $2, $3, $4, $5, $6::timestamptz)",
                ))
                .bind(&study)
                .bind(&product.id)
                .bind(&source)
                .bind(&digest)
                .bind(&by.username)
                .bind(now())
                .execute(tx.conn())
                .await
                .map_err(|e| match e {
                    sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                        not_found("study", &study)
                    }
                    e => e.into(),
                })?;
                let change = Change::new("load", ENTITY, format!("definition/{study}"))
                    .set("definition", format!("{} sha256 {digest}", product.id));
                tx.audit(&study, &by, &[change]).await?;
                Ok(out)
            })
        })
        .await
    }

    /// The study's product definition, when one is loaded.
    pub async fn product_definition(&self, study: &str) -> Result<Option<ProductDefinition>> {
        let mut conn = self.pool.acquire().await?;
        match definition(&mut conn, study).await {
            Ok(p) => Ok(Some(p)),
            Err(StoreError::Conflict { field, .. }) if field == "product" => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Appends the product's audit rows: `open` on the study's chain, `blind` on its unblinded
/// chain.
pub(crate) async fn audit_both(
    tx: &mut Tx<'_>,
    study: &str,
    by: &Actor,
    open: &[Change],
    blind: &[Change],
) -> Result<()> {
    if !open.is_empty() {
        tx.audit(study, by, open).await?;
    }
    if !blind.is_empty() {
        tx.audit(&unblinded_chain(study), by, blind).await?;
    }
    Ok(())
}

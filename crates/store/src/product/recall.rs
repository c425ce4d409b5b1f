//! A lot's recall (`trial::product::recall`): the lot marked recalled with the reason and the
//! signer, in one write with its audit; the units not given become unusable with it (their
//! lot is no longer usable: the bedside refuses them naming the recall, and they leave the
//! sites' stock, which is looked at); the sponsor and each participant's investigator are told
//! in the application, the sponsor and the sites' investigators and pharmacists by e-mail, and
//! an event to follow is opened for each recipient. Whom to contact is read back
//! ([`Store::recall_contacts`]): sites, participants and investigators, never a unit's
//! treatment.

use serde::Serialize;
use sqlx::AnyConnection;
use time::Date;
use trial::product::custody::UnitStatus;
use trial::product::recall::{recall, sites_to_contact};
use trial::{Change, Role};

use super::release::{mail_roles, set_state};
use super::{lot, Lot, ENTITY};
use crate::db::{Store, Tx};
use crate::model::{now, Actor, Scope};
use crate::Result;

/// The kind of notification (and of event to follow) of a recall.
pub const RECALL: &str = "product-recall";

/// A participant to contact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RecallParticipant {
    /// The participant.
    pub participant_id: i64,
    /// The subject id.
    pub subject_id: Option<String>,
}

/// A person to contact at a site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RecallPerson {
    /// The account.
    pub username: String,
    /// The printed name.
    pub full_name: String,
    /// The e-mail address, when known.
    pub email: Option<String>,
}

/// A site to contact about a recalled lot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RecallSite {
    /// The site.
    pub site_id: String,
    /// Units of the lot it holds that were not given (now unusable).
    pub units_held: u32,
    /// Its participants who were given a unit of the lot.
    pub participants: Vec<RecallParticipant>,
    /// Its investigators.
    pub investigators: Vec<RecallPerson>,
}

/// Whom to contact about a recalled lot (the sites in the caller's scope).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RecallContacts {
    /// The lot.
    pub lot_id: i64,
    /// Its number.
    pub lot_number: String,
    /// Why it was recalled.
    pub reason: String,
    /// Units not shipped, at the manufacturer (study-wide callers only; 0 otherwise).
    pub units_at_manufacturer: u32,
    /// The sites, by id.
    pub sites: Vec<RecallSite>,
}

/// The sites of the lot's units not given (one entry per unit; none at the manufacturer),
/// how many are at the manufacturer, and each administration's participant and site.
async fn whereabouts(
    conn: &mut AnyConnection,
    lot_id: i64,
) -> Result<(Vec<String>, u32, Vec<(i64, String)>)> {
    let held: Vec<(Option<String>,)> = sqlx::query_as(
        "SELECT s.site_id FROM product_units u \
         LEFT JOIN product_shipments s ON s.id = u.shipment_id \
         WHERE u.lot_id = $1 AND u.status = $2 ORDER BY u.id",
    )
    .bind(lot_id)
    .bind(UnitStatus::Available.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let at_manufacturer = held.iter().filter(|(s,)| s.is_none()).count();
    let held = held.into_iter().filter_map(|(s,)| s).collect();
    let dosed: Vec<(i64, String)> = sqlx::query_as(
        "SELECT a.participant_id, p.site_id FROM product_administrations a \
         JOIN product_units u ON u.id = a.unit_id \
         JOIN participants p ON p.id = a.participant_id \
         WHERE u.lot_id = $1 ORDER BY a.participant_id",
    )
    .bind(lot_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok((
        held,
        u32::try_from(at_manufacturer).unwrap_or(u32::MAX),
        dosed,
    ))
}

/// The contacts of a recalled lot for `scope` (`None` when the lot is not recalled).
async fn contacts(
    conn: &mut AnyConnection,
    scope: &Scope,
    lot: &Lot,
) -> Result<Option<RecallContacts>> {
    if lot.state != "recalled" {
        return Ok(None);
    }
    let study = scope.study();
    let (held, at_manufacturer, dosed) = whereabouts(conn, lot.id).await?;
    let mut sites = Vec::new();
    for site in sites_to_contact(&held, &dosed) {
        if !scope.includes_site(&site.site_id) {
            continue;
        }
        let mut participants = Vec::with_capacity(site.participants.len());
        for id in site.participants {
            let (subject_id,): (Option<String>,) =
                sqlx::query_as("SELECT subject_id FROM participants WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *conn)
                    .await?;
            participants.push(RecallParticipant {
                participant_id: id,
                subject_id,
            });
        }
        let people: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT DISTINCT u.username, u.full_name, u.email FROM users u \
             JOIN role_assignments r ON r.user_id = u.id \
             WHERE r.study_id = $1 AND r.role = $2 AND r.site_id IN ($3, '') AND u.active \
             ORDER BY u.username",
        )
        .bind(study)
        .bind(Role::Investigator.as_str())
        .bind(&site.site_id)
        .fetch_all(&mut *conn)
        .await?;
        sites.push(RecallSite {
            site_id: site.site_id,
            units_held: site.units_held,
            participants,
            investigators: people
                .into_iter()
                .map(|(username, full_name, email)| RecallPerson {
                    username,
                    full_name,
                    email: email.filter(|e| !e.is_empty()),
                })
                .collect(),
        });
    }
    Ok(Some(RecallContacts {
        lot_id: lot.id,
        lot_number: lot.lot_number.clone(),
        reason: lot.reason.clone().unwrap_or_default(),
        units_at_manufacturer: if matches!(scope, Scope::Study(_)) {
            at_manufacturer
        } else {
            0
        },
        sites,
    }))
}

/// Tells everyone to contact: the sponsor (in the application and by e-mail), each
/// recipient's investigator (in the application, with an event to follow), and each site's
/// investigators and unblinded pharmacists by e-mail; how many e-mails were queued.
async fn tell(
    tx: &mut Tx<'_>,
    study: &str,
    lot: &Lot,
    reason: &str,
    sites: &[trial::product::recall::SiteToContact],
) -> Result<usize> {
    let recipients: usize = sites.iter().map(|s| s.participants.len()).sum();
    let held: u32 = sites.iter().map(|s| s.units_held).sum();
    let message = format!(
        "Lot {} is recalled ({reason}): its {held} unit(s) at sites must not be given; contact \
         each of its {recipients} recipient(s) and follow them up",
        lot.lot_number
    );
    let description = format!("Lot {} was recalled: {reason}", lot.lot_number);
    let participants: Vec<i64> = sites
        .iter()
        .flat_map(|s| s.participants.iter().copied())
        .collect();
    super::release::notify_recipients(
        tx,
        study,
        RECALL,
        lot.id,
        &participants,
        &message,
        &description,
    )
    .await?;
    let mut roles = vec![(Role::SponsorAdmin, None)];
    for s in sites {
        roles.push((Role::Investigator, Some(s.site_id.as_str())));
        if s.units_held > 0 {
            roles.push((Role::UnblindedPharmacist, Some(s.site_id.as_str())));
        }
    }
    let subject = format!("{study}: lot {} is recalled", lot.lot_number);
    mail_roles(tx, study, &roles, &subject, &message).await
}

impl Store {
    /// Recalls a lot for `reason`, signed by `signer_name` (the password checked by the
    /// caller, who may recall: `trial::product::recall::may_recall`): the lot becomes
    /// `recalled` (refused for a rejected or recalled lot), its units not given unusable, the
    /// sites holding them looked at on `today`, everyone to contact told (see the module), all
    /// in one write. Returns the lot and whom to contact.
    pub async fn recall_lot(
        &self,
        study: &str,
        lot_id: i64,
        reason: &str,
        signer_name: &str,
        today: Date,
        by: &Actor,
    ) -> Result<(Lot, RecallContacts)> {
        let (study, reason, signer, by) = (
            study.to_string(),
            reason.to_string(),
            signer_name.to_string(),
            by.clone(),
        );
        self.write("recall_lot", move |mut tx| {
            Box::pin(async move {
                let current = lot(tx.conn(), &study, lot_id).await?;
                let was = current.lot_state();
                let state = recall(&was, &reason)?;
                let reason = reason.trim().to_string();
                set_state(&mut tx, lot_id, &state).await?;
                sqlx::query(&tx.sql(
                    "INSERT INTO product_lot_decisions (lot_id, decision, pending, reason, \
                     signed_by, signer_name, signed_at) VALUES ($1, $2, $3, $4, $5, $6, \
                     $7::timestamptz)",
                ))
                .bind(lot_id)
                .bind("recall")
                .bind(None::<String>)
                .bind(&reason)
                .bind(&by.username)
                .bind(&signer)
                .bind(now())
                .execute(tx.conn())
                .await?;
                let (held, at_manufacturer, dosed) = whereabouts(tx.conn(), lot_id).await?;
                let sites = sites_to_contact(&held, &dosed);
                let mailed = tell(&mut tx, &study, &current, &reason, &sites).await?;
                let record = format!("lot/{lot_id}");
                let recipients: usize = sites.iter().map(|s| s.participants.len()).sum();
                let changes = [
                    Change::new("sign", ENTITY, &record)
                        .set("state", state.name())
                        .was(was.name())
                        .because(&reason),
                    Change::new("notify", ENTITY, &record).set(
                        "recall",
                        format!(
                            "{} unit(s) not given made unusable ({at_manufacturer} at the \
                             manufacturer); {} site(s), {recipients} recipient(s) to follow; \
                             {mailed} e-mail(s)",
                            held.len() + at_manufacturer as usize,
                            sites.len()
                        ),
                    ),
                ];
                tx.audit(&study, &by, &changes).await?;
                for site in sites.iter().filter(|s| s.units_held > 0) {
                    super::supply::look_at_site(&mut tx, &study, &site.site_id, today).await?;
                }
                let recalled = lot(tx.conn(), &study, lot_id).await?;
                let scope = Scope::Study(study.clone());
                let contacts = contacts(tx.conn(), &scope, &recalled)
                    .await?
                    .unwrap_or_else(|| RecallContacts {
                        lot_id,
                        lot_number: recalled.lot_number.clone(),
                        reason: reason.clone(),
                        units_at_manufacturer: at_manufacturer,
                        sites: Vec::new(),
                    });
                Ok((recalled, contacts))
            })
        })
        .await
    }

    /// Whom to contact about a recalled lot, the sites in `scope` (`None` when the lot is not
    /// recalled): each site holding its units or whose participants were given one, those
    /// participants and the site's investigators.
    pub async fn recall_contacts(
        &self,
        scope: &Scope,
        lot_id: i64,
    ) -> Result<Option<RecallContacts>> {
        let mut conn = self.pool.acquire().await?;
        let lot = lot(&mut conn, scope.study(), lot_id).await?;
        contacts(&mut conn, scope, &lot).await
    }
}

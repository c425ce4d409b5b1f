//! Electronic signatures: the password re-entered (21 CFR 11.200: both components, the user ID
//! of the session and the password), checked in one place for everything that is signed.

use store::Scope;
use trial::SignedRecord;

use crate::app::App;
use crate::auth::CurrentUser;
use crate::error::ApiError;

/// What did not happen, said in a refusal.
fn not_done(what: &SignedRecord) -> &'static str {
    match what {
        SignedRecord::Visit(_) => "the visit was not signed",
        SignedRecord::Casebook => "the casebook was not signed",
        SignedRecord::Unblinding => "the participant was not unblinded",
        SignedRecord::DoseOverride => "the override was not signed",
        SignedRecord::DltAssessment => "the assessment was not signed",
        SignedRecord::AdverseEvent(_) => "the adverse event was not signed",
        SignedRecord::DsmbDecision(_) => "the decision was not recorded",
        SignedRecord::Product(_) => "the product record was not signed",
        SignedRecord::DatabaseLock => "the study was not locked",
        SignedRecord::StudyUnblinding => "the study was not unblinded",
    }
}

/// Whether the password re-entered is the signer's, checked off the async threads.
async fn verified(me: &CurrentUser, password: String) -> Result<bool, ApiError> {
    let stored = me.user.password_hash.clone();
    tokio::task::spawn_blocking(move || store::password::verify(&password, &stored))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// Checks the password re-entered by the signer, off the async threads. A wrong one is
/// recorded against the participant and refused (401); nothing is signed.
pub async fn reenter(
    app: &App,
    me: &CurrentUser,
    scope: &Scope,
    participant_id: i64,
    what: SignedRecord,
    password: String,
) -> Result<(), ApiError> {
    if verified(me, password).await? {
        return Ok(());
    }
    app.store
        .signature_refused(scope, participant_id, &what, &me.actor())
        .await?;
    Err(ApiError::Unauthorized(format!(
        "wrong password: {}",
        not_done(&what)
    )))
}

/// The same check for what is signed for a whole study rather than a participant (a DSMB
/// decision): a wrong password is recorded on the study's chain and refused (401).
pub async fn reenter_for_study(
    app: &App,
    me: &CurrentUser,
    study: &str,
    what: SignedRecord,
    password: String,
) -> Result<(), ApiError> {
    if verified(me, password).await? {
        return Ok(());
    }
    app.store
        .dsmb_signature_refused(study, &what, &me.actor())
        .await?;
    Err(ApiError::Unauthorized(format!(
        "wrong password: {}",
        not_done(&what)
    )))
}

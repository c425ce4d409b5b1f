//! Electronic signatures: the password re-entered (21 CFR 11.200: both components, the user ID
//! of the session and the password), checked in one place for everything that is signed.

use store::Scope;

use crate::app::App;
use crate::auth::CurrentUser;
use crate::error::ApiError;

/// What the re-entered password was to sign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToSign<'a> {
    /// A visit (its forms).
    Visit(&'a str),
    /// The whole casebook.
    Casebook,
    /// An emergency unblinding.
    Unblinding,
    /// The sponsor's override of the 3+3 rule.
    DoseOverride,
    /// A DLT assessment.
    DltAssessment,
}

impl ToSign<'_> {
    /// What did not happen, for the refusal.
    fn not_done(self) -> &'static str {
        match self {
            ToSign::Visit(_) => "the visit was not signed",
            ToSign::Casebook => "the casebook was not signed",
            ToSign::Unblinding => "the participant was not unblinded",
            ToSign::DoseOverride => "the override was not signed",
            ToSign::DltAssessment => "the assessment was not signed",
        }
    }
}

/// Checks the password re-entered by the signer, off the async threads. A wrong one is
/// recorded against the participant and refused (401); nothing is signed.
pub async fn reenter(
    app: &App,
    me: &CurrentUser,
    scope: &Scope,
    participant_id: i64,
    what: ToSign<'_>,
    password: String,
) -> Result<(), ApiError> {
    let stored = me.user.password_hash.clone();
    let ok = tokio::task::spawn_blocking(move || store::password::verify(&password, &stored))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    if ok {
        return Ok(());
    }
    // The one place that names the store's refusal records (the store will take one kind).
    let (store, by) = (&app.store, me.actor());
    match what {
        ToSign::Visit(visit) => {
            store
                .sign_failed(scope, participant_id, Some(visit), &by)
                .await?
        }
        ToSign::Casebook => store.sign_failed(scope, participant_id, None, &by).await?,
        ToSign::Unblinding => store.unblind_failed(scope, participant_id, &by).await?,
        ToSign::DoseOverride => {
            store
                .signature_refused(scope, participant_id, "dose-override", &by)
                .await?
        }
        ToSign::DltAssessment => {
            store
                .signature_refused(scope, participant_id, "dlt-assessment", &by)
                .await?
        }
    }
    Err(ApiError::Unauthorized(format!(
        "wrong password: {}",
        what.not_done()
    )))
}

//! The investigator's signature of an adverse event's assessment (21 CFR 11.50, 11.200: the
//! user ID of the session and the password re-entered, with the meaning), bound to the event as
//! it stands; a later change voids it. A wrong password is recorded against the event (401).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::on;
use axum::Json;
use serde::Deserialize;
use store::{AdverseEventRecord, EventSigning};
use trial::SignedRecord;

use super::{ae_id, EventPath};
use crate::access::Operation;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::esign;
use crate::extract::{parse_body, JsonBody, ParticipantPath};
use crate::openapi::Endpoint;

/// The operations of the adverse event's signature.
pub(crate) const OPERATIONS: &[Endpoint] = &[Endpoint::post(
    "/api/studies/{study}/participants/{id}/adverse-events/{ae}/signature",
    "signAdverseEvent",
    "Sign an adverse event's assessment (investigator of the site): re-enter the password and give the meaning (authored, reviewed, approved). Any later change voids it",
    |m| on(m, sign),
)
.body::<SignInput>()
.creates::<AdverseEventRecord>()];

/// A signing: the password re-entered, and what the signature means.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SignInput {
    password: String,
    #[schema(value_type = trial::Meaning)]
    meaning: String,
}

/// `POST /api/studies/{study}/participants/{id}/adverse-events/{ae}/signature`
async fn sign(
    State(state): State<AppState>,
    me: CurrentUser,
    path: ParticipantPath,
    Path(EventPath { ae }): Path<EventPath>,
    body: JsonBody,
) -> Result<(StatusCode, Json<AdverseEventRecord>), ApiError> {
    let (scope, id) = path.write(&state, &me, Operation::Sign).await?;
    let ae = ae_id(&ae)?;
    let input: SignInput = parse_body(&body)?;
    // The event must exist (and be in scope) before a password is worth checking.
    state.store.adverse_event(&scope, id, ae).await?;
    trial::Meaning::parse_field("meaning", &input.meaning)?;
    esign::reenter(
        &state,
        &me,
        &scope,
        id,
        SignedRecord::AdverseEvent(ae),
        input.password,
    )
    .await?;
    let signing = EventSigning {
        participant_id: id,
        ae_id: ae,
        meaning: input.meaning,
        signer: &me.user,
    };
    let signed = state
        .store
        .sign_adverse_event(&scope, &signing, &me.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(signed)))
}

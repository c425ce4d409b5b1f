//! A request id and a span for every HTTP request.
//!
//! Each request gets an id (the caller's `X-Request-Id` when it is a plain token, else a new
//! random one), sent back in `X-Request-Id`, and runs inside a span `request` that names the
//! method and the route's template (`/api/studies/{study}/participants/{id}`), never the path
//! as sent or the query string: log lines carry no participant's data and no arm. Its end is
//! logged with the status and the time taken; every event inside (an internal error, a
//! store's write span) carries the id.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// The header that carries a request's id.
pub const REQUEST_ID: &str = "x-request-id";

/// The caller's id when it is a plain token of 1 to 64 letters, digits, `-` or `_`; else a
/// new one.
fn request_id(req: &Request) -> String {
    let given = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (1..=64).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    match given {
        Some(id) => id.to_string(),
        None => hex::encode(rand::random::<[u8; 8]>()),
    }
}

/// The middleware: runs the request inside its span and logs its end.
pub async fn request_span(req: Request, next: Next) -> Response {
    let id = request_id(&req);
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("(no route)", |p| p.as_str())
        .to_string();
    let span = tracing::info_span!("request", id = %id, method = %req.method(), route = %route);
    let started = Instant::now();
    let mut response = next.run(req).instrument(span.clone()).await;
    let status = response.status().as_u16();
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    span.in_scope(|| tracing::info!(status, micros, "request done"));
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

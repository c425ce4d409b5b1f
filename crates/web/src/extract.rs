//! What every handler takes from a request: the JSON body (read after the access check), a
//! participant's path with the scope of a read or a write on it, the caller's roles in a study.

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use store::Scope;
use trial::Role;

use crate::access::{require, Operation};
use crate::app::App;
use crate::auth::CurrentUser;
use crate::error::{ApiError, FieldProblem};

/// The most a request body may hold (the router sets it as the limit, and the 413 names it).
pub const MAX_BODY: usize = 2 * 1024 * 1024;

/// A request body taken to be read as JSON by [`parse_body`]: the bytes, and whether the
/// request declared them JSON. Reading the bytes fails only for a body that is too large (413)
/// or cut short; the content type and the JSON are checked by [`parse_body`], after the
/// caller's rights, so that someone who may not do an operation learns nothing from how their
/// request was wrong.
pub struct JsonBody {
    bytes: Bytes,
    content_type: Option<String>,
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<JsonBody, ApiError> {
        let content_type = req
            .headers()
            .get(CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            match rejection.status() {
                StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge(MAX_BODY),
                _ => ApiError::BadRequest(format!(
                    "the request body could not be read: {}",
                    rejection.body_text()
                )),
            }
        })?;
        Ok(JsonBody {
            bytes,
            content_type,
        })
    }
}

impl JsonBody {
    /// Reads a request's body up to `limit` bytes, a smaller limit than the router's (413
    /// beyond it, without reading further).
    pub async fn read(request: Request, limit: usize) -> Result<JsonBody, ApiError> {
        let content_type = request
            .headers()
            .get(CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let bytes = axum::body::to_bytes(request.into_body(), limit)
            .await
            .map_err(|e| {
                let e = e.to_string();
                if e.contains("length limit") {
                    ApiError::TooLarge(limit)
                } else {
                    ApiError::BadRequest(format!("the request body could not be read: {e}"))
                }
            })?;
        Ok(JsonBody {
            bytes,
            content_type,
        })
    }
}

/// Whether a `Content-Type` names JSON: `application/json` or `application/…+json`, with any
/// parameters.
fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|sub| sub.ends_with("+json"))
}

/// Reads a JSON request body, after the caller's rights were checked. A body that is not
/// declared JSON is refused with 415; one that is not JSON, or not what the operation takes,
/// with 400 naming each field at fault by its path (`sex`, `exam.c5RightMotor`,
/// `kits[2].number`) and, for a word not allowed, the allowed words.
pub fn parse_body<T: DeserializeOwned>(body: &JsonBody) -> Result<T, ApiError> {
    match body.content_type.as_deref() {
        Some(ct) if is_json(ct) => {}
        other => {
            return Err(ApiError::UnsupportedMediaType(format!(
                "the request body must be JSON (Content-Type: application/json), not {}",
                other.unwrap_or("a body without a Content-Type")
            )))
        }
    }
    let not_json = |e: &serde_json::Error| {
        ApiError::Malformed(vec![FieldProblem::new("body", format!("is not JSON: {e}"))])
    };
    let mut reader = serde_json::Deserializer::from_slice(&body.bytes);
    let value = serde_path_to_error::deserialize(&mut reader).map_err(|e| {
        let inner = e.inner();
        if !inner.is_data() {
            return not_json(inner);
        }
        let message = inner.to_string();
        let message = match message.rfind(" at line ") {
            Some(at) => message[..at].to_string(),
            None => message,
        };
        ApiError::Malformed(vec![FieldProblem::new(
            field_of(&e.path().to_string(), &message),
            message,
        )])
    })?;
    reader.end().map_err(|e| not_json(&e))?;
    refuse_nul(&body.bytes)?;
    Ok(value)
}

/// Refuses a body with a NUL character (`\u0000`) in a string, naming the member: no database
/// column stores one (PostgreSQL refuses it in text), and no field of ours means it.
fn refuse_nul(bytes: &[u8]) -> Result<(), ApiError> {
    if !bytes.windows(6).any(|w| w == b"\\u0000") {
        return Ok(());
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return Ok(());
    };
    match nul_path(&value, String::new()) {
        Some(path) => Err(ApiError::field(
            if path.is_empty() { "body".into() } else { path },
            "must not contain the NUL character (U+0000)",
        )),
        None => Ok(()),
    }
}

/// The path of the first string (or member name) holding a NUL character.
fn nul_path(value: &serde_json::Value, path: String) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(s) if s.contains('\0') => Some(path),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_path(v, format!("{path}[{i}]"))),
        Value::Object(members) => members.iter().find_map(|(k, v)| {
            let name = k.replace('\0', "\\0");
            let path = if path.is_empty() {
                name
            } else {
                format!("{path}.{name}")
            };
            if k.contains('\0') {
                Some(path)
            } else {
                nul_path(v, path)
            }
        }),
        _ => None,
    }
}

/// The field an error of serde names: its path, and for a missing or unknown member the
/// member's name beneath it (serde reports those at the object that holds them).
fn field_of(path: &str, message: &str) -> String {
    let named = ["missing field `", "unknown field `", "duplicate field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    let path = if path == "." { "" } else { path };
    match named {
        Some(name) if !path.ends_with(name) => {
            if path.is_empty() {
                name.to_string()
            } else {
                format!("{path}.{name}")
            }
        }
        _ if path.is_empty() => "body".to_string(),
        _ => path.to_string(),
    }
}

/// A query string read as `T`; its problems come back as our JSON errors, 400 naming the
/// parameter (a missing one, a value of the wrong type, an unknown one).
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Query<T>, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        if let Some((name, _)) = form_urlencoded::parse(query.as_bytes())
            .find(|(name, value)| name.contains('\0') || value.contains('\0'))
        {
            return Err(ApiError::field(
                name.replace('\0', "\\0"),
                "must not contain the NUL character (U+0000)",
            ));
        }
        let reader = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(reader)
            .map(Query)
            .map_err(|e| {
                let message = e.inner().to_string();
                let field = field_of(&e.path().to_string(), &message);
                let field = if field == "body" {
                    "query".into()
                } else {
                    field
                };
                ApiError::Malformed(vec![FieldProblem::new(
                    field,
                    format!("in the query string: {message}"),
                )])
            })
    }
}

/// A participant's id from the path; 404 when it is not a number.
pub fn record_id(text: &str) -> Result<i64, ApiError> {
    text.parse()
        .map_err(|_| ApiError::NotFound(format!("participant {text} not found")))
}

/// The participant of a path `…/studies/{study}/participants/{id}…`. The id is checked only when
/// the scope is asked for, in the order the API has always answered: for a read, the caller's
/// role in the study first; for a write, the id first.
#[derive(Debug, Deserialize)]
pub struct ParticipantPath {
    /// The study.
    pub study: String,
    /// The participant's id as given.
    id: String,
}

impl<S: Send + Sync> FromRequestParts<S> for ParticipantPath {
    type Rejection = PathRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, PathRejection> {
        let Path(path) = Path::<ParticipantPath>::from_request_parts(parts, state).await?;
        Ok(path)
    }
}

impl ParticipantPath {
    /// The scope in which the caller reads participants of the study, and the id.
    pub fn read(&self, me: &CurrentUser) -> Result<(Scope, i64), ApiError> {
        let scope = require(&me.roles, &self.study, Operation::ReadParticipants)?;
        Ok((scope, record_id(&self.id)?))
    }

    /// The scope of a write on the participant, and the id: 404 when the caller cannot even
    /// see it, 403 when their roles do not allow the write.
    pub async fn write(
        &self,
        app: &App,
        me: &CurrentUser,
        op: Operation,
    ) -> Result<(Scope, i64), ApiError> {
        let id = record_id(&self.id)?;
        Ok((write_scope(app, me, &self.study, id, op).await?, id))
    }

    /// [`ParticipantPath::write`] for a write whose store operation itself refuses a
    /// participant outside the scope it is given, as not found (a save of a form): the
    /// participant is read here only when the caller's roles do not allow the write, to tell
    /// 404 from 403. The answers are the same, with one read less for every allowed write.
    pub async fn write_scoped_by_store(
        &self,
        app: &App,
        me: &CurrentUser,
        op: Operation,
    ) -> Result<(Scope, i64), ApiError> {
        let id = record_id(&self.id)?;
        match require(&me.roles, &self.study, op) {
            Ok(scope) => Ok((scope, id)),
            Err(_) => Ok((write_scope(app, me, &self.study, id, op).await?, id)),
        }
    }
}

/// Resolves the scope for a write on one participant: 404 when the caller cannot even see it.
pub async fn write_scope(
    app: &App,
    me: &CurrentUser,
    study: &str,
    id: i64,
    op: Operation,
) -> Result<Scope, ApiError> {
    let read = require(&me.roles, study, Operation::ReadParticipants)?;
    app.store.participant(&read, id).await?;
    require(&me.roles, study, op)
}

/// The caller's roles in a study.
pub fn roles_in(me: &CurrentUser, study_id: &str) -> Vec<Role> {
    me.roles
        .iter()
        .filter(|r| r.study_id == study_id)
        .map(|r| r.role)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Order {
        kits: Vec<Kit>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Kit {
        number: u32,
    }

    fn field(body: &str, content_type: &str) -> (u16, Vec<String>) {
        let body = JsonBody {
            bytes: Bytes::from(body.to_string()),
            content_type: Some(content_type.to_string()),
        };
        match parse_body::<Order>(&body) {
            Ok(_) => (200, vec![]),
            Err(e) => {
                let fields = match &e {
                    ApiError::Malformed(problems) => {
                        problems.iter().map(|p| p.field.clone()).collect()
                    }
                    _ => vec![],
                };
                (e.status().as_u16(), fields)
            }
        }
    }

    /// A problem at any depth is named by its path; a missing or unknown member beneath the
    /// object that should hold it.
    #[test]
    fn body_problems_name_the_field_by_its_path() {
        let json = "application/json";
        assert_eq!(field(r#"{"kits":[{"number":1}]}"#, json), (200, vec![]));
        let nested = r#"{"kits":[{"number":1},{"number":2},{"number":"x"}]}"#;
        assert_eq!(field(nested, json), (400, vec!["kits[2].number".into()]));
        let missing = r#"{"kits":[{"number":1},{}]}"#;
        assert_eq!(field(missing, json), (400, vec!["kits[1].number".into()]));
        let unknown = r#"{"kits":[{"number":1,"colour":"red"}]}"#;
        assert_eq!(field(unknown, json), (400, vec!["kits[0].colour".into()]));
        assert_eq!(field("{}", json), (400, vec!["kits".into()]));
        assert_eq!(
            field(r#"{"kits":[{"number":1}"#, json),
            (400, vec!["body".into()])
        );
        assert_eq!(field("[1]", json), (400, vec!["[0]".into()]));
        assert_eq!(field(r#"{"kits":[]} x"#, json), (400, vec!["body".into()]));
        assert_eq!(field(r#"{"kits":[]}"#, "text/plain").0, 415);
        assert_eq!(
            field(r#"{"kits":[]}"#, "application/json; charset=utf-8").0,
            200
        );
        assert_eq!(field(r#"{"kits":[]}"#, "application/vnd.x+json").0, 200);
        // A NUL character is refused where it is, in a value or a member's name.
        let body = |text: &str| JsonBody {
            bytes: Bytes::from(text.to_string()),
            content_type: Some(json.to_string()),
        };
        let nul = |text: &str| match parse_body::<serde_json::Value>(&body(text)) {
            Err(ApiError::Invalid(p)) => Some(p[0].field.clone()),
            _ => None,
        };
        assert_eq!(nul(r#"{"a":[1,{"b":"x\u0000"}]}"#), Some("a[1].b".into()));
        assert_eq!(nul(r#"{"a\u0000":1}"#), Some("a\\0".into()));
        assert_eq!(nul(r#"{"a":"\\u0000"}"#), None);
    }
}

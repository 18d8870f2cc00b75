//! Reading requests: JSON bodies with the contract's size, media type and parse checks, query
//! parameters and bearer tokens.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::{ApiError, Request};
use crate::app::App;
use crate::auth::Claims;
use crate::domain::accounts::{self, Caller, Viewer};
use crate::error::Validator;

/// Largest request body accepted: 64 KiB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Returns a header's value as text, if present and valid.
pub fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request.headers().get(name).and_then(|value| value.to_str().ok())
}

/// Parses the query string; a repeated parameter keeps its last value.
pub fn query_params(request: &Request) -> HashMap<String, String> {
    let query = request.uri().query().unwrap_or_default();
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .unwrap_or_default()
        .into_iter()
        .collect()
}

/// A JSON object body, read field by field into a [`Validator`].
pub struct JsonBody {
    fields: Map<String, Value>,
}

/// Reads the body as a JSON object. An empty body counts as `{}`. Over 64 KiB gets 413, a
/// media type other than JSON gets 415, malformed JSON (including nesting over 128 levels,
/// where serde_json stops) gets 400 `parse_error`.
pub fn json_body(request: &Request) -> Result<JsonBody, ApiError> {
    let bytes: &[u8] = request.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::new(
            http::StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("Request body is larger than {MAX_BODY_BYTES} bytes."),
        ));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(JsonBody { fields: Map::new() });
    }
    if let Some(content_type) = header(request, "content-type") {
        let media_type = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        if media_type != "application/json" && !media_type.ends_with("+json") {
            return Err(ApiError::new(
                http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!("Unsupported media type \"{content_type}\" in request; send application/json."),
            ));
        }
    }
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|error| ApiError::parse_error(format!("JSON parse error: {error}.")))?;
    match value {
        Value::Object(fields) => Ok(JsonBody { fields }),
        _ => Err(ApiError::parse_error("The request body must be a JSON object.")),
    }
}

impl JsonBody {
    /// A required string field; records "required" or "not a string" in `validator`.
    pub fn required_string(&self, name: &str, validator: &mut Validator) -> Option<String> {
        match self.fields.get(name) {
            None | Some(Value::Null) => {
                validator.add(name, "This field is required.");
                None
            }
            Some(Value::String(text)) => Some(text.clone()),
            Some(_) => {
                validator.add(name, "Not a valid string.");
                None
            }
        }
    }

    /// Reads a required integer field. A missing or non-integer value is recorded in `validator`.
    pub fn required_integer(&self, name: &str, validator: &mut Validator) -> Option<i64> {
        match self.fields.get(name) {
            None | Some(Value::Null) => {
                validator.add(name, "This field is required.");
                None
            }
            Some(value) => value.as_i64().or_else(|| {
                validator.add(name, "A valid integer is required.");
                None
            }),
        }
    }

    /// An optional string field: `None` when absent, `Some(None)` when `null`.
    pub fn optional_string(&self, name: &str, validator: &mut Validator) -> Option<Option<String>> {
        match self.fields.get(name) {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::String(text)) => Some(Some(text.clone())),
            Some(_) => {
                validator.add(name, "Not a valid string.");
                None
            }
        }
    }
}

/// Extracts the token of `Authorization: Bearer <token>` (or DRF's `Token <token>`).
pub(super) fn bearer_token(request: &Request) -> Result<Option<&str>, ApiError> {
    let Some(value) = request.headers().get("authorization") else {
        return Ok(None);
    };
    let invalid = || ApiError::authentication_failed("Invalid Authorization header; use \"Bearer <token>\".");
    let value = value.to_str().map_err(|_| invalid())?;
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(invalid)?;
    let token = token.trim();
    let known = scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token");
    if !known || token.is_empty() || token.contains(' ') {
        return Err(invalid());
    }
    Ok(Some(token))
}

/// Resolves the caller: `None` without a token; a bad token is an error even on public
/// endpoints, so a client learns at once that its token stopped working.
pub async fn authenticate(app: &App, request: &Request) -> Result<Option<Viewer>, ApiError> {
    match bearer_token(request)? {
        None => Ok(None),
        Some(token) => Ok(Some(accounts::authenticate(app, token).await?)),
    }
}

/// Returns the claims of the request's bearer token once its signature and times check out,
/// without reading its session. For reads that run beside [`accounts::caller_of`] and drop
/// their result when it fails.
pub fn token_claims(app: &App, request: &Request) -> Result<Claims, ApiError> {
    let token = bearer_token(request)?.ok_or_else(ApiError::not_authenticated)?;
    Ok(app.tokens.verify(token)?)
}

/// Resolves the caller of an endpoint that needs a token.
pub async fn require_viewer(app: &App, request: &Request) -> Result<Viewer, ApiError> {
    authenticate(app, request).await?.ok_or_else(ApiError::not_authenticated)
}

/// Resolves the caller and its role, for endpoints whose rule depends on the role.
pub async fn require_caller(app: &App, request: &Request) -> Result<Caller, ApiError> {
    let token = bearer_token(request)?.ok_or_else(ApiError::not_authenticated)?;
    Ok(accounts::authenticate_caller(app, token).await?)
}

//! The one HTTP error type: maps domain and store errors to the contract's status, `code` and
//! body.

use http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{DomainError, FieldErrors};
use crate::store::StoreError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    pub errors: Option<FieldErrors>,
    /// Extra response headers, such as `WWW-Authenticate` or `Allow`.
    pub headers: Vec<(&'static str, String)>,
    /// Cause of a server error, for the log only.
    pub cause: Option<String>,
}

/// The contract's error body, also published as the `ErrorBody` schema of the OpenAPI document.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody<'a> {
    /// A sentence for people; server errors leak nothing internal here.
    detail: &'a str,
    /// A machine-readable code such as `validation_error` or `throttled`.
    code: &'a str,
    /// Messages per field, on validation failures only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<BTreeMap<String, Vec<String>>>)]
    errors: Option<&'a FieldErrors>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self { status, code, detail: detail.into(), errors: None, headers: Vec::new(), cause: None }
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    pub fn parse_error(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "parse_error", detail)
    }

    pub fn not_authenticated() -> Self {
        let mut error = Self::new(
            StatusCode::UNAUTHORIZED,
            "not_authenticated",
            "Authentication credentials were not provided.",
        );
        error.headers.push(("www-authenticate", "Bearer".into()));
        error
    }

    pub fn authentication_failed(detail: impl Into<String>) -> Self {
        let mut error = Self::new(StatusCode::UNAUTHORIZED, "authentication_failed", detail);
        error.headers.push(("www-authenticate", "Bearer error=\"invalid_token\"".into()));
        error
    }

    pub fn method_not_allowed(method: &http::Method, allowed: &[http::Method]) -> Self {
        let mut error = Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("Method \"{method}\" not allowed."),
        );
        let allow: Vec<&str> = allowed.iter().map(http::Method::as_str).collect();
        error.headers.push(("allow", allow.join(", ")));
        error
    }

    pub fn validation(errors: FieldErrors) -> Self {
        let mut error = Self::new(StatusCode::BAD_REQUEST, "validation_error", "Invalid input.");
        error.errors = Some(errors);
        error
    }

    pub fn server_error(cause: impl Into<String>) -> Self {
        let mut error =
            Self::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "A server error occurred.");
        error.cause = Some(cause.into());
        error
    }

    pub fn body(&self) -> String {
        let body = ErrorBody { detail: &self.detail, code: self.code, errors: self.errors.as_ref() };
        serde_json::to_string(&body).expect("error bodies serialise")
    }
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::NotFound(detail) => ApiError::not_found(detail),
            DomainError::Forbidden(detail) => {
                ApiError::new(StatusCode::FORBIDDEN, "permission_denied", detail)
            }
            DomainError::Validation(errors) => ApiError::validation(errors),
            DomainError::NotAuthenticated => ApiError::not_authenticated(),
            DomainError::AuthenticationFailed(detail) => ApiError::authentication_failed(detail),
            DomainError::InvalidCursor => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_cursor",
                "Invalid cursor: it was altered or belongs to another list.",
            ),
            DomainError::BadRequest(detail) => {
                ApiError::new(StatusCode::BAD_REQUEST, "validation_error", detail)
            }
            DomainError::Store(error) => error.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Throttled => {
                let mut api = ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "service_unavailable",
                    "The service is busy; try again shortly.",
                );
                api.headers.push(("retry-after", "1".into()));
                api.cause = Some(error.to_string());
                api
            }
            other => ApiError::server_error(other.to_string()),
        }
    }
}

//! Errors of the domain layer: what went wrong in terms a client can act on.

use std::collections::BTreeMap;

use crate::store::StoreError;

/// Messages per request field, in the contract's `errors` shape.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// No such user, tweet or route; the text names what was looked for.
    #[error("{0}")]
    NotFound(String),

    /// The caller may not act on this object.
    #[error("{0}")]
    Forbidden(String),

    /// One or more fields are missing, malformed or taken.
    #[error("invalid input")]
    Validation(FieldErrors),

    /// The request needs a token and carries none.
    #[error("authentication credentials were not provided")]
    NotAuthenticated,

    /// The token is malformed, expired, signed with another key or logged out.
    #[error("{0}")]
    AuthenticationFailed(String),

    /// A pagination cursor was altered or belongs to another list.
    #[error("the cursor is invalid or belongs to another list")]
    InvalidCursor,

    /// A query parameter is malformed.
    #[error("{0}")]
    BadRequest(String),

    /// The store failed; the cause is logged, never sent to the client.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl DomainError {
    /// Builds a validation error on one field.
    pub fn field(name: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.insert(name.to_owned(), vec![message.into()]);
        DomainError::Validation(errors)
    }
}

pub type DomainResult<T> = Result<T, DomainError>;

/// Collects field errors so a request with several bad fields hears about all of them.
#[derive(Default)]
pub struct Validator {
    errors: FieldErrors,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.errors.entry(field.to_owned()).or_default().push(message.into());
    }

    /// Keeps the value of a check, recording its error under `field`.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }

    pub fn finish(self) -> DomainResult<()> {
        if self.errors.is_empty() { Ok(()) } else { Err(DomainError::Validation(self.errors)) }
    }
}

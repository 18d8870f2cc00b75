//! The contract's error responses as reusable components, and the headers every response
//! carries.

use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{Components, ContentBuilder, Ref, RefOr, Response, ResponseBuilder};

/// One error status of the contract: the component's name, its description and the headers it
/// always carries.
struct ErrorResponse {
    status: u16,
    name: &'static str,
    description: &'static str,
    headers: &'static [(&'static str, &'static str)],
}

const ERRORS: &[ErrorResponse] = &[
    ErrorResponse {
        status: 400,
        name: "BadRequest",
        description: "`validation_error` (with `errors` per field), `parse_error` or `invalid_cursor`.",
        headers: &[],
    },
    ErrorResponse {
        status: 401,
        name: "Unauthorized",
        description: "`not_authenticated` without a token where one is needed, `authentication_failed` \
                      for a bad, expired or logged-out token or a wrong login.",
        headers: &[("WWW-Authenticate", "The `Bearer` challenge, with `error=\"invalid_token\"` for a bad token.")],
    },
    ErrorResponse {
        status: 403,
        name: "Forbidden",
        description: "`permission_denied`: the caller does not own the object, or logs in to a suspended account.",
        headers: &[],
    },
    ErrorResponse {
        status: 404,
        name: "NotFound",
        description: "`not_found`: no such user, tweet or route.",
        headers: &[],
    },
    ErrorResponse {
        status: 405,
        name: "MethodNotAllowed",
        description: "`method_not_allowed`: the path exists, but not with this method.",
        headers: &[("Allow", "The methods the path accepts, comma separated.")],
    },
    ErrorResponse {
        status: 413,
        name: "PayloadTooLarge",
        description: "`payload_too_large`: the body is over 64 KiB.",
        headers: &[],
    },
    ErrorResponse {
        status: 415,
        name: "UnsupportedMediaType",
        description: "`unsupported_media_type`: a body with a content type other than JSON.",
        headers: &[],
    },
    ErrorResponse {
        status: 429,
        name: "Throttled",
        description: "`throttled`: the rate limit of the caller's bucket is used up.",
        headers: &[("Retry-After", "Seconds to wait before trying again.")],
    },
    ErrorResponse {
        status: 500,
        name: "ServerError",
        description: "`server_error`; the body leaks nothing internal.",
        headers: &[],
    },
    ErrorResponse {
        status: 503,
        name: "ServiceUnavailable",
        description: "`service_unavailable`: the store is throttling requests.",
        headers: &[("Retry-After", "Seconds to wait before trying again.")],
    },
];

/// The rate limit headers of the bucket that applied. They are absent when rate limits are off
/// (`CHIRP_RATE_LIMITS=off`) and on the local runtime's 413 for an oversized body, so they are
/// not required.
const RATE_LIMIT_HEADERS: &[(&str, &str)] = &[
    ("X-RateLimit-Limit", "Requests allowed per window in the bucket that applied."),
    ("X-RateLimit-Remaining", "Requests left in the current window."),
    ("X-RateLimit-Reset", "Seconds until the window resets."),
];

fn header(description: &str, schema_type: Type) -> Header {
    HeaderBuilder::new()
        .schema(ObjectBuilder::new().schema_type(schema_type))
        .description(Some(description))
        .build()
}

/// Starts a response with the rate limit headers every response may carry.
pub(super) fn with_rate_limit_headers(description: &str) -> ResponseBuilder {
    RATE_LIMIT_HEADERS.iter().fold(ResponseBuilder::new().description(description), |builder, (name, text)| {
        builder.header(*name, header(text, Type::Integer))
    })
}

/// The reference to the error component of `status`.
///
/// Panics on a status the contract does not list, which the unit tests catch.
pub(super) fn error_ref(status: u16) -> RefOr<Response> {
    let error = ERRORS
        .iter()
        .find(|error| error.status == status)
        .unwrap_or_else(|| panic!("no error response for status {status}"));
    RefOr::Ref(Ref::from_response_name(error.name))
}

/// Adds every error response to the document's components.
pub(super) fn add_components(components: &mut Components) {
    for error in ERRORS {
        let mut builder = with_rate_limit_headers(error.description).content(
            "application/json",
            ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
        );
        for (name, text) in error.headers {
            // `Retry-After` is a number of seconds; the others are text.
            let schema_type = if *name == "Retry-After" { Type::Integer } else { Type::String };
            // NOTE: utoipa 5's `Header` has no `required` field, so the document cannot mark
            // these headers as always present, although the handlers always send them.
            builder = builder.header(*name, header(text, schema_type));
        }
        components.responses.insert(error.name.to_owned(), RefOr::T(builder.build()));
    }
}

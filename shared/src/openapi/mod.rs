//! The OpenAPI 3.1 document served at `GET /api/schema/`: the schemas come from the view models
//! (`ToSchema`), the paths from the operation table in [`operations`], and every operation gets
//! the contract's error responses and rate limit headers here, in one place.

mod bodies;
mod operations;
mod responses;

use std::sync::LazyLock;

use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

pub use operations::{Auth, OPERATIONS, Operation};

/// The schemas of every body the API reads or returns.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Chirp API",
        description = "The HTTP contract of Chirp, a Twitter-like backend. Paths are also \
                       served without the trailing slash. A method a path does not list \
                       gets 405 with `Allow`."
    ),
    components(schemas(
        crate::http::ErrorBody,
        crate::model::UserView,
        crate::model::OwnUserView,
        crate::model::AuthorView,
        crate::model::TweetView,
        crate::model::notification::NotificationView,
        crate::model::notification::TweetSummary,
        bodies::RegisterRequest,
        bodies::LoginRequest,
        bodies::LoginResponse,
        bodies::ProfileUpdateRequest,
        bodies::AvatarUploadRequest,
        bodies::AvatarUploadResponse,
        bodies::TweetContentRequest,
        bodies::MarkReadRequest,
        bodies::UnreadCount,
        bodies::Health,
        bodies::UserPage,
        bodies::TweetPage,
        bodies::NotificationPage,
        bodies::ReasonRequest,
        bodies::RoleRequest,
        bodies::AccountState,
        bodies::AuditEntry,
        bodies::AuditPage,
    ))
)]
struct Schemas;

/// Name of the bearer token security scheme.
pub const BEARER: &str = "bearerAuth";

/// Builds the document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut document = Schemas::openapi();
    document.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let components = document.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        BEARER,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("`Authorization: Bearer <token>` from login; `Token <token>` works too."))
                .build(),
        ),
    );
    responses::add_components(components);
    for operation in OPERATIONS {
        document.paths.add_path_operation(operation.path, vec![operation.http_method()], operation.build());
    }
    document
}

/// The document as JSON, built once per process.
pub fn document_json() -> &'static str {
    static JSON: LazyLock<String> =
        LazyLock::new(|| document().to_json().expect("the OpenAPI document serialises"));
    &JSON
}

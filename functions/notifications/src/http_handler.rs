use chirp_shared::app::App;
use chirp_shared::domain::notifications;
use chirp_shared::error::DomainError;
use chirp_shared::http::{self, ApiResult, Request, Response, Route};
use ::http::{Method, StatusCode};
use serde::Deserialize;

pub const ROUTES: &[Route] = &[
    Route::new("list", "/api/notifications", &[Method::GET]),
    Route::new("unread_count", "/api/notifications/unread_count", &[Method::GET]),
    Route::new("read", "/api/notifications/read", &[Method::POST]),
];

pub async fn handle(app: &App, request: Request) -> Response {
    http::serve(app, &request, dispatch(app, &request)).await
}

async fn dispatch(app: &App, request: &Request) -> ApiResult {
    let (route, _) = http::route(ROUTES, request)?;
    match route.name {
        "list" => list(app, request).await,
        "unread_count" => unread_count(app, request).await,
        _ => mark_read(app, request).await,
    }
}

async fn list(app: &App, request: &Request) -> ApiResult {
    let viewer = http::require_viewer(app, request).await?;
    let unread_only = match http::query_params(request).get("unread").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(DomainError::field("unread", format!("Must be true or false, not {other:?}.")).into());
        }
    };
    let page_request = http::page_request(app, request, Some(&viewer))?;
    let page = notifications::list(app, &viewer, unread_only, &page_request).await?;
    http::page_response(app, request, Some(&viewer), page)
}

async fn unread_count(app: &App, request: &Request) -> ApiResult {
    let viewer = http::require_viewer(app, request).await?;
    let count = notifications::unread_count(app, &viewer).await?;
    http::json(StatusCode::OK, &serde_json::json!({ "count": count }))
}

/// Body of `POST /api/notifications/read/`; no `ids` (or an empty body) marks all read.
#[derive(Deserialize)]
struct ReadBody {
    ids: Option<Vec<String>>,
}

async fn mark_read(app: &App, request: &Request) -> ApiResult {
    let viewer = http::require_viewer(app, request).await?;
    // Runs the contract's size, media type and JSON checks before reading the ids.
    http::json_body(request)?;
    let bytes: &[u8] = request.body().as_ref();
    let body = if bytes.iter().all(u8::is_ascii_whitespace) {
        ReadBody { ids: None }
    } else {
        serde_json::from_slice::<ReadBody>(bytes)
            .map_err(|_| DomainError::field("ids", "Must be a list of notification ids (strings)."))?
    };
    let marked = notifications::mark_read(app, &viewer, body.ids.as_deref()).await?;
    tracing::info!(user_id = %viewer.user_id, marked, "notifications marked read");
    http::empty(StatusCode::NO_CONTENT)
}

//! The service function: health check.

use chirp_shared::app::App;
use chirp_shared::http::{self, ApiResult, Request, Response, Route};
use ::http::{Method, StatusCode};

pub const ROUTES: &[Route] = &[Route::new("health", "/api/health", &[Method::GET])];

pub async fn handle(app: &App, request: Request) -> Response {
    http::serve(app, &request, dispatch(app, &request)).await
}

async fn dispatch(_app: &App, request: &Request) -> ApiResult {
    http::route(ROUTES, request)?;
    http::json(StatusCode::OK, &serde_json::json!({"status": "ok"}))
}

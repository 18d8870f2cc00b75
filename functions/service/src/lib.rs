//! The service function: health check, the OpenAPI document and the page that renders it.

use chirp_shared::app::App;
use chirp_shared::http::{self, ApiResult, Request, Response, Route};
use chirp_shared::openapi;
use ::http::{Method, StatusCode};
use lambda_http::Body;

pub const ROUTES: &[Route] = &[
    Route::new("health", "/api/health", &[Method::GET]),
    Route::new("schema", "/api/schema", &[Method::GET]),
    Route::new("docs", "/api/docs", &[Method::GET]),
];

/// The API reference page: one self-contained file whose inline script fetches the document
/// from `/api/schema/` on the same origin, so it loads nothing from any other host.
const DOCS_PAGE: &str = include_str!("docs.html");

/// Lets the page run its inline script and style and fetch from its own origin, nothing else.
const DOCS_CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'";

pub async fn handle(app: &App, request: Request) -> Response {
    http::serve(app, &request, dispatch(app, &request)).await
}

async fn dispatch(_app: &App, request: &Request) -> ApiResult {
    let (route, _) = http::route(ROUTES, request)?;
    match route.name {
        "health" => http::json(StatusCode::OK, &serde_json::json!({"status": "ok"})),
        "schema" => Ok(static_response("application/json", openapi::document_json(), None)),
        _ => Ok(static_response(
            "text/html; charset=utf-8",
            DOCS_PAGE,
            Some(("content-security-policy", DOCS_CONTENT_SECURITY_POLICY)),
        )),
    }
}

fn static_response(content_type: &str, body: &str, extra_header: Option<(&str, &str)>) -> Response {
    let mut builder = ::http::Response::builder().status(StatusCode::OK).header("content-type", content_type);
    if let Some((name, value)) = extra_header {
        builder = builder.header(name, value);
    }
    builder.body(Body::Text(body.to_owned())).expect("static headers are valid")
}


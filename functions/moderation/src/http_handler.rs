use chirp_shared::app::App;
use chirp_shared::domain::moderation;
use chirp_shared::error::{DomainResult, Validator};
use chirp_shared::http::{self, ApiResult, JsonBody, Request, Route};
use chirp_shared::permissions::{self, Role};
use ::http::{Method, StatusCode};

pub const ROUTES: &[Route] = &[
    Route::new("tweet", "/api/moderation/tweets/{id}", &[Method::DELETE]),
    Route::new("suspend", "/api/moderation/users/{username}/suspend", &[Method::POST]),
    Route::new("reinstate", "/api/moderation/users/{username}/reinstate", &[Method::POST]),
    Route::new("role", "/api/moderation/users/{username}/role", &[Method::PUT]),
    Route::new("audit", "/api/moderation/audit", &[Method::GET]),
];

pub async fn handle(app: &App, request: Request) -> http::Response {
    http::serve(app, &request, dispatch(app, &request)).await
}

async fn dispatch(app: &App, request: &Request) -> ApiResult {
    let (route, params) = http::route(ROUTES, request)?;
    match route.name {
        "tweet" => delete_tweet(app, request, &params[0]).await,
        "suspend" => set_suspended(app, request, &params[0], true).await,
        "reinstate" => set_suspended(app, request, &params[0], false).await,
        "role" => set_role(app, request, &params[0]).await,
        _ => audit(app, request).await,
    }
}

/// Reads the `reason` field, which may be absent unless `required`.
fn reason(body: &JsonBody, required: bool) -> DomainResult<String> {
    let mut validator = Validator::new();
    let reason = body.optional_string("reason", &mut validator).flatten().unwrap_or_default();
    validator.finish()?;
    moderation::validate_reason(&reason, required)
}

async fn delete_tweet(app: &App, request: &Request, tweet_id: &str) -> ApiResult {
    let caller = http::require_caller(app, request).await?;
    let reason = reason(&http::json_body(request)?, false)?;
    moderation::delete_tweet(&app.store, &caller.actor(), tweet_id, &reason).await?;
    tracing::info!(tweet_id, moderator = %caller.viewer.user_id, "tweet deleted by a moderator");
    http::empty(StatusCode::NO_CONTENT)
}

async fn set_suspended(app: &App, request: &Request, username: &str, suspended: bool) -> ApiResult {
    let caller = http::require_caller(app, request).await?;
    // A suspension needs a reason for the audit log; a reinstatement may omit it.
    let reason = reason(&http::json_body(request)?, suspended)?;
    let state = moderation::set_suspended(&app.store, &caller.actor(), username, suspended, &reason).await?;
    tracing::info!(target_user = %username, suspended, moderator = %caller.viewer.user_id, "suspension changed");
    http::json(StatusCode::OK, &state)
}

async fn set_role(app: &App, request: &Request, username: &str) -> ApiResult {
    let caller = http::require_caller(app, request).await?;
    // A non-admin hears 403 before any body validation, whatever it sent.
    permissions::require_admin(&caller.actor())?;
    let body = http::json_body(request)?;
    let mut validator = Validator::new();
    let role = body
        .required_string("role", &mut validator)
        .and_then(|name| validator.check("role", Role::parse(&name)));
    validator.finish()?;
    let role = role.unwrap_or_default();
    let reason = reason(&body, false)?;
    let state = moderation::set_role(&app.store, &caller.actor(), username, role, &reason).await?;
    tracing::info!(target_user = %username, %role, admin = %caller.viewer.user_id, "role changed");
    http::json(StatusCode::OK, &state)
}

async fn audit(app: &App, request: &Request) -> ApiResult {
    let caller = http::require_caller(app, request).await?;
    let page_request = http::page_request(app, request, None)?;
    let page = moderation::audit_log(&app.store, &caller.actor(), &page_request).await?;
    http::page_response(app, request, None, page)
}

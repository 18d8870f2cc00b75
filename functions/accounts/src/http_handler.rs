use chirp_shared::app::App;
use chirp_shared::domain::accounts::{self, ProfileChanges, Registration};
use chirp_shared::domain::render::render_user;
use chirp_shared::error::Validator;
use chirp_shared::http::{self, ApiResult, Request, Response, Route};
use chirp_shared::model::OwnUserView;
use ::http::{Method, StatusCode};
use serde::Serialize;

use crate::avatar;

pub const ROUTES: &[Route] = &[
    Route::new("register", "/api/accounts/register", &[Method::POST]),
    Route::new("login", "/api/accounts/login", &[Method::POST]),
    Route::new("logout", "/api/accounts/logout", &[Method::POST]),
    Route::new("profile", "/api/accounts/profile", &[Method::GET, Method::PUT, Method::PATCH]),
    Route::new("profile_update", "/api/accounts/profile/update", &[Method::PUT, Method::PATCH]),
    Route::new("avatar", "/api/accounts/profile/avatar", &[Method::POST, Method::DELETE]),
    Route::new("user", "/api/accounts/{username}", &[Method::GET]),
];

pub async fn handle(app: &App, request: Request) -> Response {
    http::serve(app, &request, dispatch(app, &request)).await
}

async fn dispatch(app: &App, request: &Request) -> ApiResult {
    let (route, params) = http::route(ROUTES, request)?;
    match (route.name, request.method()) {
        ("register", _) => register(app, request).await,
        ("login", _) => login(app, request).await,
        ("logout", _) => logout(app, request).await,
        ("profile", &Method::GET) => own_profile(app, request).await,
        ("profile" | "profile_update", _) => update_profile(app, request).await,
        ("avatar", &Method::POST) => avatar::request_upload(app, request).await,
        ("avatar", _) => avatar::delete(app, request).await,
        _ => public_profile(app, request, &params[0]).await,
    }
}

async fn register(app: &App, request: &Request) -> ApiResult {
    let body = http::json_body(request)?;
    let mut validator = Validator::new();
    let registration = Registration {
        username: body.required_string("username", &mut validator).unwrap_or_default(),
        email: body.required_string("email", &mut validator).unwrap_or_default(),
        password: body.required_string("password", &mut validator).unwrap_or_default(),
        display_name: body.optional_string("display_name", &mut validator).flatten(),
    };
    validator.finish()?;

    let user = accounts::register(app, registration).await?;
    tracing::info!(user_id = %user.user_id, "account registered");
    http::json(StatusCode::CREATED, &OwnUserView::from(&user))
}

#[derive(Serialize)]
struct LoginBody {
    token: String,
    token_type: &'static str,
    expires_in: i64,
    user: OwnUserView,
}

async fn login(app: &App, request: &Request) -> ApiResult {
    let body = http::json_body(request)?;
    let mut validator = Validator::new();
    let username = body.required_string("username", &mut validator);
    let password = body.required_string("password", &mut validator);
    validator.finish()?;

    let login = accounts::login(app, &username.unwrap_or_default(), &password.unwrap_or_default()).await?;
    let body = LoginBody {
        token: login.token,
        token_type: "Bearer",
        expires_in: login.expires_in,
        user: OwnUserView::from(&login.user),
    };
    http::json(StatusCode::OK, &body)
}

async fn logout(app: &App, request: &Request) -> ApiResult {
    let viewer = http::require_viewer(app, request).await?;
    accounts::logout(app, &viewer).await?;
    http::empty(StatusCode::NO_CONTENT)
}

async fn own_profile(app: &App, request: &Request) -> ApiResult {
    let viewer = http::require_viewer(app, request).await?;
    let user = accounts::find_user(app, &viewer.user_id)
        .await?
        .ok_or_else(|| http::ApiError::not_found("Your account no longer exists."))?;
    http::json(StatusCode::OK, &OwnUserView::from(&user))
}

/// `PUT` and `PATCH` both change only the fields sent, because every profile field is optional;
/// read-only fields in the body are ignored.
async fn update_profile(app: &App, request: &Request) -> ApiResult {
    let viewer = http::require_viewer(app, request).await?;
    let body = http::json_body(request)?;
    let mut validator = Validator::new();
    let changes = ProfileChanges {
        display_name: body.optional_string("display_name", &mut validator).map(Option::unwrap_or_default),
        bio: body.optional_string("bio", &mut validator).map(Option::unwrap_or_default),
        location: body.optional_string("location", &mut validator).map(Option::unwrap_or_default),
        birth_date: body.optional_string("birth_date", &mut validator),
    };
    validator.finish()?;

    let user = accounts::update_profile(app, &viewer, changes).await?;
    http::json(StatusCode::OK, &OwnUserView::from(&user))
}

async fn public_profile(app: &App, request: &Request, username: &str) -> ApiResult {
    let viewer = http::authenticate(app, request).await?;
    let user = accounts::user_by_username(app, username).await?;
    let view = render_user(app, viewer.as_ref(), &user).await?;
    http::json(StatusCode::OK, &view)
}

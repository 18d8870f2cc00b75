use chirp_shared::app::App;
use chirp_shared::domain::render::render_user;
use chirp_shared::domain::social::{self, Direction, FollowOutcome};
use chirp_shared::http::{self, ApiResult, Request, Response, Route};
use ::http::{Method, StatusCode};

pub const ROUTES: &[Route] = &[
    Route::new("follow", "/api/accounts/{username}/follow", &[Method::POST, Method::DELETE]),
    Route::new("unfollow", "/api/accounts/{username}/unfollow", &[Method::DELETE]),
    Route::new("followers", "/api/accounts/{username}/followers", &[Method::GET]),
    Route::new("following", "/api/accounts/{username}/following", &[Method::GET]),
];

pub async fn handle(app: &App, request: Request) -> Response {
    http::serve(app, &request, dispatch(app, &request)).await
}

async fn dispatch(app: &App, request: &Request) -> ApiResult {
    let (route, params) = http::route(ROUTES, request)?;
    let username = &params[0];
    match (route.name, request.method()) {
        ("follow", &Method::POST) => follow(app, request, username).await,
        ("follow" | "unfollow", _) => unfollow(app, request, username).await,
        ("followers", _) => connections(app, request, username, Direction::Followers).await,
        _ => connections(app, request, username, Direction::Following).await,
    }
}

async fn follow(app: &App, request: &Request, username: &str) -> ApiResult {
    let viewer = http::require_viewer(app, request).await?;
    let (outcome, followee) = social::follow(app, &viewer, username).await?;
    let status = match outcome {
        FollowOutcome::Created => {
            tracing::info!(follower = %viewer.user_id, followee = %followee.user_id, "follow created");
            StatusCode::CREATED
        }
        FollowOutcome::AlreadyFollowing => StatusCode::OK,
    };
    http::json(status, &render_user(app, Some(&viewer), &followee).await?)
}

async fn unfollow(app: &App, request: &Request, username: &str) -> ApiResult {
    let viewer = http::require_viewer(app, request).await?;
    social::unfollow(app, &viewer, username).await?;
    http::empty(StatusCode::NO_CONTENT)
}

async fn connections(app: &App, request: &Request, username: &str, direction: Direction) -> ApiResult {
    let viewer = http::authenticate(app, request).await?;
    let page_request = http::page_request(app, request, None)?;
    let page = social::connections(app, viewer.as_ref(), username, direction, &page_request).await?;
    http::page_response(app, request, None, page)
}

use chirp_shared::app::App;
use chirp_shared::domain::likes::{self, LikeOutcome};
use chirp_shared::domain::render::render_tweets;
use chirp_shared::domain::tweets::get_tweet;
use chirp_shared::http::{self, ApiError, ApiResult, Request, Response, Route};
use ::http::{Method, StatusCode};

pub const ROUTES: &[Route] = &[
    Route::new("like", "/api/tweets/{id}/like", &[Method::POST, Method::DELETE]),
    Route::new("likes", "/api/tweets/{id}/likes", &[Method::GET]),
];

pub async fn handle(app: &App, request: Request) -> Response {
    http::serve(app, &request, dispatch(app, &request)).await
}

async fn dispatch(app: &App, request: &Request) -> ApiResult {
    let (route, params) = http::route(ROUTES, request)?;
    let tweet_id = &params[0];
    match (route.name, request.method()) {
        ("like", &Method::POST) => like(app, request, tweet_id).await,
        ("like", _) => unlike(app, request, tweet_id).await,
        _ => likers(app, request, tweet_id).await,
    }
}

/// Likes a tweet and returns it as the viewer now sees it.
async fn like(app: &App, request: &Request, tweet_id: &str) -> ApiResult {
    let viewer = http::require_viewer(app, request).await?;
    let status = match likes::like(app, &viewer, tweet_id).await? {
        LikeOutcome::Created => StatusCode::CREATED,
        LikeOutcome::AlreadyLiked => StatusCode::OK,
    };
    let tweet = get_tweet(app, tweet_id).await?;
    let view = render_tweets(app, Some(&viewer), std::slice::from_ref(&tweet))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found(format!("The author of tweet {tweet_id} no longer exists.")))?;
    http::json(status, &view)
}

async fn unlike(app: &App, request: &Request, tweet_id: &str) -> ApiResult {
    let viewer = http::require_viewer(app, request).await?;
    likes::unlike(app, &viewer, tweet_id).await?;
    http::empty(StatusCode::NO_CONTENT)
}

async fn likers(app: &App, request: &Request, tweet_id: &str) -> ApiResult {
    let viewer = http::authenticate(app, request).await?;
    let page_request = http::page_request(app, request, None)?;
    let page = likes::likers(app, viewer.as_ref(), tweet_id, &page_request).await?;
    http::page_response(app, request, None, page)
}

use chirp_shared::app::App;
use chirp_shared::domain::accounts::Viewer;
use chirp_shared::domain::render::render_tweets;
use chirp_shared::domain::tweet_list::{TweetFilters, list_tweets};
use chirp_shared::domain::tweets::{self, Created};
use chirp_shared::error::Validator;
use chirp_shared::http::{self, ApiResult, Request, Response, Route};
use chirp_shared::model::Tweet;
use ::http::{Method, StatusCode};

pub const ROUTES: &[Route] = &[
    Route::new("list", "/api/tweets", &[Method::GET, Method::POST]),
    Route::new("detail", "/api/tweets/{id}", &[Method::GET, Method::PUT, Method::PATCH, Method::DELETE]),
    Route::new("update", "/api/tweets/{id}/update", &[Method::PUT, Method::PATCH]),
    Route::new("delete", "/api/tweets/{id}/delete", &[Method::DELETE]),
];

pub async fn handle(app: &App, request: Request) -> Response {
    http::serve(app, &request, dispatch(app, &request)).await
}

async fn dispatch(app: &App, request: &Request) -> ApiResult {
    let (route, params) = http::route(ROUTES, request)?;
    match (route.name, request.method()) {
        ("list", &Method::GET) => list(app, request).await,
        ("list", _) => create(app, request).await,
        ("detail", &Method::GET) => detail(app, request, &params[0]).await,
        ("detail" | "delete", &Method::DELETE) => delete(app, request, &params[0]).await,
        _ => edit(app, request, &params[0]).await,
    }
}

async fn list(app: &App, request: &Request) -> ApiResult {
    let viewer = http::authenticate(app, request).await?;
    let filters = TweetFilters::parse(&http::query_params(request))?;
    let page_request = http::page_request(app, request, None)?;
    let page = list_tweets(app, viewer.as_ref(), &filters, &page_request).await?;
    http::page_response(app, request, None, page)
}

async fn create(app: &App, request: &Request) -> ApiResult {
    let viewer = http::require_viewer(app, request).await?;
    let body = http::json_body(request)?;
    let mut validator = Validator::new();
    let content = body.required_string("content", &mut validator);
    validator.finish()?;

    let idempotency_key = http::header(request, "idempotency-key");
    let (tweet, created) =
        tweets::create_tweet(app, &viewer, &content.unwrap_or_default(), idempotency_key).await?;
    if created == Created::New {
        tracing::info!(tweet_id = %tweet.id, author = %viewer.user_id, "tweet created");
    }
    render_one(app, Some(&viewer), &tweet, StatusCode::CREATED).await
}

async fn detail(app: &App, request: &Request, tweet_id: &str) -> ApiResult {
    let viewer = http::authenticate(app, request).await?;
    let tweet = tweets::get_tweet(app, tweet_id).await?;
    render_one(app, viewer.as_ref(), &tweet, StatusCode::OK).await
}

async fn edit(app: &App, request: &Request, tweet_id: &str) -> ApiResult {
    let viewer = http::require_viewer(app, request).await?;
    let body = http::json_body(request)?;
    let mut validator = Validator::new();
    let content = body.required_string("content", &mut validator);
    validator.finish()?;

    let tweet = tweets::edit_tweet(app, &viewer, tweet_id, &content.unwrap_or_default()).await?;
    render_one(app, Some(&viewer), &tweet, StatusCode::OK).await
}

async fn delete(app: &App, request: &Request, tweet_id: &str) -> ApiResult {
    let viewer = http::require_viewer(app, request).await?;
    tweets::delete_tweet(app, &viewer, tweet_id).await?;
    tracing::info!(tweet_id, author = %viewer.user_id, "tweet deleted");
    http::empty(StatusCode::NO_CONTENT)
}

async fn render_one(app: &App, viewer: Option<&Viewer>, tweet: &Tweet, status: StatusCode) -> ApiResult {
    let views = render_tweets(app, viewer, std::slice::from_ref(tweet)).await?;
    let view = views
        .into_iter()
        .next()
        .ok_or_else(|| http::ApiError::not_found(format!("The author of tweet {} no longer exists.", tweet.id)))?;
    http::json(status, &view)
}

use chirp_shared::app::App;
use chirp_shared::domain::search::{search_tweets, search_users};
use chirp_shared::domain::tweet_list::TweetFilters;
use chirp_shared::error::DomainError;
use chirp_shared::http::{self, ApiResult, Request, Response, Route};
use chirp_shared::search::parse_query;
use ::http::Method;

pub const ROUTES: &[Route] = &[
    Route::new("tweets", "/api/tweets/search", &[Method::GET]),
    Route::new("users", "/api/accounts/search", &[Method::GET]),
];

pub async fn handle(app: &App, request: Request) -> Response {
    http::serve(app, &request, dispatch(app, &request)).await
}

async fn dispatch(app: &App, request: &Request) -> ApiResult {
    let (route, _) = http::route(ROUTES, request)?;
    match route.name {
        "tweets" => tweets(app, request).await,
        _ => users(app, request).await,
    }
}

async fn tweets(app: &App, request: &Request) -> ApiResult {
    let viewer = http::authenticate(app, request).await?;
    let params = http::query_params(request);
    let query = parse_query(required_q(&params)?)?;
    let filters = TweetFilters::parse(&params)?;
    let page_request = http::page_request(app, request, None)?;
    let page = search_tweets(app, viewer.as_ref(), &query, &filters, &page_request).await?;
    http::page_response(app, request, None, page)
}

async fn users(app: &App, request: &Request) -> ApiResult {
    let viewer = http::authenticate(app, request).await?;
    let params = http::query_params(request);
    let q = required_q(&params)?;
    let page_request = http::page_request(app, request, None)?;
    let page = search_users(app, viewer.as_ref(), q, &page_request).await?;
    http::page_response(app, request, None, page)
}

fn required_q(params: &std::collections::HashMap<String, String>) -> Result<&str, DomainError> {
    params
        .get("q")
        .map(String::as_str)
        .ok_or_else(|| DomainError::field("q", "This parameter is required."))
}

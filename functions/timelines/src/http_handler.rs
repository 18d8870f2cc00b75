use chirp_shared::app::App;
use chirp_shared::domain::accounts::{self, Viewer};
use chirp_shared::domain::feed::home_feed;
use chirp_shared::domain::tweet_list::profile_timeline;
use chirp_shared::http::{self, ApiResult, Request, Response, Route};
use ::http::Method;

pub const ROUTES: &[Route] = &[
    Route::new("feed", "/api/tweets/feed", &[Method::GET]),
    Route::new("profile_timeline", "/api/accounts/{username}/tweets", &[Method::GET]),
];

pub async fn handle(app: &App, request: Request) -> Response {
    http::serve(app, &request, dispatch(app, &request)).await
}

async fn dispatch(app: &App, request: &Request) -> ApiResult {
    let (route, params) = http::route(ROUTES, request)?;
    match route.name {
        "feed" => feed(app, request).await,
        _ => profile(app, request, &params[0]).await,
    }
}

async fn feed(app: &App, request: &Request) -> ApiResult {
    // The token's signature already names the reader, so the feed's reads start beside the
    // session check instead of after it, which saves one round trip on the busiest endpoint. A
    // logged-out or suspended reader still gets 401, and the page read for it is dropped.
    let claims = http::token_claims(app, request)?;
    let reader = Viewer { user_id: claims.sub.clone(), session_id: claims.sid.clone() };
    // The feed is private, so its cursors are bound to the viewer.
    let page_request = http::page_request(app, request, Some(&reader))?;
    let (caller, page) = futures::join!(accounts::caller_of(app, &claims), home_feed(app, &reader, &page_request));
    let viewer = caller?.viewer;
    http::page_response(app, request, Some(&viewer), page?)
}

async fn profile(app: &App, request: &Request, username: &str) -> ApiResult {
    let viewer = http::authenticate(app, request).await?;
    let page_request = http::page_request(app, request, None)?;
    let page = profile_timeline(app, viewer.as_ref(), username, &page_request).await?;
    http::page_response(app, request, None, page)
}

//! The rate limit hook every endpoint group's handler goes through: it counts the request,
//! rejects it with 429 `throttled` over the limit, and puts `X-RateLimit-*` on the response.

use std::future::Future;

use http::{HeaderValue, StatusCode};
use lambda_http::RequestExt;
use lambda_http::request::RequestContext;

use super::{ApiError, ApiResult, Request, Response, header};
use crate::app::App;
use crate::clock;
use crate::ratelimit::{self, Usage};

/// Runs `handler` for `request` unless the caller is over its rate limit, and returns the
/// finished response. `handler` is a future that has not run yet, so a throttled request never
/// reaches the handler.
pub async fn serve(app: &App, request: &Request, handler: impl Future<Output = ApiResult>) -> Response {
    let usage = if app.rate_limits.enabled { check(app, request).await } else { None };
    let result = match usage {
        Some(usage) if usage.exceeded => Err(throttled(&usage)),
        _ => handler.await,
    };
    let mut response = super::finish(result, request);
    if let Some(usage) = usage {
        let headers = response.headers_mut();
        headers.insert("x-ratelimit-limit", HeaderValue::from(usage.limit));
        headers.insert("x-ratelimit-remaining", HeaderValue::from(usage.remaining));
        headers.insert("x-ratelimit-reset", HeaderValue::from(usage.reset_seconds));
    }
    response
}

/// Counts the request in its bucket. A store failure lets the request through: an outage of
/// the counters must not take the whole API down, and API Gateway's stage throttling still
/// bounds the traffic.
async fn check(app: &App, request: &Request) -> Option<Usage> {
    // Only the signature and time claims are checked here, not the session, so the bucket
    // costs no store read; the handler still rejects a logged-out token.
    let user_id = super::request::bearer_token(request)
        .ok()
        .flatten()
        .and_then(|token| app.tokens.verify(token).ok())
        .map(|claims| claims.sub);
    let client_ip = client_ip(request);
    let bucket = app.rate_limits.bucket(request.method(), request.uri().path(), user_id.as_deref(), &client_ip);

    match ratelimit::count(app, &bucket, clock::now().unix_timestamp()).await {
        Ok(usage) => {
            if usage.exceeded {
                tracing::info!(bucket = bucket.name, subject = %bucket.subject, limit = usage.limit, "request throttled");
            }
            Some(usage)
        }
        Err(error) => {
            tracing::error!(%error, bucket = bucket.name, subject = %bucket.subject, "rate limit counter failed; letting the request through");
            None
        }
    }
}

fn throttled(usage: &Usage) -> ApiError {
    let seconds = usage.reset_seconds;
    let mut error = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "throttled",
        format!("Request was throttled. Expected available in {seconds} seconds."),
    );
    error.headers.push(("retry-after", seconds.to_string()));
    error
}

/// Returns the client's IP address: the source IP API Gateway saw, or else the last
/// `X-Forwarded-For` entry, which the nearest proxy (an ALB, or the local runtime, which
/// overwrites the header with the socket peer) appended. Earlier entries are client-sent and
/// never trusted.
pub fn client_ip(request: &Request) -> String {
    let from_context = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.http.source_ip.clone(),
        Some(RequestContext::ApiGatewayV1(context)) => context.identity.source_ip.clone(),
        _ => None,
    };
    from_context
        .or_else(|| {
            let forwarded = header(request, "x-forwarded-for")?;
            Some(forwarded.rsplit(',').next()?.trim().to_owned())
        })
        .filter(|ip| !ip.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

//! The rate limit hook every endpoint group's handler goes through: it counts the request,
//! rejects it with 429 `throttled` over the limit, and puts `X-RateLimit-*` on the response.

use std::future::Future;

use http::{HeaderValue, StatusCode};
use lambda_http::RequestExt;
use lambda_http::request::RequestContext;

use super::{ApiError, ApiResult, Request, Response, header};
use crate::app::App;
use crate::clock;
use crate::ratelimit::{self, Bucket, Usage};

/// Runs `handler` for `request` unless the caller is over its rate limit, and returns the
/// finished response. A request that may change something (any method but GET, HEAD and
/// OPTIONS) is counted first and never reaches its handler when throttled. A read runs beside
/// its count, so the counter's round trip adds no latency. When the count shows the caller
/// over the limit, the read's result is dropped and the client gets 429 all the same.
pub async fn serve(app: &App, request: &Request, handler: impl Future<Output = ApiResult>) -> Response {
    if !app.rate_limits.enabled {
        return super::finish(handler.await, request);
    }
    let now = clock::now().unix_timestamp();
    let bucket = bucket_of(app, request);

    let (usage, result) = if let Some(usage) = app.throttled.check(&bucket, now) {
        (Some(usage), Err(throttled(&usage)))
    } else if request.method().is_safe() {
        let (usage, result) = futures::join!(check(app, &bucket, now), handler);
        match usage {
            Some(usage) if usage.exceeded => (Some(usage), Err(throttled(&usage))),
            _ => (usage, result),
        }
    } else {
        match check(app, &bucket, now).await {
            Some(usage) if usage.exceeded => (Some(usage), Err(throttled(&usage))),
            usage => (usage, handler.await),
        }
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

/// Returns the bucket `request` counts in. Only the token's signature and time claims are
/// checked here, not its session, so choosing the bucket costs no store read. The handler
/// still rejects a logged-out token.
fn bucket_of(app: &App, request: &Request) -> Bucket {
    let user_id = super::request::bearer_token(request)
        .ok()
        .flatten()
        .and_then(|token| app.tokens.verify(token).ok())
        .map(|claims| claims.sub);
    let client_ip = client_ip(request);
    app.rate_limits.bucket(request.method(), request.uri().path(), user_id.as_deref(), &client_ip)
}

/// Counts the request in its bucket, and remembers a bucket that went over its limit. A store
/// failure lets the request through, because an outage of the counters must not take the whole
/// API down, and API Gateway's stage throttling still bounds the traffic.
async fn check(app: &App, bucket: &Bucket, now: i64) -> Option<Usage> {
    match ratelimit::count(app, bucket, now).await {
        Ok(usage) => {
            if usage.exceeded {
                tracing::info!(bucket = bucket.name, subject = %bucket.subject, limit = usage.limit, "request throttled");
                app.throttled.remember(bucket, &usage, now);
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

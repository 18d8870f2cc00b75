//! Building responses and logging failures.

use http::StatusCode;
use lambda_http::Body;
use serde::Serialize;

use super::{ApiError, ApiResult, Request, Response};

pub fn json<T: Serialize>(status: StatusCode, value: &T) -> ApiResult {
    let body = serde_json::to_string(value).map_err(|error| ApiError::server_error(error.to_string()))?;
    Ok(http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::Text(body))
        .expect("static headers are valid"))
}

pub fn empty(status: StatusCode) -> ApiResult {
    Ok(http::Response::builder().status(status).body(Body::Empty).expect("no headers to reject"))
}

/// Turns a handler's result into the response, logging every server error with its cause and
/// the request id. Clients see only the contract's generic body.
pub fn finish(result: ApiResult, request: &Request) -> Response {
    match result {
        Ok(response) => response,
        Err(error) => {
            if error.status.is_server_error() {
                tracing::error!(
                    method = %request.method(),
                    path = request.uri().path(),
                    request_id = request_id(request),
                    cause = error.cause.as_deref().unwrap_or("unknown"),
                    "request failed"
                );
            }
            let mut builder = http::Response::builder()
                .status(error.status)
                .header("content-type", "application/json");
            for (name, value) in &error.headers {
                builder = builder.header(*name, value);
            }
            builder.body(Body::Text(error.body())).expect("error headers are valid")
        }
    }
}

fn request_id(request: &Request) -> String {
    use lambda_http::RequestExt;
    if let Some(context) = request.lambda_context_ref() {
        return context.request_id.clone();
    }
    super::header(request, "x-request-id").unwrap_or("-").to_owned()
}

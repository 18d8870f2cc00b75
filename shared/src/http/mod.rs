//! HTTP helpers shared by every endpoint-group function: routing on the raw path, request
//! parsing, authentication, error and page responses in the contract's shapes.

// `ApiError` carries field errors and headers by value. It is built at most once per failed
// request, so boxing it would cost more reading than it saves.
#![allow(clippy::result_large_err)]

mod error;
mod limits;
mod pages;
mod request;
mod response;
mod router;

pub use error::{ApiError, ErrorBody};
pub use limits::{client_ip, serve};
pub use pages::{page_request, page_response};
pub use request::{
    JsonBody, MAX_BODY_BYTES, authenticate, header, json_body, query_params, require_caller, require_viewer,
    token_claims,
};
pub use response::{empty, finish, json};
pub use router::{Route, match_route, normalize_path, route};

/// The request type of `lambda_http`, used unchanged by the local runtime.
pub type Request = lambda_http::Request;

/// The response type every handler returns.
pub type Response = http::Response<lambda_http::Body>;

pub type ApiResult = Result<Response, ApiError>;

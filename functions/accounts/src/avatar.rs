//! `POST` and `DELETE /api/accounts/profile/avatar/`: the upload URL and the avatar's removal.

use std::collections::BTreeMap;

use ::http::StatusCode;
use chirp_shared::app::App;
use chirp_shared::avatars::profile;
use chirp_shared::error::Validator;
use chirp_shared::http::{self, ApiResult, Request};
use serde::Serialize;

#[derive(Serialize)]
struct UploadBody {
    upload_url: String,
    method: &'static str,
    /// Headers the upload must carry exactly, because the URL's signature covers them.
    headers: BTreeMap<String, String>,
    /// Seconds until the URL stops working.
    expires_in: u64,
}

/// Body: `content_type` (`image/png`, `image/jpeg`, `image/webp` or `image/gif`) and
/// `content_length` (the file's size in bytes, at most 2 MiB).
pub async fn request_upload(app: &App, request: &Request) -> ApiResult {
    let viewer = http::require_viewer(app, request).await?;
    let body = http::json_body(request)?;
    let mut validator = Validator::new();
    let content_type = body.required_string("content_type", &mut validator);
    let content_length = body.required_integer("content_length", &mut validator);
    validator.finish()?;

    let upload = profile::request_upload(
        app,
        &viewer,
        &content_type.unwrap_or_default(),
        content_length.unwrap_or_default(),
    )
    .await?;
    let body = UploadBody {
        upload_url: upload.url,
        method: upload.method,
        headers: upload.headers,
        expires_in: upload.expires_in.as_secs(),
    };
    http::json(StatusCode::OK, &body)
}

pub async fn delete(app: &App, request: &Request) -> ApiResult {
    let viewer = http::require_viewer(app, request).await?;
    profile::delete_avatar(app, &viewer).await?;
    http::empty(StatusCode::NO_CONTENT)
}

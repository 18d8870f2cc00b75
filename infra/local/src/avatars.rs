//! The local twin of the avatar bucket and its CDN: upload URLs signed by the runtime itself,
//! files under `media/` in the data directory, the avatar processor invoked with an S3-shaped
//! event after each upload, and the renditions served under `/media/avatars/`.
//!
//! The upload endpoint checks what S3 checks on a presigned `PUT`: the signature over the key,
//! content type, length and expiry, and that the request's `Content-Type` and body match the
//! signed ones. Unlike S3 it also rejects a second use of one URL. It processes the upload
//! before answering, where S3 invokes the processor within seconds after the `PUT`, so a client
//! of the local runtime sees the new `avatar_url` as soon as the upload returns.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use chirp_avatars::Processor;
use chirp_shared::avatars::keys::rendition_version;
use chirp_shared::avatars::local::LocalStorage;
use chirp_shared::avatars::{AvatarStorage, Avatars, Fetched, UploadKey};
use chirp_shared::http::ApiError;
use chirp_shared::store::Store;
use http::{Method, StatusCode};

/// Path prefix of the upload and rendition routes.
pub const MEDIA_PATH: &str = "/media/";

/// Largest rendition the runtime serves, in bytes; a 400×400 RGBA PNG is at most about 640 KB.
const MAX_RENDITION_BYTES: u64 = 1024 * 1024;

pub struct LocalMedia {
    storage: Arc<LocalStorage>,
    processor: Processor,
    /// Keys already uploaded, so each URL works once while the runtime runs.
    used_keys: Mutex<HashSet<String>>,
}

impl LocalMedia {
    /// Keeps files under `{data_dir}/media` and makes URLs on the runtime's own address.
    pub fn new(data_dir: &Path, addr: SocketAddr, secret: &[u8], store: Arc<dyn Store>) -> Self {
        let host = if addr.ip().is_unspecified() { SocketAddr::from(([127, 0, 0, 1], addr.port())) } else { addr };
        let base_url = format!("http://{host}{}", MEDIA_PATH.trim_end_matches('/'));
        let storage = Arc::new(LocalStorage::new(data_dir.join("media"), &base_url, secret));
        let avatars = Avatars::new(storage.clone(), &base_url);
        Self { storage, processor: Processor { store, avatars }, used_keys: Mutex::new(HashSet::new()) }
    }

    /// Returns the storage and public URL the accounts endpoints use.
    pub fn avatars(&self) -> Avatars {
        self.processor.avatars.clone()
    }

    /// Serves `PUT /media/uploads/...` and `GET /media/avatars/...`.
    pub async fn serve(&self, request: Request) -> Response {
        let key = request.uri().path().trim_start_matches(MEDIA_PATH).to_owned();
        let result = match *request.method() {
            Method::PUT => self.upload(&key, request).await,
            Method::GET => self.rendition(&key).await,
            _ => Err(ApiError::method_not_allowed(request.method(), &[Method::GET, Method::PUT])),
        };
        result.unwrap_or_else(error_response)
    }

    async fn upload(&self, key: &str, request: Request) -> Result<Response, ApiError> {
        let Some(upload) = UploadKey::parse(key) else {
            return Err(ApiError::not_found(format!("No upload URL at {MEDIA_PATH}{key}.")));
        };
        let query = request.uri().query().unwrap_or_default();
        let signed = self.storage.verify_upload(key, query, SystemTime::now()).map_err(rejected)?;
        let content_type = request.headers().get("content-type").and_then(|value| value.to_str().ok());
        if content_type != Some(signed.content_type.as_str()) {
            return Err(rejected(format!("Content-Type must be {}, as signed", signed.content_type)));
        }
        // One byte over the signed length is enough to tell that the body is too long.
        let limit = usize::try_from(signed.content_length).unwrap_or(usize::MAX).saturating_add(1);
        let bytes = axum::body::to_bytes(request.into_body(), limit)
            .await
            .map_err(|_| rejected(format!("the body is longer than the signed {} bytes", signed.content_length)))?;
        if bytes.len() as u64 != signed.content_length {
            return Err(rejected(format!("the body is {} bytes, not the signed {}", bytes.len(), signed.content_length)));
        }
        if !self.used_keys.lock().expect("the lock is never poisoned").insert(key.to_owned()) {
            return Err(rejected("the upload URL was already used".to_owned()));
        }

        self.storage.put(key, bytes.to_vec(), &signed.content_type).await.map_err(|error| ApiError::server_error(error.0))?;
        tracing::info!(user_id = %upload.user_id, key, bytes = bytes.len(), "avatar uploaded");
        // Like S3, the upload itself succeeded even when processing fails; the log has why.
        if let Err(error) = chirp_avatars::handle_event(&self.processor, object_created_event(LOCAL_BUCKET, key)).await {
            tracing::error!(user_id = %upload.user_id, key, %error, "avatar processing failed");
        }
        Ok(Response::builder().status(StatusCode::OK).body(Body::empty()).expect("a valid response"))
    }

    async fn rendition(&self, key: &str) -> Result<Response, ApiError> {
        let not_found = || ApiError::not_found(format!("No avatar at {MEDIA_PATH}{key}."));
        if rendition_version(key).is_none() {
            return Err(not_found());
        }
        match self.storage.fetch(key, MAX_RENDITION_BYTES).await.map_err(|error| ApiError::server_error(error.0))? {
            Fetched::Found(bytes) => Ok(Response::builder()
                .status(StatusCode::OK)
                .header("content-type", "image/png")
                .header("cache-control", "public, max-age=31536000, immutable")
                .body(Body::from(bytes))
                .expect("a valid response")),
            Fetched::Missing | Fetched::TooLarge(_) => Err(not_found()),
        }
    }
}

/// Bucket name in the events of the local uploads; the local storage ignores it.
const LOCAL_BUCKET: &str = "chirp-local-media";

/// Builds an `ObjectCreated:Put` event for one key of `bucket`, shaped as S3 sends it to Lambda.
pub fn object_created_event(bucket: &str, key: &str) -> aws_lambda_events::s3::S3Event {
    let event = serde_json::json!({
        "Records": [{
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": "local",
            "eventTime": chrono::Utc::now().to_rfc3339(),
            "eventName": "ObjectCreated:Put",
            "userIdentity": {"principalId": "chirp-local"},
            "requestParameters": {"sourceIPAddress": "127.0.0.1"},
            "responseElements": {},
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "avatar-uploads",
                "bucket": {"name": bucket, "arn": format!("arn:aws:s3:::{bucket}")},
                "object": {"key": key},
            },
        }],
    });
    serde_json::from_value(event).expect("the event matches the S3 event shape")
}

/// S3 rejects a presigned request that does not match its signature with 403.
fn rejected(reason: String) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "upload_rejected", format!("Upload rejected: {reason}."))
}

fn error_response(error: ApiError) -> Response {
    let mut builder = Response::builder().status(error.status).header("content-type", "application/json");
    for (name, value) in &error.headers {
        builder = builder.header(*name, value);
    }
    builder.body(Body::from(error.body())).expect("a valid response")
}

//! Avatars: the object key layout, the upload rules, the storage interface and the profile
//! updates that the accounts function and the avatar processor share.
//!
//! A client asks for a one-time upload URL, uploads the image to `uploads/{user_id}/{version}`,
//! and the processor writes square renditions to `avatars/{user_id}/{version}/{size}.png`.
//! `avatar_url` is the public base URL plus the key of the large rendition, so each new avatar
//! gets a new URL and a cache never serves an old one.

pub mod keys;
pub mod local;
pub mod profile;
#[cfg(feature = "s3")]
pub mod s3;
mod storage;

use std::sync::Arc;
use std::time::Duration;

pub use keys::{ImageType, UploadKey};
pub use storage::{AvatarStorage, Fetched, PresignedUpload, StorageError};

/// Maximum size of an uploaded image: 2 MiB.
pub const MAX_UPLOAD_BYTES: u64 = 2 * 1024 * 1024;

/// Lifetime of an upload URL.
pub const UPLOAD_URL_TTL: Duration = Duration::from_secs(5 * 60);

/// Edge lengths of the square renditions, in pixels. The first is the one `avatar_url` names.
pub const RENDITION_SIZES: [u32; 2] = [400, 96];

/// Avatar storage and the URL prefix clients read avatars from.
#[derive(Clone)]
pub struct Avatars {
    pub storage: Arc<dyn AvatarStorage>,
    /// Prefix of every `avatar_url`, without a trailing slash: the CDN's origin in a deployment,
    /// the runtime's own `/media` path locally.
    pub public_base_url: String,
}

impl Avatars {
    pub fn new(storage: Arc<dyn AvatarStorage>, public_base_url: &str) -> Self {
        Self { storage, public_base_url: public_base_url.trim_end_matches('/').to_owned() }
    }

    /// Returns the public URL of an object key.
    pub fn url_of(&self, key: &str) -> String {
        format!("{}/{key}", self.public_base_url)
    }

    /// Builds the S3 storage from `CHIRP_AVATAR_BUCKET` and `CHIRP_AVATAR_BASE_URL`, or returns
    /// `None` when the bucket is not set, so functions without avatars need neither.
    #[cfg(feature = "s3")]
    pub async fn from_env() -> Result<Option<Self>, String> {
        let bucket = std::env::var("CHIRP_AVATAR_BUCKET").unwrap_or_default();
        if bucket.trim().is_empty() {
            return Ok(None);
        }
        let base_url = std::env::var("CHIRP_AVATAR_BASE_URL").unwrap_or_default();
        if !base_url.starts_with("https://") && !base_url.starts_with("http://") {
            return Err(format!(
                "CHIRP_AVATAR_BASE_URL is {base_url:?}; set it to the URL avatars are served from, such as https://d1234.cloudfront.net"
            ));
        }
        let storage = s3::S3Storage::from_lambda_env(bucket)?;
        Ok(Some(Self::new(Arc::new(storage), &base_url)))
    }
}

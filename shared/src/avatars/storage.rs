//! The object storage interface behind avatars: S3 in a deployment, files in the local runtime.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;

use super::ImageType;

/// A failure of the storage service itself; the caller retries or reports it as a server error.
#[derive(Debug, thiserror::Error)]
#[error("avatar storage failed: {0}")]
pub struct StorageError(pub String);

/// A one-time upload URL and what the client must send with it.
#[derive(Clone, Debug)]
pub struct PresignedUpload {
    pub url: String,
    pub method: &'static str,
    /// Headers that are part of the signature; the upload fails without exactly these.
    pub headers: BTreeMap<String, String>,
    pub expires_in: Duration,
}

/// The outcome of reading an object with a size limit.
#[derive(Debug)]
pub enum Fetched {
    Found(Vec<u8>),
    Missing,
    /// Larger than the limit, with its size in bytes; nothing past the header was read.
    TooLarge(u64),
}

#[async_trait]
pub trait AvatarStorage: Send + Sync {
    /// Signs a `PUT` of exactly `content_length` bytes of `content_type` to `key`, valid for
    /// `expires_in`.
    async fn presign_upload(
        &self,
        key: &str,
        content_type: ImageType,
        content_length: u64,
        expires_in: Duration,
    ) -> Result<PresignedUpload, StorageError>;

    /// Reads an object unless it is larger than `max_bytes`.
    async fn fetch(&self, key: &str, max_bytes: u64) -> Result<Fetched, StorageError>;

    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), StorageError>;

    /// Deletes an object; deleting a missing one succeeds, as in S3.
    async fn delete(&self, key: &str) -> Result<(), StorageError>;

    /// Lists the keys that start with `prefix`, in ascending order.
    async fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError>;
}

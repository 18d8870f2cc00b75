//! Avatar storage on an S3 bucket, through aws-sdk-s3.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;

use super::{AvatarStorage, Fetched, ImageType, PresignedUpload, StorageError};
use crate::lambda_env;

/// Renditions never change under their key, which carries the avatar's version, so a CDN and a
/// browser may keep them for a year.
const RENDITION_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

pub struct S3Storage {
    client: Client,
    bucket: String,
}

impl S3Storage {
    /// Builds the client from a Lambda function's environment (see [`crate::lambda_env`]):
    /// region, credentials, and `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`.
    pub fn from_lambda_env(bucket: impl Into<String>) -> Result<Self, String> {
        let config = lambda_env::sdk_config("AWS_ENDPOINT_URL_S3")?;
        Ok(Self::new(Client::new(&config), bucket))
    }

    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self { client, bucket: bucket.into() }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }
}

fn failed(operation: &str, key: &str, error: impl std::error::Error) -> StorageError {
    StorageError(format!("S3 {operation} of {key} failed: {}", DisplayErrorContext(error)))
}

#[async_trait]
impl AvatarStorage for S3Storage {
    async fn presign_upload(
        &self,
        key: &str,
        content_type: ImageType,
        content_length: u64,
        expires_in: Duration,
    ) -> Result<PresignedUpload, StorageError> {
        let length = i64::try_from(content_length).map_err(|_| StorageError(format!("{content_length} bytes")))?;
        let presigning = PresigningConfig::expires_in(expires_in).map_err(|error| failed("presigning", key, error))?;
        // Content-Type and Content-Length are signed headers: S3 rejects a PUT whose headers
        // differ, so the client cannot change the type or send more bytes than it declared.
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type.content_type())
            .content_length(length)
            .presigned(presigning)
            .await
            .map_err(|error| failed("presigning", key, error))?;
        let headers: BTreeMap<String, String> =
            request.headers().map(|(name, value)| (name.to_owned(), value.to_owned())).collect();
        Ok(PresignedUpload { url: request.uri().to_owned(), method: "PUT", headers, expires_in })
    }

    async fn fetch(&self, key: &str, max_bytes: u64) -> Result<Fetched, StorageError> {
        let output = match self.client.get_object().bucket(&self.bucket).key(key).send().await {
            Ok(output) => output,
            Err(error) if error.as_service_error().is_some_and(|e| e.is_no_such_key()) => return Ok(Fetched::Missing),
            Err(error) => return Err(failed("GetObject", key, error)),
        };
        let length = output.content_length().and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
        if length > max_bytes {
            return Ok(Fetched::TooLarge(length));
        }
        let bytes = output.body.collect().await.map_err(|error| failed("GetObject body", key, error))?.to_vec();
        // The header may be absent; the body length is the last word.
        if bytes.len() as u64 > max_bytes {
            return Ok(Fetched::TooLarge(bytes.len() as u64));
        }
        Ok(Fetched::Found(bytes))
    }

    async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), StorageError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .cache_control(RENDITION_CACHE_CONTROL)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|error| failed("PutObject", key, error))?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|error| failed("DeleteObject", key, error))?;
        Ok(())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        let mut keys = Vec::new();
        let mut continuation: Option<String> = None;
        loop {
            let output = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_continuation_token(continuation.take())
                .send()
                .await
                .map_err(|error| failed("ListObjectsV2", prefix, error))?;
            keys.extend(output.contents().iter().filter_map(|object| object.key().map(str::to_owned)));
            match output.next_continuation_token() {
                Some(token) if output.is_truncated() == Some(true) => continuation = Some(token.to_owned()),
                _ => return Ok(keys),
            }
        }
    }
}

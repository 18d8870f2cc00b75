//! Processing of S3 `ObjectCreated` events on `uploads/`.
//!
//! S3 delivers each event at least once. Every step is safe to repeat: renditions are written
//! under the upload's own version, the profile update only moves the version forward, and the
//! upload is deleted last, so a repeat that finds no upload has nothing left to do.

use std::sync::Arc;

use aws_lambda_events::s3::S3Event;
use chirp_shared::avatars::keys::{avatars_prefix, rendition_version};
use chirp_shared::avatars::profile::{Applied, apply_avatar};
use chirp_shared::avatars::{Avatars, Fetched, MAX_UPLOAD_BYTES, StorageError, UploadKey};
use chirp_shared::store::{Store, StoreError};
use lambda_runtime::Error;

use crate::image_check::{Rejection, decode};
use crate::renditions::render;

/// The processor's store and avatar storage, built once per cold start.
pub struct Processor {
    pub store: Arc<dyn Store>,
    pub avatars: Avatars,
}

/// The result of one upload.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The avatar is now the profile's `avatar_url`.
    Applied,
    /// The image is fine but a newer avatar or a removal came first, or the account is gone.
    Discarded,
    /// The upload is not an acceptable image; the previous avatar stays.
    Rejected(Rejection),
    /// No upload under this key: a repeated event after the upload was processed.
    AlreadyProcessed,
    /// The key is outside the upload layout.
    Ignored,
}

/// A failure that a retry may fix.
#[derive(Debug)]
pub enum ProcessError {
    Storage(StorageError),
    Store(StoreError),
}

impl std::fmt::Display for ProcessError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProcessError::Storage(error) => error.fmt(f),
            ProcessError::Store(error) => error.fmt(f),
        }
    }
}

impl From<StorageError> for ProcessError {
    fn from(error: StorageError) -> Self {
        ProcessError::Storage(error)
    }
}

impl From<StoreError> for ProcessError {
    fn from(error: StoreError) -> Self {
        ProcessError::Store(error)
    }
}

/// Processes every record of the event. Returns an error when any record failed for a reason
/// a retry may fix, so Lambda retries the whole event, up to twice by default for an
/// asynchronous invocation. Records that already succeeded are then repeated harmlessly.
pub async fn handle_event(processor: &Processor, event: S3Event) -> Result<(), Error> {
    let total = event.records.len();
    let mut failed = 0;
    for record in event.records {
        let Some(key) = record.s3.object.key else {
            tracing::warn!(event_name = ?record.event_name, "S3 record without an object key ignored");
            continue;
        };
        if let Err(error) = process_upload(processor, &key).await {
            tracing::error!(key, %error, "avatar upload failed; the event will be retried");
            failed += 1;
        }
    }
    if failed > 0 {
        return Err(format!("{failed} of {total} avatar uploads failed").into());
    }
    Ok(())
}

/// Processes one uploaded object. The key comes from an S3 event, which URL-encodes it; keys
/// the accounts function issues contain no character that encoding changes.
pub async fn process_upload(processor: &Processor, key: &str) -> Result<Outcome, ProcessError> {
    let Some(upload) = UploadKey::parse(key) else {
        tracing::warn!(key, "object outside the upload key layout ignored");
        return Ok(Outcome::Ignored);
    };
    let storage = &processor.avatars.storage;
    let decoded = match storage.fetch(key, MAX_UPLOAD_BYTES).await? {
        Fetched::Missing => {
            tracing::info!(user_id = %upload.user_id, key, "avatar upload already processed");
            return Ok(Outcome::AlreadyProcessed);
        }
        Fetched::TooLarge(bytes) => Err(Rejection::TooLarge(bytes)),
        Fetched::Found(bytes) => tokio::task::spawn_blocking(move || decode(&bytes).map(|image| render(&image)))
            .await
            .expect("decoding does not panic"),
    };
    let renditions = match decoded {
        Ok(renditions) => renditions,
        Err(rejection) => {
            tracing::warn!(user_id = %upload.user_id, key, reason = %rejection, "avatar upload rejected");
            storage.delete(key).await?;
            return Ok(Outcome::Rejected(rejection));
        }
    };

    for (size, png) in renditions {
        storage.put(&upload.rendition_key(size), png, "image/png").await?;
    }
    let outcome = match apply_avatar(processor.store.as_ref(), &processor.avatars, &upload).await? {
        Applied::Set => {
            delete_older_renditions(processor, &upload).await?;
            tracing::info!(user_id = %upload.user_id, version = %upload.version, "avatar applied");
            Outcome::Applied
        }
        Applied::Stale | Applied::NoUser => {
            for key in storage.list(&upload.rendition_prefix()).await? {
                storage.delete(&key).await?;
            }
            tracing::info!(user_id = %upload.user_id, version = %upload.version, "avatar discarded: a newer change or no account");
            Outcome::Discarded
        }
    };
    storage.delete(key).await?;
    Ok(outcome)
}

/// Deletes the renditions of versions before `upload`; newer ones may belong to an upload
/// being processed at the same time.
async fn delete_older_renditions(processor: &Processor, upload: &UploadKey) -> Result<(), StorageError> {
    let storage = &processor.avatars.storage;
    for key in storage.list(&avatars_prefix(&upload.user_id)).await? {
        if rendition_version(&key).is_some_and(|version| version < upload.version) {
            storage.delete(&key).await?;
        }
    }
    Ok(())
}

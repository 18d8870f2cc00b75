//! Avatar changes to the profile: the upload URL, removal, and the processor's update.
//!
//! The profile item keeps `avatar_version`, the ordinal of the newest upload applied or removed
//! (see [`UploadKey::ordinal`]). It only grows, so a late or repeated event of an older upload
//! never brings back a replaced or removed avatar.

use super::keys::{avatars_prefix, uploads_prefix};
use super::{Avatars, ImageType, MAX_UPLOAD_BYTES, PresignedUpload, StorageError, UPLOAD_URL_TTL, UploadKey};
use crate::app::App;
use crate::domain::accounts::Viewer;
use crate::error::{DomainError, DomainResult};
use crate::keys;
use crate::store::{Condition, Store, StoreError, Update, number, string};

/// Profile attribute with the ordinal of the newest avatar applied or removed.
pub const AVATAR_VERSION_ATTRIBUTE: &str = "avatar_version";

impl From<StorageError> for DomainError {
    fn from(error: StorageError) -> Self {
        DomainError::Store(StoreError::Unavailable(error.0))
    }
}

fn configured(app: &App) -> DomainResult<&Avatars> {
    app.avatars
        .as_ref()
        .ok_or_else(|| DomainError::Store(StoreError::Unavailable("avatar storage is not configured".into())))
}

/// Checks the declared type and size and signs a one-time upload URL for a new key of the
/// viewer's own.
pub async fn request_upload(
    app: &App,
    viewer: &Viewer,
    content_type: &str,
    content_length: i64,
) -> DomainResult<PresignedUpload> {
    let image_type = ImageType::from_content_type(content_type);
    let length = u64::try_from(content_length).ok().filter(|n| (1..=MAX_UPLOAD_BYTES).contains(n));
    let mut validator = crate::error::Validator::new();
    if image_type.is_none() {
        validator.add("content_type", "Must be one of image/png, image/jpeg, image/webp or image/gif.");
    }
    if length.is_none() {
        validator.add("content_length", format!("Must be the image's size in bytes, from 1 to {MAX_UPLOAD_BYTES}."));
    }
    validator.finish()?;
    let (Some(image_type), Some(length)) = (image_type, length) else { unreachable!("checked above") };

    let avatars = configured(app)?;
    let key = UploadKey::new(&viewer.user_id);
    let upload = avatars.storage.presign_upload(&key.key(), image_type, length, UPLOAD_URL_TTL).await?;
    tracing::info!(user_id = %viewer.user_id, key = %key.key(), length, "avatar upload URL issued");
    Ok(upload)
}

/// Clears `avatar_url`, then deletes every rendition and pending upload of the viewer.
pub async fn delete_avatar(app: &App, viewer: &Viewer) -> DomainResult<()> {
    let avatars = configured(app)?;
    // Raising the version to now also discards uploads issued before the removal that are
    // still in flight.
    let now = UploadKey::new(&viewer.user_id).ordinal();
    let update = Update::new().remove("avatar_url").set(AVATAR_VERSION_ATTRIBUTE, number(now));
    let condition = Condition::And(vec![Condition::Exists, not_newer_than(now)]);
    match app.store.update(&keys::user(&viewer.user_id), update, Some(condition)).await {
        Ok(_) | Err(StoreError::ConditionFailed) => {}
        Err(error) => return Err(error.into()),
    }
    delete_prefix(avatars, &avatars_prefix(&viewer.user_id)).await?;
    delete_prefix(avatars, &uploads_prefix(&viewer.user_id)).await?;
    tracing::info!(user_id = %viewer.user_id, "avatar removed");
    Ok(())
}

async fn delete_prefix(avatars: &Avatars, prefix: &str) -> Result<(), StorageError> {
    for key in avatars.storage.list(prefix).await? {
        avatars.storage.delete(&key).await?;
    }
    Ok(())
}

/// The outcome of [`apply_avatar`].
#[derive(Debug, PartialEq, Eq)]
pub enum Applied {
    Set,
    /// A newer avatar or a later removal is already on the profile.
    Stale,
    /// The account no longer exists.
    NoUser,
}

/// Sets `avatar_url` to the upload's large rendition unless a newer avatar or removal is
/// already applied.
pub async fn apply_avatar(store: &dyn Store, avatars: &Avatars, upload: &UploadKey) -> Result<Applied, StoreError> {
    let ordinal = upload.ordinal();
    let url = avatars.url_of(&upload.rendition_key(super::RENDITION_SIZES[0]));
    let update = Update::new().set("avatar_url", string(url)).set(AVATAR_VERSION_ATTRIBUTE, number(ordinal));
    // Not newer rather than older, so a repeated event of the applied upload applies it again.
    let condition = Condition::And(vec![Condition::Exists, not_newer_than(ordinal)]);
    match store.update(&keys::user(&upload.user_id), update, Some(condition)).await {
        Ok(_) => Ok(Applied::Set),
        Err(StoreError::ConditionFailed) => match store.get(&keys::user(&upload.user_id)).await? {
            Some(_) => Ok(Applied::Stale),
            None => Ok(Applied::NoUser),
        },
        Err(error) => Err(error),
    }
}

/// The stored version is absent or at most `ordinal`.
fn not_newer_than(ordinal: i64) -> Condition {
    Condition::Or(vec![
        Condition::AttributeNotExists(AVATAR_VERSION_ATTRIBUTE.into()),
        Condition::Below(AVATAR_VERSION_ATTRIBUTE.into(), ordinal.saturating_add(1)),
    ])
}

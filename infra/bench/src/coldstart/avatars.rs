//! The avatar processor's first event: a real PNG uploaded to a bucket on the local server, and
//! the `ObjectCreated:Put` notification S3 sends for it. Each cold start gets an upload of its
//! own, since the processor deletes the upload once it has made the renditions.

use std::io::Cursor;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;
use chirp_shared::avatars::keys::UploadKey;

use crate::dynamo::{ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, check_loopback};

/// Placeholder for the upload's key in the event, which [`with_upload`] fills in.
pub const KEY_PLACEHOLDER: &str = "{upload-key}";

/// Side of the test image in pixels: larger than the biggest rendition (400), so the
/// processor scales down as it does for a typical photo.
const IMAGE_SIDE: u32 = 512;

/// A bucket created for one run and deleted by [`BenchBucket::delete`].
pub struct BenchBucket {
    pub name: String,
    client: Client,
    png: Vec<u8>,
}

impl BenchBucket {
    /// Creates a fresh bucket, named `chirp-bench-` and a random suffix, at `endpoint`.
    pub async fn create(endpoint: &str) -> Result<Self, String> {
        check_loopback(endpoint)?;
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(endpoint)
            .force_path_style(true)
            .credentials_provider(Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None, None, "chirp-bench"))
            .build();
        let client = Client::from_conf(config);
        let name = format!("chirp-bench-{:016x}", rand::random::<u64>());
        client
            .create_bucket()
            .bucket(&name)
            .send()
            .await
            .map_err(|error| format!("cannot create bucket {name} at {endpoint}: {error}"))?;
        Ok(Self { name, client, png: test_png()? })
    }

    /// Uploads the test image as a new avatar upload of `user_id` and returns its key.
    pub async fn upload(&self, user_id: &str) -> Result<String, String> {
        let key = UploadKey::new(user_id).key();
        self.client
            .put_object()
            .bucket(&self.name)
            .key(&key)
            .content_type("image/png")
            .body(ByteStream::from(self.png.clone()))
            .send()
            .await
            .map_err(|error| format!("cannot upload {key}: {error}"))?;
        Ok(key)
    }

    /// Returns whether `key` still exists, which shows whether the processor handled the upload
/// (it deletes each upload it handles).
    pub async fn exists(&self, key: &str) -> bool {
        self.client.head_object().bucket(&self.name).key(key).send().await.is_ok()
    }

    /// Deletes every object and then the bucket, reporting failures without stopping.
    pub async fn delete(self) {
        let listed = self.client.list_objects_v2().bucket(&self.name).send().await;
        for object in listed.map(|page| page.contents.unwrap_or_default()).unwrap_or_default() {
            if let Some(key) = object.key {
                let _ = self.client.delete_object().bucket(&self.name).key(key).send().await;
            }
        }
        if let Err(error) = self.client.delete_bucket().bucket(&self.name).send().await {
            eprintln!("chirp-bench: could not delete bucket {}: {error}", self.name);
        }
    }
}

/// Builds an `ObjectCreated:Put` event for the bucket, with the key left to [`with_upload`].
pub fn object_created(bucket: &str) -> String {
    let event = chirp_local::avatars::object_created_event(bucket, KEY_PLACEHOLDER);
    serde_json::to_string(&event).expect("an S3 event serialises")
}

/// Fills in the upload's key. Events without the placeholder are returned unchanged.
pub fn with_upload(event: &str, key: &str) -> String {
    event.replace(KEY_PLACEHOLDER, key)
}

/// Encodes a square colour gradient as PNG. Neighbouring pixels differ, so it compresses
/// more like a photo than like a flat colour.
fn test_png() -> Result<Vec<u8>, String> {
    let image = image::RgbImage::from_fn(IMAGE_SIDE, IMAGE_SIDE, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x * y) % 256) as u8])
    });
    let mut png = Cursor::new(Vec::new());
    image.write_to(&mut png, image::ImageFormat::Png).map_err(|error| format!("cannot encode the test PNG: {error}"))?;
    Ok(png.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_name_the_upload() {
        let event = with_upload(&object_created("media"), "uploads/alice/01JEXAMPLE");
        let parsed: aws_lambda_events::s3::S3Event = serde_json::from_str(&event).expect("an S3 event");
        assert_eq!(parsed.records[0].s3.bucket.name.as_deref(), Some("media"));
        assert_eq!(parsed.records[0].s3.object.key.as_deref(), Some("uploads/alice/01JEXAMPLE"));
    }

    #[test]
    fn test_image_is_a_png() {
        let png = test_png().expect("encodes");
        assert_eq!(image::guess_format(&png).expect("known"), image::ImageFormat::Png);
    }
}

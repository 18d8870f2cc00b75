//! Avatar storage in a local directory, for the local runtime. It signs its own upload URLs
//! with an HMAC key, as S3 signs presigned URLs, and checks them when the upload arrives.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{AvatarStorage, Fetched, ImageType, PresignedUpload, StorageError};

type HmacSha256 = Hmac<Sha256>;

pub struct LocalStorage {
    root: PathBuf,
    /// URL prefix of the runtime's media routes, such as `http://127.0.0.1:8000/media`.
    base_url: String,
    key: Vec<u8>,
}

/// The terms an upload URL signs, checked against the request that uses it.
#[derive(Debug, PartialEq, Eq)]
pub struct SignedUpload {
    pub key: String,
    pub content_type: String,
    pub content_length: u64,
    /// Unix time in seconds after which the URL is rejected.
    pub expires: u64,
}

impl LocalStorage {
    /// Stores files under `root`; `secret` is the runtime's signing secret, from which a
    /// separate upload key is derived.
    pub fn new(root: impl Into<PathBuf>, base_url: &str, secret: &[u8]) -> Self {
        let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
        mac.update(b"chirp local avatar uploads");
        Self {
            root: root.into(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            key: mac.finalize().into_bytes().to_vec(),
        }
    }

    /// Checks the query of an upload URL: its signature over the key, content type, length and
    /// expiry, and the expiry against `now`. Returns the signed terms, which the caller then
    /// compares with the request's headers and body.
    pub fn verify_upload(&self, key: &str, query: &str, now: SystemTime) -> Result<SignedUpload, String> {
        let params: BTreeMap<String, String> =
            serde_urlencoded::from_str(query).map_err(|_| "the upload URL's query is malformed".to_owned())?;
        let field = |name: &str| params.get(name).ok_or_else(|| format!("the upload URL has no {name}"));
        let signed = SignedUpload {
            key: key.to_owned(),
            content_type: field("content_type")?.clone(),
            content_length: field("content_length")?.parse().map_err(|_| "content_length is not a number".to_owned())?,
            expires: field("expires")?.parse().map_err(|_| "expires is not a number".to_owned())?,
        };
        let signature = hex_decode(field("signature")?).ok_or("the signature is not hex")?;
        if self.mac(&signed).verify_slice(&signature).is_err() {
            return Err("the signature does not match the key, content type, length and expiry".into());
        }
        if unix_seconds(now) > signed.expires {
            return Err("the upload URL has expired".into());
        }
        Ok(signed)
    }

    /// Returns the path of an object key, or an error for a key that could leave the root.
    fn path_of(&self, key: &str) -> Result<PathBuf, StorageError> {
        let safe = !key.is_empty()
            && key.split('/').all(|part| !part.is_empty() && part != "." && part != "..")
            && key.bytes().all(|b| b.is_ascii_alphanumeric() || b"/._-".contains(&b));
        if !safe {
            return Err(StorageError(format!("{key:?} is not a valid object key")));
        }
        Ok(self.root.join(key))
    }

    fn mac(&self, signed: &SignedUpload) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        let message = format!("PUT\n{}\n{}\n{}\n{}", signed.key, signed.content_type, signed.content_length, signed.expires);
        mac.update(message.as_bytes());
        mac
    }
}

fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs())
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

fn io_failed(operation: &str, path: &Path, error: std::io::Error) -> StorageError {
    StorageError(format!("{operation} {} failed: {error}", path.display()))
}

#[async_trait]
impl AvatarStorage for LocalStorage {
    async fn presign_upload(
        &self,
        key: &str,
        content_type: ImageType,
        content_length: u64,
        expires_in: Duration,
    ) -> Result<PresignedUpload, StorageError> {
        self.path_of(key)?;
        let signed = SignedUpload {
            key: key.to_owned(),
            content_type: content_type.content_type().to_owned(),
            content_length,
            expires: unix_seconds(SystemTime::now()) + expires_in.as_secs(),
        };
        let signature = hex_encode(&self.mac(&signed).finalize().into_bytes());
        let query = serde_urlencoded::to_string([
            ("content_type", signed.content_type.as_str()),
            ("content_length", &content_length.to_string()),
            ("expires", &signed.expires.to_string()),
            ("signature", &signature),
        ])
        .expect("strings always encode");
        let headers = BTreeMap::from([
            ("content-type".to_owned(), signed.content_type.clone()),
            ("content-length".to_owned(), content_length.to_string()),
        ]);
        Ok(PresignedUpload { url: format!("{}/{key}?{query}", self.base_url), method: "PUT", headers, expires_in })
    }

    async fn fetch(&self, key: &str, max_bytes: u64) -> Result<Fetched, StorageError> {
        let path = self.path_of(key)?;
        let length = match tokio::fs::metadata(&path).await {
            Ok(metadata) => metadata.len(),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Fetched::Missing),
            Err(error) => return Err(io_failed("reading", &path, error)),
        };
        if length > max_bytes {
            return Ok(Fetched::TooLarge(length));
        }
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(Fetched::Found(bytes)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Fetched::Missing),
            Err(error) => Err(io_failed("reading", &path, error)),
        }
    }

    async fn put(&self, key: &str, bytes: Vec<u8>, _content_type: &str) -> Result<(), StorageError> {
        let path = self.path_of(key)?;
        let parent = path.parent().expect("an object path has a parent");
        tokio::fs::create_dir_all(parent).await.map_err(|error| io_failed("creating", parent, error))?;
        // Write and rename, so a reader never sees half a file.
        let partial = path.with_extension("partial");
        tokio::fs::write(&partial, bytes).await.map_err(|error| io_failed("writing", &partial, error))?;
        tokio::fs::rename(&partial, &path).await.map_err(|error| io_failed("renaming", &partial, error))
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let path = self.path_of(key)?;
        match tokio::fs::remove_file(&path).await {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(io_failed("deleting", &path, error)),
            _ => Ok(()),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, StorageError> {
        // Walk only the directory the prefix names, then filter by the whole prefix.
        let directory = prefix.rsplit_once('/').map_or("", |(directory, _)| directory);
        let mut pending = vec![self.root.join(directory)];
        let mut keys = Vec::new();
        while let Some(directory) = pending.pop() {
            let mut entries = match tokio::fs::read_dir(&directory).await {
                Ok(entries) => entries,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
                Err(error) => return Err(io_failed("listing", &directory, error)),
            };
            while let Some(entry) = entries.next_entry().await.map_err(|error| io_failed("listing", &directory, error))? {
                let path = entry.path();
                if entry.file_type().await.is_ok_and(|kind| kind.is_dir()) {
                    pending.push(path);
                    continue;
                }
                let key = path.strip_prefix(&self.root).ok().and_then(Path::to_str).map(|key| key.replace('\\', "/"));
                if let Some(key) = key.filter(|key| key.starts_with(prefix) && !key.ends_with(".partial")) {
                    keys.push(key);
                }
            }
        }
        keys.sort();
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn storage() -> LocalStorage {
        LocalStorage::new("/nonexistent", "http://127.0.0.1:1/media", b"a test secret of at least 32 bytes!")
    }

    fn query_of(url: &str) -> &str {
        url.split_once('?').expect("a query").1
    }

    #[tokio::test]
    async fn signed_terms_verify() {
        let storage = storage();
        let upload = storage.presign_upload("uploads/a/b", ImageType::Png, 10, Duration::from_secs(300)).await.unwrap();
        let signed = storage.verify_upload("uploads/a/b", query_of(&upload.url), SystemTime::now()).unwrap();
        assert_eq!(signed.content_type, "image/png");
        assert_eq!(signed.content_length, 10);
    }

    #[tokio::test]
    async fn altered_terms_fail() {
        let storage = storage();
        let upload = storage.presign_upload("uploads/a/b", ImageType::Png, 10, Duration::from_secs(300)).await.unwrap();
        let query = query_of(&upload.url);
        assert!(storage.verify_upload("uploads/c/b", query, SystemTime::now()).is_err());
        let longer = query.replace("content_length=10", "content_length=11");
        assert!(storage.verify_upload("uploads/a/b", &longer, SystemTime::now()).is_err());
        let later = SystemTime::now() + Duration::from_secs(301);
        assert!(storage.verify_upload("uploads/a/b", query, later).is_err());
    }

    #[tokio::test]
    async fn keys_stay_under_root() {
        let storage = storage();
        for key in ["../x", "uploads/../../x", "/etc/passwd", "a//b", "a/./b", ""] {
            assert!(storage.fetch(key, 10).await.is_err(), "{key}");
        }
    }
}

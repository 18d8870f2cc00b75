//! Object keys of uploads and renditions, and the image types an upload may declare.

use ulid::Ulid;

/// Prefix of uploads waiting for the processor. The bucket's event notification and its
/// lifecycle rule both match it.
pub const UPLOADS_PREFIX: &str = "uploads/";

/// Prefix of processed renditions, the only objects clients read.
pub const AVATARS_PREFIX: &str = "avatars/";

/// An image type a client may declare for an upload. The processor checks the bytes, never
/// this declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageType {
    Png,
    Jpeg,
    Webp,
    Gif,
}

impl ImageType {
    pub const ALL: [ImageType; 4] = [ImageType::Png, ImageType::Jpeg, ImageType::Webp, ImageType::Gif];

    pub fn from_content_type(content_type: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.content_type().eq_ignore_ascii_case(content_type.trim()))
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ImageType::Png => "image/png",
            ImageType::Jpeg => "image/jpeg",
            ImageType::Webp => "image/webp",
            ImageType::Gif => "image/gif",
        }
    }
}

/// The key of one upload: `uploads/{user_id}/{version}`, where the version is a new ULID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadKey {
    pub user_id: String,
    pub version: Ulid,
}

impl UploadKey {
    pub fn new(user_id: &str) -> Self {
        Self { user_id: user_id.to_owned(), version: Ulid::new() }
    }

    /// Parses a key the accounts function made, or returns `None` for anything else, so a
    /// stray object never names a user or a path outside the layout.
    pub fn parse(key: &str) -> Option<Self> {
        let rest = key.strip_prefix(UPLOADS_PREFIX)?;
        let (user_id, version) = rest.split_once('/')?;
        if !is_user_id(user_id) {
            return None;
        }
        let version_text = version;
        let version = Ulid::from_string(version_text).ok()?;
        // Only the canonical spelling, so one upload has exactly one key.
        (version.to_string() == version_text).then(|| Self { user_id: user_id.to_owned(), version })
    }

    pub fn key(&self) -> String {
        format!("{UPLOADS_PREFIX}{}/{}", self.user_id, self.version)
    }

    /// Returns the key of the square rendition of `size` pixels made from this upload.
    pub fn rendition_key(&self, size: u32) -> String {
        format!("{}{size}.png", self.rendition_prefix())
    }

    /// Returns the prefix of every rendition of this upload.
    pub fn rendition_prefix(&self) -> String {
        format!("{}{}/", avatars_prefix(&self.user_id), self.version)
    }

    /// The avatar version stored on the profile: the ULID's timestamp in milliseconds, which
    /// orders uploads so a late event of an older upload never replaces a newer avatar.
    pub fn ordinal(&self) -> i64 {
        i64::try_from(self.version.timestamp_ms()).unwrap_or(i64::MAX)
    }
}

/// Returns the prefix of every rendition of a user.
pub fn avatars_prefix(user_id: &str) -> String {
    format!("{AVATARS_PREFIX}{user_id}/")
}

/// Returns the prefix of every pending upload of a user.
pub fn uploads_prefix(user_id: &str) -> String {
    format!("{UPLOADS_PREFIX}{user_id}/")
}

/// Parses a rendition key `avatars/{user_id}/{version}/{size}.png` into its version.
pub fn rendition_version(key: &str) -> Option<Ulid> {
    let rest = key.strip_prefix(AVATARS_PREFIX)?;
    let mut parts = rest.split('/');
    let (user_id, version_text, file) = (parts.next()?, parts.next()?, parts.next()?);
    let size = file.strip_suffix(".png")?;
    let valid = parts.next().is_none()
        && is_user_id(user_id)
        && RENDITION_NAMES.contains(&size);
    if !valid {
        return None;
    }
    let version = Ulid::from_string(version_text).ok()?;
    (version.to_string() == version_text).then_some(version)
}

const RENDITION_NAMES: [&str; 2] = ["400", "96"];

/// User ids are lower-cased usernames: 1 to 15 of `a-z 0-9 _`.
fn is_user_id(text: &str) -> bool {
    (1..=15).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_key_round_trips() {
        let key = UploadKey::new("alice_1");
        assert_eq!(UploadKey::parse(&key.key()), Some(key.clone()));
        assert_eq!(rendition_version(&key.rendition_key(400)), Some(key.version));
        assert_eq!(rendition_version(&key.rendition_key(96)), Some(key.version));
    }

    #[test]
    fn foreign_keys_do_not_parse() {
        let version = Ulid::new().to_string();
        for key in [
            format!("uploads/Alice/{version}"),
            format!("uploads/alice/{}", version.to_lowercase()),
            format!("uploads/../{version}"),
            format!("uploads/alice/{version}/x"),
            format!("avatars/alice/{version}"),
            "uploads/alice/".to_owned(),
        ] {
            assert_eq!(UploadKey::parse(&key), None, "{key}");
        }
        for key in [
            format!("avatars/alice/{version}/401.png"),
            format!("avatars/alice/{version}/400.png/x"),
            format!("avatars/../{version}/400.png"),
            format!("uploads/alice/{version}"),
        ] {
            assert_eq!(rendition_version(&key), None, "{key}");
        }
    }

    #[test]
    fn content_types() {
        assert_eq!(ImageType::from_content_type("IMAGE/PNG"), Some(ImageType::Png));
        assert_eq!(ImageType::from_content_type("image/svg+xml"), None);
        assert_eq!(ImageType::from_content_type("text/html"), None);
    }
}

//! Cursor pagination shared by every list.
//!
//! Every list is ordered by a unique sort key string (a tweet id, or `<time>#<user id>`), so a
//! position in it is one string, and a page is "the next n entries beyond this string". That
//! stays exact while new entries arrive, and also works across shards, where each shard is
//! queried with the same bound. Cursors carry the position, the direction and the number of
//! entries before it, signed with HMAC-SHA256 together with the list's identity, so a client
//! can neither alter a cursor nor replay it on another list.

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::error::{DomainError, DomainResult};

pub const DEFAULT_PAGE_SIZE: usize = 20;
pub const MAX_PAGE_SIZE: usize = 100;

/// Bytes of the HMAC tag kept in a cursor: 128 bits, enough against forgery.
const TAG_BYTES: usize = 16;

/// A position in a list: entries strictly beyond `key` in the direction given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    #[serde(rename = "k")]
    pub key: String,
    /// `true` when the page runs toward the start of the list (a `previous` link).
    #[serde(rename = "b")]
    pub backward: bool,
    /// Number of list entries before the position, for lists with a maximum length.
    #[serde(rename = "o")]
    pub offset: usize,
}

#[derive(Serialize, Deserialize)]
struct CursorPayload {
    /// Identity of the list, including its filters and, for private lists, the viewer.
    #[serde(rename = "l")]
    list: String,
    #[serde(flatten)]
    position: Position,
}

/// Signs and checks cursors with a key derived from the service secret.
pub struct CursorSigner {
    key: Vec<u8>,
}

type HmacSha256 = Hmac<Sha256>;

impl CursorSigner {
    pub fn new(secret: &[u8]) -> Self {
        // A separate key for cursors, so a cursor tag can never double as a token signature.
        let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
        mac.update(b"chirp pagination cursor v1");
        Self { key: mac.finalize().into_bytes().to_vec() }
    }

    pub fn encode(&self, list: &str, position: &Position) -> String {
        let payload = CursorPayload { list: list.to_owned(), position: position.clone() };
        let json = serde_json::to_vec(&payload).expect("cursor payloads serialise");
        let tag = self.tag(&json);
        format!("{}.{}", URL_SAFE_NO_PAD.encode(&json), URL_SAFE_NO_PAD.encode(tag))
    }

    /// Decodes a cursor of `list`; an altered, truncated or foreign cursor gets
    /// [`DomainError::InvalidCursor`].
    pub fn decode(&self, list: &str, cursor: &str) -> DomainResult<Position> {
        let (body, tag) = cursor.split_once('.').ok_or(DomainError::InvalidCursor)?;
        let json = URL_SAFE_NO_PAD.decode(body).map_err(|_| DomainError::InvalidCursor)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| DomainError::InvalidCursor)?;
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(&json);
        mac.verify_truncated_left(&tag).map_err(|_| DomainError::InvalidCursor)?;
        if tag.len() != TAG_BYTES {
            return Err(DomainError::InvalidCursor);
        }
        let payload: CursorPayload =
            serde_json::from_slice(&json).map_err(|_| DomainError::InvalidCursor)?;
        if payload.list != list {
            return Err(DomainError::InvalidCursor);
        }
        Ok(payload.position)
    }

    fn tag(&self, data: &[u8]) -> Vec<u8> {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(data);
        mac.finalize().into_bytes()[..TAG_BYTES].to_vec()
    }
}

/// What a client asked for: a page size and maybe a position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub size: usize,
    pub position: Option<Position>,
}

/// Parses `page_size`: default 20, values above 100 count as 100, anything else but a whole
/// number of at least 1 is invalid.
pub fn parse_page_size(value: Option<&str>) -> DomainResult<usize> {
    let Some(text) = value else {
        return Ok(DEFAULT_PAGE_SIZE);
    };
    let invalid = || DomainError::field("page_size", "A whole number of at least 1 is required.");
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    // Digits only, so a parse failure means the number is too large: treat it as the maximum.
    let size = text.parse::<u64>().unwrap_or(u64::MAX);
    if size < 1 {
        return Err(invalid());
    }
    Ok(size.min(MAX_PAGE_SIZE as u64) as usize)
}

/// Entries a source read, each with its position key, in the direction asked.
pub struct Fetched<E> {
    pub entries: Vec<(String, E)>,
    /// Set when the source stopped at its read budget before finding `limit` entries: the key
    /// of the last entry it examined, where the next page resumes.
    pub stopped_at: Option<String>,
}

impl<E> Fetched<E> {
    pub fn complete(entries: Vec<(String, E)>) -> Self {
        Self { entries, stopped_at: None }
    }
}

/// A list that can be read in pages from a position.
#[async_trait]
pub trait ListSource: Send + Sync {
    type Entry: Send;

    /// Reads up to `limit` entries strictly beyond `bound` (from the start of the list when
    /// `None`), in list order when `forward`, else in reverse order, nearest first.
    async fn fetch(
        &self,
        bound: Option<&str>,
        forward: bool,
        limit: usize,
    ) -> DomainResult<Fetched<Self::Entry>>;
}

/// One page of entries with the positions of the pages around it.
pub struct Page<E> {
    pub items: Vec<E>,
    pub next: Option<Position>,
    pub previous: Option<Position>,
}

/// Reads the page `request` asks for. With `max_entries`, the list ends after that many
/// entries even if the source holds more (home timelines keep a fixed number).
pub async fn paginate<S: ListSource>(
    source: &S,
    request: &PageRequest,
    max_entries: Option<usize>,
) -> DomainResult<Page<S::Entry>> {
    match &request.position {
        Some(position) if position.backward => page_backward(source, request.size, position).await,
        position => page_forward(source, request.size, position.as_ref(), max_entries).await,
    }
}

async fn page_forward<S: ListSource>(
    source: &S,
    size: usize,
    position: Option<&Position>,
    max_entries: Option<usize>,
) -> DomainResult<Page<S::Entry>> {
    let offset = position.map_or(0, |p| p.offset);
    let size = match max_entries {
        Some(max) => size.min(max.saturating_sub(offset)),
        None => size,
    };
    if size == 0 {
        return Ok(Page { items: Vec::new(), next: None, previous: None });
    }

    let fetched = source.fetch(position.map(|p| p.key.as_str()), true, size + 1).await?;
    let has_more = fetched.entries.len() > size;
    let mut entries = fetched.entries;
    entries.truncate(size);
    let served = offset + entries.len();
    let at_max = max_entries.is_some_and(|max| served >= max);

    let next = if at_max {
        None
    } else if has_more {
        entries.last().map(|(key, _)| Position { key: key.clone(), backward: false, offset: served })
    } else {
        fetched.stopped_at.map(|key| Position { key, backward: false, offset: served })
    };
    let previous = match (position, entries.first()) {
        (Some(_), Some((key, _))) => Some(Position { key: key.clone(), backward: true, offset }),
        _ => None,
    };
    Ok(Page { items: entries.into_iter().map(|(_, entry)| entry).collect(), next, previous })
}

async fn page_backward<S: ListSource>(
    source: &S,
    size: usize,
    position: &Position,
) -> DomainResult<Page<S::Entry>> {
    let fetched = source.fetch(Some(&position.key), false, size + 1).await?;
    let has_more = fetched.entries.len() > size;
    let mut entries = fetched.entries;
    entries.truncate(size);
    entries.reverse();
    let offset = position.offset.saturating_sub(entries.len());

    let previous = if has_more {
        entries.first().map(|(key, _)| Position { key: key.clone(), backward: true, offset })
    } else {
        fetched.stopped_at.map(|key| Position { key, backward: true, offset })
    };
    let next = entries.last().map(|(key, _)| Position {
        key: key.clone(),
        backward: false,
        offset: offset + entries.len(),
    });
    Ok(Page { items: entries.into_iter().map(|(_, entry)| entry).collect(), next, previous })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip() {
        let signer = CursorSigner::new(b"0123456789abcdef0123456789abcdef");
        let position = Position { key: "01J".into(), backward: false, offset: 20 };
        let cursor = signer.encode("feed:alice", &position);
        assert_eq!(signer.decode("feed:alice", &cursor).unwrap(), position);
    }

    #[test]
    fn cursor_rejects_tampering() {
        let signer = CursorSigner::new(b"0123456789abcdef0123456789abcdef");
        let cursor = signer.encode("feed:alice", &Position { key: "01J".into(), backward: false, offset: 0 });
        assert!(signer.decode("feed:bob", &cursor).is_err());
        assert!(signer.decode("feed:alice", &cursor[..cursor.len() - 2]).is_err());
        let mut altered = cursor.clone().into_bytes();
        altered[3] = if altered[3] == b'A' { b'B' } else { b'A' };
        assert!(signer.decode("feed:alice", &String::from_utf8(altered).unwrap()).is_err());
        assert!(signer.decode("feed:alice", "garbage").is_err());
    }

    #[test]
    fn page_size_parsing() {
        assert_eq!(parse_page_size(None).unwrap(), 20);
        assert_eq!(parse_page_size(Some("5")).unwrap(), 5);
        assert_eq!(parse_page_size(Some("1000")).unwrap(), 100);
        assert_eq!(parse_page_size(Some("99999999999999999999999")).unwrap(), 100);
        assert!(parse_page_size(Some("0")).is_err());
        assert!(parse_page_size(Some("-1")).is_err());
        assert!(parse_page_size(Some("abc")).is_err());
        assert!(parse_page_size(Some("")).is_err());
    }
}

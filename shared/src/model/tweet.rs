//! Tweets: the stored tweet, its content rules and its public form.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use ulid::{Generator, Ulid};
use unicode_normalization::UnicodeNormalization;
use utoipa::ToSchema;

use crate::keys;
use crate::model::user::AuthorView;
use crate::store::{Item, StoreError, string};

pub const MAX_TWEET_CHARS: usize = 280;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tweet {
    /// A ULID: 48 bits of milliseconds then randomness, so ids sort in creation order.
    pub id: String,
    pub author_id: String,
    pub content: String,
    pub created_at: String,
    #[serde(default)]
    pub edited_at: Option<String>,
    #[serde(default)]
    pub likes_count: i64,
    #[serde(default)]
    pub mentions: Vec<String>,
    #[serde(default)]
    pub hashtags: Vec<String>,
}

impl Tweet {
    pub const ENTITY: &'static str = "tweet";

    /// Builds the stored item with its index keys: GSI1 for the author's profile timeline and
    /// GSI2 for the day- and hash-sharded global list.
    pub fn to_item(&self) -> Item {
        let mut item: Item = serde_dynamo::to_item(self).expect("tweets always serialise");
        item.extend(keys::tweet(&self.id).to_item().into_inner());
        item.insert("entity".into(), string(Self::ENTITY));
        keys::set_index(
            &mut item,
            keys::GSI1PK,
            keys::GSI1SK,
            keys::tweets_by_author(&self.author_id),
            self.id.clone(),
        );
        let day = self.created_at.get(..10).unwrap_or("1970-01-01");
        let shard = keys::shard_of(&self.id, keys::TWEET_LIST_SHARDS);
        keys::set_index(
            &mut item,
            keys::GSI2PK,
            keys::GSI2SK,
            keys::tweet_list_partition(day, shard),
            self.id.clone(),
        );
        item
    }

    pub fn from_item(item: Item) -> Result<Self, StoreError> {
        serde_dynamo::from_item(item)
            .map_err(|error| StoreError::Unavailable(format!("a tweet item is corrupt: {error}")))
    }
}

/// Generates a new tweet id and the creation time it encodes. Ids from one process strictly
/// increase even within a millisecond; ids of different processes in the same millisecond
/// sort in random order.
pub fn new_tweet_id() -> (String, time::OffsetDateTime) {
    static GENERATOR: Mutex<Option<Generator>> = Mutex::new(None);
    let mut generator = GENERATOR.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let id = generator
        .get_or_insert_with(Generator::new)
        .generate()
        // The random part overflows only after 2^80 ids in one millisecond.
        .unwrap_or_else(|_| Ulid::new());
    (id.to_string(), crate::clock::from_unix_ms(id.timestamp_ms() as i64))
}

/// Normalises tweet content: trims white space, converts to NFC, then checks 1 to 280 code
/// points and no control characters but newline and tab.
pub fn normalize_content(content: &str) -> Result<String, String> {
    let content: String = content.trim().nfc().collect();
    let length = content.chars().count();
    if length == 0 {
        return Err("This field may not be blank.".into());
    }
    if length > MAX_TWEET_CHARS {
        return Err(format!(
            "Ensure this field has no more than {MAX_TWEET_CHARS} characters (it has {length})."
        ));
    }
    if content.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err("Control characters other than newline and tab are not allowed.".into());
    }
    Ok(content)
}

/// Extracts `@username` mentions, lower-cased and without repeats, in order of appearance. A
/// mention starts at the beginning or after a character that cannot be part of a name.
pub fn extract_mentions(content: &str) -> Vec<String> {
    let mut mentions: Vec<String> = Vec::new();
    for name in tagged_words(content, '@', |c| c.is_ascii_alphanumeric() || c == '_') {
        if name.chars().count() <= crate::model::user::MAX_USERNAME_CHARS {
            let name = name.to_ascii_lowercase();
            if !mentions.contains(&name) {
                mentions.push(name);
            }
        }
    }
    mentions
}

/// Extracts `#tag` hashtags, lower-cased and without `#` or repeats, in order of appearance.
/// Tags may hold letters and digits of any script and underscores.
pub fn extract_hashtags(content: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in tagged_words(content, '#', |c| c.is_alphanumeric() || c == '_') {
        let tag = tag.to_lowercase();
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    tags
}

fn tagged_words(content: &str, sigil: char, is_word: impl Fn(char) -> bool) -> Vec<&str> {
    let mut words = Vec::new();
    let mut previous: Option<char> = None;
    for (index, c) in content.char_indices() {
        let at_boundary = previous.is_none_or(|p| !is_word(p) && p != sigil);
        if c == sigil && at_boundary {
            let rest = &content[index + c.len_utf8()..];
            let end = rest.find(|ch: char| !is_word(ch)).unwrap_or(rest.len());
            if end > 0 {
                words.push(&rest[..end]);
            }
        }
        previous = Some(c);
    }
    words
}

/// The public form of a tweet for one viewer.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TweetView {
    pub id: String,
    pub content: String,
    pub author: AuthorView,
    pub created_at: String,
    #[schema(required = true)]
    pub edited_at: Option<String>,
    pub likes_count: i64,
    pub liked: bool,
    pub mentions: Vec<String>,
    pub hashtags: Vec<String>,
}

impl TweetView {
    pub fn new(tweet: &Tweet, author: AuthorView, liked: bool) -> Self {
        Self {
            id: tweet.id.clone(),
            content: tweet.content.clone(),
            author,
            created_at: tweet.created_at.clone(),
            edited_at: tweet.edited_at.clone(),
            likes_count: tweet.likes_count,
            liked,
            mentions: tweet.mentions.clone(),
            hashtags: tweet.hashtags.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_trimmed_and_nfc() {
        let content = normalize_content("  cafe\u{0301}  ").unwrap();
        assert_eq!(content, "caf\u{e9}");
    }

    #[test]
    fn content_length_counts_code_points() {
        assert!(normalize_content(&"é".repeat(280)).is_ok());
        assert!(normalize_content(&"é".repeat(281)).is_err());
        assert!(normalize_content(" \n\t ").is_err());
    }

    #[test]
    fn content_rejects_control_characters() {
        assert!(normalize_content("a\u{0007}b").is_err());
        assert!(normalize_content("a\nb\tc").is_ok());
    }

    #[test]
    fn mentions_and_hashtags_extracted() {
        let content = "hi @Alice and @bob_2, @alice again #Rust #rust #Ünïcode a@b.c x#y";
        assert_eq!(extract_mentions(content), vec!["alice", "bob_2"]);
        assert_eq!(extract_hashtags(content), vec!["rust", "ünïcode"]);
    }
}

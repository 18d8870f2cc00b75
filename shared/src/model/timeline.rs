//! Home timeline entries, written only by the fan-out consumer.

use crate::keys;
use crate::store::{Item, string};

pub const ENTITY: &str = "timeline";

/// Maximum entries a home timeline keeps: the newest, by tweet id.
pub const MAX_TIMELINE_ENTRIES: usize = 800;

/// Builds the entry of `tweet_id` by `author_id` in `owner_id`'s home timeline. The key is
/// deterministic, so writing it again changes nothing.
pub fn timeline_item(owner_id: &str, tweet_id: &str, author_id: &str) -> Item {
    let mut item = keys::timeline_entry(owner_id, tweet_id).to_item();
    item.insert("entity".into(), string(ENTITY));
    item.insert("tweet_id".into(), string(tweet_id));
    item.insert("author_id".into(), string(author_id));
    item
}

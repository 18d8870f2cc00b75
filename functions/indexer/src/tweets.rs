//! Term items of tweets: written for a new tweet, changed by the difference of an edit,
//! deleted with the tweet.

use std::collections::BTreeSet;
use std::sync::Arc;

use chirp_shared::error::DomainResult;
use chirp_shared::model::Tweet;
use chirp_shared::search::index::{term_items, term_keys};
use chirp_shared::store::{BatchWrite, Key, Store, key_of};

/// Brings a tweet's term items from its old image to its new one; either may be absent. Puts
/// and deletes are unconditional with deterministic keys, so a replay changes nothing.
pub async fn reindex(store: &Arc<dyn Store>, old: Option<&Tweet>, new: Option<&Tweet>) -> DomainResult<()> {
    if let (Some(old), Some(new)) = (old, new) {
        // A like count change leaves the content, and so the terms, as they were.
        if old.content == new.content {
            return Ok(());
        }
    }
    let new_items = new.map(term_items).unwrap_or_default();
    let kept: BTreeSet<Key> = new_items.iter().filter_map(key_of).collect();
    let stale = old
        .map(|tweet| term_keys(&tweet.id, &tweet.content))
        .unwrap_or_default()
        .into_iter()
        .filter(|key| !kept.contains(key));

    let mut writes: Vec<BatchWrite> = stale.map(BatchWrite::Delete).collect();
    writes.extend(new_items.into_iter().map(BatchWrite::Put));
    if writes.is_empty() {
        return Ok(());
    }
    let tweet_id = new.or(old).map(|tweet| tweet.id.as_str()).unwrap_or_default();
    tracing::debug!(tweet_id, writes = writes.len(), "tweet reindexed");
    store.batch_write(writes).await?;
    Ok(())
}

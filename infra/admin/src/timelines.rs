//! Rebuilding home timelines from the follow graph and the tweets, for when fan-out lost
//! entries or wrote wrong ones.

use std::collections::BTreeMap;
use std::sync::Arc;

use chirp_shared::error::DomainResult;
use chirp_shared::keys;
use chirp_shared::model::timeline::{MAX_TIMELINE_ENTRIES, timeline_item};
use chirp_shared::store::{BatchWrite, Index, ItemExt, Query, Store};

use crate::users::query_all;

/// Entries a rebuild added and removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rebuilt {
    pub added: usize,
    pub removed: usize,
}

/// Rewrites `user_id`'s home timeline to the newest [`MAX_TIMELINE_ENTRIES`] tweets of the
/// user and everyone the user follows. Reads the follow list, one query per author (newest
/// 800 tweets each) and the current timeline, then writes only the difference. An entry that
/// fan-out adds during the run stays unless it falls outside the newest 800.
pub async fn rebuild_timeline(store: &Arc<dyn Store>, user_id: &str) -> DomainResult<Rebuilt> {
    let follows = query_all(store, Query::new(Index::Table, keys::following_partition(user_id))).await?;
    let mut authors: Vec<String> = follows.iter().filter_map(|item| item.string("followee_id").map(str::to_owned)).collect();
    authors.push(user_id.to_owned());

    // Tweet id to author id, newest last, so the newest entries are at the end.
    let mut target_entries: BTreeMap<String, String> = BTreeMap::new();
    for author in &authors {
        let query = Query::new(Index::Gsi1, keys::tweets_by_author(author)).backward().limit(MAX_TIMELINE_ENTRIES);
        let page = store.query(query).await?;
        for item in page.items {
            if let Some(tweet_id) = item.string("id") {
                target_entries.insert(tweet_id.to_owned(), author.clone());
            }
        }
    }
    while target_entries.len() > MAX_TIMELINE_ENTRIES {
        target_entries.pop_first();
    }

    let current = query_all(store, Query::new(Index::Table, keys::timeline_partition(user_id))).await?;
    let mut writes = Vec::new();
    let mut rebuilt = Rebuilt::default();
    for item in &current {
        let tweet_id = item.string("tweet_id").unwrap_or_default();
        if !target_entries.contains_key(tweet_id) {
            writes.push(BatchWrite::Delete(keys::timeline_entry(user_id, tweet_id)));
            rebuilt.removed += 1;
        }
    }
    let present: std::collections::HashSet<&str> = current.iter().filter_map(|item| item.string("tweet_id")).collect();
    for (tweet_id, author_id) in &target_entries {
        if !present.contains(tweet_id.as_str()) {
            writes.push(BatchWrite::Put(timeline_item(user_id, tweet_id, author_id)));
            rebuilt.added += 1;
        }
    }
    if !writes.is_empty() {
        store.batch_write(writes).await?;
    }
    Ok(rebuilt)
}

//! Home timelines: writing a tweet into its readers' timelines, taking it out again, and
//! bringing a followee's tweets in or out when a follow starts or ends.

use std::sync::Arc;

use chirp_shared::error::DomainResult;
use chirp_shared::keys;
use chirp_shared::model::timeline::{MAX_TIMELINE_ENTRIES, timeline_item};
use chirp_shared::model::tweet::Tweet;
use chirp_shared::store::{BatchWrite, Index, ItemExt, Query, Store, key_of};

/// One in this many timeline writes, picked by a hash of the tweet and reader ids, trims that
/// timeline. Trimming reads the whole timeline, so this bounds its cost to a few entry reads
/// per write, while a timeline exceeds its maximum by about this many entries at most on
/// average. Feed reads stop at the maximum regardless.
const TRIM_EVERY: u32 = 64;

/// Lists the user ids of everyone who follows `user_id`, paging through the whole partition.
async fn followers_of(store: &Arc<dyn Store>, user_id: &str) -> DomainResult<Vec<String>> {
    let mut followers = Vec::new();
    let mut start = None;
    loop {
        let query = Query::new(Index::Table, keys::followers_partition(user_id)).exclusive_start(start);
        let page = store.query(query).await?;
        followers.extend(page.items.iter().filter_map(|item| item.string("follower_id").map(str::to_owned)));
        match page.last_evaluated_key {
            Some(key) => start = Some(key),
            None => return Ok(followers),
        }
    }
}

/// Writes a new tweet into its author's timeline and every follower's.
pub async fn fan_out_tweet(store: &Arc<dyn Store>, tweet: &Tweet) -> DomainResult<()> {
    let mut readers = followers_of(store, &tweet.author_id).await?;
    readers.push(tweet.author_id.clone());
    let writes = readers
        .iter()
        .map(|reader| BatchWrite::Put(timeline_item(reader, &tweet.id, &tweet.author_id)))
        .collect();
    store.batch_write(writes).await?;
    tracing::debug!(tweet_id = %tweet.id, readers = readers.len(), "tweet fanned out");

    for reader in &readers {
        if keys::shard_of(&format!("{}#{reader}", tweet.id), TRIM_EVERY) == 0 {
            trim(store, reader).await?;
        }
    }
    Ok(())
}

/// Writes a tweet into its author's own timeline only, for an author whose followers merge
/// its tweets at read time.
pub async fn write_own_entry(store: &Arc<dyn Store>, tweet: &Tweet) -> DomainResult<()> {
    store.put(timeline_item(&tweet.author_id, &tweet.id, &tweet.author_id), None).await?;
    tracing::debug!(tweet_id = %tweet.id, author = %tweet.author_id, "tweet merged at read time, not fanned out");
    Ok(())
}

/// Removes a deleted tweet from its author's timeline and every follower's. A merged author's
/// tweet was not fanned out, but it may have been before the author crossed the threshold,
/// and deleting an absent entry costs the same write unit, so every follower is covered.
pub async fn remove_tweet(store: &Arc<dyn Store>, tweet: &Tweet) -> DomainResult<()> {
    let mut readers = followers_of(store, &tweet.author_id).await?;
    readers.push(tweet.author_id.clone());
    let writes = readers
        .iter()
        .map(|reader| BatchWrite::Delete(keys::timeline_entry(reader, &tweet.id)))
        .collect();
    store.batch_write(writes).await?;
    Ok(())
}

/// Brings the followee's newest tweets into the follower's timeline.
pub async fn backfill(store: &Arc<dyn Store>, follower: &str, followee: &str) -> DomainResult<()> {
    let mut writes = Vec::new();
    let mut start = None;
    while writes.len() < MAX_TIMELINE_ENTRIES {
        let query = Query::new(Index::Gsi1, keys::tweets_by_author(followee))
            .backward()
            .limit(MAX_TIMELINE_ENTRIES - writes.len())
            .exclusive_start(start);
        let page = store.query(query).await?;
        for item in &page.items {
            if let Some(tweet_id) = item.string("id") {
                writes.push(BatchWrite::Put(timeline_item(follower, tweet_id, followee)));
            }
        }
        match page.last_evaluated_key {
            Some(key) if !page.items.is_empty() => start = Some(key),
            _ => break,
        }
    }
    if !writes.is_empty() {
        store.batch_write(writes).await?;
        trim(store, follower).await?;
    }
    Ok(())
}

/// Removes every tweet of `author` from `reader`'s timeline. A timeline is bounded, so reading
/// it whole costs at most a few pages.
pub async fn remove_author(store: &Arc<dyn Store>, reader: &str, author: &str) -> DomainResult<()> {
    let mut deletes = Vec::new();
    let mut start = None;
    loop {
        let query = Query::new(Index::Table, keys::timeline_partition(reader)).exclusive_start(start);
        let page = store.query(query).await?;
        for item in &page.items {
            if item.string("author_id") == Some(author)
                && let Some(key) = key_of(item) {
                    deletes.push(BatchWrite::Delete(key));
                }
        }
        match page.last_evaluated_key {
            Some(key) => start = Some(key),
            None => break,
        }
    }
    if !deletes.is_empty() {
        store.batch_write(deletes).await?;
    }
    Ok(())
}

/// Deletes a timeline's entries beyond the newest [`MAX_TIMELINE_ENTRIES`].
async fn trim(store: &Arc<dyn Store>, reader: &str) -> DomainResult<()> {
    let mut seen = 0;
    let mut deletes = Vec::new();
    let mut start = None;
    loop {
        let query = Query::new(Index::Table, keys::timeline_partition(reader)).backward().exclusive_start(start);
        let page = store.query(query).await?;
        for item in &page.items {
            seen += 1;
            if seen > MAX_TIMELINE_ENTRIES
                && let Some(key) = key_of(item) {
                    deletes.push(BatchWrite::Delete(key));
                }
        }
        match page.last_evaluated_key {
            Some(key) => start = Some(key),
            None => break,
        }
    }
    if !deletes.is_empty() {
        tracing::debug!(reader, removed = deletes.len(), "timeline trimmed");
        store.batch_write(deletes).await?;
    }
    Ok(())
}

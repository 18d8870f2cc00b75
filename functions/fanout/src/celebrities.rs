//! The write side of hybrid fan-out (see `chirp_shared::domain::celebrities`): deciding per
//! tweet whether its author is merged at read time, and keeping followers' lists of merged
//! accounts in step with follows.

use std::sync::Arc;

use chirp_shared::clock;
use chirp_shared::domain::celebrities::{above_threshold, followed_item, marker_item, marker_listed};
use chirp_shared::error::DomainResult;
use chirp_shared::keys;
use chirp_shared::model::User;
use chirp_shared::store::{BatchWrite, Index, ItemExt, Query, Store, key_of};

/// Tells whether `author`'s new tweet skips fan-out. The first time an author is above
/// `threshold`, it gets its marker and an entry in every follower's list. An author with a
/// marker but below the threshold again is fanned out, and the feed drops the duplicates.
pub async fn merges_at_read(store: &Arc<dyn Store>, author: &str, threshold: i64) -> DomainResult<bool> {
    let user_key = keys::user(author);
    let marker_key = keys::celebrity(author);
    let items = store.batch_get(vec![user_key.clone(), marker_key.clone()]).await?;
    let mut followers_count = None;
    let mut listed = false;
    for item in items {
        match key_of(&item) {
            Some(key) if key == user_key => followers_count = Some(User::from_item(item)?.followers_count),
            Some(key) if key == marker_key => listed = marker_listed(&item),
            _ => {}
        }
    }
    // A deleted author leaves no followers to write to.
    let Some(followers_count) = followers_count else {
        return Ok(false);
    };
    if !above_threshold(followers_count, threshold) {
        return Ok(false);
    }
    if !listed {
        list_in_followers(store, author).await?;
    }
    Ok(true)
}

/// Marks `author` as merged and adds it to every follower's list. The marker goes first, so a
/// follow whose record the consumer handles after this point finds the marker, and a follow
/// handled before it is among the followers read here. A retry after a failure lists again,
/// because the marker's `listed` flag is set only once every entry is written.
async fn list_in_followers(store: &Arc<dyn Store>, author: &str) -> DomainResult<()> {
    store.put(marker_item(author, false, &clock::now_timestamp()), None).await?;
    let mut listed = 0;
    let mut start = None;
    loop {
        let query = Query::new(Index::Table, keys::followers_partition(author)).exclusive_start(start);
        let page = store.query(query).await?;
        let writes: Vec<BatchWrite> = page
            .items
            .iter()
            .filter_map(|item| item.string("follower_id"))
            .map(|follower| BatchWrite::Put(followed_item(follower, author)))
            .collect();
        listed += writes.len();
        store.batch_write(writes).await?;
        match page.last_evaluated_key {
            Some(key) => start = Some(key),
            None => break,
        }
    }
    store.put(marker_item(author, true, &clock::now_timestamp()), None).await?;
    tracing::info!(author, followers = listed, "account is above the fan-out threshold; its tweets are merged at read time");
    Ok(())
}

/// Adds `followee` to `follower`'s list when it is a merged account. Returns whether it is,
/// in which case the feed reads its tweets directly and no backfill is needed.
pub async fn on_follow(store: &Arc<dyn Store>, follower: &str, followee: &str) -> DomainResult<bool> {
    if store.get(&keys::celebrity(followee)).await?.is_none() {
        return Ok(false);
    }
    store.put(followed_item(follower, followee), None).await?;
    Ok(true)
}

/// Removes `followee` from `follower`'s list of merged accounts, if it is there.
pub async fn on_unfollow(store: &Arc<dyn Store>, follower: &str, followee: &str) -> DomainResult<()> {
    store.delete(&keys::followed_celebrity(follower, followee), None).await?;
    Ok(())
}

//! The popularity index: one item per tweet in GSI3, sorted by like count, for the
//! `likes_count` orderings of the tweet list.

use std::sync::Arc;

use chirp_shared::error::DomainResult;
use chirp_shared::keys;
use chirp_shared::model::tweet::Tweet;
use chirp_shared::store::{Store, number, string};

/// Writes the tweet's popularity item from its current like count. Records of one tweet
/// arrive in order, so the last write carries the newest count.
pub async fn index(store: &Arc<dyn Store>, tweet: &Tweet) -> DomainResult<()> {
    let mut item = keys::popularity(&tweet.id).to_item();
    item.insert("entity".into(), string("popularity"));
    item.insert("tweet_id".into(), string(&tweet.id));
    item.insert("author_id".into(), string(&tweet.author_id));
    item.insert("likes_count".into(), number(tweet.likes_count));
    keys::set_index(
        &mut item,
        keys::GSI3PK,
        keys::GSI3SK,
        keys::popularity_partition(keys::shard_of(&tweet.id, keys::POPULARITY_SHARDS)),
        keys::popularity_sort_key(tweet.likes_count, &tweet.id),
    );
    store.put(item, None).await?;
    Ok(())
}

pub async fn remove(store: &Arc<dyn Store>, tweet_id: &str) -> DomainResult<()> {
    store.delete(&keys::popularity(tweet_id), None).await?;
    Ok(())
}

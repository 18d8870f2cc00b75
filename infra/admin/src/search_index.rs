//! Rebuilding the search index from the primary data, for when the indexer lost items.

use std::sync::Arc;

use chirp_shared::error::DomainResult;
use chirp_shared::keys;
use chirp_shared::model::{Tweet, User};
use chirp_shared::search::index::{prefix_items, term_items};
use chirp_shared::store::{BatchWrite, Index, Query, Store};

use crate::users::query_all;

/// Rewrites the index items of one user: the name prefix items and the term items of each of
/// the user's tweets. Returns how many items it wrote. Index items have deterministic keys, so
/// a present item is rewritten unchanged.
///
/// NOTE: items of an edited or deleted tweet that the indexer failed to remove stay. Search
/// tolerates them, because it checks every candidate against the tweet's current content.
pub async fn rebuild_user_index(store: &Arc<dyn Store>, user_id: &str) -> DomainResult<usize> {
    let Some(item) = store.get(&keys::user(user_id)).await? else {
        return Ok(0);
    };
    let user = User::from_item(item)?;
    let mut writes: Vec<BatchWrite> = prefix_items(&user).into_iter().map(BatchWrite::Put).collect();

    let tweets = query_all(store, Query::new(Index::Gsi1, keys::tweets_by_author(user_id))).await?;
    for item in tweets {
        let tweet = Tweet::from_item(item)?;
        writes.extend(term_items(&tweet).into_iter().map(BatchWrite::Put));
    }
    let written = writes.len();
    if !writes.is_empty() {
        store.batch_write(writes).await?;
    }
    Ok(written)
}

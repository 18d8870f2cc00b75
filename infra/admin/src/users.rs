//! Walking every user through the GSI2 user list (`USERS#<shard>`), with no table scan.

use std::sync::Arc;

use chirp_shared::error::DomainResult;
use chirp_shared::keys;
use chirp_shared::store::{Index, Item, ItemExt, Query, Store};

/// Reads every page of a query.
pub async fn query_all(store: &Arc<dyn Store>, query: Query) -> DomainResult<Vec<Item>> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let page = store.query(query.clone().exclusive_start(start)).await?;
        items.extend(page.items);
        match page.last_evaluated_key {
            Some(key) => start = Some(key),
            None => return Ok(items),
        }
    }
}

/// Returns every user id, sorted, from all shards of the user list. Holds them all in memory:
/// about 20 bytes per user, so 200 MB for ten million users.
// NOTE: accounts registered before the user list existed are not in it; writing each such
// user item again (any `User::to_item` put) lists it.
pub async fn all_user_ids(store: &Arc<dyn Store>) -> DomainResult<Vec<String>> {
    let mut ids = Vec::new();
    for shard in 0..keys::USER_LIST_SHARDS {
        let query = Query::new(Index::Gsi2, keys::user_list_partition(shard));
        let items = query_all(store, query).await?;
        ids.extend(items.iter().filter_map(|item| item.string("user_id").map(str::to_owned)));
    }
    ids.sort();
    Ok(ids)
}

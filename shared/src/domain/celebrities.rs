//! Hybrid fan-out: the tweets of an account with more followers than a threshold are not
//! written into every follower's timeline. Each follower's feed merges them at read time from
//! the author's own tweet list (GSI1 `TWEETS#<author>`), which the tweet item keeps anyway.
//!
//! Two kinds of items carry the state, both written only by the fan-out consumer:
//! - a marker per merged account (`CELEBRITY#<id>`), written the first time the account posts
//!   while above the threshold, together with an entry in every follower's list below;
//! - per follower, the merged accounts it follows (`CELEBS#<follower>`, one item each), added
//!   on follow and removed on unfollow, so a feed page finds them with one small query instead
//!   of reading the whole following list.
//!
//! A merged account's tweet can also sit in a timeline: fanned out before the account crossed
//! the threshold, or after it dropped below again. Both lists are sorted by tweet id, so the
//! feed drops such duplicates while merging.

use std::env;
use std::sync::Arc;

use crate::error::DomainResult;
use crate::keys;
use crate::store::{AttributeValue, Index, Item, ItemExt, Query, Store, string};

/// Environment variable with the follower count above which an account is merged at read time.
pub const THRESHOLD_VARIABLE: &str = "CHIRP_CELEBRITY_THRESHOLD";

/// Default threshold. At an estimated 5,000 timeline writes per second for one consumer (see
/// `docs/capacity.md`), an account with 10,000 followers reaches every feed within 2 seconds.
pub const DEFAULT_THRESHOLD: i64 = 10_000;

/// Maximum merged accounts one feed page reads. Each costs one query per page, so this bounds
/// the cost of a page for a reader who follows many of them.
pub const MAX_MERGED_PER_FEED: usize = 100;

const MARKER_ENTITY: &str = "celebrity";
const FOLLOWED_ENTITY: &str = "followed_celebrity";

/// Reads the threshold from [`THRESHOLD_VARIABLE`], or [`DEFAULT_THRESHOLD`] when unset.
pub fn threshold_from_env() -> Result<i64, String> {
    match env::var(THRESHOLD_VARIABLE) {
        Err(_) => Ok(DEFAULT_THRESHOLD),
        Ok(text) => text.trim().parse::<i64>().ok().filter(|count| *count >= 0).ok_or_else(|| {
            format!("{THRESHOLD_VARIABLE} is {text:?}; expected a follower count of 0 or more")
        }),
    }
}

/// Tells whether an account with `followers_count` followers is merged at read time.
pub fn above_threshold(followers_count: i64, threshold: i64) -> bool {
    followers_count > threshold
}

/// Builds the marker of a merged account. `listed` is set once every follower's list contains the
/// account, so a fan-out retried after a partial listing lists again.
pub fn marker_item(user_id: &str, listed: bool, at: &str) -> Item {
    let mut item = keys::celebrity(user_id).to_item();
    item.insert("entity".into(), string(MARKER_ENTITY));
    item.insert("user_id".into(), string(user_id));
    item.insert("listed".into(), AttributeValue::Bool(listed));
    item.insert("updated_at".into(), string(at));
    item
}

/// Reads the `listed` flag of a marker.
pub fn marker_listed(item: &Item) -> bool {
    matches!(item.get("listed"), Some(AttributeValue::Bool(true)))
}

/// Builds the entry saying that `follower` follows the merged account `celebrity`.
pub fn followed_item(follower: &str, celebrity: &str) -> Item {
    let mut item = keys::followed_celebrity(follower, celebrity).to_item();
    item.insert("entity".into(), string(FOLLOWED_ENTITY));
    item.insert("follower_id".into(), string(follower));
    item.insert("celebrity_id".into(), string(celebrity));
    item
}

/// Lists the merged accounts `follower` follows, at most [`MAX_MERGED_PER_FEED`] of them.
pub async fn followed_celebrities(store: &Arc<dyn Store>, follower: &str) -> DomainResult<Vec<String>> {
    let query = Query::new(Index::Table, keys::followed_celebrities_partition(follower)).limit(MAX_MERGED_PER_FEED);
    let page = store.query(query).await?;
    if page.last_evaluated_key.is_some() {
        // NOTE: tweets of the merged accounts beyond this many are missing from this reader's
        // feed until it unfollows some of them.
        tracing::warn!(follower, max = MAX_MERGED_PER_FEED, "reader follows more merged accounts than a feed page reads");
    }
    Ok(page.items.iter().filter_map(|item| item.string("celebrity_id").map(str::to_owned)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_is_exclusive() {
        assert!(!above_threshold(10_000, 10_000));
        assert!(above_threshold(10_001, 10_000));
        assert!(above_threshold(1, 0));
    }

    #[test]
    fn marker_round_trip() {
        assert!(marker_listed(&marker_item("ann", true, "2026-01-01T00:00:00Z")));
        assert!(!marker_listed(&marker_item("ann", false, "2026-01-01T00:00:00Z")));
    }
}

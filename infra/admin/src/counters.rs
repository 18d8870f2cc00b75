//! Checking denormalised counters against the rows they count, and fixing them.

use std::sync::Arc;

use chirp_shared::error::DomainResult;
use chirp_shared::keys;
use chirp_shared::model::{Tweet, User};
use chirp_shared::store::{Condition, Index, Key, Query, Store, Update, number};

use crate::users::query_all;

/// One counter whose stored value differs from the count of its rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// User id, or tweet id for `likes_count`.
    pub owner: String,
    pub counter: &'static str,
    pub stored: i64,
    pub counted: i64,
    key: Key,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: stored {}, counted {}", self.owner, self.counter, self.stored, self.counted)
    }
}

/// Compares `user_id`'s followers, following and tweets counts, and the likes count of each of
/// the user's tweets, with the edges, tweets and likes stored. With `fix`, sets each wrong
/// counter to the counted value. Costs one query per counter plus one per tweet.
// NOTE: a follow, tweet or like committed between the count and the fix makes the fix one
// off, so run fixes while traffic is low and verify again afterwards. The popularity index
// is not checked.
pub async fn verify_user(store: &Arc<dyn Store>, user_id: &str, fix: bool) -> DomainResult<Vec<Mismatch>> {
    let Some(item) = store.get(&keys::user(user_id)).await? else {
        return Ok(Vec::new());
    };
    let user = User::from_item(item)?;
    let followers = query_all(store, Query::new(Index::Table, keys::followers_partition(user_id))).await?;
    let following = query_all(store, Query::new(Index::Table, keys::following_partition(user_id))).await?;
    let tweets = query_all(store, Query::new(Index::Gsi1, keys::tweets_by_author(user_id))).await?;

    let mut mismatches = Vec::new();
    let user_key = keys::user(user_id);
    for (counter, stored, counted) in [
        ("followers_count", user.followers_count, followers.len()),
        ("following_count", user.following_count, following.len()),
        ("tweets_count", user.tweets_count, tweets.len()),
    ] {
        push_if_wrong(&mut mismatches, user_id, counter, stored, counted, &user_key);
    }
    for item in tweets {
        let tweet = Tweet::from_item(item)?;
        let likes = query_all(store, Query::new(Index::Table, keys::like_partition(&tweet.id))).await?;
        push_if_wrong(&mut mismatches, &tweet.id, "likes_count", tweet.likes_count, likes.len(), &keys::tweet(&tweet.id));
    }

    if fix {
        for mismatch in &mismatches {
            let update = Update::new().set(mismatch.counter, number(mismatch.counted));
            store.update(&mismatch.key, update, Some(Condition::Exists)).await?;
        }
    }
    Ok(mismatches)
}

fn push_if_wrong(mismatches: &mut Vec<Mismatch>, owner: &str, counter: &'static str, stored: i64, counted: usize, key: &Key) {
    let counted = counted as i64;
    if stored != counted {
        mismatches.push(Mismatch { owner: owner.to_owned(), counter, stored, counted, key: key.clone() });
    }
}

//! Likes: one item per (tweet, user), so a like is idempotent by its key.

use crate::keys;
use crate::store::{Item, string};

pub const ENTITY: &str = "like";

/// Builds the like of `tweet_id` by `user_id` at `at`; GSI1 lists a tweet's likes by time.
pub fn like_item(tweet_id: &str, user_id: &str, tweet_author_id: &str, at: &str) -> Item {
    let mut item = keys::like(tweet_id, user_id).to_item();
    item.insert("entity".into(), string(ENTITY));
    item.insert("tweet_id".into(), string(tweet_id));
    item.insert("user_id".into(), string(user_id));
    item.insert("tweet_author_id".into(), string(tweet_author_id));
    item.insert("created_at".into(), string(at));
    keys::set_index(
        &mut item,
        keys::GSI1PK,
        keys::GSI1SK,
        keys::likes_of_tweet(tweet_id),
        keys::time_ordered(at, user_id),
    );
    item
}

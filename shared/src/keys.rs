//! The single-table key layout: every PK, SK and GSI key string is built here and nowhere else.
//!
//! | item                 | PK                        | SK              | GSI1PK / GSI1SK                  | GSI2PK / GSI2SK                  | GSI3PK / GSI3SK |
//! |----------------------|---------------------------|-----------------|----------------------------------|----------------------------------|-----------------|
//! | user profile         | `USER#<user_id>`          | `PROFILE`       |                                  | `USERS#<shard>` / user id        |                 |
//! | email claim          | `EMAIL#<email>`           | `EMAIL`         |                                  |                                  |                 |
//! | session              | `SESSION#<session_id>`    | `SESSION`       |                                  |                                  |                 |
//! | tweet                | `TWEET#<tweet_id>`        | `TWEET`         | `TWEETS#<user_id>` / tweet id    | `TWEETS#<day>#<shard>` / tweet id |                 |
//! | like                 | `LIKE#<tweet_id>`         | user id         | `LIKES#<tweet_id>` / `<time>#<user_id>` |                           |                 |
//! | follow, follower side| `FOLLOWING#<follower>`    | followee id     | `FOLLOWING#<follower>` / `<time>#<followee>` |                      |                 |
//! | follow, followee side| `FOLLOWERS#<followee>`    | follower id     | `FOLLOWERS#<followee>` / `<time>#<follower>` |                      |                 |
//! | home timeline entry  | `TIMELINE#<user_id>`      | tweet id        |                                  |                                  |                 |
//! | merged-author marker | `CELEBRITY#<user_id>`     | `CELEBRITY`     |                                  |                                  |                 |
//! | followed merged author | `CELEBS#<follower>`     | author id       |                                  |                                  |                 |
//! | tweet popularity     | `POPULARITY#<tweet_id>`   | `POPULARITY`    |                                  |                                  | `POPULAR#<shard>` / `<likes>#<tweet_id>` |
//! | idempotency record   | `IDEMPOTENCY#<user_id>#<key>` | `IDEMPOTENCY` |                                  |                                  |                 |
//! | tweet list start     | `META`                    | `TWEETS_SINCE`  |                                  |                                  |                 |
//! | notification         | `NOTIF#<recipient>`       | `<type>#<actor>#<tweet id or ->` | `NOTIF#<recipient>` / `<time>#<id>` | `UNREAD#<recipient>` / `<time>#<id>`, unread only | |
//! | unread counter       | `NOTIF#<recipient>`       | `UNREAD_COUNT`  |                                  |                                  |                 |
//! | tweet search term    | `TERM#<term>#<shard>`     | tweet id        |                                  |                                  |                 |
//! | user search prefix   | `UPREFIX#<prefix>`        | user id         |                                  |                                  |                 |
//! | rate limit counter   | `RATELIMIT#<bucket>#<subject>` | window start (epoch seconds) |                  |                                  |                 |
//! | access marker        | `ACCESS#<user_id>`        | `ACCESS`        |                                  |                                  |                 |
//! | moderation audit     | `AUDIT`                   | audit id (ULID) |                                  |                                  |                 |
//! | operator checkpoint  | `CHECKPOINT#<command>`    | `CHECKPOINT`    |                                  |                                  |                 |
//!
//! A user id is the lower-cased username, which never changes, so the profile item's key is
//! also the claim that keeps usernames unique without regard to case.

use crate::store::{Key, string};
use crate::store::{AttributeValue, Item};

pub const PK: &str = "PK";
pub const SK: &str = "SK";
pub const GSI1PK: &str = "GSI1PK";
pub const GSI1SK: &str = "GSI1SK";
pub const GSI2PK: &str = "GSI2PK";
pub const GSI2SK: &str = "GSI2SK";
pub const GSI3PK: &str = "GSI3PK";
pub const GSI3SK: &str = "GSI3SK";

/// Attribute DynamoDB's time to live reads: seconds since the Unix epoch.
pub const TTL: &str = "expires_at_epoch";

/// Number of partitions per day of the global tweet list. Each DynamoDB partition takes about
/// 1,000 writes per second, so the list takes about this many thousand tweets per second.
pub const TWEET_LIST_SHARDS: u32 = 8;

/// Number of partitions of the popularity index, for the same reason.
pub const POPULARITY_SHARDS: u32 = 8;

/// Number of partitions of the GSI2 list of every user. Operator commands walk this list
/// instead of scanning the table, and registrations spread their index writes over it.
pub const USER_LIST_SHARDS: u32 = 8;

/// Number of partitions of each search term, so a common word such as "the" spreads its
/// index writes over this many partitions instead of one.
pub const TERM_SHARDS: u32 = 4;

/// Width of the zero-padded like count in popularity sort keys, enough for any `u32`.
const LIKES_WIDTH: usize = 10;

pub const USER_PREFIX: &str = "USER#";
pub const TWEET_PREFIX: &str = "TWEET#";
pub const FOLLOWING_PREFIX: &str = "FOLLOWING#";
pub const LIKE_PREFIX: &str = "LIKE#";

pub fn user(user_id: &str) -> Key {
    Key::new(format!("{USER_PREFIX}{user_id}"), "PROFILE")
}

pub fn email_claim(email: &str) -> Key {
    Key::new(format!("EMAIL#{email}"), "EMAIL")
}

pub fn session(session_id: &str) -> Key {
    Key::new(format!("SESSION#{session_id}"), "SESSION")
}

pub fn tweet(tweet_id: &str) -> Key {
    Key::new(format!("{TWEET_PREFIX}{tweet_id}"), "TWEET")
}

/// GSI1 partition of one author's tweets (the profile timeline), sorted by tweet id.
pub fn tweets_by_author(user_id: &str) -> String {
    format!("TWEETS#{user_id}")
}

/// GSI2 partition of the global tweet list for one UTC day (`YYYY-MM-DD`) and shard.
pub fn tweet_list_partition(day: &str, shard: u32) -> String {
    format!("TWEETS#{day}#{shard}")
}

/// Spreads tweets over shards by a stable hash of the id (FNV-1a, so every build agrees).
pub fn shard_of(id: &str, shards: u32) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in id.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash % shards
}

pub fn like(tweet_id: &str, user_id: &str) -> Key {
    Key::new(like_partition(tweet_id), user_id)
}

/// Table partition of a tweet's likes, one item per user.
pub fn like_partition(tweet_id: &str) -> String {
    format!("{LIKE_PREFIX}{tweet_id}")
}

/// GSI1 partition of a tweet's likes, most recent last.
pub fn likes_of_tweet(tweet_id: &str) -> String {
    format!("LIKES#{tweet_id}")
}

/// Key of the follow edge on the follower's side: `follower` follows `followee`.
pub fn following(follower: &str, followee: &str) -> Key {
    Key::new(following_partition(follower), followee)
}

/// Key of the same edge on the followee's side.
pub fn follower(followee: &str, follower: &str) -> Key {
    Key::new(followers_partition(followee), follower)
}

/// Partition (table and GSI1) of everyone `user_id` follows.
pub fn following_partition(user_id: &str) -> String {
    format!("{FOLLOWING_PREFIX}{user_id}")
}

/// Partition (table and GSI1) of everyone who follows `user_id`.
pub fn followers_partition(user_id: &str) -> String {
    format!("FOLLOWERS#{user_id}")
}

/// Sort key in GSI1 that orders edges and likes by time, then by user id.
pub fn time_ordered(timestamp: &str, user_id: &str) -> String {
    format!("{timestamp}#{user_id}")
}

/// Partition of a user's home timeline, sorted by tweet id.
pub fn timeline_partition(user_id: &str) -> String {
    format!("TIMELINE#{user_id}")
}

pub fn timeline_entry(user_id: &str, tweet_id: &str) -> Key {
    Key::new(timeline_partition(user_id), tweet_id)
}

/// Marker of an account whose tweets are merged into feeds at read time instead of being
/// fanned out (see `domain::celebrities`).
pub fn celebrity(user_id: &str) -> Key {
    Key::new(format!("CELEBRITY#{user_id}"), "CELEBRITY")
}

/// Partition of the merged-at-read accounts that `follower` follows, one item per account.
pub fn followed_celebrities_partition(follower: &str) -> String {
    format!("CELEBS#{follower}")
}

pub fn followed_celebrity(follower: &str, celebrity: &str) -> Key {
    Key::new(followed_celebrities_partition(follower), celebrity)
}

pub fn popularity(tweet_id: &str) -> Key {
    Key::new(format!("POPULARITY#{tweet_id}"), "POPULARITY")
}

/// GSI3 partition of one shard of the popularity index.
pub fn popularity_partition(shard: u32) -> String {
    format!("POPULAR#{shard}")
}

/// GSI3 sort key that orders tweets by like count, then by id.
pub fn popularity_sort_key(likes: i64, tweet_id: &str) -> String {
    format!("{}#{tweet_id}", likes_prefix(likes))
}

/// Zero-padded like count, a prefix of popularity sort keys.
pub fn likes_prefix(likes: i64) -> String {
    format!("{:0width$}", likes.clamp(0, i64::from(u32::MAX)), width = LIKES_WIDTH)
}

pub fn idempotency(user_id: &str, idempotency_key: &str) -> Key {
    Key::new(format!("IDEMPOTENCY#{user_id}#{idempotency_key}"), "IDEMPOTENCY")
}

/// Counter of one rate limit bucket (`login`, `user`, ...) and subject (a user id or a client
/// IP) in the fixed window that starts at `window_start` (seconds since the Unix epoch).
pub fn rate_limit(bucket: &str, subject: &str, window_start: i64) -> Key {
    Key::new(format!("RATELIMIT#{bucket}#{subject}"), window_start.to_string())
}

/// Per-user marker of moderation state (suspension, current role), written by every
/// moderation action and read in the same batch get as the session on each request.
pub fn access(user_id: &str) -> Key {
    Key::new(format!("ACCESS#{user_id}"), "ACCESS")
}

/// GSI2 partition of one shard of the list of every user, sorted by user id.
pub fn user_list_partition(shard: u32) -> String {
    format!("USERS#{shard}")
}

/// Progress of a long `chirp-admin` command (`rebuild-timelines`, `verify-counters`), so an
/// interrupted run resumes after the last user it finished.
pub fn checkpoint(command: &str) -> Key {
    Key::new(format!("CHECKPOINT#{command}"), "CHECKPOINT")
}

/// Partition of the moderation audit log, sorted by audit id (a ULID, so by time). One
/// partition is enough at moderation rates: DynamoDB takes about 1,000 writes per second on it.
pub const AUDIT_PARTITION: &str = "AUDIT";

pub fn audit_entry(audit_id: &str) -> Key {
    Key::new(AUDIT_PARTITION, audit_id)
}

/// Item that records the day of the first tweet, where walks of the global list stop.
pub fn tweets_since() -> Key {
    Key::new("META", "TWEETS_SINCE")
}

/// Partition (table and GSI1) of one user's notifications.
pub fn notification_partition(recipient: &str) -> String {
    format!("NOTIF#{recipient}")
}

/// Sort key, and public id, of a notification: one per (type, actor, tweet), so a replayed
/// record or a second like of the same tweet finds the first notification.
pub fn notification_id(kind: &str, actor_id: &str, tweet_id: Option<&str>) -> String {
    format!("{kind}#{actor_id}#{}", tweet_id.unwrap_or("-"))
}

pub fn notification(recipient: &str, notification_id: &str) -> Key {
    Key::new(notification_partition(recipient), notification_id)
}

/// GSI2 partition of one user's unread notifications; marking one read removes it.
pub fn unread_notifications_partition(recipient: &str) -> String {
    format!("UNREAD#{recipient}")
}

/// Counter item of one user's unread notifications.
pub fn unread_count(recipient: &str) -> Key {
    Key::new(notification_partition(recipient), "UNREAD_COUNT")
}

/// Partition of one shard of a search term's tweets, sorted by tweet id.
pub fn term_partition(term: &str, shard: u32) -> String {
    format!("TERM#{term}#{shard}")
}

/// Key of the index item saying that tweet `tweet_id` contains `term`.
pub fn term_entry(term: &str, tweet_id: &str) -> Key {
    Key::new(term_partition(term, shard_of(tweet_id, TERM_SHARDS)), tweet_id)
}

/// Partition of every user whose username or display name starts with `prefix`.
pub fn user_prefix_partition(prefix: &str) -> String {
    format!("UPREFIX#{prefix}")
}

pub fn user_prefix_entry(prefix: &str, user_id: &str) -> Key {
    Key::new(user_prefix_partition(prefix), user_id)
}

/// Starts an item with its table key.
pub fn new_item(key: &Key) -> Item {
    key.to_item()
}

/// Sets a GSI's key attributes on an item.
pub fn set_index(item: &mut Item, partition_attribute: &str, sort_attribute: &str, partition: String, sort: String) {
    item.insert(partition_attribute.to_owned(), string(partition));
    item.insert(sort_attribute.to_owned(), string(sort));
}

/// Returns the id after `prefix` in a partition or sort key, such as the tweet id of
/// `TWEET#01J...`.
pub fn id_after<'a>(value: &'a AttributeValue, prefix: &str) -> Option<&'a str> {
    match value {
        AttributeValue::S(s) => s.strip_prefix(prefix),
        _ => None,
    }
}

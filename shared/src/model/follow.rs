//! Follow edges, stored twice so both directions are one query: on the follower's side
//! (`FOLLOWING#`) and on the followee's side (`FOLLOWERS#`).

use crate::keys;
use crate::store::{Item, string};

pub const FOLLOWING_ENTITY: &str = "following";
pub const FOLLOWER_ENTITY: &str = "follower";

/// Builds the two items of the edge "`follower` follows `followee`", created at `at`.
pub fn edge_items(follower: &str, followee: &str, at: &str) -> (Item, Item) {
    let mut following = keys::following(follower, followee).to_item();
    following.insert("entity".into(), string(FOLLOWING_ENTITY));
    following.insert("follower_id".into(), string(follower));
    following.insert("followee_id".into(), string(followee));
    following.insert("created_at".into(), string(at));
    let mut follower_side = following.clone();

    keys::set_index(
        &mut following,
        keys::GSI1PK,
        keys::GSI1SK,
        keys::following_partition(follower),
        keys::time_ordered(at, followee),
    );

    follower_side.extend(keys::follower(followee, follower).to_item().into_inner());
    follower_side.insert("entity".into(), string(FOLLOWER_ENTITY));
    keys::set_index(
        &mut follower_side,
        keys::GSI1PK,
        keys::GSI1SK,
        keys::followers_partition(followee),
        keys::time_ordered(at, follower),
    );
    (following, follower_side)
}

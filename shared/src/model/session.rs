//! Server-side sessions: a token is valid only while its session item exists, so logout
//! revokes it at once.

use crate::keys;
use crate::permissions::Role;
use crate::store::{Item, ItemExt, number, string};

pub const ENTITY: &str = "session";

/// Builds a session of `user_id` that expires at `expires_at_epoch` (seconds since the Unix
/// epoch). The same attribute is the table's time to live, so DynamoDB removes the item later.
/// `role` is the account's role at login, so a role check costs no extra read.
pub fn session_item(session_id: &str, user_id: &str, role: Role, created_at: &str, expires_at_epoch: i64) -> Item {
    let mut item = keys::session(session_id).to_item();
    item.insert("entity".into(), string(ENTITY));
    item.insert("user_id".into(), string(user_id));
    item.insert("role".into(), string(role.as_str()));
    item.insert("created_at".into(), string(created_at));
    item.insert(keys::TTL.into(), number(expires_at_epoch));
    item
}

/// The session's user id and expiry, read from its item.
pub fn session_owner(item: &Item) -> Option<(String, i64)> {
    Some((item.string("user_id")?.to_owned(), item.number(keys::TTL)?))
}

/// The role written into the session at login; `user` for sessions older than roles.
pub fn session_role(item: &Item) -> Role {
    item.string("role").and_then(|name| Role::parse(name).ok()).unwrap_or_default()
}

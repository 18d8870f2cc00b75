//! The access marker: one small item per moderated account with its current role and
//! suspension. Every moderation action writes it. `authenticate` reads it in the same batch
//! get as the session, so a suspension or a role change applies to existing tokens at once.

use crate::keys;
use crate::permissions::Role;
use crate::store::{AttributeValue, Item, ItemExt, string};

pub const ENTITY: &str = "access";

/// Moderation state of one account, as the marker stores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access {
    pub role: Role,
    pub suspended: bool,
}

impl Access {
    pub fn to_item(self, user_id: &str) -> Item {
        let mut item = keys::access(user_id).to_item();
        item.insert("entity".into(), string(ENTITY));
        item.insert("user_id".into(), string(user_id));
        item.insert("role".into(), string(self.role.as_str()));
        item.insert("suspended".into(), AttributeValue::Bool(self.suspended));
        item
    }

    /// Reads a marker; an unknown role reads as `user`, the least privileged.
    pub fn from_item(item: &Item) -> Self {
        let role = item.string("role").and_then(|name| Role::parse(name).ok()).unwrap_or_default();
        let suspended = matches!(item.get("suspended"), Some(AttributeValue::Bool(true)));
        Self { role, suspended }
    }
}

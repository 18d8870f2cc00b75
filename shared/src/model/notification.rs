//! Notifications: the stored item the notifier writes and its public form.

use serde::Serialize;
use utoipa::ToSchema;

use crate::keys;
use crate::model::user::AuthorView;
use crate::store::{AttributeValue, Item, ItemExt, StoreError, string};

pub const ENTITY: &str = "notification";
pub const COUNT_ENTITY: &str = "notification_count";

/// Attribute of the unread counter item holding the count.
pub const UNREAD_ATTRIBUTE: &str = "unread";

/// What a notification is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Follow,
    Like,
    Mention,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Follow => "follow",
            Kind::Like => "like",
            Kind::Mention => "mention",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "follow" => Some(Kind::Follow),
            "like" => Some(Kind::Like),
            "mention" => Some(Kind::Mention),
            _ => None,
        }
    }
}

/// A notification as stored. Its id is deterministic in (kind, actor, tweet), so writing the
/// same event twice finds the first item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub recipient_id: String,
    pub kind: Kind,
    pub actor_id: String,
    pub tweet_id: Option<String>,
    /// Time of the action that caused it, taken from the source item, so a replay writes the
    /// same value.
    pub created_at: String,
    pub read: bool,
}

impl Notification {
    pub fn new(recipient_id: &str, kind: Kind, actor_id: &str, tweet_id: Option<&str>, created_at: &str) -> Self {
        Self {
            recipient_id: recipient_id.to_owned(),
            kind,
            actor_id: actor_id.to_owned(),
            tweet_id: tweet_id.map(str::to_owned),
            created_at: created_at.to_owned(),
            read: false,
        }
    }

    pub fn id(&self) -> String {
        keys::notification_id(self.kind.as_str(), &self.actor_id, self.tweet_id.as_deref())
    }

    /// Sort key in GSI1 (all) and GSI2 (unread): time, then id, so it is unique.
    pub fn list_sort_key(&self) -> String {
        keys::time_ordered(&self.created_at, &self.id())
    }

    /// Builds the item of a new, unread notification, listed in both GSI1 and GSI2.
    pub fn to_item(&self) -> Item {
        let id = self.id();
        let mut item = keys::notification(&self.recipient_id, &id).to_item();
        item.insert("entity".into(), string(ENTITY));
        item.insert("id".into(), string(&id));
        item.insert("recipient_id".into(), string(&self.recipient_id));
        item.insert("type".into(), string(self.kind.as_str()));
        item.insert("actor_id".into(), string(&self.actor_id));
        if let Some(tweet_id) = &self.tweet_id {
            item.insert("tweet_id".into(), string(tweet_id));
        }
        item.insert("created_at".into(), string(&self.created_at));
        item.insert("read".into(), AttributeValue::Bool(self.read));
        let sort_key = self.list_sort_key();
        keys::set_index(
            &mut item,
            keys::GSI1PK,
            keys::GSI1SK,
            keys::notification_partition(&self.recipient_id),
            sort_key.clone(),
        );
        if !self.read {
            keys::set_index(
                &mut item,
                keys::GSI2PK,
                keys::GSI2SK,
                keys::unread_notifications_partition(&self.recipient_id),
                sort_key,
            );
        }
        item
    }

    pub fn from_item(item: &Item) -> Result<Self, StoreError> {
        let corrupt = |field: &str| StoreError::Unavailable(format!("a notification item lacks {field}"));
        let kind = item.string("type").and_then(Kind::parse).ok_or_else(|| corrupt("type"))?;
        Ok(Self {
            recipient_id: item.string("recipient_id").ok_or_else(|| corrupt("recipient_id"))?.to_owned(),
            kind,
            actor_id: item.string("actor_id").ok_or_else(|| corrupt("actor_id"))?.to_owned(),
            tweet_id: item.string("tweet_id").map(str::to_owned),
            created_at: item.string("created_at").ok_or_else(|| corrupt("created_at"))?.to_owned(),
            read: matches!(item.get("read"), Some(AttributeValue::Bool(true))),
        })
    }
}

/// The tweet summary inside a notification.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TweetSummary {
    pub id: String,
    pub content: String,
}

/// The public form of a notification.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: String,
    #[serde(rename = "type")]
    #[schema(value_type = String, pattern = "^(follow|like|mention)$")]
    pub kind: &'static str,
    pub actor: AuthorView,
    /// `null` for a follow, and for a tweet deleted since.
    #[schema(required = true)]
    pub tweet: Option<TweetSummary>,
    pub created_at: String,
    pub read: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_round_trip() {
        let notification = Notification::new("bob", Kind::Like, "alice", Some("01J"), "2026-01-01T00:00:00.000Z");
        let item = notification.to_item();
        assert_eq!(item.string("SK"), Some("like#alice#01J"));
        assert_eq!(item.string("GSI2PK"), Some("UNREAD#bob"));
        assert_eq!(Notification::from_item(&item).unwrap(), notification);
    }
}

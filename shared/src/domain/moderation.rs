//! Moderation: deleting any tweet, suspending and reinstating accounts, changing roles, and
//! the audit log every such action writes in the same transaction. The HTTP endpoints and
//! `chirp-admin` both call these functions; who may do what is decided in
//! [`crate::permissions`].

use std::sync::Arc;

use serde::Serialize;
use ulid::Ulid;

use crate::clock;
use crate::domain::lists::IndexList;
use crate::error::{DomainError, DomainResult};
use crate::keys;
use crate::model::access::Access;
use crate::model::user::{self, User};
use crate::model::Tweet;
use crate::pagination::{Page, PageRequest, paginate};
use crate::permissions::{self, Actor, Role};
use crate::store::{AttributeValue, Condition, Index, Item, ItemExt, Store, TransactWrite, Update, string};

/// Maximum length of a moderation reason, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// Kind of moderation action, as the audit log names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    DeleteTweet,
    Suspend,
    Reinstate,
    SetRole,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::DeleteTweet => "delete_tweet",
            Action::Suspend => "suspend",
            Action::Reinstate => "reinstate",
            Action::SetRole => "set_role",
        }
    }
}

/// One audit log entry, in the form the audit endpoint returns.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: String,
    /// User id of the moderator or admin, or `operator` for `chirp-admin`.
    pub actor: String,
    pub action: String,
    /// Tweet id for `delete_tweet`, user id otherwise.
    pub target: String,
    pub reason: String,
    /// The new role of a `set_role` action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    pub created_at: String,
}

impl AuditEntry {
    fn to_item(&self) -> Item {
        let mut item = keys::audit_entry(&self.id).to_item();
        item.insert("entity".into(), string("audit"));
        item.insert("audit_id".into(), string(&self.id));
        item.insert("actor".into(), string(&self.actor));
        item.insert("action".into(), string(&self.action));
        item.insert("target".into(), string(&self.target));
        item.insert("reason".into(), string(&self.reason));
        if let Some(role) = &self.role {
            item.insert("role".into(), string(role));
        }
        item.insert("created_at".into(), string(&self.created_at));
        item
    }

    fn from_item(item: &Item) -> Self {
        let text = |name: &str| item.string(name).unwrap_or_default().to_owned();
        Self {
            id: text("audit_id"),
            actor: text("actor"),
            action: text("action"),
            target: text("target"),
            reason: text("reason"),
            role: item.string("role").map(str::to_owned),
            created_at: text("created_at"),
        }
    }
}

fn audit_write(actor: &Actor, action: Action, target: &str, reason: &str, role: Option<Role>) -> TransactWrite {
    let entry = AuditEntry {
        id: Ulid::new().to_string(),
        actor: actor.audit_name(),
        action: action.as_str().into(),
        target: target.into(),
        reason: reason.into(),
        role: role.map(|role| role.as_str().into()),
        created_at: clock::now_timestamp(),
    };
    // Audit ids are ULIDs, unique per millisecond and random within it, so a put never
    // replaces another entry.
    TransactWrite::Put { item: entry.to_item(), condition: Some(Condition::NotExists) }
}

/// Checks a reason: trimmed, at most [`MAX_REASON_CHARS`], and not empty when `required`.
pub fn validate_reason(reason: &str, required: bool) -> DomainResult<String> {
    let reason = user::validate_text(reason, MAX_REASON_CHARS).map_err(|message| DomainError::field("reason", message))?;
    if required && reason.is_empty() {
        return Err(DomainError::field("reason", "This field is required."));
    }
    Ok(reason)
}

/// Moderation state of an account, as the moderation endpoints return it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct AccountState {
    pub username: String,
    pub role: Role,
    pub suspended: bool,
}

impl From<&User> for AccountState {
    fn from(user: &User) -> Self {
        Self { username: user.username.clone(), role: user.role, suspended: user.suspended }
    }
}

/// Loads a user by username (any case), or fails with not found.
pub async fn load_user(store: &Arc<dyn Store>, username: &str) -> DomainResult<User> {
    let not_found = || DomainError::NotFound(format!("No user named {username:?}."));
    if user::validate_username(username).is_err() {
        return Err(not_found());
    }
    let item = store.get(&keys::user(&user::user_id_of(username))).await?.ok_or_else(not_found)?;
    Ok(User::from_item(item)?)
}

/// Deletes any tweet, as a moderator. The tweet, the author's tweet count and the audit entry
/// change in one transaction. The stream then removes the tweet's likes, timeline entries and
/// search terms, as it does for an author's own delete.
pub async fn delete_tweet(store: &Arc<dyn Store>, actor: &Actor, tweet_id: &str, reason: &str) -> DomainResult<()> {
    permissions::require_moderator(actor)?;
    let not_found = || DomainError::NotFound(format!("No tweet with id {tweet_id:?}."));
    if Ulid::from_string(tweet_id).is_err() {
        return Err(not_found());
    }
    let item = store.get(&keys::tweet(tweet_id)).await?.ok_or_else(not_found)?;
    let tweet = Tweet::from_item(item)?;
    let writes = vec![
        TransactWrite::Delete { key: keys::tweet(&tweet.id), condition: Some(Condition::Exists) },
        TransactWrite::Update {
            key: keys::user(&tweet.author_id),
            update: Update::new().add("tweets_count", -1),
            condition: Some(Condition::Exists),
        },
        audit_write(actor, Action::DeleteTweet, &tweet.id, reason, None),
    ];
    match store.transact_write(writes).await {
        Ok(()) => Ok(()),
        Err(error) if error.condition_failed_at(0) => Err(not_found()),
        Err(error) => Err(error.into()),
    }
}

/// Suspends (`suspended: true`) or reinstates an account. The user item, its access marker
/// and the audit entry change in one transaction. Repeating an action is allowed and audited.
pub async fn set_suspended(
    store: &Arc<dyn Store>,
    actor: &Actor,
    username: &str,
    suspended: bool,
    reason: &str,
) -> DomainResult<AccountState> {
    let mut target = load_user(store, username).await?;
    permissions::require_can_suspend(actor, &target.user_id, target.role)?;
    target.suspended = suspended;
    let action = if suspended { Action::Suspend } else { Action::Reinstate };
    let update = Update::new().set("suspended", AttributeValue::Bool(suspended));
    write_account_change(store, actor, &target, update, action, reason, None).await?;
    Ok(AccountState::from(&target))
}

/// Changes an account's role. Its existing sessions get the new role at their next request,
/// through the access marker.
pub async fn set_role(
    store: &Arc<dyn Store>,
    actor: &Actor,
    username: &str,
    role: Role,
    reason: &str,
) -> DomainResult<AccountState> {
    let mut target = load_user(store, username).await?;
    permissions::require_can_set_role(actor, &target.user_id)?;
    target.role = role;
    let update = Update::new().set("role", string(role.as_str()));
    write_account_change(store, actor, &target, update, Action::SetRole, reason, Some(role)).await?;
    Ok(AccountState::from(&target))
}

/// Writes a change of `target` (already applied to the value) with its access marker and
/// audit entry, all or nothing.
// NOTE: the marker is built from the user item read before the transaction. Two admins
// changing the same account at the same instant can leave the marker one change behind the
// user item, until the next moderation action on that account rewrites it.
async fn write_account_change(
    store: &Arc<dyn Store>,
    actor: &Actor,
    target: &User,
    update: Update,
    action: Action,
    reason: &str,
    role: Option<Role>,
) -> DomainResult<()> {
    let access = Access { role: target.role, suspended: target.suspended };
    let writes = vec![
        TransactWrite::Update { key: keys::user(&target.user_id), update, condition: Some(Condition::Exists) },
        TransactWrite::Put { item: access.to_item(&target.user_id), condition: None },
        audit_write(actor, action, &target.user_id, reason, role),
    ];
    match store.transact_write(writes).await {
        Ok(()) => Ok(()),
        Err(error) if error.condition_failed_at(0) => {
            Err(DomainError::NotFound(format!("No user named {:?}.", target.username)))
        }
        Err(error) => Err(error.into()),
    }
}

/// Reads one page of the audit log, newest first. Admins only.
pub async fn audit_log(store: &Arc<dyn Store>, actor: &Actor, request: &PageRequest) -> DomainResult<Page<AuditEntry>> {
    permissions::require_admin(actor)?;
    let source = IndexList::partition(store.clone(), Index::Table, keys::AUDIT_PARTITION.into(), true);
    let page = paginate(&source, request, None).await?;
    let items = page.items.iter().map(AuditEntry::from_item).collect();
    Ok(Page { items, next: page.next, previous: page.previous })
}

//! Notifications: writing one (for the notifier stream consumer), listing them, the unread
//! count and marking them read.
//!
//! The unread count is a counter item. It changes only inside the transaction that creates a
//! notification (conditional on it being new) or marks one read (conditional on it being
//! unread), so replays, double submits and races never make it drift.

use std::collections::HashMap;
use std::sync::Arc;

use crate::app::App;
use crate::domain::accounts::Viewer;
use crate::domain::lists::IndexList;
use crate::error::{DomainError, DomainResult};
use crate::keys;
use crate::model::notification::{self, Notification, NotificationView, TweetSummary};
use crate::model::{AuthorView, Tweet, User};
use crate::pagination::{Page, PageRequest, paginate};
use crate::store::{
    AttributeValue, CancelReason, Condition, Index, Item, ItemExt, Key, Query, SortKeyCondition, Store,
    StoreError, TransactWrite, Update,
};

/// Maximum ids one mark-read request takes.
pub const MAX_READ_IDS: usize = 100;

/// Notifications marked read per transaction: each takes one write, and the counter update
/// takes one more of DynamoDB's 100.
const READ_CHUNK: usize = 99;

/// Maximum notifications one "mark all read" request marks, so a request stays bounded. A user
/// with more unread ones calls again; the unread count shows what is left.
pub const MAX_MARK_ALL: usize = 990;

/// Tries of one mark-read transaction that other requests keep cancelling.
const MARK_ATTEMPTS: usize = 3;

/// Whether a notification was written now or existed already.
#[derive(Debug, PartialEq, Eq)]
pub enum Written {
    New,
    Existing,
}

/// Writes a notification and raises the recipient's unread count by one, both only if no
/// notification with its id exists. Self-notifications are the caller's to avoid.
pub async fn notify(store: &Arc<dyn Store>, notification: &Notification) -> DomainResult<Written> {
    let writes = vec![
        TransactWrite::Put { item: notification.to_item(), condition: Some(Condition::NotExists) },
        TransactWrite::Update {
            key: keys::unread_count(&notification.recipient_id),
            update: Update::new()
                .add(notification::UNREAD_ATTRIBUTE, 1)
                .set("entity", crate::store::string(notification::COUNT_ENTITY)),
            condition: None,
        },
    ];
    match store.transact_write(writes).await {
        Ok(()) => Ok(Written::New),
        Err(error) if error.condition_failed_at(0) => Ok(Written::Existing),
        Err(error) => Err(error.into()),
    }
}

/// Reads one page of the viewer's notifications, newest first; unread ones only with
/// `unread_only`, from the sparse GSI2 partition that contains nothing else.
pub async fn list(
    app: &App,
    viewer: &Viewer,
    unread_only: bool,
    request: &PageRequest,
) -> DomainResult<Page<NotificationView>> {
    let source = if unread_only {
        IndexList::partition(app.store.clone(), Index::Gsi2, keys::unread_notifications_partition(&viewer.user_id), true)
    } else {
        IndexList::partition(app.store.clone(), Index::Gsi1, keys::notification_partition(&viewer.user_id), true)
    };
    let page = paginate(&source, request, None).await?;
    let notifications = page.items.iter().map(Notification::from_item).collect::<Result<Vec<_>, _>>()?;
    let items = render(app, &notifications).await?;
    Ok(Page { items, next: page.next, previous: page.previous })
}

/// Renders notifications with one batch get for their actors and tweets. A notification whose
/// actor no longer exists is left out; one whose tweet was deleted shows `tweet: null`.
async fn render(app: &App, notifications: &[Notification]) -> DomainResult<Vec<NotificationView>> {
    let mut keys_to_read: Vec<Key> = Vec::with_capacity(notifications.len() * 2);
    for notification in notifications {
        keys_to_read.push(keys::user(&notification.actor_id));
        if let Some(tweet_id) = &notification.tweet_id {
            keys_to_read.push(keys::tweet(tweet_id));
        }
    }
    keys_to_read.sort();
    keys_to_read.dedup();

    let mut users: HashMap<String, User> = HashMap::new();
    let mut tweets: HashMap<String, Tweet> = HashMap::new();
    for item in app.store.batch_get(keys_to_read).await? {
        if item.string(keys::PK).is_some_and(|pk| pk.starts_with(keys::TWEET_PREFIX)) {
            let tweet = Tweet::from_item(item)?;
            tweets.insert(tweet.id.clone(), tweet);
        } else {
            let user = User::from_item(item)?;
            users.insert(user.user_id.clone(), user);
        }
    }

    Ok(notifications
        .iter()
        .filter_map(|notification| {
            let actor = users.get(&notification.actor_id)?;
            let tweet = notification
                .tweet_id
                .as_ref()
                .and_then(|id| tweets.get(id))
                .map(|tweet| TweetSummary { id: tweet.id.clone(), content: tweet.content.clone() });
            Some(NotificationView {
                id: notification.id(),
                kind: notification.kind.as_str(),
                actor: AuthorView::from(actor),
                tweet,
                created_at: notification.created_at.clone(),
                read: notification.read,
            })
        })
        .collect())
}

/// Returns the viewer's number of unread notifications, with one get.
pub async fn unread_count(app: &App, viewer: &Viewer) -> DomainResult<i64> {
    let counter = app.store.get(&keys::unread_count(&viewer.user_id)).await?;
    // The counter never goes below zero by construction; the clamp guards a corrupt item.
    Ok(counter.and_then(|item| item.number(notification::UNREAD_ATTRIBUTE)).unwrap_or(0).max(0))
}

/// Marks the given notifications of the viewer read, or every unread one (up to
/// [`MAX_MARK_ALL`]) when `ids` is `None`. Unknown and already read ids are skipped, so a
/// repeat changes nothing. Returns how many changed from unread to read.
pub async fn mark_read(app: &App, viewer: &Viewer, ids: Option<&[String]>) -> DomainResult<usize> {
    match ids {
        Some(ids) => {
            if ids.len() > MAX_READ_IDS {
                return Err(DomainError::field("ids", format!("Send at most {MAX_READ_IDS} ids per request.")));
            }
            let keys: Vec<Key> = ids.iter().map(|id| keys::notification(&viewer.user_id, id)).collect();
            let unread: Vec<Key> = app
                .store
                .batch_get(keys)
                .await?
                .iter()
                .filter(|item| is_unread_notification(item))
                .filter_map(crate::store::key_of)
                .collect();
            let mut marked = 0;
            for chunk in unread.chunks(READ_CHUNK) {
                marked += mark_chunk(&app.store, &viewer.user_id, chunk.to_vec()).await?;
            }
            Ok(marked)
        }
        None => mark_all(&app.store, &viewer.user_id).await,
    }
}

fn is_unread_notification(item: &Item) -> bool {
    item.string("entity") == Some(notification::ENTITY) && matches!(item.get("read"), Some(AttributeValue::Bool(false)))
}

/// Marks unread notifications read a chunk at a time, reading each chunk from the front of the
/// unread partition, which shrinks as the chunks are marked.
async fn mark_all(store: &Arc<dyn Store>, user_id: &str) -> DomainResult<usize> {
    let mut marked = 0;
    // The start key moves past what this loop has already tried, so an item that GSI2 still
    // shows after it was marked (GSI reads are eventually consistent) is not read again.
    let mut after: Option<String> = None;
    while marked < MAX_MARK_ALL {
        let sort = after.clone().map_or(SortKeyCondition::Any, SortKeyCondition::LessThan);
        let query = Query::new(Index::Gsi2, keys::unread_notifications_partition(user_id))
            .sort(sort)
            .backward()
            .limit(READ_CHUNK.min(MAX_MARK_ALL - marked));
        let page = store.query(query).await?;
        if page.items.is_empty() {
            break;
        }
        after = page.items.last().and_then(|item| item.string(keys::GSI2SK)).map(str::to_owned);
        let chunk: Vec<Key> = page.items.iter().filter_map(crate::store::key_of).collect();
        marked += mark_chunk(store, user_id, chunk).await?;
        if page.last_evaluated_key.is_none() {
            break;
        }
    }
    Ok(marked)
}

/// Marks up to [`READ_CHUNK`] notifications read and lowers the count by as many, in one
/// transaction. A write whose notification another request marked first fails its condition;
/// it is dropped and the rest retried.
async fn mark_chunk(store: &Arc<dyn Store>, user_id: &str, mut chunk: Vec<Key>) -> DomainResult<usize> {
    for _ in 0..MARK_ATTEMPTS {
        if chunk.is_empty() {
            return Ok(0);
        }
        let mut writes: Vec<TransactWrite> = chunk
            .iter()
            .map(|key| TransactWrite::Update {
                key: key.clone(),
                update: Update::new()
                    .set("read", AttributeValue::Bool(true))
                    .remove(keys::GSI2PK)
                    .remove(keys::GSI2SK),
                condition: Some(Condition::equals("read", AttributeValue::Bool(false))),
            })
            .collect();
        writes.push(TransactWrite::Update {
            key: keys::unread_count(user_id),
            update: Update::new().add(notification::UNREAD_ATTRIBUTE, -(chunk.len() as i64)),
            condition: None,
        });
        match store.transact_write(writes).await {
            Ok(()) => return Ok(chunk.len()),
            Err(StoreError::TransactionCanceled { reasons }) => {
                let still_unread: Vec<Key> = chunk
                    .iter()
                    .enumerate()
                    .filter(|(index, _)| reasons.get(*index) != Some(&CancelReason::ConditionFailed))
                    .map(|(_, key)| key.clone())
                    .collect();
                tracing::warn!(user_id, dropped = chunk.len() - still_unread.len(), "mark-read transaction cancelled; retrying");
                chunk = still_unread;
            }
            Err(error) => return Err(error.into()),
        }
    }
    Err(StoreError::Throttled.into())
}

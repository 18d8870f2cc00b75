use std::collections::BTreeSet;
use std::sync::Arc;

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::DynamoDbEventResponse;
use chirp_shared::domain::notifications::{self, Written};
use chirp_shared::error::DomainResult;
use chirp_shared::keys;
use chirp_shared::model::follow::FOLLOWING_ENTITY;
use chirp_shared::model::like;
use chirp_shared::model::notification::{Kind, Notification};
use chirp_shared::model::tweet::Tweet;
use chirp_shared::store::{Item, ItemExt, Store, StoreError};
use chirp_shared::stream::{self, ChangeKind};

/// Entities the notifier's event filter passes: follows, likes and tweets.
pub const ENTITIES: &[&str] = &[FOLLOWING_ENTITY, like::ENTITY, Tweet::ENTITY];

/// Processes a batch in order, stopping at the first failure (see
/// [`stream::process_in_order`]).
pub async fn handle(store: &Arc<dyn Store>, event: Event) -> DynamoDbEventResponse {
    stream::process_in_order("notifier", &event, |record| process(store, record)).await
}

async fn process(store: &Arc<dyn Store>, record: &EventRecord) -> DomainResult<()> {
    let Some(change) = stream::decode(record) else {
        return Ok(());
    };
    match (change.entity, change.kind, change.new) {
        (FOLLOWING_ENTITY, ChangeKind::Insert, Some(edge)) => {
            let follower = attribute(edge, "follower_id")?;
            let followee = attribute(edge, "followee_id")?;
            let notification = Notification::new(followee, Kind::Follow, follower, None, attribute(edge, "created_at")?);
            send(store, notification).await
        }
        (like::ENTITY, ChangeKind::Insert, Some(like)) => {
            let tweet_id = attribute(like, "tweet_id")?;
            let liker = attribute(like, "user_id")?;
            let author = attribute(like, "tweet_author_id")?;
            let notification = Notification::new(author, Kind::Like, liker, Some(tweet_id), attribute(like, "created_at")?);
            send(store, notification).await
        }
        (Tweet::ENTITY, ChangeKind::Insert, Some(new)) => {
            let tweet = Tweet::from_item(new.clone())?;
            notify_mentions(store, &tweet, &BTreeSet::new(), &tweet.created_at).await
        }
        (Tweet::ENTITY, ChangeKind::Modify, Some(new)) => {
            let tweet = Tweet::from_item(new.clone())?;
            let before: BTreeSet<String> = change.old.map(|old| old.strings("mentions")).unwrap_or_default().into_iter().collect();
            // Only an edit notifies, and only the names it adds; a like count change adds none.
            let at = tweet.edited_at.clone().unwrap_or_else(|| tweet.created_at.clone());
            notify_mentions(store, &tweet, &before, &at).await
        }
        // Unlikes, unfollows, deletes and every other entity notify nobody.
        _ => Ok(()),
    }
}

/// Notifies every existing user the tweet mentions, except its author and `already` notified.
async fn notify_mentions(store: &Arc<dyn Store>, tweet: &Tweet, already: &BTreeSet<String>, at: &str) -> DomainResult<()> {
    let names: Vec<&String> = tweet
        .mentions
        .iter()
        .filter(|name| **name != tweet.author_id && !already.contains(*name))
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    // Mentions are lower-cased usernames, which are user ids; one batch get keeps the ones
    // that exist.
    let users = store.batch_get(names.iter().map(|name| keys::user(name)).collect()).await?;
    for user in &users {
        let recipient = attribute(user, "user_id")?;
        let notification = Notification::new(recipient, Kind::Mention, &tweet.author_id, Some(&tweet.id), at);
        send(store, notification).await?;
    }
    Ok(())
}

/// Writes a notification unless the actor is the recipient.
async fn send(store: &Arc<dyn Store>, notification: Notification) -> DomainResult<()> {
    if notification.actor_id == notification.recipient_id {
        return Ok(());
    }
    let written = notifications::notify(store, &notification).await?;
    tracing::debug!(
        recipient = %notification.recipient_id,
        id = %notification.id(),
        new = (written == Written::New),
        "notification written"
    );
    Ok(())
}

fn attribute<'a>(item: &'a Item, name: &str) -> Result<&'a str, StoreError> {
    item.string(name)
        .ok_or_else(|| StoreError::Unavailable(format!("a stream record's image lacks {name}")))
}

use std::sync::Arc;

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::DynamoDbEventResponse;
use chirp_shared::error::DomainResult;
use chirp_shared::model::follow::FOLLOWING_ENTITY;
use chirp_shared::model::tweet::Tweet;
use chirp_shared::store::{ItemExt, Store};
use chirp_shared::stream::{self, ChangeKind};

use chirp_shared::domain::celebrities;

use crate::celebrities as fanout_celebrities;
use crate::{popularity, timelines};

/// Processes a batch in order with the threshold of `CHIRP_CELEBRITY_THRESHOLD` (see
/// [`handle_with_threshold`]). An invalid value fails every record, so the batch is retried
/// instead of being fanned out under a guessed threshold.
pub async fn handle(store: &Arc<dyn Store>, event: Event) -> DynamoDbEventResponse {
    match celebrities::threshold_from_env() {
        Ok(threshold) => handle_with_threshold(store, event, threshold).await,
        Err(message) => {
            tracing::error!(%message, "invalid fan-out threshold");
            let invalid = |_| {
                let error = chirp_shared::store::StoreError::Unavailable(message.clone());
                std::future::ready(Err(error.into()))
            };
            stream::process_in_order("fanout", &event, invalid).await
        }
    }
}

/// Processes a batch in order, stopping at the first failure (see
/// [`stream::process_in_order`]). Authors with more than `threshold` followers are merged into
/// feeds at read time instead of being fanned out.
pub async fn handle_with_threshold(store: &Arc<dyn Store>, event: Event, threshold: i64) -> DynamoDbEventResponse {
    stream::process_in_order("fanout", &event, |record| process(store, record, threshold)).await
}

async fn process(store: &Arc<dyn Store>, record: &EventRecord, threshold: i64) -> DomainResult<()> {
    let Some(change) = stream::decode(record) else {
        return Ok(());
    };
    match (change.entity, change.kind) {
        (Tweet::ENTITY, ChangeKind::Insert) => {
            let tweet = Tweet::from_item(change.new.cloned().unwrap_or_default())?;
            if fanout_celebrities::merges_at_read(store, &tweet.author_id, threshold).await? {
                timelines::write_own_entry(store, &tweet).await?;
            } else {
                timelines::fan_out_tweet(store, &tweet).await?;
            }
            popularity::index(store, &tweet).await
        }
        (Tweet::ENTITY, ChangeKind::Modify) => {
            let tweet = Tweet::from_item(change.new.cloned().unwrap_or_default())?;
            let old_likes = change.old.and_then(|item| item.number("likes_count"));
            if old_likes != Some(tweet.likes_count) {
                popularity::index(store, &tweet).await?;
            }
            Ok(())
        }
        (Tweet::ENTITY, ChangeKind::Remove) => {
            let tweet = Tweet::from_item(change.old.cloned().unwrap_or_default())?;
            timelines::remove_tweet(store, &tweet).await?;
            popularity::remove(store, &tweet.id).await
        }
        (FOLLOWING_ENTITY, ChangeKind::Insert) => {
            let (follower, followee) = edge(change.new)?;
            if fanout_celebrities::on_follow(store, &follower, &followee).await? {
                return Ok(());
            }
            timelines::backfill(store, &follower, &followee).await
        }
        (FOLLOWING_ENTITY, ChangeKind::Remove) => {
            let (follower, followee) = edge(change.old)?;
            fanout_celebrities::on_unfollow(store, &follower, &followee).await?;
            timelines::remove_author(store, &follower, &followee).await
        }
        // Every other entity and change is not fan-out's business.
        _ => Ok(()),
    }
}

fn edge(image: Option<&chirp_shared::store::Item>) -> DomainResult<(String, String)> {
    let corrupt = || chirp_shared::store::StoreError::Unavailable("a follow record lacks its user ids".into());
    let image = image.ok_or_else(corrupt)?;
    let follower = image.string("follower_id").ok_or_else(corrupt)?;
    let followee = image.string("followee_id").ok_or_else(corrupt)?;
    Ok((follower.to_owned(), followee.to_owned()))
}

use std::sync::Arc;

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::DynamoDbEventResponse;
use chirp_shared::error::DomainResult;
use chirp_shared::model::follow::FOLLOWING_ENTITY;
use chirp_shared::model::tweet::Tweet;
use chirp_shared::store::{ItemExt, Store};
use chirp_shared::stream::{self, ChangeKind};

use crate::{popularity, timelines};

/// Processes a batch in order, stopping at the first failure (see
/// [`stream::process_in_order`]).
pub async fn handle(store: &Arc<dyn Store>, event: Event) -> DynamoDbEventResponse {
    stream::process_in_order("fanout", &event, |record| process(store, record)).await
}

async fn process(store: &Arc<dyn Store>, record: &EventRecord) -> DomainResult<()> {
    let Some(change) = stream::decode(record) else {
        return Ok(());
    };
    match (change.entity, change.kind) {
        (Tweet::ENTITY, ChangeKind::Insert) => {
            let tweet = Tweet::from_item(change.new.cloned().unwrap_or_default())?;
            timelines::fan_out_tweet(store, &tweet).await?;
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
            timelines::backfill(store, &follower, &followee).await
        }
        (FOLLOWING_ENTITY, ChangeKind::Remove) => {
            let (follower, followee) = edge(change.old)?;
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

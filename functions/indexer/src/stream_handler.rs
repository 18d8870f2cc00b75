use std::sync::Arc;

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use chirp_shared::error::DomainResult;
use chirp_shared::model::{Tweet, User};
use chirp_shared::store::Store;
use chirp_shared::stream::{self, ChangeKind};

use crate::{tweets, users};

/// Entities the indexer's event filter passes: tweets and users.
pub const ENTITIES: &[&str] = &[Tweet::ENTITY, User::ENTITY];

/// Processes a batch in order. At the first failure it stops and reports that record as the
/// batch item failure, so Lambda retries from it and an item's changes apply in order.
pub async fn handle(store: &Arc<dyn Store>, event: Event) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    for record in &event.records {
        if let Err(error) = process(store, record).await {
            let sequence_number = stream::item_identifier(record);
            tracing::error!(
                %error,
                sequence_number = %sequence_number,
                event_id = %record.event_id,
                "indexer failed on a record; reporting it for retry"
            );
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = Some(sequence_number);
            response.batch_item_failures.push(failure);
            break;
        }
    }
    response
}

async fn process(store: &Arc<dyn Store>, record: &EventRecord) -> DomainResult<()> {
    let Some(change) = stream::decode(record) else {
        return Ok(());
    };
    let old = change.old.cloned();
    let new = change.new.cloned();
    match (change.entity, change.kind) {
        (Tweet::ENTITY, ChangeKind::Insert | ChangeKind::Modify | ChangeKind::Remove) => {
            let old = old.map(Tweet::from_item).transpose()?;
            let new = new.map(Tweet::from_item).transpose()?;
            tweets::reindex(store, old.as_ref(), new.as_ref()).await
        }
        (User::ENTITY, ChangeKind::Insert | ChangeKind::Modify | ChangeKind::Remove) => {
            let old = old.map(User::from_item).transpose()?;
            let new = new.map(User::from_item).transpose()?;
            users::reindex(store, old.as_ref(), new.as_ref()).await
        }
        _ => Ok(()),
    }
}

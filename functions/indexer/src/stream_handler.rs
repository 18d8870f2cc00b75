use std::sync::Arc;

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::DynamoDbEventResponse;
use chirp_shared::error::DomainResult;
use chirp_shared::model::{Tweet, User};
use chirp_shared::store::Store;
use chirp_shared::stream::{self, ChangeKind};

use crate::{tweets, users};

/// Entities the indexer's event filter passes: tweets and users.
pub const ENTITIES: &[&str] = &[Tweet::ENTITY, User::ENTITY];

/// Processes a batch in order, stopping at the first failure (see
/// [`stream::process_in_order`]).
pub async fn handle(store: &Arc<dyn Store>, event: Event) -> DynamoDbEventResponse {
    stream::process_in_order("indexer", &event, |record| process(store, record)).await
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

//! Reading DynamoDB stream records: which entity changed and how, in the shape Lambda delivers
//! them (`aws_lambda_events`), whether they come from DynamoDB Streams or the embedded store.

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};

use crate::error::DomainResult;

use crate::store::{Item, ItemExt};

/// The kind of change a record describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    Insert,
    Modify,
    Remove,
}

/// One stream record, decoded.
#[derive(Clone, Debug)]
pub struct Change<'a> {
    pub kind: ChangeKind,
    /// The `entity` attribute of whichever image exists, such as `tweet` or `following`.
    pub entity: &'a str,
    pub old: Option<&'a Item>,
    pub new: Option<&'a Item>,
}

/// Decodes a record; `None` for an unknown event name or an item with no `entity`.
pub fn decode(record: &EventRecord) -> Option<Change<'_>> {
    let kind = match record.event_name.as_str() {
        "INSERT" => ChangeKind::Insert,
        "MODIFY" => ChangeKind::Modify,
        "REMOVE" => ChangeKind::Remove,
        _ => return None,
    };
    let image = |item: &'_ Item| -> bool { !item.is_empty() };
    let old = Some(&record.change.old_image).filter(|item| image(item));
    let new = Some(&record.change.new_image).filter(|item| image(item));
    let entity = new.or(old)?.string("entity")?;
    Some(Change { kind, entity, old, new })
}

/// Identifier Lambda expects in a batch item failure: the record's sequence number.
pub fn item_identifier(record: &EventRecord) -> String {
    record.change.sequence_number.clone().unwrap_or_default()
}

/// Processes a batch in order for the consumer named `consumer`. At the first failure it stops
/// and reports that record as the batch item failure: Lambda then retries from it, and
/// processing later records first could apply an item's changes out of order. Records before
/// it are done, and seeing them again is harmless because consumers write idempotently.
pub async fn process_in_order<'a, F, Fut>(consumer: &str, event: &'a Event, mut process: F) -> DynamoDbEventResponse
where
    F: FnMut(&'a EventRecord) -> Fut,
    Fut: Future<Output = DomainResult<()>>,
{
    let mut response = DynamoDbEventResponse::default();
    for record in &event.records {
        if let Err(error) = process(record).await {
            let sequence_number = item_identifier(record);
            tracing::error!(
                consumer,
                %error,
                sequence_number = %sequence_number,
                event_id = %record.event_id,
                "stream record failed; reporting it for retry"
            );
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = Some(sequence_number);
            response.batch_item_failures.push(failure);
            break;
        }
    }
    response
}

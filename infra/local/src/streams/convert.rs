//! Shapes DynamoDB Streams records as the records Lambda passes to a stream handler.

use aws_lambda_events::dynamodb::{EventRecord, StreamRecord, StreamViewType};
use aws_sdk_dynamodbstreams::types::{self as sdk, AttributeValue};
use chirp_shared::store::Item;
use std::collections::HashMap;

/// Converts one record as `GetRecords` returns it into the record of a Lambda event, with
/// `eventSourceARN` set to the stream's ARN as an event source mapping sets it.
pub fn event_record(record: &sdk::Record, stream_arn: &str) -> EventRecord {
    let mut change = StreamRecord::default();
    if let Some(source) = record.dynamodb() {
        change.approximate_creation_date_time = source
            .approximate_creation_date_time()
            .and_then(|time| time.to_millis().ok())
            .and_then(chrono::DateTime::from_timestamp_millis)
            .unwrap_or_default();
        change.keys = item(source.keys());
        change.new_image = item(source.new_image());
        change.old_image = item(source.old_image());
        change.sequence_number = source.sequence_number().map(str::to_owned);
        change.size_bytes = source.size_bytes().unwrap_or_default();
        change.stream_view_type = source.stream_view_type().map(view_type);
    }

    let mut event = EventRecord::default();
    event.aws_region = record.aws_region().unwrap_or_default().to_owned();
    event.change = change;
    event.event_id = record.event_id().unwrap_or_default().to_owned();
    event.event_name = record.event_name().map(|name| name.as_str().to_owned()).unwrap_or_default();
    event.event_source = Some(record.event_source().unwrap_or("aws:dynamodb").to_owned());
    event.event_version = record.event_version().map(str::to_owned);
    event.event_source_arn = Some(stream_arn.to_owned());
    event
}

fn item(image: Option<&HashMap<String, AttributeValue>>) -> Item {
    image.cloned().map(Item::from).unwrap_or_default()
}

fn view_type(view: &sdk::StreamViewType) -> StreamViewType {
    match view {
        sdk::StreamViewType::KeysOnly => StreamViewType::KeysOnly,
        sdk::StreamViewType::NewImage => StreamViewType::NewImage,
        sdk::StreamViewType::OldImage => StreamViewType::OldImage,
        _ => StreamViewType::NewAndOldImages,
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodbstreams::types::{AttributeValue, OperationType, Record, StreamRecord, StreamViewType};
    use chirp_shared::store::{ItemExt, string};

    use super::event_record;

    const ARN: &str = "arn:aws:dynamodb:us-east-1:123456789012:table/chirp/stream/2026-12-05T06:00:00.000";

    #[test]
    fn modify_record_shape() {
        let source = StreamRecord::builder()
            .keys("PK", AttributeValue::S("TWEET#1".into()))
            .keys("SK", AttributeValue::S("TWEET#1".into()))
            .old_image("entity", AttributeValue::S("tweet".into()))
            .old_image("likes", AttributeValue::N("1".into()))
            .new_image("entity", AttributeValue::S("tweet".into()))
            .new_image("likes", AttributeValue::N("2".into()))
            .sequence_number("000000000000000000042")
            .size_bytes(64)
            .stream_view_type(StreamViewType::NewAndOldImages)
            .build();
        let record = Record::builder()
            .event_id("e-42")
            .event_name(OperationType::Modify)
            .event_source("aws:dynamodb")
            .event_version("1.1")
            .aws_region("us-east-1")
            .dynamodb(source)
            .build();

        let event = event_record(&record, ARN);

        assert_eq!(event.event_source_arn.as_deref(), Some(ARN));
        assert_eq!(event.event_id, "e-42");
        assert_eq!(event.event_name, "MODIFY");
        assert_eq!(event.event_source.as_deref(), Some("aws:dynamodb"));
        assert_eq!(event.aws_region, "us-east-1");
        assert_eq!(event.change.sequence_number.as_deref(), Some("000000000000000000042"));
        assert_eq!(event.change.keys.get("PK"), Some(&string("TWEET#1")));
        assert_eq!(event.change.keys.len(), 2);
        assert_eq!(event.change.old_image.number("likes"), Some(1));
        assert_eq!(event.change.new_image.number("likes"), Some(2));
        assert_eq!(event.change.size_bytes, 64);
    }

    #[test]
    fn remove_record_has_no_new_image() {
        let source = StreamRecord::builder()
            .keys("PK", AttributeValue::S("USER#a".into()))
            .old_image("entity", AttributeValue::S("following".into()))
            .sequence_number("7")
            .build();
        let record = Record::builder().event_name(OperationType::Remove).dynamodb(source).build();

        let event = event_record(&record, ARN);

        assert_eq!(event.event_name, "REMOVE");
        assert!(event.change.new_image.is_empty());
        assert_eq!(event.change.old_image.string("entity"), Some("following"));
    }
}

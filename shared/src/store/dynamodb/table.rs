//! Creating and deleting Chirp's table, for tests and scripts. Deployments create it from their
//! infrastructure templates with the same layout.

use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};

use super::error::build_error;
use crate::store::{Index, StoreError, StoreResult};

/// Attribute that contains an item's expiry time in seconds since the Unix epoch. DynamoDB's TTL
/// deletes the item some time after that moment.
pub const TTL_ATTRIBUTE: &str = "expires_at_epoch";

/// Maximum wait for a new table and its GSIs to become active. Local emulators create them at
/// once.
const ACTIVE_TIMEOUT: Duration = Duration::from_secs(120);

/// Creates the table and waits until it is active: string keys `PK` (hash) and `SK` (range),
/// GSIs `GSI1` to `GSI3` on `GSInPK`/`GSInSK` projecting all attributes, on-demand billing, a
/// stream with old and new images, and TTL on [`TTL_ATTRIBUTE`].
pub async fn create_table(client: &Client, name: &str) -> StoreResult<()> {
    let mut attributes = Vec::new();
    for index in [Index::Table].into_iter().chain(Index::ALL_GSIS) {
        attributes.push(string_attribute(index.partition_attribute())?);
        attributes.push(string_attribute(index.sort_attribute())?);
    }

    let mut indexes = Vec::new();
    for index in Index::ALL_GSIS {
        let gsi = GlobalSecondaryIndex::builder()
            .index_name(index.name().expect("a GSI has a name"))
            .set_key_schema(Some(key_schema(index)?))
            .projection(Projection::builder().projection_type(ProjectionType::All).build())
            .build()
            .map_err(build_error)?;
        indexes.push(gsi);
    }

    let stream = StreamSpecification::builder()
        .stream_enabled(true)
        .stream_view_type(StreamViewType::NewAndOldImages)
        .build()
        .map_err(build_error)?;

    client
        .create_table()
        .table_name(name)
        .set_attribute_definitions(Some(attributes))
        .set_key_schema(Some(key_schema(Index::Table)?))
        .set_global_secondary_indexes(Some(indexes))
        .billing_mode(BillingMode::PayPerRequest)
        .stream_specification(stream)
        .send()
        .await
        .map_err(|error| unavailable("CreateTable", name, &error))?;

    client
        .wait_until_table_exists()
        .table_name(name)
        .wait(ACTIVE_TIMEOUT)
        .await
        .map_err(|error| unavailable("waiting for the new table", name, &error))?;

    let ttl = TimeToLiveSpecification::builder()
        .enabled(true)
        .attribute_name(TTL_ATTRIBUTE)
        .build()
        .map_err(build_error)?;
    client
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(ttl)
        .send()
        .await
        .map_err(|error| unavailable("UpdateTimeToLive", name, &error))?;

    tracing::info!(table = name, "created the DynamoDB table");
    Ok(())
}

/// Deletes the table and everything in it, without waiting for the deletion to finish.
pub async fn delete_table(client: &Client, name: &str) -> StoreResult<()> {
    client
        .delete_table()
        .table_name(name)
        .send()
        .await
        .map_err(|error| unavailable("DeleteTable", name, &error))?;
    tracing::info!(table = name, "deleted the DynamoDB table");
    Ok(())
}

fn string_attribute(name: &str) -> StoreResult<AttributeDefinition> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(build_error)
}

fn key_schema(index: Index) -> StoreResult<Vec<KeySchemaElement>> {
    let element = |name: &str, key_type: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(key_type)
            .build()
            .map_err(build_error)
    };
    Ok(vec![
        element(index.partition_attribute(), KeyType::Hash)?,
        element(index.sort_attribute(), KeyType::Range)?,
    ])
}

fn unavailable(step: &str, table: &str, error: &(dyn std::error::Error + 'static)) -> StoreError {
    StoreError::Unavailable(format!(
        "{step} failed for table {table}: {}",
        DisplayErrorContext(error)
    ))
}

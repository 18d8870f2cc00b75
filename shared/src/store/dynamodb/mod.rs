//! The DynamoDB store: [`Store`] on one DynamoDB table through the AWS SDK.
//!
//! The table has string keys `PK` and `SK` and three GSIs (see [`create_table`]). Items cross
//! the boundary as `serde_dynamo` items, converted to and from the SDK's attribute maps.

mod batch;
pub mod consumed;
mod error;
mod expression;
mod retry;
mod table;
#[cfg(test)]
mod tests;
mod transaction;

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::types::{AttributeValue as SdkValue, ReturnConsumedCapacity, ReturnValue};

pub use aws_sdk_dynamodb::Client;
pub use table::{TTL_ATTRIBUTE, create_table, delete_table};

use self::consumed::{ConsumedMeter, Usage};
use crate::lambda_env;
use self::expression::{
    Placeholders, normalize_sort, render_condition, render_key_condition, render_update,
};
use self::retry::RetryPolicy;
use super::{
    BatchWrite, Condition, Index, Item, Key, MAX_ITEM_SIZE, Query, QueryPage, Store, StoreError,
    StoreResult, TransactWrite, Update, item_size, key_of,
};

/// An item as the SDK carries it.
type SdkItem = HashMap<String, SdkValue>;

/// The store on a DynamoDB table. Cheap to share: build it once per process and keep it, so the
/// client's connection pool and credentials cache live across requests.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
    retry: RetryPolicy,
    /// Meter of the reported capacity units. With `None`, requests do not ask for a report.
    consumed: Option<Arc<ConsumedMeter>>,
}

impl DynamoStore {
    /// Builds the store from a Lambda function's environment (see [`crate::lambda_env`]):
    /// region, credentials, and `AWS_ENDPOINT_URL_DYNAMODB` or `AWS_ENDPOINT_URL`, so one
    /// binary talks to AWS or to a local DynamoDB-compatible server.
    pub fn from_lambda_env(table: impl Into<String>) -> Result<Self, String> {
        let config = lambda_env::sdk_config("AWS_ENDPOINT_URL_DYNAMODB")?;
        Ok(Self::new(Client::new(&config), table))
    }

    /// Builds the store on an existing client. The store retries throttled requests itself, so
    /// it turns the SDK's retries off on its copy of the client, which would otherwise multiply
    /// the attempts.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        let config = client.config().to_builder().retry_config(RetryConfig::disabled()).build();
        Self {
            client: Client::from_conf(config),
            table: table.into(),
            retry: RetryPolicy::default(),
            consumed: None,
        }
    }

    /// Asks DynamoDB to report the capacity each request consumed (`ReturnConsumedCapacity:
    /// INDEXES`) and adds it to `meter`. For benchmarks: the report makes responses larger.
    pub fn with_consumed_capacity(mut self, meter: Arc<ConsumedMeter>) -> Self {
        self.consumed = Some(meter);
        self
    }

    fn return_consumed(&self) -> Option<ReturnConsumedCapacity> {
        self.consumed.as_ref().map(|_| ReturnConsumedCapacity::Indexes)
    }

    fn record_consumed<'a>(
        &self,
        usage: Usage,
        reports: impl IntoIterator<Item = &'a aws_sdk_dynamodb::types::ConsumedCapacity>,
    ) {
        if let Some(meter) = &self.consumed {
            meter.record(usage, reports);
        }
    }

    /// Returns the store's SDK client, whose own retries are off, for table administration such
    /// as [`create_table`].
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Estimates the size an update would give an item, by applying it to the current item.
    /// Used only to report [`StoreError::ItemTooLarge`] after DynamoDB rejected the update.
    async fn updated_size(&self, key: &Key, update: &Update) -> Option<usize> {
        let mut item = self.get(key).await.ok()?.unwrap_or_else(|| key.to_item());
        update.apply(&mut item).ok()?;
        Some(item_size(&item))
    }
}

#[async_trait]
impl Store for DynamoStore {
    async fn get(&self, key: &Key) -> StoreResult<Option<Item>> {
        if key.pk.is_empty() || key.sk.is_empty() {
            // DynamoDB rejects empty key values, and no stored item can have one.
            return Ok(None);
        }
        let output = self
            .retry
            .run("GetItem", true, error::classify, || {
                self.client
                    .get_item()
                    .table_name(&self.table)
                    .set_key(Some(key_to_sdk(key)))
                    .consistent_read(true)
                    .set_return_consumed_capacity(self.return_consumed())
                    .send()
            })
            .await
            .map_err(|error| error::store_error("GetItem", error, None))?;
        self.record_consumed(Usage::Read, output.consumed_capacity());
        Ok(output.item.map(Item::from))
    }

    async fn put(&self, item: Item, condition: Option<Condition>) -> StoreResult<()> {
        let (_, size) = check_item("PutItem", &item)?;
        let mut placeholders = Placeholders::default();
        let condition = condition.and_then(|c| render_condition(&c, &mut placeholders));
        // A conditional put sent again after it was applied would fail its own condition.
        let idempotent = condition.is_none();
        let sdk_item: SdkItem = item.into();
        let output = self
            .retry
            .run("PutItem", idempotent, error::classify, || {
                self.client
                    .put_item()
                    .table_name(&self.table)
                    .set_item(Some(sdk_item.clone()))
                    .set_condition_expression(condition.clone())
                    .set_expression_attribute_names(placeholders.names())
                    .set_expression_attribute_values(placeholders.values())
                    .set_return_consumed_capacity(self.return_consumed())
                    .send()
            })
            .await
            .map_err(|error| error::store_error("PutItem", error, Some(size)))?;
        self.record_consumed(Usage::Write, output.consumed_capacity());
        Ok(())
    }

    async fn update(
        &self,
        key: &Key,
        update: Update,
        condition: Option<Condition>,
    ) -> StoreResult<Item> {
        check_update_size(key, &update)?;
        let mut placeholders = Placeholders::default();
        let expression = render_update(&update, &mut placeholders);
        let condition = condition.and_then(|c| render_condition(&c, &mut placeholders));
        // An ADD applied twice counts twice, and a condition may fail on the update's own
        // result, so such a request that may have reached DynamoDB is not sent again.
        let idempotent = update.add.is_empty() && condition.is_none();
        let result = self
            .retry
            .run("UpdateItem", idempotent, error::classify, || {
                self.client
                    .update_item()
                    .table_name(&self.table)
                    .set_key(Some(key_to_sdk(key)))
                    .set_update_expression(expression.clone())
                    .set_condition_expression(condition.clone())
                    .set_expression_attribute_names(placeholders.names())
                    .set_expression_attribute_values(placeholders.values())
                    .return_values(ReturnValue::AllNew)
                    .set_return_consumed_capacity(self.return_consumed())
                    .send()
            })
            .await;
        match result {
            Ok(output) => {
                self.record_consumed(Usage::Write, output.consumed_capacity());
                Ok(output.attributes.map(Item::from).unwrap_or_else(|| key.to_item()))
            }
            Err(error) => {
                let mut store_error = error::store_error("UpdateItem", error, None);
                if let StoreError::ItemTooLarge { size } = &mut store_error {
                    *size = self.updated_size(key, &update).await.unwrap_or(*size);
                }
                Err(store_error)
            }
        }
    }

    async fn delete(&self, key: &Key, condition: Option<Condition>) -> StoreResult<Option<Item>> {
        let mut placeholders = Placeholders::default();
        let condition = condition.and_then(|c| render_condition(&c, &mut placeholders));
        // Not idempotent: sent again after it was applied, a delete would return no old item,
        // and callers use the old item to tell whether they removed something.
        let output = self
            .retry
            .run("DeleteItem", false, error::classify, || {
                self.client
                    .delete_item()
                    .table_name(&self.table)
                    .set_key(Some(key_to_sdk(key)))
                    .set_condition_expression(condition.clone())
                    .set_expression_attribute_names(placeholders.names())
                    .set_expression_attribute_values(placeholders.values())
                    .return_values(ReturnValue::AllOld)
                    .set_return_consumed_capacity(self.return_consumed())
                    .send()
            })
            .await
            .map_err(|error| error::store_error("DeleteItem", error, None))?;
        self.record_consumed(Usage::Write, output.consumed_capacity());
        Ok(output.attributes.map(Item::from))
    }

    async fn query(&self, query: Query) -> StoreResult<QueryPage> {
        let Some(sort) = normalize_sort(&query.sort) else {
            return Ok(QueryPage::default());
        };
        if query.partition.is_empty() {
            // DynamoDB rejects an empty key value, and no item is stored under one.
            return Ok(QueryPage::default());
        }
        let mut placeholders = Placeholders::default();
        let key_condition =
            render_key_condition(query.index, &query.partition, &sort, &mut placeholders);
        // DynamoDB rejects a limit of 0, so it becomes 1, as in the SQLite store.
        let limit = query.limit.map(|limit| i32::try_from(limit.max(1)).unwrap_or(i32::MAX));
        let start = query.exclusive_start.as_ref().map(|item| start_key(item, query.index));
        // Strongly consistent reads exist on the table only, not on a GSI.
        let consistent = query.index == Index::Table;

        let output = self
            .retry
            .run("Query", true, error::classify, || {
                self.client
                    .query()
                    .table_name(&self.table)
                    .set_index_name(query.index.name().map(str::to_owned))
                    .key_condition_expression(&key_condition)
                    .set_expression_attribute_names(placeholders.names())
                    .set_expression_attribute_values(placeholders.values())
                    .scan_index_forward(query.forward)
                    .set_limit(limit)
                    .set_exclusive_start_key(start.clone())
                    .consistent_read(consistent)
                    .set_return_consumed_capacity(self.return_consumed())
                    .send()
            })
            .await
            .map_err(|error| error::store_error("Query", error, None))?;
        self.record_consumed(Usage::Read, output.consumed_capacity());

        Ok(QueryPage {
            items: output.items.unwrap_or_default().into_iter().map(Item::from).collect(),
            last_evaluated_key: output.last_evaluated_key.map(Item::from),
        })
    }

    async fn transact_write(&self, writes: Vec<TransactWrite>) -> StoreResult<()> {
        transaction::transact_write(self, writes).await
    }

    async fn batch_get(&self, keys: Vec<Key>) -> StoreResult<Vec<Item>> {
        batch::batch_get(self, keys).await
    }

    async fn batch_write(&self, writes: Vec<BatchWrite>) -> StoreResult<()> {
        batch::batch_write(self, writes).await
    }
}

fn key_to_sdk(key: &Key) -> SdkItem {
    key.to_item().into()
}

/// Keeps the key attributes of a query's start item: the table key, plus the index key for a
/// GSI. DynamoDB rejects an `ExclusiveStartKey` with any other attribute, and callers may pass a
/// whole item.
fn start_key(item: &Item, index: Index) -> SdkItem {
    let mut names = vec![Index::Table.partition_attribute(), Index::Table.sort_attribute()];
    if index != Index::Table {
        names.push(index.partition_attribute());
        names.push(index.sort_attribute());
    }
    names
        .into_iter()
        .filter_map(|name| item.get(name).map(|value| (name.to_owned(), value.clone().into())))
        .collect()
}

/// Checks an item before it is written, and returns its key and size: non-empty string `PK`
/// and `SK`, and at most [`MAX_ITEM_SIZE`] bytes as [`item_size`] counts them.
fn check_item(operation: &str, item: &Item) -> StoreResult<(Key, usize)> {
    let key = key_of(item).ok_or_else(|| {
        StoreError::Validation(format!("{operation} needs an item with string PK and SK"))
    })?;
    if key.pk.is_empty() || key.sk.is_empty() {
        return Err(StoreError::Validation(format!(
            "{operation} needs non-empty PK and SK, got {key:?}"
        )));
    }
    let size = item_size(item);
    if size > MAX_ITEM_SIZE {
        return Err(StoreError::ItemTooLarge { size });
    }
    Ok((key, size))
}

/// Rejects an update whose result is surely over [`MAX_ITEM_SIZE`]: the updated item contains
/// at least the key and every attribute the update sets or adds. An update that only grows an
/// item past the limit is left for DynamoDB to reject.
fn check_update_size(key: &Key, update: &Update) -> StoreResult<()> {
    let mut lower_bound = key.to_item();
    for (name, value) in &update.set {
        lower_bound.insert(name.clone(), value.clone());
    }
    for (name, delta) in &update.add {
        lower_bound.insert(name.clone(), super::number(*delta));
    }
    let size = item_size(&lower_bound);
    if size > MAX_ITEM_SIZE {
        return Err(StoreError::ItemTooLarge { size });
    }
    Ok(())
}

//! `TransactWriteItems`: building the writes, and telling failed conditions from conflicts.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    CancellationReason, ConditionCheck, Delete, Put, TransactWriteItem, Update,
};

use super::consumed::Usage;
use super::error::{self, build_error, validation_error};
use super::expression::{Placeholders, render_condition, render_update};
use super::retry::Retryable;
use super::{DynamoStore, check_item, check_update_size, key_to_sdk};
use crate::store::{
    CancelReason, Index, Key, MAX_TRANSACTION_ITEMS, StoreError, StoreResult, TransactWrite,
};

const OPERATION: &str = "TransactWriteItems";

pub(super) async fn transact_write(
    store: &DynamoStore,
    writes: Vec<TransactWrite>,
) -> StoreResult<()> {
    check_transaction(&writes)?;
    let mut items = Vec::with_capacity(writes.len());
    for write in &writes {
        items.push(transact_item(&store.table, write)?);
    }

    // Every attempt carries the same client request token, so DynamoDB applies the
    // transaction at most once within its 10-minute idempotency window. A retry of an attempt
    // that was in fact applied then succeeds without writing again, instead of failing on its
    // own conditions. The retries of one call take seconds, well inside the window.
    let token = ulid::Ulid::new().to_string();
    let result = store
        .retry
        .run(OPERATION, true, classify, || {
            store
                .client
                .transact_write_items()
                .client_request_token(&token)
                .set_transact_items(Some(items.clone()))
                .set_return_consumed_capacity(store.return_consumed())
                .send()
        })
        .await;
    match result {
        Ok(output) => {
            store.record_consumed(Usage::Write, output.consumed_capacity());
            Ok(())
        }
        Err(error) => Err(transaction_error(store, &writes, error).await),
    }
}

/// Rejects what DynamoDB would reject, with the SQLite store's messages: no writes, more than
/// [`MAX_TRANSACTION_ITEMS`], or two writes on one item.
fn check_transaction(writes: &[TransactWrite]) -> StoreResult<()> {
    if writes.is_empty() || writes.len() > MAX_TRANSACTION_ITEMS {
        return Err(StoreError::Validation(format!(
            "a transaction takes 1 to {MAX_TRANSACTION_ITEMS} writes, not {}",
            writes.len()
        )));
    }
    let mut keys: Vec<Key> = writes.iter().map(TransactWrite::key).collect();
    keys.sort();
    if keys.windows(2).any(|pair| pair[0] == pair[1]) {
        return Err(StoreError::Validation(
            "a transaction cannot include several writes on one item".into(),
        ));
    }
    Ok(())
}

fn transact_item(table: &str, write: &TransactWrite) -> StoreResult<TransactWriteItem> {
    let mut placeholders = Placeholders::default();
    let item = match write {
        TransactWrite::Put { item, condition } => {
            check_item(OPERATION, item)?;
            let condition = condition.as_ref().and_then(|c| render_condition(c, &mut placeholders));
            let put = Put::builder()
                .table_name(table)
                .set_item(Some(item.clone().into()))
                .set_condition_expression(condition)
                .set_expression_attribute_names(placeholders.names())
                .set_expression_attribute_values(placeholders.values())
                .build()
                .map_err(build_error)?;
            TransactWriteItem::builder().put(put).build()
        }
        TransactWrite::Update { key, update, condition } => {
            check_update_size(key, update)?;
            // NOTE: the SQLite store accepts an update with no action (it creates the item with
            // only its key), but DynamoDB requires an UpdateExpression inside a transaction.
            let expression = render_update(update, &mut placeholders).ok_or_else(|| {
                StoreError::Validation(format!(
                    "the transaction update of {key:?} has no SET, ADD or REMOVE action"
                ))
            })?;
            let condition = condition.as_ref().and_then(|c| render_condition(c, &mut placeholders));
            let update = Update::builder()
                .table_name(table)
                .set_key(Some(key_to_sdk(key)))
                .update_expression(expression)
                .set_condition_expression(condition)
                .set_expression_attribute_names(placeholders.names())
                .set_expression_attribute_values(placeholders.values())
                .build()
                .map_err(build_error)?;
            TransactWriteItem::builder().update(update).build()
        }
        TransactWrite::Delete { key, condition } => {
            let condition = condition.as_ref().and_then(|c| render_condition(c, &mut placeholders));
            let delete = Delete::builder()
                .table_name(table)
                .set_key(Some(key_to_sdk(key)))
                .set_condition_expression(condition)
                .set_expression_attribute_names(placeholders.names())
                .set_expression_attribute_values(placeholders.values())
                .build()
                .map_err(build_error)?;
            TransactWriteItem::builder().delete(delete).build()
        }
        TransactWrite::ConditionCheck { key, condition } => {
            // A condition check needs an expression even when the condition always holds.
            let expression = render_condition(condition, &mut placeholders).unwrap_or_else(|| {
                let pk = placeholders.name(Index::Table.partition_attribute());
                format!("(attribute_exists({pk}) OR attribute_not_exists({pk}))")
            });
            let check = ConditionCheck::builder()
                .table_name(table)
                .set_key(Some(key_to_sdk(key)))
                .condition_expression(expression)
                .set_expression_attribute_names(placeholders.names())
                .set_expression_attribute_values(placeholders.values())
                .build()
                .map_err(build_error)?;
            TransactWriteItem::builder().condition_check(check).build()
        }
    };
    Ok(item)
}

/// Tells whether a failed transaction may be sent again. A cancellation is retried only when
/// every write that failed did so for throttling or a conflict with another request.
fn classify(error: &SdkError<TransactWriteItemsError>) -> Retryable {
    let Some(TransactWriteItemsError::TransactionCanceledException(cancel)) =
        error.as_service_error()
    else {
        return error::classify(error);
    };
    let mut verdict = Retryable::No;
    for reason in cancel.cancellation_reasons() {
        match reason.code().unwrap_or("None") {
            "None" => {}
            "ThrottlingError" | "ProvisionedThroughputExceeded" => verdict = Retryable::Throttled,
            "TransactionConflict" if verdict != Retryable::Throttled => {
                verdict = Retryable::Conflict
            }
            "TransactionConflict" => {}
            _ => return Retryable::No,
        }
    }
    verdict
}

async fn transaction_error(
    store: &DynamoStore,
    writes: &[TransactWrite],
    error: SdkError<TransactWriteItemsError>,
) -> StoreError {
    let mut store_error = match error.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(cancel)) => {
            cancellation_error(cancel.cancellation_reasons())
        }
        _ => error::store_error(OPERATION, error, None),
    };
    if let StoreError::ItemTooLarge { size } = &mut store_error {
        *size = largest_result(store, writes).await.unwrap_or(*size);
    }
    store_error
}

/// Converts the reasons of a cancelled transaction, which line up with the writes.
fn cancellation_error(reasons: &[CancellationReason]) -> StoreError {
    if let Some(invalid) = reasons.iter().find(|reason| reason.code() == Some("ValidationError")) {
        return validation_error(OPERATION, invalid.message().unwrap_or("no message"), None);
    }
    let codes: Vec<&str> = reasons.iter().map(|reason| reason.code().unwrap_or("None")).collect();
    let mut mapped = Vec::with_capacity(codes.len());
    for code in &codes {
        mapped.push(match *code {
            "None" => CancelReason::None,
            "ConditionalCheckFailed" => CancelReason::ConditionFailed,
            "TransactionConflict" => CancelReason::Conflict,
            "ThrottlingError" | "ProvisionedThroughputExceeded" => return StoreError::Throttled,
            other => {
                return StoreError::Unavailable(format!(
                    "DynamoDB cancelled the transaction for {other}; reasons: {codes:?}"
                ));
            }
        });
    }
    StoreError::TransactionCanceled { reasons: mapped }
}

/// Estimates the size of the largest item the transaction would write, to report
/// [`StoreError::ItemTooLarge`] after DynamoDB rejected it.
async fn largest_result(store: &DynamoStore, writes: &[TransactWrite]) -> Option<usize> {
    let mut largest = None;
    for write in writes {
        let size = match write {
            TransactWrite::Put { item, .. } => Some(crate::store::item_size(item)),
            TransactWrite::Update { key, update, .. } => store.updated_size(key, update).await,
            TransactWrite::Delete { .. } | TransactWrite::ConditionCheck { .. } => None,
        };
        largest = largest.max(size);
    }
    largest
}

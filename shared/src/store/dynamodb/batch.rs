//! `BatchGetItem` and `BatchWriteItem`: requests split to DynamoDB's limits, and unprocessed
//! keys and items sent again with backoff.

use std::collections::HashSet;

use aws_sdk_dynamodb::types::{DeleteRequest, KeysAndAttributes, PutRequest, WriteRequest};

use super::consumed::Usage;
use super::error::{self, build_error};
use super::{DynamoStore, SdkItem, check_item, key_to_sdk};
use crate::store::{
    BatchWrite, Item, Key, MAX_BATCH_GET_KEYS, MAX_BATCH_WRITE_ITEMS, StoreError, StoreResult,
};

/// Reads `keys` in calls of at most [`MAX_BATCH_GET_KEYS`] keys.
pub(super) async fn batch_get(store: &DynamoStore, keys: Vec<Key>) -> StoreResult<Vec<Item>> {
    // DynamoDB rejects a request that names one key twice, and an item is returned once
    // whichever way it was asked for. Empty key values are rejected too and match no item.
    let mut seen = HashSet::new();
    let keys: Vec<Key> = keys
        .into_iter()
        .filter(|key| !key.pk.is_empty() && !key.sk.is_empty())
        .filter(|key| seen.insert(key.clone()))
        .collect();

    let mut items = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(MAX_BATCH_GET_KEYS) {
        let pending = chunk.iter().map(key_to_sdk).collect();
        items.extend(get_chunk(store, pending).await?);
    }
    Ok(items)
}

/// Reads one chunk, sending unprocessed keys again until none is left. DynamoDB leaves keys
/// unprocessed when the table is throttled or the response reaches 16 MB.
async fn get_chunk(store: &DynamoStore, mut pending: Vec<SdkItem>) -> StoreResult<Vec<Item>> {
    let mut items = Vec::with_capacity(pending.len());
    let mut stalled_rounds = 0;
    loop {
        // Strongly consistent like `get`, so a batch read returns every acknowledged write, as
        // the SQLite store does.
        let request = KeysAndAttributes::builder()
            .set_keys(Some(pending.clone()))
            .consistent_read(true)
            .build()
            .map_err(build_error)?;
        let output = store
            .retry
            .run("BatchGetItem", true, error::classify, || {
                store
                    .client
                    .batch_get_item()
                    .request_items(&store.table, request.clone())
                    .set_return_consumed_capacity(store.return_consumed())
                    .send()
            })
            .await
            .map_err(|error| error::store_error("BatchGetItem", error, None))?;
        store.record_consumed(Usage::Read, output.consumed_capacity());

        let mut responses = output.responses.unwrap_or_default();
        items
            .extend(responses.remove(&store.table).unwrap_or_default().into_iter().map(Item::from));
        let unprocessed = output
            .unprocessed_keys
            .and_then(|mut tables| tables.remove(&store.table))
            .map(|keys| keys.keys)
            .unwrap_or_default();
        if unprocessed.is_empty() {
            return Ok(items);
        }
        stalled_rounds = next_stall_count(stalled_rounds, unprocessed.len(), pending.len());
        wait_for_unprocessed(store, "BatchGetItem", stalled_rounds, unprocessed.len()).await?;
        pending = unprocessed;
    }
}

/// Applies `writes` in calls of at most [`MAX_BATCH_WRITE_ITEMS`] writes, in order.
pub(super) async fn batch_write(store: &DynamoStore, writes: Vec<BatchWrite>) -> StoreResult<()> {
    let mut requests = Vec::with_capacity(writes.len());
    for write in writes {
        requests.push(write_request(write)?);
    }
    for chunk in chunks_without_repeats(requests) {
        let pending = chunk.into_iter().map(|(_, request)| request).collect();
        write_chunk(store, pending).await?;
    }
    Ok(())
}

fn write_request(write: BatchWrite) -> StoreResult<(Key, WriteRequest)> {
    match write {
        BatchWrite::Put(item) => {
            let (key, _) = check_item("BatchWriteItem", &item)?;
            let put =
                PutRequest::builder().set_item(Some(item.into())).build().map_err(build_error)?;
            Ok((key, WriteRequest::builder().put_request(put).build()))
        }
        BatchWrite::Delete(key) => {
            let delete = DeleteRequest::builder()
                .set_key(Some(key_to_sdk(&key)))
                .build()
                .map_err(build_error)?;
            Ok((key, WriteRequest::builder().delete_request(delete).build()))
        }
    }
}

/// Splits writes into chunks of at most [`MAX_BATCH_WRITE_ITEMS`], starting a new chunk when a
/// key repeats. DynamoDB rejects a request that writes one item twice, and applying the chunks in
/// order keeps the last write of an item the one that stays, as in the SQLite store.
fn chunks_without_repeats<T>(writes: Vec<(Key, T)>) -> Vec<Vec<(Key, T)>> {
    let mut chunks: Vec<Vec<(Key, T)>> = Vec::new();
    let mut keys_in_chunk = HashSet::new();
    for (key, write) in writes {
        let full = chunks.last().is_none_or(|chunk| chunk.len() >= MAX_BATCH_WRITE_ITEMS);
        if full || keys_in_chunk.contains(&key) {
            chunks.push(Vec::new());
            keys_in_chunk.clear();
        }
        keys_in_chunk.insert(key.clone());
        chunks.last_mut().expect("a chunk was just pushed").push((key, write));
    }
    chunks
}

/// Applies one chunk, sending unprocessed items again until none is left.
async fn write_chunk(store: &DynamoStore, mut pending: Vec<WriteRequest>) -> StoreResult<()> {
    let mut stalled_rounds = 0;
    loop {
        // Unconditional puts and deletes land the same however often they are sent, so
        // transient failures are retried too.
        let output = store
            .retry
            .run("BatchWriteItem", true, error::classify, || {
                store
                    .client
                    .batch_write_item()
                    .request_items(&store.table, pending.clone())
                    .set_return_consumed_capacity(store.return_consumed())
                    .send()
            })
            .await
            .map_err(|error| error::store_error("BatchWriteItem", error, None))?;
        store.record_consumed(Usage::Write, output.consumed_capacity());

        let unprocessed = output
            .unprocessed_items
            .and_then(|mut tables| tables.remove(&store.table))
            .unwrap_or_default();
        if unprocessed.is_empty() {
            return Ok(());
        }
        stalled_rounds = next_stall_count(stalled_rounds, unprocessed.len(), pending.len());
        wait_for_unprocessed(store, "BatchWriteItem", stalled_rounds, unprocessed.len()).await?;
        pending = unprocessed;
    }
}

/// Counts consecutive rounds that processed nothing. A round that made progress resets the
/// count, and the leftovers shrink with each such round, so the loop is bounded either way.
fn next_stall_count(stalled_rounds: u32, unprocessed: usize, sent: usize) -> u32 {
    if unprocessed < sent { 0 } else { stalled_rounds + 1 }
}

/// Sleeps before sending leftovers again, or fails with [`StoreError::Throttled`] once
/// `max_attempts` rounds in a row processed nothing.
async fn wait_for_unprocessed(
    store: &DynamoStore,
    operation: &'static str,
    stalled_rounds: u32,
    unprocessed: usize,
) -> StoreResult<()> {
    if stalled_rounds >= store.retry.max_attempts {
        tracing::error!(
            operation,
            unprocessed,
            stalled_rounds,
            "DynamoDB left requests unprocessed; giving up"
        );
        return Err(StoreError::Throttled);
    }
    let delay = store.retry.backoff(stalled_rounds);
    tracing::warn!(
        operation,
        unprocessed,
        stalled_rounds,
        delay_ms = delay.as_millis() as u64,
        "DynamoDB left requests unprocessed; retrying them"
    );
    tokio::time::sleep(delay).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_split_at_limit() {
        let writes: Vec<(Key, usize)> =
            (0..60).map(|i| (Key::new("p", format!("{i:03}")), i)).collect();
        let sizes: Vec<usize> = chunks_without_repeats(writes).iter().map(Vec::len).collect();
        assert_eq!(sizes, [25, 25, 10]);
    }

    #[test]
    fn chunks_split_at_repeated_key() {
        let writes =
            vec![(Key::new("p", "a"), 0), (Key::new("p", "b"), 1), (Key::new("p", "a"), 2)];
        let chunks = chunks_without_repeats(writes);
        let order: Vec<Vec<i32>> =
            chunks.iter().map(|c| c.iter().map(|(_, w)| *w).collect()).collect();
        assert_eq!(order, [vec![0, 1], vec![2]]);
    }
}

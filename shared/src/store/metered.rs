//! A store wrapper that counts round trips per operation, for benchmarks and cost tables.
//!
//! Besides the calls it counts their depth: how many of them ran one after another. Calls a
//! handler sends together (with `join!`) cost one step of latency, not one each.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;

use super::{
    BatchWrite, Condition, Item, Key, MAX_BATCH_GET_KEYS, MAX_BATCH_WRITE_ITEMS, Query, QueryPage,
    Store, StoreResult, TransactWrite, Update,
};

/// Round trips by DynamoDB operation. Batch operations count one round trip per call
/// DynamoDB would need (100 keys per `BatchGetItem`, 25 writes per `BatchWriteItem`), and none
/// when empty, since the DynamoDB store sends nothing then.
#[derive(Debug, Default)]
pub struct RoundTrips {
    pub get_item: AtomicU64,
    pub put_item: AtomicU64,
    pub update_item: AtomicU64,
    pub delete_item: AtomicU64,
    pub query: AtomicU64,
    pub transact_write_items: AtomicU64,
    pub batch_get_item: AtomicU64,
    pub batch_write_item: AtomicU64,
    /// Length of the longest chain of calls so far in which each call started after the one
    /// before it had returned. A call that starts takes the deepest finished chain plus one.
    pub sequential: AtomicU64,
}

/// A copy of the counters at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub get_item: u64,
    pub put_item: u64,
    pub update_item: u64,
    pub delete_item: u64,
    pub query: u64,
    pub transact_write_items: u64,
    pub batch_get_item: u64,
    pub batch_write_item: u64,
    /// Calls that ran one after another: the round trips a client waits for.
    pub sequential: u64,
}

impl Counts {
    pub fn total(&self) -> u64 {
        self.get_item
            + self.put_item
            + self.update_item
            + self.delete_item
            + self.query
            + self.transact_write_items
            + self.batch_get_item
            + self.batch_write_item
    }

    /// Counts since `earlier`.
    pub fn since(&self, earlier: &Counts) -> Counts {
        Counts {
            get_item: self.get_item - earlier.get_item,
            put_item: self.put_item - earlier.put_item,
            update_item: self.update_item - earlier.update_item,
            delete_item: self.delete_item - earlier.delete_item,
            query: self.query - earlier.query,
            transact_write_items: self.transact_write_items - earlier.transact_write_items,
            batch_get_item: self.batch_get_item - earlier.batch_get_item,
            batch_write_item: self.batch_write_item - earlier.batch_write_item,
            sequential: self.sequential - earlier.sequential,
        }
    }
}

impl RoundTrips {
    pub fn snapshot(&self) -> Counts {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        Counts {
            get_item: read(&self.get_item),
            put_item: read(&self.put_item),
            update_item: read(&self.update_item),
            delete_item: read(&self.delete_item),
            query: read(&self.query),
            transact_write_items: read(&self.transact_write_items),
            batch_get_item: read(&self.batch_get_item),
            batch_write_item: read(&self.batch_write_item),
            sequential: read(&self.sequential),
        }
    }
}

/// Wraps a store and counts every call it passes on.
pub struct MeteredStore {
    inner: Arc<dyn Store>,
    pub round_trips: Arc<RoundTrips>,
}

impl MeteredStore {
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self { inner, round_trips: Arc::new(RoundTrips::default()) }
    }

    /// Runs a call that costs `calls` DynamoDB requests and records its place in the chain of
    /// sequential calls. The requests of one batch count one after another, as the DynamoDB
    /// store sends its chunks in turn.
    async fn step<T>(&self, counter: &AtomicU64, calls: usize, call: impl std::future::Future<Output = T>) -> T {
        counter.fetch_add(calls as u64, Ordering::Relaxed);
        let depth = self.round_trips.sequential.load(Ordering::SeqCst) + calls as u64;
        let result = call.await;
        self.round_trips.sequential.fetch_max(depth, Ordering::SeqCst);
        result
    }
}

#[async_trait]
impl Store for MeteredStore {
    async fn get(&self, key: &Key) -> StoreResult<Option<Item>> {
        self.step(&self.round_trips.get_item, 1, self.inner.get(key)).await
    }

    async fn put(&self, item: Item, condition: Option<Condition>) -> StoreResult<()> {
        self.step(&self.round_trips.put_item, 1, self.inner.put(item, condition)).await
    }

    async fn update(&self, key: &Key, update: Update, condition: Option<Condition>) -> StoreResult<Item> {
        self.step(&self.round_trips.update_item, 1, self.inner.update(key, update, condition)).await
    }

    async fn delete(&self, key: &Key, condition: Option<Condition>) -> StoreResult<Option<Item>> {
        self.step(&self.round_trips.delete_item, 1, self.inner.delete(key, condition)).await
    }

    async fn query(&self, query: Query) -> StoreResult<QueryPage> {
        self.step(&self.round_trips.query, 1, self.inner.query(query)).await
    }

    async fn transact_write(&self, writes: Vec<TransactWrite>) -> StoreResult<()> {
        self.step(&self.round_trips.transact_write_items, 1, self.inner.transact_write(writes)).await
    }

    async fn batch_get(&self, keys: Vec<Key>) -> StoreResult<Vec<Item>> {
        self.step(&self.round_trips.batch_get_item, keys.len().div_ceil(MAX_BATCH_GET_KEYS), self.inner.batch_get(keys)).await
    }

    async fn batch_write(&self, writes: Vec<BatchWrite>) -> StoreResult<()> {
        self.step(&self.round_trips.batch_write_item, writes.len().div_ceil(MAX_BATCH_WRITE_ITEMS), self.inner.batch_write(writes)).await
    }
}

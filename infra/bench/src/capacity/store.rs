//! A store wrapper that computes the capacity units each call would consume on DynamoDB, from
//! the sizes of the items it reads and writes, and records every change it makes in the shape
//! of a DynamoDB stream record, so the stream handlers can be run on a store without a stream.
//!
//! To know an item's size before and after a write it reads the item around each write,
//! through a second store on the same data (`images`). Those reads are its own bookkeeping:
//! they reach neither a `MeteredStore` wrapped around it nor the capacity DynamoDB reports to
//! the inner store. Calls must not overlap: the before and
//! after images are only right when no other writer changes the item in between.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chirp_shared::store::sqlite::{ChangeRecord, EventName};
use chirp_shared::store::{
    BatchWrite, Condition, Index, Item, Key, Query, QueryPage, Store, StoreError, StoreResult,
    TransactWrite, Update, item_size, key_of,
};

use super::units::{
    Consistency, TRANSACTION_FACTOR, WriteCost, applied_write, failed_write, read_units,
};

/// Capacity units computed so far.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Units {
    pub read: f64,
    pub write: f64,
}

impl Units {
    pub fn since(&self, earlier: &Units) -> Units {
        Units { read: self.read - earlier.read, write: self.write - earlier.write }
    }
}

pub struct CapacityStore {
    inner: Arc<dyn Store>,
    /// The same data as `inner`, for reading before and after images.
    images: Arc<dyn Store>,
    units: Mutex<Units>,
    changes: Mutex<Vec<ChangeRecord>>,
    sequence: AtomicI64,
}

impl CapacityStore {
    pub fn new(inner: Arc<dyn Store>, images: Arc<dyn Store>) -> Self {
        Self {
            inner,
            images,
            units: Mutex::new(Units::default()),
            changes: Mutex::new(Vec::new()),
            sequence: AtomicI64::new(0),
        }
    }

    pub fn snapshot(&self) -> Units {
        *self.units.lock().expect("not poisoned")
    }

    /// Removes and returns the changes recorded so far, oldest first.
    pub fn take_changes(&self) -> Vec<ChangeRecord> {
        std::mem::take(&mut *self.changes.lock().expect("not poisoned"))
    }

    fn add_read(&self, units: f64) {
        self.units.lock().expect("not poisoned").read += units;
    }

    fn add_write(&self, cost: WriteCost) {
        self.units.lock().expect("not poisoned").write += cost.total();
    }

    /// Records a stream record for a write that changed the item; DynamoDB emits none for a
    /// write that leaves the item as it was.
    fn record_change(&self, key: &Key, old: Option<Item>, new: Option<Item>) {
        let event_name = match (&old, &new) {
            (None, None) => return,
            (Some(old), Some(new)) if old == new => return,
            (None, Some(_)) => EventName::Insert,
            (Some(_), Some(_)) => EventName::Modify,
            (Some(_), None) => EventName::Remove,
        };
        let sequence = self.sequence.fetch_add(1, Ordering::Relaxed) + 1;
        let created_at_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_millis() as i64);
        self.changes.lock().expect("not poisoned").push(ChangeRecord {
            sequence,
            event_name,
            keys: key.to_item(),
            old_image: old,
            new_image: new,
            created_at_ms,
        });
    }

    /// The current items of `keys`, by key, read without charge.
    async fn current_items(&self, keys: &[Key]) -> StoreResult<HashMap<Key, Item>> {
        let items = self.images.batch_get(keys.to_vec()).await?;
        Ok(items.into_iter().filter_map(|item| key_of(&item).map(|key| (key, item))).collect())
    }

    /// Charges and records a single-item write from its before image and outcome.
    async fn single_write<T>(&self, key: &Key, old: Option<Item>, result: StoreResult<T>) -> StoreResult<T> {
        match &result {
            Ok(_) => {
                let new = self.images.get(key).await?;
                self.add_write(applied_write(old.as_ref(), new.as_ref()));
                self.record_change(key, old, new);
            }
            Err(StoreError::ConditionFailed) => self.add_write(failed_write(old.as_ref())),
            Err(_) => {}
        }
        result
    }
}

fn write_key(write: &BatchWrite) -> Option<Key> {
    match write {
        BatchWrite::Put(item) => key_of(item),
        BatchWrite::Delete(key) => Some(key.clone()),
    }
}

#[async_trait]
impl Store for CapacityStore {
    async fn get(&self, key: &Key) -> StoreResult<Option<Item>> {
        let item = self.inner.get(key).await?;
        self.add_read(read_units(item.as_ref().map_or(0, item_size), Consistency::Strong));
        Ok(item)
    }

    async fn put(&self, item: Item, condition: Option<Condition>) -> StoreResult<()> {
        let Some(key) = key_of(&item) else {
            return self.inner.put(item, condition).await;
        };
        let old = self.images.get(&key).await?;
        let result = self.inner.put(item, condition).await;
        self.single_write(&key, old, result).await
    }

    async fn update(&self, key: &Key, update: Update, condition: Option<Condition>) -> StoreResult<Item> {
        let old = self.images.get(key).await?;
        let result = self.inner.update(key, update, condition).await;
        self.single_write(key, old, result).await
    }

    async fn delete(&self, key: &Key, condition: Option<Condition>) -> StoreResult<Option<Item>> {
        let old = self.images.get(key).await?;
        let result = self.inner.delete(key, condition).await;
        self.single_write(key, old, result).await
    }

    async fn query(&self, query: Query) -> StoreResult<QueryPage> {
        // As the DynamoDB store reads: strongly consistent on the table, eventually on a GSI.
        let consistency = if query.index == Index::Table { Consistency::Strong } else { Consistency::Eventual };
        let page = self.inner.query(query).await?;
        let bytes: usize = page.items.iter().map(item_size).sum();
        self.add_read(read_units(bytes, consistency));
        Ok(page)
    }

    async fn transact_write(&self, writes: Vec<TransactWrite>) -> StoreResult<()> {
        let keys: Vec<Key> = writes.iter().map(TransactWrite::key).collect();
        let before = self.current_items(&keys).await?;
        let checks: Vec<bool> = writes.iter().map(|write| matches!(write, TransactWrite::ConditionCheck { .. })).collect();
        let result = self.inner.transact_write(writes).await;
        match &result {
            Ok(()) => {
                let after = self.current_items(&keys).await?;
                for (key, check) in keys.iter().zip(checks) {
                    let old = before.get(key);
                    // A condition check reads the item but is charged as a write of its size.
                    let cost = if check { failed_write(old) } else { applied_write(old, after.get(key)) };
                    self.add_write(cost.times(TRANSACTION_FACTOR));
                    if !check {
                        self.record_change(key, old.cloned(), after.get(key).cloned());
                    }
                }
            }
            Err(StoreError::TransactionCanceled { .. }) => {
                // Charged like failed conditional writes, doubled.
                for key in &keys {
                    self.add_write(failed_write(before.get(key)).times(TRANSACTION_FACTOR));
                }
            }
            Err(_) => {}
        }
        result
    }

    async fn batch_get(&self, keys: Vec<Key>) -> StoreResult<Vec<Item>> {
        let requested = keys.len();
        let items = self.inner.batch_get(keys).await?;
        let found: f64 = items.iter().map(|item| read_units(item_size(item), Consistency::Strong)).sum();
        // Absent keys cost the minimum read each.
        let absent = requested.saturating_sub(items.len()) as f64;
        self.add_read(found + absent * read_units(0, Consistency::Strong));
        Ok(items)
    }

    async fn batch_write(&self, writes: Vec<BatchWrite>) -> StoreResult<()> {
        let keys: Vec<Key> = writes.iter().filter_map(write_key).collect();
        let before = self.current_items(&keys).await?;
        self.inner.batch_write(writes).await?;
        let after = self.current_items(&keys).await?;
        for key in &keys {
            self.add_write(applied_write(before.get(key), after.get(key)));
            self.record_change(key, before.get(key).cloned(), after.get(key).cloned());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chirp_shared::store::sqlite::SqliteStore;
    use chirp_shared::store::{SortKeyCondition, string};

    fn item(pk: &str, sk: &str, extra: &[(&str, &str)]) -> Item {
        let map: std::collections::HashMap<_, _> = [("PK", pk), ("SK", sk)].iter().map(|(n, v)| (n.to_string(), string(*v))).collect();
        let mut item = Item::from(map);
        for (name, value) in extra {
            item.insert(name.to_string(), string(*value));
        }
        item
    }

    fn store() -> CapacityStore {
        let sqlite: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().expect("an in-memory store"));
        CapacityStore::new(sqlite.clone(), sqlite)
    }

    #[tokio::test]
    async fn charges_reads_and_writes_and_records_changes() {
        let store = store();
        let big = "x".repeat(1500);
        store.put(item("a", "1", &[("GSI1PK", "g"), ("GSI1SK", "1"), ("body", &big)]), None).await.unwrap();
        assert_eq!(store.snapshot(), Units { read: 0.0, write: 4.0 }, "2 units on the table, 2 on GSI1");

        store.get(&Key::new("a", "1")).await.unwrap();
        store.get(&Key::new("a", "missing")).await.unwrap();
        assert_eq!(store.snapshot().read, 2.0);

        let before = store.snapshot();
        store.query(Query::new(Index::Gsi1, "g").sort(SortKeyCondition::Any)).await.unwrap();
        assert_eq!(store.snapshot().since(&before), Units { read: 0.5, write: 0.0 });

        // A failed condition costs the existing item's size, and changes nothing.
        let before = store.snapshot();
        let exists = Condition::NotExists;
        let failed = store.put(item("a", "1", &[]), Some(exists)).await;
        assert!(matches!(failed, Err(StoreError::ConditionFailed)));
        assert_eq!(store.snapshot().since(&before).write, 2.0);

        store.delete(&Key::new("a", "1"), None).await.unwrap();
        let changes = store.take_changes();
        let names: Vec<EventName> = changes.iter().map(|change| change.event_name).collect();
        assert_eq!(names, [EventName::Insert, EventName::Remove]);
        assert!(store.take_changes().is_empty());
    }

    #[tokio::test]
    async fn transactions_cost_double() {
        let store = store();
        let writes = vec![
            TransactWrite::Put { item: item("t", "1", &[]), condition: None },
            TransactWrite::Put { item: item("t", "2", &[("GSI2PK", "x"), ("GSI2SK", "y")]), condition: None },
        ];
        store.transact_write(writes).await.unwrap();
        assert_eq!(store.snapshot().write, 2.0 * 3.0);
        assert_eq!(store.take_changes().len(), 2);
    }
}

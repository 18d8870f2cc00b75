//! The embedded store: one SQLite file that behaves like a DynamoDB table with three GSIs and
//! a stream.
//!
//! Items are kept as DynamoDB JSON beside their key columns. Every write appends its change
//! record to the `stream` table in the same SQLite transaction, so a write that commits always
//! reaches the stream consumers, and one that rolls back never does.

mod schema;
mod stream;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use tokio::sync::Notify;

pub use stream::{ChangeRecord, EventName};

use super::{
    BatchWrite, CancelReason, Condition, Index, Item, ItemExt, Key, MAX_ITEM_SIZE,
    MAX_QUERY_PAGE_BYTES, MAX_TRANSACTION_ITEMS, Query, QueryPage, SortKeyCondition, Store,
    StoreError, StoreResult, TransactWrite, Update, item_size, key_of,
};

/// How much SQLite waits for the disk on commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// Every commit is on disk before it returns (`synchronous=FULL`): the default, so an
    /// acknowledged write survives a crash of the process or of the machine.
    Full,
    /// Commits return before the disk confirms (`synchronous=OFF`). For bulk loads only: a crash
    /// of the machine may lose the load, which is then run again.
    Bulk,
}

pub struct SqliteStore {
    connection: Mutex<Connection>,
    changes: Arc<Notify>,
}

impl SqliteStore {
    /// Opens (or creates) the store in `path`.
    pub fn open(path: &Path) -> StoreResult<Self> {
        let connection = Connection::open(path).map_err(unavailable)?;
        Self::from_connection(connection)
    }

    /// Opens a store that lives in memory, for tests.
    pub fn in_memory() -> StoreResult<Self> {
        Self::from_connection(Connection::open_in_memory().map_err(unavailable)?)
    }

    fn from_connection(connection: Connection) -> StoreResult<Self> {
        schema::prepare(&connection).map_err(unavailable)?;
        Ok(Self { connection: Mutex::new(connection), changes: Arc::new(Notify::new()) })
    }

    pub fn set_durability(&self, durability: Durability) -> StoreResult<()> {
        let level = match durability {
            Durability::Full => "FULL",
            Durability::Bulk => "OFF",
        };
        self.lock().pragma_update(None, "synchronous", level).map_err(unavailable)
    }

    /// Returns a notifier woken after every commit that appended change records.
    pub fn change_notifier(&self) -> Arc<Notify> {
        self.changes.clone()
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves no half-written state, because SQLite rolled
        // back the open transaction, so the connection is safe to reuse.
        self.connection.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `work` in one immediate SQLite transaction and wakes stream consumers if it
    /// appended change records.
    fn write<T>(
        &self,
        work: impl FnOnce(&Transaction<'_>, &mut bool) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let mut connection = self.lock();
        let transaction = connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(unavailable)?;
        let mut changed = false;
        let value = work(&transaction, &mut changed)?;
        transaction.commit().map_err(unavailable)?;
        drop(connection);
        if changed {
            self.changes.notify_waiters();
        }
        Ok(value)
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn get(&self, key: &Key) -> StoreResult<Option<Item>> {
        read_item(&self.lock(), key)
    }

    async fn put(&self, item: Item, condition: Option<Condition>) -> StoreResult<()> {
        let key = key_of(&item).ok_or_else(|| missing_key("PutItem"))?;
        check_key(&key, "PutItem")?;
        self.write(|tx, changed| {
            let current = read_item(tx, &key)?;
            if !condition.as_ref().is_none_or(|c| c.evaluate(current.as_ref())) {
                return Err(StoreError::ConditionFailed);
            }
            *changed |= store_item(tx, &key, current, Some(item))?;
            Ok(())
        })
    }

    async fn update(
        &self,
        key: &Key,
        update: Update,
        condition: Option<Condition>,
    ) -> StoreResult<Item> {
        check_key(key, "UpdateItem")?;
        check_update(&update)?;
        self.write(|tx, changed| {
            let current = read_item(tx, key)?;
            if !condition.as_ref().is_none_or(|c| c.evaluate(current.as_ref())) {
                return Err(StoreError::ConditionFailed);
            }
            let next = updated_item(key, current.as_ref(), &update)?;
            *changed |= store_item(tx, key, current, Some(next.clone()))?;
            Ok(next)
        })
    }

    async fn delete(&self, key: &Key, condition: Option<Condition>) -> StoreResult<Option<Item>> {
        self.write(|tx, changed| {
            let current = read_item(tx, key)?;
            if !condition.as_ref().is_none_or(|c| c.evaluate(current.as_ref())) {
                return Err(StoreError::ConditionFailed);
            }
            *changed |= store_item(tx, key, current.clone(), None)?;
            Ok(current)
        })
    }

    async fn query(&self, query: Query) -> StoreResult<QueryPage> {
        run_query(&self.lock(), &query)
    }

    async fn transact_write(&self, writes: Vec<TransactWrite>) -> StoreResult<()> {
        check_transaction(&writes)?;
        self.write(|tx, changed| {
            // Check every condition first, so a failure anywhere leaves everything untouched
            // and names the failing writes, as TransactionCanceledException does.
            let mut currents = Vec::with_capacity(writes.len());
            let mut reasons = Vec::with_capacity(writes.len());
            for write in &writes {
                let current = read_item(tx, &write.key())?;
                let condition = match write {
                    TransactWrite::Put { condition, .. }
                    | TransactWrite::Update { condition, .. }
                    | TransactWrite::Delete { condition, .. } => condition.as_ref(),
                    TransactWrite::ConditionCheck { condition, .. } => Some(condition),
                };
                let holds = condition.is_none_or(|c| c.evaluate(current.as_ref()));
                reasons.push(if holds { CancelReason::None } else { CancelReason::ConditionFailed });
                currents.push(current);
            }
            if reasons.contains(&CancelReason::ConditionFailed) {
                return Err(StoreError::TransactionCanceled { reasons });
            }

            for (write, current) in writes.into_iter().zip(currents) {
                let key = write.key();
                *changed |= match write {
                    TransactWrite::Put { item, .. } => store_item(tx, &key, current, Some(item))?,
                    TransactWrite::Update { update, .. } => {
                        let next = updated_item(&key, current.as_ref(), &update)?;
                        store_item(tx, &key, current, Some(next))?
                    }
                    TransactWrite::Delete { .. } => store_item(tx, &key, current, None)?,
                    TransactWrite::ConditionCheck { .. } => false,
                };
            }
            Ok(())
        })
    }

    async fn batch_get(&self, mut keys: Vec<Key>) -> StoreResult<Vec<Item>> {
        // DynamoDB rejects repeated keys; the domain never sends them, and each item comes
        // back once here.
        keys.sort();
        keys.dedup();
        let connection = self.lock();
        let mut items = Vec::with_capacity(keys.len());
        for key in &keys {
            if let Some(item) = read_item(&connection, key)? {
                items.push(item);
            }
        }
        Ok(items)
    }

    async fn batch_write(&self, writes: Vec<BatchWrite>) -> StoreResult<()> {
        self.write(|tx, changed| {
            for write in writes {
                match write {
                    BatchWrite::Put(item) => {
                        let key = key_of(&item).ok_or_else(|| missing_key("BatchWriteItem"))?;
                        check_key(&key, "BatchWriteItem")?;
                        let current = read_item(tx, &key)?;
                        *changed |= store_item(tx, &key, current, Some(item))?;
                    }
                    BatchWrite::Delete(key) => {
                        let current = read_item(tx, &key)?;
                        *changed |= store_item(tx, &key, current, None)?;
                    }
                }
            }
            Ok(())
        })
    }
}

/// Rejects keys DynamoDB rejects: an empty `PK` or `SK`.
fn check_key(key: &Key, operation: &str) -> StoreResult<()> {
    if key.pk.is_empty() || key.sk.is_empty() {
        return Err(StoreError::Validation(format!("{operation} needs non-empty PK and SK")));
    }
    Ok(())
}

/// Rejects updates of key attributes, as DynamoDB does.
fn check_update(update: &Update) -> StoreResult<()> {
    let touches_key = update.set.iter().map(|(name, _)| name.as_str())
        .chain(update.add.iter().map(|(name, _)| name.as_str()))
        .chain(update.remove.iter().map(String::as_str))
        .any(|name| name == "PK" || name == "SK");
    if touches_key {
        return Err(StoreError::Validation("an update cannot change PK or SK".into()));
    }
    Ok(())
}

fn check_transaction(writes: &[TransactWrite]) -> StoreResult<()> {
    if writes.is_empty() || writes.len() > MAX_TRANSACTION_ITEMS {
        return Err(StoreError::Validation(format!(
            "a transaction takes 1 to {MAX_TRANSACTION_ITEMS} writes, not {}",
            writes.len()
        )));
    }
    for write in writes {
        if let TransactWrite::Put { item, .. } = write {
            key_of(item).ok_or_else(|| missing_key("TransactWriteItems"))?;
        }
        if let TransactWrite::Update { update, .. } = write {
            check_update(update)?;
        }
        check_key(&write.key(), "TransactWriteItems")?;
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

fn updated_item(key: &Key, current: Option<&Item>, update: &Update) -> StoreResult<Item> {
    let mut next = current.cloned().unwrap_or_else(|| key.to_item());
    update.apply(&mut next).map_err(StoreError::Validation)?;
    Ok(next)
}

fn read_item(connection: &Connection, key: &Key) -> StoreResult<Option<Item>> {
    let body: Option<String> = connection
        .prepare_cached("SELECT body FROM items WHERE pk = ?1 AND sk = ?2")
        .and_then(|mut statement| {
            statement.query_row(params![key.pk, key.sk], |row| row.get(0)).optional()
        })
        .map_err(unavailable)?;
    body.map(|text| decode_item(&text)).transpose()
}

/// Replaces the item at `key` with `next` (or deletes it when `None`) and appends the change
/// record. Returns whether anything changed: like DynamoDB, a write that leaves the item as it
/// was appends no record.
fn store_item(
    tx: &Transaction<'_>,
    key: &Key,
    current: Option<Item>,
    next: Option<Item>,
) -> StoreResult<bool> {
    if current == next {
        return Ok(false);
    }
    match &next {
        Some(item) => {
            let size = item_size(item);
            if size > MAX_ITEM_SIZE {
                return Err(StoreError::ItemTooLarge { size });
            }
            let gsi = |index: Index| {
                let partition = item.string(index.partition_attribute());
                let sort = item.string(index.sort_attribute());
                // Like a DynamoDB GSI, the index is sparse: an item joins it only when it has
                // both key attributes as strings.
                match (partition, sort) {
                    (Some(p), Some(s)) => (Some(p.to_owned()), Some(s.to_owned())),
                    _ => (None, None),
                }
            };
            let (g1p, g1s) = gsi(Index::Gsi1);
            let (g2p, g2s) = gsi(Index::Gsi2);
            let (g3p, g3s) = gsi(Index::Gsi3);
            tx.prepare_cached(
                "INSERT OR REPLACE INTO items
                 (pk, sk, gsi1pk, gsi1sk, gsi2pk, gsi2sk, gsi3pk, gsi3sk, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    key.pk,
                    key.sk,
                    g1p,
                    g1s,
                    g2p,
                    g2s,
                    g3p,
                    g3s,
                    encode_item(item)
                ])
            })
            .map_err(unavailable)?;
        }
        None => {
            tx.prepare_cached("DELETE FROM items WHERE pk = ?1 AND sk = ?2")
                .and_then(|mut statement| statement.execute(params![key.pk, key.sk]))
                .map_err(unavailable)?;
        }
    }
    stream::append(tx, key, current.as_ref(), next.as_ref())?;
    Ok(true)
}

fn run_query(connection: &Connection, query: &Query) -> StoreResult<QueryPage> {
    let (pk_column, sk_column) = match query.index {
        Index::Table => ("pk", "sk"),
        Index::Gsi1 => ("gsi1pk", "gsi1sk"),
        Index::Gsi2 => ("gsi2pk", "gsi2sk"),
        Index::Gsi3 => ("gsi3pk", "gsi3sk"),
    };
    let mut sql = format!("SELECT body, pk, sk, {sk_column} FROM items WHERE {pk_column} = ?");
    let mut args: Vec<String> = vec![query.partition.clone()];

    // Sort keys compare as bytes, because SQLite's default BINARY collation compares the
    // UTF-8 text with memcmp, which is the order DynamoDB uses for string keys.
    match &query.sort {
        SortKeyCondition::Any => {}
        SortKeyCondition::Equals(v) => push_bound(&mut sql, &mut args, sk_column, "=", v),
        SortKeyCondition::LessThan(v) => push_bound(&mut sql, &mut args, sk_column, "<", v),
        SortKeyCondition::LessOrEqual(v) => push_bound(&mut sql, &mut args, sk_column, "<=", v),
        SortKeyCondition::GreaterThan(v) => push_bound(&mut sql, &mut args, sk_column, ">", v),
        SortKeyCondition::GreaterOrEqual(v) => push_bound(&mut sql, &mut args, sk_column, ">=", v),
        SortKeyCondition::Between(low, high) => {
            push_bound(&mut sql, &mut args, sk_column, ">=", low);
            push_bound(&mut sql, &mut args, sk_column, "<=", high);
        }
        SortKeyCondition::BeginsWith(prefix) => {
            // substr counts characters, so compare the prefix by its bytes instead.
            sql.push_str(&format!(
                " AND CAST(substr(CAST({sk_column} AS BLOB), 1, length(CAST(? AS BLOB))) AS BLOB) = CAST(? AS BLOB)"
            ));
            args.push(prefix.clone());
            args.push(prefix.clone());
        }
    }

    let comparison = if query.forward { ">" } else { "<" };
    if let Some(start) = &query.exclusive_start {
        let start_pk = start.string("PK").unwrap_or_default().to_owned();
        let start_sk = start.string("SK").unwrap_or_default().to_owned();
        if query.index == Index::Table {
            sql.push_str(&format!(" AND sk {comparison} ?"));
            args.push(start_sk);
        } else {
            // Index entries with equal index keys are ordered by the table key, so the start
            // position is the whole tuple.
            let start_index_sk =
                start.string(query.index.sort_attribute()).unwrap_or_default().to_owned();
            sql.push_str(&format!(" AND ({sk_column}, pk, sk) {comparison} (?, ?, ?)"));
            args.extend([start_index_sk, start_pk, start_sk]);
        }
    }

    let direction = if query.forward { "ASC" } else { "DESC" };
    if query.index == Index::Table {
        sql.push_str(&format!(" ORDER BY sk {direction}"));
    } else {
        sql.push_str(&format!(" ORDER BY {sk_column} {direction}, pk {direction}, sk {direction}"));
    }
    if let Some(limit) = query.limit {
        sql.push_str(&format!(" LIMIT {}", limit.max(1)));
    }

    let mut statement = connection.prepare_cached(&sql).map_err(unavailable)?;
    let mut rows = statement.query(rusqlite::params_from_iter(args.iter())).map_err(unavailable)?;
    let mut page = QueryPage::default();
    let mut bytes = 0;
    while let Some(row) = rows.next().map_err(unavailable)? {
        let body: String = row.get(0).map_err(unavailable)?;
        let item = decode_item(&body)?;
        bytes += item_size(&item);
        page.items.push(item);
        let full = query.limit.is_some_and(|limit| page.items.len() >= limit);
        if full || bytes >= MAX_QUERY_PAGE_BYTES {
            let last = page.items.last().expect("an item was just pushed");
            page.last_evaluated_key = Some(start_key_of(last, query.index));
            break;
        }
    }
    Ok(page)
}

fn push_bound(sql: &mut String, args: &mut Vec<String>, column: &str, operator: &str, value: &str) {
    sql.push_str(&format!(" AND {column} {operator} ?"));
    args.push(value.to_owned());
}

/// Returns the key attributes DynamoDB puts in a `LastEvaluatedKey`: the table key, plus the
/// index key for a GSI query.
fn start_key_of(item: &Item, index: Index) -> Item {
    let mut key = Item::default();
    let mut names = vec!["PK", "SK"];
    if index != Index::Table {
        names.push(index.partition_attribute());
        names.push(index.sort_attribute());
    }
    for name in names {
        if let Some(value) = item.get(name) {
            key.insert(name.to_owned(), value.clone());
        }
    }
    key
}

fn encode_item(item: &Item) -> String {
    serde_json::to_string(item).expect("DynamoDB JSON always serialises")
}

fn decode_item(text: &str) -> StoreResult<Item> {
    serde_json::from_str(text)
        .map_err(|error| StoreError::Unavailable(format!("a stored item is corrupt: {error}")))
}

fn missing_key(operation: &str) -> StoreError {
    StoreError::Validation(format!("{operation} needs an item with string PK and SK"))
}

fn unavailable(error: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(error.to_string())
}

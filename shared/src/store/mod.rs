//! The store interface: the DynamoDB operations Chirp needs, and nothing a tweet or a user.
//!
//! Business logic is written once against [`Store`]. Each implementation provides storage
//! semantics only: conditional writes, all-or-nothing transactions, ordered range queries on
//! the table and its global secondary indexes, batch operations and change records.

#[cfg(feature = "dynamodb")]
pub mod dynamodb;
mod error;
mod expression;
mod item;
pub mod metered;
#[cfg(feature = "sqlite")]
pub mod sqlite;

use async_trait::async_trait;

pub use error::{CancelReason, StoreError};
pub use expression::{Condition, SortKeyCondition, Update};
pub use item::{Item, ItemExt, item_size, key_of, number, string};
pub use serde_dynamo::AttributeValue;

/// Maximum size of one item in bytes, as DynamoDB counts it (400 KB).
pub const MAX_ITEM_SIZE: usize = 400 * 1024;

/// Maximum number of writes in one DynamoDB transaction.
pub const MAX_TRANSACTION_ITEMS: usize = 100;

/// Maximum number of keys one DynamoDB `BatchGetItem` call takes.
pub const MAX_BATCH_GET_KEYS: usize = 100;

/// Maximum number of writes one DynamoDB `BatchWriteItem` call takes.
pub const MAX_BATCH_WRITE_ITEMS: usize = 25;

/// Maximum bytes DynamoDB reads for one `Query` page before it stops and returns a
/// `LastEvaluatedKey`.
pub const MAX_QUERY_PAGE_BYTES: usize = 1024 * 1024;

pub type StoreResult<T> = Result<T, StoreError>;

/// Primary key of an item: partition key `PK` and sort key `SK`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self { pk: pk.into(), sk: sk.into() }
    }
}

/// The table itself or one of its global secondary indexes, all with string keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Index {
    Table,
    Gsi1,
    Gsi2,
    Gsi3,
}

impl Index {
    pub const ALL_GSIS: [Index; 3] = [Index::Gsi1, Index::Gsi2, Index::Gsi3];

    /// Name of the index in DynamoDB, or `None` for the table.
    pub fn name(self) -> Option<&'static str> {
        match self {
            Index::Table => None,
            Index::Gsi1 => Some("GSI1"),
            Index::Gsi2 => Some("GSI2"),
            Index::Gsi3 => Some("GSI3"),
        }
    }

    pub fn partition_attribute(self) -> &'static str {
        match self {
            Index::Table => "PK",
            Index::Gsi1 => "GSI1PK",
            Index::Gsi2 => "GSI2PK",
            Index::Gsi3 => "GSI3PK",
        }
    }

    pub fn sort_attribute(self) -> &'static str {
        match self {
            Index::Table => "SK",
            Index::Gsi1 => "GSI1SK",
            Index::Gsi2 => "GSI2SK",
            Index::Gsi3 => "GSI3SK",
        }
    }
}

/// A key-condition query on one partition of the table or of a GSI.
#[derive(Clone, Debug)]
pub struct Query {
    pub index: Index,
    pub partition: String,
    pub sort: SortKeyCondition,
    /// `true` for ascending sort keys (DynamoDB's `ScanIndexForward`).
    pub forward: bool,
    /// Maximum number of items to read; DynamoDB also stops a page at 1 MB.
    pub limit: Option<usize>,
    /// Key attributes of the last item of the previous page (`ExclusiveStartKey`).
    pub exclusive_start: Option<Item>,
}

impl Query {
    /// Starts a query on every sort key of `partition`, ascending, with no limit.
    pub fn new(index: Index, partition: impl Into<String>) -> Self {
        Self {
            index,
            partition: partition.into(),
            sort: SortKeyCondition::Any,
            forward: true,
            limit: None,
            exclusive_start: None,
        }
    }

    pub fn sort(mut self, sort: SortKeyCondition) -> Self {
        self.sort = sort;
        self
    }

    pub fn backward(mut self) -> Self {
        self.forward = false;
        self
    }

    pub fn forward(mut self, forward: bool) -> Self {
        self.forward = forward;
        self
    }

    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }

    pub fn exclusive_start(mut self, start: Option<Item>) -> Self {
        self.exclusive_start = start;
        self
    }
}

/// One page of a query. `last_evaluated_key` is set when the query stopped at its limit or at
/// the page size cap, even if no item follows, as in DynamoDB.
#[derive(Clone, Debug, Default)]
pub struct QueryPage {
    pub items: Vec<Item>,
    pub last_evaluated_key: Option<Item>,
}

/// One write of a transaction.
#[derive(Clone, Debug)]
pub enum TransactWrite {
    Put { item: Item, condition: Option<Condition> },
    Update { key: Key, update: Update, condition: Option<Condition> },
    Delete { key: Key, condition: Option<Condition> },
    ConditionCheck { key: Key, condition: Condition },
}

impl TransactWrite {
    pub fn key(&self) -> Key {
        match self {
            TransactWrite::Put { item, .. } => key_of(item).unwrap_or_else(|| Key::new("", "")),
            TransactWrite::Update { key, .. }
            | TransactWrite::Delete { key, .. }
            | TransactWrite::ConditionCheck { key, .. } => key.clone(),
        }
    }
}

/// One unconditional write of a batch.
#[derive(Clone, Debug)]
pub enum BatchWrite {
    Put(Item),
    Delete(Key),
}

/// The DynamoDB operations Chirp uses. Implementations: the embedded SQLite store (feature
/// `sqlite`) and DynamoDB.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Reads one item with strong consistency.
    async fn get(&self, key: &Key) -> StoreResult<Option<Item>>;

    /// Writes a whole item, replacing any item with the same key.
    async fn put(&self, item: Item, condition: Option<Condition>) -> StoreResult<()>;

    /// Applies `update` (creating the item if absent) and returns the item after it
    /// (`ReturnValues: ALL_NEW`).
    async fn update(
        &self,
        key: &Key,
        update: Update,
        condition: Option<Condition>,
    ) -> StoreResult<Item>;

    /// Deletes one item and returns it as it was (`ReturnValues: ALL_OLD`), or `None` if absent.
    async fn delete(&self, key: &Key, condition: Option<Condition>) -> StoreResult<Option<Item>>;

    /// Reads one page of a key-condition query.
    async fn query(&self, query: Query) -> StoreResult<QueryPage>;

    /// Applies every write or none. At most [`MAX_TRANSACTION_ITEMS`] writes, each on a
    /// different item. A failed condition cancels the whole transaction with
    /// [`StoreError::TransactionCanceled`], whose reasons line up with `writes`.
    async fn transact_write(&self, writes: Vec<TransactWrite>) -> StoreResult<()>;

    /// Reads many items by key in any order; absent keys are left out. Implementations split
    /// the keys into calls of at most [`MAX_BATCH_GET_KEYS`].
    async fn batch_get(&self, keys: Vec<Key>) -> StoreResult<Vec<Item>>;

    /// Applies unconditional puts and deletes. Implementations split them into calls of at most
    /// [`MAX_BATCH_WRITE_ITEMS`] and retry unprocessed items.
    async fn batch_write(&self, writes: Vec<BatchWrite>) -> StoreResult<()>;
}

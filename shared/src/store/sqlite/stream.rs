//! The embedded store's change stream: records appended by writes, read by consumers that
//! persist their own position.

use rusqlite::{OptionalExtension, Transaction, params};

use super::{SqliteStore, decode_item, encode_item, unavailable};
use crate::store::{Item, ItemExt, Key, StoreResult};

/// The kind of change, named as in DynamoDB Streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventName {
    Insert,
    Modify,
    Remove,
}

impl EventName {
    pub fn as_str(self) -> &'static str {
        match self {
            EventName::Insert => "INSERT",
            EventName::Modify => "MODIFY",
            EventName::Remove => "REMOVE",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "INSERT" => EventName::Insert,
            "MODIFY" => EventName::Modify,
            _ => EventName::Remove,
        }
    }
}

/// One change record, with both images (`NEW_AND_OLD_IMAGES`).
#[derive(Clone, Debug, PartialEq)]
pub struct ChangeRecord {
    /// Position in the stream; increases with commit order.
    pub sequence: i64,
    pub event_name: EventName,
    pub keys: Item,
    pub old_image: Option<Item>,
    pub new_image: Option<Item>,
    pub created_at_ms: i64,
}

pub(super) fn append(
    tx: &Transaction<'_>,
    key: &Key,
    old: Option<&Item>,
    new: Option<&Item>,
) -> StoreResult<()> {
    let event = match (old, new) {
        (None, Some(_)) => EventName::Insert,
        (Some(_), Some(_)) => EventName::Modify,
        (Some(_), None) => EventName::Remove,
        (None, None) => return Ok(()),
    };
    let keys = key.to_item();
    let entity = new.or(old).and_then(|item| item.string("entity"));
    tx.prepare_cached(
        "INSERT INTO stream (event_name, entity, keys, old_image, new_image, created_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .and_then(|mut statement| {
        statement.execute(params![
            event.as_str(),
            entity,
            encode_item(&keys),
            old.map(encode_item),
            new.map(encode_item),
            now_ms()
        ])
    })
    .map_err(unavailable)?;
    Ok(())
}

impl SqliteStore {
    /// Reads up to `limit` change records after sequence number `after`, oldest first, keeping
    /// only items whose `entity` is in `entities` (every record when empty). Returns the records
    /// and the position a consumer may advance to: the last record returned when the limit was
    /// reached, else the newest sequence number examined, so skipped records are not read again.
    pub fn read_changes(
        &self,
        after: i64,
        limit: usize,
        entities: &[&str],
    ) -> StoreResult<(Vec<ChangeRecord>, i64)> {
        // A limit of 0 would otherwise report every record as read.
        let limit = limit.max(1);
        let connection = self.lock();
        let newest: i64 = connection
            .query_row("SELECT COALESCE(MAX(sequence), 0) FROM stream", [], |row| row.get(0))
            .map_err(unavailable)?;
        let entity_list = serde_json::to_string(entities).expect("strings serialise");
        let mut statement = connection
            .prepare_cached(
                "SELECT sequence, event_name, keys, old_image, new_image, created_at_ms
                 FROM stream
                 WHERE sequence > ?1 AND sequence <= ?2
                   AND (?3 = '[]' OR entity IN (SELECT value FROM json_each(?3)))
                 ORDER BY sequence LIMIT ?4",
            )
            .map_err(unavailable)?;
        let rows = statement
            .query_map(params![after, newest, entity_list, limit as i64], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, Option<String>>(3)?,
                    row.get::<_, Option<String>>(4)?,
                    row.get::<_, i64>(5)?,
                ))
            })
            .map_err(unavailable)?;
        let mut records = Vec::new();
        for row in rows {
            let (sequence, event, keys, old, new, created_at_ms) = row.map_err(unavailable)?;
            records.push(ChangeRecord {
                sequence,
                event_name: EventName::parse(&event),
                keys: decode_item(&keys)?,
                old_image: old.as_deref().map(decode_item).transpose()?,
                new_image: new.as_deref().map(decode_item).transpose()?,
                created_at_ms,
            });
        }
        let position = match records.last() {
            Some(last) if records.len() >= limit => last.sequence,
            _ => newest.max(after),
        };
        Ok((records, position))
    }

    /// Returns the last sequence number `consumer` has processed, 0 before its first record.
    pub fn consumer_position(&self, consumer: &str) -> StoreResult<i64> {
        let position = self
            .lock()
            .query_row(
                "SELECT position FROM stream_consumers WHERE consumer = ?1",
                params![consumer],
                |row| row.get(0),
            )
            .optional()
            .map_err(unavailable)?;
        Ok(position.unwrap_or(0))
    }

    /// Persists `consumer`'s position, so a restart resumes after `position`.
    pub fn set_consumer_position(&self, consumer: &str, position: i64) -> StoreResult<()> {
        self.lock()
            .execute(
                "INSERT INTO stream_consumers (consumer, position) VALUES (?1, ?2)
                 ON CONFLICT (consumer) DO UPDATE SET position = excluded.position",
                params![consumer, position],
            )
            .map_err(unavailable)?;
        Ok(())
    }

    /// Records that `consumer` gave up on record `sequence` after `attempts` tries.
    pub fn add_dead_letter(&self, consumer: &str, sequence: i64, attempts: u32) -> StoreResult<()> {
        self.lock()
            .execute(
                "INSERT OR REPLACE INTO stream_dead_letters (consumer, sequence, attempts, failed_at_ms)
                 VALUES (?1, ?2, ?3, ?4)",
                params![consumer, sequence, attempts, now_ms()],
            )
            .map_err(unavailable)?;
        Ok(())
    }

    /// Lists the sequence numbers `consumer` gave up on, oldest first.
    pub fn dead_letters(&self, consumer: &str) -> StoreResult<Vec<i64>> {
        let connection = self.lock();
        let mut statement = connection
            .prepare("SELECT sequence FROM stream_dead_letters WHERE consumer = ?1 ORDER BY sequence")
            .map_err(unavailable)?;
        let rows = statement
            .query_map(params![consumer], |row| row.get(0))
            .map_err(unavailable)?;
        rows.collect::<Result<_, _>>().map_err(unavailable)
    }

    /// Returns the sequence number of the newest change record, 0 when there is none.
    pub fn latest_sequence(&self) -> StoreResult<i64> {
        self.lock()
            .query_row("SELECT COALESCE(MAX(sequence), 0) FROM stream", [], |row| row.get(0))
            .map_err(unavailable)
    }
}

fn now_ms() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp_nanos() as i64 / 1_000_000
}

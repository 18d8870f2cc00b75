//! DynamoDB's capacity arithmetic, from item sizes (as `item_size` counts them), for tables
//! in on-demand or provisioned mode alike:
//!
//! - a read unit covers 4 KB read with strong consistency; eventual consistency costs half;
//!   a `Query` rounds the total of the items it read, a `GetItem` or each item of a
//!   `BatchGetItem` rounds its own size; reading an absent item still costs the minimum;
//! - a write unit covers 1 KB written; a write is charged for the larger of the item before
//!   and after it, and a failed condition for the item as it is (at least 1 unit);
//! - each GSI the item is in before or after the write is written too, by the same rule, and
//!   a change of the index key costs a delete and a put there;
//! - transactions cost double, reads and writes alike.
//!
//! GSIs here project every attribute, so an index entry is as large as the item; the 100
//! bytes of index overhead DynamoDB adds for storage are not charged for throughput.

use chirp_shared::store::{Index, Item, ItemExt, item_size};

/// Bytes one read unit covers with strong consistency.
pub const READ_UNIT_BYTES: usize = 4 * 1024;

/// Bytes one write unit covers.
pub const WRITE_UNIT_BYTES: usize = 1024;

/// Multiplier of every unit inside `TransactWriteItems`.
pub const TRANSACTION_FACTOR: f64 = 2.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Consistency {
    Strong,
    Eventual,
}

/// Read units for `bytes` read in one rounding unit (one item, or one query page).
pub fn read_units(bytes: usize, consistency: Consistency) -> f64 {
    let units = bytes.max(1).div_ceil(READ_UNIT_BYTES) as f64;
    match consistency {
        Consistency::Strong => units,
        Consistency::Eventual => units / 2.0,
    }
}

/// Write units for one item of `bytes` on the table or on one index.
pub fn write_units(bytes: usize) -> f64 {
    bytes.max(1).div_ceil(WRITE_UNIT_BYTES) as f64
}

/// Write units of one applied write, split between the table and its GSIs.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct WriteCost {
    pub table: f64,
    pub indexes: f64,
}

impl WriteCost {
    pub fn total(&self) -> f64 {
        self.table + self.indexes
    }

    pub fn times(self, factor: f64) -> WriteCost {
        WriteCost { table: self.table * factor, indexes: self.indexes * factor }
    }
}

/// Units of a write that went through, from the item before (`None`: absent) and after
/// (`None`: deleted).
pub fn applied_write(old: Option<&Item>, new: Option<&Item>) -> WriteCost {
    let size = |item: Option<&Item>| item.map_or(0, item_size);
    let table = write_units(size(old).max(size(new)));
    let indexes = Index::ALL_GSIS.into_iter().map(|index| index_write(index, old, new)).sum();
    WriteCost { table, indexes }
}

/// Units of a write whose condition failed: the item as it is, on the table only.
pub fn failed_write(current: Option<&Item>) -> WriteCost {
    WriteCost { table: write_units(current.map_or(0, item_size)), indexes: 0.0 }
}

/// Units one GSI costs for a write: nothing when the item is in it neither before nor after.
fn index_write(index: Index, old: Option<&Item>, new: Option<&Item>) -> f64 {
    let entry = |item: Option<&Item>| item.and_then(|item| index_key(index, item).map(|key| (key, item_size(item))));
    match (entry(old), entry(new)) {
        (None, None) => 0.0,
        (Some((_, size)), None) | (None, Some((_, size))) => write_units(size),
        (Some((old_key, old_size)), Some((new_key, new_size))) if old_key == new_key => {
            write_units(old_size.max(new_size))
        }
        (Some((_, old_size)), Some((_, new_size))) => write_units(old_size) + write_units(new_size),
    }
}

/// The item's key in `index`, if it has both key attributes (a sparse index leaves it out
/// otherwise).
fn index_key(index: Index, item: &Item) -> Option<(String, String)> {
    let partition = item.string(index.partition_attribute())?;
    let sort = item.string(index.sort_attribute())?;
    Some((partition.to_owned(), sort.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chirp_shared::store::string;

    fn item(pairs: &[(&str, &str)]) -> Item {
        let map: std::collections::HashMap<_, _> = pairs.iter().map(|(name, value)| (name.to_string(), string(*value))).collect();
        Item::from(map)
    }

    /// An item of exactly `bytes` bytes: `PK`, `SK` and padding.
    fn sized(bytes: usize, extra: &[(&str, &str)]) -> Item {
        let mut item = item(&[("PK", "p"), ("SK", "s")]);
        for (name, value) in extra {
            item.insert(name.to_string(), string(*value));
        }
        let used = item_size(&item) + "pad".len();
        item.insert("pad".into(), string("x".repeat(bytes - used)));
        assert_eq!(item_size(&item), bytes);
        item
    }

    #[test]
    fn reads_round_up_per_4_kb_and_halve_when_eventual() {
        assert_eq!(read_units(0, Consistency::Strong), 1.0);
        assert_eq!(read_units(4096, Consistency::Strong), 1.0);
        assert_eq!(read_units(4097, Consistency::Strong), 2.0);
        assert_eq!(read_units(100, Consistency::Eventual), 0.5);
        assert_eq!(read_units(3 * 4096 + 1, Consistency::Eventual), 2.0);
    }

    #[test]
    fn writes_round_up_per_kb() {
        assert_eq!(write_units(0), 1.0);
        assert_eq!(write_units(1024), 1.0);
        assert_eq!(write_units(1025), 2.0);
        assert_eq!(write_units(10 * 1024), 10.0);
    }

    #[test]
    fn a_write_costs_the_larger_image_on_the_table() {
        let small = sized(500, &[]);
        let large = sized(2500, &[]);
        assert_eq!(applied_write(None, Some(&small)), WriteCost { table: 1.0, indexes: 0.0 });
        assert_eq!(applied_write(Some(&large), Some(&small)).table, 3.0);
        assert_eq!(applied_write(Some(&large), None).table, 3.0);
    }

    #[test]
    fn each_index_the_item_is_in_is_written_too() {
        let in_two = sized(1500, &[("GSI1PK", "a"), ("GSI1SK", "1"), ("GSI2PK", "b"), ("GSI2SK", "2")]);
        assert_eq!(applied_write(None, Some(&in_two)), WriteCost { table: 2.0, indexes: 4.0 });

        // Half a key is no entry: sparse indexes skip the item.
        let half_key = sized(100, &[("GSI3PK", "c")]);
        assert_eq!(applied_write(None, Some(&half_key)).indexes, 0.0);

        // Same index key: one write there. A moved key: a delete and a put.
        let before = sized(800, &[("GSI1PK", "a"), ("GSI1SK", "1")]);
        let same_key = sized(900, &[("GSI1PK", "a"), ("GSI1SK", "1")]);
        let moved = sized(900, &[("GSI1PK", "a"), ("GSI1SK", "2")]);
        assert_eq!(applied_write(Some(&before), Some(&same_key)).indexes, 1.0);
        assert_eq!(applied_write(Some(&before), Some(&moved)).indexes, 2.0);
        // Leaving the index deletes the entry: one write.
        let left = sized(900, &[]);
        assert_eq!(applied_write(Some(&before), Some(&left)).indexes, 1.0);
    }

    #[test]
    fn failed_conditions_and_transactions() {
        assert_eq!(failed_write(None).total(), 1.0);
        let existing = sized(3000, &[("GSI1PK", "a"), ("GSI1SK", "1")]);
        assert_eq!(failed_write(Some(&existing)), WriteCost { table: 3.0, indexes: 0.0 });
        let doubled = applied_write(None, Some(&existing)).times(TRANSACTION_FACTOR);
        assert_eq!(doubled, WriteCost { table: 6.0, indexes: 6.0 });
    }
}

//! Items as DynamoDB sees them, and typed access to their attributes.

use super::{AttributeValue, Key};

/// One item: attribute names to values, the type DynamoDB stream events carry too.
pub type Item = serde_dynamo::Item;

/// Reads typed attributes out of an item.
pub trait ItemExt {
    fn string(&self, name: &str) -> Option<&str>;
    fn number(&self, name: &str) -> Option<i64>;
    fn strings(&self, name: &str) -> Vec<String>;
}

impl ItemExt for Item {
    fn string(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(AttributeValue::S(s)) => Some(s),
            _ => None,
        }
    }

    fn number(&self, name: &str) -> Option<i64> {
        match self.get(name) {
            Some(AttributeValue::N(n)) => n.parse().ok(),
            _ => None,
        }
    }

    fn strings(&self, name: &str) -> Vec<String> {
        match self.get(name) {
            Some(AttributeValue::L(values)) => values
                .iter()
                .filter_map(|v| match v {
                    AttributeValue::S(s) => Some(s.clone()),
                    _ => None,
                })
                .collect(),
            Some(AttributeValue::Ss(values)) => values.clone(),
            _ => Vec::new(),
        }
    }
}

/// Returns the primary key of an item, or `None` when `PK` or `SK` is missing.
pub fn key_of(item: &Item) -> Option<Key> {
    Some(Key::new(item.string("PK")?, item.string("SK")?))
}

/// Computes an item's size the way DynamoDB bills and limits it: attribute name lengths plus
/// value sizes, with numbers at about one byte per two digits.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(name, value)| name.len() + value_size(value)).sum()
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number_size(n),
        AttributeValue::B(b) => b.len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::M(map) => {
            3 + map.iter().map(|(name, v)| name.len() + value_size(v) + 1).sum::<usize>()
        }
        AttributeValue::L(list) => 3 + list.iter().map(|v| value_size(v) + 1).sum::<usize>(),
        AttributeValue::Ss(set) => set.iter().map(String::len).sum(),
        AttributeValue::Ns(set) => set.iter().map(|n| number_size(n)).sum(),
        AttributeValue::Bs(set) => set.iter().map(Vec::len).sum(),
    }
}

fn number_size(number: &str) -> usize {
    let digits = number.chars().filter(char::is_ascii_digit).count();
    digits.div_ceil(2) + 1
}

/// Builds a string attribute (`S`).
pub fn string(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// Builds a number attribute (`N`).
pub fn number(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

impl Key {
    /// Returns the key as an item holding only `PK` and `SK`.
    pub fn to_item(&self) -> Item {
        let mut item = Item::default();
        item.insert("PK".into(), string(&self.pk));
        item.insert("SK".into(), string(&self.sk));
        item
    }
}

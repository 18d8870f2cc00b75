//! Conditions, sort key conditions and updates, as data that each store turns into its own
//! form (a DynamoDB expression with name placeholders, or a check in Rust for SQLite).

use super::{AttributeValue, Item};

/// A condition on the item a write targets, checked atomically with the write.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// The item exists (`attribute_exists(PK)`).
    Exists,
    /// No item has this key (`attribute_not_exists(PK)`).
    NotExists,
    /// The attribute equals the value; false when the item or attribute is absent.
    Equals(String, AttributeValue),
    /// The numeric attribute is at least the value; false when absent.
    AtLeast(String, i64),
    /// The numeric attribute is below the value; false when absent.
    Below(String, i64),
    /// The attribute is absent, or the item is.
    AttributeNotExists(String),
    And(Vec<Condition>),
    Or(Vec<Condition>),
}

impl Condition {
    pub fn equals(attribute: &str, value: AttributeValue) -> Self {
        Condition::Equals(attribute.to_owned(), value)
    }

    /// Evaluates the condition against the current item, as DynamoDB does.
    pub fn evaluate(&self, item: Option<&Item>) -> bool {
        match self {
            Condition::Exists => item.is_some(),
            Condition::NotExists => item.is_none(),
            Condition::Equals(name, value) => item.and_then(|i| i.get(name)) == Some(value),
            Condition::AtLeast(name, minimum) => item
                .and_then(|i| i.get(name))
                .and_then(number_of)
                .is_some_and(|n| n >= *minimum),
            Condition::Below(name, limit) => item
                .and_then(|i| i.get(name))
                .and_then(number_of)
                .is_some_and(|n| n < *limit),
            Condition::AttributeNotExists(name) => item.and_then(|i| i.get(name)).is_none(),
            Condition::And(all) => all.iter().all(|c| c.evaluate(item)),
            Condition::Or(any) => any.iter().any(|c| c.evaluate(item)),
        }
    }
}

fn number_of(value: &AttributeValue) -> Option<i64> {
    match value {
        AttributeValue::N(n) => n.parse().ok(),
        _ => None,
    }
}

/// A key condition on the sort key of a query. Strings compare by their UTF-8 bytes, as in
/// DynamoDB.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SortKeyCondition {
    Any,
    Equals(String),
    LessThan(String),
    LessOrEqual(String),
    GreaterThan(String),
    GreaterOrEqual(String),
    /// Both bounds inclusive.
    Between(String, String),
    BeginsWith(String),
}

impl SortKeyCondition {
    pub fn matches(&self, sort_key: &str) -> bool {
        let key = sort_key.as_bytes();
        match self {
            SortKeyCondition::Any => true,
            SortKeyCondition::Equals(v) => key == v.as_bytes(),
            SortKeyCondition::LessThan(v) => key < v.as_bytes(),
            SortKeyCondition::LessOrEqual(v) => key <= v.as_bytes(),
            SortKeyCondition::GreaterThan(v) => key > v.as_bytes(),
            SortKeyCondition::GreaterOrEqual(v) => key >= v.as_bytes(),
            SortKeyCondition::Between(low, high) => key >= low.as_bytes() && key <= high.as_bytes(),
            SortKeyCondition::BeginsWith(prefix) => key.starts_with(prefix.as_bytes()),
        }
    }
}

/// An `UpdateItem` expression: `SET`, `ADD` on numbers, `REMOVE`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Update {
    pub set: Vec<(String, AttributeValue)>,
    /// Atomic counter increments; an absent attribute counts as 0.
    pub add: Vec<(String, i64)>,
    pub remove: Vec<String>,
}

impl Update {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set(mut self, attribute: &str, value: AttributeValue) -> Self {
        self.set.push((attribute.to_owned(), value));
        self
    }

    pub fn add(mut self, attribute: &str, delta: i64) -> Self {
        self.add.push((attribute.to_owned(), delta));
        self
    }

    pub fn remove(mut self, attribute: &str) -> Self {
        self.remove.push(attribute.to_owned());
        self
    }

    /// Applies the update to `item` in place, as DynamoDB would. Fails when `ADD` meets an
    /// attribute that is not a number.
    pub fn apply(&self, item: &mut Item) -> Result<(), String> {
        for (name, value) in &self.set {
            item.insert(name.clone(), value.clone());
        }
        for (name, delta) in &self.add {
            let current = match item.get(name) {
                None => 0,
                Some(value) => number_of(value)
                    .ok_or_else(|| format!("ADD on attribute {name}, which is not a number"))?,
            };
            item.insert(name.clone(), AttributeValue::N((current + delta).to_string()));
        }
        for name in &self.remove {
            item.remove(name);
        }
        Ok(())
    }
}

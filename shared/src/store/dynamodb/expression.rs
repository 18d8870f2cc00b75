//! Rendering of conditions, updates and key conditions as DynamoDB expressions.
//!
//! Every attribute name goes through a `#n` placeholder and every value through a `:v`
//! placeholder, so reserved words such as `name`, `status` or `count` work as attribute names
//! and no value is ever spliced into expression text.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue as SdkValue;

use crate::store::{AttributeValue, Condition, Index, SortKeyCondition, Update, number, string};

/// Name and value placeholders shared by the expressions of one request.
#[derive(Debug, Default)]
pub(super) struct Placeholders {
    names: HashMap<String, String>,
    placeholder_of: HashMap<String, String>,
    values: HashMap<String, SdkValue>,
}

impl Placeholders {
    /// Returns the placeholder of `attribute`, reusing it when the name appears again.
    pub fn name(&mut self, attribute: &str) -> String {
        if let Some(placeholder) = self.placeholder_of.get(attribute) {
            return placeholder.clone();
        }
        let placeholder = format!("#n{}", self.names.len());
        self.names.insert(placeholder.clone(), attribute.to_owned());
        self.placeholder_of.insert(attribute.to_owned(), placeholder.clone());
        placeholder
    }

    pub fn value(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value.into());
        placeholder
    }

    /// Returns `ExpressionAttributeNames`, or `None` when empty because DynamoDB rejects an
    /// empty map.
    pub fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    /// Returns `ExpressionAttributeValues`, or `None` when empty because DynamoDB rejects an
    /// empty map.
    pub fn values(&self) -> Option<HashMap<String, SdkValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

/// Renders a condition as a `ConditionExpression`.
///
/// DynamoDB has no literal for true or false, so empty `And` and `Or` lists are folded away
/// first: a condition that is always true renders as `None` (no condition), and one that is never
/// true renders as a contradiction on `PK`. Folding before rendering also keeps placeholders of
/// discarded branches out of the request, which DynamoDB would reject as unused.
pub(super) fn render_condition(
    condition: &Condition,
    placeholders: &mut Placeholders,
) -> Option<String> {
    match fold(condition) {
        Folded::Always => None,
        Folded::Never => {
            let pk = placeholders.name(Index::Table.partition_attribute());
            Some(format!("(attribute_exists({pk}) AND attribute_not_exists({pk}))"))
        }
        Folded::Some(condition) => Some(render_folded(&condition, placeholders)),
    }
}

enum Folded {
    Always,
    Never,
    Some(Condition),
}

/// Removes empty `And`/`Or` lists, which are true and false as in [`Condition::evaluate`].
fn fold(condition: &Condition) -> Folded {
    match condition {
        Condition::And(all) => {
            let mut remaining = Vec::new();
            for part in all {
                match fold(part) {
                    Folded::Always => {}
                    Folded::Never => return Folded::Never,
                    Folded::Some(part) => remaining.push(part),
                }
            }
            match remaining.len() {
                0 => Folded::Always,
                1 => Folded::Some(remaining.remove(0)),
                _ => Folded::Some(Condition::And(remaining)),
            }
        }
        Condition::Or(any) => {
            let mut remaining = Vec::new();
            for part in any {
                match fold(part) {
                    Folded::Always => return Folded::Always,
                    Folded::Never => {}
                    Folded::Some(part) => remaining.push(part),
                }
            }
            match remaining.len() {
                0 => Folded::Never,
                1 => Folded::Some(remaining.remove(0)),
                _ => Folded::Some(Condition::Or(remaining)),
            }
        }
        leaf => Folded::Some(leaf.clone()),
    }
}

fn render_folded(condition: &Condition, placeholders: &mut Placeholders) -> String {
    match condition {
        Condition::Exists => {
            format!("attribute_exists({})", placeholders.name(Index::Table.partition_attribute()))
        }
        Condition::NotExists => {
            format!(
                "attribute_not_exists({})",
                placeholders.name(Index::Table.partition_attribute())
            )
        }
        Condition::Equals(attribute, value) => {
            let name = placeholders.name(attribute);
            let value = placeholders.value(value.clone());
            format!("{name} = {value}")
        }
        Condition::AtLeast(attribute, minimum) => {
            let name = placeholders.name(attribute);
            let value = placeholders.value(number(*minimum));
            format!("{name} >= {value}")
        }
        Condition::Below(attribute, limit) => {
            let name = placeholders.name(attribute);
            let value = placeholders.value(number(*limit));
            format!("{name} < {value}")
        }
        Condition::AttributeNotExists(attribute) => {
            format!("attribute_not_exists({})", placeholders.name(attribute))
        }
        Condition::And(all) => join(all, " AND ", placeholders),
        Condition::Or(any) => join(any, " OR ", placeholders),
    }
}

fn join(parts: &[Condition], operator: &str, placeholders: &mut Placeholders) -> String {
    let rendered: Vec<String> =
        parts.iter().map(|part| render_folded(part, placeholders)).collect();
    format!("({})", rendered.join(operator))
}

/// Renders an update as an `UpdateExpression`, or `None` for an update with no action.
pub(super) fn render_update(update: &Update, placeholders: &mut Placeholders) -> Option<String> {
    let mut clauses = Vec::new();

    if !update.set.is_empty() {
        let actions: Vec<String> = update
            .set
            .iter()
            .map(|(attribute, value)| {
                let name = placeholders.name(attribute);
                let value = placeholders.value(value.clone());
                format!("{name} = {value}")
            })
            .collect();
        clauses.push(format!("SET {}", actions.join(", ")));
    }

    if !update.add.is_empty() {
        let actions: Vec<String> = update
            .add
            .iter()
            .map(|(attribute, delta)| {
                let name = placeholders.name(attribute);
                let value = placeholders.value(number(*delta));
                format!("{name} {value}")
            })
            .collect();
        clauses.push(format!("ADD {}", actions.join(", ")));
    }

    if !update.remove.is_empty() {
        let names: Vec<String> =
            update.remove.iter().map(|attribute| placeholders.name(attribute)).collect();
        clauses.push(format!("REMOVE {}", names.join(", ")));
    }

    (!clauses.is_empty()).then(|| clauses.join(" "))
}

/// Renders the `KeyConditionExpression` of a query on `partition` of `index`.
///
/// The sort condition must come from [`normalize_sort`], because DynamoDB rejects empty
/// strings as key values and a `BETWEEN` whose bounds are reversed.
pub(super) fn render_key_condition(
    index: Index,
    partition: &str,
    sort: &SortKeyCondition,
    placeholders: &mut Placeholders,
) -> String {
    let partition_name = placeholders.name(index.partition_attribute());
    let partition_value = placeholders.value(string(partition));
    let mut expression = format!("{partition_name} = {partition_value}");

    let comparison = |placeholders: &mut Placeholders, operator: &str, value: &str| {
        let name = placeholders.name(index.sort_attribute());
        let value = placeholders.value(string(value));
        format!(" AND {name} {operator} {value}")
    };
    let sort_clause = match sort {
        SortKeyCondition::Any => String::new(),
        SortKeyCondition::Equals(value) => comparison(placeholders, "=", value),
        SortKeyCondition::LessThan(value) => comparison(placeholders, "<", value),
        SortKeyCondition::LessOrEqual(value) => comparison(placeholders, "<=", value),
        SortKeyCondition::GreaterThan(value) => comparison(placeholders, ">", value),
        SortKeyCondition::GreaterOrEqual(value) => comparison(placeholders, ">=", value),
        SortKeyCondition::Between(low, high) => {
            let name = placeholders.name(index.sort_attribute());
            let low = placeholders.value(string(low));
            let high = placeholders.value(string(high));
            format!(" AND {name} BETWEEN {low} AND {high}")
        }
        SortKeyCondition::BeginsWith(prefix) => {
            let name = placeholders.name(index.sort_attribute());
            let prefix = placeholders.value(string(prefix));
            format!(" AND begins_with({name}, {prefix})")
        }
    };
    expression.push_str(&sort_clause);
    expression
}

/// Rewrites a sort key condition into one DynamoDB accepts with the same matches, or returns
/// `None` when no sort key can match.
///
/// Key values are never empty strings in DynamoDB, so a bound of `""` is either vacuous
/// (`>= ""`, `begins_with ""`) or matches nothing (`< ""`, `= ""`). `BETWEEN` with the low
/// bound above the high one matches nothing, as in the SQLite store, where DynamoDB would
/// reject the request.
pub(super) fn normalize_sort(sort: &SortKeyCondition) -> Option<SortKeyCondition> {
    use SortKeyCondition::*;
    match sort {
        Equals(value) | LessThan(value) | LessOrEqual(value) if value.is_empty() => None,
        GreaterThan(value) | GreaterOrEqual(value) | BeginsWith(value) if value.is_empty() => {
            Some(Any)
        }
        Between(low, high) if low.as_bytes() > high.as_bytes() || high.is_empty() => None,
        Between(low, high) if low.is_empty() => Some(LessOrEqual(high.clone())),
        other => Some(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn condition_uses_placeholders() {
        let mut placeholders = Placeholders::default();
        let condition = Condition::And(vec![
            Condition::Exists,
            Condition::equals("status", string("active")),
            Condition::AtLeast("count".into(), 2),
        ]);
        let expression = render_condition(&condition, &mut placeholders).expect("a condition");
        assert_eq!(expression, "(attribute_exists(#n0) AND #n1 = :v0 AND #n2 >= :v1)");
        let names = placeholders.names().expect("names");
        assert_eq!(names["#n0"], "PK");
        assert_eq!(names["#n1"], "status");
        assert_eq!(names["#n2"], "count");
    }

    #[test]
    fn condition_empty_and_is_none() {
        let mut placeholders = Placeholders::default();
        assert_eq!(render_condition(&Condition::And(vec![]), &mut placeholders), None);
        assert!(placeholders.names().is_none());
    }

    #[test]
    fn condition_empty_or_never_holds() {
        let mut placeholders = Placeholders::default();
        let condition =
            Condition::And(vec![Condition::equals("a", string("x")), Condition::Or(vec![])]);
        let expression = render_condition(&condition, &mut placeholders).expect("a condition");
        assert_eq!(expression, "(attribute_exists(#n0) AND attribute_not_exists(#n0))");
        assert!(placeholders.values().is_none(), "the discarded branch left a value");
    }

    #[test]
    fn update_renders_every_clause() {
        let mut placeholders = Placeholders::default();
        let update = Update::new().set("name", string("n")).add("count", 1).remove("date");
        let expression = render_update(&update, &mut placeholders).expect("an update");
        assert_eq!(expression, "SET #n0 = :v0 ADD #n1 :v1 REMOVE #n2");
    }

    #[test]
    fn update_empty_is_none() {
        assert_eq!(render_update(&Update::new(), &mut Placeholders::default()), None);
    }

    #[test]
    fn key_condition_gsi_between() {
        let mut placeholders = Placeholders::default();
        let sort = SortKeyCondition::Between("a".into(), "b".into());
        let expression = render_key_condition(Index::Gsi2, "p", &sort, &mut placeholders);
        assert_eq!(expression, "#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2");
        assert_eq!(placeholders.names().expect("names")["#n1"], "GSI2SK");
    }

    #[test]
    fn normalize_sort_empty_bounds() {
        use SortKeyCondition::*;
        assert_eq!(normalize_sort(&Equals(String::new())), None);
        assert_eq!(normalize_sort(&BeginsWith(String::new())), Some(Any));
        assert_eq!(normalize_sort(&Between("b".into(), "a".into())), None);
        assert_eq!(
            normalize_sort(&Between(String::new(), "a".into())),
            Some(LessOrEqual("a".into()))
        );
        assert_eq!(normalize_sort(&GreaterThan("a".into())), Some(GreaterThan("a".into())));
    }
}

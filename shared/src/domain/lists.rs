//! Reading ordered lists out of index partitions: one partition, or several shards merged in
//! key order, with optional in-memory filters under a bounded read budget.

use std::collections::VecDeque;
use std::sync::Arc;

use async_trait::async_trait;
use futures::future::try_join_all;

use crate::error::DomainResult;
use crate::pagination::{Fetched, ListSource};
use crate::store::{Index, Item, ItemExt, Query, SortKeyCondition, Store};

/// Maximum queries one page may spend when filters reject items. A page that runs out returns
/// what it found and a `next` link that resumes where it stopped.
pub const QUERY_BUDGET: usize = 40;

/// Inclusive bounds on sort keys; `None` is open.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyRange {
    pub lower: Option<String>,
    pub upper: Option<String>,
}

impl KeyRange {
    /// Tells whether `key` lies in the range.
    pub fn contains(&self, key: &str) -> bool {
        self.lower.as_deref().is_none_or(|low| key >= low)
            && self.upper.as_deref().is_none_or(|high| key <= high)
    }
}

/// Read budget shared by every query of one page.
pub struct Budget {
    queries_left: usize,
}

impl Budget {
    pub fn new(queries: usize) -> Self {
        Self { queries_left: queries }
    }

    fn spend(&mut self) -> bool {
        if self.queries_left == 0 {
            return false;
        }
        self.queries_left -= 1;
        true
    }
}

/// The next item of a reader, or why there is none.
pub enum Next {
    Item(Item),
    /// Every partition is read to the end of the range.
    End,
    /// The budget ran out first.
    OutOfBudget,
}

struct Shard {
    partition: String,
    /// Sort key of the last item read; the next query starts strictly beyond it.
    bound: Option<String>,
    buffer: VecDeque<Item>,
    exhausted: bool,
}

/// Merges partitions of one index into a single stream in sort key order. Each partition is
/// read a batch at a time, only when its buffer runs dry.
pub struct MergedReader {
    store: Arc<dyn Store>,
    index: Index,
    range: KeyRange,
    ascending: bool,
    batch: usize,
    shards: Vec<Shard>,
}

impl MergedReader {
    /// Starts strictly beyond `start_after` in the read direction, or at the range edge.
    pub fn new(
        store: Arc<dyn Store>,
        index: Index,
        partitions: Vec<String>,
        range: KeyRange,
        ascending: bool,
        start_after: Option<&str>,
        batch: usize,
    ) -> Self {
        let shards = partitions
            .into_iter()
            .map(|partition| Shard {
                partition,
                bound: start_after.map(str::to_owned),
                buffer: VecDeque::new(),
                exhausted: false,
            })
            .collect();
        Self { store, index, range, ascending, batch: batch.max(1), shards }
    }

    pub async fn next(&mut self, budget: &mut Budget) -> DomainResult<Next> {
        // Every shard whose buffer ran dry is read again, all in one concurrent round. The first
        // page of a list over 8 shards then waits for one query, not for 8 in a row.
        let mut dry = Vec::new();
        let mut out_of_budget = false;
        for (position, shard) in self.shards.iter().enumerate() {
            if shard.buffer.is_empty() && !shard.exhausted {
                if !budget.spend() {
                    out_of_budget = true;
                    break;
                }
                dry.push(position);
            }
        }
        self.refill(&dry).await?;
        if out_of_budget {
            return Ok(Next::OutOfBudget);
        }

        let sort_attribute = self.index.sort_attribute();
        let mut best: Option<(usize, &str)> = None;
        for (position, shard) in self.shards.iter().enumerate() {
            let Some(key) = shard.buffer.front().and_then(|item| item.string(sort_attribute)) else {
                continue;
            };
            let better = match best {
                None => true,
                Some((_, best_key)) => if self.ascending { key < best_key } else { key > best_key },
            };
            if better {
                best = Some((position, key));
            }
        }
        match best {
            Some((position, _)) => {
                let item = self.shards[position].buffer.pop_front().expect("the head was just read");
                Ok(Next::Item(item))
            }
            None => Ok(Next::End),
        }
    }

    /// Reads the next batch of each shard at `positions`, concurrently.
    async fn refill(&mut self, positions: &[usize]) -> DomainResult<()> {
        let queries = positions.iter().map(|&position| {
            let shard = &self.shards[position];
            let (condition, excluded) = sort_condition(&self.range, shard.bound.as_deref(), self.ascending);
            let query = Query::new(self.index, shard.partition.clone())
                .sort(condition)
                .forward(self.ascending)
                .limit(self.batch);
            let store = &self.store;
            async move { store.query(query).await.map(|page| (page, excluded)) }
        });
        let pages = try_join_all(queries).await?;

        let sort_attribute = self.index.sort_attribute();
        for (&position, (page, excluded)) in positions.iter().zip(pages) {
            let shard = &mut self.shards[position];
            if page.items.len() < self.batch && page.last_evaluated_key.is_none() {
                shard.exhausted = true;
            }
            if let Some(last) = page.items.last().and_then(|item| item.string(sort_attribute)) {
                shard.bound = Some(last.to_owned());
            } else {
                shard.exhausted = true;
            }
            for item in page.items {
                let key = item.string(sort_attribute).unwrap_or_default();
                if excluded.as_deref() != Some(key) {
                    shard.buffer.push_back(item);
                }
            }
        }
        Ok(())
    }
}

/// Combines a range with an exclusive bound into one key condition. DynamoDB's `BETWEEN` is
/// inclusive, so an exclusive upper bound inside `BETWEEN` comes back as the key to drop.
fn sort_condition(
    range: &KeyRange,
    bound: Option<&str>,
    ascending: bool,
) -> (SortKeyCondition, Option<String>) {
    let mut lower = range.lower.clone();
    let mut upper = range.upper.clone();
    let mut upper_exclusive = false;
    if let Some(bound) = bound {
        if ascending {
            // The smallest string greater than `bound` is `bound` followed by U+0000.
            let after = format!("{bound}\u{0}");
            if lower.as_ref().is_none_or(|low| after > *low) {
                lower = Some(after);
            }
        } else if upper.as_ref().is_none_or(|high| bound <= high.as_str()) {
            upper = Some(bound.to_owned());
            upper_exclusive = true;
        }
    }
    match (lower, upper) {
        (None, None) => (SortKeyCondition::Any, None),
        (Some(low), None) => (SortKeyCondition::GreaterOrEqual(low), None),
        (None, Some(high)) if upper_exclusive => (SortKeyCondition::LessThan(high), None),
        (None, Some(high)) => (SortKeyCondition::LessOrEqual(high), None),
        (Some(low), Some(high)) => {
            let excluded = upper_exclusive.then(|| high.clone());
            (SortKeyCondition::Between(low, high), excluded)
        }
    }
}

/// Boxed item filter applied in memory after the key condition.
pub type ItemFilter = Arc<dyn Fn(&Item) -> bool + Send + Sync>;

/// A list read from one or more partitions of an index, newest first when `descending`.
pub struct IndexList {
    pub store: Arc<dyn Store>,
    pub index: Index,
    pub partitions: Vec<String>,
    pub range: KeyRange,
    pub descending: bool,
    pub filter: Option<ItemFilter>,
}

impl IndexList {
    /// One partition of an index, sorted by its sort key.
    pub fn partition(store: Arc<dyn Store>, index: Index, partition: String, descending: bool) -> Self {
        Self { store, index, partitions: vec![partition], range: KeyRange::default(), descending, filter: None }
    }
}

#[async_trait]
impl ListSource for IndexList {
    type Entry = Item;

    async fn fetch(&self, bound: Option<&str>, forward: bool, limit: usize) -> DomainResult<Fetched<Item>> {
        let ascending = forward != self.descending;
        let batch = if self.filter.is_some() { limit.max(25) } else { limit };
        let mut reader = MergedReader::new(
            self.store.clone(),
            self.index,
            self.partitions.clone(),
            self.range.clone(),
            ascending,
            bound,
            batch,
        );
        let mut budget = Budget::new(QUERY_BUDGET.max(self.partitions.len() + 1));
        collect(&mut reader, &mut budget, self.index, self.filter.as_ref(), limit, bound.map(str::to_owned)).await
    }
}

/// Pulls up to `limit` accepted items out of a reader. `resume` is the position to report if
/// the budget runs out before any item was examined.
pub async fn collect(
    reader: &mut MergedReader,
    budget: &mut Budget,
    index: Index,
    filter: Option<&ItemFilter>,
    limit: usize,
    resume: Option<String>,
) -> DomainResult<Fetched<Item>> {
    let mut entries = Vec::new();
    let mut last_examined = resume;
    loop {
        match reader.next(budget).await? {
            Next::Item(item) => {
                let key = item.string(index.sort_attribute()).unwrap_or_default().to_owned();
                last_examined = Some(key.clone());
                if filter.is_none_or(|accept| accept(&item)) {
                    entries.push((key, item));
                    if entries.len() >= limit {
                        return Ok(Fetched::complete(entries));
                    }
                }
            }
            Next::End => return Ok(Fetched::complete(entries)),
            Next::OutOfBudget => return Ok(Fetched { entries, stopped_at: last_examined }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bound_narrows_range() {
        let range = KeyRange { lower: Some("b".into()), upper: Some("y".into()) };
        assert_eq!(
            sort_condition(&range, Some("m"), false),
            (SortKeyCondition::Between("b".into(), "m".into()), Some("m".into()))
        );
        assert_eq!(
            sort_condition(&range, Some("m"), true),
            (SortKeyCondition::Between("m\u{0}".into(), "y".into()), None)
        );
        assert_eq!(sort_condition(&KeyRange::default(), Some("m"), false), (SortKeyCondition::LessThan("m".into()), None));
        assert_eq!(sort_condition(&KeyRange::default(), None, true), (SortKeyCondition::Any, None));
    }
}

//! Search: tweets by the words, hashtags and mentions they contain, and users by a prefix of
//! their username or display name. Both read index items the indexer stream consumer writes.
//!
//! A tweet search reads one "driver" list newest first and checks each candidate tweet in
//! memory against the whole query, with one batch get per batch of candidates:
//!
//! - For the time orderings the driver is one term's partitions ([`keys::TERM_SHARDS`] of
//!   them, merged in id order): a hashtag or mention if the query has one, else its longest
//!   word, since longer words tend to be rarer.
//! - For the like orderings the driver is the popularity index, as in the tweet list.
//!
//! The check tokenises the tweet's current content, so an edit that removed a word hides the
//! tweet at once, before the indexer deletes its term item. A page spends at most
//! [`SEARCH_QUERY_BUDGET`] queries, each followed by at most one batch get. When the budget
//! runs out, the page returns what it found with a `next` link that resumes after the last
//! candidate examined, so a common word never makes one request read without bound.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use ulid::Ulid;

use crate::app::App;
use crate::clock;
use crate::domain::accounts::Viewer;
use crate::domain::lists::{Budget, IndexList, ItemFilter, KeyRange, MergedReader, Next};
use crate::domain::render::{render_tweets, render_users};
use crate::domain::tweet_list::{Ordering, TweetFilters, list_tweets};
use crate::error::{DomainError, DomainResult};
use crate::keys;
use crate::model::user::user_id_of;
use crate::model::{Tweet, TweetView, UserView};
use crate::pagination::{Fetched, ListSource, Page, PageRequest, paginate};
use crate::search::index::MAX_PREFIX_CHARS;
use crate::search::{SearchQuery, fold, tweet_terms};
use crate::store::{Index, Item, ItemExt, Store};

/// Maximum queries one search page spends (at least one per driver partition plus one).
pub const SEARCH_QUERY_BUDGET: usize = 16;

/// Items one query of a driver partition reads, and the most candidates one batch get checks
/// (DynamoDB's `BatchGetItem` takes 100 keys).
const CANDIDATE_BATCH: usize = 100;

/// Reads one page of tweets matching `query` and the list filters.
pub async fn search_tweets(
    app: &App,
    viewer: Option<&Viewer>,
    query: &SearchQuery,
    filters: &TweetFilters,
    request: &PageRequest,
) -> DomainResult<Page<TweetView>> {
    let empty = || Page { items: Vec::new(), next: None, previous: None };
    let author_id = match (&query.author_id, filters.user.as_deref().map(user_id_of)) {
        (Some(from), Some(user)) if *from != user => return Ok(empty()),
        (from, user) => from.clone().or(user),
    };

    // `from:name` alone is the author's own tweet list with the same filters.
    let Some(driver) = driver_term(query) else {
        let mut by_author = filters.clone();
        by_author.user = author_id;
        return list_tweets(app, viewer, &by_author, request).await;
    };

    let (index, partitions, range) = match filters.ordering {
        Ordering::NewestFirst | Ordering::OldestFirst => {
            let partitions = (0..keys::TERM_SHARDS).map(|shard| keys::term_partition(driver, shard)).collect();
            (Index::Table, partitions, id_range(filters))
        }
        Ordering::MostLiked | Ordering::LeastLiked => {
            let partitions = (0..keys::POPULARITY_SHARDS).map(keys::popularity_partition).collect();
            (Index::Gsi3, partitions, KeyRange { lower: filters.min_likes.map(keys::likes_prefix), upper: None })
        }
    };
    let source = SearchList {
        store: app.store.clone(),
        index,
        partitions,
        range,
        descending: matches!(filters.ordering, Ordering::NewestFirst | Ordering::MostLiked),
        check: Check { terms: query.terms.iter().cloned().collect(), author_id, ids: id_range(filters), min_likes: filters.min_likes },
    };
    let page = paginate(&source, request, None).await?;
    let items = render_tweets(app, viewer, &page.items).await?;
    Ok(Page { items, next: page.next, previous: page.previous })
}

/// Picks the term whose list drives the search: a hashtag or mention if any, else the longest
/// word.
fn driver_term(query: &SearchQuery) -> Option<&str> {
    let tagged = query.terms.iter().find(|term| term.starts_with('#') || term.starts_with('@'));
    tagged
        .or_else(|| query.terms.iter().max_by_key(|term| term.chars().count()))
        .map(String::as_str)
}

/// Converts the time filters to a tweet id range with inclusive bounds.
fn id_range(filters: &TweetFilters) -> KeyRange {
    let id_at = |at: time::OffsetDateTime, random: u128| {
        Ulid::from_parts(clock::unix_ms(at).max(0) as u64, random).to_string()
    };
    KeyRange {
        lower: filters.created_after.map(|at| id_at(at, 0)),
        upper: filters.created_before.map(|at| id_at(at, u128::MAX)),
    }
}

/// Everything a candidate tweet must satisfy.
struct Check {
    terms: Vec<String>,
    author_id: Option<String>,
    ids: KeyRange,
    min_likes: Option<i64>,
}

impl Check {
    /// Tells whether an index item may match, from the attributes it carries.
    fn may_match(&self, item: &Item) -> bool {
        let author = self.author_id.as_deref().is_none_or(|id| item.string("author_id") == Some(id));
        author && item.string("tweet_id").is_some_and(|id| self.ids.contains(id))
    }

    fn matches(&self, tweet: &Tweet) -> bool {
        let terms = tweet_terms(&tweet.content);
        self.terms.iter().all(|term| terms.contains(term))
            && self.author_id.as_deref().is_none_or(|id| tweet.author_id == id)
            && self.min_likes.is_none_or(|minimum| tweet.likes_count >= minimum)
    }
}

/// Reason a batch of candidates ended.
enum BatchEnd {
    /// The batch is full and more candidates may follow.
    Full,
    /// Every driver partition is read to the end of the range.
    ListEnd,
    /// The page's query budget ran out.
    OutOfBudget,
}

/// Candidates from a driver list, checked against the whole query.
struct SearchList {
    store: Arc<dyn Store>,
    index: Index,
    partitions: Vec<String>,
    range: KeyRange,
    descending: bool,
    check: Check,
}

#[async_trait]
impl ListSource for SearchList {
    type Entry = Tweet;

    async fn fetch(&self, bound: Option<&str>, forward: bool, limit: usize) -> DomainResult<Fetched<Tweet>> {
        let ascending = forward != self.descending;
        let mut reader = MergedReader::new(
            self.store.clone(),
            self.index,
            self.partitions.clone(),
            self.range.clone(),
            ascending,
            bound,
            CANDIDATE_BATCH,
        );
        let mut budget = Budget::new(SEARCH_QUERY_BUDGET.max(self.partitions.len() + 1));
        let mut entries = Vec::new();
        let mut last_examined = bound.map(str::to_owned);

        loop {
            let (candidates, next) = self.candidates(&mut reader, &mut budget).await?;
            let tweets = self.read_tweets(&candidates).await?;
            for (position, tweet_id) in candidates {
                last_examined = Some(position.clone());
                if let Some(tweet) = tweets.get(&tweet_id).filter(|tweet| self.check.matches(tweet)) {
                    entries.push((position, tweet.clone()));
                    if entries.len() >= limit {
                        return Ok(Fetched::complete(entries));
                    }
                }
            }
            match next {
                BatchEnd::ListEnd => return Ok(Fetched::complete(entries)),
                BatchEnd::OutOfBudget => return Ok(Fetched { entries, stopped_at: last_examined }),
                BatchEnd::Full => {}
            }
        }
    }
}

impl SearchList {
    /// Pulls up to [`CANDIDATE_BATCH`] candidates, each as (position, tweet id), and why the
    /// batch ended.
    async fn candidates(
        &self,
        reader: &mut MergedReader,
        budget: &mut Budget,
    ) -> DomainResult<(Vec<(String, String)>, BatchEnd)> {
        let sort_attribute = self.index.sort_attribute();
        let mut candidates = Vec::new();
        while candidates.len() < CANDIDATE_BATCH {
            match reader.next(budget).await? {
                Next::Item(item) => {
                    let position = item.string(sort_attribute).unwrap_or_default().to_owned();
                    let tweet_id = item.string("tweet_id").unwrap_or_default().to_owned();
                    if !self.check.may_match(&item) {
                        // Still a position the next page may resume after.
                        candidates.push((position, String::new()));
                        continue;
                    }
                    candidates.push((position, tweet_id));
                }
                Next::End => return Ok((candidates, BatchEnd::ListEnd)),
                Next::OutOfBudget => return Ok((candidates, BatchEnd::OutOfBudget)),
            }
        }
        Ok((candidates, BatchEnd::Full))
    }

    /// Reads the candidate tweets with one batch get; deleted ones are absent.
    async fn read_tweets(&self, candidates: &[(String, String)]) -> DomainResult<HashMap<String, Tweet>> {
        let keys: Vec<_> = candidates
            .iter()
            .filter(|(_, tweet_id)| !tweet_id.is_empty())
            .map(|(_, tweet_id)| keys::tweet(tweet_id))
            .collect();
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let mut tweets = HashMap::new();
        for item in self.store.batch_get(keys).await? {
            let tweet = Tweet::from_item(item)?;
            tweets.insert(tweet.id.clone(), tweet);
        }
        Ok(tweets)
    }
}

/// Reads one page of users whose username or display name starts with `q`, ignoring case, in
/// user id order. A leading `@` is ignored.
pub async fn search_users(
    app: &App,
    viewer: Option<&Viewer>,
    q: &str,
    request: &PageRequest,
) -> DomainResult<Page<UserView>> {
    let prefix = fold(q.trim().trim_start_matches('@'));
    if prefix.is_empty() {
        return Err(DomainError::field("q", "Enter the start of a username or display name."));
    }
    let indexed: String = prefix.chars().take(MAX_PREFIX_CHARS).collect();
    // Prefixes up to the indexed length match by key alone; longer ones are checked against
    // the folded names each prefix item carries.
    let filter = (indexed != prefix).then(|| -> ItemFilter {
        Arc::new(move |item: &Item| {
            let starts = |name: &str| item.string(name).is_some_and(|value| value.starts_with(&prefix));
            starts("username_folded") || starts("display_name_folded")
        })
    });
    let source = IndexList {
        store: app.store.clone(),
        index: Index::Table,
        partitions: vec![keys::user_prefix_partition(&indexed)],
        range: KeyRange::default(),
        descending: false,
        filter,
    };
    let page = paginate(&source, request, None).await?;
    let ids: Vec<String> = page.items.iter().filter_map(|item| item.string("user_id").map(str::to_owned)).collect();
    let users = render_users(app, viewer, &ids).await?;
    Ok(Page { items: users, next: page.next, previous: page.previous })
}

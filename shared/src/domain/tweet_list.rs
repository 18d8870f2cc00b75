//! `GET /api/tweets/`: the global tweet list with its filters and orderings, and profile
//! timelines.
//!
//! - Newest or oldest first, all authors: GSI2, partitioned by UTC day and by a hash shard, so
//!   no partition takes every tweet. A page walks days from its position and merges the
//!   shards of each day in id order; time filters narrow the days and the key condition.
//! - Newest or oldest first, one author: GSI1, the author's own partition.
//! - By like count: GSI3 over the popularity items the fan-out consumer keeps, sharded the same
//!   way and sorted by `<zero-padded likes>#<tweet id>`; `min_likes` is a key condition there.
//!
//! Filters that are not key conditions run in memory under the read budget of [`lists`].

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use time::{Date, Duration, OffsetDateTime, Time};
use ulid::Ulid;

use crate::app::App;
use crate::clock;
use crate::domain::accounts::{Viewer, user_by_username};
use crate::domain::lists::{self, Budget, IndexList, ItemFilter, KeyRange, MergedReader};
use crate::domain::render::{TweetRef, render_tweet_refs, render_tweets};
use crate::error::{DomainError, DomainResult, Validator};
use crate::keys;
use crate::model::{Tweet, TweetView};
use crate::pagination::{Fetched, ListSource, Page, PageRequest, paginate};
use crate::store::{Index, Item, ItemExt, Store};

/// Order of a tweet list, as named by the `ordering` parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ordering {
    NewestFirst,
    OldestFirst,
    MostLiked,
    LeastLiked,
}

impl Ordering {
    fn parse(value: &str) -> Option<Self> {
        match value {
            "-created_at" => Some(Ordering::NewestFirst),
            "created_at" => Some(Ordering::OldestFirst),
            "-likes_count" => Some(Ordering::MostLiked),
            "likes_count" => Some(Ordering::LeastLiked),
            _ => None,
        }
    }

    fn descending(self) -> bool {
        matches!(self, Ordering::NewestFirst | Ordering::MostLiked)
    }
}

/// Parsed filters of a tweet list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TweetFilters {
    pub user: Option<String>,
    pub created_after: Option<OffsetDateTime>,
    pub created_before: Option<OffsetDateTime>,
    pub min_likes: Option<i64>,
    pub ordering: Ordering,
}

impl TweetFilters {
    /// Parses the query parameters. A date alone means the whole day: `created_after` from its
    /// start, `created_before` to its end. Both bounds are inclusive.
    pub fn parse(params: &HashMap<String, String>) -> DomainResult<Self> {
        let mut validator = Validator::new();
        let user = params.get("user").filter(|u| !u.is_empty()).cloned();
        let created_after = params.get("created_after").and_then(|value| {
            validator.check("created_after", parse_bound(value, false))
        });
        let created_before = params.get("created_before").and_then(|value| {
            validator.check("created_before", parse_bound(value, true))
        });
        let min_likes = params.get("min_likes").and_then(|value| {
            let parsed = value.parse::<i64>().ok().filter(|n| *n >= 0);
            validator.check("min_likes", parsed.ok_or_else(|| "A whole number of at least 0 is required.".to_owned()))
        });
        let ordering = match params.get("ordering") {
            None => Some(Ordering::NewestFirst),
            Some(value) => validator.check(
                "ordering",
                Ordering::parse(value).ok_or_else(|| {
                    format!("Unknown ordering {value:?}; use one of -created_at, created_at, -likes_count, likes_count.")
                }),
            ),
        };
        validator.finish()?;
        Ok(Self {
            user,
            created_after,
            created_before,
            min_likes,
            ordering: ordering.expect("the validator passed"),
        })
    }

    /// The tweet id range the time filters allow.
    fn id_range(&self) -> KeyRange {
        KeyRange {
            lower: self.created_after.map(|at| Ulid::from_parts(clock::unix_ms(at).max(0) as u64, 0).to_string()),
            upper: self
                .created_before
                .map(|at| Ulid::from_parts(clock::unix_ms(at).max(0) as u64, u128::MAX).to_string()),
        }
    }
}

fn parse_bound(value: &str, end_of_day: bool) -> Result<OffsetDateTime, String> {
    if let Some(instant) = clock::parse_timestamp(value) {
        return Ok(instant);
    }
    let date = clock::parse_date(value)
        .ok_or_else(|| format!("{value:?} is neither an RFC 3339 timestamp nor a YYYY-MM-DD date."))?;
    let start = date.with_time(Time::MIDNIGHT).assume_utc();
    Ok(if end_of_day { start + Duration::days(1) - Duration::milliseconds(1) } else { start })
}

/// Reads one page of `GET /api/tweets/`.
pub async fn list_tweets(
    app: &App,
    viewer: Option<&Viewer>,
    filters: &TweetFilters,
    request: &PageRequest,
) -> DomainResult<Page<TweetView>> {
    let author_id = match &filters.user {
        Some(username) => match user_by_username(app, username).await {
            Ok(user) => Some(user.user_id),
            // An unknown author has no tweets; the list is empty, not missing.
            Err(DomainError::NotFound(_)) => return Ok(Page { items: Vec::new(), next: None, previous: None }),
            Err(error) => return Err(error),
        },
        None => None,
    };
    let range = filters.id_range();
    let descending = filters.ordering.descending();

    match filters.ordering {
        Ordering::NewestFirst | Ordering::OldestFirst => {
            let filter = filters.min_likes.map(|minimum| -> ItemFilter {
                Arc::new(move |item: &Item| item.number("likes_count").unwrap_or(0) >= minimum)
            });
            let page = match author_id {
                Some(author_id) => {
                    let source = IndexList {
                        store: app.store.clone(),
                        index: Index::Gsi1,
                        partitions: vec![keys::tweets_by_author(&author_id)],
                        range,
                        descending,
                        filter,
                    };
                    paginate(&source, request, None).await?
                }
                None => {
                    let source = DayShardedList { store: app.store.clone(), range, descending, filter };
                    paginate(&source, request, None).await?
                }
            };
            render_tweet_page(app, viewer, page).await
        }
        Ordering::MostLiked | Ordering::LeastLiked => {
            let likes_range = KeyRange { lower: filters.min_likes.map(keys::likes_prefix), upper: None };
            let filter: ItemFilter = Arc::new(move |item: &Item| {
                let author_matches = author_id.as_deref().is_none_or(|id| item.string("author_id") == Some(id));
                author_matches && item.string("tweet_id").is_some_and(|id| range.contains(id))
            });
            let source = IndexList {
                store: app.store.clone(),
                index: Index::Gsi3,
                partitions: (0..keys::POPULARITY_SHARDS).map(keys::popularity_partition).collect(),
                range: likes_range,
                descending,
                filter: Some(filter),
            };
            let page = paginate(&source, request, None).await?;
            let refs: Vec<TweetRef> = page.items.iter().filter_map(tweet_ref).collect();
            let items = render_tweet_refs(app, viewer, &refs, false).await?;
            Ok(Page { items, next: page.next, previous: page.previous })
        }
    }
}

/// Reads one page of a user's profile timeline, newest first.
pub async fn profile_timeline(
    app: &App,
    viewer: Option<&Viewer>,
    username: &str,
    request: &PageRequest,
) -> DomainResult<Page<TweetView>> {
    let user = user_by_username(app, username).await?;
    let source = IndexList::partition(app.store.clone(), Index::Gsi1, keys::tweets_by_author(&user.user_id), true);
    let page = paginate(&source, request, None).await?;
    render_tweet_page(app, viewer, page).await
}

async fn render_tweet_page(app: &App, viewer: Option<&Viewer>, page: Page<Item>) -> DomainResult<Page<TweetView>> {
    let tweets = page.items.into_iter().map(Tweet::from_item).collect::<Result<Vec<_>, _>>()?;
    let items = render_tweets(app, viewer, &tweets).await?;
    Ok(Page { items, next: page.next, previous: page.previous })
}

fn tweet_ref(item: &Item) -> Option<TweetRef> {
    Some(TweetRef {
        tweet_id: item.string("tweet_id")?.to_owned(),
        author_id: item.string("author_id")?.to_owned(),
    })
}

/// The global list on GSI2: day partitions, each split into hash shards.
struct DayShardedList {
    store: Arc<dyn Store>,
    range: KeyRange,
    descending: bool,
    filter: Option<ItemFilter>,
}

impl DayShardedList {
    /// First day with tweets, from the record the first tweet wrote; `None` before any tweet.
    async fn first_day(&self) -> DomainResult<Option<Date>> {
        let record = self.store.get(&keys::tweets_since()).await?;
        Ok(record.and_then(|item| item.string("day").and_then(clock::parse_date)))
    }
}

#[async_trait]
impl ListSource for DayShardedList {
    type Entry = Item;

    async fn fetch(&self, bound: Option<&str>, forward: bool, limit: usize) -> DomainResult<Fetched<Item>> {
        let Some(first_day) = self.first_day().await? else {
            return Ok(Fetched::complete(Vec::new()));
        };
        let ascending = forward != self.descending;
        // Look five minutes ahead, in case another instance's clock runs slightly ahead near
        // midnight. The rest of the day this is today, so no empty day is read.
        let mut lower_day = first_day;
        let mut upper_day = (clock::now() + Duration::minutes(5)).date();
        if let Some(day) = self.range.lower.as_deref().and_then(day_of_id) {
            lower_day = lower_day.max(day);
        }
        if let Some(day) = self.range.upper.as_deref().and_then(day_of_id) {
            upper_day = upper_day.min(day);
        }
        let mut day = match bound.and_then(day_of_id) {
            Some(day) => day.clamp(lower_day, upper_day.max(lower_day)),
            None if ascending => lower_day,
            None => upper_day,
        };

        let mut budget = Budget::new(lists::QUERY_BUDGET);
        let mut entries = Vec::new();
        let mut resume = bound.map(str::to_owned);
        while lower_day <= day && day <= upper_day {
            let partitions = (0..keys::TWEET_LIST_SHARDS)
                .map(|shard| keys::tweet_list_partition(&clock::day_of(day.midnight().assume_utc()), shard))
                .collect();
            let mut reader = MergedReader::new(
                self.store.clone(),
                Index::Gsi2,
                partitions,
                self.range.clone(),
                ascending,
                resume.as_deref(),
                limit,
            );
            let fetched = lists::collect(
                &mut reader,
                &mut budget,
                Index::Gsi2,
                self.filter.as_ref(),
                limit - entries.len(),
                resume.clone(),
            )
            .await?;
            entries.extend(fetched.entries);
            if entries.len() >= limit || fetched.stopped_at.is_some() {
                return Ok(Fetched { entries, stopped_at: fetched.stopped_at });
            }

            // The day is read to its end: resume beyond it, so a page that runs out of budget
            // on the next day does not read this one again.
            resume = Some(day_edge(day, ascending));
            let next = if ascending { day.next_day() } else { day.previous_day() };
            match next {
                Some(next) => day = next,
                None => break,
            }
        }
        Ok(Fetched::complete(entries))
    }
}

/// UTC day of the time a tweet id (a ULID) encodes.
fn day_of_id(id: &str) -> Option<Date> {
    let ulid = Ulid::from_string(id).ok()?;
    Some(clock::from_unix_ms(ulid.timestamp_ms() as i64).date())
}

/// The id just past the end of `day` in the read direction: its first possible id when reading
/// toward older days, its last when reading toward newer ones.
fn day_edge(day: Date, ascending: bool) -> String {
    let start_ms = clock::unix_ms(day.midnight().assume_utc()).max(0) as u64;
    if ascending {
        Ulid::from_parts(start_ms + 86_400_000 - 1, u128::MAX).to_string()
    } else {
        Ulid::from_parts(start_ms, 0).to_string()
    }
}

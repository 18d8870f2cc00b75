//! The home feed: the viewer's timeline partition merged with the own tweet lists of the
//! followed accounts that are not fanned out (see [`celebrities`]), then one batch get for the
//! tweets, authors, likes and follows the page refers to.

use std::sync::Arc;

use async_trait::async_trait;
use futures::future::try_join_all;

use crate::app::App;
use crate::domain::accounts::Viewer;
use crate::domain::celebrities;
use crate::domain::lists::IndexList;
use crate::domain::render::{TweetRef, render_tweet_refs};
use crate::error::DomainResult;
use crate::keys;
use crate::model::TweetView;
use crate::model::timeline::MAX_TIMELINE_ENTRIES;
use crate::pagination::{Fetched, ListSource, Page, PageRequest, paginate};
use crate::store::{Index, Item, ItemExt, Store};

/// Reads one page of the viewer's home feed, newest first. The walk ends after the newest
/// [`MAX_TIMELINE_ENTRIES`] entries of the merged list even while fan-out has not trimmed
/// older timeline entries yet.
pub async fn home_feed(app: &App, viewer: &Viewer, request: &PageRequest) -> DomainResult<Page<TweetView>> {
    let source = HomeFeed { store: app.store.clone(), reader: viewer.user_id.clone() };
    let page = paginate(&source, request, Some(MAX_TIMELINE_ENTRIES)).await?;
    let items = render_tweet_refs(app, Some(viewer), &page.items, true).await?;
    Ok(Page { items, next: page.next, previous: page.previous })
}

/// The merged feed list of one reader, ordered by tweet id like each list it merges.
struct HomeFeed {
    store: Arc<dyn Store>,
    reader: String,
}

#[async_trait]
impl ListSource for HomeFeed {
    type Entry = TweetRef;

    /// Queries the timeline and the merged accounts' tweet lists concurrently, each for
    /// `limit` entries beyond `bound`. The first `limit` distinct ids of the union are among
    /// those, so the merge is exact.
    async fn fetch(&self, bound: Option<&str>, forward: bool, limit: usize) -> DomainResult<Fetched<TweetRef>> {
        let timeline =
            IndexList::partition(self.store.clone(), Index::Table, keys::timeline_partition(&self.reader), true);
        let merged = async {
            let celebrities = celebrities::followed_celebrities(&self.store, &self.reader).await?;
            let lists = celebrities.iter().map(|celebrity| {
                let list =
                    IndexList::partition(self.store.clone(), Index::Gsi1, keys::tweets_by_author(celebrity), true);
                async move { list.fetch(bound, forward, limit).await }
            });
            try_join_all(lists).await
        };
        let (timeline, merged) = futures::try_join!(timeline.fetch(bound, forward, limit), merged)?;

        let mut lists = vec![to_refs(timeline, "tweet_id")];
        lists.extend(merged.into_iter().map(|fetched| to_refs(fetched, "id")));
        Ok(merge(lists, forward, limit))
    }
}

/// Turns timeline entries (`tweet_id`) or tweet items (`id`) into references.
fn to_refs(fetched: Fetched<Item>, id_attribute: &str) -> Fetched<TweetRef> {
    let entries = fetched
        .entries
        .into_iter()
        .filter_map(|(key, item)| {
            let reference = TweetRef {
                tweet_id: item.string(id_attribute)?.to_owned(),
                author_id: item.string("author_id")?.to_owned(),
            };
            Some((key, reference))
        })
        .collect();
    Fetched { entries, stopped_at: fetched.stopped_at }
}

/// Merges lists read from the same bound into the first `limit` distinct keys in read order
/// (descending keys when `forward`, since the feed is newest first). A list that stopped early
/// hides what lies beyond its stop, so the merge stops there too.
fn merge(lists: Vec<Fetched<TweetRef>>, forward: bool, limit: usize) -> Fetched<TweetRef> {
    let before = |a: &str, b: &str| if forward { a > b } else { a < b };
    let mut horizon: Option<String> = None;
    for stop in lists.iter().filter_map(|list| list.stopped_at.as_deref()) {
        if horizon.as_deref().is_none_or(|nearest| before(stop, nearest)) {
            horizon = Some(stop.to_owned());
        }
    }

    let mut entries: Vec<(String, TweetRef)> = lists.into_iter().flat_map(|list| list.entries).collect();
    entries.sort_by(|(a, _), (b, _)| if forward { b.cmp(a) } else { a.cmp(b) });
    entries.dedup_by(|(a, _), (b, _)| a == b);
    if let Some(stop) = &horizon {
        entries.retain(|(key, _)| !before(stop, key));
    }
    let stopped_at = if entries.len() < limit { horizon } else { None };
    entries.truncate(limit);
    Fetched { entries, stopped_at }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(keys: &[&str], stopped_at: Option<&str>) -> Fetched<TweetRef> {
        let entries = keys
            .iter()
            .map(|key| (key.to_string(), TweetRef { tweet_id: key.to_string(), author_id: "a".into() }))
            .collect();
        Fetched { entries, stopped_at: stopped_at.map(str::to_owned) }
    }

    fn keys_of(fetched: &Fetched<TweetRef>) -> Vec<&str> {
        fetched.entries.iter().map(|(key, _)| key.as_str()).collect()
    }

    #[test]
    fn merge_orders_and_drops_duplicates() {
        let merged = merge(vec![list(&["9", "7", "5"], None), list(&["8", "7", "2"], None)], true, 4);
        assert_eq!(keys_of(&merged), vec!["9", "8", "7", "5"]);
        assert_eq!(merged.stopped_at, None);
    }

    #[test]
    fn merge_backward_is_ascending() {
        let merged = merge(vec![list(&["1", "3"], None), list(&["2", "3", "4"], None)], false, 10);
        assert_eq!(keys_of(&merged), vec!["1", "2", "3", "4"]);
    }

    #[test]
    fn merge_stops_at_nearest_stop() {
        let merged = merge(vec![list(&["9", "4"], None), list(&["8"], Some("6"))], true, 5);
        assert_eq!(keys_of(&merged), vec!["9", "8"]);
        assert_eq!(merged.stopped_at.as_deref(), Some("6"));
    }
}

//! The home feed: one query on the viewer's timeline partition and one batch get for the
//! tweets, authors, likes and follows the page refers to.

use crate::app::App;
use crate::domain::accounts::Viewer;
use crate::domain::lists::IndexList;
use crate::domain::render::{TweetRef, render_tweet_refs};
use crate::error::DomainResult;
use crate::keys;
use crate::model::TweetView;
use crate::model::timeline::MAX_TIMELINE_ENTRIES;
use crate::pagination::{Page, PageRequest, paginate};
use crate::store::{Index, ItemExt};

/// Reads one page of the viewer's home feed, newest first. The walk ends after the newest
/// [`MAX_TIMELINE_ENTRIES`] entries even while fan-out has not trimmed older ones yet.
pub async fn home_feed(app: &App, viewer: &Viewer, request: &PageRequest) -> DomainResult<Page<TweetView>> {
    let source = IndexList::partition(app.store.clone(), Index::Table, keys::timeline_partition(&viewer.user_id), true);
    let page = paginate(&source, request, Some(MAX_TIMELINE_ENTRIES)).await?;
    let refs: Vec<TweetRef> = page
        .items
        .iter()
        .filter_map(|item| {
            Some(TweetRef {
                tweet_id: item.string("tweet_id")?.to_owned(),
                author_id: item.string("author_id")?.to_owned(),
            })
        })
        .collect();
    let items = render_tweet_refs(app, Some(viewer), &refs, true).await?;
    Ok(Page { items, next: page.next, previous: page.previous })
}

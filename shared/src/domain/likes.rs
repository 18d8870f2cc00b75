//! Likes: like, unlike and a tweet's likers, with `likes_count` kept exact by transactions.

use crate::app::App;
use crate::clock;
use crate::domain::accounts::Viewer;
use crate::domain::lists::IndexList;
use crate::domain::render::render_users;
use crate::domain::tweets::{get_tweet, tweet_not_found};
use crate::error::DomainResult;
use crate::keys;
use crate::model::UserView;
use crate::model::like::like_item;
use crate::pagination::{Page, PageRequest, paginate};
use crate::store::{Condition, Index, ItemExt, TransactWrite, Update};

/// Whether a like request created the like or found it already there.
#[derive(Debug, PartialEq, Eq)]
pub enum LikeOutcome {
    Created,
    AlreadyLiked,
}

/// Likes a tweet. The like item must be new and the tweet must exist for the counter to move,
/// so double submits and concurrent likes count once each.
pub async fn like(app: &App, viewer: &Viewer, tweet_id: &str) -> DomainResult<LikeOutcome> {
    let tweet = get_tweet(app, tweet_id).await?;
    let writes = vec![
        TransactWrite::Put {
            item: like_item(&tweet.id, &viewer.user_id, &tweet.author_id, &clock::now_timestamp()),
            condition: Some(Condition::NotExists),
        },
        TransactWrite::Update {
            key: keys::tweet(&tweet.id),
            update: Update::new().add("likes_count", 1),
            condition: Some(Condition::Exists),
        },
    ];
    match app.store.transact_write(writes).await {
        Ok(()) => Ok(LikeOutcome::Created),
        Err(error) if error.condition_failed_at(0) => Ok(LikeOutcome::AlreadyLiked),
        Err(error) if error.condition_failed_at(1) => Err(tweet_not_found(tweet_id)),
        Err(error) => Err(error.into()),
    }
}

/// Removes the viewer's like; succeeds when there was none. The counter drops only when this
/// request removed the like.
pub async fn unlike(app: &App, viewer: &Viewer, tweet_id: &str) -> DomainResult<()> {
    let tweet = get_tweet(app, tweet_id).await?;
    let writes = vec![
        TransactWrite::Delete {
            key: keys::like(&tweet.id, &viewer.user_id),
            condition: Some(Condition::Exists),
        },
        TransactWrite::Update {
            key: keys::tweet(&tweet.id),
            update: Update::new().add("likes_count", -1),
            condition: Some(Condition::Exists),
        },
    ];
    match app.store.transact_write(writes).await {
        Ok(()) => Ok(()),
        Err(error) if error.condition_failed_at(0) => Ok(()),
        Err(error) if error.condition_failed_at(1) => Err(tweet_not_found(tweet_id)),
        Err(error) => Err(error.into()),
    }
}

/// Lists the users who liked a tweet, most recent like first.
pub async fn likers(
    app: &App,
    viewer: Option<&Viewer>,
    tweet_id: &str,
    request: &PageRequest,
) -> DomainResult<Page<UserView>> {
    let tweet = get_tweet(app, tweet_id).await?;
    let source = IndexList::partition(app.store.clone(), Index::Gsi1, keys::likes_of_tweet(&tweet.id), true);
    let page = paginate(&source, request, None).await?;
    let ids: Vec<String> =
        page.items.iter().filter_map(|item| item.string("user_id").map(str::to_owned)).collect();
    let users = render_users(app, viewer, &ids).await?;
    Ok(Page { items: users, next: page.next, previous: page.previous })
}

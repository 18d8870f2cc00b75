//! The follow graph: follow, unfollow, and both directions as lists.

use crate::app::App;
use crate::clock;
use crate::domain::accounts::{Viewer, user_by_username};
use crate::domain::lists::IndexList;
use crate::domain::render::render_users;
use crate::error::{DomainError, DomainResult};
use crate::keys;
use crate::model::follow::edge_items;
use crate::model::{User, UserView};
use crate::pagination::{Page, PageRequest, paginate};
use crate::store::{Condition, Index, ItemExt, StoreError, TransactWrite, Update};

/// Whether a follow request created the edge or found it already there.
#[derive(Debug, PartialEq, Eq)]
pub enum FollowOutcome {
    Created,
    AlreadyFollowing,
}

/// Makes the viewer follow `username`. Both edge items and both counters change in one
/// transaction whose puts require the edge to be new, so a double submit counts once.
pub async fn follow(app: &App, viewer: &Viewer, username: &str) -> DomainResult<(FollowOutcome, User)> {
    let followee = user_by_username(app, username).await?;
    if followee.user_id == viewer.user_id {
        return Err(DomainError::field("username", "You cannot follow yourself."));
    }

    let (following, follower) = edge_items(&viewer.user_id, &followee.user_id, &clock::now_timestamp());
    let writes = vec![
        TransactWrite::Put { item: following, condition: Some(Condition::NotExists) },
        TransactWrite::Put { item: follower, condition: Some(Condition::NotExists) },
        TransactWrite::Update {
            key: keys::user(&viewer.user_id),
            update: Update::new().add("following_count", 1),
            condition: Some(Condition::Exists),
        },
        TransactWrite::Update {
            key: keys::user(&followee.user_id),
            update: Update::new().add("followers_count", 1),
            condition: Some(Condition::Exists),
        },
    ];
    let outcome = match app.store.transact_write(writes).await {
        Ok(()) => FollowOutcome::Created,
        Err(error) if error.condition_failed_at(0) || error.condition_failed_at(1) => {
            FollowOutcome::AlreadyFollowing
        }
        Err(error) if error.condition_failed_at(3) => return Err(not_found(username)),
        Err(error) if error.condition_failed_at(2) => {
            return Err(DomainError::NotFound("Your account no longer exists.".into()));
        }
        Err(error) => return Err(error.into()),
    };

    let followee = user_by_username(app, username).await?;
    Ok((outcome, followee))
}

/// Makes the viewer stop following `username`; succeeds when there was no edge, and counts
/// drop only when this request removed it.
pub async fn unfollow(app: &App, viewer: &Viewer, username: &str) -> DomainResult<()> {
    let followee = user_by_username(app, username).await?;
    // Nobody follows themselves, so there is nothing to remove. Without this early return the
    // transaction below would update the same user item twice, which the store rejects.
    if followee.user_id == viewer.user_id {
        return Ok(());
    }
    let writes = vec![
        TransactWrite::Delete {
            key: keys::following(&viewer.user_id, &followee.user_id),
            condition: Some(Condition::Exists),
        },
        TransactWrite::Delete {
            key: keys::follower(&followee.user_id, &viewer.user_id),
            condition: Some(Condition::Exists),
        },
        TransactWrite::Update {
            key: keys::user(&viewer.user_id),
            update: Update::new().add("following_count", -1),
            condition: Some(Condition::Exists),
        },
        TransactWrite::Update {
            key: keys::user(&followee.user_id),
            update: Update::new().add("followers_count", -1),
            condition: Some(Condition::Exists),
        },
    ];
    match app.store.transact_write(writes).await {
        Ok(()) => Ok(()),
        Err(error @ StoreError::TransactionCanceled { .. }) if error.condition_failed_at(0) => Ok(()),
        Err(error) => Err(error.into()),
    }
}

fn not_found(username: &str) -> DomainError {
    DomainError::NotFound(format!("No user named {username:?}."))
}

/// Which side of the graph a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Followers,
    Following,
}

/// Lists the followers or followees of `username`, most recent follow first.
pub async fn connections(
    app: &App,
    viewer: Option<&Viewer>,
    username: &str,
    direction: Direction,
    request: &PageRequest,
) -> DomainResult<Page<UserView>> {
    let user = user_by_username(app, username).await?;
    let (partition, other_side) = match direction {
        Direction::Followers => (keys::followers_partition(&user.user_id), "follower_id"),
        Direction::Following => (keys::following_partition(&user.user_id), "followee_id"),
    };
    let source = IndexList::partition(app.store.clone(), Index::Gsi1, partition, true);
    let page = paginate(&source, request, None).await?;
    let ids: Vec<String> =
        page.items.iter().filter_map(|item| item.string(other_side).map(str::to_owned)).collect();
    let users = render_users(app, viewer, &ids).await?;
    Ok(Page { items: users, next: page.next, previous: page.previous })
}

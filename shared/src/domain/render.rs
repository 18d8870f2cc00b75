//! Turns stored items into the contract's objects for one viewer, with a single batch get per
//! page for everything the page refers to: tweets, authors, the viewer's likes and follows.

use std::collections::{HashMap, HashSet};

use crate::app::App;
use crate::domain::accounts::Viewer;
use crate::error::DomainResult;
use crate::keys;
use crate::model::{AuthorView, Tweet, TweetView, User, UserView};
use crate::store::{Item, ItemExt, Key};

/// A tweet known by id and author, as timeline entries and index items store it.
#[derive(Clone, Debug)]
pub struct TweetRef {
    pub tweet_id: String,
    pub author_id: String,
}

/// Everything one batch get returned, sorted by kind.
#[derive(Default)]
struct Fetched {
    tweets: HashMap<String, Tweet>,
    users: HashMap<String, User>,
    liked: HashSet<String>,
    followed: HashSet<String>,
}

async fn fetch(app: &App, keys: Vec<Key>) -> DomainResult<Fetched> {
    let mut fetched = Fetched::default();
    let mut unique = keys;
    unique.sort();
    unique.dedup();
    for item in app.store.batch_get(unique).await? {
        sort_item(item, &mut fetched)?;
    }
    Ok(fetched)
}

fn sort_item(item: Item, fetched: &mut Fetched) -> DomainResult<()> {
    let pk = item.string(keys::PK).unwrap_or_default().to_owned();
    if pk.starts_with(keys::TWEET_PREFIX) {
        let tweet = Tweet::from_item(item)?;
        fetched.tweets.insert(tweet.id.clone(), tweet);
    } else if pk.starts_with(keys::USER_PREFIX) {
        let user = User::from_item(item)?;
        fetched.users.insert(user.user_id.clone(), user);
    } else if pk.starts_with(keys::LIKE_PREFIX) {
        if let Some(tweet_id) = item.string("tweet_id") {
            fetched.liked.insert(tweet_id.to_owned());
        }
    } else if pk.starts_with(keys::FOLLOWING_PREFIX)
        && let Some(followee) = item.string("followee_id") {
            fetched.followed.insert(followee.to_owned());
        }
    Ok(())
}

fn tweet_view(tweet: &Tweet, fetched: &Fetched) -> Option<TweetView> {
    // An author deleted after the tweet was read leaves nothing to show. A suspended author's
    // tweets are hidden here, at render time, so suspension rewrites no timeline or index and
    // reinstatement brings every tweet back.
    let author = fetched.users.get(&tweet.author_id).filter(|author| !author.suspended)?;
    Some(TweetView::new(tweet, AuthorView::from(author), fetched.liked.contains(&tweet.id)))
}

/// Renders tweets already read, fetching their authors and the viewer's likes.
pub async fn render_tweets(app: &App, viewer: Option<&Viewer>, tweets: &[Tweet]) -> DomainResult<Vec<TweetView>> {
    let mut keys: Vec<Key> = tweets.iter().map(|t| keys::user(&t.author_id)).collect();
    if let Some(viewer) = viewer {
        keys.extend(tweets.iter().map(|t| keys::like(&t.id, &viewer.user_id)));
    }
    let fetched = fetch(app, keys).await?;
    Ok(tweets.iter().filter_map(|tweet| tweet_view(tweet, &fetched)).collect())
}

/// Renders tweets known only by reference. Deleted tweets are left out. With `followed_only`
/// (home timelines) a tweet is also left out unless its author is the viewer or someone the
/// viewer follows now, which hides entries an unfollow has not yet removed.
pub async fn render_tweet_refs(
    app: &App,
    viewer: Option<&Viewer>,
    refs: &[TweetRef],
    followed_only: bool,
) -> DomainResult<Vec<TweetView>> {
    let mut keys: Vec<Key> = Vec::with_capacity(refs.len() * 4);
    for reference in refs {
        keys.push(keys::tweet(&reference.tweet_id));
        keys.push(keys::user(&reference.author_id));
        if let Some(viewer) = viewer {
            keys.push(keys::like(&reference.tweet_id, &viewer.user_id));
            if followed_only && reference.author_id != viewer.user_id {
                keys.push(keys::following(&viewer.user_id, &reference.author_id));
            }
        }
    }
    let fetched = fetch(app, keys).await?;

    let visible = |author_id: &str| match viewer {
        Some(viewer) if followed_only => author_id == viewer.user_id || fetched.followed.contains(author_id),
        _ => true,
    };
    Ok(refs
        .iter()
        .filter_map(|reference| fetched.tweets.get(&reference.tweet_id))
        .filter(|tweet| visible(&tweet.author_id))
        .filter_map(|tweet| tweet_view(tweet, &fetched))
        .collect())
}

/// Renders users by id in the given order, with `is_following` for a viewer. Deleted users are
/// left out.
pub async fn render_users(app: &App, viewer: Option<&Viewer>, user_ids: &[String]) -> DomainResult<Vec<UserView>> {
    let mut keys: Vec<Key> = user_ids.iter().map(|id| keys::user(id)).collect();
    if let Some(viewer) = viewer {
        keys.extend(user_ids.iter().map(|id| keys::following(&viewer.user_id, id)));
    }
    let fetched = fetch(app, keys).await?;
    Ok(user_ids
        .iter()
        .filter_map(|id| fetched.users.get(id))
        .map(|user| UserView::new(user, viewer.map(|_| fetched.followed.contains(&user.user_id))))
        .collect())
}

/// Renders one user for a viewer: `is_following` costs one get when there is a viewer.
pub async fn render_user(app: &App, viewer: Option<&Viewer>, user: &User) -> DomainResult<UserView> {
    let is_following = match viewer {
        Some(viewer) => Some(app.store.get(&keys::following(&viewer.user_id, &user.user_id)).await?.is_some()),
        None => None,
    };
    Ok(UserView::new(user, is_following))
}

//! Writing tweets: create (optionally idempotent), edit and delete, each keeping the author's
//! `tweets_count` exact.

use std::sync::{Arc, Mutex, PoisonError, Weak};

use ulid::Ulid;

use crate::app::App;
use crate::clock;
use crate::domain::accounts::Viewer;
use crate::error::{DomainError, DomainResult};
use crate::keys;
use crate::model::tweet::{self, Tweet};
use crate::store::{Condition, ItemExt, Store, StoreError, TransactWrite, Update, number, string};

/// How long an `Idempotency-Key` is remembered, in seconds.
pub const IDEMPOTENCY_WINDOW_SECONDS: i64 = 60 * 60;

/// Maximum length of an `Idempotency-Key` header value.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;

/// Whether this request made the tweet or returned the one an earlier request with the same
/// idempotency key made.
#[derive(Debug, PartialEq, Eq)]
pub enum Created {
    New,
    Repeated,
}

/// Checks an `Idempotency-Key`: 1 to 255 visible ASCII characters.
pub fn validate_idempotency_key(key: &str) -> DomainResult<()> {
    let valid = !key.is_empty()
        && key.len() <= MAX_IDEMPOTENCY_KEY_CHARS
        && key.bytes().all(|b| b.is_ascii_graphic());
    if valid {
        Ok(())
    } else {
        Err(DomainError::field(
            "Idempotency-Key",
            format!("Must be 1 to {MAX_IDEMPOTENCY_KEY_CHARS} visible ASCII characters."),
        ))
    }
}

/// Creates a tweet. With an idempotency key, a repeat by the same user within the window
/// returns the first tweet and creates nothing, even when both requests race.
pub async fn create_tweet(
    app: &App,
    viewer: &Viewer,
    content: &str,
    idempotency_key: Option<&str>,
) -> DomainResult<(Tweet, Created)> {
    let content = tweet::normalize_content(content).map_err(|message| DomainError::field("content", message))?;
    if let Some(key) = idempotency_key {
        validate_idempotency_key(key)?;
        if let Some(tweet) = repeated_tweet(app, viewer, key).await? {
            return Ok((tweet, Created::Repeated));
        }
    }

    let (id, now) = tweet::new_tweet_id();
    let tweet = Tweet {
        id,
        author_id: viewer.user_id.clone(),
        mentions: tweet::extract_mentions(&content),
        hashtags: tweet::extract_hashtags(&content),
        content,
        created_at: clock::format_timestamp(now),
        edited_at: None,
        likes_count: 0,
    };
    let mut writes = vec![
        TransactWrite::Put { item: tweet.to_item(), condition: Some(Condition::NotExists) },
        TransactWrite::Update {
            key: keys::user(&viewer.user_id),
            update: Update::new().add("tweets_count", 1),
            condition: Some(Condition::Exists),
        },
    ];
    if let Some(key) = idempotency_key {
        let expires_at = now.unix_timestamp() + IDEMPOTENCY_WINDOW_SECONDS;
        let mut record = keys::idempotency(&viewer.user_id, key).to_item();
        record.insert("entity".into(), string("idempotency"));
        record.insert("tweet_id".into(), string(&tweet.id));
        record.insert(keys::TTL.into(), number(expires_at));
        // An expired record may still exist, because DynamoDB deletes expired items late.
        let fresh = Condition::Or(vec![
            Condition::NotExists,
            Condition::Below(keys::TTL.into(), now.unix_timestamp()),
        ]);
        writes.push(TransactWrite::Put { item: record, condition: Some(fresh) });
    }

    match app.store.transact_write(writes).await {
        Ok(()) => {}
        Err(error) if error.condition_failed_at(2) => {
            let key = idempotency_key.expect("a third write exists only with a key");
            if let Some(tweet) = repeated_tweet(app, viewer, key).await? {
                return Ok((tweet, Created::Repeated));
            }
            return Err(error.into());
        }
        Err(error) if error.condition_failed_at(1) => {
            return Err(DomainError::NotFound("Your account no longer exists.".into()));
        }
        Err(error) => return Err(error.into()),
    }

    record_first_tweet_day(app, &tweet.created_at).await;
    Ok((tweet, Created::New))
}

/// Returns the tweet an unexpired idempotency record points to, if any.
async fn repeated_tweet(app: &App, viewer: &Viewer, key: &str) -> DomainResult<Option<Tweet>> {
    let Some(record) = app.store.get(&keys::idempotency(&viewer.user_id, key)).await? else {
        return Ok(None);
    };
    let live = record.number(keys::TTL).is_some_and(|at| at > clock::now().unix_timestamp());
    let Some(tweet_id) = record.string("tweet_id").filter(|_| live) else {
        return Ok(None);
    };
    find_tweet(app, tweet_id).await
}

/// Writes the day of the first tweet once, where walks of the global list stop. Each process
/// tries at most until it succeeds or finds the record, so the item is never a hot key. The
/// flag is kept per store because one process may serve several stores, as the end-to-end tests
/// do. A process-wide flag would keep every store but the first from writing the record, and
/// their global lists would stay empty.
async fn record_first_tweet_day(app: &App, created_at: &str) {
    // Weak references keep a dropped store's allocation alive, so a new store can never reuse
    // the address of one still listed here.
    static RECORDED: Mutex<Vec<Weak<dyn Store>>> = Mutex::new(Vec::new());
    let is_recorded = |stores: &[Weak<dyn Store>]| {
        stores.iter().any(|weak| std::ptr::addr_eq(weak.as_ptr(), Arc::as_ptr(&app.store)))
    };
    {
        let mut stores = RECORDED.lock().unwrap_or_else(PoisonError::into_inner);
        stores.retain(|weak| weak.strong_count() > 0);
        if is_recorded(&stores) {
            return;
        }
    }
    let mut item = keys::tweets_since().to_item();
    item.insert("entity".into(), string("meta"));
    item.insert("day".into(), string(created_at.get(..10).unwrap_or(created_at)));
    match app.store.put(item, Some(Condition::NotExists)).await {
        Ok(()) | Err(StoreError::ConditionFailed) => {
            let mut stores = RECORDED.lock().unwrap_or_else(PoisonError::into_inner);
            if !is_recorded(&stores) {
                stores.push(Arc::downgrade(&app.store));
            }
        }
        Err(error) => tracing::warn!(%error, "recording the first tweet day failed; the next tweet retries"),
    }
}

pub async fn find_tweet(app: &App, tweet_id: &str) -> DomainResult<Option<Tweet>> {
    if Ulid::from_string(tweet_id).is_err() {
        return Ok(None);
    }
    match app.store.get(&keys::tweet(tweet_id)).await? {
        Some(item) => Ok(Some(Tweet::from_item(item)?)),
        None => Ok(None),
    }
}

pub async fn get_tweet(app: &App, tweet_id: &str) -> DomainResult<Tweet> {
    find_tweet(app, tweet_id).await?.ok_or_else(|| tweet_not_found(tweet_id))
}

pub fn tweet_not_found(tweet_id: &str) -> DomainError {
    DomainError::NotFound(format!("No tweet with id {tweet_id:?}."))
}

/// Loads a tweet the viewer means to change: 404 when absent, 403 when someone else's.
async fn owned_tweet(app: &App, viewer: &Viewer, tweet_id: &str) -> DomainResult<Tweet> {
    let tweet = get_tweet(app, tweet_id).await?;
    if tweet.author_id != viewer.user_id {
        return Err(DomainError::Forbidden("You may only change your own tweets.".into()));
    }
    Ok(tweet)
}

/// Replaces a tweet's content and sets `edited_at`. Lists read tweets by id, so the new content
/// shows everywhere at once.
pub async fn edit_tweet(app: &App, viewer: &Viewer, tweet_id: &str, content: &str) -> DomainResult<Tweet> {
    let content = tweet::normalize_content(content).map_err(|message| DomainError::field("content", message))?;
    let tweet = owned_tweet(app, viewer, tweet_id).await?;
    let mentions = tweet::extract_mentions(&content).into_iter().map(string).collect();
    let hashtags = tweet::extract_hashtags(&content).into_iter().map(string).collect();
    let update = Update::new()
        .set("content", string(content))
        .set("mentions", crate::store::AttributeValue::L(mentions))
        .set("hashtags", crate::store::AttributeValue::L(hashtags))
        .set("edited_at", string(clock::now_timestamp()));
    let owner = Condition::equals("author_id", string(&viewer.user_id));
    match app.store.update(&keys::tweet(&tweet.id), update, Some(owner)).await {
        Ok(item) => Ok(Tweet::from_item(item)?),
        Err(StoreError::ConditionFailed) => Err(tweet_not_found(tweet_id)),
        Err(error) => Err(error.into()),
    }
}

/// Deletes a tweet and lowers its author's count in one transaction. Fan-out removes it from
/// timelines shortly after.
pub async fn delete_tweet(app: &App, viewer: &Viewer, tweet_id: &str) -> DomainResult<()> {
    let tweet = owned_tweet(app, viewer, tweet_id).await?;
    let writes = vec![
        TransactWrite::Delete {
            key: keys::tweet(&tweet.id),
            condition: Some(Condition::equals("author_id", string(&viewer.user_id))),
        },
        TransactWrite::Update {
            key: keys::user(&viewer.user_id),
            update: Update::new().add("tweets_count", -1),
            condition: Some(Condition::Exists),
        },
    ];
    match app.store.transact_write(writes).await {
        Ok(()) => Ok(()),
        Err(error) if error.condition_failed_at(0) => Err(tweet_not_found(tweet_id)),
        Err(error) => Err(error.into()),
    }
}

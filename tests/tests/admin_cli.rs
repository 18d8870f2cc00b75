//! chirp-admin's repair commands: damage a loaded store (delete timeline entries, corrupt
//! counters) and check that the repairs restore the responses the API gave before the damage.

use std::sync::Arc;

use chirp_admin::{checkpoint, counters, timelines, users};
use chirp_shared::keys;
use chirp_shared::store::{BatchWrite, Index, ItemExt, Query, Store, Update, number};
use chirp_tests::{TestApi, ids};
use serde_json::{Value, json};

const USERS: [&str; 4] = ["ann", "ben", "cat", "dan"];

/// Four users who follow each other in a ring and post, like and follow a little more.
async fn loaded() -> (TestApi, Vec<String>) {
    let api = TestApi::start().await;
    let mut tokens = Vec::new();
    for name in USERS {
        tokens.push(api.user(name).await);
    }
    for (i, token) in tokens.iter().enumerate() {
        api.follow(token, USERS[(i + 1) % USERS.len()]).await;
        for n in 0..3 {
            let id = api.tweet(token, &format!("{} says {n}", USERS[i])).await;
            if n == 0 {
                api.post(&format!("/api/tweets/{id}/like/"), Some(&tokens[(i + 2) % tokens.len()]), json!({})).await;
            }
        }
    }
    api.follow(&tokens[0], "cat").await;
    api.settle().await;
    (api, tokens)
}

/// Responses the repairs must restore: each user's home feed, profile counts and tweet likes.
async fn answers(api: &TestApi, tokens: &[String]) -> Vec<Value> {
    let mut out = Vec::new();
    for (name, token) in USERS.iter().zip(tokens) {
        out.push(json!(ids(&api.walk("/api/tweets/feed/", Some(token)).await)));
        let profile = api.get(&format!("/api/accounts/{name}/"), None).await.body;
        out.push(json!([profile["followers_count"], profile["following_count"], profile["tweets_count"]]));
        let tweets = api.walk(&format!("/api/accounts/{name}/tweets/"), None).await;
        out.push(json!(tweets.iter().map(|t| t["likes_count"].clone()).collect::<Vec<_>>()));
    }
    out
}

fn store_of(api: &TestApi) -> Arc<dyn Store> {
    api.server.as_ref().expect("the server runs").store.clone()
}

#[tokio::test]
async fn user_list_holds_everyone() {
    let (api, _) = loaded().await;
    let ids = users::all_user_ids(&store_of(&api)).await.expect("the user list is readable");
    assert_eq!(ids, USERS);
}

#[tokio::test]
async fn rebuild_restores_timelines() {
    let (api, tokens) = loaded().await;
    let before = answers(&api, &tokens).await;
    let store = store_of(&api);

    // Lose every entry of ann's timeline and half of ben's, and add a stray one to cat's.
    for (name, keep_every) in [("ann", usize::MAX), ("ben", 2)] {
        let entries = store.query(Query::new(Index::Table, keys::timeline_partition(name))).await.expect("query");
        assert!(!entries.items.is_empty(), "{name} has a timeline");
        let deletes = entries
            .items
            .iter()
            .enumerate()
            .filter(|(i, _)| keep_every == usize::MAX || i % keep_every == 0)
            .map(|(_, item)| BatchWrite::Delete(keys::timeline_entry(name, item.string("tweet_id").unwrap_or_default())))
            .collect();
        store.batch_write(deletes).await.expect("delete");
    }
    let stray = chirp_shared::model::timeline::timeline_item("cat", "01ARZ3NDEKTSV4RRFFQ69G5FAV", "dan");
    store.batch_write(vec![BatchWrite::Put(stray)]).await.expect("put");
    assert_ne!(answers(&api, &tokens).await, before, "the damage shows");

    let single = timelines::rebuild_timeline(&store, "ann").await.expect("rebuild ann");
    assert!(single.added > 0);
    checkpoint::for_each_user(&store, "rebuild-timelines", |user_id| {
        let store = store.clone();
        async move { timelines::rebuild_timeline(&store, &user_id).await.map(|_| ()) }
    })
    .await
    .expect("rebuild everyone");
    assert_eq!(answers(&api, &tokens).await, before);
    assert!(store.get(&keys::checkpoint("rebuild-timelines")).await.expect("get").is_none(), "finished runs leave no checkpoint");
}

#[tokio::test]
async fn verify_counters_fixes_them() {
    let (api, tokens) = loaded().await;
    let before = answers(&api, &tokens).await;
    let store = store_of(&api);
    assert_eq!(counters::verify_user(&store, "ann", false).await.expect("verify"), vec![], "a fresh store checks out");

    let ann_tweet = store
        .query(Query::new(Index::Gsi1, keys::tweets_by_author("ann")).limit(1))
        .await
        .expect("query")
        .items[0]
        .string("id")
        .expect("an id")
        .to_owned();
    store.update(&keys::user("ann"), Update::new().set("followers_count", number(41)), None).await.expect("corrupt");
    store.update(&keys::user("ben"), Update::new().set("tweets_count", number(-3)), None).await.expect("corrupt");
    store.update(&keys::user("dan"), Update::new().set("following_count", number(0)), None).await.expect("corrupt");
    store.update(&keys::tweet(&ann_tweet), Update::new().set("likes_count", number(7)), None).await.expect("corrupt");
    assert_ne!(answers(&api, &tokens).await, before, "the damage shows");

    let found = counters::verify_user(&store, "ann", false).await.expect("verify");
    let found: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.contains(&"ann followers_count: stored 41, counted 1".to_owned()), "{found:?}");
    assert_ne!(answers(&api, &tokens).await, before, "verifying changes nothing");

    checkpoint::for_each_user(&store, "fix-counters", |user_id| {
        let store = store.clone();
        async move { counters::verify_user(&store, &user_id, true).await.map(|_| ()) }
    })
    .await
    .expect("fix everyone");
    assert_eq!(answers(&api, &tokens).await, before);
    for name in USERS {
        assert_eq!(counters::verify_user(&store, name, false).await.expect("verify"), vec![], "{name} after the fix");
    }
}

#[tokio::test]
async fn walk_resumes_after_checkpoint() {
    let (api, _) = loaded().await;
    let store = store_of(&api);
    // A run stopped after ben resumes with cat.
    let mut item = keys::checkpoint("verify-counters").to_item();
    item.insert("last_user_id".into(), chirp_shared::store::string("ben"));
    store.put(item, None).await.expect("put");
    let seen = std::sync::Mutex::new(Vec::new());
    checkpoint::for_each_user(&store, "verify-counters", |user_id| {
        seen.lock().expect("lock").push(user_id);
        async { Ok(()) }
    })
    .await
    .expect("walk");
    assert_eq!(seen.into_inner().expect("lock"), ["cat", "dan"]);
}

/// Search answers the repair must restore: a word, a hashtag-free phrase and a user prefix.
async fn search_answers(api: &TestApi) -> Vec<Value> {
    let mut out = Vec::new();
    for query in ["/api/tweets/search/?q=says", "/api/tweets/search/?q=ann%20says", "/api/accounts/search/?q=da"] {
        let items = api.walk(query, None).await;
        out.push(json!(items.iter().map(|item| item.get("id").or(item.get("username")).cloned()).collect::<Vec<_>>()));
    }
    out
}

#[tokio::test]
async fn rebuild_restores_search_index() {
    let (api, _) = loaded().await;
    let before = search_answers(&api).await;
    assert!(before.iter().all(|answer| answer.as_array().is_some_and(|a| !a.is_empty())), "every search finds something");
    let store = store_of(&api);

    // Lose every term item of ann's tweets and dan's name prefixes.
    let tweets = store.query(Query::new(Index::Gsi1, keys::tweets_by_author("ann"))).await.expect("query");
    let mut deletes = Vec::new();
    for item in &tweets.items {
        let id = item.string("id").unwrap_or_default();
        let content = item.string("content").unwrap_or_default();
        deletes.extend(chirp_shared::search::index::term_keys(id, content).into_iter().map(BatchWrite::Delete));
    }
    let dan = store.get(&keys::user("dan")).await.expect("get").expect("dan exists");
    let dan = chirp_shared::model::User::from_item(dan).expect("a user");
    for item in chirp_shared::search::index::prefix_items(&dan) {
        deletes.push(BatchWrite::Delete(chirp_shared::store::key_of(&item).expect("a key")));
    }
    store.batch_write(deletes).await.expect("delete");
    assert_ne!(search_answers(&api).await, before, "the damage shows");

    checkpoint::for_each_user(&store, "rebuild-search-index", |user_id| {
        let store = store.clone();
        async move { chirp_admin::search_index::rebuild_user_index(&store, &user_id).await.map(|_| ()) }
    })
    .await
    .expect("the rebuild succeeds");

    assert_eq!(search_answers(&api).await, before);
}

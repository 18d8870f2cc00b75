//! The home feed: the caller's own tweets and those of everyone the caller follows, newest first,
//! kept up to date by fan-out after tweets, edits, deletes, follows and unfollows.

use chirp_tests::{TestApi, assert_error, ids};
use reqwest::StatusCode;
use serde_json::json;

const FEED: &str = "/api/tweets/feed/";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feed_own_and_followed() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    let carol = api.user("carol").await;
    api.follow(&alice, "bob").await;

    let a1 = api.tweet(&alice, "alice one").await;
    let b1 = api.tweet(&bob, "bob one").await;
    api.tweet(&carol, "carol one").await;
    let a2 = api.tweet(&alice, "alice two").await;
    let b2 = api.tweet(&bob, "bob two").await;
    api.settle().await;

    let reply = api.get(FEED, Some(&alice)).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let results = reply.body["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(ids(&results), vec![b2, a2, b1, a1], "{:?}", reply.body);
    assert_eq!(results[0]["author"]["username"], "bob", "{:?}", reply.body);
    assert_eq!(results[0]["content"], "bob two", "{:?}", reply.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feed_private_to_viewer() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    api.follow(&alice, "bob").await;
    api.tweet(&alice, "alice only").await;
    let own = api.tweet(&bob, "bob here").await;
    api.settle().await;

    let feed = api.walk(FEED, Some(&bob)).await;
    assert_eq!(ids(&feed), vec![own], "bob does not follow alice: {feed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feed_requires_token() {
    let api = TestApi::start().await;
    let reply = api.get(FEED, None).await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "not_authenticated");
    assert_eq!(
        reply.header("www-authenticate"),
        Some("Bearer"),
        "{:?}",
        reply.headers
    );

    let garbled = api.get(FEED, Some("not-a-token")).await;
    assert_error(&garbled, StatusCode::UNAUTHORIZED, "authentication_failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_feed() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let reply = api.get(FEED, Some(&alice)).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["results"], json!([]), "{:?}", reply.body);
    assert_eq!(reply.body["next"], json!(null), "{:?}", reply.body);
    assert_eq!(reply.body["previous"], json!(null), "{:?}", reply.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_tweet_leaves_feed() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    api.follow(&alice, "bob").await;
    let remaining = api.tweet(&bob, "remaining").await;
    let removed = api.tweet(&bob, "removed").await;
    api.settle().await;
    let before = api.walk(FEED, Some(&alice)).await;
    assert_eq!(
        ids(&before),
        vec![removed.clone(), remaining.clone()],
        "{before:?}"
    );

    let reply = api
        .delete(&format!("/api/tweets/{removed}/"), Some(&bob))
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{:?}", reply.body);
    api.settle().await;

    let follower_feed = api.walk(FEED, Some(&alice)).await;
    assert_eq!(
        ids(&follower_feed),
        vec![remaining.clone()],
        "{follower_feed:?}"
    );
    let author_feed = api.walk(FEED, Some(&bob)).await;
    assert_eq!(ids(&author_feed), vec![remaining], "{author_feed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_brings_earlier_tweets() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    let own = api.tweet(&alice, "alice first").await;
    let b1 = api.tweet(&bob, "bob one").await;
    let b2 = api.tweet(&bob, "bob two").await;
    let b3 = api.tweet(&bob, "bob three").await;
    api.settle().await;
    let before = api.walk(FEED, Some(&alice)).await;
    assert_eq!(ids(&before), vec![own.clone()], "{before:?}");

    api.follow(&alice, "bob").await;
    api.settle().await;
    let after = api.walk(FEED, Some(&alice)).await;
    assert_eq!(ids(&after), vec![b3, b2, b1, own], "{after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfollow_removes_tweets() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    api.follow(&alice, "bob").await;
    let b1 = api.tweet(&bob, "bob one").await;
    let own = api.tweet(&alice, "alice one").await;
    let b2 = api.tweet(&bob, "bob two").await;
    api.settle().await;
    let before = api.walk(FEED, Some(&alice)).await;
    assert_eq!(
        ids(&before),
        vec![b2.clone(), own.clone(), b1.clone()],
        "{before:?}"
    );

    let reply = api
        .delete("/api/accounts/bob/unfollow/", Some(&alice))
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{:?}", reply.body);
    api.settle().await;
    let after = api.walk(FEED, Some(&alice)).await;
    assert_eq!(ids(&after), vec![own.clone()], "{after:?}");

    api.follow(&alice, "bob").await;
    api.settle().await;
    let again = api.walk(FEED, Some(&alice)).await;
    assert_eq!(ids(&again), vec![b2, own, b1], "following again: {again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_tweet_reaches_followers() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let carol = api.user("carol").await;
    let bob = api.user("bob").await;
    api.follow(&alice, "bob").await;
    api.follow(&carol, "bob").await;
    api.settle().await;

    let id = api.tweet(&bob, "to everyone").await;
    api.settle().await;
    for (name, token) in [("alice", &alice), ("carol", &carol), ("bob", &bob)] {
        let feed = api.walk(FEED, Some(token)).await;
        assert_eq!(ids(&feed), vec![id.clone()], "feed of {name}: {feed:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_visible_in_feed() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    api.follow(&alice, "bob").await;
    let id = api.tweet(&bob, "original").await;
    api.settle().await;

    let reply = api
        .put(
            &format!("/api/tweets/{id}/update/"),
            Some(&bob),
            json!({"content": "edited #news"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    api.settle().await;

    let feed = api.walk(FEED, Some(&alice)).await;
    assert_eq!(ids(&feed), vec![id], "{feed:?}");
    assert_eq!(feed[0]["content"], "edited #news", "{feed:?}");
    assert!(feed[0]["edited_at"].is_string(), "{feed:?}");
    assert_eq!(feed[0]["hashtags"], json!(["news"]), "{feed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feed_walk_in_pages() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    api.follow(&alice, "bob").await;
    let mut expected = Vec::new();
    for index in 0..12 {
        let token = if index % 3 == 0 { &alice } else { &bob };
        expected.push(api.tweet(token, &format!("tweet {index}")).await);
    }
    expected.reverse();
    api.settle().await;

    let walked = api.walk(&format!("{FEED}?page_size=5"), Some(&alice)).await;
    assert_eq!(ids(&walked), expected, "{walked:?}");
}

//! The walk-through of the README, end to end.

use chirp_tests::{TestApi, ids};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_post_follow_feed() {
    let api = TestApi::start().await;
    let health = api.get("/api/health/", None).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body, json!({"status": "ok"}));

    let alice = api.user("alice").await;
    let bob = api.user("Bob").await;
    let first = api.tweet(&bob, "hello from bob #intro").await;
    api.follow(&alice, "bob").await;
    let second = api.tweet(&bob, "second tweet").await;
    let own = api.tweet(&alice, "alice here").await;
    api.settle().await;

    let feed = api.walk("/api/tweets/feed/", Some(&alice)).await;
    assert_eq!(ids(&feed), vec![own, second, first]);
    assert_eq!(feed[1]["author"]["username"], "Bob");
}

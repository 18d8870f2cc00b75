//! Likes: like, unlike, a tweet's likers, and the `likes_count` and `liked` fields.

use std::time::Duration;

use chirp_tests::{Reply, TestApi, assert_error, usernames};
use reqwest::StatusCode;
use serde_json::json;

/// A valid tweet id (a ULID) that no tweet has.
const UNKNOWN_ID: &str = "01ARZ3NDEKTSV4RRFFQ69G5FAV";

async fn like(api: &TestApi, token: &str, id: &str) -> Reply {
    api.post(&format!("/api/tweets/{id}/like/"), Some(token), json!({}))
        .await
}

async fn unlike(api: &TestApi, token: &str, id: &str) -> Reply {
    api.delete(&format!("/api/tweets/{id}/like/"), Some(token))
        .await
}

async fn likes_count(api: &TestApi, id: &str) -> i64 {
    let reply = api.get(&format!("/api/tweets/{id}/"), None).await;
    reply.body["likes_count"]
        .as_i64()
        .unwrap_or_else(|| panic!("no likes_count in {:?}", reply.body))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn like_created_then_ok() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    let id = api.tweet(&alice, "like me").await;

    let first = like(&api, &bob, &id).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    assert_eq!(
        likes_count(&api, &id).await,
        1,
        "likes after the first like"
    );
    let seen_by_liker = api.get(&format!("/api/tweets/{id}/"), Some(&bob)).await;
    assert_eq!(
        seen_by_liker.body["liked"], true,
        "{:?}",
        seen_by_liker.body
    );

    let second = like(&api, &bob, &id).await;
    assert_eq!(second.status, StatusCode::OK, "{:?}", second.body);
    assert_eq!(
        likes_count(&api, &id).await,
        1,
        "likes after a double submit"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlike_twice_no_content() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    let id = api.tweet(&alice, "like me").await;
    like(&api, &bob, &id).await;

    let first = unlike(&api, &bob, &id).await;
    assert_eq!(first.status, StatusCode::NO_CONTENT, "{:?}", first.body);
    assert_eq!(likes_count(&api, &id).await, 0, "likes after unliking");

    let second = unlike(&api, &bob, &id).await;
    assert_eq!(second.status, StatusCode::NO_CONTENT, "{:?}", second.body);
    assert_eq!(
        likes_count(&api, &id).await,
        0,
        "likes after unliking twice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlike_when_not_liked() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    let carol = api.user("carol").await;
    let id = api.tweet(&alice, "like me").await;
    like(&api, &carol, &id).await;

    let reply = unlike(&api, &bob, &id).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{:?}", reply.body);
    assert_eq!(
        likes_count(&api, &id).await,
        1,
        "another user's unlike removed a like"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn like_unlike_like_counts_once() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    let id = api.tweet(&alice, "like me").await;

    like(&api, &bob, &id).await;
    unlike(&api, &bob, &id).await;
    let again = like(&api, &bob, &id).await;
    assert_eq!(again.status, StatusCode::CREATED, "{:?}", again.body);
    assert_eq!(
        likes_count(&api, &id).await,
        1,
        "likes after like, unlike, like"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn like_unknown_tweet() {
    let api = TestApi::start().await;
    let bob = api.user("bob").await;
    for id in [UNKNOWN_ID, "not-an-id"] {
        let liked = like(&api, &bob, id).await;
        assert_error(&liked, StatusCode::NOT_FOUND, "not_found");
        let unliked = unlike(&api, &bob, id).await;
        assert_error(&unliked, StatusCode::NOT_FOUND, "not_found");
        let likers = api.get(&format!("/api/tweets/{id}/likes/"), None).await;
        assert_error(&likers, StatusCode::NOT_FOUND, "not_found");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn like_requires_token() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let id = api.tweet(&alice, "like me").await;

    let liked = api
        .post(&format!("/api/tweets/{id}/like/"), None, json!({}))
        .await;
    assert_error(&liked, StatusCode::UNAUTHORIZED, "not_authenticated");
    let unliked = api.delete(&format!("/api/tweets/{id}/like/"), None).await;
    assert_error(&unliked, StatusCode::UNAUTHORIZED, "not_authenticated");
    assert_eq!(
        likes_count(&api, &id).await,
        0,
        "likes after rejected requests"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn likers_newest_first() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let id = api.tweet(&alice, "like me").await;
    for name in ["carol", "Dave", "erin"] {
        let token = api.user(name).await;
        like(&api, &token, &id).await;
        // The next like gets a later millisecond timestamp.
        tokio::time::sleep(Duration::from_millis(3)).await;
    }

    let reply = api.get(&format!("/api/tweets/{id}/likes/"), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let results = reply.body["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        usernames(&results),
        vec!["erin", "Dave", "carol"],
        "{:?}",
        reply.body
    );
    assert!(
        results[0].get("followers_count").is_some(),
        "likers are Users: {:?}",
        reply.body
    );

    let without_slash = api.get(&format!("/api/tweets/{id}/likes"), None).await;
    assert_eq!(
        without_slash.status,
        StatusCode::OK,
        "{:?}",
        without_slash.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlike_leaves_likers() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    let id = api.tweet(&alice, "like me").await;
    like(&api, &bob, &id).await;
    unlike(&api, &bob, &id).await;

    let reply = api.get(&format!("/api/tweets/{id}/likes/"), None).await;
    assert_eq!(reply.body["results"], json!([]), "{:?}", reply.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn liked_depends_on_viewer() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    let id = api.tweet(&alice, "like me").await;
    like(&api, &bob, &id).await;

    let path = format!("/api/tweets/{id}/");
    let as_liker = api.get(&path, Some(&bob)).await;
    assert_eq!(as_liker.body["liked"], true, "{:?}", as_liker.body);
    let as_author = api.get(&path, Some(&alice)).await;
    assert_eq!(as_author.body["liked"], false, "{:?}", as_author.body);
    let anonymous = api.get(&path, None).await;
    assert_eq!(anonymous.body["liked"], false, "{:?}", anonymous.body);

    for list in ["/api/tweets/", "/api/accounts/alice/tweets/"] {
        let items = api.walk(list, Some(&bob)).await;
        assert_eq!(items.len(), 1, "{list}: {items:?}");
        assert_eq!(items[0]["liked"], true, "{list}: {items:?}");
        assert_eq!(items[0]["likes_count"], 1, "{list}: {items:?}");
    }

    api.follow(&bob, "alice").await;
    api.settle().await;
    let feed = api.walk("/api/tweets/feed/", Some(&bob)).await;
    assert_eq!(feed.len(), 1, "{feed:?}");
    assert_eq!(feed[0]["liked"], true, "{feed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_tweet_leaves_likes() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    let id = api.tweet(&alice, "like me").await;
    like(&api, &bob, &id).await;
    let deleted = api
        .delete(&format!("/api/tweets/{id}/"), Some(&alice))
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{:?}", deleted.body);

    let likers = api.get(&format!("/api/tweets/{id}/likes/"), None).await;
    assert_error(&likers, StatusCode::NOT_FOUND, "not_found");
    let liked = like(&api, &bob, &id).await;
    assert_error(&liked, StatusCode::NOT_FOUND, "not_found");
}

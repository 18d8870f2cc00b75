//! The social graph: follow, unfollow, followers and following, and the counts they keep.

use std::time::Duration;

use chirp_tests::{Reply, TestApi, assert_error, usernames};
use reqwest::StatusCode;
use serde_json::json;

async fn counts(api: &TestApi, username: &str) -> (i64, i64) {
    let reply = api.get(&format!("/api/accounts/{username}/"), None).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "profile of {username}: {:?}",
        reply.body
    );
    let followers = reply.body["followers_count"]
        .as_i64()
        .expect("followers_count");
    let following = reply.body["following_count"]
        .as_i64()
        .expect("following_count");
    (followers, following)
}

async fn follow_reply(api: &TestApi, token: &str, username: &str) -> Reply {
    api.post(
        &format!("/api/accounts/{username}/follow/"),
        Some(token),
        json!({}),
    )
    .await
}

/// Waits long enough that the next follow gets a later millisecond timestamp.
async fn next_millisecond() {
    tokio::time::sleep(Duration::from_millis(3)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_created_then_ok() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    api.user("Bob").await;

    let first = follow_reply(&api, &alice, "bob").await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    let second = follow_reply(&api, &alice, "BOB").await;
    assert_eq!(second.status, StatusCode::OK, "{:?}", second.body);

    assert_eq!(counts(&api, "bob").await, (1, 0), "counts of bob");
    assert_eq!(counts(&api, "alice").await, (0, 1), "counts of alice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_without_body() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    api.user("bob").await;
    let builder = api.request(
        reqwest::Method::POST,
        "/api/accounts/bob/follow",
        Some(&alice),
    );
    let reply = chirp_tests::send(builder).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_self_rejected() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let reply = follow_reply(&api, &alice, "ALICE").await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_error");
    assert_eq!(counts(&api, "alice").await, (0, 0), "counts of alice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_unknown_user() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let reply = follow_reply(&api, &alice, "nobody").await;
    assert_error(&reply, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(counts(&api, "alice").await, (0, 0), "counts of alice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follow_requires_token() {
    let api = TestApi::start().await;
    api.user("bob").await;
    let reply = api.post("/api/accounts/bob/follow/", None, json!({})).await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "not_authenticated");
    assert_eq!(
        reply.header("www-authenticate"),
        Some("Bearer"),
        "{:?}",
        reply.headers
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfollow_both_paths() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    api.user("bob").await;

    for path in ["/api/accounts/bob/unfollow/", "/api/accounts/bob/follow/"] {
        api.follow(&alice, "bob").await;
        assert_eq!(
            counts(&api, "bob").await,
            (1, 0),
            "counts of bob before DELETE {path}"
        );

        let reply = api.delete(path, Some(&alice)).await;
        assert_eq!(
            reply.status,
            StatusCode::NO_CONTENT,
            "DELETE {path}: {:?}",
            reply.body
        );
        assert_eq!(
            counts(&api, "bob").await,
            (0, 0),
            "counts of bob after DELETE {path}"
        );
        assert_eq!(
            counts(&api, "alice").await,
            (0, 0),
            "counts of alice after DELETE {path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfollow_when_not_following() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    api.user("bob").await;

    for path in ["/api/accounts/bob/unfollow/", "/api/accounts/bob/follow/"] {
        let reply = api.delete(path, Some(&alice)).await;
        assert_eq!(
            reply.status,
            StatusCode::NO_CONTENT,
            "DELETE {path}: {:?}",
            reply.body
        );
    }
    assert_eq!(counts(&api, "bob").await, (0, 0), "counts of bob");
    assert_eq!(counts(&api, "alice").await, (0, 0), "counts of alice");
}

/// Nobody can follow themselves, so unfollowing oneself is a no-op rather than a server error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfollow_oneself() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;

    for path in ["/api/accounts/alice/unfollow/", "/api/accounts/alice/follow/"] {
        let reply = api.delete(path, Some(&alice)).await;
        assert_eq!(
            reply.status,
            StatusCode::NO_CONTENT,
            "DELETE {path}: {:?}",
            reply.body
        );
    }
    assert_eq!(counts(&api, "alice").await, (0, 0), "counts of alice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfollow_unknown_user() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let reply = api
        .delete("/api/accounts/nobody/unfollow/", Some(&alice))
        .await;
    assert_error(&reply, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfollow_requires_token() {
    let api = TestApi::start().await;
    api.user("bob").await;
    let reply = api.delete("/api/accounts/bob/unfollow/", None).await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "not_authenticated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn double_submits_keep_counts() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    api.user("bob").await;

    api.follow(&alice, "bob").await;
    api.follow(&alice, "bob").await;
    assert_eq!(
        counts(&api, "bob").await,
        (1, 0),
        "counts of bob after two follows"
    );
    assert_eq!(
        counts(&api, "alice").await,
        (0, 1),
        "counts of alice after two follows"
    );

    api.delete("/api/accounts/bob/unfollow/", Some(&alice))
        .await;
    api.delete("/api/accounts/bob/unfollow/", Some(&alice))
        .await;
    assert_eq!(
        counts(&api, "bob").await,
        (0, 0),
        "counts of bob after two unfollows"
    );
    assert_eq!(
        counts(&api, "alice").await,
        (0, 0),
        "counts of alice after two unfollows"
    );

    let again = follow_reply(&api, &alice, "bob").await;
    assert_eq!(
        again.status,
        StatusCode::CREATED,
        "a follow after unfollowing is new: {:?}",
        again.body
    );
    assert_eq!(
        counts(&api, "bob").await,
        (1, 0),
        "counts of bob after following again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followers_newest_first() {
    let api = TestApi::start().await;
    api.user("Bob").await;
    for name in ["carol", "Dave", "erin"] {
        let token = api.user(name).await;
        api.follow(&token, "bob").await;
        next_millisecond().await;
    }

    let reply = api.get("/api/accounts/bob/followers/", None).await;
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
        results[0].get("is_following").is_none(),
        "is_following without a viewer: {:?}",
        reply.body
    );
    assert_eq!(results[0]["following_count"], 1, "{:?}", reply.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn following_newest_first() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    for name in ["bob", "carol", "dave"] {
        api.user(name).await;
        api.follow(&alice, name).await;
        next_millisecond().await;
    }

    let reply = api.get("/api/accounts/ALICE/following", None).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let results = reply.body["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        usernames(&results),
        vec!["dave", "carol", "bob"],
        "{:?}",
        reply.body
    );
    assert_eq!(results[0]["followers_count"], 1, "{:?}", reply.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_show_is_following() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    api.user("bob").await;
    let carol = api.user("carol").await;
    let dave = api.user("dave").await;
    api.follow(&carol, "bob").await;
    api.follow(&dave, "bob").await;
    api.follow(&alice, "carol").await;

    let reply = api.get("/api/accounts/bob/followers/", Some(&alice)).await;
    let results = reply.body["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        usernames(&results),
        vec!["dave", "carol"],
        "{:?}",
        reply.body
    );
    assert_eq!(results[0]["is_following"], false, "dave: {:?}", reply.body);
    assert_eq!(results[1]["is_following"], true, "carol: {:?}", reply.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfollow_leaves_lists() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    api.user("bob").await;
    api.follow(&alice, "bob").await;
    api.delete("/api/accounts/bob/unfollow/", Some(&alice))
        .await;

    let followers = api.get("/api/accounts/bob/followers/", None).await;
    assert_eq!(followers.body["results"], json!([]), "{:?}", followers.body);
    let following = api.get("/api/accounts/alice/following/", None).await;
    assert_eq!(following.body["results"], json!([]), "{:?}", following.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_of_unknown_user() {
    let api = TestApi::start().await;
    for path in [
        "/api/accounts/nobody/followers/",
        "/api/accounts/nobody/following/",
    ] {
        let reply = api.get(path, None).await;
        assert_error(&reply, StatusCode::NOT_FOUND, "not_found");
    }
}

//! Notifications through the HTTP API: each type, no self-notifications, like/unlike/like,
//! unread counts, marking read and paging.

use chirp_tests::{TestApi, assert_error, assert_field_error};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn notifications(api: &TestApi, token: &str, query: &str) -> Vec<Value> {
    api.walk(&format!("/api/notifications/{query}"), Some(token)).await
}

async fn unread(api: &TestApi, token: &str) -> i64 {
    let reply = api.get("/api/notifications/unread_count/", Some(token)).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["count"].as_i64().expect("a count")
}

#[tokio::test]
async fn follow_notifies_followee() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    api.follow(&alice, "bob").await;
    api.settle().await;

    let items = notifications(&api, &bob, "").await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["type"], "follow");
    assert_eq!(items[0]["actor"]["username"], "alice");
    assert_eq!(items[0]["tweet"], Value::Null);
    assert_eq!(items[0]["read"], false);
    assert!(items[0]["id"].is_string());
    assert!(items[0]["created_at"].as_str().is_some_and(|at| at.ends_with('Z')));
    assert_eq!(unread(&api, &bob).await, 1);
    assert!(notifications(&api, &alice, "").await.is_empty());
    assert_eq!(unread(&api, &alice).await, 0);
}

#[tokio::test]
async fn like_unlike_like_notifies_once() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    let tweet = api.tweet(&bob, "like me").await;
    let like = format!("/api/tweets/{tweet}/like/");

    api.post(&like, Some(&alice), json!({})).await;
    api.settle().await;
    api.delete(&like, Some(&alice)).await;
    api.settle().await;
    api.post(&like, Some(&alice), json!({})).await;
    // Liking one's own tweet notifies nobody.
    api.post(&like, Some(&bob), json!({})).await;
    api.settle().await;

    let items = notifications(&api, &bob, "").await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["type"], "like");
    assert_eq!(items[0]["actor"]["username"], "alice");
    assert_eq!(items[0]["tweet"], json!({"id": tweet, "content": "like me"}));
    assert_eq!(unread(&api, &bob).await, 1);
}

#[tokio::test]
async fn mention_notifies_existing_users() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    let carol = api.user("Carol").await;
    let dave = api.user("dave").await;
    let tweet = api.tweet(&alice, "hi @bob and @CAROL, not @nobody nor @alice").await;
    api.settle().await;

    for token in [&bob, &carol] {
        let items = notifications(&api, token, "").await;
        assert_eq!(items.len(), 1, "{items:?}");
        assert_eq!(items[0]["type"], "mention");
        assert_eq!(items[0]["actor"]["username"], "alice");
        assert_eq!(items[0]["tweet"]["id"], tweet.as_str());
    }
    assert!(notifications(&api, &alice, "").await.is_empty());

    // An edit notifies the names it adds, and nobody twice.
    let reply = api
        .put(&format!("/api/tweets/{tweet}/"), Some(&alice), json!({"content": "hi @bob and @dave"}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    api.settle().await;
    assert_eq!(notifications(&api, &bob, "").await.len(), 1);
    let items = notifications(&api, &dave, "").await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["tweet"]["content"], "hi @bob and @dave");
}

#[tokio::test]
async fn mark_read_keeps_count_exact() {
    let api = TestApi::start().await;
    let bob = api.user("bob").await;
    for name in ["ann", "cat", "dan"] {
        let token = api.user(name).await;
        api.follow(&token, "bob").await;
    }
    api.settle().await;
    assert_eq!(unread(&api, &bob).await, 3);

    let items = notifications(&api, &bob, "").await;
    let first = items[0]["id"].as_str().expect("an id").to_owned();
    let marked = api.post("/api/notifications/read/", Some(&bob), json!({"ids": [first, "like#x#y"]})).await;
    assert_eq!(marked.status, StatusCode::NO_CONTENT, "{:?}", marked.body);
    assert_eq!(unread(&api, &bob).await, 2);
    // Marking the same id again changes nothing.
    api.post("/api/notifications/read/", Some(&bob), json!({"ids": [first]})).await;
    assert_eq!(unread(&api, &bob).await, 2);

    let unread_items = notifications(&api, &bob, "?unread=true").await;
    assert_eq!(unread_items.len(), 2);
    assert!(unread_items.iter().all(|item| item["id"] != first.as_str() && item["read"] == false));
    let all = notifications(&api, &bob, "").await;
    assert_eq!(all.iter().filter(|item| item["read"] == true).count(), 1);

    let all_read = api.call(reqwest::Method::POST, "/api/notifications/read/", Some(&bob), None).await;
    assert_eq!(all_read.status, StatusCode::NO_CONTENT, "{:?}", all_read.body);
    assert_eq!(unread(&api, &bob).await, 0);
    assert!(notifications(&api, &bob, "?unread=true").await.is_empty());
    assert_eq!(notifications(&api, &bob, "").await.len(), 3);
    api.post("/api/notifications/read/", Some(&bob), json!({})).await;
    assert_eq!(unread(&api, &bob).await, 0);
}

#[tokio::test]
async fn newest_first_and_paged() {
    let api = TestApi::start().await;
    let bob = api.user("bob").await;
    let mut actors = Vec::new();
    for index in 0..5 {
        let name = format!("fan{index}");
        let token = api.user(&name).await;
        api.follow(&token, "bob").await;
        actors.push(name);
    }
    api.settle().await;

    let items = notifications(&api, &bob, "?page_size=2").await;
    let order: Vec<&str> = items.iter().map(|item| item["actor"]["username"].as_str().unwrap_or_default()).collect();
    actors.reverse();
    assert_eq!(order, actors);
}

#[tokio::test]
async fn requests_checked() {
    let api = TestApi::start().await;
    let bob = api.user("bob").await;
    assert_error(&api.get("/api/notifications/", None).await, StatusCode::UNAUTHORIZED, "not_authenticated");
    assert_error(&api.get("/api/notifications/unread_count/", None).await, StatusCode::UNAUTHORIZED, "not_authenticated");
    assert_error(&api.post("/api/notifications/read/", None, json!({})).await, StatusCode::UNAUTHORIZED, "not_authenticated");
    assert_field_error(&api.get("/api/notifications/?unread=maybe", Some(&bob)).await, "unread");
    assert_field_error(&api.post("/api/notifications/read/", Some(&bob), json!({"ids": "all"})).await, "ids");
    assert_field_error(&api.post("/api/notifications/read/", Some(&bob), json!({"ids": [1, 2]})).await, "ids");
    let too_many: Vec<String> = (0..101).map(|index| format!("follow#u{index}#-")).collect();
    assert_field_error(&api.post("/api/notifications/read/", Some(&bob), json!({"ids": too_many})).await, "ids");
    assert_error(&api.get("/api/notifications/read/", Some(&bob)).await, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
}

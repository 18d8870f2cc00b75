//! Object- and property-level authorization on every write endpoint, and request bodies that
//! are too large or too deep.

use std::time::{Duration, Instant};

use chirp_tests::{Reply, TestApi, assert_error, send, usernames};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// Alice's tweet, liked by Alice, with Alice following Carol; Bob is the intruder.
struct Scene {
    api: TestApi,
    alice: String,
    bob: String,
    tweet: String,
}

async fn scene() -> Scene {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    api.user("carol").await;
    let tweet = api.tweet(&alice, "alice's own words").await;
    api.post(&format!("/api/tweets/{tweet}/like/"), Some(&alice), json!({})).await;
    api.follow(&alice, "carol").await;
    Scene { api, alice, bob, tweet }
}

#[tokio::test]
async fn others_tweet_not_editable() {
    let Scene { api, bob, tweet, .. } = scene().await;
    for (method, path) in [
        (Method::PUT, format!("/api/tweets/{tweet}/update/")),
        (Method::PATCH, format!("/api/tweets/{tweet}/update/")),
        (Method::PUT, format!("/api/tweets/{tweet}/")),
        (Method::PATCH, format!("/api/tweets/{tweet}/")),
    ] {
        let reply = api.call(method.clone(), &path, Some(&bob), Some(json!({"content": "hijacked"}))).await;
        assert_error(&reply, StatusCode::FORBIDDEN, "permission_denied");
    }
    let after = api.get(&format!("/api/tweets/{tweet}/"), None).await;
    assert_eq!(after.body["content"], "alice's own words");
    assert!(after.body["edited_at"].is_null());
}

#[tokio::test]
async fn others_tweet_not_deletable() {
    let Scene { api, bob, tweet, .. } = scene().await;
    for path in [format!("/api/tweets/{tweet}/delete/"), format!("/api/tweets/{tweet}/")] {
        let reply = api.delete(&path, Some(&bob)).await;
        assert_error(&reply, StatusCode::FORBIDDEN, "permission_denied");
    }
    assert_eq!(api.get(&format!("/api/tweets/{tweet}/"), None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn unlike_touches_own_like_only() {
    let Scene { api, bob, tweet, .. } = scene().await;
    let reply = api.delete(&format!("/api/tweets/{tweet}/like/"), Some(&bob)).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let likers = api.walk(&format!("/api/tweets/{tweet}/likes/"), None).await;
    assert_eq!(usernames(&likers), vec!["alice"]);
    assert_eq!(api.get(&format!("/api/tweets/{tweet}/"), None).await.body["likes_count"], 1);
}

#[tokio::test]
async fn unfollow_touches_own_follows_only() {
    let Scene { api, bob, .. } = scene().await;
    // There is no way to name the follower: Bob's unfollow of Carol is Bob's alone.
    for reply in [
        api.delete("/api/accounts/carol/unfollow/", Some(&bob)).await,
        api.delete("/api/accounts/carol/follow/", Some(&bob)).await,
    ] {
        assert_eq!(reply.status, StatusCode::NO_CONTENT);
    }
    let followers = api.walk("/api/accounts/carol/followers/", None).await;
    assert_eq!(usernames(&followers), vec!["alice"]);
    // A follower named in the body is ignored too.
    let reply = api.post("/api/accounts/dave/follow/", Some(&bob), json!({"follower": "alice"})).await;
    assert_error(&reply, StatusCode::NOT_FOUND, "not_found");
    let reply = api.post("/api/accounts/carol/follow/", Some(&bob), json!({"follower": "alice", "user": "alice"})).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let following = api.walk("/api/accounts/alice/following/", None).await;
    assert_eq!(usernames(&following), vec!["carol"]);
}

#[tokio::test]
async fn writes_need_token() {
    let Scene { api, tweet, .. } = scene().await;
    let writes = [
        (Method::POST, "/api/tweets/".to_owned()),
        (Method::PATCH, format!("/api/tweets/{tweet}/update/")),
        (Method::DELETE, format!("/api/tweets/{tweet}/delete/")),
        (Method::POST, format!("/api/tweets/{tweet}/like/")),
        (Method::DELETE, format!("/api/tweets/{tweet}/like/")),
        (Method::POST, "/api/accounts/carol/follow/".to_owned()),
        (Method::DELETE, "/api/accounts/carol/unfollow/".to_owned()),
        (Method::PATCH, "/api/accounts/profile/update/".to_owned()),
        (Method::POST, "/api/accounts/logout/".to_owned()),
    ];
    for (method, path) in writes {
        let reply = api.call(method.clone(), &path, None, Some(json!({"content": "x"}))).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{method} {path}: {:?}", reply.body);
        assert_eq!(reply.body["code"], "not_authenticated", "{method} {path}");
    }
}

#[tokio::test]
async fn profile_update_changes_caller_only() {
    let Scene { api, alice, bob, .. } = scene().await;
    // Naming another user in the body or the path does not redirect the write.
    let reply = api.patch("/api/accounts/profile/update/", Some(&bob), json!({"username": "alice", "bio": "bob's bio"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["username"], "bob");
    let put_other = api.put("/api/accounts/alice/", Some(&bob), json!({"bio": "defaced"})).await;
    assert_error(&put_other, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");

    let alice_profile = api.get("/api/accounts/profile/", Some(&alice)).await;
    assert_eq!(alice_profile.body["bio"], "");
}

#[tokio::test]
async fn profile_read_only_fields_ignored() {
    let Scene { api, alice, .. } = scene().await;
    let before = api.get("/api/accounts/profile/", Some(&alice)).await.body;
    let body = json!({
        "username": "mallory", "email": "mallory@example.com", "created_at": "2000-01-01T00:00:00.000Z",
        "followers_count": 1_000_000, "following_count": 1_000_000, "tweets_count": 1_000_000,
        "avatar_url": "https://example.com/x.png", "is_following": true, "password": "new password!",
        "bio": "allowed change",
    });
    let reply = api.patch("/api/accounts/profile/update/", Some(&alice), body).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let after = api.get("/api/accounts/profile/", Some(&alice)).await.body;
    for field in ["username", "email", "created_at", "followers_count", "following_count", "tweets_count", "avatar_url"] {
        assert_eq!(after[field], before[field], "{field} changed");
    }
    assert_eq!(after["bio"], "allowed change");
    // The password in the body did not replace the real one.
    api.login("alice").await;
}

#[tokio::test]
async fn tweet_read_only_fields_ignored() {
    let Scene { api, alice, bob, tweet } = scene().await;
    let body = json!({
        "content": "fresh", "id": "00000000000000000000000000", "author": {"username": "alice"},
        "created_at": "2000-01-01T00:00:00.000Z", "likes_count": 999, "liked": true,
        "edited_at": "2000-01-01T00:00:00.000Z", "mentions": ["carol"], "hashtags": ["forged"],
    });
    let created = api.post("/api/tweets/", Some(&bob), body.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_ne!(created.body["id"], "00000000000000000000000000");
    assert_eq!(created.body["author"]["username"], "bob");
    assert_eq!(created.body["likes_count"], 0);
    assert_eq!(created.body["liked"], false);
    assert!(created.body["edited_at"].is_null());
    assert_eq!(created.body["mentions"], json!([]));
    assert_eq!(created.body["hashtags"], json!([]));
    assert_ne!(created.body["created_at"], "2000-01-01T00:00:00.000Z");

    let edited = api.patch(&format!("/api/tweets/{tweet}/update/"), Some(&alice), body).await;
    assert_eq!(edited.status, StatusCode::OK, "{:?}", edited.body);
    assert_eq!(edited.body["id"].as_str(), Some(tweet.as_str()));
    assert_eq!(edited.body["author"]["username"], "alice");
    assert_eq!(edited.body["likes_count"], 1);
    assert_ne!(edited.body["created_at"], "2000-01-01T00:00:00.000Z");
    assert_ne!(edited.body["edited_at"], "2000-01-01T00:00:00.000Z");
}

/// Sends raw bytes as a JSON body and reads the reply, with the time it took.
async fn post_raw(api: &TestApi, path: &str, token: &str, body: Vec<u8>) -> (Reply, Duration) {
    let started = Instant::now();
    let builder = api.request(Method::POST, path, Some(token)).header("content-type", "application/json").body(body);
    let reply = send(builder).await;
    (reply, started.elapsed())
}

#[tokio::test]
async fn oversized_body_gets_413() {
    let Scene { api, bob, .. } = scene().await;
    let content = "a".repeat(64 * 1024 + 1);
    let body = serde_json::to_vec(&json!({"content": content})).expect("JSON");
    let (reply, _) = post_raw(&api, "/api/tweets/", &bob, body).await;
    assert_error(&reply, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

#[tokio::test]
async fn deep_nesting_gets_400_quickly() {
    let Scene { api, bob, .. } = scene().await;
    let cases = [
        ("100,000 brackets", vec![b'['; 100_000]),
        ("60,000 brackets inside the 64 KiB limit", vec![b'['; 60_000]),
        ("nested objects", "{\"a\":".repeat(10_000).into_bytes()),
    ];
    for (name, body) in cases {
        let (reply, elapsed) = post_raw(&api, "/api/tweets/", &bob, body).await;
        assert!(reply.status == StatusCode::BAD_REQUEST || reply.status == StatusCode::PAYLOAD_TOO_LARGE, "{name}: {:?}", reply.status);
        assert!(elapsed < Duration::from_secs(2), "{name} took {elapsed:?}");
    }
    let (reply, _) = post_raw(&api, "/api/tweets/", &bob, vec![b'['; 60_000]).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "parse_error");
}

#[tokio::test]
async fn huge_json_gets_400_quickly() {
    let Scene { api, bob, .. } = scene().await;
    // Under 64 KiB but not an object: a long array of numbers, and an object with thousands of
    // unknown fields and no content.
    let array = format!("[{}]", vec!["1"; 30_000].join(","));
    let fields: Vec<String> = (0..5_000).map(|n| format!("\"f{n}\":{n}")).collect();
    let object = format!("{{{}}}", fields.join(","));
    for (name, body, code) in [("array", array, "parse_error"), ("many fields", object, "validation_error")] {
        assert!(body.len() <= 64 * 1024, "{name} is {} bytes", body.len());
        let (reply, elapsed) = post_raw(&api, "/api/tweets/", &bob, body.into_bytes()).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, code);
        assert!(elapsed < Duration::from_secs(2), "{name} took {elapsed:?}");
    }
}

#[tokio::test]
async fn others_notifications_untouchable() {
    let Scene { api, alice, bob, .. } = scene().await;
    api.follow(&bob, "alice").await;
    api.settle().await;
    let unread = |token: String| {
        let api = &api;
        async move { api.get("/api/notifications/unread_count/", Some(&token)).await.body["count"].as_i64() }
    };
    assert_eq!(unread(alice.clone()).await, Some(1), "bob's follow notifies alice");
    let listed = api.get("/api/notifications/", Some(&alice)).await;
    let id = listed.body["results"][0]["id"].as_str().expect("a notification id").to_owned();

    // Bob sends Alice's notification id, then marks all of his own read.
    let marked = api.post("/api/notifications/read/", Some(&bob), json!({"ids": [id]})).await;
    assert_eq!(marked.status, StatusCode::NO_CONTENT, "{:?}", marked.body);
    let marked_all = api.post("/api/notifications/read/", Some(&bob), json!({})).await;
    assert_eq!(marked_all.status, StatusCode::NO_CONTENT, "{:?}", marked_all.body);

    assert_eq!(unread(alice.clone()).await, Some(1), "alice's notification is still unread");
    let bobs = api.get("/api/notifications/", Some(&bob)).await;
    let ids: Vec<&str> = bobs.body["results"].as_array().expect("results").iter().filter_map(|n| n["id"].as_str()).collect();
    assert!(!ids.contains(&id.as_str()), "bob sees alice's notification: {ids:?}");
}

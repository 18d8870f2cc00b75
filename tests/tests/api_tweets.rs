//! Tweets: create (with content rules and `Idempotency-Key`), get, edit and delete.

use chirp_tests::{Reply, TestApi, assert_error, assert_field_error, ids};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A valid tweet id (a ULID) that no tweet has.
const UNKNOWN_ID: &str = "01ARZ3NDEKTSV4RRFFQ69G5FAV";

async fn create(api: &TestApi, token: &str, content: &str) -> Reply {
    api.post("/api/tweets/", Some(token), json!({"content": content}))
        .await
}

async fn create_with_key(api: &TestApi, token: &str, content: &str, key: &str) -> Reply {
    let builder = api
        .request(Method::POST, "/api/tweets/", Some(token))
        .header("idempotency-key", key)
        .json(&json!({"content": content}));
    chirp_tests::send(builder).await
}

async fn tweets_count(api: &TestApi, username: &str) -> i64 {
    let reply = api.get(&format!("/api/accounts/{username}/"), None).await;
    reply.body["tweets_count"]
        .as_i64()
        .unwrap_or_else(|| panic!("no tweets_count in {:?}", reply.body))
}

fn sorted(value: &Value) -> Vec<String> {
    let mut items: Vec<String> = value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    items.sort();
    items
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_returns_tweet() {
    let api = TestApi::start().await;
    let token = api.user("Alice").await;
    let reply = create(&api, &token, "hello world").await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);

    let tweet = &reply.body;
    assert!(
        tweet["id"].as_str().is_some_and(|id| !id.is_empty()),
        "{tweet:?}"
    );
    assert_eq!(tweet["content"], "hello world", "{tweet:?}");
    assert_eq!(tweet["author"]["username"], "Alice", "{tweet:?}");
    assert_eq!(tweet["author"]["display_name"], "Alice", "{tweet:?}");
    assert_eq!(tweet["author"]["avatar_url"], Value::Null, "{tweet:?}");
    assert!(
        tweet["created_at"]
            .as_str()
            .is_some_and(|at| at.ends_with('Z')),
        "{tweet:?}"
    );
    assert_eq!(tweet["edited_at"], Value::Null, "{tweet:?}");
    assert_eq!(tweet["likes_count"], 0, "{tweet:?}");
    assert_eq!(tweet["liked"], false, "{tweet:?}");
    assert_eq!(tweet["mentions"], json!([]), "{tweet:?}");
    assert_eq!(tweet["hashtags"], json!([]), "{tweet:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_sort_in_creation_order() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let mut created = Vec::new();
    for index in 0..5 {
        created.push(api.tweet(&token, &format!("tweet {index}")).await);
    }
    let mut sorted_ids = created.clone();
    sorted_ids.sort();
    assert_eq!(sorted_ids, created, "ids do not sort in creation order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_requires_token() {
    let api = TestApi::start().await;
    let reply = api
        .post("/api/tweets/", None, json!({"content": "hello"}))
        .await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "not_authenticated");
    assert_eq!(
        reply.header("www-authenticate"),
        Some("Bearer"),
        "{:?}",
        reply.headers
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_tweet_public() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let id = api.tweet(&token, "hello").await;

    let reply = api.get(&format!("/api/tweets/{id}/"), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["id"], id.as_str(), "{:?}", reply.body);
    assert_eq!(reply.body["content"], "hello", "{:?}", reply.body);
    assert_eq!(reply.body["liked"], false, "{:?}", reply.body);

    let without_slash = api.get(&format!("/api/tweets/{id}"), Some(&token)).await;
    assert_eq!(
        without_slash.status,
        StatusCode::OK,
        "{:?}",
        without_slash.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_unknown_tweet() {
    let api = TestApi::start().await;
    for id in [UNKNOWN_ID, "not-an-id", "0"] {
        let reply = api.get(&format!("/api/tweets/{id}/"), None).await;
        assert_error(&reply, StatusCode::NOT_FOUND, "not_found");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_trimmed() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let reply = create(&api, &token, " \n\t hello world \t\n ").await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(reply.body["content"], "hello world", "{:?}", reply.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_stored_nfc() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let reply = create(&api, &token, "cafe\u{301} \u{212b}").await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(
        reply.body["content"], "caf\u{e9} \u{c5}",
        "{:?}",
        reply.body
    );

    let id = reply.body["id"].as_str().unwrap_or_default();
    let stored = api.get(&format!("/api/tweets/{id}/"), None).await;
    assert_eq!(
        stored.body["content"], "caf\u{e9} \u{c5}",
        "{:?}",
        stored.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_length_code_points() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let accepted = [
        ("280 two-byte letters", "é".repeat(280)),
        ("280 emoji outside the BMP", "\u{1f600}".repeat(280)),
        (
            "280 letters with combining accents, 280 after NFC",
            "e\u{301}".repeat(280),
        ),
        (
            "280 letters inside white space",
            format!("  {}  ", "a".repeat(280)),
        ),
        ("one letter", "a".to_owned()),
    ];
    for (case, content) in accepted {
        let reply = create(&api, &token, &content).await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{case}: {:?}",
            reply.body
        );
    }

    let rejected = [
        ("281 letters", "a".repeat(281)),
        ("281 two-byte letters", "é".repeat(281)),
        ("281 emoji", "\u{1f600}".repeat(281)),
    ];
    for (case, content) in rejected {
        let reply = create(&api, &token, &content).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{case}: {:?}",
            reply.body
        );
        assert_field_error(&reply, "content");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_blank_rejected() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    for content in ["", "   ", " \n\t "] {
        let reply = create(&api, &token, content).await;
        assert_field_error(&reply, "content");
    }
    for body in [
        json!({}),
        json!({"content": null}),
        json!({"content": 5}),
        json!({"content": ["a"]}),
    ] {
        let reply = api.post("/api/tweets/", Some(&token), body).await;
        assert_field_error(&reply, "content");
    }
    assert_eq!(
        tweets_count(&api, "alice").await,
        0,
        "a rejected tweet was counted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_characters_rejected() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    for content in [
        "bell\u{7}",
        "nul\u{0}here",
        "carriage\rreturn",
        "escape\u{1b}[0m",
        "delete\u{7f}",
        "c1\u{85}next line",
    ] {
        let reply = create(&api, &token, content).await;
        assert_field_error(&reply, "content");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newline_and_tab_kept() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let reply = create(&api, &token, "line one\nline\ttwo").await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(
        reply.body["content"], "line one\nline\ttwo",
        "{:?}",
        reply.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mentions_and_hashtags() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let reply = create(
        &api,
        &token,
        "hey @bob and @carol, #Rust is #fun #rust #Ünïcode",
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(
        sorted(&reply.body["mentions"]),
        vec!["bob", "carol"],
        "{:?}",
        reply.body
    );
    assert_eq!(
        sorted(&reply.body["hashtags"]),
        vec!["fun", "rust", "ünïcode"],
        "{:?}",
        reply.body
    );

    let plain = create(&api, &token, "no tags here").await;
    assert_eq!(plain.body["mentions"], json!([]), "{:?}", plain.body);
    assert_eq!(plain.body["hashtags"], json!([]), "{:?}", plain.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_key_returns_first() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let first = create_with_key(&api, &token, "first", "key-1").await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);

    let repeat = create_with_key(&api, &token, "second", "key-1").await;
    assert!(repeat.status.is_success(), "{:?}", repeat.body);
    assert_eq!(repeat.body["id"], first.body["id"], "{:?}", repeat.body);
    assert_eq!(repeat.body["content"], "first", "{:?}", repeat.body);
    assert_eq!(
        tweets_count(&api, "alice").await,
        1,
        "the repeat was counted"
    );

    let timeline = api.walk("/api/accounts/alice/tweets/", None).await;
    assert_eq!(
        timeline.len(),
        1,
        "the repeat created a tweet: {timeline:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_key_scoped() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    let first = create_with_key(&api, &alice, "from alice", "shared-key").await;
    let other_user = create_with_key(&api, &bob, "from bob", "shared-key").await;
    assert_eq!(
        other_user.status,
        StatusCode::CREATED,
        "{:?}",
        other_user.body
    );
    assert_ne!(
        other_user.body["id"], first.body["id"],
        "a key is shared across users"
    );
    assert_eq!(
        other_user.body["content"], "from bob",
        "{:?}",
        other_user.body
    );

    let other_key = create_with_key(&api, &alice, "again", "another-key").await;
    assert_eq!(
        other_key.status,
        StatusCode::CREATED,
        "{:?}",
        other_key.body
    );
    assert_ne!(
        other_key.body["id"], first.body["id"],
        "a new key returned the old tweet"
    );

    let without_key = create(&api, &alice, "from alice").await;
    assert_ne!(
        without_key.body["id"], first.body["id"],
        "a request without a key returned the old tweet"
    );
    assert_eq!(tweets_count(&api, "alice").await, 3, "tweets of alice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_paths_set_edited_at() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let id = api.tweet(&token, "original").await;
    let cases = [
        (Method::PUT, format!("/api/tweets/{id}/")),
        (Method::PATCH, format!("/api/tweets/{id}/")),
        (Method::PUT, format!("/api/tweets/{id}/update/")),
        (Method::PATCH, format!("/api/tweets/{id}/update")),
    ];
    for (index, (method, path)) in cases.into_iter().enumerate() {
        let content = format!("edit {index} #tag{index} @user{index}");
        let reply = api
            .call(
                method.clone(),
                &path,
                Some(&token),
                Some(json!({"content": content})),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{method} {path}: {:?}",
            reply.body
        );
        assert_eq!(reply.body["id"], id.as_str(), "{:?}", reply.body);
        assert_eq!(reply.body["content"], content.as_str(), "{:?}", reply.body);
        assert!(
            reply.body["edited_at"]
                .as_str()
                .is_some_and(|at| at.ends_with('Z')),
            "{:?}",
            reply.body
        );
        assert_eq!(
            reply.body["hashtags"],
            json!([format!("tag{index}")]),
            "{:?}",
            reply.body
        );
        assert_eq!(
            reply.body["mentions"],
            json!([format!("user{index}")]),
            "{:?}",
            reply.body
        );

        let stored = api.get(&format!("/api/tweets/{id}/"), None).await;
        assert_eq!(
            stored.body["content"],
            content.as_str(),
            "{method} {path} was not stored: {:?}",
            stored.body
        );
    }
    assert_eq!(
        tweets_count(&api, "alice").await,
        1,
        "an edit changed the count"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_visible_in_lists() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let id = api.tweet(&token, "original").await;
    let reply = api
        .patch(
            &format!("/api/tweets/{id}/"),
            Some(&token),
            json!({"content": "edited"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);

    for path in ["/api/tweets/", "/api/accounts/alice/tweets/"] {
        let items = api.walk(path, None).await;
        assert_eq!(ids(&items), vec![id.clone()], "{path}: {items:?}");
        assert_eq!(items[0]["content"], "edited", "{path}: {items:?}");
        assert!(items[0]["edited_at"].is_string(), "{path}: {items:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_content_rules() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let id = api.tweet(&token, "original").await;
    let path = format!("/api/tweets/{id}/");

    let trimmed = api
        .patch(&path, Some(&token), json!({"content": "  cafe\u{301}  "}))
        .await;
    assert_eq!(trimmed.status, StatusCode::OK, "{:?}", trimmed.body);
    assert_eq!(trimmed.body["content"], "caf\u{e9}", "{:?}", trimmed.body);

    for body in [
        json!({"content": ""}),
        json!({"content": "a".repeat(281)}),
        json!({"content": "a\u{7}"}),
        json!({}),
    ] {
        let reply = api.put(&path, Some(&token), body).await;
        assert_field_error(&reply, "content");
    }
    let stored = api.get(&path, None).await;
    assert_eq!(
        stored.body["content"], "caf\u{e9}",
        "a rejected edit was stored: {:?}",
        stored.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_other_user_forbidden() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    let id = api.tweet(&alice, "mine").await;

    for path in [
        format!("/api/tweets/{id}/"),
        format!("/api/tweets/{id}/update/"),
    ] {
        let reply = api
            .put(&path, Some(&bob), json!({"content": "yours now"}))
            .await;
        assert_error(&reply, StatusCode::FORBIDDEN, "permission_denied");
    }
    let stored = api.get(&format!("/api/tweets/{id}/"), None).await;
    assert_eq!(stored.body["content"], "mine", "{:?}", stored.body);
    assert_eq!(stored.body["edited_at"], Value::Null, "{:?}", stored.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_other_user_forbidden() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    let id = api.tweet(&alice, "mine").await;

    for path in [
        format!("/api/tweets/{id}/"),
        format!("/api/tweets/{id}/delete/"),
    ] {
        let reply = api.delete(&path, Some(&bob)).await;
        assert_error(&reply, StatusCode::FORBIDDEN, "permission_denied");
    }
    let stored = api.get(&format!("/api/tweets/{id}/"), None).await;
    assert_eq!(stored.status, StatusCode::OK, "{:?}", stored.body);
    assert_eq!(tweets_count(&api, "alice").await, 1, "tweets of alice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_or_delete_unknown() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let paths = [
        (Method::PUT, format!("/api/tweets/{UNKNOWN_ID}/")),
        (Method::PATCH, format!("/api/tweets/{UNKNOWN_ID}/update/")),
        (Method::DELETE, format!("/api/tweets/{UNKNOWN_ID}/")),
        (Method::DELETE, format!("/api/tweets/{UNKNOWN_ID}/delete/")),
        (Method::DELETE, "/api/tweets/not-an-id/".to_owned()),
    ];
    for (method, path) in paths {
        let body = (method != Method::DELETE).then(|| json!({"content": "x"}));
        let reply = api.call(method, &path, Some(&token), body).await;
        assert_error(&reply, StatusCode::NOT_FOUND, "not_found");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_and_delete_require_token() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let id = api.tweet(&token, "mine").await;

    let edit = api
        .put(&format!("/api/tweets/{id}/"), None, json!({"content": "x"}))
        .await;
    assert_error(&edit, StatusCode::UNAUTHORIZED, "not_authenticated");
    let delete = api.delete(&format!("/api/tweets/{id}/delete/"), None).await;
    assert_error(&delete, StatusCode::UNAUTHORIZED, "not_authenticated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_both_paths() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let remaining = api.tweet(&token, "remaining").await;

    for suffix in ["", "delete/"] {
        let id = api.tweet(&token, "to delete").await;
        let reply = api
            .delete(&format!("/api/tweets/{id}/{suffix}"), Some(&token))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::NO_CONTENT,
            "DELETE /{suffix}: {:?}",
            reply.body
        );

        let lookup = api.get(&format!("/api/tweets/{id}/"), None).await;
        assert_error(&lookup, StatusCode::NOT_FOUND, "not_found");
    }

    for path in ["/api/tweets/", "/api/accounts/alice/tweets/"] {
        let items = api.walk(path, None).await;
        assert_eq!(ids(&items), vec![remaining.clone()], "{path}: {items:?}");
    }
    assert_eq!(tweets_count(&api, "alice").await, 1, "tweets of alice");
}

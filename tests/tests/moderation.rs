//! Roles and moderation through HTTP: each role's allowed and refused actions on every
//! moderation endpoint, suspension hiding an account everywhere and reinstatement bringing it
//! back, and the audit log.

use std::sync::Arc;

use chirp_shared::domain::moderation;
use chirp_shared::permissions::{Actor, Role};
use chirp_shared::store::Store;
use chirp_tests::{Reply, TestApi, assert_error, ids};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// `root` (admin), `moder` (moderator), `moder2` (moderator), `alice` and `bob` (users). Roles
/// are set with an admin's token over HTTP, except the first admin, which an operator makes.
struct Scene {
    api: TestApi,
    root: String,
    moder: String,
    alice: String,
    bob: String,
}

async fn scene() -> Scene {
    let api = TestApi::start().await;
    let root = api.user("root").await;
    let moder = api.user("moder").await;
    api.user("moder2").await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;

    let store: Arc<dyn Store> = api.server.as_ref().expect("the server runs").store.clone();
    moderation::set_role(&store, &Actor::Operator, "root", Role::Admin, "first admin")
        .await
        .expect("the operator makes the first admin");
    for name in ["moder", "moder2"] {
        let reply = set_role(&api, &root, name, "moderator").await;
        assert_eq!(reply.status, StatusCode::OK, "promoting {name}: {:?}", reply.body);
    }
    Scene { api, root, moder, alice, bob }
}

async fn set_role(api: &TestApi, token: &str, username: &str, role: &str) -> Reply {
    api.put(&format!("/api/moderation/users/{username}/role/"), Some(token), json!({"role": role})).await
}

async fn suspend(api: &TestApi, token: &str, username: &str) -> Reply {
    api.post(&format!("/api/moderation/users/{username}/suspend/"), Some(token), json!({"reason": "spam"})).await
}

async fn reinstate(api: &TestApi, token: &str, username: &str) -> Reply {
    api.post(&format!("/api/moderation/users/{username}/reinstate/"), Some(token), json!({"reason": "appeal"})).await
}

async fn moderate_delete(api: &TestApi, token: Option<&str>, tweet_id: &str) -> Reply {
    api.call(Method::DELETE, &format!("/api/moderation/tweets/{tweet_id}/"), token, Some(json!({"reason": "abuse"})))
        .await
}

#[tokio::test]
async fn anonymous_caller_rejected() {
    let Scene { api, alice, .. } = scene().await;
    let tweet = api.tweet(&alice, "hello").await;
    assert_error(&moderate_delete(&api, None, &tweet).await, StatusCode::UNAUTHORIZED, "not_authenticated");
    let reply = api.post("/api/moderation/users/alice/suspend/", None, json!({"reason": "x"})).await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "not_authenticated");
    assert_error(&api.get("/api/moderation/audit/", None).await, StatusCode::UNAUTHORIZED, "not_authenticated");
}

#[tokio::test]
async fn user_refused_everywhere() {
    let Scene { api, alice, bob, .. } = scene().await;
    let tweet = api.tweet(&bob, "bob's words").await;
    assert_error(&moderate_delete(&api, Some(&alice), &tweet).await, StatusCode::FORBIDDEN, "permission_denied");
    assert_error(&suspend(&api, &alice, "bob").await, StatusCode::FORBIDDEN, "permission_denied");
    assert_error(&reinstate(&api, &alice, "bob").await, StatusCode::FORBIDDEN, "permission_denied");
    assert_error(&set_role(&api, &alice, "alice", "admin").await, StatusCode::FORBIDDEN, "permission_denied");
    assert_error(&api.get("/api/moderation/audit/", Some(&alice)).await, StatusCode::FORBIDDEN, "permission_denied");
    // A user still deletes their own tweet through the tweets endpoint.
    let own = api.tweet(&alice, "mine").await;
    assert_eq!(api.delete(&format!("/api/tweets/{own}/"), Some(&alice)).await.status, StatusCode::NO_CONTENT);
    assert_eq!(api.get(&format!("/api/tweets/{tweet}/"), None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn moderator_deletes_any_tweet() {
    let Scene { api, moder, bob, .. } = scene().await;
    let tweet = api.tweet(&bob, "something rude").await;
    assert_eq!(moderate_delete(&api, Some(&moder), &tweet).await.status, StatusCode::NO_CONTENT);
    assert_error(&api.get(&format!("/api/tweets/{tweet}/"), None).await, StatusCode::NOT_FOUND, "not_found");
    assert_error(&moderate_delete(&api, Some(&moder), &tweet).await, StatusCode::NOT_FOUND, "not_found");
    let profile = api.get("/api/accounts/bob/", None).await;
    assert_eq!(profile.body["tweets_count"], 0);
}

#[tokio::test]
async fn moderator_suspends_users_only() {
    let Scene { api, moder, .. } = scene().await;
    let reply = suspend(&api, &moder, "bob").await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body, json!({"username": "bob", "role": "user", "suspended": true}));
    assert_eq!(reinstate(&api, &moder, "bob").await.status, StatusCode::OK);

    assert_error(&suspend(&api, &moder, "moder2").await, StatusCode::FORBIDDEN, "permission_denied");
    assert_error(&suspend(&api, &moder, "root").await, StatusCode::FORBIDDEN, "permission_denied");
    assert_error(&suspend(&api, &moder, "moder").await, StatusCode::FORBIDDEN, "permission_denied");
    assert_error(&set_role(&api, &moder, "bob", "moderator").await, StatusCode::FORBIDDEN, "permission_denied");
    assert_error(&api.get("/api/moderation/audit/", Some(&moder)).await, StatusCode::FORBIDDEN, "permission_denied");
    assert_error(&suspend(&api, &moder, "nobody").await, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn suspension_needs_reason() {
    let Scene { api, moder, .. } = scene().await;
    let reply = api.post("/api/moderation/users/bob/suspend/", Some(&moder), json!({})).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_error");
    assert!(reply.body["errors"]["reason"].is_array(), "{:?}", reply.body);
    let reply = set_role(&api, &moder, "bob", "emperor").await;
    assert_error(&reply, StatusCode::FORBIDDEN, "permission_denied");
}

#[tokio::test]
async fn admin_changes_roles() {
    let Scene { api, root, moder, bob, .. } = scene().await;
    assert_eq!(suspend(&api, &root, "moder2").await.status, StatusCode::OK);
    assert_eq!(reinstate(&api, &root, "moder2").await.status, StatusCode::OK);
    assert_error(&set_role(&api, &root, "bob", "emperor").await, StatusCode::BAD_REQUEST, "validation_error");
    assert_error(&set_role(&api, &root, "root", "user").await, StatusCode::FORBIDDEN, "permission_denied");

    // Promotion applies to bob's existing token at once, through the access marker.
    let bob_tweet = api.tweet(&bob, "to be moderated").await;
    assert_eq!(set_role(&api, &root, "bob", "moderator").await.status, StatusCode::OK);
    let alice_tweet = api.tweet(&api.login("alice").await, "alice speaks").await;
    assert_eq!(moderate_delete(&api, Some(&bob), &alice_tweet).await.status, StatusCode::NO_CONTENT);

    // So does a demotion: the moderator's old token loses its rights.
    assert_eq!(set_role(&api, &root, "moder", "user").await.status, StatusCode::OK);
    assert_error(&moderate_delete(&api, Some(&moder), &bob_tweet).await, StatusCode::FORBIDDEN, "permission_denied");
}

#[tokio::test]
async fn audit_lists_newest_first() {
    let Scene { api, root, moder, bob, .. } = scene().await;
    let tweet = api.tweet(&bob, "gone soon").await;
    moderate_delete(&api, Some(&moder), &tweet).await;
    suspend(&api, &moder, "bob").await;
    reinstate(&api, &moder, "bob").await;

    let entries = api.walk("/api/moderation/audit/?page_size=2", Some(&root)).await;
    let actions: Vec<&str> = entries.iter().map(|e| e["action"].as_str().unwrap_or_default()).collect();
    assert_eq!(actions, ["reinstate", "suspend", "delete_tweet", "set_role", "set_role", "set_role"]);
    let delete = &entries[2];
    assert_eq!(delete["actor"], "moder");
    assert_eq!(delete["target"], Value::String(tweet));
    assert_eq!(delete["reason"], "abuse");
    assert_eq!(entries[1]["reason"], "spam");
    assert_eq!(entries[5]["actor"], "operator");
    assert_eq!(entries[5]["role"], "admin");
    assert!(entries[0]["created_at"].is_string());
}

/// Ids of a list's tweets, walked to its end.
async fn listed(api: &TestApi, path: &str, token: Option<&str>) -> Vec<String> {
    ids(&api.walk(path, token).await)
}

#[tokio::test]
async fn suspension_hides_account_everywhere() {
    let Scene { api, moder, alice, bob, .. } = scene().await;
    api.follow(&alice, "bob").await;
    let tweet = api.tweet(&bob, "zebracorn sighting #wild").await;
    let own = api.tweet(&alice, "alice stays").await;
    api.settle().await;

    let lists: [(&str, Option<&str>); 5] = [
        ("/api/tweets/feed/", Some(&alice)),
        ("/api/tweets/", None),
        ("/api/accounts/bob/tweets/", None),
        ("/api/tweets/search/?q=zebracorn", None),
        ("/api/tweets/search/?q=%23wild", Some(&alice)),
    ];
    for (path, token) in lists {
        assert!(listed(&api, path, token).await.contains(&tweet), "{path} before the suspension");
    }

    assert_eq!(suspend(&api, &moder, "bob").await.status, StatusCode::OK);
    // The existing token stops at once, and a new login is refused with the right password.
    assert_error(&api.get("/api/tweets/feed/", Some(&bob)).await, StatusCode::UNAUTHORIZED, "authentication_failed");
    let login = api.post("/api/accounts/login/", None, json!({"username": "bob", "password": chirp_tests::PASSWORD})).await;
    assert_error(&login, StatusCode::FORBIDDEN, "permission_denied");
    let wrong = api.post("/api/accounts/login/", None, json!({"username": "bob", "password": "not the password"})).await;
    assert_error(&wrong, StatusCode::UNAUTHORIZED, "authentication_failed");

    for (path, token) in lists {
        assert!(!listed(&api, path, token).await.contains(&tweet), "{path} during the suspension");
    }
    assert!(listed(&api, "/api/tweets/feed/", Some(&alice)).await.contains(&own));
    assert_error(&api.get(&format!("/api/tweets/{tweet}/"), None).await, StatusCode::NOT_FOUND, "not_found");

    assert_eq!(reinstate(&api, &moder, "bob").await.status, StatusCode::OK);
    for (path, token) in lists {
        assert!(listed(&api, path, token).await.contains(&tweet), "{path} after reinstatement");
    }
    let bob = api.login("bob").await;
    assert_eq!(api.get("/api/tweets/feed/", Some(&bob)).await.status, StatusCode::OK);
}

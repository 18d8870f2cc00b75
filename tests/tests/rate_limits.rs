//! Rate limits end to end: the `X-RateLimit-*` headers, each bucket's limit, 429 `throttled`
//! with `Retry-After`, and that a client-sent `X-Forwarded-For` does not pick the bucket.
//!
//! Windows are an hour long here, so a window boundary falling inside a test is unlikely.

use chirp_shared::ratelimit::{Limit, RateLimits};
use chirp_tests::{PASSWORD, Reply, TestApi, assert_error, send, suite_rate_limits};
use reqwest::StatusCode;
use serde_json::json;

const HOUR: u32 = 3600;

fn hourly(requests: u32) -> Limit {
    Limit { requests, window_seconds: HOUR }
}

#[track_caller]
fn assert_throttled(reply: &Reply) {
    assert_error(reply, StatusCode::TOO_MANY_REQUESTS, "throttled");
    let retry_after: i64 = reply.header("retry-after").expect("Retry-After").parse().expect("seconds");
    assert!((1..=i64::from(HOUR)).contains(&retry_after), "Retry-After {retry_after}");
    assert_eq!(reply.header("x-ratelimit-remaining"), Some("0"));
}

#[tokio::test]
async fn headers_on_every_response() {
    let api = TestApi::start().await;
    let replies = [
        api.get("/api/health/", None).await,
        api.get("/api/no/such/route/", None).await,
        api.post("/api/accounts/login/", None, json!({"username": "nobody", "password": "x"})).await,
    ];
    for reply in &replies {
        for name in ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"] {
            let value = reply.header(name).unwrap_or_else(|| panic!("{name} missing on {:?}", reply.status));
            assert!(value.parse::<u64>().is_ok(), "{name}: {value}");
        }
    }
}

#[tokio::test]
async fn anonymous_limit_per_ip() {
    let api = TestApi::start_with(RateLimits { anonymous: hourly(3), ..suite_rate_limits() }).await;
    for expected_remaining in ["2", "1", "0"] {
        let reply = api.get("/api/tweets/", None).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header("x-ratelimit-limit"), Some("3"));
        assert_eq!(reply.header("x-ratelimit-remaining"), Some(expected_remaining));
    }
    assert_throttled(&api.get("/api/tweets/", None).await);
    // The client cannot pick another bucket by claiming another address.
    let spoofed = send(api.request(reqwest::Method::GET, "/api/tweets/", None).header("x-forwarded-for", "203.0.113.9")).await;
    assert_throttled(&spoofed);
}

#[tokio::test]
async fn user_limit_per_account() {
    let limits = RateLimits { user: hourly(4), ..suite_rate_limits() };
    let api = TestApi::start_with(limits).await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;

    for _ in 0..4 {
        assert_eq!(api.get("/api/accounts/profile/", Some(&alice)).await.status, StatusCode::OK);
    }
    assert_throttled(&api.get("/api/accounts/profile/", Some(&alice)).await);

    // Bob's bucket and the anonymous bucket of the same address are separate.
    let reply = api.get("/api/accounts/profile/", Some(&bob)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("x-ratelimit-limit"), Some("4"));
    assert_eq!(api.get("/api/tweets/", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn throttled_write_never_runs() {
    let api = TestApi::start_with(RateLimits { user: hourly(2), ..suite_rate_limits() }).await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;

    for text in ["one", "two"] {
        let reply = api.post("/api/tweets/", Some(&alice), json!({"content": text})).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    }
    for _ in 0..2 {
        assert_throttled(&api.post("/api/tweets/", Some(&alice), json!({"content": "three"})).await);
    }
    // Reads are throttled too, though they run beside the count.
    assert_throttled(&api.get("/api/tweets/feed/", Some(&alice)).await);

    let listed = api.get("/api/accounts/alice/tweets/", Some(&bob)).await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    assert_eq!(listed.body["results"].as_array().map(Vec::len), Some(2), "{:?}", listed.body);
}

#[tokio::test]
async fn login_attempts_limited() {
    let api = TestApi::start_with(RateLimits { login: hourly(3), ..suite_rate_limits() }).await;
    api.register("alice", "alice@example.com", PASSWORD).await;
    for _ in 0..3 {
        let reply = api.post("/api/accounts/login/", None, json!({"username": "alice", "password": "wrong password"})).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED, "authentication_failed");
    }
    // Over the limit even the right password is rejected, so guessing stays slow.
    let reply = api.post("/api/accounts/login/", None, json!({"username": "alice", "password": PASSWORD})).await;
    assert_throttled(&reply);
}

#[tokio::test]
async fn registrations_limited() {
    let api = TestApi::start_with(RateLimits { register: hourly(2), ..suite_rate_limits() }).await;
    for name in ["alice", "bob"] {
        let reply = api.register(name, &format!("{name}@example.com"), PASSWORD).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    }
    assert_throttled(&api.register("carol", "carol@example.com", PASSWORD).await);
    // The throttled registration created nothing.
    assert_error(&api.get("/api/accounts/carol/", None).await, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn off_means_no_limit() {
    let api = TestApi::start_with(RateLimits { anonymous: hourly(1), ..RateLimits::off() }).await;
    for _ in 0..3 {
        let reply = api.get("/api/tweets/", None).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header("x-ratelimit-limit"), None);
    }
}

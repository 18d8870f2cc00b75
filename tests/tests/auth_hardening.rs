//! Token and login hardening: every way a forged, stale or revoked token can arrive gets 401,
//! a failed login tells nothing about whether the account exists, and no password, hash,
//! token or secret leaks into a response body or a log line.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chirp_shared::keys;
use chirp_tests::{PASSWORD, TestApi, assert_error};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;

/// The runtime's token secret.
fn secret(api: &TestApi) -> Vec<u8> {
    api.secret()
}

/// Builds a JWT with any header and claims, signed by HMAC-SHA256 with `key` (or unsigned).
fn forge(header: &Value, claims: &Value, key: Option<&[u8]>) -> String {
    let encode = |value: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("JSON"));
    let signing_input = format!("{}.{}", encode(header), encode(claims));
    let signature = match key {
        Some(key) => {
            let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
            mac.update(signing_input.as_bytes());
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        }
        None => String::new(),
    };
    format!("{signing_input}.{signature}")
}

/// The claims of a real token, read without checking it.
fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT has three parts");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON claims")
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_secs() as i64
}

fn hs256() -> Value {
    json!({"alg": "HS256", "typ": "JWT"})
}

/// A registered user's real token and the claims a forged token reuses.
async fn victim(api: &TestApi) -> (String, Value) {
    let token = api.user("alice").await;
    let claims = claims_of(&token);
    (token, claims)
}

#[track_caller]
fn assert_rejected(reply: &chirp_tests::Reply, case: &str) {
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{case}: {:?}", reply.body);
    assert_eq!(reply.body["code"], "authentication_failed", "{case}: {:?}", reply.body);
}

#[tokio::test]
async fn missing_token_not_authenticated() {
    let api = TestApi::start().await;
    let reply = api.get("/api/accounts/profile/", None).await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "not_authenticated");
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
}

#[tokio::test]
async fn garbled_tokens_rejected() {
    let api = TestApi::start().await;
    for token in ["garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9..", "....", "%%%.%%%.%%%"] {
        let reply = api.get("/api/accounts/profile/", Some(token)).await;
        assert_rejected(&reply, token);
    }
}

#[tokio::test]
async fn forged_with_real_secret_accepted() {
    // Control for the cases below: the forging itself produces tokens the server accepts.
    let api = TestApi::start().await;
    let (_, claims) = victim(&api).await;
    let token = forge(&hs256(), &claims, Some(&secret(&api)));
    assert_eq!(api.get("/api/accounts/profile/", Some(&token)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn alg_none_rejected() {
    let api = TestApi::start().await;
    let (_, claims) = victim(&api).await;
    for alg in ["none", "None", "NONE"] {
        let token = forge(&json!({"alg": alg, "typ": "JWT"}), &claims, None);
        assert_rejected(&api.get("/api/accounts/profile/", Some(&token)).await, alg);
    }
}

#[tokio::test]
async fn other_key_rejected() {
    let api = TestApi::start().await;
    let (_, claims) = victim(&api).await;
    let token = forge(&hs256(), &claims, Some(&[42u8; 32]));
    assert_rejected(&api.get("/api/accounts/profile/", Some(&token)).await, "other key");
}

#[tokio::test]
async fn rs256_header_on_hmac_rejected() {
    // The classic confusion: a token that names RS256 but is signed with HMAC, keyed by what a
    // confused server would take for the public key.
    let api = TestApi::start().await;
    let (_, claims) = victim(&api).await;
    for alg in ["RS256", "ES256", "HS512", "PS256"] {
        let token = forge(&json!({"alg": alg, "typ": "JWT"}), &claims, Some(&secret(&api)));
        assert_rejected(&api.get("/api/accounts/profile/", Some(&token)).await, alg);
    }
}

#[tokio::test]
async fn expired_token_rejected() {
    let api = TestApi::start().await;
    let (_, mut claims) = victim(&api).await;
    let hour_ago = now() - 3600;
    claims["iat"] = json!(hour_ago - 60);
    claims["nbf"] = json!(hour_ago - 60);
    claims["exp"] = json!(hour_ago);
    let token = forge(&hs256(), &claims, Some(&secret(&api)));
    let reply = api.get("/api/accounts/profile/", Some(&token)).await;
    assert_rejected(&reply, "expired");
    assert_eq!(reply.body["detail"], "Token has expired.");
}

#[tokio::test]
async fn future_token_rejected() {
    let api = TestApi::start().await;
    let (_, mut claims) = victim(&api).await;
    claims["nbf"] = json!(now() + 3600);
    let token = forge(&hs256(), &claims, Some(&secret(&api)));
    let reply = api.get("/api/accounts/profile/", Some(&token)).await;
    assert_rejected(&reply, "not yet valid");
    assert_eq!(reply.body["detail"], "Token is not valid yet.");
}

#[tokio::test]
async fn missing_exp_rejected() {
    let api = TestApi::start().await;
    let (_, mut claims) = victim(&api).await;
    claims.as_object_mut().expect("claims object").remove("exp");
    let token = forge(&hs256(), &claims, Some(&secret(&api)));
    assert_rejected(&api.get("/api/accounts/profile/", Some(&token)).await, "no exp");
}

#[tokio::test]
async fn other_users_session_rejected() {
    // A valid signature cannot move a session to another account.
    let api = TestApi::start().await;
    let (_, mut claims) = victim(&api).await;
    api.user("bob").await;
    claims["sub"] = json!("bob");
    let token = forge(&hs256(), &claims, Some(&secret(&api)));
    assert_rejected(&api.get("/api/accounts/profile/", Some(&token)).await, "session of alice, sub bob");
}

#[tokio::test]
async fn token_after_logout_rejected() {
    let api = TestApi::start().await;
    let (token, _) = victim(&api).await;
    let reply = api.post("/api/accounts/logout/", Some(&token), json!({})).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_rejected(&api.get("/api/accounts/profile/", Some(&token)).await, "after logout");
    // Even public reads reject it, so the client learns at once that it is logged out.
    assert_rejected(&api.get("/api/tweets/", Some(&token)).await, "public read after logout");
}

#[tokio::test]
async fn deleted_session_rejected() {
    let api = TestApi::start().await;
    let (token, claims) = victim(&api).await;
    let session_id = claims["sid"].as_str().expect("a session id");
    let store = &api.server.as_ref().expect("the server runs").store;
    let deleted = store.delete(&keys::session(session_id), None).await.expect("the store deletes");
    assert!(deleted.is_some(), "the session existed");
    assert_rejected(&api.get("/api/accounts/profile/", Some(&token)).await, "deleted session");
}

#[tokio::test]
async fn login_failures_identical() {
    let api = TestApi::start().await;
    api.user("alice").await;
    let unknown = api.post("/api/accounts/login/", None, json!({"username": "mallory", "password": PASSWORD})).await;
    let wrong = api.post("/api/accounts/login/", None, json!({"username": "alice", "password": "wrong password"})).await;
    let invalid_name = api.post("/api/accounts/login/", None, json!({"username": "no such name!", "password": PASSWORD})).await;

    assert_error(&wrong, StatusCode::UNAUTHORIZED, "authentication_failed");
    assert_eq!(unknown.status, wrong.status);
    assert_eq!(unknown.body, wrong.body);
    assert_eq!(invalid_name.body, wrong.body);
    assert_eq!(unknown.header("www-authenticate"), wrong.header("www-authenticate"));
}

/// Texts that must never appear in a response body or a log line.
fn secrets(api: &TestApi, token: &str) -> Vec<(&'static str, String)> {
    vec![
        ("password", PASSWORD.to_owned()),
        ("argon2 hash", "$argon2".to_owned()),
        ("secret", String::from_utf8(secret(api)).expect("a text secret")),
        ("token", token.to_owned()),
    ]
}

#[tokio::test]
async fn responses_leak_no_secret() {
    let api = TestApi::start().await;
    let registered = api.register("alice", "alice@example.com", PASSWORD).await;
    assert_eq!(registered.status, StatusCode::CREATED);
    let login = api.post("/api/accounts/login/", None, json!({"username": "alice", "password": PASSWORD})).await;
    let token = login.body["token"].as_str().expect("a token").to_owned();
    let profile = api.get("/api/accounts/profile/", Some(&token)).await;
    let public = api.get("/api/accounts/alice/", Some(&token)).await;

    for (name, value) in secrets(&api, &token) {
        for (what, body) in [("register", &registered.body), ("profile", &profile.body), ("public profile", &public.body)] {
            assert!(!body.to_string().contains(&value), "{name} in the {what} body: {body}");
        }
        if name != "token" {
            assert!(!login.body.to_string().contains(&value), "{name} in the login body");
        }
    }
    for body in [&registered.body, &login.body["user"], &profile.body] {
        assert!(body.get("password").is_none(), "{body}");
        assert!(body.get("password_hash").is_none(), "{body}");
    }
}

/// Log lines of every test in this file, captured by a global subscriber at debug level.
fn captured_logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || LogWriter(sink.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other subscriber in this test binary");
        logs
    })
    .clone()
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("the log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn logs_leak_no_secret() {
    let logs = captured_logs();
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    api.get("/api/accounts/profile/", Some(&token)).await;
    api.post("/api/accounts/login/", None, json!({"username": "alice", "password": "wrong password"})).await;
    api.get("/api/accounts/profile/", Some("garbage.token.here")).await;
    api.post("/api/accounts/logout/", Some(&token), json!({})).await;
    api.get("/api/accounts/profile/", Some(&token)).await;

    let text = String::from_utf8_lossy(&logs.lock().expect("the log buffer")).into_owned();
    assert!(text.contains("account registered"), "the capture works: {text}");
    for (name, value) in secrets(&api, &token) {
        assert!(!text.contains(&value), "{name} in the logs");
    }
    assert!(!text.contains("wrong password"), "a tried password in the logs");
}

//! Conventions shared by every endpoint: the error body, 400 `parse_error`, 401 with both codes,
//! 404 for unknown routes, 405 with `Allow`, 413 over 64 KiB, 415 for non-JSON bodies, the
//! optional trailing slash and the health check.

use chirp_tests::{Reply, TestApi, assert_error, send};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Largest body the contract accepts: 64 KiB.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// Encodes bytes as unpadded base64url (RFC 4648, section 5), as JWT segments are.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let group = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for index in 0..=chunk.len() {
            out.push(ALPHABET[((group >> (18 - 6 * index)) & 63) as usize] as char);
        }
    }
    out
}

/// Returns the claims segment of a JWT, decoded from base64url.
fn claims_of(token: &str) -> Value {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let segment = token.split('.').nth(1).expect("a JWT has a claims segment");
    let mut bits = 0u32;
    let mut count = 0;
    let mut bytes = Vec::new();
    for c in segment.bytes() {
        let value = ALPHABET
            .iter()
            .position(|&a| a == c)
            .expect("a base64url character") as u32;
        bits = (bits << 6) | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            bytes.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    serde_json::from_slice(&bytes).expect("the claims are JSON")
}

/// Sends a request with a raw body and content type.
async fn raw(
    api: &TestApi,
    method: Method,
    path: &str,
    token: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
) -> Reply {
    let builder = api
        .request(method, path, token)
        .header("content-type", content_type)
        .body(body);
    send(builder).await
}

/// Splits an `Allow` header into its methods.
fn allowed(reply: &Reply) -> Vec<String> {
    let header = reply.header("allow").unwrap_or_default();
    header
        .split(',')
        .map(|method| method.trim().to_owned())
        .filter(|m| !m.is_empty())
        .collect()
}

#[test]
fn base64url_known_answers() {
    // Test vectors of RFC 4648, section 10, and the unsecured JWT header of RFC 7519.
    let cases: [(&[u8], &str); 7] = [
        (b"f", "Zg"),
        (b"fo", "Zm8"),
        (b"foo", "Zm9v"),
        (b"foob", "Zm9vYg"),
        (b"fooba", "Zm9vYmE"),
        (b"foobar", "Zm9vYmFy"),
        (br#"{"alg":"none"}"#, "eyJhbGciOiJub25lIn0"),
    ];
    for (input, expected) in cases {
        assert_eq!(
            base64url(input),
            expected,
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_ok() {
    let api = TestApi::start().await;
    for path in ["/api/health/", "/api/health"] {
        let reply = api.get(path, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {:?}", reply.body);
        assert_eq!(reply.body, json!({"status": "ok"}), "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trailing_slash_optional() {
    let api = TestApi::start().await;
    let body = json!({"username": "alice", "email": "alice@example.com", "password": chirp_tests::PASSWORD});
    let registered = api.post("/api/accounts/register", None, body).await;
    assert_eq!(
        registered.status,
        StatusCode::CREATED,
        "{:?}",
        registered.body
    );

    let token = api.login("alice").await;
    for path in [
        "/api/accounts/profile",
        "/api/accounts/alice",
        "/api/tweets",
        "/api/tweets/feed",
        "/api/accounts/alice/tweets",
    ] {
        let reply = api.get(path, Some(&token)).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {:?}", reply.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_route_not_found() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let paths = [
        "/",
        "/api/",
        "/api/nothing/",
        "/nothing",
        "/api/accounts/alice/unknown/",
        "/api/tweets/a/b/c/",
        "/api/accounts//follow/",
    ];
    for path in paths {
        let reply = api.get(path, Some(&token)).await;
        assert_error(&reply, StatusCode::NOT_FOUND, "not_found");
        assert!(reply.body["detail"].is_string(), "{path}: {:?}", reply.body);
        assert!(
            reply.body.get("errors").is_none(),
            "{path}: errors on a non-validation error: {:?}",
            reply.body
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_method_lists_allowed() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let id = api.tweet(&token, "hello").await;
    let cases = [
        (Method::DELETE, "/api/health/".to_owned(), vec!["GET"]),
        (Method::PUT, "/api/tweets/".to_owned(), vec!["GET", "POST"]),
        (Method::GET, "/api/accounts/login/".to_owned(), vec!["POST"]),
        (
            Method::GET,
            "/api/accounts/register/".to_owned(),
            vec!["POST"],
        ),
        (
            Method::GET,
            "/api/accounts/logout/".to_owned(),
            vec!["POST"],
        ),
        (
            Method::DELETE,
            "/api/accounts/profile/".to_owned(),
            vec!["GET", "PUT", "PATCH"],
        ),
        (
            Method::GET,
            "/api/accounts/profile/update/".to_owned(),
            vec!["PUT", "PATCH"],
        ),
        (Method::POST, "/api/accounts/alice/".to_owned(), vec!["GET"]),
        (
            Method::GET,
            "/api/accounts/alice/follow/".to_owned(),
            vec!["POST", "DELETE"],
        ),
        (
            Method::POST,
            "/api/accounts/alice/unfollow/".to_owned(),
            vec!["DELETE"],
        ),
        (
            Method::PATCH,
            "/api/accounts/alice/followers/".to_owned(),
            vec!["GET"],
        ),
        (Method::POST, "/api/tweets/feed/".to_owned(), vec!["GET"]),
        (
            Method::POST,
            format!("/api/tweets/{id}/"),
            vec!["GET", "PUT", "PATCH", "DELETE"],
        ),
        (
            Method::DELETE,
            format!("/api/tweets/{id}/update/"),
            vec!["PUT", "PATCH"],
        ),
        (
            Method::GET,
            format!("/api/tweets/{id}/delete"),
            vec!["DELETE"],
        ),
        (
            Method::GET,
            format!("/api/tweets/{id}/like/"),
            vec!["POST", "DELETE"],
        ),
        (
            Method::POST,
            format!("/api/tweets/{id}/likes/"),
            vec!["GET"],
        ),
    ];
    for (method, path, expected) in cases {
        let reply = api.call(method.clone(), &path, Some(&token), None).await;
        assert_eq!(
            reply.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}: {:?}",
            reply.body
        );
        assert_eq!(
            reply.body["code"], "method_not_allowed",
            "{method} {path}: {:?}",
            reply.body
        );
        let mut methods = allowed(&reply);
        methods.sort();
        let mut expected: Vec<String> = expected.into_iter().map(str::to_owned).collect();
        expected.sort();
        assert_eq!(methods, expected, "Allow of {method} {path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_over_limit() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let content = "a".repeat(MAX_BODY_BYTES);
    let body = serde_json::to_vec(&json!({"content": content})).expect("JSON");
    assert!(
        body.len() > MAX_BODY_BYTES,
        "the body is not over the limit"
    );

    for (path, token) in [
        ("/api/tweets/", Some(token.as_str())),
        ("/api/accounts/register/", None),
    ] {
        let reply = raw(
            &api,
            Method::POST,
            path,
            token,
            "application/json",
            body.clone(),
        )
        .await;
        assert_error(&reply, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    }
    let profile = api.get("/api/accounts/alice/", None).await;
    assert_eq!(
        profile.body["tweets_count"], 0,
        "an oversized tweet was stored: {:?}",
        profile.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_at_limit_accepted() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    // Pads a valid request with white space to exactly 64 KiB: it is read, then the tweet is
    // created, so the limit is not hit early.
    let mut body = serde_json::to_vec(&json!({"content": "at the limit"})).expect("JSON");
    body.resize(MAX_BODY_BYTES, b' ');
    let reply = raw(
        &api,
        Method::POST,
        "/api/tweets/",
        Some(&token),
        "application/json",
        body,
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);

    let mut over = serde_json::to_vec(&json!({"content": "over the limit"})).expect("JSON");
    over.resize(MAX_BODY_BYTES + 1, b' ');
    let reply = raw(
        &api,
        Method::POST,
        "/api/tweets/",
        Some(&token),
        "application/json",
        over,
    )
    .await;
    assert_error(&reply, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_json_media_type() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let id = api.tweet(&token, "hello").await;
    let cases = [
        (
            Method::POST,
            "/api/tweets/".to_owned(),
            Some(token.as_str()),
            r#"{"content": "hi"}"#,
        ),
        (
            Method::PUT,
            format!("/api/tweets/{id}/"),
            Some(token.as_str()),
            r#"{"content": "hi"}"#,
        ),
        (
            Method::PATCH,
            "/api/accounts/profile/update/".to_owned(),
            Some(token.as_str()),
            r#"{"bio": "hi"}"#,
        ),
        (
            Method::POST,
            "/api/accounts/register/".to_owned(),
            None,
            r#"{"username": "bob"}"#,
        ),
        (
            Method::POST,
            "/api/accounts/login/".to_owned(),
            None,
            r#"{"username": "alice"}"#,
        ),
    ];
    for (method, path, token, body) in cases {
        for content_type in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "text/plain; charset=utf-8",
        ] {
            let reply = raw(
                &api,
                method.clone(),
                &path,
                token,
                content_type,
                body.as_bytes().to_vec(),
            )
            .await;
            assert_eq!(
                reply.status,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "{method} {path} as {content_type}: {:?}",
                reply.body
            );
            assert_eq!(
                reply.body["code"], "unsupported_media_type",
                "{:?}",
                reply.body
            );
        }
    }
    let stored = api.get(&format!("/api/tweets/{id}/"), None).await;
    assert_eq!(
        stored.body["content"], "hello",
        "a rejected edit was stored: {:?}",
        stored.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_with_charset_accepted() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let body = r#"{"content": "hello"}"#.as_bytes().to_vec();
    let reply = raw(
        &api,
        Method::POST,
        "/api/tweets/",
        Some(&token),
        "application/json; charset=utf-8",
        body,
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_parse_error() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let bodies: [&[u8]; 5] = [
        b"{\"content\": ",
        b"{content: 'x'}",
        b"not json",
        b"{\"content\": \"a\"} trailing",
        b"{\"content\": \"\xff\xfe\"}",
    ];
    for body in bodies {
        let reply = raw(
            &api,
            Method::POST,
            "/api/tweets/",
            Some(&token),
            "application/json",
            body.to_vec(),
        )
        .await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "parse_error");
        assert!(
            reply.body.get("errors").is_none(),
            "errors on a parse error: {:?}",
            reply.body
        );
    }
    for (path, body) in [
        ("/api/accounts/register/", b"{" as &[u8]),
        ("/api/accounts/login/", b"["),
    ] {
        let reply = raw(
            &api,
            Method::POST,
            path,
            None,
            "application/json",
            body.to_vec(),
        )
        .await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "parse_error");
    }
    let profile = api.get("/api/accounts/alice/", None).await;
    assert_eq!(
        profile.body["tweets_count"], 0,
        "a malformed request made a tweet: {:?}",
        profile.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_object_json_rejected() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    for body in ["[]", "\"hello\"", "42", "null"] {
        let reply = raw(
            &api,
            Method::POST,
            "/api/tweets/",
            Some(&token),
            "application/json",
            body.as_bytes().to_vec(),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {:?}",
            reply.body
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_error_shape() {
    let api = TestApi::start().await;
    let reply = api
        .post(
            "/api/accounts/register/",
            None,
            json!({"username": "bad name", "email": "x", "password": "short"}),
        )
        .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "validation_error");
    assert!(reply.body["detail"].is_string(), "{:?}", reply.body);
    let errors = reply.body["errors"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    assert_eq!(errors.len(), 3, "one entry per bad field: {:?}", reply.body);
    for (field, messages) in &errors {
        let all_text = messages
            .as_array()
            .is_some_and(|m| !m.is_empty() && m.iter().all(Value::is_string));
        assert!(
            all_text,
            "errors.{field} is not a list of messages: {:?}",
            reply.body
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_token_not_authenticated() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let id = api.tweet(&token, "hello").await;
    let cases = [
        (Method::GET, "/api/accounts/profile/".to_owned()),
        (Method::PATCH, "/api/accounts/profile/update/".to_owned()),
        (Method::POST, "/api/accounts/logout/".to_owned()),
        (Method::POST, "/api/accounts/alice/follow/".to_owned()),
        (Method::DELETE, "/api/accounts/alice/follow/".to_owned()),
        (Method::POST, "/api/tweets/".to_owned()),
        (Method::PUT, format!("/api/tweets/{id}/")),
        (Method::DELETE, format!("/api/tweets/{id}/delete/")),
        (Method::POST, format!("/api/tweets/{id}/like/")),
        (Method::GET, "/api/tweets/feed/".to_owned()),
    ];
    for (method, path) in cases {
        let reply = api
            .call(method.clone(), &path, None, Some(json!({"content": "x"})))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path}: {:?}",
            reply.body
        );
        assert_eq!(
            reply.body["code"], "not_authenticated",
            "{method} {path}: {:?}",
            reply.body
        );
        assert_eq!(
            reply.header("www-authenticate"),
            Some("Bearer"),
            "{method} {path}: {:?}",
            reply.headers
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbled_token_rejected() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let mut flipped = token.clone().into_bytes();
    let last = flipped.len() - 2;
    flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).expect("ASCII");
    for bad in [
        "garbage",
        "a.b.c",
        "eyJhbGciOiJIUzI1NiJ9.e30.",
        flipped.as_str(),
        &token[..token.len() - 5],
    ] {
        let reply = api.get("/api/accounts/profile/", Some(bad)).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED, "authentication_failed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_claims_rejected() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    api.user("bob").await;

    // Alice's token with its claims rewritten to name bob and its signature kept.
    let mut claims = claims_of(&alice);
    assert_eq!(
        claims["sub"], "alice",
        "claims of alice's token: {claims:?}"
    );
    claims["sub"] = json!("bob");
    let parts: Vec<&str> = alice.split('.').collect();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        base64url(claims.to_string().as_bytes()),
        parts[2]
    );
    let reply = api.get("/api/accounts/profile/", Some(&forged)).await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "authentication_failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alg_none_token_rejected() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let header = base64url(br#"{"alg":"none","typ":"JWT"}"#);
    let claims = claims_of(&alice);
    assert!(
        claims["exp"].is_i64(),
        "claims of alice's token: {claims:?}"
    );
    let claims = base64url(claims.to_string().as_bytes());
    for unsigned in [format!("{header}.{claims}."), format!("{header}.{claims}")] {
        let reply = api.get("/api/accounts/profile/", Some(&unsigned)).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED, "authentication_failed");
    }
    let still_valid = api.get("/api/accounts/profile/", Some(&alice)).await;
    assert_eq!(
        still_valid.status,
        StatusCode::OK,
        "the real token: {:?}",
        still_valid.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_after_logout_rejected() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let other_session = api.login("alice").await;
    let reply = api
        .call(Method::POST, "/api/accounts/logout/", Some(&token), None)
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{:?}", reply.body);

    let bearer = api
        .post(
            "/api/tweets/",
            Some(&token),
            json!({"content": "after logout"}),
        )
        .await;
    assert_error(&bearer, StatusCode::UNAUTHORIZED, "authentication_failed");
    let drf = send(
        api.request(Method::GET, "/api/accounts/profile/", None)
            .header("authorization", format!("Token {token}")),
    )
    .await;
    assert_error(&drf, StatusCode::UNAUTHORIZED, "authentication_failed");

    let other = api
        .get("/api/accounts/profile/", Some(&other_session))
        .await;
    assert_eq!(
        other.status,
        StatusCode::OK,
        "another session of the same user: {:?}",
        other.body
    );
}

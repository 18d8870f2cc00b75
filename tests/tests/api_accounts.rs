//! Accounts and profiles: registration, login, logout, the own profile and its updates, public
//! profiles and profile timelines.

use chirp_tests::{PASSWORD, TestApi, assert_error, assert_field_error, ids};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const REGISTER: &str = "/api/accounts/register/";
const LOGIN: &str = "/api/accounts/login/";
const LOGOUT: &str = "/api/accounts/logout/";
const PROFILE: &str = "/api/accounts/profile/";
const PROFILE_UPDATE: &str = "/api/accounts/profile/update/";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_returns_own_user() {
    let api = TestApi::start().await;
    let reply = api.register("alice", "alice@example.com", PASSWORD).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);

    let user = &reply.body;
    assert_eq!(user["username"], "alice", "{user:?}");
    assert_eq!(user["email"], "alice@example.com", "{user:?}");
    assert_eq!(user["bio"], "", "{user:?}");
    assert_eq!(user["location"], "", "{user:?}");
    assert_eq!(user["avatar_url"], Value::Null, "{user:?}");
    assert_eq!(user["birth_date"], Value::Null, "{user:?}");
    assert_eq!(user["followers_count"], 0, "{user:?}");
    assert_eq!(user["following_count"], 0, "{user:?}");
    assert_eq!(user["tweets_count"], 0, "{user:?}");
    assert!(
        user["created_at"]
            .as_str()
            .is_some_and(|at| at.ends_with('Z')),
        "{user:?}"
    );
    assert!(
        user.get("password").is_none(),
        "the password is echoed: {user:?}"
    );
    assert!(
        user.get("password_hash").is_none(),
        "the hash is exposed: {user:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_sets_display_name() {
    let api = TestApi::start().await;
    let body = json!({
        "username": "alice",
        "email": "alice@example.com",
        "password": PASSWORD,
        "display_name": "Alice Liddell",
    });
    let reply = api.post(REGISTER, None, body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    assert_eq!(
        reply.body["display_name"], "Alice Liddell",
        "{:?}",
        reply.body
    );

    let too_long = json!({
        "username": "bob",
        "email": "bob@example.com",
        "password": PASSWORD,
        "display_name": "x".repeat(51),
    });
    let reply = api.post(REGISTER, None, too_long).await;
    assert_field_error(&reply, "display_name");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_missing_fields() {
    let api = TestApi::start().await;
    let reply = api.post(REGISTER, None, json!({})).await;
    assert_field_error(&reply, "username");
    assert_field_error(&reply, "email");
    assert_field_error(&reply, "password");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_wrong_field_types() {
    let api = TestApi::start().await;
    let body = json!({"username": 42, "email": ["a@example.com"], "password": true});
    let reply = api.post(REGISTER, None, body).await;
    assert_field_error(&reply, "username");
    assert_field_error(&reply, "email");
    assert_field_error(&reply, "password");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn username_case_insensitive() {
    let api = TestApi::start().await;
    let created = api.register("Alice", "alice@example.com", PASSWORD).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["username"], "Alice", "{:?}", created.body);

    let profile = api.get("/api/accounts/aLICE/", None).await;
    assert_eq!(profile.status, StatusCode::OK, "{:?}", profile.body);
    assert_eq!(
        profile.body["username"], "Alice",
        "displayed as registered: {:?}",
        profile.body
    );

    let upper_case = api.register("ALICE", "other@example.com", PASSWORD).await;
    assert_field_error(&upper_case, "username");

    let token = api.login("alice").await;
    let own = api.get(PROFILE, Some(&token)).await;
    assert_eq!(own.body["username"], "Alice", "{:?}", own.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserved_usernames_rejected() {
    let api = TestApi::start().await;
    for (index, name) in ["register", "Login", "LOGOUT", "profile", "Search"]
        .iter()
        .enumerate()
    {
        let reply = api
            .register(name, &format!("reserved{index}@example.com"), PASSWORD)
            .await;
        assert_field_error(&reply, "username");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn username_format_rules() {
    let api = TestApi::start().await;
    let invalid = [
        "",
        "abcdefghijklmnop",
        "bad-name",
        "has space",
        "ünïcode",
        "dot.name",
    ];
    for (index, name) in invalid.iter().enumerate() {
        let reply = api
            .register(name, &format!("invalid{index}@example.com"), PASSWORD)
            .await;
        assert_field_error(&reply, "username");
    }

    let valid = ["x", "abcdefghijklmno", "Under_Score_9"];
    for (index, name) in valid.iter().enumerate() {
        let reply = api
            .register(name, &format!("valid{index}@example.com"), PASSWORD)
            .await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{name}: {:?}",
            reply.body
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_email_rejected() {
    let api = TestApi::start().await;
    let first = api.register("alice", "alice@example.com", PASSWORD).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);

    let same_case = api.register("alice2", "alice@example.com", PASSWORD).await;
    assert_field_error(&same_case, "email");
    let other_case = api.register("alice3", "ALICE@Example.com", PASSWORD).await;
    assert_field_error(&other_case, "email");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_email_rejected() {
    let api = TestApi::start().await;
    for (index, email) in [
        "",
        "no-at-sign",
        "a@nodot",
        "two@@example.com",
        "sp ace@example.com",
    ]
    .iter()
    .enumerate()
    {
        let reply = api.register(&format!("user{index}"), email, PASSWORD).await;
        assert_field_error(&reply, "email");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_length_bounds() {
    let api = TestApi::start().await;
    // Two-byte characters as well, so a limit counted in bytes would fail.
    let cases = [
        ("p", 7, false),
        ("p", 8, true),
        ("p", 128, true),
        ("p", 129, false),
        ("é", 7, false),
        ("é", 8, true),
        ("é", 128, true),
    ];
    for (letter, length, accepted) in cases {
        let password = letter.repeat(length);
        let username = format!("len{length}{}", letter.len());
        let reply = api
            .register(&username, &format!("{username}@example.com"), &password)
            .await;
        if accepted {
            assert_eq!(
                reply.status,
                StatusCode::CREATED,
                "length {length}: {:?}",
                reply.body
            );
        } else {
            assert_field_error(&reply, "password");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_returns_token() {
    let api = TestApi::start().await;
    api.register("Alice", "alice@example.com", PASSWORD).await;
    let reply = api
        .post(
            LOGIN,
            None,
            json!({"username": "ALICE", "password": PASSWORD}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert!(
        reply.body["token"].as_str().is_some_and(|t| !t.is_empty()),
        "{:?}",
        reply.body
    );
    assert_eq!(reply.body["token_type"], "Bearer", "{:?}", reply.body);
    assert!(
        reply.body["expires_in"].as_i64().is_some_and(|s| s > 0),
        "{:?}",
        reply.body
    );
    assert_eq!(reply.body["user"]["username"], "Alice", "{:?}", reply.body);
    assert_eq!(
        reply.body["user"]["email"], "alice@example.com",
        "{:?}",
        reply.body
    );

    let token = reply.body["token"].as_str().unwrap_or_default();
    let own = api.get(PROFILE, Some(token)).await;
    assert_eq!(
        own.status,
        StatusCode::OK,
        "the new token works: {:?}",
        own.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_failures_look_alike() {
    let api = TestApi::start().await;
    api.register("alice", "alice@example.com", PASSWORD).await;

    let wrong_password = api
        .post(
            LOGIN,
            None,
            json!({"username": "alice", "password": "wrong password"}),
        )
        .await;
    assert_error(
        &wrong_password,
        StatusCode::UNAUTHORIZED,
        "authentication_failed",
    );
    let unknown_user = api
        .post(
            LOGIN,
            None,
            json!({"username": "nobody", "password": PASSWORD}),
        )
        .await;
    assert_error(
        &unknown_user,
        StatusCode::UNAUTHORIZED,
        "authentication_failed",
    );
    assert_eq!(
        wrong_password.body, unknown_user.body,
        "the replies tell the cases apart"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_missing_fields() {
    let api = TestApi::start().await;
    let reply = api.post(LOGIN, None, json!({})).await;
    assert_field_error(&reply, "username");
    assert_field_error(&reply, "password");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_revokes_token() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let reply = api.call(Method::POST, LOGOUT, Some(&token), None).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{:?}", reply.body);

    let after = api.get(PROFILE, Some(&token)).await;
    assert_error(&after, StatusCode::UNAUTHORIZED, "authentication_failed");
    // The feed reads its page beside the session check; the page must not get out.
    let feed = api.get("/api/tweets/feed/", Some(&token)).await;
    assert_error(&feed, StatusCode::UNAUTHORIZED, "authentication_failed");
    let again = api.call(Method::POST, LOGOUT, Some(&token), None).await;
    assert_error(&again, StatusCode::UNAUTHORIZED, "authentication_failed");

    let fresh = api.login("alice").await;
    let own = api.get(PROFILE, Some(&fresh)).await;
    assert_eq!(
        own.status,
        StatusCode::OK,
        "a new login works: {:?}",
        own.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_requires_token() {
    let api = TestApi::start().await;
    let reply = api.call(Method::POST, LOGOUT, None, None).await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "not_authenticated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_profile_shape() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let reply = api.get(PROFILE, Some(&token)).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);

    let user = &reply.body;
    assert_eq!(user["username"], "alice", "{user:?}");
    assert_eq!(user["email"], "alice@example.com", "{user:?}");
    assert_eq!(user["birth_date"], Value::Null, "{user:?}");
    for field in [
        "display_name",
        "bio",
        "location",
        "followers_count",
        "following_count",
        "tweets_count",
        "created_at",
    ] {
        assert!(user.get(field).is_some(), "{field} missing in {user:?}");
    }
    assert!(
        user.get("avatar_url").is_some(),
        "avatar_url missing in {user:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_profile_requires_token() {
    let api = TestApi::start().await;
    let reply = api.get(PROFILE, None).await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "not_authenticated");
    assert_eq!(
        reply.header("www-authenticate"),
        Some("Bearer"),
        "{:?}",
        reply.headers
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drf_token_scheme_accepted() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let builder = api
        .request(Method::GET, PROFILE, None)
        .header("authorization", format!("Token {token}"));
    let reply = chirp_tests::send(builder).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["username"], "alice", "{:?}", reply.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_update_paths() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let cases = [
        (Method::PUT, PROFILE_UPDATE, "put on update"),
        (Method::PATCH, PROFILE_UPDATE, "patch on update"),
        (Method::PUT, PROFILE, "put on profile"),
        (Method::PATCH, PROFILE, "patch on profile"),
    ];
    for (method, path, bio) in cases {
        let reply = api
            .call(
                method.clone(),
                path,
                Some(&token),
                Some(json!({"bio": bio})),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{method} {path}: {:?}",
            reply.body
        );
        assert_eq!(reply.body["bio"], bio, "{method} {path}: {:?}", reply.body);
        assert_eq!(
            reply.body["email"], "alice@example.com",
            "own form: {:?}",
            reply.body
        );

        let stored = api.get(PROFILE, Some(&token)).await;
        assert_eq!(
            stored.body["bio"], bio,
            "{method} {path} was not stored: {:?}",
            stored.body
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_update_all_fields() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let body = json!({
        "display_name": "Alice L.",
        "bio": "Down the rabbit hole.",
        "location": "Wonderland",
        "birth_date": "1990-05-17",
    });
    let reply = api.patch(PROFILE_UPDATE, Some(&token), body).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["display_name"], "Alice L.", "{:?}", reply.body);
    assert_eq!(
        reply.body["bio"], "Down the rabbit hole.",
        "{:?}",
        reply.body
    );
    assert_eq!(reply.body["location"], "Wonderland", "{:?}", reply.body);
    assert_eq!(reply.body["birth_date"], "1990-05-17", "{:?}", reply.body);

    let public = api.get("/api/accounts/alice/", None).await;
    assert_eq!(public.body["display_name"], "Alice L.", "{:?}", public.body);
    assert_eq!(public.body["location"], "Wonderland", "{:?}", public.body);
    assert!(
        public.body.get("birth_date").is_none(),
        "birth_date is public: {:?}",
        public.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_text_limits() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    for (field, max) in [("display_name", 50), ("bio", 160), ("location", 100)] {
        // Two-byte characters, so a limit counted in bytes would fail the first request.
        let at_limit = api
            .patch(
                PROFILE_UPDATE,
                Some(&token),
                json!({ field: "é".repeat(max) }),
            )
            .await;
        assert_eq!(
            at_limit.status,
            StatusCode::OK,
            "{field} of {max}: {:?}",
            at_limit.body
        );

        let over = api
            .patch(
                PROFILE_UPDATE,
                Some(&token),
                json!({ field: "é".repeat(max + 1) }),
            )
            .await;
        assert_field_error(&over, field);
    }

    let stored = api.get(PROFILE, Some(&token)).await;
    assert_eq!(
        stored.body["bio"],
        "é".repeat(160),
        "a rejected update changed the bio: {:?}",
        stored.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_errors_per_field() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let body = json!({
        "display_name": "x".repeat(51),
        "bio": "x".repeat(161),
        "location": "x".repeat(101),
        "birth_date": "yesterday",
    });
    let reply = api.put(PROFILE_UPDATE, Some(&token), body).await;
    for field in ["display_name", "bio", "location", "birth_date"] {
        assert_field_error(&reply, field);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn birth_date_rules() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let own = api.get(PROFILE, Some(&token)).await;
    let today = own.body["created_at"].as_str().unwrap_or_default()[..10].to_owned();

    for date in ["1990-05-17", "1900-01-01", "2000-02-29"] {
        let reply = api
            .patch(PROFILE_UPDATE, Some(&token), json!({"birth_date": date}))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{date}: {:?}", reply.body);
        assert_eq!(reply.body["birth_date"], date, "{:?}", reply.body);
    }

    for date in [
        "1899-12-31",
        "2999-01-01",
        today.as_str(),
        "17/05/1990",
        "1990-02-30",
        "",
    ] {
        let reply = api
            .patch(PROFILE_UPDATE, Some(&token), json!({"birth_date": date}))
            .await;
        assert_field_error(&reply, "birth_date");
    }

    let cleared = api
        .patch(PROFILE_UPDATE, Some(&token), json!({"birth_date": null}))
        .await;
    assert_eq!(cleared.status, StatusCode::OK, "{:?}", cleared.body);
    assert_eq!(
        cleared.body["birth_date"],
        Value::Null,
        "{:?}",
        cleared.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_fields_ignored() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let before = api.get(PROFILE, Some(&token)).await;
    let body = json!({
        "username": "mallory",
        "followers_count": 1000,
        "following_count": 1000,
        "tweets_count": 1000,
        "created_at": "2000-01-01T00:00:00.000Z",
        "avatar_url": "https://example.com/a.png",
        "bio": "changed",
    });
    let reply = api.patch(PROFILE_UPDATE, Some(&token), body).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["bio"], "changed", "{:?}", reply.body);
    for field in [
        "username",
        "followers_count",
        "following_count",
        "tweets_count",
        "created_at",
        "avatar_url",
    ] {
        assert_eq!(
            reply.body[field], before.body[field],
            "{field} changed: {:?}",
            reply.body
        );
    }

    let renamed = api.get("/api/accounts/mallory/", None).await;
    assert_error(&renamed, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_update_requires_token() {
    let api = TestApi::start().await;
    let reply = api.patch(PROFILE_UPDATE, None, json!({"bio": "x"})).await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "not_authenticated");
    let reply = api.put(PROFILE, None, json!({"bio": "x"})).await;
    assert_error(&reply, StatusCode::UNAUTHORIZED, "not_authenticated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_profile_shape() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    api.user("Bob").await;

    let anonymous = api.get("/api/accounts/bob/", None).await;
    assert_eq!(anonymous.status, StatusCode::OK, "{:?}", anonymous.body);
    assert_eq!(anonymous.body["username"], "Bob", "{:?}", anonymous.body);
    assert!(
        anonymous.body.get("email").is_none(),
        "email is public: {:?}",
        anonymous.body
    );
    assert!(
        anonymous.body.get("is_following").is_none(),
        "is_following without a viewer: {:?}",
        anonymous.body
    );

    let before = api.get("/api/accounts/bob", Some(&alice)).await;
    assert_eq!(before.body["is_following"], false, "{:?}", before.body);
    api.follow(&alice, "bob").await;
    let after = api.get("/api/accounts/BOB/", Some(&alice)).await;
    assert_eq!(after.body["is_following"], true, "{:?}", after.body);
    assert_eq!(after.body["followers_count"], 1, "{:?}", after.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_profile_unknown_user() {
    let api = TestApi::start().await;
    let reply = api.get("/api/accounts/nobody/", None).await;
    assert_error(&reply, StatusCode::NOT_FOUND, "not_found");
    let invalid_name = api.get("/api/accounts/not-a-name/", None).await;
    assert_error(&invalid_name, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tweets_count_exact() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let first = api.tweet(&token, "one").await;
    api.tweet(&token, "two").await;
    let profile = api.get("/api/accounts/alice/", None).await;
    assert_eq!(profile.body["tweets_count"], 2, "{:?}", profile.body);

    let deleted = api
        .delete(&format!("/api/tweets/{first}/"), Some(&token))
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{:?}", deleted.body);
    let again = api
        .delete(&format!("/api/tweets/{first}/"), Some(&token))
        .await;
    assert_error(&again, StatusCode::NOT_FOUND, "not_found");
    let profile = api.get("/api/accounts/alice/", None).await;
    assert_eq!(profile.body["tweets_count"], 1, "{:?}", profile.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_timeline_lists_own_tweets() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    let first = api.tweet(&alice, "first").await;
    api.tweet(&bob, "not alice").await;
    let second = api.tweet(&alice, "second").await;

    let reply = api.get("/api/accounts/ALICE/tweets/", None).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let results = reply.body["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(ids(&results), vec![second, first], "{:?}", reply.body);
    assert_eq!(
        results[0]["author"]["username"], "alice",
        "{:?}",
        reply.body
    );
    assert_eq!(results[0]["liked"], false, "{:?}", reply.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_timeline_unknown_user() {
    let api = TestApi::start().await;
    let reply = api.get("/api/accounts/nobody/tweets/", None).await;
    assert_error(&reply, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_survives_restart() {
    let mut api = TestApi::start().await;
    let token = api.user("alice").await;
    let id = api.tweet(&token, "before the restart").await;
    api.restart().await;

    let profile = api.get(PROFILE, Some(&token)).await;
    assert_eq!(profile.status, StatusCode::OK, "{:?}", profile.body);
    let tweet = api.get(&format!("/api/tweets/{id}/"), None).await;
    assert_eq!(tweet.status, StatusCode::OK, "{:?}", tweet.body);

    let later = api.tweet(&token, "after the restart").await;
    api.settle().await;
    for path in [
        "/api/tweets/",
        "/api/tweets/feed/",
        "/api/accounts/alice/tweets/",
    ] {
        let items = api.walk(path, Some(&token)).await;
        assert_eq!(
            ids(&items),
            vec![later.clone(), id.clone()],
            "{path} after a restart"
        );
    }
}

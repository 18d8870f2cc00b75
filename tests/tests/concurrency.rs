//! Concurrent requests: counts stay exact and uniqueness holds when requests race.

use std::collections::HashSet;

use chirp_tests::{PASSWORD, Reply, TestApi, assert_field_error, ids, usernames};
use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::json;

/// Registers `count` users named `<prefix><n>` at once and returns their tokens in order.
async fn users(api: &TestApi, prefix: &str, count: usize) -> Vec<String> {
    join_all((0..count).map(|index| async move { api.user(&format!("{prefix}{index}")).await }))
        .await
}

async fn profile(api: &TestApi, username: &str) -> serde_json::Value {
    let reply = api.get(&format!("/api/accounts/{username}/"), None).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "profile of {username}: {:?}",
        reply.body
    );
    reply.body
}

async fn likes_count(api: &TestApi, id: &str) -> i64 {
    let reply = api.get(&format!("/api/tweets/{id}/"), None).await;
    reply.body["likes_count"]
        .as_i64()
        .unwrap_or_else(|| panic!("no likes_count in {:?}", reply.body))
}

fn count_status(replies: &[Reply], status: StatusCode) -> usize {
    replies
        .iter()
        .filter(|reply| reply.status == status)
        .count()
}

fn statuses(replies: &[Reply]) -> Vec<u16> {
    replies.iter().map(|reply| reply.status.as_u16()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_users_like_at_once() {
    let api = TestApi::start().await;
    let author = api.user("author").await;
    let id = api.tweet(&author, "like me, everyone").await;
    let likers = users(&api, "fan", 20).await;

    let path = format!("/api/tweets/{id}/like/");
    let replies = join_all(
        likers
            .iter()
            .map(|token| api.post(&path, Some(token), json!({}))),
    )
    .await;
    assert_eq!(
        count_status(&replies, StatusCode::CREATED),
        20,
        "statuses {:?}",
        statuses(&replies)
    );
    assert_eq!(
        likes_count(&api, &id).await,
        20,
        "likes after 20 concurrent likes"
    );

    let listed = api
        .walk(&format!("/api/tweets/{id}/likes/?page_size=7"), None)
        .await;
    let names: HashSet<String> = usernames(&listed).into_iter().collect();
    assert_eq!(listed.len(), 20, "likers listed: {:?}", usernames(&listed));
    assert_eq!(
        names.len(),
        20,
        "a liker is listed twice: {:?}",
        usernames(&listed)
    );

    api.settle().await;
    let popular = api.get("/api/tweets/?ordering=-likes_count", None).await;
    assert_eq!(
        popular.body["results"][0]["likes_count"], 20,
        "{:?}",
        popular.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_user_likes_twice_at_once() {
    let api = TestApi::start().await;
    let author = api.user("author").await;
    let fan = api.user("fan").await;
    let id = api.tweet(&author, "like me once").await;

    let path = format!("/api/tweets/{id}/like/");
    let replies = join_all((0..2).map(|_| api.post(&path, Some(&fan), json!({})))).await;
    assert_eq!(
        count_status(&replies, StatusCode::CREATED),
        1,
        "statuses {:?}",
        statuses(&replies)
    );
    assert_eq!(
        count_status(&replies, StatusCode::OK),
        1,
        "statuses {:?}",
        statuses(&replies)
    );
    assert_eq!(
        likes_count(&api, &id).await,
        1,
        "likes after a concurrent double like"
    );

    let many = join_all((0..8).map(|_| api.post(&path, Some(&fan), json!({})))).await;
    assert_eq!(
        count_status(&many, StatusCode::OK),
        8,
        "statuses {:?}",
        statuses(&many)
    );
    assert_eq!(
        likes_count(&api, &id).await,
        1,
        "likes after eight more concurrent likes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_user_unlikes_twice_at_once() {
    let api = TestApi::start().await;
    let author = api.user("author").await;
    let fan = api.user("fan").await;
    let other = api.user("other").await;
    let id = api.tweet(&author, "like me").await;
    let path = format!("/api/tweets/{id}/like/");
    api.post(&path, Some(&fan), json!({})).await;
    api.post(&path, Some(&other), json!({})).await;

    let replies = join_all((0..2).map(|_| api.delete(&path, Some(&fan)))).await;
    assert_eq!(
        count_status(&replies, StatusCode::NO_CONTENT),
        2,
        "statuses {:?}",
        statuses(&replies)
    );
    assert_eq!(
        likes_count(&api, &id).await,
        1,
        "likes after a concurrent double unlike"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn likes_and_unlikes_interleaved() {
    let api = TestApi::start().await;
    let author = api.user("author").await;
    let id = api.tweet(&author, "busy tweet").await;
    let fans = users(&api, "fan", 10).await;
    let path = format!("/api/tweets/{id}/like/");
    for token in &fans[..5] {
        api.post(&path, Some(token), json!({})).await;
    }

    // The first five unlike while the last five like, each twice.
    let requests = fans.iter().enumerate().flat_map(|(index, token)| {
        let method = if index < 5 {
            Method::DELETE
        } else {
            Method::POST
        };
        let (api, path) = (&api, &path);
        (0..2).map(move |_| {
            let method = method.clone();
            async move { api.call(method, path, Some(token), None).await }
        })
    });
    let replies = join_all(requests).await;
    assert!(
        replies.iter().all(|reply| reply.status.is_success()),
        "statuses {:?}",
        statuses(&replies)
    );
    assert_eq!(likes_count(&api, &id).await, 5, "likes after the swap");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_unfollows_at_once() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    api.user("bob").await;
    api.follow(&alice, "bob").await;

    let paths = ["/api/accounts/bob/unfollow/", "/api/accounts/bob/follow/"];
    let replies = join_all(paths.iter().map(|path| api.delete(path, Some(&alice)))).await;
    assert_eq!(
        count_status(&replies, StatusCode::NO_CONTENT),
        2,
        "statuses {:?}",
        statuses(&replies)
    );

    let bob = profile(&api, "bob").await;
    assert_eq!(bob["followers_count"], 0, "{bob:?}");
    let alice_profile = profile(&api, "alice").await;
    assert_eq!(alice_profile["following_count"], 0, "{alice_profile:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_follows_at_once() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    api.user("bob").await;

    let replies =
        join_all((0..2).map(|_| api.post("/api/accounts/bob/follow/", Some(&alice), json!({}))))
            .await;
    assert_eq!(
        count_status(&replies, StatusCode::CREATED),
        1,
        "statuses {:?}",
        statuses(&replies)
    );
    assert_eq!(
        count_status(&replies, StatusCode::OK),
        1,
        "statuses {:?}",
        statuses(&replies)
    );

    let bob = profile(&api, "bob").await;
    assert_eq!(bob["followers_count"], 1, "{bob:?}");
    let alice_profile = profile(&api, "alice").await;
    assert_eq!(alice_profile["following_count"], 1, "{alice_profile:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_follow_at_once() {
    let api = TestApi::start().await;
    let star = api.user("star").await;
    let fans = users(&api, "fan", 15).await;

    let replies = join_all(
        fans.iter()
            .map(|token| api.post("/api/accounts/star/follow/", Some(token), json!({}))),
    )
    .await;
    assert_eq!(
        count_status(&replies, StatusCode::CREATED),
        15,
        "statuses {:?}",
        statuses(&replies)
    );
    let profile_of_star = profile(&api, "star").await;
    assert_eq!(
        profile_of_star["followers_count"], 15,
        "{profile_of_star:?}"
    );

    // Every follower gets the star's next tweet in the feed.
    let id = api.tweet(&star, "hello fans").await;
    api.settle().await;
    for (index, token) in fans.iter().enumerate() {
        let feed = api.walk("/api/tweets/feed/", Some(token)).await;
        assert_eq!(ids(&feed), vec![id.clone()], "feed of fan{index}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_username_registered_at_once() {
    let api = TestApi::start().await;
    for round in 0..3 {
        let name = format!("race{round}");
        let variants = [name.clone(), name.to_uppercase()];
        let replies = join_all(variants.iter().enumerate().map(|(index, username)| {
            let email = format!("{name}-{index}@example.com");
            let api = &api;
            async move { api.register(username, &email, PASSWORD).await }
        }))
        .await;
        assert_eq!(
            count_status(&replies, StatusCode::CREATED),
            1,
            "round {round}: statuses {:?}",
            statuses(&replies)
        );
        let rejected = replies
            .iter()
            .find(|reply| reply.status != StatusCode::CREATED)
            .expect("one reply was rejected");
        assert_field_error(rejected, "username");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_email_registered_at_once() {
    let api = TestApi::start().await;
    let replies = join_all(
        ["first", "second"]
            .iter()
            .map(|name| api.register(name, "shared@example.com", PASSWORD)),
    )
    .await;
    assert_eq!(
        count_status(&replies, StatusCode::CREATED),
        1,
        "statuses {:?}",
        statuses(&replies)
    );
    let rejected = replies
        .iter()
        .find(|reply| reply.status != StatusCode::CREATED)
        .expect("one reply was rejected");
    assert_field_error(rejected, "email");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_posts_at_once() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let requests = (0..6).map(|index| {
        let builder = api
            .request(Method::POST, "/api/tweets/", Some(&token))
            .header("idempotency-key", "one-tweet")
            .json(&json!({"content": format!("attempt {index}")}));
        chirp_tests::send(builder)
    });
    let replies = join_all(requests).await;
    assert!(
        replies.iter().all(|reply| reply.status.is_success()),
        "statuses {:?}",
        statuses(&replies)
    );
    let distinct: HashSet<&str> = replies
        .iter()
        .filter_map(|reply| reply.body["id"].as_str())
        .collect();
    assert_eq!(distinct.len(), 1, "ids {distinct:?}");
    let alice = profile(&api, "alice").await;
    assert_eq!(alice["tweets_count"], 1, "{alice:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_tweets_counted() {
    let api = TestApi::start().await;
    let token = api.user("alice").await;
    let created = join_all((0..20).map(|index| {
        let (api, token) = (&api, &token);
        async move { api.tweet(token, &format!("tweet {index}")).await }
    }))
    .await;

    let alice = profile(&api, "alice").await;
    assert_eq!(alice["tweets_count"], 20, "{alice:?}");
    let mut listed = ids(&api
        .walk("/api/accounts/alice/tweets/?page_size=6", None)
        .await);
    listed.sort();
    let mut expected = created;
    expected.sort();
    assert_eq!(listed, expected, "profile timeline after concurrent tweets");
}

//! `GET /api/tweets/`: the filters `user`, `created_after`, `created_before` and `min_likes`, the
//! four orderings, and the 400 replies to malformed values.

use std::time::Duration;

use chirp_tests::{TestApi, assert_field_error, ids};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A tweet as the tests need it: its id and creation time.
struct Posted {
    id: String,
    created_at: String,
}

/// Posts tweets one after another, each in a later millisecond than the one before, so time
/// filters can tell them apart.
async fn post_spaced(api: &TestApi, token: &str, count: usize) -> Vec<Posted> {
    let mut posted = Vec::new();
    for index in 0..count {
        let reply = api
            .post(
                "/api/tweets/",
                Some(token),
                json!({"content": format!("tweet {index}")}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        posted.push(Posted {
            id: reply.body["id"].as_str().expect("an id").to_owned(),
            created_at: reply.body["created_at"]
                .as_str()
                .expect("a created_at")
                .to_owned(),
        });
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    posted
}

/// Ids of `posted` at `indexes`, in the order given.
fn pick(posted: &[Posted], indexes: &[usize]) -> Vec<String> {
    indexes
        .iter()
        .map(|&index| posted[index].id.clone())
        .collect()
}

async fn list(api: &TestApi, query: &str) -> Vec<Value> {
    api.walk(&format!("/api/tweets/?{query}"), None).await
}

/// Gives tweet `id` one like from each of `count` new users.
async fn add_likes(api: &TestApi, id: &str, prefix: &str, count: usize) {
    for index in 0..count {
        let token = api.user(&format!("{prefix}{index}")).await;
        let reply = api
            .post(&format!("/api/tweets/{id}/like/"), Some(&token), json!({}))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_orders_by_time() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    let mut posted = post_spaced(&api, &alice, 2).await;
    posted.extend(post_spaced(&api, &bob, 2).await);

    let newest = pick(&posted, &[3, 2, 1, 0]);
    let default = list(&api, "").await;
    assert_eq!(ids(&default), newest, "default ordering");
    let explicit = list(&api, "ordering=-created_at").await;
    assert_eq!(ids(&explicit), newest, "ordering=-created_at");
    let oldest = list(&api, "ordering=created_at").await;
    assert_eq!(
        ids(&oldest),
        pick(&posted, &[0, 1, 2, 3]),
        "ordering=created_at"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filter_by_user() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("Bob").await;
    let alices = post_spaced(&api, &alice, 2).await;
    let bobs = post_spaced(&api, &bob, 2).await;

    let by_bob = list(&api, "user=bob").await;
    assert_eq!(ids(&by_bob), pick(&bobs, &[1, 0]), "user=bob");
    let by_alice = list(&api, "user=ALICE").await;
    assert_eq!(ids(&by_alice), pick(&alices, &[1, 0]), "user=ALICE");
    let oldest = list(&api, "user=bob&ordering=created_at").await;
    assert_eq!(
        ids(&oldest),
        pick(&bobs, &[0, 1]),
        "user=bob&ordering=created_at"
    );

    let reply = api.get("/api/tweets/?user=nobody", None).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["results"], json!([]), "{:?}", reply.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timestamp_bounds_inclusive() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let posted = post_spaced(&api, &alice, 5).await;
    let (t1, t2, t3) = (
        &posted[1].created_at,
        &posted[2].created_at,
        &posted[3].created_at,
    );

    let after = list(&api, &format!("created_after={t2}")).await;
    assert_eq!(ids(&after), pick(&posted, &[4, 3, 2]), "created_after={t2}");
    let before = list(&api, &format!("created_before={t2}")).await;
    assert_eq!(
        ids(&before),
        pick(&posted, &[2, 1, 0]),
        "created_before={t2}"
    );
    let between = list(&api, &format!("created_after={t1}&created_before={t3}")).await;
    assert_eq!(
        ids(&between),
        pick(&posted, &[3, 2, 1]),
        "between {t1} and {t3}"
    );
    let exact = list(
        &api,
        &format!("created_after={t2}&created_before={t2}&ordering=created_at"),
    )
    .await;
    assert_eq!(ids(&exact), pick(&posted, &[2]), "both bounds {t2}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timestamp_with_offset() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let posted = post_spaced(&api, &alice, 3).await;
    // The same instant as tweet 1, written with an explicit zero offset. `%2B` encodes `+`.
    let with_offset = posted[1].created_at.replace('Z', "%2B00:00");
    let after = list(&api, &format!("created_after={with_offset}")).await;
    assert_eq!(
        ids(&after),
        pick(&posted, &[2, 1]),
        "created_after={with_offset}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn date_bounds_whole_day() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let posted = post_spaced(&api, &alice, 3).await;
    let today = &posted[0].created_at[..10];
    let all = pick(&posted, &[2, 1, 0]);

    let cases = [
        (format!("created_after={today}"), all.clone()),
        (format!("created_before={today}"), all.clone()),
        (format!("created_after={today}&created_before={today}"), all),
        ("created_before=2000-01-01".to_owned(), Vec::new()),
        ("created_after=2999-01-01".to_owned(), Vec::new()),
    ];
    for (query, expected) in cases {
        let items = list(&api, &query).await;
        assert_eq!(ids(&items), expected, "{query}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn min_likes_filter() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let posted = post_spaced(&api, &alice, 3).await;
    add_likes(&api, &posted[0].id, "a", 2).await;
    add_likes(&api, &posted[1].id, "b", 1).await;

    let cases = [
        ("min_likes=0", pick(&posted, &[2, 1, 0])),
        ("min_likes=1", pick(&posted, &[1, 0])),
        ("min_likes=2", pick(&posted, &[0])),
        ("min_likes=3", Vec::new()),
        ("min_likes=1&ordering=created_at", pick(&posted, &[0, 1])),
        ("min_likes=1&user=alice", pick(&posted, &[1, 0])),
    ];
    for (query, expected) in cases {
        let items = list(&api, query).await;
        assert_eq!(ids(&items), expected, "{query}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn likes_orderings() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    let mut posted = post_spaced(&api, &alice, 2).await;
    posted.extend(post_spaced(&api, &bob, 2).await);
    // Likes per tweet: 0 has 2, 1 has 0, 2 has 3, 3 has 1.
    add_likes(&api, &posted[0].id, "a", 2).await;
    add_likes(&api, &posted[2].id, "c", 3).await;
    add_likes(&api, &posted[3].id, "d", 1).await;
    api.settle().await;

    let cases = [
        ("ordering=-likes_count", pick(&posted, &[2, 0, 3, 1])),
        ("ordering=likes_count", pick(&posted, &[1, 3, 0, 2])),
        (
            "ordering=-likes_count&min_likes=1",
            pick(&posted, &[2, 0, 3]),
        ),
        ("ordering=likes_count&min_likes=2", pick(&posted, &[0, 2])),
        ("ordering=-likes_count&user=bob", pick(&posted, &[2, 3])),
        (
            "ordering=-likes_count&page_size=1",
            pick(&posted, &[2, 0, 3, 1]),
        ),
    ];
    for (query, expected) in cases {
        let items = list(&api, query).await;
        assert_eq!(ids(&items), expected, "{query}");
    }

    let counts: Vec<i64> = list(&api, "ordering=-likes_count")
        .await
        .iter()
        .map(|t| t["likes_count"].as_i64().unwrap_or(-1))
        .collect();
    assert_eq!(counts, vec![3, 2, 1, 0], "likes_count fields");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn likes_ordering_follows_unlikes() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let posted = post_spaced(&api, &alice, 2).await;
    add_likes(&api, &posted[0].id, "a", 2).await;
    let carol = api.user("carol").await;
    api.post(
        &format!("/api/tweets/{}/like/", posted[1].id),
        Some(&carol),
        json!({}),
    )
    .await;
    api.settle().await;
    let before = list(&api, "ordering=-likes_count").await;
    assert_eq!(ids(&before), pick(&posted, &[0, 1]), "before the unlikes");

    for index in 0..2 {
        let token = api.login(&format!("a{index}")).await;
        let reply = api
            .delete(&format!("/api/tweets/{}/like/", posted[0].id), Some(&token))
            .await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{:?}", reply.body);
    }
    api.settle().await;
    let after = list(&api, "ordering=-likes_count").await;
    assert_eq!(ids(&after), pick(&posted, &[1, 0]), "after the unlikes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_hold_across_pages() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    let mut alices = Vec::new();
    for index in 0..7 {
        alices.push(api.tweet(&alice, &format!("alice {index}")).await);
        api.tweet(&bob, &format!("bob {index}")).await;
    }
    alices.reverse();

    let walked = list(&api, "user=alice&page_size=2").await;
    assert_eq!(ids(&walked), alices, "user=alice in pages of 2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_filters_rejected() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    api.tweet(&alice, "hello").await;
    let cases = [
        ("ordering=newest", "ordering"),
        ("ordering=likes", "ordering"),
        ("ordering=", "ordering"),
        ("ordering=-id", "ordering"),
        ("created_after=yesterday", "created_after"),
        ("created_after=2024-13-01", "created_after"),
        ("created_after=2024-01-01T25:00:00Z", "created_after"),
        ("created_before=2024-02-30", "created_before"),
        ("created_before=12345", "created_before"),
        ("min_likes=-1", "min_likes"),
        ("min_likes=abc", "min_likes"),
        ("min_likes=1.5", "min_likes"),
        ("min_likes=", "min_likes"),
    ];
    for (query, field) in cases {
        let reply = api.get(&format!("/api/tweets/?{query}"), None).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{query}: {:?}",
            reply.body
        );
        assert_field_error(&reply, field);
    }
}

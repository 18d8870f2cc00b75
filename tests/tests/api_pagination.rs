//! Cursor pagination: `next` and `previous` links and the `Link` header, `page_size` bounds,
//! walks that stay exact while items are added, and `invalid_cursor` for altered or foreign
//! cursors.

use std::collections::HashSet;

use chirp_tests::{Reply, TestApi, assert_error, assert_field_error, cursor_of, ids, usernames};
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::Value;

/// Posts `count` tweets and returns their ids, newest first.
async fn post_many(api: &TestApi, token: &str, count: usize) -> Vec<String> {
    let mut posted = Vec::new();
    for index in 0..count {
        posted.push(api.tweet(token, &format!("tweet {index}")).await);
    }
    posted.reverse();
    posted
}

fn results(reply: &Reply) -> Vec<Value> {
    reply.body["results"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn link(reply: &Reply, name: &str) -> Option<String> {
    reply.body[name].as_str().map(str::to_owned)
}

/// Replaces the cursor of `path` (a path with a query string or an absolute URL) with `cursor`.
fn with_cursor(path: &str, cursor: &str) -> String {
    let separator = if path.contains('?') { '&' } else { '?' };
    format!("{path}{separator}cursor={cursor}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_and_previous_links() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let posted = post_many(&api, &alice, 5).await;

    let first = api.get("/api/tweets/?page_size=2", None).await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    assert_eq!(ids(&results(&first)), posted[..2].to_vec(), "first page");
    assert_eq!(
        first.body["previous"],
        Value::Null,
        "first page: {:?}",
        first.body
    );
    let next = link(&first, "next").unwrap_or_else(|| panic!("no next link: {:?}", first.body));
    assert!(
        next.starts_with(&format!("{}/api/tweets/?", api.base)),
        "next is not an absolute URL: {next}"
    );
    assert!(next.contains("page_size=2"), "next drops page_size: {next}");
    let header = first.header("link").unwrap_or_default().to_owned();
    assert!(
        header.contains(&format!("<{next}>; rel=\"next\"")),
        "Link header: {header:?}"
    );
    assert!(
        !header.contains("rel=\"prev\""),
        "Link header of the first page: {header:?}"
    );

    let second = api.get(&next, None).await;
    assert_eq!(ids(&results(&second)), posted[2..4].to_vec(), "second page");
    let previous =
        link(&second, "previous").unwrap_or_else(|| panic!("no previous link: {:?}", second.body));
    assert!(
        previous.starts_with(&format!("{}/api/tweets/?", api.base)),
        "previous is not absolute: {previous}"
    );
    let header = second.header("link").unwrap_or_default().to_owned();
    assert!(
        header.contains(&format!("<{previous}>; rel=\"prev\"")),
        "Link header: {header:?}"
    );
    assert!(
        header.contains("rel=\"next\""),
        "Link header of the second page: {header:?}"
    );

    let third_url =
        link(&second, "next").unwrap_or_else(|| panic!("no next link: {:?}", second.body));
    let third = api.get(&third_url, None).await;
    assert_eq!(ids(&results(&third)), posted[4..].to_vec(), "third page");
    assert_eq!(
        third.body["next"],
        Value::Null,
        "last page: {:?}",
        third.body
    );
    let header = third.header("link").unwrap_or_default().to_owned();
    assert!(
        !header.contains("rel=\"next\""),
        "Link header of the last page: {header:?}"
    );
    assert!(
        header.contains("rel=\"prev\""),
        "Link header of the last page: {header:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn previous_returns_prior_page() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let posted = post_many(&api, &alice, 7).await;

    let first = api
        .get("/api/accounts/alice/tweets/?page_size=3", None)
        .await;
    let second = api
        .get(&link(&first, "next").expect("a next link"), None)
        .await;
    let third = api
        .get(&link(&second, "next").expect("a next link"), None)
        .await;
    assert_eq!(ids(&results(&third)), posted[6..].to_vec(), "third page");

    let back_to_second = api
        .get(&link(&third, "previous").expect("a previous link"), None)
        .await;
    assert_eq!(
        ids(&results(&back_to_second)),
        posted[3..6].to_vec(),
        "previous of the third page"
    );
    let back_to_first = api
        .get(
            &link(&back_to_second, "previous").expect("a previous link"),
            None,
        )
        .await;
    assert_eq!(
        ids(&results(&back_to_first)),
        posted[..3].to_vec(),
        "previous of the second page"
    );
    assert_eq!(
        back_to_first.body["previous"],
        Value::Null,
        "{:?}",
        back_to_first.body
    );
}

/// Walks `path` forward to its last page, then back through `previous` links, and checks that
/// both walks list the same items in the same order.
async fn assert_walks_agree(api: &TestApi, path: &str, token: Option<&str>) -> Vec<String> {
    let mut forward = Vec::new();
    let mut url = path.to_owned();
    let mut last_page;
    loop {
        let reply = api.get(&url, token).await;
        assert_eq!(reply.status, StatusCode::OK, "GET {url}: {:?}", reply.body);
        last_page = ids(&results(&reply));
        forward.extend(last_page.clone());
        match link(&reply, "next") {
            Some(next) => url = next,
            None => break,
        }
        assert!(forward.len() < 1000, "the walk of {path} did not end");
    }

    let mut backward = last_page;
    let mut reply = api.get(&url, token).await;
    while let Some(previous) = link(&reply, "previous") {
        reply = api.get(&previous, token).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "GET {previous}: {:?}",
            reply.body
        );
        let mut page = ids(&results(&reply));
        page.extend(backward);
        backward = page;
        assert!(
            backward.len() < 1000,
            "the backward walk of {path} did not end"
        );
    }
    assert_eq!(
        backward, forward,
        "{path}: the backward walk differs from the forward walk"
    );
    forward
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn previous_links_on_every_list() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    api.follow(&alice, "bob").await;
    let mut posted = Vec::new();
    for index in 0..7 {
        let token = if index % 2 == 0 { &alice } else { &bob };
        posted.push(api.tweet(token, &format!("tweet {index}")).await);
    }
    // Fan i likes tweets 0 to i, so tweet j has 6 - j likes and no two counts are equal.
    for index in 0..6 {
        let token = api.user(&format!("fan{index}")).await;
        api.follow(&token, "bob").await;
        for id in &posted[..=index] {
            api.post(
                &format!("/api/tweets/{id}/like/"),
                Some(&token),
                serde_json::json!({}),
            )
            .await;
        }
    }
    api.settle().await;
    let newest_first: Vec<String> = posted.iter().rev().cloned().collect();
    let bobs_newest_first: Vec<String> = newest_first
        .iter()
        .filter(|id| posted.iter().skip(1).step_by(2).any(|b| b == *id))
        .cloned()
        .collect();

    let lists = [
        ("/api/tweets/?page_size=2", newest_first.clone()),
        (
            "/api/tweets/?ordering=created_at&page_size=2",
            posted.clone(),
        ),
        (
            "/api/tweets/?ordering=-likes_count&page_size=2",
            posted.clone(),
        ),
        (
            "/api/tweets/?ordering=likes_count&min_likes=1&page_size=2",
            newest_first[1..].to_vec(),
        ),
        ("/api/tweets/?user=bob&page_size=1", bobs_newest_first),
        ("/api/tweets/feed/?page_size=3", newest_first.clone()),
    ];
    for (path, expected) in lists {
        let walked = assert_walks_agree(&api, path, Some(&alice)).await;
        assert_eq!(walked, expected, "{path}");
    }

    let followers = api.walk("/api/accounts/bob/followers/", None).await;
    assert_eq!(followers.len(), 7, "followers of bob: {followers:?}");
    assert_walks_agree(&api, "/api/accounts/bob/followers/?page_size=4", None).await;
    assert_walks_agree(
        &api,
        &format!("/api/tweets/{}/likes/?page_size=2", posted[0]),
        None,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_page_has_no_links() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    post_many(&api, &alice, 3).await;
    let reply = api.get("/api/tweets/", None).await;
    assert_eq!(results(&reply).len(), 3, "{:?}", reply.body);
    assert_eq!(reply.body["next"], Value::Null, "{:?}", reply.body);
    assert_eq!(reply.body["previous"], Value::Null, "{:?}", reply.body);
    assert!(
        reply.header("link").is_none_or(str::is_empty),
        "Link header: {:?}",
        reply.headers
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_size_default_and_cap() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    // Posted concurrently to save time; the order does not matter here.
    let posts = (0..105).map(|index| {
        let api = &api;
        let alice = &alice;
        async move { api.tweet(alice, &format!("tweet {index}")).await }
    });
    join_all(posts).await;

    let cases = [
        ("", 20),
        ("?page_size=1", 1),
        ("?page_size=100", 100),
        ("?page_size=101", 100),
        ("?page_size=1000", 100),
        ("?page_size=99999999999999999999999", 100),
    ];
    for (query, expected) in cases {
        let reply = api.get(&format!("/api/tweets/{query}"), None).await;
        assert_eq!(reply.status, StatusCode::OK, "{query}: {:?}", reply.body);
        assert_eq!(results(&reply).len(), expected, "{query}");
        assert!(reply.body["next"].is_string(), "{query} has no next link");
    }

    let walked = api.walk("/api/tweets/?page_size=1000", None).await;
    assert_eq!(walked.len(), 105, "walk in pages of 100");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_size_invalid() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let id = api.tweet(&alice, "hello").await;
    let lists = [
        "/api/tweets/".to_owned(),
        "/api/tweets/feed/".to_owned(),
        "/api/accounts/alice/tweets/".to_owned(),
        "/api/accounts/alice/followers/".to_owned(),
        "/api/accounts/alice/following/".to_owned(),
        format!("/api/tweets/{id}/likes/"),
    ];
    for list in &lists {
        for value in ["0", "-1", "abc", "", "1.5", "2e3"] {
            let reply = api
                .get(&format!("{list}?page_size={value}"), Some(&alice))
                .await;
            assert_eq!(
                reply.status,
                StatusCode::BAD_REQUEST,
                "{list}?page_size={value}: {:?}",
                reply.body
            );
            assert_field_error(&reply, "page_size");
        }
    }
}

/// Walks `path` page by page, calling `between` after each page, and returns the items seen.
async fn walk_while<F, Fut>(
    api: &TestApi,
    path: &str,
    token: Option<&str>,
    mut between: F,
) -> Vec<Value>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut items = Vec::new();
    let mut url = path.to_owned();
    for page in 0..100 {
        let reply = api.get(&url, token).await;
        assert_eq!(reply.status, StatusCode::OK, "GET {url}: {:?}", reply.body);
        items.extend(results(&reply));
        match link(&reply, "next") {
            Some(next) => url = next,
            None => return items,
        }
        between(page).await;
    }
    panic!("the walk of {path} did not end");
}

fn assert_each_once(seen: &[String], expected: &[String], list: &str) {
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(
        unique.len(),
        seen.len(),
        "{list}: an item came twice in {seen:?}"
    );
    for id in expected {
        assert!(seen.contains(id), "{list}: {id} missing from {seen:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walk_exact_while_posting() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    let posted = post_many(&api, &alice, 9).await;

    let seen = walk_while(&api, "/api/tweets/?page_size=2", None, |page| {
        let (api, bob) = (&api, &bob);
        async move {
            api.tweet(bob, &format!("posted during the walk {page}"))
                .await;
        }
    })
    .await;
    assert_eq!(ids(&seen), posted, "newest first while posting");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walk_oldest_first_while_posting() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let mut posted = post_many(&api, &alice, 9).await;
    posted.reverse();

    let seen = walk_while(
        &api,
        "/api/tweets/?ordering=created_at&page_size=2",
        None,
        |page| {
            let (api, alice) = (&api, &alice);
            async move {
                if page < 6 {
                    api.tweet(alice, &format!("posted during the walk {page}"))
                        .await;
                }
            }
        },
    )
    .await;
    let seen = ids(&seen);
    assert_each_once(&seen, &posted, "oldest first while posting");
    assert_eq!(
        seen[..posted.len()].to_vec(),
        posted,
        "the original tweets come first, in order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walk_timelines_while_posting() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    api.follow(&alice, "bob").await;
    let mut posted = Vec::new();
    let mut alices = Vec::new();
    for index in 0..8 {
        let token = if index % 2 == 0 { &alice } else { &bob };
        let id = api.tweet(token, &format!("tweet {index}")).await;
        if index % 2 == 0 {
            alices.push(id.clone());
        }
        posted.push(id);
    }
    posted.reverse();
    alices.reverse();
    api.settle().await;

    let between = |page: usize| {
        let (api, alice, bob) = (&api, &alice, &bob);
        async move {
            api.tweet(bob, &format!("bob during the walk {page}")).await;
            api.tweet(alice, &format!("alice during the walk {page}"))
                .await;
            api.settle().await;
        }
    };
    let feed = walk_while(&api, "/api/tweets/feed/?page_size=3", Some(&alice), between).await;
    assert_eq!(ids(&feed), posted, "feed while posting");

    // Alice's tweets posted during the feed walk predate the profile walk, so it lists them too.
    // Tweets posted during the profile walk itself are newer than its first page and stay out.
    let start = api
        .get("/api/accounts/alice/tweets/?page_size=100", None)
        .await;
    let expected = ids(&results(&start));
    assert!(
        expected.ends_with(&alices),
        "alice's tweets {alices:?} missing from {expected:?}"
    );
    let timeline = walk_while(
        &api,
        "/api/accounts/alice/tweets/?page_size=2",
        None,
        between,
    )
    .await;
    assert_eq!(ids(&timeline), expected, "profile timeline while posting");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walk_followers_while_following() {
    let api = TestApi::start().await;
    api.user("bob").await;
    let mut followers = Vec::new();
    for index in 0..7 {
        let name = format!("fan{index}");
        let token = api.user(&name).await;
        api.follow(&token, "bob").await;
        followers.push(name);
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    followers.reverse();
    let mut latecomers = Vec::new();
    for index in 0..4 {
        latecomers.push(api.user(&format!("late{index}")).await);
    }

    let seen = walk_while(
        &api,
        "/api/accounts/bob/followers/?page_size=2",
        None,
        |page| {
            let (api, latecomers) = (&api, &latecomers);
            async move {
                if let Some(token) = latecomers.get(page) {
                    api.follow(token, "bob").await;
                }
            }
        },
    )
    .await;
    assert_eq!(usernames(&seen), followers, "followers while others follow");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn altered_cursor_rejected() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    post_many(&api, &alice, 3).await;
    let first = api.get("/api/tweets/?page_size=1", None).await;
    let cursor = cursor_of(&link(&first, "next").expect("a next link"));

    let mut altered = cursor.clone().into_bytes();
    altered[5] = if altered[5] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).expect("ASCII");
    let truncated = cursor[..cursor.len() - 3].to_owned();
    let without_tag = cursor.split('.').next().unwrap_or_default().to_owned();
    let cases = [
        ("altered", altered),
        ("truncated", truncated),
        ("without its tag", without_tag),
        ("garbage", "not-a-cursor".to_owned()),
        ("empty", String::new()),
    ];
    for (case, bad) in cases {
        let reply = api
            .get(&with_cursor("/api/tweets/?page_size=1", &bad), None)
            .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{case} cursor: {:?}",
            reply.body
        );
        assert_error(&reply, StatusCode::BAD_REQUEST, "invalid_cursor");
    }

    let intact = api
        .get(&with_cursor("/api/tweets/?page_size=1", &cursor), None)
        .await;
    assert_eq!(
        intact.status,
        StatusCode::OK,
        "the intact cursor: {:?}",
        intact.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_cursor_rejected() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    for name in ["carol", "dave", "erin"] {
        let token = api.user(name).await;
        api.follow(&token, "alice").await;
        api.follow(&alice, name).await;
    }
    post_many(&api, &alice, 3).await;
    post_many(&api, &bob, 3).await;

    /// A list to take a cursor from and another list it must not work on.
    struct Case {
        description: &'static str,
        source: &'static str,
        target: &'static str,
    }
    let cases = [
        Case {
            description: "followers on following",
            source: "/api/accounts/alice/followers/",
            target: "/api/accounts/alice/following/",
        },
        Case {
            description: "following on followers",
            source: "/api/accounts/alice/following/",
            target: "/api/accounts/alice/followers/",
        },
        Case {
            description: "filtered on unfiltered",
            source: "/api/tweets/?user=alice",
            target: "/api/tweets/",
        },
        Case {
            description: "unfiltered on filtered",
            source: "/api/tweets/",
            target: "/api/tweets/?user=alice",
        },
        Case {
            description: "one ordering on another",
            source: "/api/tweets/?ordering=created_at",
            target: "/api/tweets/",
        },
        Case {
            description: "one profile on another",
            source: "/api/accounts/alice/tweets/",
            target: "/api/accounts/bob/tweets/",
        },
        Case {
            description: "profile timeline on the list",
            source: "/api/accounts/alice/tweets/",
            target: "/api/tweets/",
        },
    ];
    for case in cases {
        let separator = if case.source.contains('?') { '&' } else { '?' };
        let first = api
            .get(&format!("{}{separator}page_size=1", case.source), None)
            .await;
        let next = link(&first, "next")
            .unwrap_or_else(|| panic!("{}: no next link in {:?}", case.description, first.body));
        let cursor = cursor_of(&next);

        let reply = api.get(&with_cursor(case.target, &cursor), None).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{}: {:?}",
            case.description,
            reply.body
        );
        assert_error(&reply, StatusCode::BAD_REQUEST, "invalid_cursor");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feed_cursor_of_other_user() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    api.follow(&bob, "alice").await;
    post_many(&api, &alice, 3).await;
    api.settle().await;

    let alice_page = api.get("/api/tweets/feed/?page_size=1", Some(&alice)).await;
    let cursor = cursor_of(&link(&alice_page, "next").expect("a next link"));

    let own = api
        .get(
            &with_cursor("/api/tweets/feed/?page_size=1", &cursor),
            Some(&alice),
        )
        .await;
    assert_eq!(
        own.status,
        StatusCode::OK,
        "alice's own cursor: {:?}",
        own.body
    );
    let reply = api
        .get(
            &with_cursor("/api/tweets/feed/?page_size=1", &cursor),
            Some(&bob),
        )
        .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, "invalid_cursor");
}

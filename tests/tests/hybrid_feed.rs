//! Hybrid fan-out: an author with more followers than the threshold is not fanned out, and
//! each follower's feed merges its tweets at read time. The runtime here merges authors with
//! more than 2 followers, so a few accounts exercise every case.

use chirp_shared::domain::moderation;
use chirp_shared::keys;
use chirp_shared::permissions::{Actor, Role};
use chirp_shared::store::{Index, ItemExt, Query};
use chirp_tests::{TestApi, ids};
use reqwest::StatusCode;
use serde_json::json;

const FEED: &str = "/api/tweets/feed/";

/// Followers above which an author is merged at read time in these tests.
const THRESHOLD: i64 = 2;

async fn start() -> TestApi {
    TestApi::start_with_celebrity_threshold(THRESHOLD).await
}

/// Tweet ids in `reader`'s stored home timeline, read from the store the runtime uses.
async fn timeline_ids(api: &TestApi, reader: &str) -> Vec<String> {
    let store = &api.server.as_ref().expect("the server runs").store;
    let page = store
        .query(Query::new(Index::Table, keys::timeline_partition(reader)))
        .await
        .expect("the timeline is readable");
    page.items.iter().filter_map(|item| item.string("tweet_id").map(str::to_owned)).collect()
}

/// Walks the feed backward from its last page through the `previous` links.
async fn walk_back(api: &TestApi, path: &str, token: &str) -> Vec<String> {
    let mut url = path.to_owned();
    loop {
        let reply = api.get(&url, Some(token)).await;
        assert_eq!(reply.status, StatusCode::OK, "GET {url}: {:?}", reply.body);
        match reply.body["next"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }
    let mut pages: Vec<Vec<String>> = Vec::new();
    loop {
        let reply = api.get(&url, Some(token)).await;
        assert_eq!(reply.status, StatusCode::OK, "GET {url}: {:?}", reply.body);
        pages.push(ids(reply.body["results"].as_array().expect("results")));
        match reply.body["previous"].as_str() {
            Some(previous) => url = previous.to_owned(),
            None => break,
        }
        assert!(pages.len() < 100, "the backward walk of {path} did not end");
    }
    pages.into_iter().rev().flatten().collect()
}

/// Registers `star` with three followers (above the threshold) and returns the tokens of
/// star and the followers.
async fn star_with_fans(api: &TestApi) -> (String, Vec<String>) {
    let star = api.user("star").await;
    let mut fans = Vec::new();
    for name in ["fan1", "fan2", "fan3"] {
        let token = api.user(name).await;
        api.follow(&token, "star").await;
        fans.push(token);
    }
    (star, fans)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merged_tweets_interleave_by_id() {
    let api = start().await;
    let (star, fans) = star_with_fans(&api).await;
    let bob = api.user("bob").await;
    api.follow(&fans[0], "bob").await;

    let mut expected = Vec::new();
    for round in 0..3 {
        expected.push(api.tweet(&star, &format!("star {round}")).await);
        expected.push(api.tweet(&bob, &format!("bob {round}")).await);
        expected.push(api.tweet(&fans[0], &format!("fan {round}")).await);
    }
    api.settle().await;
    expected.reverse();

    let feed = api.walk(FEED, Some(&fans[0])).await;
    assert_eq!(ids(&feed), expected, "fan1's feed");

    let stored = timeline_ids(&api, "fan1").await;
    for (position, id) in expected.iter().enumerate() {
        let by_star = feed[position]["author"]["username"] == "star";
        assert_eq!(stored.contains(id), !by_star, "tweet {id} (by star: {by_star}) in fan1's stored timeline");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_feed_pages_exactly() {
    let api = start().await;
    let (star, fans) = star_with_fans(&api).await;
    let bob = api.user("bob").await;
    api.follow(&fans[0], "bob").await;

    let mut expected = Vec::new();
    for round in 0..4 {
        expected.push(api.tweet(&star, &format!("star {round}")).await);
        expected.push(api.tweet(&star, &format!("star again {round}")).await);
        expected.push(api.tweet(&bob, &format!("bob {round}")).await);
    }
    api.settle().await;
    expected.reverse();

    for size in [1, 2, 3, 5] {
        let path = format!("{FEED}?page_size={size}");
        let forward = ids(&api.walk(&path, Some(&fans[0])).await);
        assert_eq!(forward, expected, "forward walk with page_size={size}");
        let backward = walk_back(&api, &path, &fans[0]).await;
        assert_eq!(backward, expected, "backward walk with page_size={size}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn celebrity_deletes_tweet() {
    let api = start().await;
    let (star, fans) = star_with_fans(&api).await;
    let kept = api.tweet(&star, "kept").await;
    let deleted = api.tweet(&star, "deleted").await;
    api.settle().await;
    assert_eq!(ids(&api.walk(FEED, Some(&fans[1])).await), vec![deleted.clone(), kept.clone()]);

    let reply = api.delete(&format!("/api/tweets/{deleted}/"), Some(&star)).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{:?}", reply.body);
    api.settle().await;

    assert_eq!(ids(&api.walk(FEED, Some(&fans[1])).await), vec![kept.clone()], "follower's feed");
    assert_eq!(ids(&api.walk(FEED, Some(&star)).await), vec![kept], "star's own feed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn threshold_crossed_both_ways() {
    let api = start().await;
    let star = api.user("star").await;
    let fan1 = api.user("fan1").await;
    let fan2 = api.user("fan2").await;
    let fan3 = api.user("fan3").await;
    api.follow(&fan1, "star").await;
    api.follow(&fan2, "star").await;

    // Two followers: at the threshold, so fanned out.
    let before = api.tweet(&star, "fanned out").await;
    api.settle().await;
    assert!(timeline_ids(&api, "fan1").await.contains(&before), "a tweet at the threshold is fanned out");

    // Three followers: above it, so merged at read time.
    api.follow(&fan3, "star").await;
    let above = api.tweet(&star, "merged").await;
    api.settle().await;
    assert!(!timeline_ids(&api, "fan1").await.contains(&above), "a tweet above the threshold is not fanned out");
    for (name, token) in [("fan1", &fan1), ("fan3", &fan3)] {
        let feed = ids(&api.walk(FEED, Some(token)).await);
        assert_eq!(feed, vec![above.clone(), before.clone()], "{name}'s feed above the threshold");
    }

    // Back to two followers: fanned out again, and the merged tweet still shows once.
    let reply = api.delete("/api/accounts/star/follow/", Some(&fan3)).await;
    assert!(reply.status.is_success(), "unfollowing: {:?}", reply.body);
    let after = api.tweet(&star, "fanned out again").await;
    api.settle().await;
    assert!(timeline_ids(&api, "fan1").await.contains(&after), "a tweet below the threshold is fanned out");
    let feed = ids(&api.walk(FEED, Some(&fan1)).await);
    assert_eq!(feed, vec![after, above, before], "fan1's feed after star dropped below");
    assert_eq!(ids(&api.walk(FEED, Some(&fan3)).await), Vec::<String>::new(), "fan3 unfollowed star");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follower_follows_and_unfollows_celebrity() {
    let api = start().await;
    let (star, _fans) = star_with_fans(&api).await;
    let older = api.tweet(&star, "before the follow").await;
    api.settle().await;

    let newcomer = api.user("newcomer").await;
    let own = api.tweet(&newcomer, "my own").await;
    api.follow(&newcomer, "star").await;
    let newer = api.tweet(&star, "after the follow").await;
    api.settle().await;
    let feed = ids(&api.walk(FEED, Some(&newcomer)).await);
    assert_eq!(feed, vec![newer.clone(), own.clone(), older.clone()], "feed after following star");

    let reply = api.delete("/api/accounts/star/follow/", Some(&newcomer)).await;
    assert!(reply.status.is_success(), "unfollowing: {:?}", reply.body);
    api.settle().await;
    assert_eq!(ids(&api.walk(FEED, Some(&newcomer)).await), vec![own.clone()], "feed after unfollowing star");

    api.follow(&newcomer, "star").await;
    api.settle().await;
    assert_eq!(ids(&api.walk(FEED, Some(&newcomer)).await), vec![newer, own, older], "feed after following again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suspended_celebrity_hidden() {
    let api = start().await;
    let (star, fans) = star_with_fans(&api).await;
    api.tweet(&star, "soon hidden").await;
    let own = api.tweet(&fans[0], "mine").await;
    api.settle().await;
    assert_eq!(api.walk(FEED, Some(&fans[0])).await.len(), 2);

    let root = api.user("root").await;
    let store = api.server.as_ref().expect("the server runs").store.clone();
    moderation::set_role(&store, &Actor::Operator, "root", Role::Admin, "first admin")
        .await
        .expect("the operator makes the first admin");
    let reply = api.post("/api/moderation/users/star/suspend/", Some(&root), json!({"reason": "spam"})).await;
    assert!(reply.status.is_success(), "suspending star: {:?}", reply.body);

    assert_eq!(ids(&api.walk(FEED, Some(&fans[0])).await), vec![own], "a suspended author's merged tweets are hidden");
}

//! Filters that run in memory must not end a walk early: a walk of a filtered list whose
//! newest tweets all fail the filter still reaches the matching ones.

use chirp_tests::{TestApi, ids};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filtered_walk_skips_newest_fifty() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    let liked = api.tweet(&alice, "the one that gets liked").await;
    let reply = api.post(&format!("/api/tweets/{liked}/like/"), Some(&bob), json!({})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    for n in 0..60 {
        api.tweet(&alice, &format!("unliked {n}")).await;
    }

    let mut url = "/api/tweets/?min_likes=1&page_size=5".to_owned();
    let mut found = Vec::new();
    for _ in 0..100 {
        let reply = api.get(&url, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        let results = reply.body["results"].as_array().expect("results").clone();
        found.extend(results.iter().cloned());
        match reply.body["next"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(ids(&found), vec![liked.clone()]);

    let by_author = api.walk("/api/tweets/?user=alice&min_likes=1&page_size=5", None).await;
    assert_eq!(ids(&by_author), vec![liked]);
}

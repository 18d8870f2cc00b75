//! Search through the HTTP API: tweets by words, tags, mentions and author with the list
//! filters, Unicode and case variants, edits and deletes, and users by name prefix.

use chirp_tests::{TestApi, assert_field_error, ids, usernames};
use reqwest::StatusCode;
use serde_json::json;

async fn search(api: &TestApi, query: &str) -> Vec<String> {
    ids(&api.walk(&format!("/api/tweets/search/?{query}"), None).await)
}

fn q(text: &str) -> String {
    format!("q={}", text.replace('%', "%25").replace('#', "%23").replace('&', "%26").replace('+', "%2B").replace(' ', "+"))
}

#[tokio::test]
async fn words_tags_mentions_and_author() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    let rust = api.tweet(&alice, "Learning Rust today, #RustLang is fun").await;
    let both = api.tweet(&bob, "rust and go, thanks @alice").await;
    let go = api.tweet(&bob, "Go go go #golang").await;
    let tag_only = api.tweet(&alice, "#rust").await;
    api.settle().await;

    assert_eq!(search(&api, &q("rust")).await, vec![tag_only.clone(), both.clone(), rust.clone()]);
    assert_eq!(search(&api, &q("RUST go")).await, vec![both.clone()]);
    assert_eq!(search(&api, &q("#rustlang")).await, vec![rust.clone()]);
    assert_eq!(search(&api, &q("#rust")).await, vec![tag_only.clone()]);
    assert_eq!(search(&api, &q("@Alice")).await, vec![both.clone()]);
    assert_eq!(search(&api, &q("from:bob")).await, vec![go.clone(), both.clone()]);
    assert_eq!(search(&api, &q("rust from:Alice")).await, vec![tag_only.clone(), rust.clone()]);
    // Whole words only: "rus" is no word of any tweet.
    assert!(search(&api, &q("rus")).await.is_empty());
    assert!(search(&api, &q("rust from:nobody")).await.is_empty());
}

#[tokio::test]
async fn case_and_unicode_variants() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let cafe = api.tweet(&alice, "Un café, s'il vous plaît").await;
    let decomposed = api.tweet(&alice, "ÜBER cafe\u{301} #Ünïcode").await;
    api.settle().await;

    assert_eq!(search(&api, &q("CAFÉ")).await, vec![decomposed.clone(), cafe.clone()]);
    assert_eq!(search(&api, &q("cafe\u{301}")).await, vec![decomposed.clone(), cafe.clone()]);
    assert_eq!(search(&api, &q("über")).await, vec![decomposed.clone()]);
    assert_eq!(search(&api, &q("#ünïcode")).await, vec![decomposed.clone()]);
    assert_eq!(search(&api, &q("PLAÎT")).await, vec![cafe.clone()]);
    assert!(search(&api, &q("cafe")).await.is_empty());
}

#[tokio::test]
async fn edited_and_deleted_tweets() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let edited = api.tweet(&alice, "old words here").await;
    let deleted = api.tweet(&alice, "words to delete").await;
    api.settle().await;
    assert_eq!(search(&api, &q("words")).await, vec![deleted.clone(), edited.clone()]);

    let reply = api.put(&format!("/api/tweets/{edited}/"), Some(&alice), json!({"content": "new text"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let reply = api.delete(&format!("/api/tweets/{deleted}/"), Some(&alice)).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{:?}", reply.body);
    api.settle().await;

    assert!(search(&api, &q("words")).await.is_empty());
    assert!(search(&api, &q("old")).await.is_empty());
    assert_eq!(search(&api, &q("new text")).await, vec![edited.clone()]);
}

#[tokio::test]
async fn list_filters_apply() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let bob = api.user("bob").await;
    let first = api.tweet(&alice, "news one").await;
    let second = api.tweet(&bob, "news two").await;
    let third = api.tweet(&alice, "news three").await;
    api.post(&format!("/api/tweets/{second}/like/"), Some(&alice), json!({})).await;
    api.settle().await;

    assert_eq!(search(&api, &format!("{}&ordering=created_at", q("news"))).await, vec![first.clone(), second.clone(), third.clone()]);
    assert_eq!(search(&api, &format!("{}&user=alice", q("news"))).await, vec![third.clone(), first.clone()]);
    assert!(search(&api, &format!("{}&user=alice", q("news from:bob"))).await.is_empty());
    assert_eq!(search(&api, &format!("{}&min_likes=1", q("news"))).await, vec![second.clone()]);
    let by_likes = search(&api, &format!("{}&ordering=-likes_count", q("news"))).await;
    assert_eq!(by_likes.first(), Some(&second));
    assert_eq!(by_likes.len(), 3);
    assert_field_error(&api.get(&format!("/api/tweets/search/?{}&ordering=best", q("news")), None).await, "ordering");
}

#[tokio::test]
async fn pages_resume_across_common_words() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    let mut expected = Vec::new();
    for index in 0..7 {
        let content = if index % 2 == 0 { format!("the cat number {index}") } else { format!("the dog number {index}") };
        let id = api.tweet(&alice, &content).await;
        if index % 2 == 0 {
            expected.push(id);
        }
    }
    api.settle().await;
    expected.reverse();

    assert_eq!(search(&api, &format!("{}&page_size=1", q("the cat"))).await, expected);
    let reply = api.get(&format!("/api/tweets/search/?{}&page_size=2", q("the cat")), None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["results"].as_array().map(Vec::len), Some(2));
    assert!(reply.body["next"].is_string());
}

#[tokio::test]
async fn empty_query_rejected() {
    let api = TestApi::start().await;
    for query in ["", "?q=", "?q=+++", "?q=%21%3F", "?q=from%3A"] {
        let reply = api.get(&format!("/api/tweets/search/{query}"), None).await;
        assert_field_error(&reply, "q");
    }
    assert_field_error(&api.get("/api/accounts/search/?q=", None).await, "q");
    assert_field_error(&api.get("/api/accounts/search/", None).await, "q");
}

async fn found(api: &TestApi, query: &str) -> Vec<String> {
    usernames(&api.walk(&format!("/api/accounts/search/?q={query}"), None).await)
}

#[tokio::test]
async fn users_by_prefix() {
    let api = TestApi::start().await;
    let alice = api.user("alice").await;
    api.user("Alfred").await;
    api.user("bob").await;
    api.user("alexandria_the").await;
    let reply = api.patch("/api/accounts/profile/", Some(&alice), json!({"display_name": "Zoë Wonder"})).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    api.settle().await;

    assert_eq!(found(&api, "al").await, vec!["alexandria_the", "Alfred", "alice"]);
    assert_eq!(found(&api, "AL").await, vec!["alexandria_the", "Alfred", "alice"]);
    assert_eq!(found(&api, "%40alf").await, vec!["Alfred"]);
    assert_eq!(found(&api, "alexandria_t").await, vec!["alexandria_the"]);
    assert!(found(&api, "alexandria_x").await.is_empty());
    assert_eq!(found(&api, "zo%C3%AB").await, vec!["alice"]);
    assert_eq!(found(&api, "ZOE%CC%88+w").await, vec!["alice"]);
    assert!(found(&api, "zz").await.is_empty());
    assert_eq!(usernames(&api.walk("/api/accounts/search/?q=a&page_size=1", None).await).len(), 3);

    // A changed display name leaves the old prefixes.
    api.patch("/api/accounts/profile/", Some(&alice), json!({"display_name": "Quinn"})).await;
    api.settle().await;
    assert!(found(&api, "zo").await.is_empty());
    assert_eq!(found(&api, "qu").await, vec!["alice"]);
}

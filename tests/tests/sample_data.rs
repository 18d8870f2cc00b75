//! Loading the real follow graph and tweets, then checking that sampled home feeds hold
//! exactly the newest tweets of the accounts they follow plus their own.
//!
//! The data set is not part of the repository: the test reads it from the directory in
//! `CHIRP_SAMPLE_DATA` (holding `social-graph/verizoncareers.tsv` and
//! `tweets/tweeteval-emoji-train.txt`) and is skipped, with a message, when that is unset.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use chirp_local::load::{LoadArgs, load};
use chirp_shared::keys;
use chirp_shared::model::timeline::MAX_TIMELINE_ENTRIES;
use chirp_shared::store::{Index, ItemExt, Query, Store};
use chirp_tests::{TestApi, ids};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::SeedableRng;

fn sample_data() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("CHIRP_SAMPLE_DATA")?);
    dir.join("social-graph/verizoncareers.tsv").exists().then_some(dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verizon_load_and_feeds() {
    if chirp_tests::skip_on_dynamodb("the loader writes a SQLite data directory") {
        return;
    }
    let Some(data) = sample_data() else {
        eprintln!("skipped: set CHIRP_SAMPLE_DATA to the directory of the sample data set");
        return;
    };
    let graph = data.join("social-graph/verizoncareers.tsv");
    let dir = tempfile::tempdir().unwrap();
    let args = LoadArgs {
        graph: graph.clone(),
        tweets: data.join("tweets/tweeteval-emoji-train.txt"),
        seed: 42,
        password: "chirp-password".into(),
    };
    let report = load(dir.path(), &args).await.expect("the load succeeds");
    assert_eq!(report.accounts, 9_226);
    assert_eq!(report.follows, 59_576);
    assert_eq!(report.tweets, 45_000);

    let mut api = TestApi::start().await;
    // Point the harness at the loaded directory instead of its own empty one.
    api.server.take().unwrap().stop().await;
    api.data_dir = dir;
    api.restart().await;
    api.settle().await;

    let mut followees: HashMap<String, BTreeSet<String>> = HashMap::new();
    for line in std::fs::read_to_string(&graph).unwrap().lines() {
        let (a, b) = line.split_once('\t').unwrap();
        followees.entry(format!("user{a}")).or_default().insert(format!("user{}", b.trim()));
    }
    let busiest = followees.iter().max_by_key(|(_, set)| set.len()).map(|(user, _)| user.clone()).unwrap();
    let mut users: Vec<String> = followees.keys().cloned().collect();
    users.sort();
    let mut random = StdRng::seed_from_u64(7);
    let mut sample: Vec<String> = users.choose_multiple(&mut random, 12).cloned().collect();
    sample.push(busiest);

    let store = api.server.as_ref().unwrap().store.clone();
    for user in sample {
        let mut expected = tweets_of(&*store, &user).await;
        for followee in &followees[&user] {
            expected.extend(tweets_of(&*store, followee).await);
        }
        expected.sort_unstable_by(|a, b| b.cmp(a));
        expected.truncate(MAX_TIMELINE_ENTRIES);

        let token = api.login_with(&user, "chirp-password").await;
        let feed = api.walk("/api/tweets/feed/?page_size=100", Some(&token)).await;
        assert_eq!(ids(&feed), expected, "feed of {user}");
    }

    // Hashtag search returns exactly the tweets that carry the tag, newest first.
    let mut tagged: HashMap<String, Vec<String>> = HashMap::new();
    let everyone: BTreeSet<&String> = followees.keys().chain(followees.values().flatten()).collect();
    for user in everyone {
        for item in tweet_items(&*store, user).await {
            for tag in item.strings("hashtags") {
                tagged.entry(tag).or_default().push(item.string("id").unwrap_or_default().to_owned());
            }
        }
    }
    for tag in ["love", "blessed", "sundayfunday", "nyc"] {
        let mut expected = tagged.remove(tag).unwrap_or_default();
        expected.sort_unstable_by(|a, b| b.cmp(a));
        assert!(!expected.is_empty(), "no tweet carries #{tag}");
        let found = api.walk(&format!("/api/tweets/search/?q=%23{tag}&page_size=100"), None).await;
        assert_eq!(ids(&found), expected, "search for #{tag}");
    }
}

/// Every tweet item of `username`, from the author index.
async fn tweet_items(store: &dyn Store, username: &str) -> Vec<chirp_shared::store::Item> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let query = Query::new(Index::Gsi1, keys::tweets_by_author(username)).exclusive_start(start);
        let page = store.query(query).await.unwrap();
        items.extend(page.items);
        match page.last_evaluated_key {
            Some(key) => start = Some(key),
            None => return items,
        }
    }
}

/// Ids of every tweet by `username`, from the author index.
async fn tweets_of(store: &dyn Store, username: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut start = None;
    loop {
        let query = Query::new(Index::Gsi1, keys::tweets_by_author(username)).exclusive_start(start);
        let page = store.query(query).await.unwrap();
        ids.extend(page.items.iter().filter_map(|item| item.string("id").map(str::to_owned)));
        match page.last_evaluated_key {
            Some(key) => start = Some(key),
            None => return ids,
        }
    }
}

//! Stream faults end to end: the real fan-out handler behind the local runtime's pump. A
//! poison record (a tweet item fan-out cannot read) goes to the dead-letter table after every
//! retry, and the records after it are still delivered.

use std::sync::Arc;

use chirp_local::pump::{self, Pump};
use chirp_shared::app::App;
use chirp_shared::config::Config;
use chirp_shared::domain::accounts::{Registration, Viewer, register};
use chirp_shared::domain::{social, tweets};
use chirp_shared::keys;
use chirp_shared::store::sqlite::SqliteStore;
use chirp_shared::store::{Index, ItemExt, Query, Store, string};

async fn user(app: &App, username: &str) -> Viewer {
    let registration = Registration {
        username: username.into(),
        email: format!("{username}@example.com"),
        password: "long enough password".into(),
        display_name: None,
    };
    let user = register(app, registration).await.expect("registration succeeds");
    Viewer { user_id: user.user_id, session_id: String::new() }
}

async fn timeline(store: &Arc<dyn Store>, owner: &Viewer) -> Vec<String> {
    let query = Query::new(Index::Table, keys::timeline_partition(&owner.user_id));
    let page = store.query(query).await.expect("the timeline is readable");
    page.items.iter().filter_map(|item| item.string("tweet_id").map(str::to_owned)).collect()
}

#[tokio::test]
async fn poison_record_dead_lettered_rest_delivered() {
    let sqlite = Arc::new(SqliteStore::in_memory().expect("an in-memory store"));
    let store: Arc<dyn Store> = sqlite.clone();
    let config = Config { secret: vec![7; 32], token_ttl_seconds: 3600 };
    let app = App::new(store.clone(), &config).expect("an app");
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    social::follow(&app, &bob, "alice").await.expect("bob follows alice");
    let before = tweets::create_tweet(&app, &alice, "before the poison", None).await.expect("a tweet").0.id;

    // A tweet item with no author, content or dates: the stream filter lets it through and
    // decoding it fails on every try.
    let mut poison = keys::tweet("01POISON").to_item();
    poison.insert("entity".into(), string("tweet"));
    store.put(poison, None).await.expect("the poison item is written");
    let poison_sequence = sqlite.latest_sequence().expect("the stream is readable");

    let after = tweets::create_tweet(&app, &alice, "after the poison", None).await.expect("a tweet").0.id;

    let mut pump = Pump::new(sqlite.clone(), pump::fanout());
    pump.drain().await.expect("the pump drains");

    assert_eq!(sqlite.dead_letters("fanout").expect("dead letters"), vec![poison_sequence]);
    let latest = sqlite.latest_sequence().expect("the stream is readable");
    assert_eq!(sqlite.consumer_position("fanout").expect("the position"), latest);
    let bobs_feed = timeline(&store, &bob).await;
    assert!(bobs_feed.contains(&before), "the tweet before the poison is fanned out: {bobs_feed:?}");
    assert!(bobs_feed.contains(&after), "the tweet after the poison is fanned out: {bobs_feed:?}");
    assert!(!bobs_feed.iter().any(|id| id == "01POISON"), "the poison reached a feed");
}

#[tokio::test]
async fn poison_follow_edge_dead_lettered() {
    // A follow edge without its user ids fails backfill the same way, and a later follow still
    // brings its author's tweets in.
    let sqlite = Arc::new(SqliteStore::in_memory().expect("an in-memory store"));
    let store: Arc<dyn Store> = sqlite.clone();
    let config = Config { secret: vec![7; 32], token_ttl_seconds: 3600 };
    let app = App::new(store.clone(), &config).expect("an app");
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let tweet = tweets::create_tweet(&app, &alice, "hello", None).await.expect("a tweet").0.id;

    let mut edge = keys::following("ghost", "nobody").to_item();
    edge.insert("entity".into(), string("following"));
    store.put(edge, None).await.expect("the poison edge is written");
    let poison_sequence = sqlite.latest_sequence().expect("the stream is readable");
    social::follow(&app, &bob, "alice").await.expect("bob follows alice");

    let mut pump = Pump::new(sqlite.clone(), pump::fanout());
    pump.drain().await.expect("the pump drains");

    assert_eq!(sqlite.dead_letters("fanout").expect("dead letters"), vec![poison_sequence]);
    assert!(timeline(&store, &bob).await.contains(&tweet), "backfill after the poison ran");
}

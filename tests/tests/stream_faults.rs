//! Stream faults end to end: the real fan-out and notifier handlers, behind the local
//! runtime's pump or driven directly. A poison record goes to the dead-letter table after
//! every retry and the records after it are still delivered; a failed record in the middle of
//! a batch is reported, and its retry leaves no duplicate.

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

/// Notification items of `recipient`, without the unread counter.
async fn notifications(store: &Arc<dyn Store>, recipient: &Viewer) -> Vec<chirp_shared::store::Item> {
    let query = Query::new(Index::Table, keys::notification_partition(&recipient.user_id));
    let page = store.query(query).await.expect("notifications are readable");
    page.items.into_iter().filter(|item| item.string("entity") == Some("notification")).collect()
}

/// A like item the notifier cannot read: it lacks the liker and the tweet's author.
fn poison_like() -> chirp_shared::store::Item {
    let mut like = keys::like("01POISONTWEET", "nobody").to_item();
    like.insert("entity".into(), string("like"));
    like
}

#[tokio::test]
async fn notifier_poison_dead_lettered() {
    let sqlite = Arc::new(SqliteStore::in_memory().expect("an in-memory store"));
    let store: Arc<dyn Store> = sqlite.clone();
    let config = Config { secret: vec![7; 32], token_ttl_seconds: 3600 };
    let app = App::new(store.clone(), &config).expect("an app");
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let carol = user(&app, "carol").await;
    social::follow(&app, &bob, "alice").await.expect("bob follows alice");
    store.put(poison_like(), None).await.expect("the poison item is written");
    let poison_sequence = sqlite.latest_sequence().expect("the stream is readable");
    social::follow(&app, &carol, "alice").await.expect("carol follows alice");

    let mut pump = Pump::new(sqlite.clone(), pump::notifier());
    pump.drain().await.expect("the pump drains");

    assert_eq!(sqlite.dead_letters("notifier").expect("dead letters"), vec![poison_sequence]);
    let actors: Vec<String> = notifications(&store, &alice)
        .await
        .iter()
        .filter_map(|item| item.string("actor_id").map(str::to_owned))
        .collect();
    assert_eq!(actors.len(), 2, "both follows notify alice: {actors:?}");
}

#[tokio::test]
async fn notifier_middle_failure_retried_once() {
    let sqlite = Arc::new(SqliteStore::in_memory().expect("an in-memory store"));
    let store: Arc<dyn Store> = sqlite.clone();
    let config = Config { secret: vec![7; 32], token_ttl_seconds: 3600 };
    let app = App::new(store.clone(), &config).expect("an app");
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let carol = user(&app, "carol").await;
    let start = sqlite.latest_sequence().expect("the stream is readable");
    social::follow(&app, &bob, "alice").await.expect("bob follows alice");
    social::follow(&app, &carol, "alice").await.expect("carol follows alice");
    let (records, _) = sqlite.read_changes(start, 100, chirp_notifier::ENTITIES).expect("the stream is readable");
    let mut event = pump::event_of(&records);
    assert_eq!(event.records.len(), 2, "one following record per follow");

    // The second record, broken, fails; Lambda then retries from it with the record intact.
    let intact = event.records[1].clone();
    event.records[1].change.new_image.remove("follower_id");
    let response = chirp_notifier::handle(&store, event.clone()).await;
    let failed: Vec<_> = response.batch_item_failures.iter().map(|f| f.item_identifier.clone()).collect();
    assert_eq!(failed, vec![event.records[1].change.sequence_number.clone()]);
    assert_eq!(notifications(&store, &alice).await.len(), 1, "only the first follow notified");

    let mut retry = event.clone();
    retry.records = vec![intact];
    assert!(chirp_notifier::handle(&store, retry.clone()).await.batch_item_failures.is_empty());
    assert!(chirp_notifier::handle(&store, retry).await.batch_item_failures.is_empty(), "a redelivery succeeds");
    assert_eq!(notifications(&store, &alice).await.len(), 2, "the retry notifies once");

    let count = store.get(&keys::unread_count("alice")).await.expect("the counter is readable");
    let unread = count.and_then(|item| item.number(chirp_shared::model::notification::UNREAD_ATTRIBUTE));
    assert_eq!(unread, Some(2), "the unread count stays exact");
}

#[tokio::test]
async fn notifier_ignores_other_entities() {
    let sqlite = Arc::new(SqliteStore::in_memory().expect("an in-memory store"));
    let store: Arc<dyn Store> = sqlite.clone();
    let config = Config { secret: vec![7; 32], token_ttl_seconds: 3600 };
    let app = App::new(store.clone(), &config).expect("an app");
    let alice = user(&app, "alice").await;
    let (records, _) = sqlite.read_changes(0, 100, &[]).expect("the stream is readable");
    assert!(!records.is_empty(), "registration wrote user records");
    let before = sqlite.latest_sequence().expect("the stream is readable");

    let response = chirp_notifier::handle(&store, pump::event_of(&records)).await;

    assert!(response.batch_item_failures.is_empty());
    assert_eq!(sqlite.latest_sequence().expect("the stream is readable"), before, "user records wrote something");
    assert!(notifications(&store, &alice).await.is_empty());
}

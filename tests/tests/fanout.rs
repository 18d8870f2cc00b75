//! The fan-out stream handler, driven directly with DynamoDB stream events built from the
//! embedded store's change stream: idempotence, partial batch failures and timeline upkeep.

use std::sync::Arc;

use aws_lambda_events::dynamodb::Event;
use chirp_local::pump::event_of;
use chirp_shared::app::App;
use chirp_shared::config::Config;
use chirp_shared::domain::accounts::{Registration, Viewer, register};
use chirp_shared::domain::{social, tweets};
use chirp_shared::keys;
use chirp_shared::model::timeline::MAX_TIMELINE_ENTRIES;
use chirp_shared::store::sqlite::SqliteStore;
use chirp_shared::store::{AttributeValue, Index, ItemExt, Query, Store};

struct Fixture {
    sqlite: Arc<SqliteStore>,
    store: Arc<dyn Store>,
    app: App,
    /// Last stream sequence number already turned into events.
    read_up_to: i64,
}

impl Fixture {
    fn new() -> Self {
        let sqlite = Arc::new(SqliteStore::in_memory().expect("an in-memory store"));
        let store: Arc<dyn Store> = sqlite.clone();
        let config = Config { secret: vec![7; 32], token_ttl_seconds: 3600 };
        let app = App::new(store.clone(), &config).expect("an app");
        Self { sqlite, store, app, read_up_to: 0 }
    }

    async fn user(&self, username: &str) -> Viewer {
        let registration = Registration {
            username: username.into(),
            email: format!("{username}@example.com"),
            password: "long enough password".into(),
            display_name: None,
        };
        let user = register(&self.app, registration).await.expect("registration succeeds");
        Viewer { user_id: user.user_id, session_id: String::new() }
    }

    async fn tweet(&self, author: &Viewer, content: &str) -> String {
        let (tweet, _) = tweets::create_tweet(&self.app, author, content, None).await.expect("tweet created");
        tweet.id
    }

    /// Takes every change since the last call as one event, keeping only fan-out's entities.
    fn next_event(&mut self) -> Event {
        let (records, position) = self
            .sqlite
            .read_changes(self.read_up_to, 10_000, &["tweet", "following"])
            .expect("the stream is readable");
        self.read_up_to = position;
        event_of(&records)
    }

    async fn deliver(&mut self) -> Event {
        let event = self.next_event();
        let response = chirp_fanout::handle(&self.store, event.clone()).await;
        assert!(response.batch_item_failures.is_empty(), "fan-out failed: {response:?}");
        event
    }

    async fn timeline(&self, owner: &Viewer) -> Vec<String> {
        let query = Query::new(Index::Table, keys::timeline_partition(&owner.user_id)).backward();
        let page = self.store.query(query).await.expect("the timeline is readable");
        page.items.iter().filter_map(|item| item.string("tweet_id").map(str::to_owned)).collect()
    }
}

#[tokio::test]
async fn tweet_reaches_author_and_followers() {
    let mut fixture = Fixture::new();
    let alice = fixture.user("alice").await;
    let bob = fixture.user("bob").await;
    let carol = fixture.user("carol").await;
    social::follow(&fixture.app, &alice, "bob").await.expect("follow");
    let tweet = fixture.tweet(&bob, "hello").await;
    fixture.deliver().await;

    assert_eq!(fixture.timeline(&alice).await, vec![tweet.clone()]);
    assert_eq!(fixture.timeline(&bob).await, vec![tweet]);
    assert!(fixture.timeline(&carol).await.is_empty());
}

#[tokio::test]
async fn redelivered_batch_changes_nothing() {
    let mut fixture = Fixture::new();
    let alice = fixture.user("alice").await;
    let bob = fixture.user("bob").await;
    social::follow(&fixture.app, &alice, "bob").await.expect("follow");
    fixture.tweet(&bob, "one").await;
    fixture.tweet(&bob, "two").await;
    let event = fixture.deliver().await;
    let before = fixture.timeline(&alice).await;
    let stream_before = fixture.sqlite.latest_sequence().unwrap();

    let response = chirp_fanout::handle(&fixture.store, event).await;

    assert!(response.batch_item_failures.is_empty());
    assert_eq!(fixture.timeline(&alice).await, before);
    assert_eq!(
        fixture.sqlite.latest_sequence().unwrap(),
        stream_before,
        "a redelivery must not even rewrite items"
    );
}

#[tokio::test]
async fn failed_record_reported_and_later_skipped() {
    let mut fixture = Fixture::new();
    let alice = fixture.user("alice").await;
    let bob = fixture.user("bob").await;
    social::follow(&fixture.app, &alice, "bob").await.expect("follow");
    fixture.deliver().await;
    let first = fixture.tweet(&bob, "first").await;
    let second = fixture.tweet(&bob, "second").await;
    let third = fixture.tweet(&bob, "third").await;
    let mut event = fixture.next_event();
    assert_eq!(event.records.len(), 3);

    // A record whose image lost the author cannot be processed.
    let good_second = event.records[1].clone();
    event.records[1].change.new_image.remove("author_id");
    let response = chirp_fanout::handle(&fixture.store, event.clone()).await;

    let failed: Vec<_> = response.batch_item_failures.iter().map(|f| f.item_identifier.clone()).collect();
    assert_eq!(failed, vec![event.records[1].change.sequence_number.clone()]);
    assert_eq!(fixture.timeline(&alice).await, vec![first.clone()], "records after the failure must wait");

    // Lambda retries from the failed record on.
    let mut retry = event.clone();
    retry.records = vec![good_second, event.records[2].clone()];
    let response = chirp_fanout::handle(&fixture.store, retry).await;
    assert!(response.batch_item_failures.is_empty());
    assert_eq!(fixture.timeline(&alice).await, vec![third, second, first]);
}

#[tokio::test]
async fn other_entities_ignored() {
    let mut fixture = Fixture::new();
    let alice = fixture.user("alice").await;
    fixture.deliver().await;
    let (records, _) = fixture.sqlite.read_changes(0, 100, &[]).unwrap();
    let before = fixture.sqlite.latest_sequence().unwrap();

    let response = chirp_fanout::handle(&fixture.store, event_of(&records)).await;

    assert!(response.batch_item_failures.is_empty());
    assert_eq!(fixture.sqlite.latest_sequence().unwrap(), before, "user records wrote something");
    assert!(fixture.timeline(&alice).await.is_empty());
}

#[tokio::test]
async fn deleted_tweet_leaves_timelines() {
    let mut fixture = Fixture::new();
    let alice = fixture.user("alice").await;
    let bob = fixture.user("bob").await;
    social::follow(&fixture.app, &alice, "bob").await.expect("follow");
    let kept = fixture.tweet(&bob, "kept").await;
    let deleted = fixture.tweet(&bob, "deleted").await;
    fixture.deliver().await;

    tweets::delete_tweet(&fixture.app, &bob, &deleted).await.expect("delete");
    fixture.deliver().await;

    assert_eq!(fixture.timeline(&alice).await, vec![kept.clone()]);
    assert_eq!(fixture.timeline(&bob).await, vec![kept]);
}

#[tokio::test]
async fn follow_backfills_and_unfollow_removes() {
    let mut fixture = Fixture::new();
    let alice = fixture.user("alice").await;
    let bob = fixture.user("bob").await;
    let own = fixture.tweet(&alice, "mine").await;
    let older = fixture.tweet(&bob, "older").await;
    let newer = fixture.tweet(&bob, "newer").await;
    fixture.deliver().await;

    social::follow(&fixture.app, &alice, "bob").await.expect("follow");
    fixture.deliver().await;
    assert_eq!(fixture.timeline(&alice).await, vec![newer, older, own.clone()]);

    social::unfollow(&fixture.app, &alice, "bob").await.expect("unfollow");
    fixture.deliver().await;
    assert_eq!(fixture.timeline(&alice).await, vec![own]);
}

#[tokio::test]
async fn timeline_trimmed_to_maximum() {
    let mut fixture = Fixture::new();
    let alice = fixture.user("alice").await;
    let bob = fixture.user("bob").await;
    let mut posted = Vec::new();
    for n in 0..(MAX_TIMELINE_ENTRIES + 50) {
        posted.push(fixture.tweet(&bob, &format!("tweet {n}")).await);
    }
    fixture.deliver().await;

    // The backfill copies at most the maximum and trims right after.
    social::follow(&fixture.app, &alice, "bob").await.expect("follow");
    fixture.deliver().await;

    let timeline = fixture.timeline(&alice).await;
    let newest: Vec<String> = posted.iter().rev().take(MAX_TIMELINE_ENTRIES).cloned().collect();
    assert_eq!(timeline.len(), MAX_TIMELINE_ENTRIES);
    assert_eq!(timeline, newest);
}

#[tokio::test]
async fn popularity_follows_like_count() {
    let mut fixture = Fixture::new();
    let alice = fixture.user("alice").await;
    let bob = fixture.user("bob").await;
    let tweet = fixture.tweet(&bob, "like me").await;
    chirp_shared::domain::likes::like(&fixture.app, &alice, &tweet).await.expect("like");
    fixture.deliver().await;

    let item = fixture.store.get(&keys::popularity(&tweet)).await.unwrap().expect("a popularity item");
    assert_eq!(item.get("GSI3SK"), Some(&AttributeValue::S(keys::popularity_sort_key(1, &tweet))));

    tweets::delete_tweet(&fixture.app, &bob, &tweet).await.expect("delete");
    fixture.deliver().await;
    assert!(fixture.store.get(&keys::popularity(&tweet)).await.unwrap().is_none());
}

//! The notifier and indexer stream handlers, driven directly with DynamoDB stream events built
//! from the embedded store's change stream: redelivery changes nothing, and a search over the
//! index they write reads a bounded amount per page.

use std::sync::Arc;

use aws_lambda_events::dynamodb::Event;
use chirp_local::pump::event_of;
use chirp_shared::app::App;
use chirp_shared::config::Config;
use chirp_shared::domain::accounts::{Registration, Viewer, register};
use chirp_shared::domain::search::search_tweets;
use chirp_shared::domain::tweet_list::TweetFilters;
use chirp_shared::domain::{likes, notifications, social, tweets};
use chirp_shared::search::parse_query;
use chirp_shared::keys;
use chirp_shared::pagination::PageRequest;
use chirp_shared::store::sqlite::SqliteStore;
use chirp_shared::store::{Index, Query, Store};

struct Fixture {
    sqlite: Arc<SqliteStore>,
    store: Arc<dyn Store>,
    app: App,
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

    /// Takes every change since the last call as one event, with the given entities only.
    fn next_event(&mut self, entities: &[&str]) -> Event {
        let (records, position) = self.sqlite.read_changes(self.read_up_to, 10_000, entities).expect("the stream is readable");
        self.read_up_to = position;
        event_of(&records)
    }

    async fn notify(&self, event: Event) {
        let response = chirp_notifier::handle(&self.store, event).await;
        assert!(response.batch_item_failures.is_empty(), "notifier failed: {response:?}");
    }

    async fn index(&self, event: Event) {
        let response = chirp_indexer::handle(&self.store, event).await;
        assert!(response.batch_item_failures.is_empty(), "indexer failed: {response:?}");
    }

    async fn notifications_of(&self, viewer: &Viewer) -> Vec<String> {
        let request = PageRequest { size: 100, position: None };
        let page = notifications::list(&self.app, viewer, false, &request).await.expect("notifications");
        page.items.iter().map(|item| format!("{} {}", item.kind, item.actor.username)).collect()
    }
}

#[tokio::test]
async fn redelivered_events_notify_once() {
    let mut fixture = Fixture::new();
    let alice = fixture.user("alice").await;
    let bob = fixture.user("bob").await;
    social::follow(&fixture.app, &alice, "bob").await.expect("follow");
    let (tweet, _) = tweets::create_tweet(&fixture.app, &bob, "hello @alice", None).await.expect("tweet");
    likes::like(&fixture.app, &alice, &tweet.id).await.expect("like");
    likes::unlike(&fixture.app, &alice, &tweet.id).await.expect("unlike");
    likes::like(&fixture.app, &alice, &tweet.id).await.expect("like again");

    let event = fixture.next_event(chirp_notifier::ENTITIES);
    fixture.notify(event.clone()).await;
    fixture.notify(event).await;

    assert_eq!(fixture.notifications_of(&bob).await, vec!["like alice", "follow alice"]);
    assert_eq!(fixture.notifications_of(&alice).await, vec!["mention bob"]);
    assert_eq!(notifications::unread_count(&fixture.app, &bob).await.expect("count"), 2);
    assert_eq!(notifications::unread_count(&fixture.app, &alice).await.expect("count"), 1);
}

#[tokio::test]
async fn own_actions_notify_nobody() {
    let mut fixture = Fixture::new();
    let alice = fixture.user("alice").await;
    let (tweet, _) = tweets::create_tweet(&fixture.app, &alice, "me, @alice", None).await.expect("tweet");
    likes::like(&fixture.app, &alice, &tweet.id).await.expect("like");

    let event = fixture.next_event(chirp_notifier::ENTITIES);
    fixture.notify(event).await;

    assert!(fixture.notifications_of(&alice).await.is_empty());
    assert_eq!(notifications::unread_count(&fixture.app, &alice).await.expect("count"), 0);
}

#[tokio::test]
async fn redelivered_index_events_change_nothing() {
    let mut fixture = Fixture::new();
    let alice = fixture.user("alice").await;
    let (tweet, _) = tweets::create_tweet(&fixture.app, &alice, "one two", None).await.expect("tweet");
    tweets::edit_tweet(&fixture.app, &alice, &tweet.id, "two three").await.expect("edit");

    let event = fixture.next_event(chirp_indexer::ENTITIES);
    fixture.index(event.clone()).await;
    fixture.index(event).await;

    let entries = |term: &'static str| {
        let store = fixture.store.clone();
        let tweet_id = tweet.id.clone();
        async move {
            let key = keys::term_entry(term, &tweet_id);
            let page = store.query(Query::new(Index::Table, key.pk)).await.expect("a query");
            page.items.len()
        }
    };
    assert_eq!(entries("one").await, 0);
    assert_eq!(entries("two").await, 1);
    assert_eq!(entries("three").await, 1);
}

#[tokio::test]
async fn common_word_search_pages_stay_bounded() {
    let mut fixture = Fixture::new();
    let alice = fixture.user("alice").await;
    let (rare, _) = tweets::create_tweet(&fixture.app, &alice, "the cat", None).await.expect("tweet");
    // More tweets with "the" than one page may examine (16 queries of 100 items).
    for index in 0..2_000 {
        tweets::create_tweet(&fixture.app, &alice, &format!("the dog {index}"), None).await.expect("tweet");
    }
    let event = fixture.next_event(chirp_indexer::ENTITIES);
    fixture.index(event).await;

    let query = parse_query("the cat").expect("a query");
    let filters = TweetFilters::parse(&Default::default()).expect("no filters");
    let mut request = PageRequest { size: 20, position: None };
    let mut found = Vec::new();
    let mut pages = 0;
    loop {
        pages += 1;
        let page = search_tweets(&fixture.app, None, &query, &filters, &request).await.expect("a page");
        found.extend(page.items.into_iter().map(|tweet| tweet.id));
        match page.next {
            Some(next) => request = PageRequest { size: 20, position: Some(next) },
            None => break,
        }
        assert!(pages < 10, "the walk did not end");
    }
    assert_eq!(found, vec![rare.id]);
    assert!(pages >= 2, "one page read every candidate");
}

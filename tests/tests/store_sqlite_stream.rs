//! The SQLite store's change stream, on a store file in a temporary directory: records appended
//! by writes, filtering by entity, and consumer state that survives reopening the file.

use std::path::Path;
use std::time::Duration;

use chirp_shared::store::sqlite::{ChangeRecord, EventName, SqliteStore};
use chirp_shared::store::{
    AttributeValue, BatchWrite, Condition, Item, ItemExt, Key, Store, StoreError, TransactWrite,
    Update, number, string,
};

fn open(dir: &Path) -> SqliteStore {
    SqliteStore::open(&dir.join("chirp.db")).expect("the store file opens")
}

fn item(pk: &str, sk: &str, attributes: &[(&str, AttributeValue)]) -> Item {
    let mut item = Key::new(pk, sk).to_item();
    for (name, value) in attributes {
        item.insert((*name).to_owned(), value.clone());
    }
    item
}

fn all_changes(store: &SqliteStore) -> Vec<ChangeRecord> {
    let (records, _) = store.read_changes(0, 10_000, &[]).expect("the stream is readable");
    records
}

fn events(records: &[ChangeRecord]) -> Vec<(EventName, String)> {
    records
        .iter()
        .map(|r| {
            (
                r.event_name,
                format!(
                    "{}/{}",
                    r.keys.string("PK").unwrap_or_default(),
                    r.keys.string("SK").unwrap_or_default()
                ),
            )
        })
        .collect()
}

#[tokio::test]
async fn stream_records_every_write() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = open(dir.path());

    let first = item("user#1", "profile", &[("entity", string("user")), ("name", string("Ada"))]);
    store.put(first.clone(), None).await.expect("the put succeeds");
    let updated = store
        .update(&Key::new("user#1", "profile"), Update::new().set("name", string("Grace")), None)
        .await
        .expect("the update succeeds");
    store
        .transact_write(vec![
            TransactWrite::Put {
                item: item("tweet#1", "tweet", &[("entity", string("tweet"))]),
                condition: None,
            },
            TransactWrite::Update {
                key: Key::new("user#1", "counters"),
                update: Update::new().add("tweets", 1),
                condition: None,
            },
            TransactWrite::ConditionCheck {
                key: Key::new("user#1", "profile"),
                condition: Condition::Exists,
            },
        ])
        .await
        .expect("the transaction succeeds");
    store
        .batch_write(vec![
            BatchWrite::Put(item("b", "1", &[])),
            BatchWrite::Delete(Key::new("tweet#1", "tweet")),
        ])
        .await
        .expect("the batch write succeeds");
    let deleted =
        store.delete(&Key::new("user#1", "profile"), None).await.expect("the delete succeeds");

    let records = all_changes(&store);
    assert_eq!(
        events(&records),
        [
            (EventName::Insert, "user#1/profile".to_owned()),
            (EventName::Modify, "user#1/profile".to_owned()),
            (EventName::Insert, "tweet#1/tweet".to_owned()),
            (EventName::Insert, "user#1/counters".to_owned()),
            (EventName::Insert, "b/1".to_owned()),
            (EventName::Remove, "tweet#1/tweet".to_owned()),
            (EventName::Remove, "user#1/profile".to_owned()),
        ],
        "one record per changed item, in commit order; the condition check wrote nothing"
    );
    assert!(
        records.windows(2).all(|pair| pair[0].sequence < pair[1].sequence),
        "sequences increase"
    );
    assert_eq!(
        store.latest_sequence().expect("readable"),
        records.last().expect("records").sequence
    );

    assert_eq!(records[0].old_image, None);
    assert_eq!(records[0].new_image.as_ref(), Some(&first));
    assert_eq!(records[1].old_image.as_ref(), Some(&first), "MODIFY carries the old image");
    assert_eq!(records[1].new_image.as_ref(), Some(&updated), "MODIFY carries the new image");
    assert_eq!(records[3].new_image.as_ref().and_then(|i| i.number("tweets")), Some(1));
    assert_eq!(records[6].old_image, deleted, "REMOVE carries the old image");
    assert_eq!(records[6].new_image, None);
    assert_eq!(
        records[0].keys,
        Key::new("user#1", "profile").to_item(),
        "keys hold PK and SK only"
    );
    assert!(records.iter().all(|r| r.created_at_ms > 0));
}

#[tokio::test]
async fn stream_skips_unchanged_writes() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = open(dir.path());
    let profile = item("user#1", "profile", &[("name", string("Ada")), ("n", number(1))]);
    store.put(profile.clone(), None).await.expect("the put succeeds");
    let before = store.latest_sequence().expect("readable");

    store.put(profile.clone(), None).await.expect("an identical put succeeds");
    store
        .update(&Key::new("user#1", "profile"), Update::new().set("name", string("Ada")), None)
        .await
        .expect("an update to the same value succeeds");
    store
        .update(&Key::new("user#1", "profile"), Update::new().add("n", 0), None)
        .await
        .expect("ADD 0 succeeds");
    let old = store
        .delete(&Key::new("user#404", "profile"), None)
        .await
        .expect("deleting a missing item succeeds");
    assert_eq!(old, None);
    store
        .batch_write(vec![BatchWrite::Put(profile), BatchWrite::Delete(Key::new("x", "y"))])
        .await
        .expect("the batch write succeeds");

    assert_eq!(store.latest_sequence().expect("readable"), before, "no write changed anything");
    assert_eq!(all_changes(&store).len(), 1);
}

#[tokio::test]
async fn stream_skips_failed_writes() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = open(dir.path());
    store.put(item("user#1", "profile", &[]), None).await.expect("the put succeeds");
    let before = store.latest_sequence().expect("readable");

    let result = store
        .transact_write(vec![
            TransactWrite::Put { item: item("tweet#1", "tweet", &[]), condition: None },
            TransactWrite::Update {
                key: Key::new("user#1", "profile"),
                update: Update::new().add("n", 1),
                condition: None,
            },
            TransactWrite::ConditionCheck {
                key: Key::new("user#2", "profile"),
                condition: Condition::Exists,
            },
        ])
        .await;
    assert!(matches!(result, Err(StoreError::TransactionCanceled { .. })), "{result:?}");

    let result =
        store.put(item("user#1", "profile", &[("x", number(1))]), Some(Condition::NotExists)).await;
    assert!(matches!(result, Err(StoreError::ConditionFailed)), "{result:?}");

    assert_eq!(
        store.latest_sequence().expect("readable"),
        before,
        "a cancelled write appended a record"
    );
    assert_eq!(store.get(&Key::new("tweet#1", "tweet")).await.expect("readable"), None);
}

#[tokio::test]
async fn read_changes_filters_entities() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = open(dir.path());
    store.put(item("tweet#1", "tweet", &[("entity", string("tweet"))]), None).await.expect("put");
    store.put(item("user#1", "profile", &[("entity", string("user"))]), None).await.expect("put");
    store.put(item("like#1", "like", &[("entity", string("like"))]), None).await.expect("put");
    store.put(item("misc", "1", &[]), None).await.expect("put");
    store.delete(&Key::new("tweet#1", "tweet"), None).await.expect("delete");
    let newest = store.latest_sequence().expect("readable");

    let (tweets, position) = store.read_changes(0, 100, &["tweet"]).expect("readable");
    assert_eq!(
        events(&tweets),
        [
            (EventName::Insert, "tweet#1/tweet".to_owned()),
            (EventName::Remove, "tweet#1/tweet".to_owned())
        ],
        "a REMOVE is filtered by its old image's entity"
    );
    assert_eq!(position, newest, "the position passes the skipped records");

    let (several, _) = store.read_changes(0, 100, &["tweet", "like"]).expect("readable");
    assert_eq!(several.len(), 3);

    let (all, _) = store.read_changes(0, 100, &[]).expect("readable");
    assert_eq!(all.len(), 5, "an empty filter keeps every record, with or without an entity");

    // A consumer reading one record at a time advances to each record it got.
    let (first, position) = store.read_changes(0, 1, &["tweet"]).expect("readable");
    assert_eq!(first.len(), 1);
    assert_eq!(position, first[0].sequence);
    let (second, position) = store.read_changes(position, 1, &["tweet"]).expect("readable");
    assert_eq!(second[0].event_name, EventName::Remove);
    assert_eq!(position, second[0].sequence);
    let (rest, position) = store.read_changes(position, 1, &["tweet"]).expect("readable");
    assert!(rest.is_empty());
    assert_eq!(position, newest);

    let (none, position) = store.read_changes(newest, 100, &[]).expect("readable");
    assert!(none.is_empty());
    assert_eq!(position, newest, "the position never goes back");
}

#[tokio::test]
async fn consumer_positions_persist() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = open(dir.path());
    assert_eq!(
        store.consumer_position("fanout").expect("readable"),
        0,
        "a new consumer starts at 0"
    );
    for i in 0..3 {
        store.put(item("p", &format!("{i}"), &[]), None).await.expect("put");
    }
    let (records, _) = store.read_changes(0, 2, &[]).expect("readable");
    store.set_consumer_position("fanout", records[1].sequence).expect("the position is stored");
    store.set_consumer_position("search", records[0].sequence).expect("the position is stored");
    store.set_consumer_position("search", records[1].sequence).expect("the position moves");
    let newest = store.latest_sequence().expect("readable");
    drop(store);

    let store = open(dir.path());
    assert_eq!(store.consumer_position("fanout").expect("readable"), records[1].sequence);
    assert_eq!(store.consumer_position("search").expect("readable"), records[1].sequence);
    assert_eq!(store.latest_sequence().expect("readable"), newest);

    let (pending, _) = store.read_changes(records[1].sequence, 100, &[]).expect("readable");
    assert_eq!(pending.len(), 1, "the third record is still to process");
    assert_eq!(pending[0].keys.string("SK"), Some("2"));

    store.put(item("p", "3", &[]), None).await.expect("put");
    assert!(
        store.latest_sequence().expect("readable") > newest,
        "sequences continue after reopening"
    );
}

#[tokio::test]
async fn dead_letters_persist() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = open(dir.path());
    assert!(store.dead_letters("fanout").expect("readable").is_empty());

    store.add_dead_letter("fanout", 7, 3).expect("stored");
    store.add_dead_letter("fanout", 2, 5).expect("stored");
    store.add_dead_letter("search", 4, 1).expect("stored");
    store.add_dead_letter("fanout", 7, 4).expect("stored again");
    assert_eq!(store.dead_letters("fanout").expect("readable"), [2, 7], "oldest first, once each");
    drop(store);

    let store = open(dir.path());
    assert_eq!(store.dead_letters("fanout").expect("readable"), [2, 7]);
    assert_eq!(store.dead_letters("search").expect("readable"), [4]);
}

#[tokio::test]
async fn change_notifier_wakes_on_commit() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = open(dir.path());
    let notify = store.change_notifier();

    let notified = notify.notified();
    tokio::pin!(notified);
    notified.as_mut().enable();
    store.put(item("p", "1", &[]), None).await.expect("put");
    tokio::time::timeout(Duration::from_secs(5), notified)
        .await
        .expect("a commit wakes the waiters");
}

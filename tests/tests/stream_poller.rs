//! chirp-local's DynamoDB Streams poller against a real stream: moto's server at
//! `CHIRP_TEST_DYNAMODB_ENDPOINT` (start it with `eval "$(infra/moto/start.sh)"`). Without the
//! variable every test prints that it was skipped and passes.
//!
//! Each test writes items with the DynamoDB store, drains a poller whose consumer records the
//! batches it gets, and checks them.

use std::sync::{Arc, Mutex};

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use chirp_local::pump::{Consumer, MAX_ATTEMPTS};
use chirp_local::streams::{Progress, StreamPoller, stream_arn};
use chirp_shared::store::dynamodb::DynamoStore;
use chirp_shared::store::{Condition, Item, ItemExt, Key, Store, TransactWrite, Update, string};
use chirp_tests::dynamodb::{TestTable, endpoint};

/// A consumer's view of what it was given: every batch, in order.
type Batches = Arc<Mutex<Vec<Vec<EventRecord>>>>;

/// Decides whether a record fails, given the record and the number of earlier batches.
type FailWhen = Arc<dyn Fn(&EventRecord, usize) -> bool + Send + Sync>;

struct Fixture {
    table: TestTable,
    store: Arc<dyn Store>,
    arn: String,
}

impl Fixture {
    async fn new() -> Option<Self> {
        if endpoint().is_none() {
            eprintln!("skipped: CHIRP_TEST_DYNAMODB_ENDPOINT is not set");
            return None;
        }
        let table = TestTable::create().await;
        let store: Arc<dyn Store> = Arc::new(DynamoStore::new(table.client.clone(), &table.name));
        let arn = stream_arn(&table.client, &table.name).await.expect("the table has a stream");
        Some(Self { table, store, arn })
    }

    /// A poller for a consumer of `entities` that records its batches and fails a record when
    /// `fail` returns true for it and the number of batches seen so far.
    fn poller(&self, entities: &'static [&'static str], fail: FailWhen) -> (StreamPoller, Batches) {
        let batches: Batches = Arc::default();
        let seen = batches.clone();
        let consumer = Consumer {
            name: "recorder",
            entities,
            handler: Arc::new(move |_store, event: Event| {
                let mut seen = seen.lock().unwrap();
                let batch_number = seen.len();
                seen.push(event.records.clone());
                let mut response = DynamoDbEventResponse::default();
                // Like `process_in_order`: the first failure ends the batch.
                if let Some(record) = event.records.iter().find(|record| fail(record, batch_number)) {
                    let mut failure = DynamoDbBatchItemFailure::default();
                    failure.item_identifier = record.change.sequence_number.clone();
                    response.batch_item_failures.push(failure);
                }
                Box::pin(async move { response })
            }),
        };
        let progress = Arc::new(Progress::new(&["recorder"]));
        let poller = StreamPoller::new(self.table.streams.clone(), &self.arn, self.store.clone(), consumer, progress);
        (poller, batches)
    }

    async fn put(&self, pk: &str, entity: &str) {
        self.store.put(item(pk, entity), None).await.expect("the put succeeds");
    }
}

fn item(pk: &str, entity: &str) -> Item {
    let mut item = Key::new(pk, "A").to_item();
    item.insert("entity".to_owned(), string(entity));
    item
}

fn never() -> FailWhen {
    Arc::new(|_, _| false)
}

fn pk(record: &EventRecord) -> &str {
    record.change.keys.string("PK").unwrap_or_default()
}

fn pks(batches: &Batches) -> Vec<Vec<String>> {
    let batches = batches.lock().unwrap();
    batches.iter().map(|batch| batch.iter().map(|record| pk(record).to_owned()).collect()).collect()
}

#[tokio::test]
async fn batch_shape_like_lambda() {
    let Some(fixture) = Fixture::new().await else { return };
    fixture.put("T1", "tweet").await;
    fixture.store.delete(&Key::new("T1", "A"), None).await.expect("the delete succeeds");
    let (mut poller, batches) = fixture.poller(&["tweet"], never());

    poller.drain().await.expect("the poller reads the stream");

    let batches = batches.lock().unwrap();
    assert_eq!(batches.len(), 1, "one batch");
    let records = &batches[0];
    assert_eq!(records.len(), 2, "an INSERT and a REMOVE");
    let (insert, remove) = (&records[0], &records[1]);
    assert_eq!(insert.event_name, "INSERT");
    assert_eq!(remove.event_name, "REMOVE");
    for record in records {
        assert_eq!(record.event_source_arn.as_deref(), Some(fixture.arn.as_str()));
        assert_eq!(record.event_source.as_deref(), Some("aws:dynamodb"));
        assert!(!record.event_id.is_empty(), "an eventID");
        assert!(record.change.sequence_number.is_some(), "a sequence number");
        assert_eq!(record.change.keys.string("PK"), Some("T1"));
        assert_eq!(record.change.keys.string("SK"), Some("A"));
    }
    assert_eq!(insert.change.new_image.string("entity"), Some("tweet"));
    assert!(insert.change.old_image.is_empty(), "an INSERT has no old image");
    assert_eq!(remove.change.old_image.string("entity"), Some("tweet"));
    assert!(remove.change.new_image.is_empty(), "a REMOVE has no new image");
    let first: u128 = insert.change.sequence_number.as_deref().unwrap().parse().expect("a numeric sequence number");
    let second: u128 = remove.change.sequence_number.as_deref().unwrap().parse().expect("a numeric sequence number");
    assert!(first < second, "sequence numbers increase");
}

#[tokio::test]
async fn filter_passes_listed_entities() {
    let Some(fixture) = Fixture::new().await else { return };
    fixture.put("T1", "tweet").await;
    fixture.put("U1", "user").await;
    fixture.put("L1", "timeline").await;
    fixture.put("F1", "following").await;
    let (mut poller, batches) = fixture.poller(&["tweet", "following"], never());

    poller.drain().await.expect("the poller reads the stream");
    fixture.put("U2", "user").await;
    poller.drain().await.expect("the poller reads the stream");
    fixture.put("T2", "tweet").await;
    poller.drain().await.expect("the poller reads the stream");

    // A poll that finds only filtered-out records moves past them without invoking the handler.
    assert_eq!(pks(&batches), vec![vec!["T1", "F1"], vec!["T2"]]);
}

#[tokio::test]
async fn failed_record_retried_from_itself() {
    let Some(fixture) = Fixture::new().await else { return };
    for pk in ["A1", "A2", "A3"] {
        fixture.put(pk, "tweet").await;
    }
    // A2 fails in the first batch only.
    let fail: FailWhen = Arc::new(|record, batch_number| pk(record) == "A2" && batch_number == 0);
    let (mut poller, batches) = fixture.poller(&["tweet"], fail);

    poller.drain().await.expect("the poller reads the stream");

    // The retry starts at the failed record; A1 succeeded and is not delivered again.
    assert_eq!(pks(&batches), vec![vec!["A1", "A2", "A3"], vec!["A2", "A3"]]);
    assert!(poller.dead_letters().is_empty(), "nothing dead-lettered");
}

#[tokio::test]
async fn poison_record_dead_lettered() {
    let Some(fixture) = Fixture::new().await else { return };
    for pk in ["P1", "P2", "P3"] {
        fixture.put(pk, "tweet").await;
    }
    let fail: FailWhen = Arc::new(|record, _| pk(record) == "P2");
    let (mut poller, batches) = fixture.poller(&["tweet"], fail);

    poller.drain().await.expect("the poller reads the stream");

    let seen = pks(&batches);
    let tries = seen.iter().filter(|batch| batch.first().is_some_and(|pk| pk == "P2")).count();
    assert_eq!(tries as u32, MAX_ATTEMPTS - 1, "retries after the first try: {seen:?}");
    assert_eq!(seen.first(), Some(&vec!["P1".to_owned(), "P2".to_owned(), "P3".to_owned()]));
    assert_eq!(seen.last(), Some(&vec!["P3".to_owned()]), "the record after the poison one is delivered");
    let batches = batches.lock().unwrap();
    let poison_sequence = batches[0][1].change.sequence_number.clone().unwrap();
    assert_eq!(poller.dead_letters(), [poison_sequence]);
}

#[tokio::test]
async fn polls_after_failed_transaction() {
    let Some(fixture) = Fixture::new().await else { return };
    fixture.put("B1", "tweet").await;
    let (mut poller, batches) = fixture.poller(&["tweet"], never());
    poller.drain().await.expect("the poller reads the stream");

    // moto 5.2.5 lets a shard iterator taken before a failed transaction go stale.
    let rejected = fixture
        .store
        .transact_write(vec![
            TransactWrite::Put { item: item("B2", "tweet"), condition: None },
            TransactWrite::Put { item: item("B1", "tweet"), condition: Some(Condition::NotExists) },
        ])
        .await;
    assert!(rejected.is_err(), "the transaction is cancelled");
    fixture.put("B3", "tweet").await;
    poller.drain().await.expect("the poller reads the stream");

    assert_eq!(pks(&batches), vec![vec!["B1"], vec!["B3"]]);
}

/// Prints the records moto 5.2.5 emits for an UpdateItem that creates an item and an identical
/// PutItem. DynamoDB emits one INSERT for the first and no record for the second.
#[tokio::test]
async fn moto_quirk_records() {
    let Some(fixture) = Fixture::new().await else { return };
    let key = Key::new("C1", "A");
    let update = Update::new().set("entity", string("tweet")).add("likes", 1);
    fixture.store.update(&key, update, None).await.expect("the update succeeds");
    let current = fixture.store.get(&key).await.expect("the get succeeds").expect("the item exists");
    fixture.store.put(current, None).await.expect("the put succeeds");
    let (mut poller, batches) = fixture.poller(&["tweet"], never());

    poller.drain().await.expect("the poller reads the stream");

    let batches = batches.lock().unwrap();
    let names: Vec<&str> = batches.iter().flatten().map(|record| record.event_name.as_str()).collect();
    eprintln!("UpdateItem creating an item, then an identical PutItem, emitted {names:?}");
    assert!(names.first() == Some(&"INSERT"), "the first record is an INSERT: {names:?}");
}

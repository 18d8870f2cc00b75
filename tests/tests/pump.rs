//! The local runtime's stream pump: delivery order, persisted positions, filters, retries and
//! the dead-letter table.

use std::sync::{Arc, Mutex};

use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use chirp_local::pump::{Consumer, MAX_ATTEMPTS, Pump, Step};
use chirp_shared::store::sqlite::SqliteStore;
use chirp_shared::store::{Key, Store, string};

/// A consumer that records the sequence numbers it sees and fails on the ones in `failing`.
fn recorder(entities: &'static [&'static str], seen: Arc<Mutex<Vec<String>>>, failing: Vec<String>) -> Consumer {
    Consumer {
        name: "recorder",
        entities,
        handler: Arc::new(move |_store, event| {
            let seen = seen.clone();
            let failing = failing.clone();
            Box::pin(async move {
                let mut response = DynamoDbEventResponse::default();
                for record in &event.records {
                    let sequence = record.change.sequence_number.clone().unwrap_or_default();
                    if failing.contains(&sequence) {
                        let mut failure = DynamoDbBatchItemFailure::default();
                        failure.item_identifier = Some(sequence);
                        response.batch_item_failures.push(failure);
                        break;
                    }
                    seen.lock().unwrap().push(sequence);
                }
                response
            })
        }),
    }
}

async fn put(store: &SqliteStore, pk: &str, entity: &str) {
    let mut item = Key::new(pk, "X").to_item();
    item.insert("entity".into(), string(entity));
    store.put(item, None).await.unwrap();
}

#[tokio::test]
async fn delivers_in_order_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chirp.db");
    let seen = Arc::new(Mutex::new(Vec::new()));
    {
        let store = Arc::new(SqliteStore::open(&path).unwrap());
        for n in 0..3 {
            put(&store, &format!("A{n}"), "tweet").await;
        }
        let mut pump = Pump::new(store.clone(), recorder(&[], seen.clone(), vec![]));
        pump.drain().await.unwrap();
    }
    assert_eq!(*seen.lock().unwrap(), vec!["1", "2", "3"]);

    // A new process on the same file starts after the last delivered record.
    let store = Arc::new(SqliteStore::open(&path).unwrap());
    put(&store, "A3", "tweet").await;
    let mut pump = Pump::new(store.clone(), recorder(&[], seen.clone(), vec![]));
    pump.drain().await.unwrap();
    assert_eq!(*seen.lock().unwrap(), vec!["1", "2", "3", "4"]);
}

#[tokio::test]
async fn filter_skips_other_entities() {
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    put(&store, "A", "tweet").await;
    put(&store, "B", "user").await;
    put(&store, "C", "following").await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut pump = Pump::new(store.clone(), recorder(&["tweet", "following"], seen.clone(), vec![]));

    pump.drain().await.unwrap();

    assert_eq!(*seen.lock().unwrap(), vec!["1", "3"]);
    assert_eq!(store.consumer_position("recorder").unwrap(), 3);
}

#[tokio::test]
async fn failed_record_retried_then_dead_lettered() {
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    for n in 0..3 {
        put(&store, &format!("A{n}"), "tweet").await;
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut pump = Pump::new(store.clone(), recorder(&[], seen.clone(), vec!["2".into()]));

    let mut steps = Vec::new();
    for _ in 0..MAX_ATTEMPTS {
        steps.push(pump.step().await.unwrap());
    }

    assert!(steps[..steps.len() - 1].iter().all(|step| *step == Step::Retrying), "steps: {steps:?}");
    assert_eq!(store.dead_letters("recorder").unwrap(), vec![2]);
    pump.drain().await.unwrap();
    // Record 1 succeeded before the failure, so the position moved past it and no retry
    // delivers it again.
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.iter().filter(|s| *s == "1").count(), 1, "seen: {seen:?}");
    assert_eq!(seen.last().map(String::as_str), Some("3"), "record 3 must follow the dead letter");
    assert!(!seen.contains(&"2".to_owned()));
}

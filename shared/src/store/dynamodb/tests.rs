//! Retry and error handling against a scripted HTTP server on 127.0.0.1, for the DynamoDB
//! responses an emulator does not produce on demand: throttling, transaction conflicts and
//! unprocessed batch items.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};

use super::retry::RetryPolicy;
use super::{Client, DynamoStore};
use crate::store::{
    BatchWrite, CancelReason, Condition, Key, Store, StoreError, TransactWrite, Update, string,
};

const TABLE: &str = "chirp";

/// One scripted response: HTTP status and JSON body.
type Scripted = (u16, String);

/// A server that sends the next scripted response to each request, repeating the last one, and
/// records the request bodies.
struct ScriptedServer {
    endpoint: String,
    requests: Arc<Mutex<Vec<String>>>,
    count: Arc<AtomicUsize>,
}

impl ScriptedServer {
    fn start(responses: Vec<Scripted>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let endpoint = format!("http://{}", listener.local_addr().expect("a bound address"));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let count = Arc::new(AtomicUsize::new(0));
        let (thread_requests, thread_count) = (requests.clone(), count.clone());
        // The thread ends with the test process; it only ever talks to this test's client.
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let body = read_request(&mut stream);
                let index = thread_count.fetch_add(1, Ordering::SeqCst);
                thread_requests.lock().expect("not poisoned").push(body);
                let (status, body) = &responses[index.min(responses.len() - 1)];
                let response = format!(
                    "HTTP/1.1 {status} Scripted\r\ncontent-type: application/x-amz-json-1.0\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes());
            }
        });
        Self { endpoint, requests, count }
    }

    fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    fn store(&self) -> DynamoStore {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(Credentials::new("test", "test", None, None, "scripted"))
            .build();
        let mut store = DynamoStore::new(Client::from_conf(config), TABLE);
        // Millisecond delays keep the tests fast; the attempt bound is the real one.
        store.retry = RetryPolicy {
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            ..store.retry
        };
        store
    }
}

fn read_request(stream: &mut std::net::TcpStream) -> String {
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        match line.split_once(':') {
            Some((name, value)) if name.eq_ignore_ascii_case("content-length") => {
                length = value.trim().parse().unwrap_or(0);
            }
            _ => {}
        }
    }
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    String::from_utf8_lossy(&body).into_owned()
}

fn error(code: &str, message: &str) -> Scripted {
    (
        400,
        format!(r#"{{"__type":"com.amazonaws.dynamodb.v20120810#{code}","message":"{message}"}}"#),
    )
}

fn cancelled(reasons: &[&str]) -> Scripted {
    let reasons: Vec<String> =
        reasons.iter().map(|code| format!(r#"{{"Code":"{code}"}}"#)).collect();
    (
        400,
        format!(
            r#"{{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","message":"Transaction cancelled","CancellationReasons":[{}]}}"#,
            reasons.join(",")
        ),
    )
}

fn ok(body: &str) -> Scripted {
    (200, body.to_owned())
}

fn max_attempts() -> usize {
    RetryPolicy::default().max_attempts as usize
}

fn profile() -> crate::store::Item {
    let mut item = Key::new("user#1", "profile").to_item();
    item.insert("name".into(), string("Ada"));
    item
}

#[tokio::test]
async fn throttled_put_gives_up_after_max_attempts() {
    let server =
        ScriptedServer::start(vec![error("ProvisionedThroughputExceededException", "slow down")]);
    let result = server.store().put(profile(), None).await;
    assert!(matches!(result, Err(StoreError::Throttled)), "{result:?}");
    assert_eq!(server.count(), max_attempts());
}

#[tokio::test]
async fn throttled_get_succeeds_on_retry() {
    // Prints the retry warnings when run with --nocapture.
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let server = ScriptedServer::start(vec![
        error("ThrottlingException", "rate exceeded"),
        error("RequestLimitExceeded", "account limit"),
        ok(r#"{"Item":{"PK":{"S":"user#1"},"SK":{"S":"profile"}}}"#),
    ]);
    let item = server
        .store()
        .get(&Key::new("user#1", "profile"))
        .await
        .expect("the third attempt succeeds");
    assert_eq!(item, Some(Key::new("user#1", "profile").to_item()));
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn condition_failure_not_retried() {
    let server = ScriptedServer::start(vec![error(
        "ConditionalCheckFailedException",
        "The conditional request failed",
    )]);
    let result = server.store().put(profile(), Some(Condition::NotExists)).await;
    assert!(matches!(result, Err(StoreError::ConditionFailed)), "{result:?}");
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn server_error_retried_only_when_idempotent() {
    let server = ScriptedServer::start(vec![(500, "{}".into())]);
    let store = server.store();

    let result =
        store.update(&Key::new("user#1", "profile"), Update::new().add("count", 1), None).await;
    assert!(matches!(result, Err(StoreError::Unavailable(_))), "{result:?}");
    assert_eq!(server.count(), 1, "an ADD is not sent twice");

    let result = store.get(&Key::new("user#1", "profile")).await;
    assert!(matches!(result, Err(StoreError::Unavailable(_))), "{result:?}");
    assert_eq!(server.count(), 1 + max_attempts(), "a read is retried");
}

#[tokio::test]
async fn transaction_conflict_retried() {
    let server = ScriptedServer::start(vec![cancelled(&["None", "TransactionConflict"]), ok("{}")]);
    server.store().transact_write(two_writes()).await.expect("the second attempt succeeds");
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn transaction_conflict_gives_up() {
    let server = ScriptedServer::start(vec![cancelled(&["None", "TransactionConflict"])]);
    let result = server.store().transact_write(two_writes()).await;
    let Err(StoreError::TransactionCanceled { reasons }) = &result else { panic!("{result:?}") };
    assert_eq!(reasons, &[CancelReason::None, CancelReason::Conflict]);
    assert_eq!(server.count(), max_attempts());
}

#[tokio::test]
async fn transaction_condition_failure_not_retried() {
    let server =
        ScriptedServer::start(vec![cancelled(&["ConditionalCheckFailed", "TransactionConflict"])]);
    let result = server.store().transact_write(two_writes()).await;
    let Err(StoreError::TransactionCanceled { reasons }) = &result else { panic!("{result:?}") };
    assert_eq!(reasons, &[CancelReason::ConditionFailed, CancelReason::Conflict]);
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn transaction_throttled_reason() {
    let server = ScriptedServer::start(vec![cancelled(&["None", "ThrottlingError"])]);
    let result = server.store().transact_write(two_writes()).await;
    assert!(matches!(result, Err(StoreError::Throttled)), "{result:?}");
    assert_eq!(server.count(), max_attempts());
}

#[tokio::test]
async fn item_size_validation_error() {
    let server = ScriptedServer::start(vec![error(
        "ValidationException",
        "Item size has exceeded the maximum allowed size",
    )]);
    let result = server.store().put(profile(), None).await;
    assert!(matches!(result, Err(StoreError::ItemTooLarge { .. })), "{result:?}");

    let server = ScriptedServer::start(vec![error(
        "ValidationException",
        "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of 2048 bytes",
    )]);
    let result = server.store().put(profile(), None).await;
    assert!(matches!(result, Err(StoreError::Validation(_))), "an oversized key: {result:?}");
}

#[tokio::test]
async fn batch_write_resends_unprocessed() {
    let unprocessed = format!(
        r#"{{"UnprocessedItems":{{"{TABLE}":[{{"DeleteRequest":{{"Key":{{"PK":{{"S":"b"}},"SK":{{"S":"1"}}}}}}}}]}}}}"#
    );
    let server = ScriptedServer::start(vec![ok(&unprocessed), ok("{}")]);
    let writes = vec![BatchWrite::Put(profile()), BatchWrite::Delete(Key::new("b", "1"))];
    server.store().batch_write(writes).await.expect("the leftover is sent again");

    let requests = server.requests.lock().expect("not poisoned").clone();
    assert_eq!(requests.len(), 2);
    assert!(requests[0].contains("PutRequest"), "{}", requests[0]);
    assert!(requests[0].contains("DeleteRequest"), "{}", requests[0]);
    assert!(
        !requests[1].contains("PutRequest"),
        "the processed put was sent again: {}",
        requests[1]
    );
    assert!(requests[1].contains("DeleteRequest"), "{}", requests[1]);
}

#[tokio::test]
async fn batch_write_gives_up_when_stalled() {
    let unprocessed = format!(
        r#"{{"UnprocessedItems":{{"{TABLE}":[{{"DeleteRequest":{{"Key":{{"PK":{{"S":"b"}},"SK":{{"S":"1"}}}}}}}}]}}}}"#
    );
    let server = ScriptedServer::start(vec![ok(&unprocessed)]);
    let result = server.store().batch_write(vec![BatchWrite::Delete(Key::new("b", "1"))]).await;
    assert!(matches!(result, Err(StoreError::Throttled)), "{result:?}");
    assert_eq!(server.count(), max_attempts(), "rounds that process nothing count as attempts");
}

#[tokio::test]
async fn batch_get_resends_unprocessed() {
    let first = format!(
        r#"{{"Responses":{{"{TABLE}":[{{"PK":{{"S":"a"}},"SK":{{"S":"1"}}}}]}},"UnprocessedKeys":{{"{TABLE}":{{"Keys":[{{"PK":{{"S":"b"}},"SK":{{"S":"1"}}}}]}}}}}}"#
    );
    let second =
        format!(r#"{{"Responses":{{"{TABLE}":[{{"PK":{{"S":"b"}},"SK":{{"S":"1"}}}}]}}}}"#);
    let server = ScriptedServer::start(vec![ok(&first), ok(&second)]);
    let items = server
        .store()
        .batch_get(vec![Key::new("a", "1"), Key::new("b", "1")])
        .await
        .expect("the leftover is read again");
    assert_eq!(items.len(), 2);
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn reserved_words_go_through_placeholders() {
    let server = ScriptedServer::start(vec![ok(
        r#"{"Attributes":{"PK":{"S":"user#1"},"SK":{"S":"profile"}}}"#,
    )]);
    let update = Update::new().set("status", string("closed")).add("count", 1).remove("date");
    let condition = Condition::equals("name", string("Ada"));
    server
        .store()
        .update(&Key::new("user#1", "profile"), update, Some(condition))
        .await
        .expect("accepted");

    let request = server.requests.lock().expect("not poisoned")[0].clone();
    assert!(
        request.contains(r##""UpdateExpression":"SET #n0 = :v0 ADD #n1 :v1 REMOVE #n2""##),
        "{request}"
    );
    assert!(request.contains(r##""ConditionExpression":"#n3 = :v2""##), "{request}");
    assert!(request.contains(r##""#n0":"status""##), "{request}");
}

fn two_writes() -> Vec<TransactWrite> {
    vec![
        TransactWrite::Put { item: profile(), condition: Some(Condition::NotExists) },
        TransactWrite::Update {
            key: Key::new("user#2", "profile"),
            update: Update::new().add("n", 1),
            condition: None,
        },
    ]
}

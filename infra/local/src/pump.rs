//! The stream pump: reads the embedded change stream, shapes records as Lambda's DynamoDB
//! stream events and invokes the stream handlers in-process, like an event source mapping.
//!
//! Each consumer keeps its position in the store. A batch that reports an item failure is
//! retried from that record with backoff. After [`MAX_ATTEMPTS`] the record goes to the
//! dead-letter table and the consumer moves on, as `MaximumRetryAttempts` with an on-failure
//! destination does on AWS.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::dynamodb::{Event, EventRecord, StreamRecord, StreamViewType};
use aws_lambda_events::streams::DynamoDbEventResponse;
use chirp_shared::store::Store;
use chirp_shared::store::sqlite::{ChangeRecord, SqliteStore};
use futures::future::BoxFuture;
use tokio::sync::watch;

/// Records per batch, as the event source mapping's `BatchSize`.
pub const BATCH_SIZE: usize = 100;

/// Tries of one record before it goes to the dead-letter table.
pub const MAX_ATTEMPTS: u32 = 5;

/// How long an idle pump waits before looking again if no commit woke it.
const IDLE_POLL: Duration = Duration::from_millis(500);

/// The ARN the pump puts in `eventSourceARN`, shaped like a real stream's.
pub const STREAM_ARN: &str =
    "arn:aws:dynamodb:local:000000000000:table/chirp/stream/1970-01-01T00:00:00.000";

pub type Handler =
    Arc<dyn Fn(Arc<dyn Store>, Event) -> BoxFuture<'static, DynamoDbEventResponse> + Send + Sync>;

/// A stream consumer: a name for its position, the entities its filter criteria accept, and
/// the handler it invokes.
#[derive(Clone)]
pub struct Consumer {
    pub name: &'static str,
    pub entities: &'static [&'static str],
    pub handler: Handler,
}

/// The fan-out consumer, with the filter criteria of its event source mapping. It reads its
/// follower threshold from `CHIRP_CELEBRITY_THRESHOLD`.
pub fn fanout() -> Consumer {
    Consumer {
        name: "fanout",
        entities: &["tweet", "following"],
        handler: Arc::new(|store, event| Box::pin(async move { chirp_fanout::handle(&store, event).await })),
    }
}

/// Returns the fan-out consumer with a fixed follower threshold. Tweets of authors above it
/// are merged into feeds at read time instead of being fanned out.
pub fn fanout_with_threshold(threshold: i64) -> Consumer {
    Consumer {
        handler: Arc::new(move |store, event| {
            Box::pin(async move { chirp_fanout::handle_with_threshold(&store, event, threshold).await })
        }),
        ..fanout()
    }
}

/// Returns the notifier consumer, which turns follows, likes and tweets into notifications.
pub fn notifier() -> Consumer {
    Consumer {
        name: "notifier",
        entities: chirp_notifier::ENTITIES,
        handler: Arc::new(|store, event| Box::pin(async move { chirp_notifier::handle(&store, event).await })),
    }
}

/// Returns the indexer consumer, which turns tweets and users into search index items.
pub fn indexer() -> Consumer {
    Consumer {
        name: "indexer",
        entities: chirp_indexer::ENTITIES,
        handler: Arc::new(|store, event| Box::pin(async move { chirp_indexer::handle(&store, event).await })),
    }
}

/// Returns every consumer of the table's stream. Each keeps its own position, as each has its
/// own event source mapping on AWS.
pub fn consumers() -> Vec<Consumer> {
    vec![fanout(), notifier(), indexer()]
}

/// Returns every consumer, with fan-out's threshold fixed when `celebrity_threshold` is set.
pub fn consumers_with(celebrity_threshold: Option<i64>) -> Vec<Consumer> {
    match celebrity_threshold {
        Some(threshold) => vec![fanout_with_threshold(threshold), notifier(), indexer()],
        None => consumers(),
    }
}

/// What one step of a consumer did.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Nothing new to read.
    Idle,
    /// Records were delivered and the position advanced.
    Advanced,
    /// A record failed and will be retried.
    Retrying,
}

/// A consumer bound to a store, with its retry counts.
pub struct Pump {
    sqlite: Arc<SqliteStore>,
    store: Arc<dyn Store>,
    consumer: Consumer,
    attempts: HashMap<i64, u32>,
}

impl Pump {
    pub fn new(sqlite: Arc<SqliteStore>, consumer: Consumer) -> Self {
        let store: Arc<dyn Store> = sqlite.clone();
        Self { sqlite, store, consumer, attempts: HashMap::new() }
    }

    /// Delivers one batch, if any.
    pub async fn step(&mut self) -> Result<Step, String> {
        let name = self.consumer.name;
        let position = self.sqlite.consumer_position(name).map_err(|e| e.to_string())?;
        let (records, reached) = self
            .sqlite
            .read_changes(position, BATCH_SIZE, self.consumer.entities)
            .map_err(|e| e.to_string())?;
        if records.is_empty() {
            if reached > position {
                self.sqlite.set_consumer_position(name, reached).map_err(|e| e.to_string())?;
                return Ok(Step::Advanced);
            }
            return Ok(Step::Idle);
        }

        let event = event_of(&records);
        let response = (self.consumer.handler)(self.store.clone(), event).await;
        let failed = response
            .batch_item_failures
            .iter()
            .filter_map(|failure| failure.item_identifier.as_deref()?.parse::<i64>().ok())
            .min();
        let Some(failed) = failed else {
            self.attempts.clear();
            self.sqlite.set_consumer_position(name, reached).map_err(|e| e.to_string())?;
            return Ok(Step::Advanced);
        };

        // Everything before the failed record succeeded; resume at it.
        self.sqlite.set_consumer_position(name, failed - 1).map_err(|e| e.to_string())?;
        let attempts = self.attempts.entry(failed).or_insert(0);
        *attempts += 1;
        if *attempts >= MAX_ATTEMPTS {
            tracing::error!(consumer = name, sequence = failed, attempts = *attempts, "record failed every retry; moved to the dead-letter table");
            self.sqlite.add_dead_letter(name, failed, *attempts).map_err(|e| e.to_string())?;
            self.sqlite.set_consumer_position(name, failed).map_err(|e| e.to_string())?;
            self.attempts.remove(&failed);
            return Ok(Step::Advanced);
        }
        let backoff = Duration::from_millis(50 * 2u64.pow(*attempts));
        tracing::warn!(consumer = name, sequence = failed, attempt = *attempts, ?backoff, "retrying a failed stream record");
        tokio::time::sleep(backoff).await;
        Ok(Step::Retrying)
    }

    /// Runs until `shutdown` turns true, finishing the batch in hand first.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let changes = self.sqlite.change_notifier();
        tracing::info!(consumer = self.consumer.name, "stream pump started");
        while !*shutdown.borrow() {
            // Register interest before reading, so a commit between the read and the wait
            // still wakes the pump.
            let notified = changes.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            match self.step().await {
                Ok(Step::Idle) => {
                    tokio::select! {
                        _ = notified => {}
                        _ = tokio::time::sleep(IDLE_POLL) => {}
                        _ = shutdown.changed() => {}
                    }
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::error!(consumer = self.consumer.name, %error, "stream pump failed to read the stream; retrying");
                    tokio::time::sleep(IDLE_POLL).await;
                }
            }
        }
        tracing::info!(consumer = self.consumer.name, "stream pump stopped");
    }

    /// Delivers batches until the consumer has seen every record committed so far.
    pub async fn drain(&mut self) -> Result<(), String> {
        loop {
            if self.step().await? == Step::Idle {
                return Ok(());
            }
        }
    }
}

/// Shapes change records as the event Lambda passes to a stream handler.
pub fn event_of(records: &[ChangeRecord]) -> Event {
    let mut event = Event::default();
    event.records = records.iter().map(record_of).collect();
    event
}

fn record_of(change: &ChangeRecord) -> EventRecord {
    let mut stream_record = StreamRecord::default();
    stream_record.approximate_creation_date_time =
        chrono::DateTime::from_timestamp_millis(change.created_at_ms).unwrap_or_default();
    stream_record.keys = change.keys.clone();
    stream_record.new_image = change.new_image.clone().unwrap_or_default();
    stream_record.old_image = change.old_image.clone().unwrap_or_default();
    stream_record.sequence_number = Some(change.sequence.to_string());
    stream_record.stream_view_type = Some(StreamViewType::NewAndOldImages);

    let mut record = EventRecord::default();
    record.aws_region = "local".into();
    record.change = stream_record;
    record.event_id = change.sequence.to_string();
    record.event_name = change.event_name.as_str().into();
    record.event_source = Some("aws:dynamodb".into());
    record.event_version = Some("1.1".into());
    record.event_source_arn = Some(STREAM_ARN.into());
    record
}

//! One consumer's poller: reads every shard of the table's stream through the DynamoDB
//! Streams API and invokes the consumer's handler with Lambda-shaped batches, as an event
//! source mapping does.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_sdk_dynamodbstreams::Client as StreamsClient;
use aws_sdk_dynamodbstreams::error::DisplayErrorContext;
use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use chirp_shared::store::Store;
use tokio::sync::watch;

use super::convert::event_record;
use super::filter::accepts;
use super::progress::Progress;
use crate::pump::{BATCH_SIZE, Consumer, MAX_ATTEMPTS, Step};

/// How long an idle poller waits before polling again, unless woken. Lambda polls each shard
/// about four times a second.
const IDLE_POLL: Duration = Duration::from_millis(250);

/// How long a poller waits after failing to read the stream before it tries again.
const ERROR_WAIT: Duration = Duration::from_secs(1);

/// How often the poller lists the stream's shards to find new ones, besides when a shard ends.
const DESCRIBE_INTERVAL: Duration = Duration::from_secs(10);

/// Records one `GetRecords` call returns at most (the API's maximum).
const GET_RECORDS_LIMIT: i32 = 1000;

/// A consumer's position in one shard.
#[derive(Debug, Default)]
struct ShardState {
    parent: Option<String>,
    /// Sequence number of the last record the consumer is done with (delivered, filtered out
    /// or dead-lettered); `None` before the first, so reading starts at `TRIM_HORIZON`.
    position: Option<String>,
    /// The shard is closed (it has an ending sequence number).
    closed: bool,
    /// The shard is closed and every record in it is done.
    finished: bool,
}

/// A consumer polling one stream, with its position in each shard and its retry counts.
pub struct StreamPoller {
    client: StreamsClient,
    stream_arn: String,
    store: Arc<dyn Store>,
    consumer: Consumer,
    progress: Arc<Progress>,
    /// Shards by id. Shard ids sort by creation time, so parents come before children.
    shards: BTreeMap<String, ShardState>,
    last_describe: Option<Instant>,
    /// Failed tries of a record, by sequence number.
    attempts: HashMap<String, u32>,
    dead_letters: Vec<String>,
}

impl StreamPoller {
    pub fn new(
        client: StreamsClient,
        stream_arn: impl Into<String>,
        store: Arc<dyn Store>,
        consumer: Consumer,
        progress: Arc<Progress>,
    ) -> Self {
        Self {
            client,
            stream_arn: stream_arn.into(),
            store,
            consumer,
            progress,
            shards: BTreeMap::new(),
            last_describe: None,
            attempts: HashMap::new(),
            dead_letters: Vec::new(),
        }
    }

    /// Sequence numbers of the records that failed every retry, oldest first.
    pub fn dead_letters(&self) -> &[String] {
        &self.dead_letters
    }

    /// Polls once: delivers one batch from the first shard that has records, if any.
    pub async fn step(&mut self) -> Result<Step, String> {
        let started = Instant::now();
        let describe_due = self.last_describe.is_none_or(|at| at.elapsed() >= DESCRIBE_INTERVAL);
        if describe_due {
            self.describe().await?;
        }

        let ready: Vec<String> = self
            .shards
            .iter()
            .filter(|(_, shard)| !shard.finished && self.parent_finished(shard))
            .map(|(id, _)| id.clone())
            .collect();
        for shard_id in ready {
            let step = self.poll_shard(&shard_id).await?;
            if step != Step::Idle {
                self.progress.record_activity();
                return Ok(step);
            }
        }
        self.progress.record_idle(self.consumer.name, started);
        Ok(Step::Idle)
    }

    /// Runs until `shutdown` turns true, finishing the batch in hand first.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let name = self.consumer.name;
        tracing::info!(consumer = name, stream_arn = %self.stream_arn, "stream poller started");
        let mut consecutive_errors = 0u32;
        while !*shutdown.borrow() {
            let progress = self.progress.clone();
            // Register for a wake before polling, so a wake during the poll is not lost.
            let woken = progress.woken();
            tokio::pin!(woken);
            woken.as_mut().enable();
            match self.step().await {
                Ok(Step::Idle) => {
                    consecutive_errors = 0;
                    tokio::select! {
                        _ = woken => {}
                        _ = tokio::time::sleep(IDLE_POLL) => {}
                        _ = shutdown.changed() => {}
                    }
                }
                Ok(_) => consecutive_errors = 0,
                Err(error) => {
                    consecutive_errors += 1;
                    // Log the first failure of a run and then every 60th (about once a minute).
                    if consecutive_errors % 60 == 1 {
                        tracing::error!(consumer = name, %error, consecutive_errors, "stream poller failed to read the stream; retrying");
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(ERROR_WAIT) => {}
                        _ = shutdown.changed() => {}
                    }
                }
            }
        }
        tracing::info!(consumer = name, "stream poller stopped");
    }

    /// Polls until a poll finds nothing new.
    pub async fn drain(&mut self) -> Result<(), String> {
        loop {
            if self.step().await? == Step::Idle {
                return Ok(());
            }
        }
    }

    fn parent_finished(&self, shard: &ShardState) -> bool {
        // A parent the stream no longer lists has been trimmed away, so nothing waits on it.
        shard.parent.as_ref().is_none_or(|parent| self.shards.get(parent).is_none_or(|parent| parent.finished))
    }

    /// Lists the stream's shards (`DescribeStream`, every page) and adds the new ones.
    async fn describe(&mut self) -> Result<(), String> {
        let mut start = None;
        loop {
            let output = self
                .client
                .describe_stream()
                .stream_arn(&self.stream_arn)
                .set_exclusive_start_shard_id(start.take())
                .send()
                .await
                .map_err(|error| format!("DescribeStream failed for {}: {}", self.stream_arn, DisplayErrorContext(&error)))?;
            let Some(description) = output.stream_description else { break };
            for shard in description.shards() {
                let Some(id) = shard.shard_id() else { continue };
                let closed = shard.sequence_number_range().is_some_and(|range| range.ending_sequence_number().is_some());
                let state = self.shards.entry(id.to_owned()).or_insert_with(|| {
                    tracing::info!(consumer = self.consumer.name, shard_id = id, "stream poller found a shard");
                    ShardState { parent: shard.parent_shard_id().map(str::to_owned), ..ShardState::default() }
                });
                state.closed = closed;
            }
            match description.last_evaluated_shard_id {
                Some(last) => start = Some(last),
                None => break,
            }
        }
        self.last_describe = Some(Instant::now());
        Ok(())
    }

    /// Reads the records after the consumer's position in one shard and delivers the first
    /// batch of those that pass the filter.
    async fn poll_shard(&mut self, shard_id: &str) -> Result<Step, String> {
        // A fresh iterator on every poll: moto 5.2.5 lets an iterator taken before a failed
        // transaction go stale, and AFTER_SEQUENCE_NUMBER resumes exactly where we stopped.
        let position = self.shards[shard_id].position.clone();
        let iterator_type = match position {
            Some(_) => ShardIteratorType::AfterSequenceNumber,
            None => ShardIteratorType::TrimHorizon,
        };
        let iterator = self
            .client
            .get_shard_iterator()
            .stream_arn(&self.stream_arn)
            .shard_id(shard_id)
            .shard_iterator_type(iterator_type)
            .set_sequence_number(position)
            .send()
            .await
            .map_err(|error| format!("GetShardIterator failed for shard {shard_id}: {}", DisplayErrorContext(&error)))?
            .shard_iterator;
        let Some(iterator) = iterator else {
            return Ok(self.finish_shard(shard_id));
        };
        let output = self
            .client
            .get_records()
            .shard_iterator(iterator)
            .limit(GET_RECORDS_LIMIT)
            .send()
            .await
            .map_err(|error| format!("GetRecords failed for shard {shard_id}: {}", DisplayErrorContext(&error)))?;
        if output.records().is_empty() {
            // NOTE: DynamoDB may return an empty page before later records of an open shard,
            // which a poll then finds on its next try; moto returns every record at once.
            if output.next_shard_iterator().is_none() {
                return Ok(self.finish_shard(shard_id));
            }
            return Ok(Step::Idle);
        }

        let records: Vec<EventRecord> =
            output.records().iter().map(|record| event_record(record, &self.stream_arn)).collect();
        self.deliver(shard_id, &records).await
    }

    /// Delivers up to [`BATCH_SIZE`] records that pass the filter, from `records` in stream
    /// order, and moves the position past what is done.
    async fn deliver(&mut self, shard_id: &str, records: &[EventRecord]) -> Result<Step, String> {
        let name = self.consumer.name;
        // Indexes into `records` of the batch, and the last record this poll covers.
        let mut batch_indexes = Vec::new();
        let mut covered = records.len() - 1;
        for (index, record) in records.iter().enumerate() {
            if accepts(self.consumer.entities, record) {
                batch_indexes.push(index);
                if batch_indexes.len() == BATCH_SIZE {
                    covered = index;
                    break;
                }
            }
        }
        if batch_indexes.is_empty() {
            self.set_position(shard_id, &records[covered]);
            return Ok(Step::Advanced);
        }

        let mut event = Event::default();
        event.records = batch_indexes.iter().map(|&index| records[index].clone()).collect();
        let response = (self.consumer.handler)(self.store.clone(), event).await;
        if response.batch_item_failures.is_empty() {
            self.attempts.clear();
            self.set_position(shard_id, &records[covered]);
            return Ok(Step::Advanced);
        }

        // Lambda resumes at the failure with the lowest sequence number, which is the first in
        // batch order. An identifier that names no record in the batch fails the whole batch.
        let failed_index = response
            .batch_item_failures
            .iter()
            .map(|failure| {
                let identifier = failure.item_identifier.as_deref().unwrap_or_default();
                batch_indexes.iter().copied().find(|&index| sequence_number(&records[index]) == identifier)
            })
            .map(|index| index.unwrap_or(batch_indexes[0]))
            .min()
            .unwrap_or(batch_indexes[0]);
        let failed = &records[failed_index];
        let failed_sequence = sequence_number(failed).to_owned();
        if failed_index > 0 {
            self.set_position(shard_id, &records[failed_index - 1]);
        }

        let attempts = self.attempts.entry(failed_sequence.clone()).or_insert(0);
        *attempts += 1;
        let attempts = *attempts;
        if attempts >= MAX_ATTEMPTS {
            // NOTE: the dead letters stay in this process's log and memory; a deployment sends
            // them to the mapping's on-failure destination instead.
            tracing::error!(
                consumer = name,
                shard_id,
                sequence_number = %failed_sequence,
                event_id = %failed.event_id,
                event_name = %failed.event_name,
                attempts,
                "stream record failed every retry; dead-lettered and skipped"
            );
            self.dead_letters.push(failed_sequence.clone());
            self.attempts.remove(&failed_sequence);
            self.set_position(shard_id, failed);
            return Ok(Step::Advanced);
        }
        let backoff = Duration::from_millis(50 * 2u64.pow(attempts));
        tracing::warn!(consumer = name, shard_id, sequence_number = %failed_sequence, attempt = attempts, ?backoff, "retrying a failed stream record");
        tokio::time::sleep(backoff).await;
        Ok(Step::Retrying)
    }

    fn set_position(&mut self, shard_id: &str, record: &EventRecord) {
        let shard = self.shards.get_mut(shard_id).expect("a known shard");
        shard.position = Some(sequence_number(record).to_owned());
    }

    fn finish_shard(&mut self, shard_id: &str) -> Step {
        let shard = self.shards.get_mut(shard_id).expect("a known shard");
        if !shard.closed {
            return Step::Idle;
        }
        shard.finished = true;
        tracing::info!(consumer = self.consumer.name, shard_id, "stream poller finished a closed shard");
        // The shard's children may be new; list them on the next poll.
        self.last_describe = None;
        Step::Advanced
    }
}

fn sequence_number(record: &EventRecord) -> &str {
    record.change.sequence_number.as_deref().unwrap_or_default()
}

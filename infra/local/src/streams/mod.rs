//! A local event source mapping for DynamoDB Streams. One poller per stream consumer reads the
//! table's stream through the DynamoDB Streams API and invokes the handler Lambda invokes. It
//! uses the filter criteria, batch size and retry policy of the SQLite pump.

mod convert;
mod filter;
mod poller;
mod progress;

use std::sync::Arc;

use aws_sdk_dynamodb::error::DisplayErrorContext;
use chirp_shared::store::Store;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use convert::event_record;
pub use filter::accepts;
pub use poller::StreamPoller;
pub use progress::Progress;

use crate::pump::Consumer;

/// Returns the ARN of the table's current stream (`DescribeTable`'s `LatestStreamArn`).
pub async fn stream_arn(client: &aws_sdk_dynamodb::Client, table: &str) -> Result<String, String> {
    let output = client
        .describe_table()
        .table_name(table)
        .send()
        .await
        .map_err(|error| format!("DescribeTable failed for {table}: {}", DisplayErrorContext(&error)))?;
    output
        .table
        .and_then(|description| description.latest_stream_arn)
        .ok_or_else(|| format!("table {table} has no stream; enable one with NEW_AND_OLD_IMAGES"))
}

/// Starts one poller per consumer on the stream and returns their tasks and shared progress.
pub fn spawn(
    client: &aws_sdk_dynamodbstreams::Client,
    stream_arn: &str,
    store: &Arc<dyn Store>,
    consumers: Vec<Consumer>,
    shutdown: &watch::Receiver<bool>,
) -> (Arc<Progress>, Vec<JoinHandle<()>>) {
    let names: Vec<&'static str> = consumers.iter().map(|consumer| consumer.name).collect();
    let progress = Arc::new(Progress::new(&names));
    let tasks = consumers
        .into_iter()
        .map(|consumer| {
            let poller = StreamPoller::new(client.clone(), stream_arn, store.clone(), consumer, progress.clone());
            tokio::spawn(poller.run(shutdown.clone()))
        })
        .collect();
    (progress, tasks)
}

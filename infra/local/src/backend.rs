//! The store the local runtime runs on, and the stream consumers that go with it: the embedded
//! SQLite store with its pump, or a DynamoDB table with DynamoDB Streams pollers.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use chirp_shared::store::Store;
use chirp_shared::store::dynamodb::DynamoStore;
use chirp_shared::store::sqlite::SqliteStore;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::data_dir::DataDir;
use crate::pump::{self, Pump};
use crate::server::Server;
use crate::streams::{self, Progress};

/// The store the local runtime uses.
#[derive(Clone, Debug)]
pub enum StoreChoice {
    /// The embedded SQLite store in the data directory, which also keeps the secret.
    Sqlite,
    /// An existing DynamoDB table with a `NEW_AND_OLD_IMAGES` stream.
    DynamoDb(DynamoDbTable),
}

/// A DynamoDB table and the clients that reach it and its stream.
#[derive(Clone)]
pub struct DynamoDbTable {
    pub client: aws_sdk_dynamodb::Client,
    pub streams: aws_sdk_dynamodbstreams::Client,
    pub table: String,
    /// Secret that signs tokens and cursors. `None` takes `CHIRP_SECRET`, or else a random
    /// secret for this run, so tokens then do not survive a restart.
    pub secret: Option<Vec<u8>>,
}

impl std::fmt::Debug for DynamoDbTable {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Leaves out the secret.
        formatter.debug_struct("DynamoDbTable").field("table", &self.table).finish_non_exhaustive()
    }
}

impl DynamoDbTable {
    /// Builds both clients from the standard AWS environment: region, credentials and
    /// endpoints (`AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_DYNAMODB_STREAMS` or
    /// `AWS_ENDPOINT_URL`). When only the DynamoDB endpoint is set, the stream is read there
    /// too, as local DynamoDB servers serve both APIs on one port.
    pub async fn from_env(table: impl Into<String>) -> Self {
        let config = aws_config::defaults(BehaviorVersion::latest()).load().await;
        let client = aws_sdk_dynamodb::Client::new(&config);
        let mut streams_config = aws_sdk_dynamodbstreams::config::Builder::from(&config);
        let has_streams_endpoint = ["AWS_ENDPOINT_URL_DYNAMODB_STREAMS", "AWS_ENDPOINT_URL"]
            .iter()
            .any(|name| std::env::var_os(name).is_some());
        if !has_streams_endpoint && let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL_DYNAMODB") {
            streams_config = streams_config.endpoint_url(endpoint);
        }
        let streams = aws_sdk_dynamodbstreams::Client::from_conf(streams_config.build());
        Self { client, streams, table: table.into(), secret: None }
    }
}

/// The source of an opened store's changes for the stream consumers.
enum StreamSource {
    Pump(Arc<SqliteStore>),
    Pollers { client: aws_sdk_dynamodbstreams::Client, stream_arn: String },
}

/// An opened store, ready for the server.
pub(crate) struct Opened {
    pub store: Arc<dyn Store>,
    pub sqlite: Option<Arc<SqliteStore>>,
    pub secret: Vec<u8>,
    pub data_dir: Option<DataDir>,
    stream: StreamSource,
}

/// Opens the chosen store: the SQLite store takes the lock of `data_dir`; a DynamoDB table must
/// exist and have a stream.
pub(crate) async fn open(choice: &StoreChoice, data_dir: &Path) -> Result<Opened, String> {
    match choice {
        StoreChoice::Sqlite => {
            let data_dir = DataDir::open(data_dir)?;
            let sqlite = Arc::new(data_dir.open_store()?);
            let secret = data_dir.secret()?;
            Ok(Opened {
                store: sqlite.clone(),
                sqlite: Some(sqlite.clone()),
                secret,
                data_dir: Some(data_dir),
                stream: StreamSource::Pump(sqlite),
            })
        }
        StoreChoice::DynamoDb(table) => {
            let stream_arn = streams::stream_arn(&table.client, &table.table).await?;
            let secret = match (&table.secret, std::env::var("CHIRP_SECRET")) {
                (Some(secret), _) => secret.clone(),
                (None, Ok(secret)) => secret.into_bytes(),
                (None, Err(_)) => random_secret(),
            };
            tracing::info!(table = %table.table, %stream_arn, "using the DynamoDB table");
            Ok(Opened {
                store: Arc::new(DynamoStore::new(table.client.clone(), &table.table)),
                sqlite: None,
                secret,
                data_dir: None,
                stream: StreamSource::Pollers { client: table.streams.clone(), stream_arn },
            })
        }
    }
}

impl Opened {
    /// Starts every stream consumer; returns the pollers' progress (none for the pump) and the
    /// tasks.
    pub(crate) fn spawn_consumers(
        &self,
        shutdown: &watch::Receiver<bool>,
        celebrity_threshold: Option<i64>,
    ) -> (Option<Arc<Progress>>, Vec<JoinHandle<()>>) {
        match &self.stream {
            StreamSource::Pump(sqlite) => {
                let tasks = pump::consumers_with(celebrity_threshold)
                    .into_iter()
                    .map(|consumer| tokio::spawn(Pump::new(sqlite.clone(), consumer).run(shutdown.clone())))
                    .collect();
                (None, tasks)
            }
            StreamSource::Pollers { client, stream_arn } => {
                let (progress, tasks) = streams::spawn(client, stream_arn, &self.store, pump::consumers_with(celebrity_threshold), shutdown);
                (Some(progress), tasks)
            }
        }
    }
}

fn random_secret() -> Vec<u8> {
    let bytes: [u8; 32] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect::<String>().into_bytes()
}

impl Server {
    /// Waits until every stream consumer has processed every change committed so far,
    /// including the changes the consumers themselves wrote. Fails after `timeout`.
    pub async fn settle(&self, timeout: Duration) -> Result<(), String> {
        if let Some(progress) = &self.streams {
            return progress.settle(timeout).await;
        }
        let sqlite = self.sqlite.as_ref().expect("a runtime without pollers runs on SQLite");
        let deadline = Instant::now() + timeout;
        let consumers = pump::consumers();
        loop {
            let latest = sqlite.latest_sequence().map_err(|error| error.to_string())?;
            let mut caught_up = true;
            for consumer in &consumers {
                let position = sqlite.consumer_position(consumer.name).map_err(|error| error.to_string())?;
                caught_up &= position >= latest;
            }
            if caught_up {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!("the stream consumers did not catch up within {timeout:?}"));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

//! The DynamoDB pass of the end-to-end suites: the store choice and one table per test.

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use chirp_shared::store::dynamodb::{create_table, delete_table};

/// Variable that picks the store of the suites.
const STORE_VARIABLE: &str = "CHIRP_TEST_STORE";

/// Variable that names the DynamoDB-compatible server of the DynamoDB pass.
const ENDPOINT_VARIABLE: &str = "CHIRP_TEST_DYNAMODB_ENDPOINT";

/// The store the end-to-end suites run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestStore {
    Sqlite,
    DynamoDb,
}

impl TestStore {
    /// Reads `CHIRP_TEST_STORE`: unset or `sqlite`, or `dynamodb`. Panics on any other value,
    /// so a typo cannot turn the DynamoDB pass into a second SQLite pass.
    pub fn from_env() -> Self {
        match std::env::var(STORE_VARIABLE).as_deref() {
            Err(_) | Ok("sqlite") => TestStore::Sqlite,
            Ok("dynamodb") => TestStore::DynamoDb,
            Ok(other) => panic!("{STORE_VARIABLE}={other:?} is invalid; use sqlite or dynamodb"),
        }
    }
}

/// Returns true, after printing why, when the suites run on DynamoDB; a test that only makes
/// sense on the SQLite store returns early then.
pub fn skip_on_dynamodb(reason: &str) -> bool {
    let skip = TestStore::from_env() == TestStore::DynamoDb;
    if skip {
        eprintln!("skipped on the DynamoDB pass: {reason}");
    }
    skip
}

/// Returns the DynamoDB-compatible server of the tests, if `CHIRP_TEST_DYNAMODB_ENDPOINT` is set.
pub fn endpoint() -> Option<String> {
    std::env::var(ENDPOINT_VARIABLE).ok()
}

/// A fresh table for one test on the server at `CHIRP_TEST_DYNAMODB_ENDPOINT`, deleted on drop.
pub struct TestTable {
    pub endpoint: String,
    pub name: String,
    pub client: aws_sdk_dynamodb::Client,
    pub streams: aws_sdk_dynamodbstreams::Client,
    /// The runtime's signing secret, kept across restarts so tokens stay valid.
    pub secret: Vec<u8>,
}

impl TestTable {
    /// Creates the table. Panics when `CHIRP_TEST_DYNAMODB_ENDPOINT` is unset.
    pub async fn create() -> Self {
        let endpoint = endpoint().unwrap_or_else(|| {
            panic!("{STORE_VARIABLE}=dynamodb needs {ENDPOINT_VARIABLE}; start moto with infra/moto/start.sh")
        });
        let client = dynamodb_client(&endpoint);
        let name = format!("chirp-e2e-{:016x}", rand::random::<u64>());
        create_table(&client, &name).await.expect("the test table is created");
        let secret = format!("test-secret-{:032x}", rand::random::<u128>()).into_bytes();
        Self { streams: streams_client(&endpoint), endpoint, name, client, secret }
    }
}

impl Drop for TestTable {
    fn drop(&mut self) {
        // Drop cannot await, and the test's runtime may be a single thread blocked right here,
        // so the deletion runs on a thread of its own with its own runtime and client.
        let endpoint = self.endpoint.clone();
        let name = self.name.clone();
        let deletion = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            runtime.block_on(async { delete_table(&dynamodb_client(&endpoint), &name).await })
        });
        if let Ok(Err(error)) = deletion.join() {
            eprintln!("failed to delete the test table {}: {error}", self.name);
        }
    }
}

fn credentials() -> Credentials {
    Credentials::new("test", "test", None, None, "chirp-tests")
}

fn dynamodb_client(endpoint: &str) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(credentials())
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

fn streams_client(endpoint: &str) -> aws_sdk_dynamodbstreams::Client {
    let config = aws_sdk_dynamodbstreams::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(credentials())
        .build();
    aws_sdk_dynamodbstreams::Client::from_conf(config)
}

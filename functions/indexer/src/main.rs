//! Lambda entry point of the indexer function, invoked by the table's DynamoDB stream.

use aws_lambda_events::dynamodb::Event;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    chirp_shared::telemetry::init();
    let store = chirp_shared::bootstrap::store_from_env().await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Event>| {
        let store = &store;
        async move { Ok::<_, Error>(chirp_indexer::handle(store, event.payload).await) }
    }))
    .await
}

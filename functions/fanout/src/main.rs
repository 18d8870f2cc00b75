//! Lambda entry point of the fan-out function, invoked by the table's DynamoDB stream.

use aws_lambda_events::dynamodb::Event;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    chirp_shared::telemetry::init();
    let store = chirp_shared::bootstrap::store_from_env().await?;
    // Read once per cold start, so an invalid value fails the start instead of every batch.
    let threshold = chirp_shared::domain::celebrities::threshold_from_env()?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Event>| {
        let store = &store;
        async move { Ok::<_, Error>(chirp_fanout::handle_with_threshold(store, event.payload, threshold).await) }
    }))
    .await
}

//! Lambda entry point of the avatar processor, invoked by the avatar bucket's S3 events.

use aws_lambda_events::s3::S3Event;
use chirp_avatars::Processor;
use chirp_shared::avatars::Avatars;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    chirp_shared::telemetry::init();
    let store = chirp_shared::bootstrap::store_from_env().await?;
    let avatars = Avatars::from_env()
        .await?
        .ok_or("CHIRP_AVATAR_BUCKET is not set; set it to the name of the avatar bucket")?;
    let processor = Processor { store, avatars };
    lambda_runtime::run(service_fn(|event: LambdaEvent<S3Event>| {
        let processor = &processor;
        async move { chirp_avatars::handle_event(processor, event.payload).await }
    }))
    .await
}

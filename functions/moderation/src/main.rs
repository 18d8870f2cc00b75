//! Lambda entry point of the moderation function.

use lambda_http::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    chirp_shared::telemetry::init();
    let app = chirp_shared::bootstrap::app_from_env().await?;
    lambda_http::run(service_fn(|request| {
        let app = &app;
        async move { Ok::<_, Error>(chirp_moderation::handle(app, request).await) }
    }))
    .await
}

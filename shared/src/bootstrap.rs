//! Building the store and the app from the environment, once per Lambda cold start.

use std::sync::Arc;

use crate::app::App;
use crate::config::Config;
use crate::store::Store;

/// Builds the DynamoDB store on the table named by `CHIRP_TABLE`. Region, credentials and
/// endpoint come from Lambda's environment variables (see [`DynamoStore::from_lambda_env`]).
///
/// [`DynamoStore::from_lambda_env`]: crate::store::dynamodb::DynamoStore::from_lambda_env
#[cfg(feature = "dynamodb")]
pub async fn store_from_env() -> Result<Arc<dyn Store>, String> {
    use crate::store::dynamodb::DynamoStore;

    let table = std::env::var("CHIRP_TABLE").unwrap_or_default();
    if table.trim().is_empty() {
        return Err("CHIRP_TABLE is not set; set it to the name of the DynamoDB table".into());
    }
    let store = DynamoStore::from_lambda_env(table)?;
    tracing::info!(table = store.table(), "using the DynamoDB store");
    Ok(Arc::new(store))
}

/// Fails: this build has no DynamoDB store (the `dynamodb` feature of `chirp-shared` is off).
#[cfg(not(feature = "dynamodb"))]
pub async fn store_from_env() -> Result<Arc<dyn Store>, String> {
    Err("this build has no DynamoDB store; run the API with chirp-local instead".into())
}

/// Builds the app of an HTTP function: configuration, store and signing keys.
pub async fn app_from_env() -> Result<App, String> {
    let config = Config::from_env()?;
    let rate_limits = crate::ratelimit::RateLimits::from_env()?;
    let store = store_from_env().await?;
    let app = App::new(store, &config)?.with_rate_limits(rate_limits);
    #[cfg(feature = "s3")]
    if let Some(avatars) = crate::avatars::Avatars::from_env().await? {
        return Ok(app.with_avatars(avatars));
    }
    Ok(app)
}

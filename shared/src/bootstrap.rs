//! Building the store and the app from the environment, once per Lambda cold start.

use std::sync::Arc;

use crate::app::App;
use crate::config::Config;
use crate::store::Store;

/// Builds the store the deployment uses.
pub async fn store_from_env() -> Result<Arc<dyn Store>, String> {
    // TODO: return the DynamoDB store once it exists; until then the functions only run inside
    // the local runtime, which builds its own embedded store.
    Err("this build has no DynamoDB store; run the API with chirp-local instead".into())
}

/// Builds the app of an HTTP function: configuration, store and signing keys.
pub async fn app_from_env() -> Result<App, String> {
    let config = Config::from_env()?;
    let store = store_from_env().await?;
    App::new(store, &config)
}

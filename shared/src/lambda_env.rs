//! AWS settings read from a Lambda function's environment, without `aws-config`.
//!
//! Lambda gives a function its region and its execution role's credentials in environment
//! variables, so the credential chain of `aws-config` (profile files, STS, instance metadata,
//! container credentials) is dead weight in a function binary. The operator tools that run
//! on a workstation (`chirp-admin`, `chirp-local`) keep `aws-config` and its whole chain.
//!
//! Variables read: `AWS_REGION` (or `AWS_DEFAULT_REGION`); `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`; `AWS_ENDPOINT_URL_<SERVICE>` or else
//! `AWS_ENDPOINT_URL`, which point a client at a local server.

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_types::SdkConfig;
use aws_types::region::Region;

/// Builds the SDK settings of one service client from the environment: region, credentials,
/// and the endpoint in `endpoint_variable` (such as `AWS_ENDPOINT_URL_DYNAMODB`) or else
/// `AWS_ENDPOINT_URL`. Fails with a message naming what is missing.
pub fn sdk_config(endpoint_variable: &str) -> Result<SdkConfig, String> {
    sdk_config_from(|name| std::env::var(name).ok(), endpoint_variable)
}

/// Builds the settings from the variables `lookup` returns.
fn sdk_config_from(lookup: impl Fn(&str) -> Option<String>, endpoint_variable: &str) -> Result<SdkConfig, String> {
    let variable = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());

    let region = variable("AWS_REGION")
        .or_else(|| variable("AWS_DEFAULT_REGION"))
        .ok_or("AWS_REGION is not set; Lambda sets it, elsewhere set it to the table's region")?;
    let (Some(access_key), Some(secret_key)) = (variable("AWS_ACCESS_KEY_ID"), variable("AWS_SECRET_ACCESS_KEY"))
    else {
        return Err("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set; Lambda sets them. \
                    Elsewhere, export them, for example with \
                    eval \"$(aws configure export-credentials --format env)\""
            .into());
    };
    let credentials =
        Credentials::new(access_key, secret_key, variable("AWS_SESSION_TOKEN"), None, "LambdaEnvironment");

    let mut config = SdkConfig::builder()
        .region(Region::new(region))
        .credentials_provider(SharedCredentialsProvider::new(credentials));
    if let Some(url) = variable(endpoint_variable).or_else(|| variable("AWS_ENDPOINT_URL")) {
        config = config.endpoint_url(url);
    }
    Ok(config.build())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use aws_credential_types::provider::ProvideCredentials;

    use super::*;

    fn read(variables: &[(&str, &str)]) -> Result<SdkConfig, String> {
        let variables: HashMap<String, String> =
            variables.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect();
        sdk_config_from(|name| variables.get(name).cloned(), "AWS_ENDPOINT_URL_DYNAMODB")
    }

    #[tokio::test]
    async fn reads_what_lambda_sets() {
        let config = read(&[
            ("AWS_REGION", "eu-west-1"),
            ("AWS_DEFAULT_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_SESSION_TOKEN", "token"),
        ])
        .expect("complete");
        assert_eq!(config.region().map(|region| region.as_ref()), Some("eu-west-1"));
        assert_eq!(config.endpoint_url(), None);
        let provider = config.credentials_provider().expect("a credentials provider");
        let credentials = provider.provide_credentials().await.expect("static credentials");
        assert_eq!(credentials.access_key_id(), "AKID");
        assert_eq!(credentials.session_token(), Some("token"));
    }

    #[test]
    fn service_endpoint_before_general() {
        let base = [("AWS_REGION", "us-east-1"), ("AWS_ACCESS_KEY_ID", "AKID"), ("AWS_SECRET_ACCESS_KEY", "secret")];
        let general = read(&[base.as_slice(), &[("AWS_ENDPOINT_URL", "http://127.0.0.1:1")]].concat()).expect("complete");
        assert_eq!(general.endpoint_url(), Some("http://127.0.0.1:1"));
        let both = [
            base.as_slice(),
            &[("AWS_ENDPOINT_URL", "http://127.0.0.1:1"), ("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:2")],
        ]
        .concat();
        assert_eq!(read(&both).expect("complete").endpoint_url(), Some("http://127.0.0.1:2"));
    }

    #[test]
    fn names_what_is_missing() {
        let no_region = read(&[("AWS_ACCESS_KEY_ID", "AKID"), ("AWS_SECRET_ACCESS_KEY", "secret")]);
        assert!(no_region.expect_err("no region").contains("AWS_REGION"));
        let no_secret = read(&[("AWS_DEFAULT_REGION", "us-east-1"), ("AWS_ACCESS_KEY_ID", "AKID"), ("AWS_SECRET_ACCESS_KEY", " ")]);
        assert!(no_secret.expect_err("blank secret").contains("AWS_SECRET_ACCESS_KEY"));
    }
}

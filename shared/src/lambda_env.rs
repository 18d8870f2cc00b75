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
use aws_types::region::Region;

/// Region and credentials of the function.
#[derive(Clone, Debug)]
pub struct LambdaEnvironment {
    pub region: Region,
    pub credentials: Credentials,
}

impl LambdaEnvironment {
    /// Reads the region and credentials, and fails with a message naming what is missing.
    pub fn read() -> Result<Self, String> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup`, which returns a variable's value.
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
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
        let session_token = variable("AWS_SESSION_TOKEN");
        Ok(Self {
            region: Region::new(region),
            credentials: Credentials::new(access_key, secret_key, session_token, None, "LambdaEnvironment"),
        })
    }
}

/// Returns the endpoint a client of one service should use: `AWS_ENDPOINT_URL_<SERVICE>` (for
/// example `AWS_ENDPOINT_URL_DYNAMODB`), else `AWS_ENDPOINT_URL`, else `None` for the service's
/// regional endpoint.
pub fn endpoint_url(service_variable: &str) -> Option<String> {
    let variable = |name: &str| std::env::var(name).ok().filter(|value| !value.trim().is_empty());
    variable(service_variable).or_else(|| variable("AWS_ENDPOINT_URL"))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn read(variables: &[(&str, &str)]) -> Result<LambdaEnvironment, String> {
        let variables: HashMap<String, String> =
            variables.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect();
        LambdaEnvironment::from_lookup(|name| variables.get(name).cloned())
    }

    #[test]
    fn reads_what_lambda_sets() {
        let environment = read(&[
            ("AWS_REGION", "eu-west-1"),
            ("AWS_DEFAULT_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_SESSION_TOKEN", "token"),
        ])
        .expect("complete");
        assert_eq!(environment.region.as_ref(), "eu-west-1");
        assert_eq!(environment.credentials.access_key_id(), "AKID");
        assert_eq!(environment.credentials.session_token(), Some("token"));
    }

    #[test]
    fn names_what_is_missing() {
        let no_region = read(&[("AWS_ACCESS_KEY_ID", "AKID"), ("AWS_SECRET_ACCESS_KEY", "secret")]);
        assert!(no_region.expect_err("no region").contains("AWS_REGION"));
        let no_secret = read(&[("AWS_DEFAULT_REGION", "us-east-1"), ("AWS_ACCESS_KEY_ID", "AKID"), ("AWS_SECRET_ACCESS_KEY", " ")]);
        assert!(no_secret.expect_err("blank secret").contains("AWS_SECRET_ACCESS_KEY"));
    }
}

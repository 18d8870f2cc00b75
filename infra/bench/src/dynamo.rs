//! A DynamoDB table for a benchmark run, on a local DynamoDB-compatible server (moto). The
//! endpoint must be a loopback address: the benchmarks never send traffic anywhere else.

use std::net::IpAddr;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use chirp_shared::store::dynamodb::{Client, create_table, delete_table};

/// Region and dummy credentials the local server accepts; the same go to the function
/// binaries of the cold-start benchmark.
pub const REGION: &str = "us-east-1";
pub const ACCESS_KEY_ID: &str = "test";
pub const SECRET_ACCESS_KEY: &str = "test";

/// A table created for one run and deleted by [`BenchTable::delete`].
pub struct BenchTable {
    pub endpoint: String,
    pub name: String,
    pub client: Client,
}

impl BenchTable {
    /// Creates a fresh table, named `chirp-bench-` and a random suffix, at `endpoint`.
    pub async fn create(endpoint: &str) -> Result<Self, String> {
        check_loopback(endpoint)?;
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(endpoint)
            .credentials_provider(Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None, None, "chirp-bench"))
            .build();
        let client = Client::from_conf(config);
        let name = format!("chirp-bench-{:016x}", rand::random::<u64>());
        create_table(&client, &name).await.map_err(|error| format!("cannot create table {name} at {endpoint}: {error}"))?;
        Ok(Self { endpoint: endpoint.to_owned(), name, client })
    }

    pub async fn delete(self) {
        if let Err(error) = delete_table(&self.client, &self.name).await {
            eprintln!("chirp-bench: could not delete table {}: {error}", self.name);
        }
    }
}

/// Accepts `http://` URLs whose host is `localhost` or a loopback IP address.
pub fn check_loopback(endpoint: &str) -> Result<(), String> {
    let rest = endpoint
        .strip_prefix("http://")
        .ok_or_else(|| format!("the DynamoDB endpoint {endpoint:?} must be an http:// URL on 127.0.0.1"))?;
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(host, _)| host),
    };
    let loopback = host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if loopback { Ok(()) } else { Err(format!("the DynamoDB endpoint {endpoint:?} is not on a loopback address")) }
}

#[cfg(test)]
mod tests {
    use super::check_loopback;

    #[test]
    fn only_loopback_endpoints_pass() {
        assert!(check_loopback("http://127.0.0.1:5000").is_ok());
        assert!(check_loopback("http://localhost:5000/").is_ok());
        assert!(check_loopback("http://[::1]:5000").is_ok());
        assert!(check_loopback("http://10.0.0.1:5000").is_err());
        assert!(check_loopback("https://dynamodb.us-east-1.amazonaws.com").is_err());
        assert!(check_loopback("http://127.0.0.1.example.com:80").is_err());
    }
}

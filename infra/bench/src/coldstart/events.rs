//! First events for the functions, as Lambda delivers them: API Gateway HTTP API (payload
//! format 2.0) requests, and DynamoDB stream batches.

use chirp_shared::store::sqlite::ChangeRecord;
use serde_json::{Map, Value, json};

/// Stands for the client's address in an HTTP event; [`with_client`] fills it in. Each cold
/// start gets its own address, so the per-address rate limits do not throttle the repeats.
const CLIENT_PLACEHOLDER: &str = "{client-ip}";

/// Fills in `client` as the client address of an HTTP event; other events come back as they were.
pub fn with_client(event: &str, client: &str) -> String {
    event.replace(CLIENT_PLACEHOLDER, client)
}

/// Builds a `GET` through an HTTP API route, with the client address left to [`with_client`]. `route` is the route's path template, such as
/// `/api/accounts/{username}/`; `path` fills it in, and the parameters are read back from the
/// pair.
pub fn http_get(route: &str, path: &str, query: &str, token: Option<&str>) -> String {
    let mut headers = Map::new();
    headers.insert("accept".into(), json!("application/json"));
    headers.insert("host".into(), json!("chirpbench.execute-api.us-east-1.amazonaws.com"));
    headers.insert("user-agent".into(), json!("chirp-bench"));
    headers.insert("x-forwarded-for".into(), json!(CLIENT_PLACEHOLDER));
    headers.insert("x-forwarded-proto".into(), json!("https"));
    if let Some(token) = token {
        headers.insert("authorization".into(), json!(format!("Bearer {token}")));
    }
    let mut event = json!({
        "version": "2.0",
        "routeKey": format!("GET {route}"),
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "chirpbench",
            "domainName": "chirpbench.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "chirpbench",
            "http": {
                "method": "GET",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": CLIENT_PLACEHOLDER,
                "userAgent": "chirp-bench"
            },
            "requestId": "chirp-bench-request",
            "routeKey": format!("GET {route}"),
            "stage": "$default",
            "time": "05/Dec/2026:06:00:00 +0000",
            "timeEpoch": 1_796_450_400_000_i64
        },
        "isBase64Encoded": false
    });
    let parameters = path_parameters(route, path);
    if !parameters.is_empty() {
        event["pathParameters"] = Value::Object(parameters);
    }
    let pairs: Map<String, Value> = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (name.to_owned(), json!(value)))
        .collect();
    if !pairs.is_empty() {
        event["queryStringParameters"] = Value::Object(pairs);
    }
    event.to_string()
}

/// `{name}` segments of `route` with the matching segments of `path`.
fn path_parameters(route: &str, path: &str) -> Map<String, Value> {
    route
        .split('/')
        .zip(path.split('/'))
        .filter_map(|(template, value)| {
            let name = template.strip_prefix('{')?.strip_suffix('}')?;
            Some((name.to_owned(), json!(value)))
        })
        .collect()
}

/// Builds a stream batch of one record.
pub fn stream(record: &ChangeRecord) -> String {
    let event = chirp_local::pump::event_of(std::slice::from_ref(record));
    serde_json::to_string(&event).expect("a stream event serialises")
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::dynamodb::Event;
    use chirp_shared::store::sqlite::EventName;
    use chirp_shared::store::{Item, string};

    #[test]
    fn http_events_carry_path_parameters_and_query() {
        let template = http_get("/api/accounts/{username}/", "/api/accounts/user0/", "q=hello&limit=5", Some("abc"));
        let text = with_client(&template, "192.0.2.7");
        let event: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(event["pathParameters"]["username"], "user0");
        assert_eq!(event["queryStringParameters"]["q"], "hello");
        assert_eq!(event["headers"]["authorization"], "Bearer abc");
        assert_eq!(event["requestContext"]["http"]["method"], "GET");
        assert_eq!(event["requestContext"]["http"]["sourceIp"], "192.0.2.7");
        let request: lambda_http::request::LambdaRequest = serde_json::from_str(&text).unwrap();
        assert!(matches!(request, lambda_http::request::LambdaRequest::ApiGatewayV2(_)));

        let health: Value = serde_json::from_str(&http_get("/api/health/", "/api/health/", "", None)).unwrap();
        assert!(health.get("pathParameters").is_none());
        assert!(health.get("queryStringParameters").is_none());
    }

    #[test]
    fn stream_events_read_back_as_lambda_delivers_them() {
        let map: std::collections::HashMap<_, _> = [("PK", "TWEET#1"), ("SK", "TWEET"), ("entity", "tweet")]
            .iter()
            .map(|(name, value)| (name.to_string(), string(*value)))
            .collect();
        let image = Item::from(map);
        let record = ChangeRecord {
            sequence: 7,
            event_name: EventName::Insert,
            keys: image.clone(),
            old_image: None,
            new_image: Some(image.clone()),
            created_at_ms: 1_796_450_400_000,
        };
        let text = stream(&record);
        assert!(text.contains(r#""NewImage""#), "{text}");
        let event: Event = serde_json::from_str(&text).unwrap();
        assert_eq!(event.records.len(), 1);
        assert_eq!(event.records[0].event_name, "INSERT");
        assert_eq!(event.records[0].change.new_image, image);
    }
}

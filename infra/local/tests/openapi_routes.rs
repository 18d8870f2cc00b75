//! Keeps the OpenAPI document and the routing tables in step. Every method of every route of
//! the documented groups must be an operation of the document, and every operation a route.

use chirp_shared::http::{Route, match_route};
use chirp_shared::openapi;
use serde_json::Value;

/// The groups the document describes, as `chirp-local` mounts them.
fn documented_groups() -> Vec<(&'static str, &'static [Route])> {
    vec![
        ("accounts", chirp_accounts::ROUTES),
        ("social", chirp_social::ROUTES),
        ("tweets", chirp_tweets::ROUTES),
        ("likes", chirp_likes::ROUTES),
        ("timelines", chirp_timelines::ROUTES),
        ("search", chirp_search::ROUTES),
        ("notifications", chirp_notifications::ROUTES),
        ("service", chirp_service::ROUTES),
        ("moderation", chirp_moderation::ROUTES),
    ]
}

fn document() -> Value {
    serde_json::from_str(openapi::document_json()).expect("the document is JSON")
}

#[test]
fn every_route_documented() {
    let document = document();
    let paths = document["paths"].as_object().expect("paths is an object");
    for (group, routes) in documented_groups() {
        for route in routes {
            let path = format!("{}/", route.pattern);
            let item = paths.get(&path).unwrap_or_else(|| panic!("{group}: {path} is missing from the document"));
            for method in route.methods {
                let key = method.as_str().to_ascii_lowercase();
                assert!(item.get(&key).is_some(), "{group}: {method} {path} is missing from the document");
            }
        }
    }
}

#[test]
fn every_operation_routed() {
    let document = document();
    let groups = documented_groups();
    for (path, item) in document["paths"].as_object().expect("paths is an object") {
        let owners: Vec<&Route> = groups.iter().filter_map(|(_, routes)| match_route(routes, path).map(|(route, _)| route)).collect();
        let route = owners
            .iter()
            .find(|route| format!("{}/", route.pattern) == *path)
            .unwrap_or_else(|| panic!("{path} is in the document but no group routes it"));
        for method in item.as_object().expect("path item is an object").keys() {
            let routed = route.methods.iter().any(|allowed| allowed.as_str().eq_ignore_ascii_case(method));
            assert!(routed, "{method} {path} is in the document but its route does not accept it");
        }
    }
}

#[test]
fn document_is_openapi_31() {
    let document = document();
    assert_eq!(document["openapi"], "3.1.0");
    assert!(document["components"]["securitySchemes"]["bearerAuth"].is_object());
}

#[test]
fn every_response_has_rate_limit_headers() {
    let document = document();
    for (path, item) in document["paths"].as_object().expect("paths is an object") {
        for (method, operation) in item.as_object().expect("path item is an object") {
            for (status, response) in operation["responses"].as_object().expect("responses is an object") {
                let response = match response["$ref"].as_str() {
                    Some(reference) => &document["components"]["responses"][reference.rsplit('/').next().unwrap()],
                    None => response,
                };
                for header in ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"] {
                    assert!(response["headers"][header].is_object(), "{method} {path} {status} lacks {header}");
                }
            }
        }
    }
}

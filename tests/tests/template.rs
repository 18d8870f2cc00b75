//! Checks of `template.yaml` that cfn-lint cannot make: every route of the HTTP contract
//! reaches a function that serves it, every function builds from a workspace binary, every
//! reference resolves, and the table the tests create matches the template's table.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chirp_shared::http::{Route, match_route};
use serde_yaml::Value;

/// Contract routes no function serves yet; each answers 404 until it is built.
const NOT_BUILT: &[(&str, &str)] = &[];

/// Pseudo parameters CloudFormation resolves itself.
const PSEUDO_PARAMETERS: &[&str] =
    &["AWS::Region", "AWS::AccountId", "AWS::StackName", "AWS::Partition", "AWS::URLSuffix", "AWS::NoValue"];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn template() -> Value {
    let text = std::fs::read_to_string(repo().join("template.yaml")).expect("template.yaml is readable");
    serde_yaml::from_str(&text).expect("template.yaml is valid YAML")
}

fn resources(template: &Value) -> &serde_yaml::Mapping {
    template["Resources"].as_mapping().expect("Resources is a mapping")
}

/// The `ROUTES` table of each HTTP function binary.
fn routes_of(binary: &str) -> Option<&'static [Route]> {
    Some(match binary {
        "chirp-accounts" => chirp_accounts::ROUTES,
        "chirp-social" => chirp_social::ROUTES,
        "chirp-tweets" => chirp_tweets::ROUTES,
        "chirp-likes" => chirp_likes::ROUTES,
        "chirp-timelines" => chirp_timelines::ROUTES,
        "chirp-service" => chirp_service::ROUTES,
        "chirp-search" => chirp_search::ROUTES,
        "chirp-notifications" => chirp_notifications::ROUTES,
        "chirp-moderation" => chirp_moderation::ROUTES,
        _ => return None,
    })
}

/// Every `METHOD /api/...` the contract lists, from the endpoint tables of `docs/api.md`.
fn contract_routes() -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(repo().join("docs/api.md")).expect("docs/api.md is readable");
    let mut routes = BTreeSet::new();
    for line in text.lines().filter(|line| line.starts_with("| `")) {
        // Forms: `GET /api/x/`, `PUT` or `PATCH /api/x/`, `PUT`/`PATCH /api/x/`.
        let mut methods: Vec<String> = Vec::new();
        for span in line.split('`').skip(1).step_by(2) {
            let mut words = span.split_whitespace();
            let (Some(first), second) = (words.next(), words.next()) else { continue };
            for method in first.split('/') {
                if ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method) {
                    methods.push(method.to_owned());
                }
            }
            if let Some(path) = second.filter(|path| path.starts_with("/api/")) {
                let path = path.split('?').next().unwrap_or(path);
                for method in methods.drain(..) {
                    routes.insert((method, path.to_owned()));
                }
            }
        }
    }
    routes
}

/// HTTP API events of every function: (method, path, binary).
fn http_events(template: &Value) -> Vec<(String, String, String)> {
    let mut events = Vec::new();
    for (_, resource) in resources(template) {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let binary = resource["Metadata"]["BuildProperties"]["Binary"].as_str().unwrap_or_default().to_owned();
        let Some(function_events) = resource["Properties"]["Events"].as_mapping() else { continue };
        for (_, event) in function_events {
            if event["Type"].as_str() == Some("HttpApi") {
                let method = event["Properties"]["Method"].as_str().unwrap_or_default().to_uppercase();
                let path = event["Properties"]["Path"].as_str().unwrap_or_default().to_owned();
                events.push((method, path, binary.clone()));
            }
        }
    }
    events
}

fn same_pattern(template_path: &str, contract_path: &str) -> bool {
    let shape = |path: &str| -> Vec<String> {
        path.trim_end_matches('/')
            .split('/')
            .map(|segment| if segment.starts_with('{') { "{}".to_owned() } else { segment.to_owned() })
            .collect()
    };
    shape(template_path) == shape(contract_path)
}

#[test]
fn contract_routes_reach_functions() {
    let template = template();
    let events = http_events(&template);
    let routes = contract_routes();
    assert!(routes.len() > 30, "parsed only {} routes from docs/api.md", routes.len());

    for (method, path) in &routes {
        if NOT_BUILT.contains(&(method.as_str(), path.as_str())) {
            continue;
        }
        let event = events
            .iter()
            .find(|(event_method, event_path, _)| (event_method == "ANY" || event_method == method) && same_pattern(event_path, path));
        let Some((_, _, binary)) = event else {
            panic!("no HttpApi event serves {method} {path}");
        };
        let routes = routes_of(binary).unwrap_or_else(|| panic!("{binary} has no known ROUTES table"));
        let concrete = path.replace("{username}", "alice").replace("{id}", "01J0000000000000000000000");
        let (route, _) = match_route(routes, &concrete).unwrap_or_else(|| panic!("{binary} does not route {path}"));
        assert!(
            route.methods.iter().any(|m| m.as_str() == method),
            "{binary} routes {path} but not for {method}"
        );
    }
}

#[test]
fn functions_build_workspace_binaries() {
    let template = template();
    let root: toml::Table = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap().parse().unwrap();
    let mut binaries = BTreeSet::new();
    for member in root["workspace"]["members"].as_array().unwrap() {
        let manifest = repo().join(member.as_str().unwrap()).join("Cargo.toml");
        let crate_toml: toml::Table = std::fs::read_to_string(manifest).unwrap().parse().unwrap();
        for bin in crate_toml.get("bin").and_then(|b| b.as_array()).into_iter().flatten() {
            binaries.insert(bin["name"].as_str().unwrap().to_owned());
        }
    }

    for (name, resource) in resources(&template) {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let name = name.as_str().unwrap_or_default();
        assert_eq!(resource["Metadata"]["BuildMethod"].as_str(), Some("rust-cargolambda"), "{name}");
        assert_eq!(resource["Properties"]["CodeUri"].as_str(), Some("."), "{name} must build from the workspace root");
        let binary = resource["Metadata"]["BuildProperties"]["Binary"].as_str().unwrap_or_default();
        assert!(binaries.contains(binary), "{name} builds {binary:?}, which no workspace crate defines");
    }
}

#[test]
fn references_resolve() {
    let template = template();
    let mut known: BTreeSet<String> = PSEUDO_PARAMETERS.iter().map(|p| p.to_string()).collect();
    for section in ["Parameters", "Resources"] {
        for (name, _) in template[section].as_mapping().into_iter().flatten() {
            known.insert(name.as_str().unwrap().to_owned());
        }
    }
    let mut references = Vec::new();
    collect_references(&template, &mut references);
    assert!(!references.is_empty(), "the template holds no references at all");
    for reference in references {
        let target = reference.split('.').next().unwrap_or_default();
        assert!(known.contains(target), "reference {reference:?} resolves to nothing");
    }
}

/// Collects the targets of `!Ref`, `!GetAtt` and `${...}` in `!Sub` strings.
fn collect_references(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            match (tag.as_str(), &tagged.value) {
                ("!Ref" | "!GetAtt", Value::String(target)) => out.push(target.clone()),
                ("!Sub", Value::String(text)) => {
                    for piece in text.split("${").skip(1) {
                        let name = piece.split('}').next().unwrap_or_default();
                        if !name.starts_with('!') {
                            out.push(name.to_owned());
                        }
                    }
                }
                _ => collect_references(&tagged.value, out),
            }
        }
        Value::Mapping(mapping) => mapping.values().for_each(|v| collect_references(v, out)),
        Value::Sequence(items) => items.iter().for_each(|v| collect_references(v, out)),
        _ => {}
    }
}

/// The key schema, attribute types, GSIs and stream of a table, in a comparable form.
#[derive(Debug, PartialEq)]
struct TableShape {
    attributes: BTreeMap<String, String>,
    keys: Vec<(String, String)>,
    indexes: BTreeMap<String, (Vec<(String, String)>, String)>,
    stream: String,
}

fn template_table_shape(template: &Value) -> TableShape {
    let table = &resources(template)["Table"]["Properties"];
    let pairs = |schema: &Value| -> Vec<(String, String)> {
        schema
            .as_sequence()
            .unwrap()
            .iter()
            .map(|k| (k["AttributeName"].as_str().unwrap().to_owned(), k["KeyType"].as_str().unwrap().to_owned()))
            .collect()
    };
    TableShape {
        attributes: table["AttributeDefinitions"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|a| (a["AttributeName"].as_str().unwrap().to_owned(), a["AttributeType"].as_str().unwrap().to_owned()))
            .collect(),
        keys: pairs(&table["KeySchema"]),
        indexes: table["GlobalSecondaryIndexes"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|index| {
                let projection = index["Projection"]["ProjectionType"].as_str().unwrap().to_owned();
                (index["IndexName"].as_str().unwrap().to_owned(), (pairs(&index["KeySchema"]), projection))
            })
            .collect(),
        stream: table["StreamSpecification"]["StreamViewType"].as_str().unwrap().to_owned(),
    }
}

#[tokio::test]
async fn test_table_matches_template() {
    let Ok(endpoint) = std::env::var("CHIRP_TEST_DYNAMODB_ENDPOINT") else {
        eprintln!("skipped: set CHIRP_TEST_DYNAMODB_ENDPOINT to a moto server to compare the tables");
        return;
    };
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "tests"))
        .build();
    let client = aws_sdk_dynamodb::Client::from_conf(config);
    let name = format!("template-check-{}", rand::random::<u32>());
    chirp_shared::store::dynamodb::create_table(&client, &name).await.expect("the table is created");
    let described = client.describe_table().table_name(&name).send().await.expect("DescribeTable").table.unwrap();

    let pairs = |schema: &[aws_sdk_dynamodb::types::KeySchemaElement]| -> Vec<(String, String)> {
        schema.iter().map(|k| (k.attribute_name().to_owned(), k.key_type().as_str().to_owned())).collect()
    };
    let created = TableShape {
        attributes: described
            .attribute_definitions()
            .iter()
            .map(|a| (a.attribute_name().to_owned(), a.attribute_type().as_str().to_owned()))
            .collect(),
        keys: pairs(described.key_schema()),
        indexes: described
            .global_secondary_indexes()
            .iter()
            .map(|index| {
                let projection = index.projection().and_then(|p| p.projection_type()).map(|p| p.as_str().to_owned());
                (index.index_name().unwrap().to_owned(), (pairs(index.key_schema()), projection.unwrap_or_default()))
            })
            .collect(),
        stream: described
            .stream_specification()
            .and_then(|s| s.stream_view_type())
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
    };
    chirp_shared::store::dynamodb::delete_table(&client, &name).await.ok();

    assert_eq!(created, template_table_shape(&template()));
}

//! Checks of the Lambda settings in `template.yaml` that cfn-lint 1.58 and `sam validate --lint`
//! let through. They cover a stream event whose `Stream` is not a table's `StreamArn`, an
//! out-of-range `BatchSize`, unbounded retries and a missing on-failure destination. They also
//! cover a wrong runtime, a function without a log group that expires its logs, and broad
//! DynamoDB policies.
//!
//! Each check returns its findings, so the tests also run it on broken copies of the template
//! to show that it catches what it is meant to catch.

use std::collections::BTreeSet;
use std::path::Path;

use serde_yaml::{Mapping, Value};

/// DynamoDB actions a function may be granted. Scans, table management and PartiQL are for
/// operators, never for a function.
const ALLOWED_ACTIONS: &[&str] = &[
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
];

/// SAM policy templates that grant a whole family of DynamoDB actions.
const BROAD_POLICY_TEMPLATES: &[&str] =
    &["DynamoDBCrudPolicy", "DynamoDBReadPolicy", "DynamoDBWritePolicy", "DynamoDBReconfigurePolicy"];

fn template_text() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
    std::fs::read_to_string(path).expect("template.yaml is readable")
}

fn parse(text: &str) -> Value {
    serde_yaml::from_str(text).expect("template.yaml is valid YAML")
}

fn resources(template: &Value) -> &Mapping {
    template["Resources"].as_mapping().expect("Resources is a mapping")
}

fn resource_type<'a>(template: &'a Value, name: &str) -> Option<&'a str> {
    resources(template).get(name)?["Type"].as_str()
}

/// Serverless functions as (logical id, resource).
fn functions(template: &Value) -> Vec<(String, &Value)> {
    resources(template)
        .iter()
        .filter(|(_, resource)| resource["Type"].as_str() == Some("AWS::Serverless::Function"))
        .map(|(name, resource)| (name.as_str().unwrap_or_default().to_owned(), resource))
        .collect()
}

/// Returns the tag and text of a short-form intrinsic such as `!GetAtt Table.StreamArn`.
fn intrinsic(value: &Value) -> Option<(String, &str)> {
    match value {
        Value::Tagged(tagged) => Some((tagged.tag.to_string(), tagged.value.as_str()?)),
        _ => None,
    }
}

/// Splits `!GetAtt NAME.ATTRIBUTE` into its parts.
fn get_att(value: &Value) -> Option<(&str, &str)> {
    match intrinsic(value)? {
        (tag, text) if tag == "!GetAtt" => text.split_once('.'),
        _ => None,
    }
}

fn stream_event_findings(template: &Value) -> Vec<String> {
    let mut findings = Vec::new();
    let mut streams = 0;
    for (name, function) in functions(template) {
        let Some(events) = function["Properties"]["Events"].as_mapping() else { continue };
        for (event_name, event) in events {
            if event["Type"].as_str() != Some("DynamoDB") {
                continue;
            }
            streams += 1;
            let at = format!("{name}.{}", event_name.as_str().unwrap_or_default());
            let properties = &event["Properties"];

            match get_att(&properties["Stream"]) {
                Some((table, "StreamArn")) if resource_type(template, table) == Some("AWS::DynamoDB::Table") => {}
                _ => findings.push(format!("{at}: Stream is not !GetAtt TABLE.StreamArn of a DynamoDB table")),
            }
            // DynamoDB stream sources take 1 to 10,000 records per batch.
            match properties["BatchSize"].as_u64() {
                Some(1..=10_000) => {}
                other => findings.push(format!("{at}: BatchSize {other:?} is outside 1 to 10000")),
            }
            // -1, the default, retries until the record expires from the stream (24 hours).
            match properties["MaximumRetryAttempts"].as_i64() {
                Some(0..=10) => {}
                other => findings.push(format!("{at}: MaximumRetryAttempts {other:?} is not bounded to 0 to 10")),
            }
            match properties["MaximumRecordAgeInSeconds"].as_i64() {
                Some(60..=604_800) => {}
                other => findings.push(format!("{at}: MaximumRecordAgeInSeconds {other:?} is not bounded to 60 to 604800")),
            }
            if properties["BisectBatchOnFunctionError"].as_bool() != Some(true) {
                findings.push(format!("{at}: BisectBatchOnFunctionError is not true"));
            }
            let reports_items = properties["FunctionResponseTypes"]
                .as_sequence()
                .is_some_and(|types| types.iter().any(|t| t.as_str() == Some("ReportBatchItemFailures")));
            if !reports_items {
                findings.push(format!("{at}: FunctionResponseTypes lacks ReportBatchItemFailures"));
            }
            let on_failure = &properties["DestinationConfig"]["OnFailure"];
            // `Type: SQS` is what makes SAM grant the function sqs:SendMessage on the queue.
            if on_failure["Type"].as_str() != Some("SQS") {
                findings.push(format!("{at}: OnFailure destination Type is not SQS"));
            }
            match get_att(&on_failure["Destination"]) {
                Some((queue, "Arn")) if resource_type(template, queue) == Some("AWS::SQS::Queue") => {}
                _ => findings.push(format!("{at}: OnFailure Destination is not !GetAtt QUEUE.Arn of an SQS queue")),
            }
        }
    }
    if streams == 0 {
        findings.push("no function has a DynamoDB stream event".to_owned());
    }
    findings
}

fn runtime_findings(template: &Value) -> Vec<String> {
    let mut findings = Vec::new();
    let globals = &template["Globals"]["Function"];
    for (name, function) in functions(template) {
        let setting = |key: &str| -> Value {
            let own = &function["Properties"][key];
            if own.is_null() { globals[key].clone() } else { own.clone() }
        };
        if setting("Runtime").as_str() != Some("provided.al2023") {
            findings.push(format!("{name}: Runtime is not provided.al2023"));
        }
        if setting("Handler").as_str() != Some("bootstrap") {
            findings.push(format!("{name}: Handler is not bootstrap"));
        }
        // Architectures must follow the Architecture parameter, whose default is x86_64.
        let architecture = setting("Architectures");
        let follows_parameter = architecture
            .as_sequence()
            .and_then(|list| list.first())
            .and_then(intrinsic)
            .is_some_and(|(tag, target)| tag == "!Ref" && target == "Architecture");
        if !follows_parameter {
            findings.push(format!("{name}: Architectures is not [!Ref Architecture]"));
        }
    }
    if template["Parameters"]["Architecture"]["Default"].as_str() != Some("x86_64") {
        findings.push("the Architecture parameter's default is not x86_64".to_owned());
    }
    findings
}

fn log_group_findings(template: &Value) -> Vec<String> {
    let mut findings = Vec::new();
    for (name, function) in functions(template) {
        let group = intrinsic(&function["Properties"]["LoggingConfig"]["LogGroup"]);
        let Some(("!Ref", group)) = group.as_ref().map(|(tag, target)| (tag.as_str(), *target)) else {
            findings.push(format!("{name}: LoggingConfig.LogGroup is not a !Ref to a log group"));
            continue;
        };
        if resource_type(template, group) != Some("AWS::Logs::LogGroup") {
            findings.push(format!("{name}: log group {group} is not an AWS::Logs::LogGroup"));
            continue;
        }
        if resources(template)[group]["Properties"]["RetentionInDays"].is_null() {
            findings.push(format!("{name}: log group {group} has no RetentionInDays"));
        }
    }
    findings
}

/// Index names the table defines, for checking `${Table.Arn}/index/NAME` resources.
fn table_indexes(template: &Value) -> BTreeSet<String> {
    resources(template)["Table"]["Properties"]["GlobalSecondaryIndexes"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|index| index["IndexName"].as_str().map(str::to_owned))
        .collect()
}

fn policy_findings(template: &Value) -> Vec<String> {
    let mut findings = Vec::new();
    let indexes = table_indexes(template);
    for (name, function) in functions(template) {
        for policy in function["Properties"]["Policies"].as_sequence().into_iter().flatten() {
            if let Some(mapping) = policy.as_mapping() {
                for key in mapping.keys().filter_map(Value::as_str) {
                    if BROAD_POLICY_TEMPLATES.contains(&key) {
                        findings.push(format!("{name}: {key} grants more DynamoDB actions than any function uses"));
                    }
                }
            }
            for statement in policy["Statement"].as_sequence().into_iter().flatten() {
                findings.extend(statement_findings(&name, statement, &indexes));
            }
        }
    }
    findings
}

fn statement_findings(function: &str, statement: &Value, indexes: &BTreeSet<String>) -> Vec<String> {
    let actions: Vec<&str> = match &statement["Action"] {
        Value::String(action) => vec![action.as_str()],
        Value::Sequence(list) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !actions.iter().any(|action| action.starts_with("dynamodb:")) {
        return Vec::new();
    }
    let mut findings = Vec::new();
    for action in &actions {
        if !ALLOWED_ACTIONS.contains(action) {
            findings.push(format!("{function}: action {action} is not one a function needs"));
        }
    }
    let resources: Vec<&Value> = match &statement["Resource"] {
        Value::Sequence(list) => list.iter().collect(),
        other => vec![other],
    };
    for resource in resources {
        match intrinsic(resource) {
            Some((tag, "Table.Arn")) if tag == "!GetAtt" => {}
            Some((tag, text)) if tag == "!Sub" => match text.strip_prefix("${Table.Arn}/index/") {
                Some(index) if indexes.contains(index) => {}
                _ => findings.push(format!("{function}: resource {text:?} is not an index of the table")),
            },
            _ => findings.push(format!("{function}: resource {resource:?} is neither the table nor one of its indexes")),
        }
    }
    findings
}

fn output_findings(template: &Value) -> Vec<String> {
    ["ApiUrl", "TableName"]
        .into_iter()
        .filter(|output| template["Outputs"][output]["Value"].is_null())
        .map(|output| format!("output {output} is missing"))
        .collect()
}

fn all_findings(template: &Value) -> Vec<String> {
    let mut findings = stream_event_findings(template);
    findings.extend(runtime_findings(template));
    findings.extend(log_group_findings(template));
    findings.extend(policy_findings(template));
    findings.extend(output_findings(template));
    findings
}

/// Parses the template after replacing `from` (which must occur) with `to`.
fn broken(from: &str, to: &str) -> Value {
    let text = template_text();
    assert!(text.contains(from), "template.yaml no longer contains {from:?}; update this case");
    parse(&text.replacen(from, to, 1))
}

fn assert_caught(findings: Vec<String>, expected: &str) {
    assert!(
        findings.iter().any(|finding| finding.contains(expected)),
        "no finding mentions {expected:?}; findings: {findings:#?}"
    );
}

#[test]
fn template_passes_lambda_checks() {
    let findings = all_findings(&parse(&template_text()));
    assert!(findings.is_empty(), "template.yaml findings: {findings:#?}");
}

#[test]
fn stream_checks_catch_mistakes() {
    assert_caught(stream_event_findings(&broken("!GetAtt Table.StreamArn", "!GetAtt Table.Arn")), "Stream is not");
    assert_caught(stream_event_findings(&broken("BatchSize: 100\n", "BatchSize: 100000\n")), "BatchSize");
    assert_caught(
        stream_event_findings(&broken("MaximumRetryAttempts: 5", "MaximumRetryAttempts: -1")),
        "MaximumRetryAttempts",
    );
    assert_caught(
        stream_event_findings(&broken("BisectBatchOnFunctionError: true", "BisectBatchOnFunctionError: false")),
        "BisectBatchOnFunctionError",
    );
    assert_caught(
        stream_event_findings(&broken("FunctionResponseTypes: [ReportBatchItemFailures]", "FunctionResponseTypes: []")),
        "ReportBatchItemFailures",
    );
    assert_caught(
        stream_event_findings(&broken("Destination: !GetAtt FanoutFailureQueue.Arn", "Destination: !GetAtt Table.Arn")),
        "OnFailure Destination",
    );
}

#[test]
fn runtime_checks_catch_mistakes() {
    assert_caught(runtime_findings(&broken("Runtime: provided.al2023", "Runtime: provided.al3")), "Runtime");
    assert_caught(runtime_findings(&broken("Handler: bootstrap", "Handler: main")), "Handler");
    assert_caught(runtime_findings(&broken("Default: x86_64", "Default: arm64")), "default is not x86_64");
}

#[test]
fn log_and_policy_checks_catch_mistakes() {
    assert_caught(
        log_group_findings(&broken("LogGroup: !Ref AccountsLogGroup", "LogGroup: !Ref Table")),
        "not an AWS::Logs::LogGroup",
    );
    assert_caught(
        log_group_findings(&broken("RetentionInDays: !Ref LogRetentionDays", "LogGroupClass: STANDARD")),
        "no RetentionInDays",
    );
    assert_caught(policy_findings(&broken("dynamodb:GetItem", "dynamodb:*")), "dynamodb:*");
    assert_caught(policy_findings(&broken("index/GSI1\"", "index/GSI9\"")), "not an index");
    assert_caught(
        policy_findings(&broken("        - Statement:\n", "        - DynamoDBCrudPolicy: { TableName: !Ref Table }\n        - Statement:\n")),
        "DynamoDBCrudPolicy",
    );
}

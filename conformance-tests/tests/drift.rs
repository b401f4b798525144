//! Drift: the document poem-openapi derives from the routes the server really serves
//! must state the same surface as the hand-written spec: paths, methods, operation
//! ids, tags, parameters, request and response media types and schemas, statuses,
//! response headers, security, and the component schemas' shapes. Descriptions,
//! examples, value constraints and the headers middleware sets on every response
//! (request id, rate limits, versions, deprecation) are not compared (poem's derived document does not
//! carry them faithfully; the conformance suite checks behaviour instead).

use std::{collections::BTreeSet, sync::Arc};

use apiary_conformance::server::test_settings;
use serde_json::Value;

/// One line per fact, so a difference reads as a set difference.
fn surface(doc: &Value) -> BTreeSet<String> {
    let mut facts = BTreeSet::new();
    let resolve = |value: &Value| -> Value {
        match value["$ref"].as_str() {
            Some(reference) => doc
                .pointer(reference.trim_start_matches('#'))
                .cloned()
                .unwrap_or(Value::Null),
            None => value.clone(),
        }
    };
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let at = format!("{} {path}", method.to_uppercase());
            facts.insert(format!(
                "{at} operationId={}",
                op["operationId"].as_str().unwrap_or("?")
            ));
            facts.insert(format!("{at} tags={}", op["tags"]));
            facts.insert(format!(
                "{at} deprecated={}",
                op["deprecated"].as_bool().unwrap_or(false)
            ));
            for param in op["parameters"].as_array().into_iter().flatten() {
                let param = resolve(param);
                facts.insert(format!(
                    "{at} parameter {} in {} required={} type={}",
                    param["name"].as_str().unwrap_or("?"),
                    param["in"].as_str().unwrap_or("?"),
                    param["required"].as_bool().unwrap_or(false),
                    schema_shape(doc, &param["schema"]),
                ));
            }
            if let Some(body) = op.get("requestBody") {
                let body = resolve(body);
                for (media, content) in body["content"].as_object().into_iter().flatten() {
                    facts.insert(format!(
                        "{at} request {} schema={}",
                        essence(media),
                        schema_shape(doc, &content["schema"])
                    ));
                }
            }
            for (status, response) in op["responses"].as_object().into_iter().flatten() {
                let response = resolve(response);
                facts.insert(format!("{at} response {status}"));
                for (media, content) in response["content"].as_object().into_iter().flatten() {
                    facts.insert(format!(
                        "{at} response {status} {} schema={}",
                        essence(media),
                        schema_shape(doc, &content["schema"])
                    ));
                }
                for (name, _) in response["headers"].as_object().into_iter().flatten() {
                    // Set by middleware, not by the handler's response type.
                    if apiary::generated::MIDDLEWARE_HEADERS
                        .iter()
                        .any(|h| h.eq_ignore_ascii_case(name))
                    {
                        continue;
                    }
                    facts.insert(format!(
                        "{at} response {status} header {}",
                        name.to_ascii_lowercase()
                    ));
                }
            }
            let security: Vec<String> = op["security"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|req| {
                    req.as_object()
                        .into_iter()
                        .flatten()
                        .map(|(scheme, scopes)| format!("{scheme}{scopes}"))
                })
                .collect();
            facts.insert(format!("{at} security={security:?}"));
        }
    }
    for (name, schema) in doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
    {
        let required: BTreeSet<&str> = schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        for (prop, prop_schema) in schema["properties"].as_object().into_iter().flatten() {
            // poem cannot say "required but may be null": both sides call a property
            // `always` only when it is required and not nullable.
            let always = required.contains(prop.as_str()) && prop_schema["nullable"] != true;
            facts.insert(format!(
                "schema {name}.{prop} always={always} type={}",
                schema_shape(doc, prop_schema)
            ));
        }
        // Enums are compared where they are used (as `type=enum[...]`): poem turns inline
        // enums into components of their own.
    }
    for (name, scheme) in doc["components"]["securitySchemes"]
        .as_object()
        .into_iter()
        .flatten()
    {
        facts.insert(format!(
            "securityScheme {name} type={} scheme={}",
            scheme["type"], scheme["scheme"]
        ));
        for (flow, settings) in scheme["flows"].as_object().into_iter().flatten() {
            let scopes: BTreeSet<&String> = settings["scopes"]
                .as_object()
                .into_iter()
                .flat_map(|scopes| scopes.keys())
                .collect();
            facts.insert(format!(
                "securityScheme {name} flow {flow} tokenUrl={} authorizationUrl={} scopes={scopes:?}",
                settings["tokenUrl"], settings["authorizationUrl"]
            ));
        }
    }
    facts
}

/// A schema's shape: its `$ref` target, or its type (with items, and enum values
/// inlined, since poem turns inline enums into components).
fn schema_shape(doc: &Value, schema: &Value) -> String {
    if let Some(reference) = schema["$ref"].as_str() {
        let target = doc
            .pointer(reference.trim_start_matches('#'))
            .cloned()
            .unwrap_or(Value::Null);
        if let Some(values) = target["enum"].as_array() {
            return format!("enum{values:?}");
        }
        return reference
            .rsplit('/')
            .next()
            .unwrap_or(reference)
            .to_string();
    }
    if let Some(values) = schema["enum"].as_array() {
        return format!("enum{values:?}");
    }
    // poem wraps a described $ref in `allOf: [{$ref}, {description}]`.
    if let Some(parts) = schema["allOf"].as_array() {
        let typed: Vec<&Value> = parts
            .iter()
            .filter(|p| p.get("$ref").is_some() || p.get("type").is_some())
            .collect();
        if let [only] = typed.as_slice() {
            return schema_shape(doc, only);
        }
    }
    match schema["type"].as_str() {
        Some("array") => format!("array<{}>", schema_shape(doc, &schema["items"])),
        // A free-form object is any JSON value to poem.
        Some("object") if schema.get("properties").is_none() => "any".to_string(),
        Some(ty) => ty.to_string(),
        None => "any".to_string(),
    }
}

fn essence(media: &str) -> String {
    media
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

#[tokio::test]
async fn the_served_routes_match_the_spec() {
    let url = apiary::storage::testing::fresh_database_url(None)
        .await
        .expect("a database");
    let api = apiary::app::build_api(&test_settings(&url))
        .await
        .expect("builds");
    let derived: Value =
        serde_json::from_str(&apiary::http::openapi_service(Arc::new(api)).spec()).expect("json");
    let ours = surface(apiary::spec::document());
    let theirs = surface(&derived);
    let missing: Vec<_> = ours.difference(&theirs).collect();
    let extra: Vec<_> = theirs.difference(&ours).collect();
    if !missing.is_empty() || !extra.is_empty() {
        let mut report = String::from("the served routes drifted from spec/openapi.yaml\n");
        for line in &missing {
            report.push_str(&format!("- spec only:   {line}\n"));
        }
        for line in &extra {
            report.push_str(&format!("+ server only: {line}\n"));
        }
        panic!("{report}");
    }
}

#[test]
fn a_difference_in_any_compared_part_is_reported() {
    let ours = surface(apiary::spec::document());
    for (pointer, edit) in [
        ("/paths/~1v1~1products/get/responses", "remove 422"),
        (
            "/paths/~1v1~1products~1{product_id}/get/parameters/0",
            "rename",
        ),
        ("/components/schemas/User/required", "drop email"),
        ("/paths/~1v1~1account/get/security", "drop security"),
    ] {
        let mut changed = apiary::spec::document().clone();
        let target = changed.pointer_mut(pointer).expect(pointer);
        match edit {
            "remove 422" => {
                target.as_object_mut().expect("map").remove("422");
            }
            "rename" => target["name"] = "id".into(),
            "drop email" => target
                .as_array_mut()
                .expect("list")
                .retain(|v| v != "email"),
            _ => *target = serde_json::json!([]),
        }
        assert_ne!(
            surface(&changed),
            ours,
            "{edit} at {pointer} went unnoticed"
        );
    }
}

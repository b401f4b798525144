//! Specs with arbitrary names and enum values generate code that parses, or are refused
//! with a location; the generator never panics.

use apiary_codegen::{Options, generate};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Names of any text: empty, punctuation, keywords, digits first, any Unicode.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-zA-Z0-9 _.+$\\[\\]{}/~#-]{0,8}",
        "\\PC{0,6}",
        any::<String>().prop_map(|s| s.chars().take(6).collect()),
        prop::sample::select(vec![
            "self", "Self", "super", "crate", "type", "_", "2fa", "256x256", "-", "+", "gen",
            "Option", "ApiTags", "Json", "r#type", "fooBar", "foo_bar", "FOO-BAR",
        ])
        .prop_map(String::from),
    ]
}

/// A `$ref` to component `name`, escaped as a JSON pointer.
fn schema_ref(name: &str) -> Value {
    let escaped = name.replace('~', "~0").replace('/', "~1");
    json!({ "$ref": format!("#/components/schemas/{escaped}") })
}

#[derive(Debug, Clone)]
struct Names {
    components: Vec<String>,
    properties: Vec<String>,
    values: Vec<String>,
    operation_ids: Vec<String>,
    parameters: Vec<String>,
    tags: Vec<String>,
}

fn names() -> impl Strategy<Value = Names> {
    (
        prop::collection::vec(name(), 2..=3),
        prop::collection::vec(name(), 1..=4),
        prop::collection::vec(name(), 1..=4),
        prop::collection::vec(name(), 2..=2),
        prop::collection::vec(name(), 2..=2),
        prop::collection::vec(name(), 1..=2),
    )
        .prop_map(
            |(components, properties, values, operation_ids, parameters, tags)| Names {
                components,
                properties,
                values,
                operation_ids,
                parameters,
                tags,
            },
        )
}

/// A small spec using every name: two operations, an enum parameter, a header, an object
/// component with an inline enum, a component enum and `$ref`s between them.
fn spec(names: &Names) -> String {
    let [object, enumeration] = [&names.components[0], &names.components[1]];
    let mut properties = serde_json::Map::new();
    for (index, property) in names.properties.iter().enumerate() {
        let schema = match index % 3 {
            0 => json!({ "type": "string", "enum": names.values }),
            1 => schema_ref(enumeration),
            _ => json!({ "type": "string" }),
        };
        properties.insert(property.clone(), schema);
    }
    let mut schemas = serde_json::Map::new();
    schemas.insert(
        object.clone(),
        json!({ "type": "object", "properties": properties }),
    );
    schemas.insert(
        enumeration.clone(),
        json!({ "type": "string", "enum": names.values }),
    );
    for extra in &names.components[2..] {
        schemas.insert(extra.clone(), json!({ "type": "object", "properties": {} }));
    }
    let body = json!({
        "required": true,
        "content": { "application/json": { "schema": schema_ref(object) } }
    });
    let responses = json!({
        "200": {
            "description": "ok",
            "content": { "application/json; charset=utf-8": { "schema": schema_ref(object) } }
        }
    });
    let parameters = json!([
        { "name": names.parameters[0], "in": "query",
          "schema": { "type": "string", "enum": names.values, "default": names.values[0] } },
        { "name": names.parameters[1], "in": "header", "schema": { "type": "integer" } }
    ]);
    let first_tag = &names.tags[0];
    let last_tag = &names.tags[names.tags.len() - 1];
    let tags: Vec<Value> = names.tags.iter().map(|t| json!({ "name": t })).collect();
    let document = json!({
        "openapi": "3.0.3",
        "info": { "title": "t", "version": "1" },
        "tags": tags,
        "paths": {
            "/things": {
                "post": {
                    "operationId": names.operation_ids[0], "summary": "s", "tags": [first_tag],
                    "parameters": parameters, "requestBody": body, "responses": responses
                },
                "get": {
                    "operationId": names.operation_ids[1], "summary": "s", "tags": [last_tag],
                    "responses": responses
                }
            }
        },
        "components": { "schemas": schemas }
    });
    serde_json::to_string(&document).expect("serialises")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_names_generate_parsable_code_or_a_located_refusal(names in names()) {
        let spec = spec(&names);
        let outcome = std::panic::catch_unwind(|| generate(&spec, &Options::default()));
        let Ok(result) = outcome else {
            return Err(TestCaseError::fail(format!("the generator panicked on {spec}")));
        };
        match result {
            Ok(code) => {
                if let Err(error) = syn::parse_file(&code) {
                    return Err(TestCaseError::fail(format!("{error} in code for {spec}")));
                }
            }
            Err(error) => prop_assert!(!error.location.is_empty(), "{error} for {spec}"),
        }
    }
}

/// The strategy reaches the generated code, not only refusals.
#[test]
fn ordinary_names_generate() {
    let names = Names {
        components: vec!["Thing".into(), "Kind".into()],
        properties: vec!["kind".into(), "other".into(), "name".into()],
        values: vec!["a".into(), "b".into()],
        operation_ids: vec!["createThing".into(), "listThings".into()],
        parameters: vec!["mode".into(), "X-Trace".into()],
        tags: vec!["things".into()],
    };
    let code = generate(&spec(&names), &Options::default()).expect("generates");
    assert!(code.contains("pub struct Thing {"), "{code}");
    assert!(code.contains("pub enum ThingKind {"), "{code}");
}

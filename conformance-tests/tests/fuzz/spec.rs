//! The spec as the fuzzer sees it: every operation's parameters and body, `$ref`s
//! resolved, each schema checked for keywords the generators do not know.

use std::{collections::BTreeSet, sync::Arc};

use apiary::spec::document;
use serde_json::Value;

/// Schema keywords the generators honour. Any other keyword on a request schema stops
/// the test with its location: a constraint the fuzzer ignored would make its "valid"
/// requests invalid, or its "invalid" ones valid.
pub const KNOWN_KEYWORDS: &[&str] = &[
    "type",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "enum",
    "nullable",
    "description",
    "example",
    "default",
];

/// Constraints the spec states in a description rather than a keyword:
/// (schema, property, most UTF-8 bytes).
pub const MAX_BYTES: &[(&str, &str, usize)] = &[
    // UserCreate.password: "at most 72 bytes in UTF-8 (bcrypt's limit: longer is
    // refused, never truncated)".
    ("UserCreate", "password", 72),
];

#[derive(Debug, Clone)]
pub enum Ty {
    /// `lo..=hi` is what the schema allows, `flo..=fhi` what the format can hold.
    Integer {
        lo: i128,
        hi: i128,
        flo: i128,
        fhi: i128,
    },
    Str(StrSpec),
    Boolean,
}

#[derive(Debug, Clone)]
pub struct StrSpec {
    pub min: usize,
    pub max: Option<usize>,
    pub pattern: Option<String>,
    pub format: Option<String>,
    pub choices: Option<Vec<String>>,
    pub max_bytes: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Scalar {
    pub ty: Ty,
    pub nullable: bool,
    /// The spec's `example`s: valid by definition.
    pub examples: Vec<Value>,
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub in_path: bool,
    pub required: bool,
    pub scalar: Scalar,
}

#[derive(Debug, Clone)]
pub struct Prop {
    pub name: String,
    pub required: bool,
    pub scalar: Scalar,
}

#[derive(Debug, Clone)]
pub struct BodySpec {
    /// `/components/schemas/X` (empty for an upload).
    pub pointer: String,
    pub form: bool,
    /// A binary upload (`multipart/form-data` with one `file`, or the raw bytes): sent
    /// as raw bytes, one of a few kinds of file (see `requests::UPLOADS`).
    pub upload: bool,
    pub props: Vec<Prop>,
    /// `additionalProperties: false`.
    pub closed: bool,
}

#[derive(Debug)]
pub struct Op {
    pub id: String,
    /// `x-handler`, or the operationId: what the semantic oracle is keyed on.
    pub handler: String,
    pub method: String,
    pub path: String,
    pub params: Vec<Param>,
    pub body: Option<BodySpec>,
    pub bearer: bool,
    /// Whether every token the operation accepts must carry some scope.
    pub scoped: bool,
}

pub fn resolve(value: &Value) -> &Value {
    match value["$ref"].as_str() {
        Some(reference) => document()
            .pointer(reference.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("dangling $ref {reference}")),
        None => value,
    }
}

pub fn number(value: &Value) -> Option<i128> {
    value
        .as_i64()
        .map(i128::from)
        .or_else(|| value.as_u64().map(i128::from))
        .or_else(|| value.as_f64().map(|f| f as i128))
}

pub fn scalar(schema: &Value, at: &str, max_bytes: Option<usize>) -> Scalar {
    let schema = resolve(schema);
    let map = schema
        .as_object()
        .unwrap_or_else(|| panic!("{at}: schema is not an object"));
    for key in map.keys() {
        assert!(
            KNOWN_KEYWORDS.contains(&key.as_str()),
            "{at}: fuzz.rs does not generate values for `{key}`; teach it (tests/fuzz.rs)"
        );
    }
    let format = schema["format"].as_str();
    let ty = match schema["type"].as_str() {
        Some("integer") => {
            let (flo, fhi) = match format {
                Some("int32") => (i128::from(i32::MIN), i128::from(i32::MAX)),
                Some("int64") | None => (i128::from(i64::MIN), i128::from(i64::MAX)),
                Some(other) => panic!("{at}: integer format {other} is not generated"),
            };
            let mut lo = number(&schema["minimum"]).unwrap_or(flo).max(flo);
            let mut hi = number(&schema["maximum"]).unwrap_or(fhi).min(fhi);
            if schema["exclusiveMinimum"] == true {
                lo += 1;
            }
            if schema["exclusiveMaximum"] == true {
                hi -= 1;
            }
            Ty::Integer { lo, hi, flo, fhi }
        }
        Some("string") => {
            if let Some(format) = format {
                assert!(
                    ["email", "date-time", "uuid"].contains(&format),
                    "{at}: fuzz.rs has no generator for format {format}; teach it"
                );
            }
            Ty::Str(StrSpec {
                min: schema["minLength"].as_u64().unwrap_or(0) as usize,
                max: schema["maxLength"].as_u64().map(|n| n as usize),
                pattern: schema["pattern"].as_str().map(String::from),
                format: format.map(String::from),
                choices: schema["enum"].as_array().map(|values| {
                    values
                        .iter()
                        .map(|v| v.as_str().expect("string enum").to_string())
                        .collect()
                }),
                max_bytes,
            })
        }
        Some("boolean") => Ty::Boolean,
        other => panic!("{at}: type {other:?} is not generated by fuzz.rs; teach it"),
    };
    Scalar {
        ty,
        nullable: schema["nullable"] == true,
        examples: schema.get("example").cloned().into_iter().collect(),
    }
}

pub fn body_spec(request_body: &Value, at: &str) -> BodySpec {
    let request_body = resolve(request_body);
    let content = request_body["content"]
        .as_object()
        .unwrap_or_else(|| panic!("{at}: requestBody has no content"));
    if content.contains_key("application/octet-stream") {
        return BodySpec {
            pointer: String::new(),
            form: false,
            upload: true,
            props: Vec::new(),
            closed: false,
        };
    }
    assert_eq!(content.len(), 1, "{at}: one media type per body");
    let (media, media_object) = content.iter().next().expect("one media type");
    let form = match media.as_str() {
        "application/json" => false,
        "application/x-www-form-urlencoded" => true,
        other => panic!("{at}: media type {other} is not generated"),
    };
    let reference = media_object["schema"]["$ref"]
        .as_str()
        .unwrap_or_else(|| panic!("{at}: body schemas are $refs"));
    let pointer = reference.trim_start_matches('#').to_string();
    let name = pointer
        .rsplit('/')
        .next()
        .expect("a schema name")
        .to_string();
    let schema = resolve(&media_object["schema"]);
    assert_eq!(schema["type"], "object", "{pointer}: bodies are objects");
    let required: BTreeSet<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let props = schema["properties"]
        .as_object()
        .map(|props| {
            props
                .iter()
                .map(|(prop, prop_schema)| {
                    let max_bytes = MAX_BYTES
                        .iter()
                        .find(|(s, p, _)| *s == name && p == prop)
                        .map(|(_, _, n)| *n);
                    Prop {
                        name: prop.clone(),
                        required: required.contains(prop.as_str()),
                        scalar: scalar(prop_schema, &format!("{pointer}/{prop}"), max_bytes),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    BodySpec {
        pointer,
        form,
        upload: false,
        props,
        closed: schema["additionalProperties"] == false,
    }
}

/// Whether the security scheme named `name` is presented as a bearer token: http
/// bearer, oauth2 and OpenID Connect all are.
fn carries_bearer_token(name: &str) -> bool {
    let scheme = &document()["components"]["securitySchemes"][name];
    match scheme["type"].as_str() {
        Some("oauth2" | "openIdConnect") => true,
        Some("http") => scheme["scheme"]
            .as_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("bearer")),
        _ => false,
    }
}

/// Every operation of the embedded spec.
pub fn operations() -> Vec<Arc<Op>> {
    let mut ops = Vec::new();
    for (path, item) in document()["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            let Some(id) = op["operationId"].as_str() else {
                continue;
            };
            let at = format!("{method} {path}");
            let params = op["parameters"]
                .as_array()
                .map(|params| {
                    params
                        .iter()
                        .filter_map(|param| {
                            let param = resolve(param);
                            let name = param["name"].as_str().expect("a parameter name");
                            let location = param["in"].as_str().expect("a parameter location");
                            // Optional headers (`If-None-Match`) are left out: their
                            // effect is covered by the conformance suite.
                            if location == "header" && param["required"] != true {
                                return None;
                            }
                            assert!(
                                ["path", "query"].contains(&location),
                                "{at}: {location} parameters are not generated by fuzz.rs"
                            );
                            let mut scalar =
                                scalar(&param["schema"], &format!("{at} parameter {name}"), None);
                            scalar.examples.extend(param.get("example").cloned());
                            Some(Param {
                                name: name.to_string(),
                                in_path: location == "path",
                                required: param["required"] == true,
                                scalar,
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            let body = op
                .get("requestBody")
                .map(|body| body_spec(body, &format!("{at} requestBody")));
            let bearer = op["security"].as_array().is_some_and(|requirements| {
                requirements.iter().any(|requirement| {
                    requirement
                        .as_object()
                        .is_some_and(|schemes| schemes.keys().any(|s| carries_bearer_token(s)))
                })
            });
            let scoped = op["security"].as_array().is_some_and(|requirements| {
                !requirements.is_empty()
                    && requirements.iter().all(|requirement| {
                        requirement.as_object().is_some_and(|schemes| {
                            schemes
                                .values()
                                .any(|scopes| scopes.as_array().is_some_and(|s| !s.is_empty()))
                        })
                    })
            });
            ops.push(Arc::new(Op {
                id: id.to_string(),
                handler: op["x-handler"].as_str().unwrap_or(id).to_string(),
                method: method.to_uppercase(),
                path: path.clone(),
                params,
                body,
                bearer,
                scoped,
            }));
        }
    }
    ops
}

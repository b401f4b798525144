//! The contract-test harness: starts the real service on a random port with a fresh
//! database, sends requests, and checks every response against the spec (status
//! documented, content type, declared headers, body schema). It records which
//! (operationId, status) pairs were exercised so the suite can demand all of them.

pub mod server;

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Mutex,
};

use apiary::spec::{SchemaValidator, document};
use serde_json::Value;

pub use server::TestServer;

/// What came back, read whole.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Where an operation lives in the spec.
#[derive(Debug, Clone)]
struct OperationRef {
    path: String,
    method: String,
}

/// Checks responses against the spec and remembers what was exercised.
pub struct Contract {
    operations: BTreeMap<String, OperationRef>,
    exercised: Mutex<BTreeSet<(String, u16)>>,
    validators: Mutex<BTreeMap<String, &'static SchemaValidator>>,
}

impl Default for Contract {
    fn default() -> Self {
        Self::new()
    }
}

fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

impl Contract {
    pub fn new() -> Self {
        let mut operations = BTreeMap::new();
        for (path, item) in document()["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("path item") {
                if let Some(id) = op["operationId"].as_str() {
                    operations.insert(
                        id.to_string(),
                        OperationRef {
                            path: path.clone(),
                            method: method.clone(),
                        },
                    );
                }
            }
        }
        Self {
            operations,
            exercised: Mutex::new(BTreeSet::new()),
            validators: Mutex::new(BTreeMap::new()),
        }
    }

    /// Every (operationId, status) pair the spec documents.
    pub fn documented(&self) -> BTreeSet<(String, u16)> {
        let mut pairs = BTreeSet::new();
        for (id, op) in &self.operations {
            let responses = &document()["paths"][&op.path][&op.method]["responses"];
            for status in responses.as_object().expect("responses").keys() {
                pairs.insert((id.clone(), status.parse().expect("numeric status")));
            }
        }
        pairs
    }

    pub fn exercised(&self) -> BTreeSet<(String, u16)> {
        self.exercised.lock().expect("not poisoned").clone()
    }

    /// Sends a request for `operation_id`, checks the reply against the spec (panicking
    /// with the reason when it breaks it) and records the pair.
    pub async fn send(&self, operation_id: &str, request: reqwest::RequestBuilder) -> Reply {
        let reply = read(request).await;
        if let Err(reason) = self.check(operation_id, &reply) {
            panic!(
                "{operation_id} answered {} against the spec: {reason}\nheaders: {:?}\nbody: {}",
                reply.status,
                reply.headers,
                reply.text()
            );
        }
        self.exercised
            .lock()
            .expect("not poisoned")
            .insert((operation_id.to_string(), reply.status));
        reply
    }

    /// Checks a body the generated client received and decoded: re-encoded, it must
    /// still satisfy the schema documented for `status` (a check on the SDK's types as
    /// much as on the server), and the pair counts as exercised.
    pub fn check_decoded(&self, operation_id: &str, status: u16, body: &impl serde::Serialize) {
        let op = self
            .operations
            .get(operation_id)
            .unwrap_or_else(|| panic!("no operation {operation_id} in the spec"));
        let base = format!(
            "/paths/{}/{}/responses/{status}",
            escape_pointer(&op.path),
            op.method
        );
        let response = document()
            .pointer(&base)
            .unwrap_or_else(|| panic!("{operation_id}: status {status} is not documented"));
        let base = match response["$ref"].as_str() {
            Some(reference) => reference.trim_start_matches('#').to_string(),
            None => base,
        };
        let value = serde_json::to_value(body).expect("SDK types serialise");
        let content = document()
            .pointer(&format!("{base}/content"))
            .and_then(Value::as_object);
        let media = content
            .and_then(|c| c.keys().find(|k| k.ends_with("json")))
            .unwrap_or_else(|| panic!("{operation_id} {status} documents no JSON body"));
        let pointer = format!("{base}/content/{}/schema", escape_pointer(media));
        if let Err(reason) = self.validate(&pointer, &value) {
            panic!("{operation_id} {status} as the SDK decoded it: {reason}");
        }
        self.exercised
            .lock()
            .expect("not poisoned")
            .insert((operation_id.to_string(), status));
    }

    /// Sends a request that no operation matches (unknown route, wrong method) and
    /// checks that the reply is a well-formed problem.
    pub async fn send_unrouted(&self, request: reqwest::RequestBuilder) -> Reply {
        let reply = read(request).await;
        if let Err(reason) = self.check_problem(&reply) {
            panic!(
                "{} is not a problem document: {reason}\nbody: {}",
                reply.status,
                reply.text()
            );
        }
        reply
    }

    fn check_problem(&self, reply: &Reply) -> Result<(), String> {
        check_common_headers(reply)?;
        let content_type = essence(reply.header("content-type").unwrap_or_default());
        if content_type != "application/problem+json" {
            return Err(format!("content type is {content_type}"));
        }
        let problem = serde_json::from_slice::<Value>(&reply.body).map_err(|e| e.to_string())?;
        self.validate("/components/schemas/Problem", &problem)?;
        if problem["status"] != reply.status {
            return Err(format!(
                "problem.status {} differs from the status",
                problem["status"]
            ));
        }
        Ok(())
    }

    fn validate(&self, pointer: &str, value: &Value) -> Result<(), String> {
        let validator = {
            let mut cache = self.validators.lock().expect("not poisoned");
            match cache.get(pointer) {
                Some(validator) => *validator,
                None => {
                    let compiled: &'static SchemaValidator =
                        Box::leak(Box::new(SchemaValidator::compile(document(), pointer)?));
                    cache.insert(pointer.to_string(), compiled);
                    compiled
                }
            }
        };
        let violations = validator.violations(value);
        if violations.is_empty() {
            Ok(())
        } else {
            Err(format!("body breaks {pointer}: {violations:?}"))
        }
    }

    /// Checks one reply against what the spec documents for the operation.
    pub fn check(&self, operation_id: &str, reply: &Reply) -> Result<(), String> {
        let op = self
            .operations
            .get(operation_id)
            .ok_or_else(|| format!("no operation {operation_id} in the spec"))?;
        check_common_headers(reply)?;
        let base = format!(
            "/paths/{}/{}/responses/{}",
            escape_pointer(&op.path),
            op.method,
            reply.status
        );
        let response = document()
            .pointer(&base)
            .ok_or_else(|| format!("status {} is not documented", reply.status))?;
        let (base, response) = match response["$ref"].as_str() {
            Some(reference) => {
                let pointer = reference.trim_start_matches('#').to_string();
                let target = document().pointer(&pointer).ok_or("dangling $ref")?;
                (pointer, target)
            }
            None => (base, response),
        };
        self.check_headers(response, reply)?;
        let content = response["content"].as_object();
        let actual = essence(reply.header("content-type").unwrap_or_default());
        let Some(content) = content else {
            return if reply.body.is_empty() {
                Ok(())
            } else {
                Err("a body was sent where the spec documents none".into())
            };
        };
        // The exact type, or a documented range such as `image/*` that covers it.
        let documented = content.keys().find(|media| {
            **media == actual
                || media
                    .strip_suffix("/*")
                    .is_some_and(|kind| actual.split('/').next() == Some(kind))
        });
        let Some(documented) = documented else {
            return Err(format!(
                "content type {actual:?} is not documented (documented: {:?})",
                content.keys().collect::<Vec<_>>()
            ));
        };
        let schema_pointer = format!("{base}/content/{}/schema", escape_pointer(documented));
        let binary = content[documented]["schema"]["format"] == "binary";
        if actual == "application/json" || actual.ends_with("+json") {
            let body = serde_json::from_slice::<Value>(&reply.body)
                .map_err(|e| format!("body is not JSON: {e}"))?;
            self.validate(&schema_pointer, &body)?;
            if actual == "application/problem+json" && body["status"] != reply.status {
                return Err(format!(
                    "problem.status {} differs from the status",
                    body["status"]
                ));
            }
        } else if binary {
            if reply.body.is_empty() {
                return Err("a binary body is empty".into());
            }
        } else if std::str::from_utf8(&reply.body).is_err() {
            return Err("a text body is not UTF-8".into());
        }
        Ok(())
    }

    fn check_headers(&self, response: &Value, reply: &Reply) -> Result<(), String> {
        let Some(headers) = response["headers"].as_object() else {
            return Ok(());
        };
        for (name, header) in headers {
            let header = match header["$ref"].as_str() {
                Some(reference) => document()
                    .pointer(reference.trim_start_matches('#'))
                    .ok_or("dangling header $ref")?,
                None => header,
            };
            match reply.header(name) {
                None if header["required"] == true => {
                    return Err(format!("required header {name} is missing"));
                }
                Some(value)
                    if header["schema"]["type"] == "integer" && value.parse::<i64>().is_err() =>
                {
                    return Err(format!("header {name}: {value:?} is not an integer"));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Headers every response carries, whatever the operation: the request id, and the
/// security headers (a browser never guesses a type, never frames an answer).
fn check_common_headers(reply: &Reply) -> Result<(), String> {
    match reply.header("x-request-id") {
        Some(id) if !id.is_empty() => {}
        _ => return Err("X-Request-Id is missing".into()),
    }
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
    ] {
        if reply.header(name) != Some(value) {
            return Err(format!("{name} is {:?}, not {value}", reply.header(name)));
        }
    }
    match reply.header("content-security-policy") {
        Some(policy) if policy.contains("frame-ancestors 'none'") => Ok(()),
        other => Err(format!(
            "Content-Security-Policy {other:?} lacks frame-ancestors 'none'"
        )),
    }
}

fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

async fn read(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.bytes().await.expect("a readable body").to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

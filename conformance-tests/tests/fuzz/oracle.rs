//! The world the cases run in (the server, what it holds now) and the oracle that
//! judges every reply.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::{Arc, Mutex},
};

use apiary::spec::{SchemaValidator, document};
use apiary_conformance::{Contract, Reply, TestServer};
use serde_json::{Value, json};

use crate::requests::{Auth, Case, Env, Intent};

/// Per operation and kind of case, how often each status came back.
pub type StatusCounts = BTreeMap<(String, &'static str), BTreeMap<u16, usize>>;

pub struct World {
    /// Dropped first, while the runtime that runs it is still there.
    pub _server: TestServer,
    pub rt: tokio::runtime::Runtime,
    pub contract: Contract,
    pub http: reqwest::Client,
    pub env: Arc<Env>,
    pub own_id: i64,
    pub own_email: String,
    /// Every registered account: lower-cased email to password.
    pub accounts: Mutex<HashMap<String, String>>,
    /// Every product id that exists.
    pub products: Mutex<BTreeSet<i64>>,
    /// Every `next_cursor` the service issued.
    pub cursors: Mutex<BTreeSet<String>>,
    /// The registered user's preferences as they must be now.
    pub preferences: Mutex<Value>,
    /// Per operation and kind of case, how often each status came back.
    pub seen: Mutex<StatusCounts>,
    /// Per body schema, the spec's own validator: the generator's self-check.
    pub validators: Mutex<HashMap<String, &'static SchemaValidator>>,
}

pub fn essence(reply: &Reply) -> String {
    reply
        .header("content-type")
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

pub fn lower(text: &str) -> String {
    // Character by character, so that "contains" survives lower-casing.
    text.chars().flat_map(char::to_lowercase).collect()
}

pub fn ids(items: &Value) -> Result<Vec<i64>, String> {
    items
        .as_array()
        .ok_or("items is not an array")?
        .iter()
        .map(|p| {
            p["id"]
                .as_i64()
                .ok_or_else(|| "an item without an id".to_string())
        })
        .collect()
}

pub fn ascending(ids: &[i64]) -> Result<(), String> {
    if ids.windows(2).all(|w| w[0] < w[1]) {
        Ok(())
    } else {
        Err(format!("items are not ordered by id: {ids:?}"))
    }
}

pub fn expect_status(reply: &Reply, allowed: &[u16], why: &str) -> Result<(), String> {
    if allowed.contains(&reply.status) {
        Ok(())
    } else {
        Err(format!(
            "expected {} ({why}), got {}",
            allowed
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(" or "),
            reply.status
        ))
    }
}

impl World {
    pub fn send(&self, case: &Case) -> Result<Reply, String> {
        self.rt.block_on(async {
            let response = case
                .request(&self.http)
                .send()
                .await
                .map_err(|e| format!("the server did not answer: {e}"))?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = response
                .bytes()
                .await
                .map_err(|e| format!("the body could not be read: {e}"))?
                .to_vec();
            Ok(Reply {
                status,
                headers,
                body,
            })
        })
    }

    pub fn validator(&self, pointer: &str) -> &'static SchemaValidator {
        let mut cache = self.validators.lock().expect("not poisoned");
        cache.entry(pointer.to_string()).or_insert_with(|| {
            Box::leak(Box::new(
                SchemaValidator::compile(document(), pointer).expect("the spec's schemas compile"),
            ))
        })
    }

    /// The generator checks itself against the spec's own validator: a "valid" JSON
    /// body must pass it, an "invalid" one (but the byte limit it cannot see) fail it.
    pub fn self_check(&self, case: &Case) -> Result<(), String> {
        let (Some(spec), Some(body)) = (&case.op.body, &case.body) else {
            return Ok(());
        };
        if spec.form || spec.upload {
            return Ok(());
        }
        let violations = self.validator(&spec.pointer).violations(body);
        match &case.intent {
            Intent::Valid if !violations.is_empty() => Err(format!(
                "fuzz.rs generated a body it calls valid that {} refuses: {violations:?} \
                 (a generator bug, or a validator that disagrees with the spec)",
                spec.pointer
            )),
            Intent::Invalid { what, .. } if violations.is_empty() && !what.contains("bytes") => {
                Err(format!(
                    "fuzz.rs generated a body it calls invalid ({what}) that {} accepts \
                     (a generator bug, or a validator that disagrees with the spec)",
                    spec.pointer
                ))
            }
            _ => Ok(()),
        }
    }

    pub fn judge(&self, case: &Case, reply: &Reply) -> Result<(), String> {
        let op = &case.op;
        self.contract
            .check(&op.id, reply)
            .map_err(|e| format!("the reply breaks the spec: {e}"))?;
        if reply.status >= 500 {
            return Err(format!("a server error ({})", reply.status));
        }
        let authorized = matches!(
            case.auth,
            Auth::NotNeeded | Auth::Valid | Auth::ValidLowercaseScheme
        );
        match &case.intent {
            // The token is checked, scopes included, before the input is read.
            Intent::Invalid { .. } | Intent::Valid if case.auth == Auth::WithoutScope => {
                expect_status(reply, &[403], "a valid token without the required scope")?;
                self.problem(reply)?;
                let detail = reply.json()["detail"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                if detail.contains("scope") {
                    Ok(())
                } else {
                    Err(format!(
                        "the 403 does not name the missing scope: {detail:?}"
                    ))
                }
            }
            Intent::Invalid { what, or_404, .. } if !authorized => {
                // A missing path segment names no route at all: 404 before any token check.
                let allowed: &[u16] = if *or_404 {
                    &[401, 422, 404]
                } else {
                    &[401, 422]
                };
                expect_status(reply, allowed, &format!("no valid token, and {what}"))?;
                self.problem(reply)
            }
            Intent::Invalid {
                what,
                field,
                root_ok,
                or_404,
            } => {
                let allowed: &[u16] = if *or_404 { &[422, 404] } else { &[422] };
                expect_status(
                    reply,
                    allowed,
                    &format!("the input breaks the schema: {what}"),
                )?;
                self.problem(reply)?;
                if reply.status == 404 {
                    return Ok(());
                }
                let named: Vec<String> = reply.json()["errors"]
                    .as_array()
                    .map(|errors| {
                        errors
                            .iter()
                            .filter_map(|e| e["field"].as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default();
                let expected = field.as_deref().unwrap_or("");
                let ok = named.iter().any(|n| {
                    n == expected
                        || (*root_ok && n.is_empty())
                        || n.ends_with(&format!(".{expected}"))
                });
                if ok {
                    Ok(())
                } else {
                    Err(format!(
                        "the 422 does not name the field {expected:?} ({what}); it names {named:?}"
                    ))
                }
            }
            Intent::Valid if !authorized => {
                expect_status(reply, &[401], "a bearer operation without a valid token")?;
                self.problem(reply)
            }
            Intent::Valid => {
                // An upload's content is judged beyond its schema: an empty file is a 422.
                if reply.status == 422
                    && !["listProductsV2", "uploadImage"].contains(&op.handler.as_str())
                {
                    return Err("schema-valid input refused with 422".into());
                }
                self.semantics(case, reply)
            }
        }
    }

    pub fn problem(&self, reply: &Reply) -> Result<(), String> {
        let media = essence(reply);
        if media == "application/problem+json" {
            Ok(())
        } else {
            Err(format!(
                "an error answered as {media}, not application/problem+json"
            ))
        }
    }

    /// What the spec documents for valid input, operation by operation.
    pub fn semantics(&self, case: &Case, reply: &Reply) -> Result<(), String> {
        let body = || reply.json();
        match case.op.handler.as_str() {
            "getHealth" | "getReadiness" | "getOpenApiYaml" | "getOpenApiJson" | "getDocs" => {
                expect_status(reply, &[200], "the service is up")
            }
            "createUser" => {
                let email = lower(
                    case.field("email")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                );
                let mut accounts = self.accounts.lock().expect("not poisoned");
                if accounts.contains_key(&email) {
                    return expect_status(reply, &[409], &format!("{email} is registered"));
                }
                expect_status(reply, &[201], &format!("{email} is not registered yet"))?;
                let user = body();
                if user["email"] != json!(email) {
                    return Err(format!(
                        "the user's email is {}, not {email:?}",
                        user["email"]
                    ));
                }
                let phone = case.field("phone").cloned().unwrap_or(Value::Null);
                if user["phone"] != phone {
                    return Err(format!(
                        "the user's phone is {}, not {phone}",
                        user["phone"]
                    ));
                }
                let password = case
                    .field("password")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                accounts.insert(email, password.to_string());
                Ok(())
            }
            "createToken" => {
                // RFC 6749 section 3.1: a parameter without a value is as if omitted.
                let get = |name: &str| {
                    case.field(name)
                        .and_then(Value::as_str)
                        .filter(|s| !s.is_empty())
                };
                let oauth_error = |code: &str, why: &str| {
                    expect_status(reply, &[400], why)?;
                    let error = &body()["error"];
                    if error == code {
                        Ok(())
                    } else {
                        Err(format!("expected error {code} ({why}), got {error}"))
                    }
                };
                match (get("grant_type"), get("username"), get("password")) {
                    (None, _, _) | (_, None, _) | (_, _, None) => oauth_error(
                        "invalid_request",
                        "a required parameter is missing (RFC 6749 section 5.2)",
                    ),
                    (Some(grant), _, _) if grant != "password" => oauth_error(
                        "unsupported_grant_type",
                        "only the password grant is documented",
                    ),
                    (Some(_), Some(username), Some(password)) => {
                        let accounts = self.accounts.lock().expect("not poisoned");
                        if accounts.get(&lower(username)).map(String::as_str) == Some(password) {
                            expect_status(reply, &[200], "the right email and password")
                        } else {
                            oauth_error("invalid_grant", "no account has this email and password")
                        }
                    }
                }
            }
            "getAccount" => {
                expect_status(reply, &[200], "the token's own account")?;
                let account = body();
                let preferences = self.preferences.lock().expect("not poisoned");
                if account["user_id"] != json!(self.own_id)
                    || account["email"] != json!(self.own_email)
                    || account["preferences"] != *preferences
                {
                    return Err(format!(
                        "the account is {account}, expected user {} ({}) with preferences {}",
                        self.own_id, self.own_email, *preferences
                    ));
                }
                Ok(())
            }
            "updatePreferences" => {
                expect_status(reply, &[200], "a valid partial update")?;
                let mut preferences = self.preferences.lock().expect("not poisoned");
                if let Some(Value::Object(sent)) = &case.body {
                    for (k, v) in sent {
                        preferences[k] = v.clone();
                    }
                }
                let returned = body();
                if returned == *preferences {
                    Ok(())
                } else {
                    let expected = preferences.clone();
                    // Follow the service, so that one divergence is reported once.
                    *preferences = returned.clone();
                    Err(format!(
                        "the preferences after the update are {returned}, expected {expected}"
                    ))
                }
            }
            "getUserSummary" => {
                let id: i64 = case
                    .param("user_id")
                    .unwrap_or_default()
                    .parse()
                    .unwrap_or(-1);
                if id != self.own_id {
                    return expect_status(reply, &[403, 404], "another user's summary");
                }
                expect_status(reply, &[200], "the caller's own summary")?;
                let summary = body();
                if summary["partial"] != false || summary["errors"] != json!([]) {
                    return Err(format!("built-in sources cannot fail, yet: {summary}"));
                }
                if !summary["profile"].is_null() && summary["profile"]["user_id"] != json!(id) {
                    return Err(format!("the profile is not user {id}'s: {summary}"));
                }
                Ok(())
            }
            "getProduct" => {
                let id: i64 = case
                    .param("product_id")
                    .unwrap_or_default()
                    .parse()
                    .unwrap_or(-1);
                if self.products.lock().expect("not poisoned").contains(&id) {
                    expect_status(reply, &[200], &format!("product {id} exists"))?;
                    if body()["id"] != json!(id) {
                        return Err(format!("asked for product {id}, got {}", body()["id"]));
                    }
                    Ok(())
                } else {
                    expect_status(reply, &[404], &format!("no product has id {id}"))
                }
            }
            "createProduct" => {
                expect_status(reply, &[201], "a valid product")?;
                let product = body();
                for name in ["name", "price_cents", "currency"] {
                    if Some(&product[name]) != case.field(name) {
                        return Err(format!(
                            "{name} was sent as {:?}, stored as {}",
                            case.field(name),
                            product[name]
                        ));
                    }
                }
                let description = case.field("description").cloned().unwrap_or(Value::Null);
                if product["description"] != description {
                    return Err(format!(
                        "description was sent as {description}, stored as {}",
                        product["description"]
                    ));
                }
                let id = product["id"].as_i64().ok_or("a product without an id")?;
                self.products.lock().expect("not poisoned").insert(id);
                Ok(())
            }
            "listProducts" => {
                expect_status(reply, &[200], "a valid page")?;
                let limit = case.param("limit").map_or(20, |l| l.parse().unwrap_or(20));
                let ids = ids(&body())?;
                ascending(&ids)?;
                if ids.len() > limit {
                    return Err(format!("{} items for limit {limit}", ids.len()));
                }
                Ok(())
            }
            "listProductsV2" => {
                let cursor = case.param("cursor");
                let issued =
                    cursor.is_none_or(|c| self.cursors.lock().expect("not poisoned").contains(c));
                let example = cursor.is_some_and(|c| {
                    case.op
                        .params
                        .iter()
                        .any(|p| p.name == "cursor" && p.scalar.examples.contains(&json!(c)))
                });
                if issued {
                    expect_status(reply, &[200], "no cursor, or one the service issued")?;
                } else if example {
                    expect_status(reply, &[200], "the spec's own example cursor")?;
                } else {
                    // The cursor is opaque: one the service never issued may be refused,
                    // as a 422 naming it.
                    expect_status(reply, &[200, 422], "a cursor the service never issued")?;
                    if reply.status == 422 {
                        let named = body()["errors"][0]["field"] == "cursor";
                        return if named {
                            Ok(())
                        } else {
                            Err("the 422 does not name `cursor`".into())
                        };
                    }
                }
                let page = body();
                let limit = case.param("limit").map_or(20, |l| l.parse().unwrap_or(20));
                let ids = ids(&page["items"])?;
                ascending(&ids)?;
                if ids.len() > limit {
                    return Err(format!("{} items for limit {limit}", ids.len()));
                }
                if let Some(next) = page["next_cursor"].as_str() {
                    self.cursors
                        .lock()
                        .expect("not poisoned")
                        .insert(next.to_string());
                }
                Ok(())
            }
            "searchProducts" => {
                expect_status(reply, &[200], "a valid search")?;
                let q = lower(case.param("q").unwrap_or_default());
                let limit = case.param("limit").map_or(20, |l| l.parse().unwrap_or(20));
                let found = body();
                ascending(&ids(&found)?)?;
                let items = found.as_array().ok_or("not an array")?;
                if items.len() > limit {
                    return Err(format!("{} items for limit {limit}", items.len()));
                }
                for item in items {
                    let name = lower(item["name"].as_str().unwrap_or_default());
                    let description = lower(item["description"].as_str().unwrap_or_default());
                    if !name.contains(&q) && !description.contains(&q) {
                        return Err(format!(
                            "product {} matches neither in name nor in description: {item}",
                            item["id"]
                        ));
                    }
                }
                Ok(())
            }
            "uploadImage" => match case.body.as_ref().and_then(Value::as_str) {
                Some("png") => {
                    expect_status(reply, &[202], "a small PNG is accepted")?;
                    let job = body();
                    if job["status"] != "processing" {
                        return Err(format!("a new job is {}", job["status"]));
                    }
                    Ok(())
                }
                Some("text") => expect_status(reply, &[415], "text is not an image"),
                _ => expect_status(reply, &[422], "an empty file is not an image"),
            },
            // Random ids: the images this run uploaded are never guessed.
            "getImage" | "getImageVariant" => {
                expect_status(reply, &[404], "no image has a random id")
            }
            other => {
                // An operation this file has no oracle for yet: what any valid input
                // may get.
                eprintln!("fuzz.rs: no semantic oracle for {other}; checking statuses only");
                if (200..300).contains(&reply.status) || [403, 404, 409].contains(&reply.status) {
                    Ok(())
                } else {
                    Err(format!("valid input answered {}", reply.status))
                }
            }
        }
    }

    pub fn record(&self, case: &Case, status: u16) {
        let kind = match case.intent {
            Intent::Valid => "valid",
            Intent::Invalid { .. } => "invalid",
        };
        *self
            .seen
            .lock()
            .expect("not poisoned")
            .entry((case.op.id.clone(), kind))
            .or_default()
            .entry(status)
            .or_default() += 1;
    }
}

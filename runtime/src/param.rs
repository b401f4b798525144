//! Parameters poem-openapi's extractors cannot read as the spec means them: objects,
//! unions, arrays in the `label`, `matrix`, `spaceDelimited`, `pipeDelimited` and
//! `deepObject` styles, and parameters given by `content`. The raw text is split as the
//! parameter's `style` and `explode` say (OpenAPI 3.0, "Style Examples"), its leaves
//! are read as the schema's types, the result is checked against the parameter's own
//! schema in the spec (compiled once, on first use) and only then turned into the
//! handler's type. A value that does not fit is a 422 naming the parameter.

use std::sync::OnceLock;

use poem::Request;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::problem::{FieldError, Refusal};
use crate::spec::{SchemaValidator, SpecDocument};

/// Where a parameter is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamIn {
    Path,
    Query,
    Header,
    Cookie,
}

/// How a parameter's value is written (OpenAPI's `style`), or `Json` for a parameter
/// given by `content: application/json` (the value is a JSON document) and `Text` for
/// one given by another media type (the value is the text itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamStyle {
    Form,
    Simple,
    Label,
    Matrix,
    SpaceDelimited,
    PipeDelimited,
    DeepObject,
    Json,
    Text,
}

/// What the spec says of one parameter.
#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    /// The name on the wire.
    pub name: &'static str,
    pub location: ParamIn,
    pub style: ParamStyle,
    pub explode: bool,
    pub required: bool,
    /// JSON pointer to the parameter's schema in the spec; empty for a parameter given
    /// by `content` without a schema, which takes any value.
    pub pointer: &'static str,
    /// The query parameters of the same operation: an exploded object with
    /// `additionalProperties` takes every other query key.
    pub others: &'static [&'static str],
}

/// One parameter, held by the generated code in a `static`: its description and its
/// schema's validator, compiled on the first request that reads it.
pub struct SpecParam {
    spec: ParamSpec,
    validator: OnceLock<SchemaValidator>,
}

/// The shape a schema asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Scalar,
    Array,
    Object,
}

/// What the raw request holds for one shape.
pub(crate) enum Decoded {
    Absent,
    Value(Value),
    /// The text is not written in the parameter's style for this shape.
    Misfit,
}

impl SpecParam {
    pub const fn new(spec: ParamSpec) -> Self {
        Self {
            spec,
            validator: OnceLock::new(),
        }
    }

    /// The parameter's value, or a 422 naming it when it is absent.
    pub fn read_required<T: DeserializeOwned>(
        &self,
        request: &Request,
        document: &SpecDocument,
    ) -> Result<T, Refusal> {
        self.read(request, document)?
            .ok_or_else(|| self.refusal(String::new(), "is a required parameter"))
    }

    /// The parameter's value, `None` when the request does not carry it, or a 422
    /// naming it (and the offending part, `filter.age`) when it breaks the schema.
    pub fn read<T: DeserializeOwned>(
        &self,
        request: &Request,
        document: &SpecDocument,
    ) -> Result<Option<T>, Refusal> {
        let Some(value) = self.value(request, document)? else {
            return Ok(None);
        };
        serde_json::from_value(value)
            .map(Some)
            .map_err(|error| self.refusal(String::new(), &error.to_string()))
    }

    /// The parameter as a JSON value checked against its schema.
    fn value(&self, request: &Request, document: &SpecDocument) -> Result<Option<Value>, Refusal> {
        let doc = document.document();
        let schema = resolve(doc, doc.pointer(self.spec.pointer).unwrap_or(&Value::Null));
        let raw = Raw::of(&self.spec, request);
        if matches!(self.spec.style, ParamStyle::Json | ParamStyle::Text) {
            let Some(text) = raw.single(self.spec.name) else {
                return Ok(None);
            };
            let value = if self.spec.style == ParamStyle::Text {
                Value::String(text)
            } else {
                serde_json::from_str(&text)
                    .map_err(|_| self.refusal(String::new(), "is not a JSON document"))?
            };
            self.check(document, &value)?;
            return Ok(Some(value));
        }
        let mut first_error = None;
        let mut absent = false;
        for kind in kinds(doc, schema) {
            match self.decode(&raw, doc, schema, kind) {
                Decoded::Absent => absent = true,
                Decoded::Misfit => {}
                Decoded::Value(value) => {
                    let value = coerce(doc, schema, value);
                    match self.check(document, &value) {
                        Ok(()) => return Ok(Some(value)),
                        Err(error) => {
                            first_error.get_or_insert(error);
                        }
                    }
                }
            }
        }
        match first_error {
            Some(error) => Err(error),
            None if absent => Ok(None),
            None => Err(self.refusal(
                String::new(),
                "is not written as the parameter's style says",
            )),
        }
    }

    fn check(&self, document: &SpecDocument, value: &Value) -> Result<(), Refusal> {
        if self.spec.pointer.is_empty() {
            // `content` without a schema: any value.
            return Ok(());
        }
        let validator = self.validator.get_or_init(|| {
            SchemaValidator::compile(document.document(), self.spec.pointer)
                .unwrap_or_else(|error| panic!("the spec's parameter schemas compile: {error}"))
        });
        let violations = validator.violations(value);
        if violations.is_empty() {
            return Ok(());
        }
        Err(Refusal::validation(
            violations
                .into_iter()
                .map(|v| FieldError {
                    field: self.field(&v.field),
                    message: v.message,
                })
                .collect(),
        ))
    }

    /// The field a 422 names: the parameter, or a part of it (`filter.age`).
    fn field(&self, inner: &str) -> String {
        if inner.is_empty() {
            self.spec.name.to_string()
        } else {
            format!("{}.{inner}", self.spec.name)
        }
    }

    fn refusal(&self, inner: String, message: &str) -> Refusal {
        Refusal::validation(vec![FieldError {
            field: self.field(&inner),
            message: message.to_string(),
        }])
    }

    /// The raw text split as the style says for one shape; leaves are strings.
    fn decode(&self, raw: &Raw, doc: &Value, schema: &Value, kind: Kind) -> Decoded {
        let spec = &self.spec;
        let name = spec.name;
        match (spec.location, spec.style) {
            (ParamIn::Query, ParamStyle::DeepObject) => {
                if kind != Kind::Object {
                    return Decoded::Misfit;
                }
                deep_object(raw.pairs(), name)
            }
            (ParamIn::Query, style) if spec.explode => {
                let values = raw.values(name);
                match kind {
                    Kind::Scalar => match values.as_slice() {
                        [] => Decoded::Absent,
                        [one] => Decoded::Value(Value::String(one.clone())),
                        _ => Decoded::Misfit,
                    },
                    Kind::Array if values.is_empty() => Decoded::Absent,
                    Kind::Array => Decoded::Value(strings(values)),
                    Kind::Object if style == ParamStyle::Form => {
                        exploded_object(raw.pairs(), doc, schema, spec.others)
                    }
                    Kind::Object => Decoded::Misfit,
                }
            }
            (ParamIn::Query, style) => {
                let values = raw.values(name);
                if values.is_empty() {
                    return Decoded::Absent;
                }
                let delimiter = match style {
                    ParamStyle::SpaceDelimited => ' ',
                    ParamStyle::PipeDelimited => '|',
                    _ => ',',
                };
                match kind {
                    Kind::Scalar if values.len() == 1 => {
                        Decoded::Value(Value::String(values[0].clone()))
                    }
                    Kind::Scalar => Decoded::Misfit,
                    Kind::Array => Decoded::Value(strings(
                        values.iter().flat_map(|v| split(v, delimiter)).collect(),
                    )),
                    Kind::Object => {
                        let joined: Vec<String> =
                            values.iter().flat_map(|v| split(v, delimiter)).collect();
                        pairs(joined)
                    }
                }
            }
            (_, ParamStyle::Label) => match raw.single(name) {
                None => Decoded::Absent,
                Some(text) => match text.strip_prefix('.') {
                    None => Decoded::Misfit,
                    Some(rest) => {
                        let separator = if spec.explode { '.' } else { ',' };
                        delimited(rest, kind, separator, spec.explode)
                    }
                },
            },
            (_, ParamStyle::Matrix) => match raw.single(name) {
                None => Decoded::Absent,
                Some(text) => matrix(&text, name, kind, spec.explode),
            },
            // `simple` in the path and headers, `form` in a cookie: comma-separated.
            _ => match raw.single(name) {
                None => Decoded::Absent,
                Some(text) => delimited(&text, kind, ',', spec.explode),
            },
        }
    }
}

/// One value written in `spec`'s query style among `pairs` (a form body's fields), split
/// for the shape `kind`; leaves are strings.
pub(crate) fn decode_pairs(
    spec: &ParamSpec,
    pairs: Vec<(String, String)>,
    doc: &Value,
    schema: &Value,
    kind: Kind,
) -> Decoded {
    SpecParam::new(*spec).decode(&Raw::Query(pairs), doc, schema, kind)
}

/// The text of a request a parameter may be in.
enum Raw {
    Query(Vec<(String, String)>),
    One(Option<String>),
}

impl Raw {
    fn of(spec: &ParamSpec, request: &Request) -> Self {
        match spec.location {
            ParamIn::Query => Raw::Query(
                serde_urlencoded::from_str(request.uri().query().unwrap_or_default())
                    .unwrap_or_default(),
            ),
            ParamIn::Path => Raw::One(request.raw_path_param(spec.name).map(str::to_string)),
            ParamIn::Header => {
                let values: Vec<&str> = request
                    .headers()
                    .get_all(spec.name)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .collect();
                // A header given twice is one list.
                Raw::One((!values.is_empty()).then(|| values.join(",")))
            }
            ParamIn::Cookie => Raw::One(cookie(request, spec.name)),
        }
    }

    fn pairs(&self) -> &[(String, String)] {
        match self {
            Raw::Query(pairs) => pairs,
            Raw::One(_) => &[],
        }
    }

    fn values(&self, name: &str) -> Vec<String> {
        self.pairs()
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .collect()
    }

    /// The one value of the parameter (the first, in a query).
    fn single(&self, name: &str) -> Option<String> {
        match self {
            Raw::Query(_) => self.values(name).into_iter().next(),
            Raw::One(value) => value.clone(),
        }
    }
}

fn cookie(request: &Request, name: &str) -> Option<String> {
    request
        .headers()
        .get_all(poem::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| {
            percent_encoding::percent_decode_str(value)
                .decode_utf8_lossy()
                .into_owned()
        })
}

fn split(text: &str, delimiter: char) -> Vec<String> {
    if text.is_empty() {
        return Vec::new();
    }
    text.split(delimiter).map(str::to_string).collect()
}

fn strings(values: Vec<String>) -> Value {
    Value::Array(values.into_iter().map(Value::String).collect())
}

/// `a,1,b,2` as `{"a": "1", "b": "2"}`.
fn pairs(items: Vec<String>) -> Decoded {
    if !items.len().is_multiple_of(2) {
        return Decoded::Misfit;
    }
    let mut map = Map::new();
    for pair in items.chunks(2) {
        map.insert(pair[0].clone(), Value::String(pair[1].clone()));
    }
    Decoded::Value(Value::Object(map))
}

/// `a=1<separator>b=2` as `{"a": "1", "b": "2"}`.
fn assignments(items: &[&str]) -> Decoded {
    let mut map = Map::new();
    for item in items {
        let Some((key, value)) = item.split_once('=') else {
            return Decoded::Misfit;
        };
        map.insert(key.to_string(), Value::String(value.to_string()));
    }
    Decoded::Value(Value::Object(map))
}

/// `simple` (`a,b`; objects `a,1,b,2`, exploded `a=1,b=2`), and `label` after its dot
/// (arrays `a.b` exploded, objects `a=1.b=2` exploded).
fn delimited(text: &str, kind: Kind, separator: char, explode: bool) -> Decoded {
    let items: Vec<&str> = if text.is_empty() {
        Vec::new()
    } else {
        text.split(separator).collect()
    };
    match kind {
        Kind::Scalar => Decoded::Value(Value::String(text.to_string())),
        Kind::Array => Decoded::Value(strings(items.iter().map(|s| s.to_string()).collect())),
        Kind::Object if explode => assignments(&items),
        Kind::Object => pairs(items.iter().map(|s| s.to_string()).collect()),
    }
}

/// `;id=5`, `;id=3,4` (exploded `;id=3;id=4`), `;id=a,1,b,2` (exploded `;a=1;b=2`).
fn matrix(text: &str, name: &str, kind: Kind, explode: bool) -> Decoded {
    let Some(rest) = text.strip_prefix(';') else {
        return Decoded::Misfit;
    };
    let parts: Vec<&str> = rest.split(';').collect();
    if kind == Kind::Object && explode {
        return assignments(&parts);
    }
    let mut values = Vec::new();
    for part in parts {
        let (key, value) = part.split_once('=').unwrap_or((part, ""));
        if key != name {
            return Decoded::Misfit;
        }
        values.push(value);
    }
    match (kind, values.as_slice()) {
        (Kind::Scalar, [one]) => Decoded::Value(Value::String(one.to_string())),
        (Kind::Scalar, _) => Decoded::Misfit,
        (Kind::Array, _) if explode => {
            Decoded::Value(strings(values.iter().map(|s| s.to_string()).collect()))
        }
        (Kind::Array, [one]) => Decoded::Value(strings(split(one, ','))),
        (Kind::Object, [one]) => pairs(split(one, ',')),
        _ => Decoded::Misfit,
    }
}

/// `name[a]=1&name[b][c]=2` as `{"a": "1", "b": {"c": "2"}}`; a key given twice holds
/// its values in an array.
fn deep_object(query: &[(String, String)], name: &str) -> Decoded {
    let mut root = Map::new();
    let mut found = false;
    for (key, value) in query {
        let Some(rest) = key.strip_prefix(name) else {
            continue;
        };
        let Some(path) = brackets(rest) else {
            continue;
        };
        found = true;
        let mut map = &mut root;
        let (last, inner) = path.split_last().expect("at least one segment");
        for segment in inner {
            let entry = map
                .entry(segment.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                return Decoded::Misfit;
            }
            map = entry.as_object_mut().expect("an object");
        }
        add(map, last, value);
    }
    if found {
        Decoded::Value(Value::Object(root))
    } else {
        Decoded::Absent
    }
}

/// `[a][b]` as `["a", "b"]`; None for text of another shape.
pub(crate) fn brackets(mut text: &str) -> Option<Vec<&str>> {
    let mut segments = Vec::new();
    while !text.is_empty() {
        let inner = text.strip_prefix('[')?;
        let end = inner.find(']')?;
        segments.push(&inner[..end]);
        text = &inner[end + 1..];
    }
    (!segments.is_empty()).then_some(segments)
}

/// A key's value; a key given again makes an array of its values.
pub(crate) fn add(map: &mut Map<String, Value>, key: &str, value: &str) {
    let value = Value::String(value.to_string());
    match map.get_mut(key) {
        None => {
            map.insert(key.to_string(), value);
        }
        Some(Value::Array(items)) => items.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
    }
}

/// An exploded `form` object: each property a query key of its own. The keys are the
/// schema's properties, and, when it takes other properties too (or names none), every
/// key no other parameter of the operation takes.
fn exploded_object(
    query: &[(String, String)],
    doc: &Value,
    schema: &Value,
    others: &[&str],
) -> Decoded {
    let properties = property_names(doc, schema);
    let open = schema
        .get("additionalProperties")
        .is_some_and(|a| a != false)
        || properties.is_empty();
    let mut map = Map::new();
    for (key, value) in query {
        let named = properties.iter().any(|p| p == key);
        if named || (open && !others.contains(&key.as_str())) {
            add(&mut map, key, value);
        }
    }
    if map.is_empty() {
        Decoded::Absent
    } else {
        Decoded::Value(Value::Object(map))
    }
}

fn property_names(doc: &Value, schema: &Value) -> Vec<String> {
    let mut names: Vec<String> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    for member in members(schema, "allOf") {
        names.extend(property_names(doc, resolve(doc, member)));
    }
    names
}

fn members<'a>(schema: &'a Value, keyword: &str) -> impl Iterator<Item = &'a Value> {
    schema
        .get(keyword)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// A schema with its `$ref`s followed (a few, so a cycle cannot loop).
pub(crate) fn resolve<'a>(doc: &'a Value, mut schema: &'a Value) -> &'a Value {
    for _ in 0..32 {
        let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
            break;
        };
        let Some(target) = reference.strip_prefix('#').and_then(|p| doc.pointer(p)) else {
            break;
        };
        schema = target;
    }
    schema
}

/// The shapes a schema takes, in the order its alternatives list them.
pub(crate) fn kinds(doc: &Value, schema: &Value) -> Vec<Kind> {
    let schema = resolve(doc, schema);
    let mut found = Vec::new();
    match schema.get("type").and_then(Value::as_str) {
        Some("array") => found.push(Kind::Array),
        Some("object") => found.push(Kind::Object),
        Some(_) => found.push(Kind::Scalar),
        None => {
            for member in members(schema, "oneOf")
                .chain(members(schema, "anyOf"))
                .chain(members(schema, "allOf"))
            {
                for kind in kinds(doc, member) {
                    if !found.contains(&kind) {
                        found.push(kind);
                    }
                }
            }
            if found.is_empty() {
                if schema.get("properties").is_some()
                    || schema.get("additionalProperties").is_some()
                {
                    found.push(Kind::Object);
                } else if schema.get("items").is_some() {
                    found.push(Kind::Array);
                } else {
                    found.push(Kind::Scalar);
                }
            }
        }
    }
    found
}

/// `value`'s text leaves read as the types the schema gives them (`"5"` as `5` where
/// an integer is wanted); text that does not read stays text, for the schema to refuse.
pub(crate) fn coerce(doc: &Value, schema: &Value, value: Value) -> Value {
    let schema = resolve(doc, schema);
    match value {
        Value::String(text) => coerce_text(doc, schema, text),
        Value::Array(items) => {
            let item_schema = schema.get("items").unwrap_or(&Value::Null);
            Value::Array(
                items
                    .into_iter()
                    .map(|item| coerce(doc, item_schema, item))
                    .collect(),
            )
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, item)| {
                    let item_schema = property_schema(doc, schema, &key).unwrap_or(&Value::Null);
                    let item = coerce(doc, item_schema, item);
                    (key, item)
                })
                .collect(),
        ),
        other => other,
    }
}

pub(crate) fn property_schema<'a>(
    doc: &'a Value,
    schema: &'a Value,
    key: &str,
) -> Option<&'a Value> {
    if let Some(found) = schema.get("properties").and_then(|p| p.get(key)) {
        return Some(found);
    }
    for member in members(schema, "allOf") {
        if let Some(found) = property_schema(doc, resolve(doc, member), key) {
            return Some(found);
        }
    }
    schema.get("additionalProperties").filter(|a| a.is_object())
}

fn coerce_text(doc: &Value, schema: &Value, text: String) -> Value {
    let read = match schema.get("type").and_then(Value::as_str) {
        Some("integer") => text.parse::<i64>().ok().map(Value::from),
        Some("number") => text.parse::<i64>().ok().map(Value::from).or_else(|| {
            text.parse::<f64>()
                .ok()
                .and_then(|n| serde_json::Number::from_f64(n).map(Value::Number))
        }),
        Some("boolean") => match text.as_str() {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        Some(_) => None,
        None => members(schema, "oneOf")
            .chain(members(schema, "anyOf"))
            .chain(members(schema, "allOf"))
            .map(|member| coerce_text(doc, resolve(doc, member), text.clone()))
            .find(|value| !value.is_string()),
    };
    read.unwrap_or(Value::String(text))
}

#[cfg(test)]
mod tests {
    use poem::{Endpoint, EndpointExt, Route, get, handler, http::StatusCode, web::Json};
    use serde::Deserialize;

    use super::*;

    static SPEC: SpecDocument = SpecDocument::new(
        r##"{"paths": {}, "components": {"schemas": {
            "Filter": {"type": "object", "additionalProperties": false,
                "properties": {"age": {"type": "integer", "minimum": 0},
                               "name": {"type": "string"},
                               "tags": {"type": "array", "items": {"type": "string"}}}},
            "Open": {"type": "object", "additionalProperties": {"type": "string"}},
            "Ids": {"type": "array", "items": {"type": "integer"}},
            "OneOrMany": {"oneOf": [{"type": "string"},
                                    {"type": "array", "items": {"type": "string"}}]},
            "Point": {"type": "object", "required": ["x"],
                "properties": {"x": {"type": "number"}, "y": {"type": "number"}}}
        }}}"##,
    );

    #[derive(Debug, Deserialize, PartialEq)]
    struct Filter {
        age: Option<i64>,
        name: Option<String>,
        tags: Option<Vec<String>>,
    }

    fn spec(
        name: &'static str,
        location: ParamIn,
        style: ParamStyle,
        explode: bool,
        pointer: &'static str,
    ) -> ParamSpec {
        ParamSpec {
            name,
            location,
            style,
            explode,
            required: false,
            pointer,
            others: &["limit"],
        }
    }

    /// Serves `GET /things/:id` reading `param` from each request as `Value`, and
    /// answers what the handler got (as JSON) or the refusal.
    async fn serve(param: ParamSpec, uri: &str, headers: &[(&str, &str)]) -> (StatusCode, Value) {
        let param: &'static SpecParam = Box::leak(Box::new(SpecParam::new(param)));
        #[handler]
        fn echo(
            request: &Request,
            param: poem::web::Data<&&'static SpecParam>,
        ) -> poem::Result<Json<Value>> {
            let value: Option<Value> = param.read(request, &SPEC)?;
            Ok(Json(value.unwrap_or(Value::Null)))
        }
        let app = Route::new().at("/things/:id", get(echo)).data(param);
        let mut request = Request::builder().uri(uri.parse().expect("a uri"));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            app.get_response(request.finish()),
        )
        .await
        .expect("answered in time");
        let status = response.status();
        let body = response.into_body().into_string().await.expect("a body");
        (status, serde_json::from_str(&body).expect("JSON"))
    }

    async fn ok(param: ParamSpec, uri: &str, headers: &[(&str, &str)]) -> Value {
        let (status, body) = serve(param, uri, headers).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        body
    }

    const FILTER: &str = "/components/schemas/Filter";

    #[tokio::test]
    async fn query_objects_in_every_style() {
        let form = spec("filter", ParamIn::Query, ParamStyle::Form, true, FILTER);
        let got = ok(form, "/things/1?age=3&name=ada&limit=5&tags=a&tags=b", &[]).await;
        assert_eq!(
            got,
            serde_json::json!({"age": 3, "name": "ada", "tags": ["a", "b"]})
        );
        assert_eq!(ok(form, "/things/1?limit=5", &[]).await, Value::Null);

        let unexploded = spec("filter", ParamIn::Query, ParamStyle::Form, false, FILTER);
        let got = ok(unexploded, "/things/1?filter=age,3,name,ada", &[]).await;
        assert_eq!(got, serde_json::json!({"age": 3, "name": "ada"}));

        let deep = spec(
            "filter",
            ParamIn::Query,
            ParamStyle::DeepObject,
            true,
            FILTER,
        );
        let got = ok(
            deep,
            "/things/1?filter%5Bage%5D=3&filter[tags]=x&filter[tags]=y",
            &[],
        )
        .await;
        assert_eq!(got, serde_json::json!({"age": 3, "tags": ["x", "y"]}));

        // A free-form object takes every query key no other parameter takes.
        let open = spec(
            "rest",
            ParamIn::Query,
            ParamStyle::Form,
            true,
            "/components/schemas/Open",
        );
        let got = ok(open, "/things/1?a=1&limit=5&b=two", &[]).await;
        assert_eq!(got, serde_json::json!({"a": "1", "b": "two"}));
    }

    #[tokio::test]
    async fn a_value_breaking_the_schema_is_a_422_naming_the_parameter() {
        let form = spec("filter", ParamIn::Query, ParamStyle::Form, true, FILTER);
        let (status, body) = serve(form, "/things/1?age=old", &[]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["errors"][0]["field"], "filter.age", "{body}");
        let (status, body) = serve(form, "/things/1?age=-1", &[]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["errors"][0]["field"], "filter.age", "{body}");

        let unexploded = spec("filter", ParamIn::Query, ParamStyle::Form, false, FILTER);
        let (status, body) = serve(unexploded, "/things/1?filter=age,3,name", &[]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["errors"][0]["field"], "filter", "{body}");

        let json = spec("where", ParamIn::Query, ParamStyle::Json, true, FILTER);
        let (status, body) = serve(json, "/things/1?where=%7Bnope", &[]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["errors"][0]["field"], "where", "{body}");
    }

    #[tokio::test]
    async fn a_required_parameter_that_is_absent_is_a_422_naming_it() {
        let param = SpecParam::new(ParamSpec {
            required: true,
            ..spec(
                "filter",
                ParamIn::Query,
                ParamStyle::DeepObject,
                true,
                FILTER,
            )
        });
        let request = Request::builder()
            .uri("/things/1".parse().unwrap())
            .finish();
        let refusal = param.read_required::<Filter>(&request, &SPEC).unwrap_err();
        assert_eq!(refusal.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(refusal.errors.unwrap()[0].field, "filter");
        let request = Request::builder()
            .uri("/things/1?filter[name]=x".parse().unwrap())
            .finish();
        assert_eq!(
            param.read_required::<Filter>(&request, &SPEC).unwrap(),
            Filter {
                age: None,
                name: Some("x".into()),
                tags: None
            }
        );
    }

    #[tokio::test]
    async fn path_objects_and_arrays_in_simple_label_and_matrix() {
        const POINT: &str = "/components/schemas/Point";
        const IDS: &str = "/components/schemas/Ids";
        let cases = [
            (ParamStyle::Simple, false, "x,1,y,2"),
            (ParamStyle::Simple, true, "x=1,y=2"),
            (ParamStyle::Label, false, ".x,1,y,2"),
            (ParamStyle::Label, true, ".x=1.y=2"),
            (ParamStyle::Matrix, false, ";id=x,1,y,2"),
            (ParamStyle::Matrix, true, ";x=1;y=2"),
        ];
        for (style, explode, text) in cases {
            let param = spec("id", ParamIn::Path, style, explode, POINT);
            let got = ok(param, &format!("/things/{text}"), &[]).await;
            assert_eq!(
                got,
                serde_json::json!({"x": 1, "y": 2}),
                "{style:?} {explode}"
            );
        }
        let cases = [
            (ParamStyle::Simple, false, "3,4"),
            (ParamStyle::Label, false, ".3,4"),
            (ParamStyle::Label, true, ".3.4"),
            (ParamStyle::Matrix, false, ";id=3,4"),
            (ParamStyle::Matrix, true, ";id=3;id=4"),
        ];
        for (style, explode, text) in cases {
            let param = spec("id", ParamIn::Path, style, explode, IDS);
            let got = ok(param, &format!("/things/{text}"), &[]).await;
            assert_eq!(got, serde_json::json!([3, 4]), "{style:?} {explode}");
        }
        // A label without its dot is not in the style.
        let label = spec("id", ParamIn::Path, ParamStyle::Label, false, IDS);
        let (status, body) = serve(label, "/things/3,4", &[]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["errors"][0]["field"], "id", "{body}");
    }

    #[tokio::test]
    async fn delimited_query_arrays_headers_cookies_and_json() {
        const IDS: &str = "/components/schemas/Ids";
        let space = spec(
            "ids",
            ParamIn::Query,
            ParamStyle::SpaceDelimited,
            false,
            IDS,
        );
        assert_eq!(
            ok(space, "/things/1?ids=1%202+3", &[]).await,
            serde_json::json!([1, 2, 3])
        );
        let pipe = spec("ids", ParamIn::Query, ParamStyle::PipeDelimited, false, IDS);
        assert_eq!(
            ok(pipe, "/things/1?ids=1|2", &[]).await,
            serde_json::json!([1, 2])
        );
        let header = spec(
            "x-point",
            ParamIn::Header,
            ParamStyle::Simple,
            true,
            "/components/schemas/Point",
        );
        assert_eq!(
            ok(header, "/things/1", &[("x-point", "x=1,y=2.5")]).await,
            serde_json::json!({"x": 1, "y": 2.5})
        );
        let cookie = spec("ids", ParamIn::Cookie, ParamStyle::Form, false, IDS);
        assert_eq!(
            ok(cookie, "/things/1", &[("cookie", "a=b; ids=5,6")]).await,
            serde_json::json!([5, 6])
        );
        let json = spec("where", ParamIn::Query, ParamStyle::Json, true, FILTER);
        assert_eq!(
            ok(json, "/things/1?where=%7B%22age%22%3A7%7D", &[]).await,
            serde_json::json!({"age": 7})
        );
        let any = spec("where", ParamIn::Query, ParamStyle::Json, true, "");
        assert_eq!(
            ok(any, "/things/1?where=%5B1%5D", &[]).await,
            serde_json::json!([1])
        );
    }

    #[tokio::test]
    async fn a_union_takes_the_first_alternative_that_fits() {
        const UNION: &str = "/components/schemas/OneOrMany";
        let form = spec("q", ParamIn::Query, ParamStyle::Form, true, UNION);
        assert_eq!(ok(form, "/things/1?q=a", &[]).await, serde_json::json!("a"));
        assert_eq!(
            ok(form, "/things/1?q=a&q=b", &[]).await,
            serde_json::json!(["a", "b"])
        );
        assert_eq!(ok(form, "/things/1", &[]).await, Value::Null);
    }
}

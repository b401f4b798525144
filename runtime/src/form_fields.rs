//! A form body's fields as the JSON value its schema describes. OpenAPI 3.0 writes each
//! property of a form body as a `style: form, explode: true` query parameter (`a=1&a=2`
//! for an array) unless the media type's `encoding` gives the property a `style`,
//! `explode` or `contentType` of its own; each is split as the parameter reader splits
//! query parameters, and its text read as the schema's types (`"3"` where an integer is
//! wanted). Checking the result against the schema is the caller's.

use serde_json::{Map, Value};

use crate::param::{
    Decoded, Kind, ParamIn, ParamSpec, ParamStyle, add, brackets, coerce, decode_pairs, kinds,
    property_schema, resolve,
};

/// The fields of a form body (`pairs`, decoded) as a JSON object, read by the media type
/// object at `media` in `doc` (its `schema` and `encoding`), or why the body is not a
/// form of that shape: a scalar field given twice, or a field not written as its
/// encoding says.
pub(crate) fn form_value(
    doc: &'static Value,
    media: &str,
    pairs: Vec<(String, String)>,
) -> Result<Value, String> {
    let schema = resolve(
        doc,
        doc.pointer(&format!("{media}/schema"))
            .unwrap_or(&Value::Null),
    );
    let encoded = encoded_properties(doc, media);
    let mut map = Map::new();
    for (key, value) in &pairs {
        if !encoded.iter().any(|spec| takes(spec, key)) {
            add(&mut map, key, value);
        }
    }
    for spec in &encoded {
        let property = property_schema(doc, schema, spec.name).unwrap_or(&Value::Null);
        if let Some(value) = encoded_value(spec, pairs.clone(), doc, property)? {
            map.insert(spec.name.to_string(), value);
        }
    }
    for (key, value) in map.iter_mut() {
        let Some(property) = property_schema(doc, schema, key) else {
            continue;
        };
        let shapes = kinds(doc, property);
        match value {
            Value::Array(_) if !shapes.contains(&Kind::Array) => {
                return Err(format!("duplicate field `{key}`"));
            }
            Value::String(_) if shapes == [Kind::Array] => {
                // One value of an array field is an array of one.
                *value = Value::Array(vec![value.take()]);
            }
            _ => {}
        }
    }
    Ok(coerce(doc, schema, Value::Object(map)))
}

/// The properties the media type's `encoding` writes in another way than
/// `style: form, explode: true`, described as query parameters.
fn encoded_properties(doc: &'static Value, media: &str) -> Vec<ParamSpec> {
    let Some(encoding) = doc
        .pointer(&format!("{media}/encoding"))
        .and_then(Value::as_object)
    else {
        return Vec::new();
    };
    encoding
        .iter()
        .filter_map(|(name, entry)| {
            let json = entry
                .get("contentType")
                .and_then(Value::as_str)
                .is_some_and(|media| media.trim().starts_with("application/json"));
            let style = match entry.get("style").and_then(Value::as_str) {
                _ if json => ParamStyle::Json,
                None | Some("form") => ParamStyle::Form,
                Some("spaceDelimited") => ParamStyle::SpaceDelimited,
                Some("pipeDelimited") => ParamStyle::PipeDelimited,
                Some("deepObject") => ParamStyle::DeepObject,
                Some(_) => return None,
            };
            let explode = entry
                .get("explode")
                .and_then(Value::as_bool)
                .unwrap_or(style == ParamStyle::Form);
            if style == ParamStyle::Form && explode {
                return None;
            }
            Some(ParamSpec {
                name: name.as_str(),
                location: ParamIn::Query,
                style,
                explode,
                required: false,
                pointer: "",
                others: &[],
            })
        })
        .collect()
}

/// Whether the field `key` belongs to the property `spec` describes.
fn takes(spec: &ParamSpec, key: &str) -> bool {
    key == spec.name
        || (spec.style == ParamStyle::DeepObject
            && key
                .strip_prefix(spec.name)
                .is_some_and(|rest| brackets(rest).is_some()))
}

/// One encoded property's value: the first shape of its schema it is written in.
fn encoded_value(
    spec: &ParamSpec,
    pairs: Vec<(String, String)>,
    doc: &Value,
    schema: &Value,
) -> Result<Option<Value>, String> {
    let name = spec.name;
    if matches!(spec.style, ParamStyle::Json) {
        let mut values = pairs.into_iter().filter(|(key, _)| key == name);
        return match (values.next(), values.next()) {
            (None, _) => Ok(None),
            (Some((_, text)), None) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|_| format!("`{name}` is not a JSON document")),
            (Some(_), Some(_)) => Err(format!("duplicate field `{name}`")),
        };
    }
    let mut absent = false;
    for kind in kinds(doc, schema) {
        match decode_pairs(spec, pairs.clone(), doc, schema, kind) {
            Decoded::Value(value) => return Ok(Some(value)),
            Decoded::Absent => absent = true,
            Decoded::Misfit => {}
        }
    }
    if absent {
        Ok(None)
    } else {
        Err(format!("`{name}` is not written as its encoding says"))
    }
}

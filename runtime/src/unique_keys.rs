//! Reads a JSON request body into a `Value`, refusing an object that holds one key twice.
//!
//! serde_json's own `Value` keeps the last of two equal keys without a word, while
//! another reader of the same bytes (a proxy, a gateway, an audit log) may keep the
//! first: the service would act on another request than the one they checked. The
//! document is read once, by a visitor that builds the `Value` and checks every key
//! against the object being filled; serde_json's nesting limit still applies.

use std::{cell::Cell, fmt};

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Why a body is not one JSON document with distinct keys.
#[derive(Debug)]
pub enum JsonBodyError {
    /// An object has this key more than once (at any depth).
    RepeatedKey(String),
    /// Not JSON at all, or more than one document.
    Malformed(serde_json::Error),
}

/// The JSON document in `bytes`, or why it is refused.
pub fn parse(bytes: &[u8]) -> Result<Value, JsonBodyError> {
    let repeated = Cell::new(None);
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parsed = Distinct {
        repeated: &repeated,
    }
    .deserialize(&mut deserializer)
    .and_then(|value| deserializer.end().map(|()| value));
    parsed.map_err(|error| match repeated.into_inner() {
        Some(key) => JsonBodyError::RepeatedKey(key),
        None => JsonBodyError::Malformed(error),
    })
}

/// Builds a `Value`, noting in `repeated` the first key an object holds twice.
#[derive(Clone, Copy)]
struct Distinct<'a> {
    repeated: &'a Cell<Option<String>>,
}

impl<'de> DeserializeSeed<'de> for Distinct<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Distinct<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        // What serde_json's own `Value` does: JSON text has no NaN nor infinity.
        Ok(Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                let error = de::Error::custom(format_args!("the key {key:?} appears twice"));
                self.repeated.set(Some(key));
                return Err(error);
            }
            let value = map.next_value_seed(self)?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{JsonBodyError, parse};

    #[test]
    fn reads_what_serde_json_reads() {
        let text =
            r#"{"b": [1, -2, 3.5, 18446744073709551615, true, null, "é\n"], "a": {"c": {}}}"#;
        let ours = parse(text.as_bytes()).unwrap();
        let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(ours, theirs);
        assert_eq!(
            serde_json::to_string(&ours).unwrap(),
            serde_json::to_string(&theirs).unwrap(),
            "the keys keep their order"
        );
        assert_eq!(parse(b" 7 ").unwrap(), json!(7));
    }

    #[test]
    fn a_key_given_twice_is_named_at_any_depth() {
        for (text, key) in [
            (r#"{"email": "a@x.co", "email": "b@x.co"}"#, "email"),
            (r#"{"a": [{"n": 1}, {"n": 1, "n": 2}]}"#, "n"),
            (r#"{"a": {"b": {"c": 1, "c": 1}}}"#, "c"),
            // Equal once the escapes are read.
            (r#"{"ke\u0079": 1, "key": 2}"#, "key"),
        ] {
            match parse(text.as_bytes()) {
                Err(JsonBodyError::RepeatedKey(found)) => assert_eq!(found, key, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
        // The same key in two different objects is no repetition.
        assert!(parse(br#"[{"a": 1}, {"a": 2}]"#).is_ok());
    }

    #[test]
    fn malformed_documents_stay_malformed() {
        for text in [&b"{\"a\": [1,"[..], b"{} {}", b"", b"{\"a\" 1}"] {
            assert!(
                matches!(parse(text), Err(JsonBodyError::Malformed(_))),
                "{text:?}"
            );
        }
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert!(
            matches!(parse(deep.as_bytes()), Err(JsonBodyError::Malformed(_))),
            "serde_json's nesting limit holds"
        );
    }
}

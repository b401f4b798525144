//! Reading an OpenAPI 3.0 document, YAML or JSON, into a [`serde_json::Value`].

use std::{fmt, path::Path};

use serde_json::{Map, Number, Value};
use serde_yaml_ng::Value as Yaml;

/// Why a document could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// The file (or `<input>` for text).
    pub source: String,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source, self.message)
    }
}

impl std::error::Error for LoadError {}

/// Reads and parses the OpenAPI 3.0 document at `path`.
pub fn load(path: impl AsRef<Path>) -> Result<Value, LoadError> {
    let path = path.as_ref();
    let source = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| LoadError {
        source: source.clone(),
        message: format!("cannot read the file: {e}"),
    })?;
    parse(&text).map_err(|message| LoadError { source, message })
}

/// Parses an OpenAPI 3.0 document written in YAML or JSON.
pub fn parse(text: &str) -> Result<Value, String> {
    let looks_like_json = text.trim_start().starts_with('{');
    let doc = match serde_json::from_str::<Value>(text) {
        Ok(doc) => doc,
        // The YAML parser reads JSON too, but refuses the tabs JSON allows: JSON first.
        Err(json_error) => parse_yaml(text).map_err(|yaml_error| match looks_like_json {
            true => format!("not JSON: {json_error}"),
            false => yaml_error,
        })?,
    };
    match doc.get("openapi").and_then(Value::as_str) {
        Some(version) if version.starts_with("3.0") => Ok(doc),
        Some(version) => Err(format!(
            "`openapi: {version}` is not supported: spec-guard reads OpenAPI 3.0.x"
        )),
        None if doc.get("swagger").is_some() => {
            Err("Swagger 2.0 is not supported: spec-guard reads OpenAPI 3.0.x".into())
        }
        None => Err("not an OpenAPI document: no `openapi` version at the top".into()),
    }
}

fn parse_yaml(text: &str) -> Result<Value, String> {
    let mut yaml: Yaml =
        serde_yaml_ng::from_str(text).map_err(|e| format!("not YAML or JSON: {e}"))?;
    // The parser expands aliases (`*name`) itself; `<<` merge keys need this step.
    yaml.apply_merge()
        .map_err(|e| format!("bad YAML merge key: {e}"))?;
    to_json(yaml)
}

/// YAML to JSON. Unlike deserialising into `serde_json::Value` directly, this accepts
/// the non-string keys hand-written specs are full of (`200:` unquoted is an integer).
fn to_json(yaml: Yaml) -> Result<Value, String> {
    Ok(match yaml {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                Value::Number(
                    Number::from_f64(f).ok_or_else(|| format!("{n} has no JSON equivalent"))?,
                )
            }
        }
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(items) => {
            Value::Array(items.into_iter().map(to_json).collect::<Result<_, _>>()?)
        }
        Yaml::Mapping(entries) => {
            let mut map = Map::new();
            for (key, value) in entries {
                map.insert(key_string(key)?, to_json(value)?);
            }
            Value::Object(map)
        }
        Yaml::Tagged(tagged) => to_json(tagged.value)?,
    })
}

fn key_string(key: Yaml) -> Result<String, String> {
    match key {
        Yaml::String(s) => Ok(s),
        Yaml::Number(n) => Ok(n.to_string()),
        Yaml::Bool(b) => Ok(b.to_string()),
        Yaml::Null => Ok("null".into()),
        other => Err(format!("a mapping key must be a scalar, found {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquoted_status_codes_become_string_keys() {
        let doc = parse("openapi: 3.0.3\npaths:\n  /a:\n    get:\n      responses:\n        200:\n          description: ok\n").unwrap();
        assert!(doc["paths"]["/a"]["get"]["responses"]["200"].is_object());
    }

    #[test]
    fn json_is_read_too_with_tabs() {
        let doc = parse("{\"openapi\": \"3.0.0\",\n\t\"info\": {\"version\": \"1.0.0\"}}").unwrap();
        assert_eq!(doc["info"]["version"], "1.0.0");
    }

    #[test]
    fn aliases_and_merge_keys_are_expanded() {
        let doc =
            parse("openapi: 3.0.3\na: &base {x: 1}\nb: *base\nc:\n  <<: *base\n  y: 2\n").unwrap();
        assert_eq!(doc["b"]["x"], 1);
        assert_eq!(
            (doc["c"]["x"].clone(), doc["c"]["y"].clone()),
            (1.into(), 2.into())
        );
    }

    #[test]
    fn other_versions_are_refused() {
        assert!(parse("openapi: 3.1.0\n").unwrap_err().contains("3.1.0"));
        assert!(parse("swagger: '2.0'\n").unwrap_err().contains("Swagger"));
        assert!(parse("a: [").unwrap_err().starts_with("not YAML"));
        assert!(parse("{\"openapi\": ").unwrap_err().starts_with("not JSON"));
        assert!(parse("{openapi: 3.0.3}").is_ok(), "a YAML flow mapping");
    }
}

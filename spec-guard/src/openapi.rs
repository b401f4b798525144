//! The parts of an OpenAPI 3.0 document that the diff and the lint both walk:
//! operations, their effective parameters and security, and dotted locations.

use serde_json::Value;

use crate::refs;

/// The HTTP methods a path item may hold an operation for.
pub(crate) const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One operation of the document, with the path item it sits in.
#[derive(Clone, Copy)]
pub(crate) struct Operation<'a> {
    pub path: &'a str,
    pub method: &'a str,
    /// The path item (resolved), for its path-level parameters.
    pub item: &'a Value,
    pub op: &'a Value,
}

impl Operation<'_> {
    /// `paths./v1/users.post`
    pub fn location(&self) -> String {
        format!("paths.{}.{}", self.path, self.method)
    }
}

/// Every operation, in document order.
pub(crate) fn operations(doc: &Value) -> Vec<Operation<'_>> {
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return Vec::new();
    };
    paths
        .iter()
        .flat_map(|(path, item)| {
            let item = refs::resolve(doc, item);
            METHODS.into_iter().filter_map(move |method| {
                item.get(method).map(|op| Operation {
                    path,
                    method,
                    item,
                    op,
                })
            })
        })
        .collect()
}

/// One parameter in effect for an operation, resolved.
pub(crate) struct Parameter<'a> {
    pub name: &'a str,
    pub location: &'a str,
    pub value: &'a Value,
    /// Where it is defined when it is a `$ref` (`components.parameters.Limit`).
    pub target: Option<String>,
}

impl Parameter<'_> {
    /// What identifies a parameter: where it goes and its name (case-blind for headers,
    /// as HTTP header names are).
    pub fn key(&self) -> (String, String) {
        let name = if self.location == "header" {
            self.name.to_ascii_lowercase()
        } else {
            self.name.to_owned()
        };
        (self.location.to_owned(), name)
    }

    pub fn required(&self) -> bool {
        self.value.get("required").and_then(Value::as_bool) == Some(true)
    }
}

/// The path item's parameters overridden by the operation's own, as OpenAPI defines.
pub(crate) fn parameters<'a>(doc: &'a Value, operation: &Operation<'a>) -> Vec<Parameter<'a>> {
    let listed = |holder: &'a Value| {
        holder
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| {
                let (value, target) = refs::resolve_with_target(doc, p);
                Some(Parameter {
                    name: value.get("name")?.as_str()?,
                    location: value.get("in")?.as_str()?,
                    value,
                    target,
                })
            })
    };
    let own: Vec<Parameter<'a>> = listed(operation.op).collect();
    let mut all: Vec<Parameter<'a>> = listed(operation.item)
        .filter(|inherited| own.iter().all(|p| p.key() != inherited.key()))
        .collect();
    all.extend(own);
    all
}

/// The security requirements in effect: the operation's, else the document's.
pub(crate) fn security<'a>(doc: &'a Value, operation: &Operation<'a>) -> Option<&'a Vec<Value>> {
    operation
        .op
        .get("security")
        .or_else(|| doc.get("security"))
        .and_then(Value::as_array)
}

/// `location.key`, the dotted style every report uses.
pub(crate) fn join(location: &str, key: &str) -> String {
    format!("{location}.{key}")
}

/// A status code key (`404`, `4XX`) in the given class (`'4'`).
pub(crate) fn is_status_class(status: &str, class: char) -> bool {
    status.len() == 3 && status.starts_with(class)
}

//! Local `$ref`s (`#/components/schemas/User`, ...): following them through the
//! document, and naming where they point in the dotted location style of the reports.

use percent_encoding::percent_decode_str;
use serde_json::Value;

/// How many `$ref` hops are followed before a chain is taken for a loop.
const MAX_HOPS: usize = 32;

/// The `$ref` of a reference object, if `value` is one.
pub(crate) fn ref_of(value: &Value) -> Option<&str> {
    value.get("$ref").and_then(Value::as_str)
}

/// The value a local reference (`#/...`) points to; `None` for a remote or broken one.
pub(crate) fn lookup<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    let fragment = reference.strip_prefix('#')?;
    // A fragment is percent-encoded (`{id}` may be written `%7Bid%7D`), then a JSON pointer.
    let pointer = percent_decode_str(fragment).decode_utf8().ok()?;
    doc.pointer(&pointer)
}

/// `value` with its `$ref` chain followed. A reference that cannot be followed (remote,
/// broken, a loop) is returned as is, so callers compare it as an opaque value.
pub(crate) fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    resolve_with_target(doc, value).0
}

/// Like [`resolve`], also naming (dotted) the last definition reached through a `$ref`.
pub(crate) fn resolve_with_target<'a>(
    doc: &'a Value,
    mut value: &'a Value,
) -> (&'a Value, Option<String>) {
    let mut target = None;
    for _ in 0..MAX_HOPS {
        let Some(reference) = ref_of(value) else {
            return (value, target);
        };
        let Some(next) = lookup(doc, reference) else {
            return (value, target);
        };
        target = Some(dotted(reference));
        value = next;
    }
    (value, target)
}

/// `#/components/schemas/User` as the reports write locations: `components.schemas.User`.
pub(crate) fn dotted(reference: &str) -> String {
    let fragment = reference.trim_start_matches('#').trim_start_matches('/');
    let decoded = percent_decode_str(fragment).decode_utf8_lossy();
    decoded
        .split('/')
        .map(|token| token.replace("~1", "/").replace("~0", "~"))
        .collect::<Vec<_>>()
        .join(".")
}

/// A JSON pointer token for `key` (`/v1/users` -> `~1v1~1users`).
pub(crate) fn escape_token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn chains_are_followed_and_named() {
        let doc = json!({"components": {"schemas": {
            "A": {"$ref": "#/components/schemas/B"},
            "B": {"type": "string"},
        }}});
        let start = json!({"$ref": "#/components/schemas/A"});
        let (value, target) = resolve_with_target(&doc, &start);
        assert_eq!(value, &json!({"type": "string"}));
        assert_eq!(target.as_deref(), Some("components.schemas.B"));
    }

    #[test]
    fn loops_and_broken_refs_stay_references() {
        let doc = json!({"components": {"schemas": {"A": {"$ref": "#/components/schemas/A"}}}});
        let start = json!({"$ref": "#/components/schemas/A"});
        assert!(ref_of(resolve(&doc, &start)).is_some());
        let broken = json!({"$ref": "#/components/schemas/Nope"});
        assert_eq!(resolve(&doc, &broken), &broken);
        assert_eq!(
            resolve(&doc, &json!({"$ref": "other.yaml#/A"}))["$ref"],
            "other.yaml#/A"
        );
    }

    #[test]
    fn encoded_pointers_are_decoded() {
        let doc = json!({"paths": {"/a/{id}": {"get": {"x": 1}}}});
        assert_eq!(lookup(&doc, "#/paths/~1a~1%7Bid%7D/get/x"), Some(&json!(1)));
        assert_eq!(dotted("#/paths/~1a~1%7Bid%7D/get"), "paths./a/{id}.get");
    }
}

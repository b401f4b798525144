//! Media types as the generator compares them: by their essence (`type/subtype`,
//! lowercase, parameters such as `charset` dropped).

/// `application/json; charset=utf-8` -> `application/json`.
pub fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Whether a media type carries JSON: `application/json` or a structured `+json` type
/// (`application/problem+json`, `application/vnd.api+json`), with any parameters.
pub fn is_json(content_type: &str) -> bool {
    let essence = essence(content_type);
    essence == "application/json"
        || (essence.ends_with("+json") && !essence.contains('*') && essence.contains('/'))
}

/// Whether a media type is text the generator serves as a `String`: `text/*`, YAML and
/// XML (`application/xml` or a structured `+xml` type).
pub fn is_text(content_type: &str) -> bool {
    let essence = essence(content_type);
    !essence.contains('*')
        && (essence.starts_with("text/")
            || essence == "application/yaml"
            || essence == "application/xml"
            || (essence.starts_with("application/") && essence.ends_with("+xml")))
}

/// Whether a media type's essence is a range: `*/*`, or `type/*` with a type of letters,
/// digits and `-`, `.`, `+`.
pub fn is_range(essence: &str) -> bool {
    match essence.split_once('/') {
        Some(("*", "*")) => true,
        Some((kind, "*")) => {
            !kind.is_empty()
                && kind
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '+'))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_recognised_with_parameters_and_structured_suffixes() {
        assert!(is_json("application/json"));
        assert!(is_json("application/json; charset=utf-8"));
        assert!(is_json("Application/JSON;charset=UTF-8"));
        assert!(is_json("application/problem+json"));
        assert!(is_json("application/vnd.api+json; ext=bulk"));
        assert!(!is_json("application/*+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json("application/jsonl"));
        assert!(!is_json("application/x-www-form-urlencoded"));
    }

    #[test]
    fn text_is_recognised_with_parameters() {
        assert!(is_text("text/plain; charset=utf-8"));
        assert!(is_text("application/yaml"));
        assert!(!is_text("application/json"));
        assert!(is_text("application/xml"));
        assert!(is_text("application/atom+xml; charset=utf-8"));
        assert!(!is_text("text/*"));
    }

    #[test]
    fn ranges_are_any_type_or_any_subtype() {
        assert!(is_range("*/*"));
        assert!(is_range("text/*"));
        assert!(is_range("application/*"));
        assert!(!is_range("*/json"));
        assert!(!is_range("application/*+json"));
        assert!(!is_range("text/plain"));
        assert!(!is_range("/*"));
    }
}

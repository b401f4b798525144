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

/// Whether a media type is text the generator serves as a `String`.
pub fn is_text(content_type: &str) -> bool {
    let essence = essence(content_type);
    essence.starts_with("text/") || essence == "application/yaml"
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
    }
}

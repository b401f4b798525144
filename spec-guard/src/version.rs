//! The version rule: a breaking change is allowed only when the new document's
//! `info.version` has a greater semver MAJOR than the old one's.

use semver::Version;
use serde_json::Value;

/// `info.version` as written.
pub(crate) fn info_version(doc: &Value) -> Option<String> {
    doc.pointer("/info/version").and_then(|v| match v {
        Value::String(s) => Some(s.clone()),
        // `version: 1.0` unquoted in YAML is a number; take it as written.
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// A version as semver, leniently: a leading `v` and missing MINOR/PATCH (`2`, `v2.1`)
/// are accepted, since `info.version` is free text in OpenAPI.
pub(crate) fn parse(version: &str) -> Option<Version> {
    let version = version.trim();
    let version = version.strip_prefix(['v', 'V']).unwrap_or(version);
    if let Ok(parsed) = Version::parse(version) {
        return Some(parsed);
    }
    let parts: Vec<&str> = version.split('.').collect();
    let numeric = parts
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !numeric || parts.len() > 2 {
        return None;
    }
    let padded = match parts.len() {
        1 => format!("{version}.0.0"),
        _ => format!("{version}.0"),
    };
    Version::parse(&padded).ok()
}

/// Whether `new` has a greater MAJOR than `old`; `false` when either is not a version.
pub(crate) fn is_major_bump(old: Option<&str>, new: Option<&str>) -> bool {
    match (old.and_then(parse), new.and_then(parse)) {
        (Some(old), Some(new)) => new.major > old.major,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_greater_major_counts() {
        assert!(is_major_bump(Some("1.4.2"), Some("2.0.0")));
        assert!(is_major_bump(Some("v1"), Some("2.0")));
        assert!(!is_major_bump(Some("1.0.0"), Some("1.9.0")));
        assert!(!is_major_bump(Some("2.0.0"), Some("1.0.0")));
        assert!(!is_major_bump(Some("1.0.0"), Some("next")));
        assert!(!is_major_bump(None, Some("2.0.0")));
    }

    #[test]
    fn prereleases_parse() {
        assert_eq!(parse("2.0.0-rc.1").map(|v| v.major), Some(2));
        assert_eq!(parse("1.2.3.4"), None);
    }
}

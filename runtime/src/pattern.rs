//! `pattern` on a parameter: compiled once, on the first request that needs it, and
//! checked by poem-openapi as a custom validator (its own `pattern` validator compiles
//! the regex on every request). The generator has compiled every pattern already, so
//! one that reaches this point compiles.

use std::{fmt, sync::OnceLock};

use poem_openapi::validation::Validator;
use regex::Regex;

/// One parameter's pattern; the generated code holds it in a `static`.
pub struct ParamPattern {
    source: &'static str,
    compiled: OnceLock<Regex>,
}

impl ParamPattern {
    pub const fn new(source: &'static str) -> Self {
        Self {
            source,
            compiled: OnceLock::new(),
        }
    }

    /// Whether `value` matches (anywhere, as JSON Schema's `pattern` does).
    pub fn is_match(&self, value: &str) -> bool {
        self.compiled
            .get_or_init(|| Regex::new(self.source).expect("the generator compiled this pattern"))
            .is_match(value)
    }
}

impl fmt::Display for ParamPattern {
    /// The text a refused value's 422 quotes: what the value must match.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "must match the pattern `{}`", self.source)
    }
}

impl<T: AsRef<str>> Validator<T> for &ParamPattern {
    fn check(&self, value: &T) -> bool {
        self.is_match(value.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static DIGITS: ParamPattern = ParamPattern::new("^[0-9]{2}$");

    #[test]
    fn matches_as_json_schema_does_and_says_what_it_wants() {
        assert!(Validator::check(&&DIGITS, &"42"));
        assert!(!Validator::check(&&DIGITS, &"4"));
        assert!(!Validator::check(&&DIGITS, &"421"));
        let unanchored = ParamPattern::new("b");
        assert!(unanchored.is_match("abc"));
        assert_eq!(DIGITS.to_string(), "must match the pattern `^[0-9]{2}$`");
    }
}

//! The house rules for a spec, beyond what OpenAPI itself requires: every operation
//! named, summarised and tagged once; errors documented and in one format; every
//! property described; every example valid; nothing declared that is not used.

mod components;
mod examples;
mod operations;
mod properties;
mod rule;
mod walk;

use std::fmt;

use serde_json::Value;

pub use rule::LintRule;

/// One place where the spec breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where, dotted (`paths./v1/users.post.responses.400.content.application/json`).
    pub location: String,
    pub rule: LintRule,
    /// What is wrong and what to do about it.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.location, self.rule, self.message)
    }
}

/// Every violation in `spec`, rule by rule, in document order within a rule.
pub fn lint(spec: &Value) -> Vec<Violation> {
    let found = walk::walk(spec);
    let mut violations = Vec::new();
    operations::check(spec, &mut violations);
    properties::check(&found, &mut violations);
    examples::check(spec, &found, &mut violations);
    components::check(spec, &mut violations);
    violations
}

fn violation(location: impl Into<String>, rule: LintRule, message: impl Into<String>) -> Violation {
    Violation {
        location: location.into(),
        rule,
        message: message.into(),
    }
}

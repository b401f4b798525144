//! Contract guard rails for an OpenAPI 3.0 spec: breaking-change detection between two
//! versions of a document ([`diff`], [`check_release`]) and the house lint ([`lint`]).
//!
//! Everything works on the parsed documents as [`serde_json::Value`] (never on generated
//! code), so any two OpenAPI 3.0 files can be compared, YAML or JSON ([`load`]).

pub mod diff;
pub mod lint;
mod load;
mod openapi;
mod refs;
mod report;
mod version;

pub use diff::{BreakingRule, check_release, diff};
pub use lint::{LintRule, Violation, lint};
pub use load::{LoadError, load, parse};
pub use report::{Finding, Report};

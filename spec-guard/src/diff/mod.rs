//! Breaking changes from one OpenAPI 3.0 document to the next, as seen by a client
//! written against the old one: what it sends must still be accepted (requests may only
//! widen), what it reads must still be understood (responses may only narrow).
//!
//! The walk goes operation by operation, through `$ref`s, so every finding is located
//! where clients meet it; a finding reached through a component also names the
//! component (`defined_at`), which is where the edit was made.

mod constraints;
mod operation;
mod rule;
mod schema;
mod security;

use serde_json::Value;

use crate::{
    openapi::{self, Operation},
    refs,
    report::{Finding, Report},
    version,
};

pub use rule::BreakingRule;

/// Every breaking change from `old` to `new`, with both `info.version`s and whether
/// the MAJOR went up ([`Report::passes`] applies the version rule).
pub fn diff(old: &Value, new: &Value) -> Report {
    let old_version = version::info_version(old);
    let new_version = version::info_version(new);
    let mut differ = Differ {
        old,
        new,
        report: Report {
            major_bump: version::is_major_bump(old_version.as_deref(), new_version.as_deref()),
            old_version,
            new_version,
            findings: Vec::new(),
        },
        in_progress: Vec::new(),
    };
    differ.paths();
    differ.report
}

/// The release gate: `Ok` when `working` breaks no client of `released`, or breaks
/// some but has a greater MAJOR `info.version`; otherwise the report, to show.
pub fn check_release(released: &Value, working: &Value) -> Result<(), Report> {
    let report = diff(released, working);
    if report.passes() { Ok(()) } else { Err(report) }
}

/// The walk's state: both documents, the findings so far, and the `$ref` pairs being
/// compared right now (so that recursive schemas end).
struct Differ<'a> {
    old: &'a Value,
    new: &'a Value,
    report: Report,
    in_progress: Vec<(Option<String>, Option<String>, schema::Direction)>,
}

impl<'a> Differ<'a> {
    fn finding(
        &mut self,
        location: &str,
        rule: BreakingRule,
        change: String,
        defined_at: Option<&str>,
    ) {
        self.report.push(Finding {
            location: location.to_owned(),
            rule,
            change,
            defined_at: defined_at.map(str::to_owned),
        });
    }

    /// Paths and operations that are gone, then each operation kept.
    fn paths(&mut self) {
        let old_ops = openapi::operations(self.old);
        let new_ops = openapi::operations(self.new);
        let Some(old_paths) = self.old.get("paths").and_then(Value::as_object) else {
            return;
        };
        for (path, item) in old_paths {
            let Some(new_path) = self.matching_path(path) else {
                self.finding(
                    &openapi::join("paths", path),
                    BreakingRule::PathRemoved,
                    format!("path {path} was removed"),
                    None,
                );
                continue;
            };
            let item = refs::resolve(self.old, item);
            for method in openapi::METHODS
                .into_iter()
                .filter(|m| item.get(m).is_some())
            {
                let old_op = old_ops
                    .iter()
                    .find(|op| op.path == path && op.method == method);
                let new_op = new_ops
                    .iter()
                    .find(|op| op.path == new_path && op.method == method);
                match (old_op, new_op) {
                    (Some(old_op), Some(new_op)) => self.operation(*old_op, *new_op),
                    (Some(old_op), None) => self.finding(
                        &old_op.location(),
                        BreakingRule::OperationRemoved,
                        format!("{} {path} was removed", method.to_uppercase()),
                        None,
                    ),
                    _ => {}
                }
            }
        }
    }

    /// The new path serving what `path` served: the same key, or the same template
    /// with its parameters renamed (`/users/{id}` and `/users/{user_id}` are one URL
    /// to a client).
    fn matching_path(&self, path: &str) -> Option<String> {
        let paths = self.new.get("paths").and_then(Value::as_object)?;
        if paths.contains_key(path) {
            return Some(path.to_owned());
        }
        let shape = template_shape(path);
        paths
            .keys()
            .find(|candidate| template_shape(candidate) == shape)
            .cloned()
    }

    fn operation(&mut self, old: Operation<'a>, new: Operation<'a>) {
        self.security(&old, &new);
        self.parameters(&old, &new);
        self.request_body(&old, &new);
        self.responses(&old, &new);
    }
}

/// A path with each `{parameter}` name blanked: `/users/{}`.
fn template_shape(path: &str) -> String {
    let mut shape = String::with_capacity(path.len());
    let mut in_parameter = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_parameter = true;
                shape.push('{');
            }
            '}' => {
                in_parameter = false;
                shape.push('}');
            }
            _ if in_parameter => {}
            _ => shape.push(c),
        }
    }
    shape
}

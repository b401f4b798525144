//! Security requirements: a client of the old document sends the credentials of one
//! of its alternatives, and the new document must still be satisfied by them.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{BreakingRule, Differ};
use crate::openapi::{self, Operation, join};

/// One alternative: each scheme it needs, with the scopes it needs.
type Requirement = BTreeMap<String, BTreeSet<String>>;

/// The fields that decide what a client must send for a scheme (not its description).
const SCHEME_IDENTITY: [&str; 5] = ["type", "scheme", "in", "name", "openIdConnectUrl"];

impl Differ<'_> {
    pub(super) fn security(&mut self, old: &Operation<'_>, new: &Operation<'_>) {
        let location = join(&old.location(), "security");
        let old_alternatives = alternatives(openapi::security(self.old, old));
        let new_alternatives = alternatives(openapi::security(self.new, new));
        // Removing a requirement or adding an alternative is fine: the credentials a
        // client sends today still satisfy some alternative, and unused ones are ignored.
        let unsatisfied: Vec<&Requirement> = old_alternatives
            .iter()
            .filter(|sent| {
                !new_alternatives
                    .iter()
                    .any(|needed| satisfies(sent, needed))
            })
            .collect();
        if !unsatisfied.is_empty() {
            let change = format!(
                "{} no longer enough: now {}",
                describe(unsatisfied.iter().copied()),
                describe(new_alternatives.iter()),
            );
            self.finding(&location, BreakingRule::SecurityChanged, change, None);
        }
        // A scheme kept under its name but redefined asks for other credentials.
        let used: BTreeSet<&String> = new_alternatives.iter().flat_map(|alt| alt.keys()).collect();
        for name in used {
            let (old_scheme, new_scheme) = (scheme(self.old, name), scheme(self.new, name));
            if let (Some(old_scheme), Some(new_scheme)) = (old_scheme, new_scheme) {
                let changed = SCHEME_IDENTITY.iter().any(|key| {
                    let field = |s: &Value| s.get(*key).map(|v| v.to_string().to_ascii_lowercase());
                    field(old_scheme) != field(new_scheme)
                });
                if changed {
                    self.finding(
                        &location,
                        BreakingRule::SecurityChanged,
                        format!("security scheme `{name}` now asks for other credentials"),
                        Some(&format!("components.securitySchemes.{name}")),
                    );
                }
            }
        }
    }
}

/// The alternatives of a `security` list; none (or `[]`) is one empty alternative.
fn alternatives(security: Option<&Vec<Value>>) -> Vec<Requirement> {
    let listed: Vec<Requirement> = security
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .map(|alternative| {
            alternative
                .iter()
                .map(|(scheme, scopes)| {
                    let scopes = scopes.as_array().into_iter().flatten();
                    let scopes = scopes
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect();
                    (scheme.clone(), scopes)
                })
                .collect()
        })
        .collect();
    if listed.is_empty() {
        vec![Requirement::new()]
    } else {
        listed
    }
}

/// Whether credentials for `sent` cover everything `needed` asks for.
fn satisfies(sent: &Requirement, needed: &Requirement) -> bool {
    needed
        .iter()
        .all(|(scheme, scopes)| sent.get(scheme).is_some_and(|have| scopes.is_subset(have)))
}

fn scheme<'d>(doc: &'d Value, name: &str) -> Option<&'d Value> {
    doc.pointer("/components/securitySchemes")?.get(name)
}

fn describe<'r>(alternatives: impl Iterator<Item = &'r Requirement>) -> String {
    let shown: Vec<String> = alternatives
        .map(|alternative| {
            if alternative.is_empty() {
                return "no credentials".to_owned();
            }
            let parts: Vec<String> = alternative
                .iter()
                .map(|(scheme, scopes)| match scopes.is_empty() {
                    true => scheme.clone(),
                    false => format!(
                        "{scheme}[{}]",
                        scopes.iter().cloned().collect::<Vec<_>>().join(", ")
                    ),
                })
                .collect();
            parts.join(" + ")
        })
        .collect();
    shown.join(" or ")
}

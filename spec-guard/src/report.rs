//! What a diff found: one [`Finding`] per breaking change, and the verdict once the
//! version rule is applied ([`Report::passes`]).

use std::fmt;

use crate::diff::BreakingRule;

/// One breaking change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Where, dotted, through the operation that is affected
    /// (`paths./v1/users.post.requestBody.content.application/json.schema.properties.email`).
    pub location: String,
    /// Which rule it breaks.
    pub rule: BreakingRule,
    /// What changed, concretely (`maxLength 254 -> 100`).
    pub change: String,
    /// Where the changed definition lives when it was reached through a `$ref`
    /// (`components.schemas.UserCreate.properties.email`): the line to edit.
    pub defined_at: Option<String>,
}

impl Finding {
    /// Why the change breaks existing clients.
    pub fn why(&self) -> &'static str {
        self.rule.why()
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {}; {}",
            self.location,
            self.rule,
            self.change,
            self.why()
        )?;
        if let Some(defined_at) = &self.defined_at {
            write!(f, " (defined at {defined_at})")?;
        }
        Ok(())
    }
}

/// The breaking changes from one document to the next, and the versions involved.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// Every breaking change, in document order.
    pub findings: Vec<Finding>,
    /// The old document's `info.version`.
    pub old_version: Option<String>,
    /// The new document's `info.version`.
    pub new_version: Option<String>,
    /// Whether the new MAJOR version is greater: breaking changes are then allowed.
    pub major_bump: bool,
}

impl Report {
    /// Whether anything breaks existing clients.
    pub fn is_breaking(&self) -> bool {
        !self.findings.is_empty()
    }

    /// The verdict: nothing breaks, or the MAJOR version was bumped for it.
    pub fn passes(&self) -> bool {
        !self.is_breaking() || self.major_bump
    }

    /// The findings of one rule.
    pub fn with_rule(&self, rule: BreakingRule) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.rule == rule)
    }

    pub(crate) fn push(&mut self, finding: Finding) {
        // One component reached twice by the same operation (a schema used in two
        // places) would say the same thing twice.
        if !self.findings.contains(&finding) {
            self.findings.push(finding);
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let old = self.old_version.as_deref().unwrap_or("(no info.version)");
        let new = self.new_version.as_deref().unwrap_or("(no info.version)");
        match self.findings.len() {
            0 => writeln!(f, "no breaking changes from {old} to {new}")?,
            1 => writeln!(f, "1 breaking change from {old} to {new}:")?,
            n => writeln!(f, "{n} breaking changes from {old} to {new}:")?,
        }
        for finding in &self.findings {
            writeln!(f, "  {finding}")?;
        }
        if !self.is_breaking() {
            write!(f, "verdict: pass")
        } else if self.major_bump {
            write!(
                f,
                "verdict: pass (the MAJOR version went up, so breaking changes are allowed)"
            )
        } else {
            write!(
                f,
                "verdict: FAIL (breaking changes need a greater MAJOR info.version than {old})"
            )
        }
    }
}

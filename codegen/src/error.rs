//! The one error the generator raises: a spec construct it cannot turn into Rust,
//! named by its location in the spec so the author knows what to change.

use std::fmt;

/// A spec construct the generator refuses, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// Dotted location in the spec, e.g. `paths./v1/users.post.requestBody`.
    pub location: String,
    /// What is wrong and, where there is one, what to write instead.
    pub message: String,
}

impl SpecError {
    pub fn new(location: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            location: location.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "spec error at {}: {}", self.location, self.message)
    }
}

impl std::error::Error for SpecError {}

pub type Result<T> = std::result::Result<T, SpecError>;

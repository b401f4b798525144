//! Secret values (JWT signing keys): kept out of `Debug` output and error messages.

use rand::RngCore;

use super::{ConfigError, MIN_SECRET_BYTES};

/// Key material that must never be printed. `Debug` shows only its length.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Wraps bytes as a secret. No length check: parsing from the environment does that.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }

    /// `len` bytes from the operating system's CSPRNG (through rand's thread RNG).
    pub fn random(len: usize) -> Self {
        let mut bytes = vec![0_u8; len];
        rand::rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// The raw bytes, for the code that signs or verifies; do not log them.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret([redacted; {} bytes])", self.0.len())
    }
}

/// One secret from a variable: at least [`MIN_SECRET_BYTES`] bytes, surrounding
/// whitespace ignored (a trailing newline from a secrets file is not key material).
pub(super) fn parse(variable: &'static str, value: &str) -> Result<Secret, ConfigError> {
    let value = value.trim();
    if value.len() < MIN_SECRET_BYTES {
        // The length is safe to report; the value is not.
        return Err(ConfigError::new(
            variable,
            format!(
                "is {} bytes; it must be at least {MIN_SECRET_BYTES} bytes",
                value.len()
            ),
        ));
    }
    Ok(Secret::new(value.as_bytes()))
}

/// A comma-separated list of secrets; empty entries (a trailing comma) are skipped.
pub(super) fn parse_list(variable: &'static str, list: &str) -> Result<Vec<Secret>, ConfigError> {
    list.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .enumerate()
        .map(|(index, entry)| {
            parse(variable, entry).map_err(|error| {
                ConfigError::new(variable, format!("entry {} {}", index + 1, error.message))
            })
        })
        .collect()
}

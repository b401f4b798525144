//! Settings of the HTTP edge: which other origins browsers may call the API from, and
//! the bounds on connections (see `http::connections`).

use std::time::Duration;

use super::{ConfigError, bounded};
use crate::http::connections::ConnectionLimits;

/// `CORS_ALLOWED_ORIGINS`: the origins whose pages may call the API from a browser.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AllowedOrigins {
    /// Unset or empty: no CORS header is ever sent (browsers keep other origins out).
    #[default]
    None,
    /// `*`: any origin, never with credentials.
    Any,
    /// These exact origins (`https://app.example.com`), as browsers write them.
    List(Vec<String>),
}

/// The settings of the HTTP edge.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub cors_origins: AllowedOrigins,
    /// The connection bounds as configured; `max_connections` is clamped below the
    /// open-file limit when the listener starts.
    pub connections: ConnectionLimits,
}

/// The longest timeout accepted, in seconds (an hour).
const MAX_TIMEOUT_SECS: u64 = 3_600;

impl HttpSettings {
    pub(super) fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let secs = |name: &'static str, default: u64| {
            bounded(get, name, default, 1, MAX_TIMEOUT_SECS).map(Duration::from_secs)
        };
        Ok(Self {
            cors_origins: match get("CORS_ALLOWED_ORIGINS") {
                None => AllowedOrigins::None,
                Some(value) => parse_origins(&value)?,
            },
            connections: ConnectionLimits {
                header_timeout: secs("HTTP_HEADER_TIMEOUT_SECS", 20)?,
                idle_timeout: secs("HTTP_IDLE_TIMEOUT_SECS", 60)?,
                body_timeout: secs("HTTP_BODY_TIMEOUT_SECS", 60)?,
                max_connections: bounded(get, "HTTP_MAX_CONNECTIONS", 10_000, 1, 1_000_000)?
                    as usize,
                max_h2_streams: bounded(get, "HTTP_MAX_H2_STREAMS", 100, 1, 10_000)? as u32,
            },
        })
    }
}

const CORS: &str = "CORS_ALLOWED_ORIGINS";

/// A comma-separated list of exact origins, or `*` alone.
fn parse_origins(value: &str) -> Result<AllowedOrigins, ConfigError> {
    let entries: Vec<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .collect();
    if entries.contains(&"*") {
        return if entries.len() == 1 {
            Ok(AllowedOrigins::Any)
        } else {
            Err(ConfigError::new(
                CORS,
                "`*` allows every origin and must stand alone, not in a list of origins",
            ))
        };
    }
    let origins = entries
        .into_iter()
        .map(|entry| {
            origin(entry).ok_or_else(|| {
                ConfigError::new(
                    CORS,
                    format!(
                        "`{entry}` is not an origin as browsers send it, such as \
                         https://app.example.com (http or https, a lower-case host, a port \
                         only when not the default; no path, not even a trailing slash)"
                    ),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(AllowedOrigins::List(origins))
}

/// `entry` when it is an origin spelled exactly as a browser's `Origin` header spells
/// it (an allow-list entry spelled otherwise would never match).
fn origin(entry: &str) -> Option<String> {
    let url = url::Url::parse(entry).ok()?;
    let serialised = url.origin().ascii_serialization();
    (matches!(url.scheme(), "http" | "https") && serialised == entry).then(|| entry.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_exact_and_the_wildcard_stands_alone() {
        assert_eq!(parse_origins("*").unwrap(), AllowedOrigins::Any);
        assert_eq!(
            parse_origins("https://app.example.com, http://localhost:3000,").unwrap(),
            AllowedOrigins::List(vec![
                "https://app.example.com".into(),
                "http://localhost:3000".into()
            ])
        );
        for bad in [
            "https://app.example.com/",
            "https://app.example.com/path",
            "app.example.com",
            "https://App.example.com",
            "https://app.example.com:443",
            "ftp://files.example.com",
            "null",
            "*, https://app.example.com",
            "https://user@app.example.com",
        ] {
            let error = parse_origins(bad).expect_err(bad);
            assert_eq!(error.variable, CORS);
        }
    }
}
